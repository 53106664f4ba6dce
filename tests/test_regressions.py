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


def test_list_of_differently_shaped_items_gets_a_list_of_gradients():
    g = diffc.grad(ragged_list)([np.ones(2), 3.0])
    assert isinstance(g, list) and np.array_equal(g[0], [3.0, 3.0]) and g[1] == 2.0


def sum_into_out(x):
    buf = np.zeros(())
    return np.sum(x, out=buf)


def cube(x):
    return x ** 3


class Model:
    def loss(self, x):
        return x * x


@pytest.mark.parametrize("f", [concatenate_lists, extend_list_in_place])
def test_lists_joined_once_refused_are_differentiated(f):
    check_grad(f, [np.array([0.7, -1.3])])


def test_loop_over_a_mapping_argument_goes_over_its_keys():
    # once refused ("iterates over a dict"): the loop goes over the keys, as Python's
    g = diffc.grad(loop_over_mapping)(1.5, {0: 1.0, 1: 2.0})
    assert g == pytest.approx(1.0)


@pytest.mark.parametrize("build,args,match", [
    (lambda: diffc.grad(sum_into_out), None, "out="),
])
def test_refused_instead_of_wrong(build, args, match):
    with pytest.raises(diffc.DiffcError, match=match):
        df = build()
        df(*args)


def concatenate_list_parameters(xs, ys):
    zs = xs + ys
    return zs[0] * zs[2]


def test_concatenating_list_parameters_is_refused_at_run_time():
    with pytest.raises(diffc.DiffcError, match="joined lists or tuples diffc did not know were ones"):
        diffc.grad(concatenate_list_parameters, wrt=(0, 1))([1.0, 2.0], [3.0, 4.0])


# ---------------------------------------------------------------- found by the AD-pass review

def _square_plus_one(x):
    return x * x + 1.0


def assign_helper_result_to_its_argument(x):
    x = _square_plus_one(x)
    return x * 3.0


def unpack_into_the_source_name(x):
    x, y = x
    return x * y


def matmul_then_elementwise(A, v):
    z = np.matmul(A, v)
    w = A * v
    u = z + w
    return np.sum(u) + z[0] * z[0]


def while_loop_and_underscore(x):
    _ = 3.0
    k = 0
    while k < 2:
        x = x * _
        k += 1
    return x


def _shift_by_first(y):
    y = y + y[0]
    return y


def callee_updates_its_seed(x):
    z2 = np.sin(x)
    z = _shift_by_first(x)
    u = z2 + z
    return np.sum(u * u)


def shape_name_reused_for_an_array(x, w):
    s = x.shape
    s = x
    t = s[0]
    return np.sum(t * w)


RNG = np.random.default_rng(7)
A44 = RNG.normal(size=(4, 4))
V4 = RNG.normal(size=4)


@pytest.mark.parametrize("f,args,wrt", [
    (assign_helper_result_to_its_argument, (1.5,), 0),
    (unpack_into_the_source_name, (np.array([0.3, 1.7]),), 0),
    (matmul_then_elementwise, (A44, V4), (0, 1)),
    (while_loop_and_underscore, (1.0,), 0),
    (callee_updates_its_seed, (V4,), 0),
    (shape_name_reused_for_an_array, (np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), V4[:3]), (0, 1)),
])
def test_review_findings(f, args, wrt):
    check_grad(f, args, wrt=wrt)


def shifted_output(x):
    y = x * 1.0
    y = y + y[0]
    return y


def test_vjp_leaves_the_cotangent_alone():
    x, ct = np.arange(4.0), np.arange(4.0)
    diffc.vjp(shifted_output)(x, ct)
    assert np.array_equal(ct, np.arange(4.0))


G_ARRAY = np.array([1.0, 2.0])


def augment_a_global_alias(x):
    z = G_ARRAY
    z += x
    return np.sum(z)


def augment_a_flipped_view(x):
    y = x * 1.0
    z = np.flip(y)
    z += 1.0
    return np.sum(y * y)


def add_a_list_to_itself(x):
    y = x + x
    return np.sum(np.array(y) * np.arange(4.0))


@pytest.mark.parametrize("f,args,match", [
    (augment_a_global_alias, (np.array([0.5, 0.5]),), "shares memory with `G_ARRAY`"),
    (augment_a_flipped_view, (np.array([0.5, 1.5]),), "shares memory with `y`"),
    (add_a_list_to_itself, ([1.0, 2.0],), "lists or tuples are joined"),
])
def test_review_findings_refused(f, args, match):
    with pytest.raises(diffc.DiffcError, match=match):
        diffc.grad(f)(*args)


# ---------------------------------------------------------------- found by the random-program tester

def power_of_negative_literal(x):
    return x * (-0.07) ** 2          # was printed as -0.07 ** 2 == -(0.07 ** 2)


