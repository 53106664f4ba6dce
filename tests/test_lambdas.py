"""Lambdas defined outside the differentiated function: given to diffc directly, called
as helpers by a global name, held in a dict, passed as an argument. diffc reads the
lambda from its source line (checking its code is the one that runs) and differentiates
it like a ``def``. Checked against central differences in both modes and for Hessians."""
import numpy as np
import pytest

import diffc
from tests.fdcheck import check_both_modes, numeric_grad

X = np.array([0.5, -1.0, 2.0])

scale = lambda v, k=2.0: k * v                                         # noqa: E731
ACTS = {"relu": lambda v: np.maximum(v, 0.0), "tanh": np.tanh,
        "cube": lambda v: v * v * v}
pair = (lambda v: np.sin(v), lambda v: np.cos(v))                      # two on one line


def uses_a_global_lambda(x):
    return np.sum(scale(x) * x)


def picks_from_a_dict(x, name):
    act = ACTS[name]
    return np.sum(act(x * 1.5))


def calls_its_argument(x, fn):
    return np.sum(fn(x) * x)


def test_given_directly():
    f = lambda v: np.sum(np.sin(v) * v[0])                              # noqa: E731
    check_both_modes(f, X.copy())
    d = diffc.grad(f)
    assert "f_fwd(v)" in diffc.source(d)      # named after the variable it is given to


def test_called_as_a_helper():
    check_both_modes(uses_a_global_lambda, X.copy())
    assert "scale_fwd(" in diffc.source(diffc.grad(uses_a_global_lambda))


@pytest.mark.parametrize("name", ["relu", "tanh", "cube"])
def test_held_in_a_dict(name):
    g = diffc.grad(picks_from_a_dict)(X.copy(), name)
    np.testing.assert_allclose(g, numeric_grad(lambda x: picks_from_a_dict(x, name), [X.copy()]),
                               rtol=1e-6, atol=1e-9)
    v = np.array([0.3, -0.2, 1.0])
    _, t = diffc.jvp(picks_from_a_dict)(X.copy(), name, v)
    np.testing.assert_allclose(t, g @ v, rtol=1e-6)


@pytest.mark.parametrize("k", [0, 1])
def test_two_lambdas_on_one_line(k):
    g = diffc.grad(calls_its_argument)(X.copy(), pair[k])
    np.testing.assert_allclose(g, numeric_grad(lambda x: calls_its_argument(x, pair[k]),
                                               [X.copy()]), rtol=1e-6, atol=1e-9)


def test_passed_as_an_argument_and_hessian():
    h = diffc.hessian(calls_its_argument)(X.copy(), lambda v: v ** 3)
    gradient = diffc.grad(calls_its_argument)
    ref = np.array([numeric_grad(lambda x: gradient(x, lambda v: v ** 3)[j], [X.copy()])
                    for j in range(3)])
    np.testing.assert_allclose(h, ref, rtol=1e-5, atol=1e-6)
