"""Regression tests for wrong gradients and crashes found in review, each named after the bug."""
import math

import numpy as np
import pytest

import diffc
from fdcheck import check_grad


def ravel_fortran_order(x):
    return np.sum(np.ravel(x, "F") * np.arange(6.0))


def flatten_fortran_order(x):
    return np.sum(x.flatten("F") * np.arange(6.0))


def sum_with_positional_dtype(x, w):
    return np.sum(np.sum(x, 1, np.float64) * w)


def astype_int_has_zero_derivative(x):
    return np.sum(x.astype(int) * x)


def fmod_uses_trunc(a, b):
    return math.fmod(a, b)


X23 = np.arange(6.0).reshape(2, 3) * 0.3 + 0.1


@pytest.mark.parametrize("f,args,wrt", [
    (ravel_fortran_order, (X23,), 0),
    (flatten_fortran_order, (X23,), 0),
    (sum_with_positional_dtype, (X23, np.array([1.0, 2.0])), 0),
    (astype_int_has_zero_derivative, (np.array([1.3, 2.7]),), 0),
    (fmod_uses_trunc, (-0.8, 0.35), (0, 1)),
])
def test_rule_signatures_follow_numpy(f, args, wrt):
    check_grad(f, args, wrt=wrt)


def concatenate_lists(x):
    out = [x[0]]
    out = out + [x[1] * 2.0]
    return out[0] * out[1]


def extend_list_in_place(x):
    a = [x[0]]
    a += [x[1]]
    return a[0] * x[0]


def loop_over_mapping(x, d):
    s = 0.0
    for k in d:
        s = s + x * k
    return s


def ragged_list(xs):
    return np.sum(xs[0]) * xs[1]


def sum_into_out(x):
    buf = np.zeros(())
    return np.sum(x, out=buf)


def cube(x):
    return x ** 3


class Model:
    def loss(self, x):
        return x * x


@pytest.mark.parametrize("build,args,match", [
    (lambda: diffc.grad(concatenate_lists), None, "concatenating lists"),
    (lambda: diffc.grad(extend_list_in_place), None, "concatenating lists"),
    (lambda: diffc.grad(loop_over_mapping), (1.5, {0: 1.0, 1: 2.0}), "iterates over a dict"),
    (lambda: diffc.grad(ragged_list), ([np.ones(2), 3.0],), "differently shaped"),
    (lambda: diffc.grad(sum_into_out), None, "out="),
    (lambda: diffc.grad(diffc.grad(cube)), None, "higher order"),
    (lambda: diffc.grad(Model().loss), None, "bound method"),
])
def test_refused_instead_of_wrong(build, args, match):
    with pytest.raises(diffc.DiffcError, match=match):
        df = build()
        df(*args)


def concatenate_list_parameters(xs, ys):
    zs = xs + ys
    return zs[0] * zs[2]


def test_concatenating_list_parameters_is_refused_at_run_time():
    with pytest.raises(diffc.DiffcError, match="adding lists concatenates"):
        diffc.grad(concatenate_list_parameters, wrt=(0, 1))([1.0, 2.0], [3.0, 4.0])