def zero_adjoint_meets_concatenate(x0, x1, x2):
    x1 = np.multiply(np.concatenate([x1, x1[:, 2::1]], axis=1), x2[:, 3::3])
    if True:
        x2, x1 = (x1, x0)            # the concatenation's result is never used: its adjoint is 0
    return np.sum(x1)


def zero_adjoint_meets_matmul(a, b):
    y = a @ b
    if np.sum(a) > 100.0:            # never taken: dy stays 0.0
        return np.sum(y)
    return np.sum(a * 2.0)


def view_of_a_temporary_updated_in_place(x):
    z = np.tanh(x)[0:2]              # z views a temporary nobody else can see
    z += 1.0
    return np.sum(z * x[0:2])


M34 = np.arange(12.0).reshape(3, 4) / 10.0


@pytest.mark.parametrize("f,args,wrt", [
    (power_of_negative_literal, (1.3,), 0),
    (zero_adjoint_meets_concatenate, (M34[:, :4] + 1, M34 + 0.5, M34 - 0.2), (0, 1, 2)),
    (zero_adjoint_meets_matmul, (M34, M34.T), (0, 1)),
    (view_of_a_temporary_updated_in_place, (np.array([0.2, -0.5, 0.9]),), 0),
])
def test_fuzzer_findings(f, args, wrt):
    check_grad(f, args, wrt=wrt)


def zero_adjoint_meets_outer(x):
    v = np.outer(x, x)
    v = np.outer(v, v)
    if np.sum(x) > 100.0:             # never taken: dv stays 0.0
        return np.sum(v)
    return np.sum(x * x)


def zero_adjoint_meets_axis_reduction(x):
    y = x
    for i in range(2):
        y = x.sum(axis=1)
    if np.sum(x) > 100.0:
        return np.sum(y)
    return np.sum(np.sin(x))


def _first_row(a, b, c):
    return a[0], b


def zero_adjoint_through_unused_helper_argument(x):
    u, w = _first_row(np.zeros((1, 2)), 2, np.max(x * np.ones((2, 1)), axis=1))
    return np.sum(u) + np.sum(x * x)


def zero_adjoint_meets_stack(x):
    s = np.stack([x, x * 2.0], axis=-1)
    if np.sum(x) > 100.0:
        return np.sum(s)
    return np.sum(np.cos(x))


def _two_shapes(a):
    return a[0], a * 2.0


def helper_returns_differently_shaped_tuple(x):
    r = _two_shapes(x)
    return r[0] * np.sum(r[1])


@pytest.mark.parametrize("f,args", [
    (zero_adjoint_meets_outer, (np.array([0.3, -0.2, 0.5]),)),
    (zero_adjoint_meets_axis_reduction, (M34,)),
    (zero_adjoint_through_unused_helper_argument, (np.array([0.4, 1.1]),)),
    (zero_adjoint_meets_stack, (np.array([0.3, -0.2, 0.5]),)),
    (helper_returns_differently_shaped_tuple, (np.array([0.3, -0.2, 0.5]),)),
])
def test_fuzzer_findings_zero_adjoints_and_tuples(f, args):
    check_grad(f, args, wrt=0)


def _doubles_its_argument(a, b, c):
    c += c                           # in Python this changes the caller's array
    return b


def helper_updates_an_argument_in_place(x0, x1):
    x0 = np.where(True, 1.0, 2)      # a 0-d array
    x1 = _doubles_its_argument(x1, x1, x0)
    return x0 + x1.sum()


def _accumulates_into_a_local(v):
    s = v * 1.0
    s += v                           # s is the helper's own array: fine
    return s


def helper_updates_its_own_array(x):
    return np.sum(_accumulates_into_a_local(x) ** 2)


def test_helper_updating_an_array_argument_in_place_is_refused():
    with pytest.raises(diffc.DiffcError, match="changes the caller's array"):
        diffc.grad(helper_updates_an_argument_in_place)(np.array([-0.3, 1.0]),
                                                         np.array([[0.8, 1.0]]))


def test_helper_updating_its_own_array_is_fine():
    check_grad(helper_updates_its_own_array, (np.array([0.3, -0.7]),), wrt=0)


def zero_d_array_updated_through_an_alias(x0, x1):
    x1 = np.where(True, x1, 1)       # a 0-d array: `x1 /= 0.5` keeps it one, and mutable
    x1 /= 0.5
    b = x1
    b -= 1.0                         # in Python this changes x1 too
    return x1 + np.sum(x0)


def test_zero_d_array_updated_through_an_alias_is_refused():
    with pytest.raises(diffc.DiffcError, match="shares memory with `x1`"):
        diffc.grad(zero_d_array_updated_through_an_alias)(np.array([0.5]), 0.7)
