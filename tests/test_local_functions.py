"""Local functions -- ``g = lambda a: ...`` and nested ``def`` -- inlined where they are
called, closing over the function's variables; in reverse mode, forward mode and at
second order against finite differences, and the refusals of what is not inlined."""
import numpy as np
import pytest

import diffc
from diffc import UnsupportedError
from tests.fdcheck import check_value_and_grad, numeric_grad

X4 = np.array([0.3, -0.5, 0.9, 1.3])
W4 = np.array([1.1, 0.4, -0.7, 0.2])


def lambda_closing_over_an_argument(x, w):
    g = lambda a: a * w                                  # noqa: E731
    return np.sum(g(x) + g(2.0 * x) ** 2)


def nested_def_with_loop_branch_and_default(x, w):
    def step(h, k=0.5):
        z = np.tanh(h * k + x * w)
        if z[0] > 0.9:
            return z * 2.0                              # an early return
        for i in range(2):
            z = z + x[i]
        return z
    h = x
    for _ in range(3):
        h = step(h)
    return np.sum(h ** 2) + np.sum(step(x, k=1.5))


def lambda_in_a_generator(x, w):
    sq = lambda v: v * v                                 # noqa: E731
    return sum(sq(xi) * wi for xi, wi in zip(x, w))


def closure_reads_the_current_value(x, w):
    s = x[0]
    add_s = lambda v: v + s                              # noqa: E731
    first = add_s(x[1])
    s = s * w[0]                                         # read when the call runs
    return first * add_s(x[2])


PROGRAMS = [lambda_closing_over_an_argument, nested_def_with_loop_branch_and_default,
            lambda_in_a_generator, closure_reads_the_current_value]
IDS = [f.__name__ for f in PROGRAMS]


@pytest.mark.parametrize("f", PROGRAMS, ids=IDS)
def test_reverse_mode(f):
    check_value_and_grad(f, [X4.copy(), W4.copy()], wrt=(0, 1))


@pytest.mark.parametrize("f", PROGRAMS, ids=IDS)
def test_forward_mode(f):
    v = np.array([0.3, -0.2, 1.1, 0.5])
    np.testing.assert_allclose(diffc.jvp(f)(X4.copy(), W4.copy(), v)[1],
                               numeric_grad(f, [X4.copy(), W4.copy()]) @ v, rtol=1e-6,
                               atol=1e-8)


@pytest.mark.parametrize("f", PROGRAMS, ids=IDS)
def test_second_order(f):
    g = diffc.grad(f)
    ref = np.array([numeric_grad(lambda y: g(y, W4.copy())[j], [X4.copy()]) for j in range(4)])
    np.testing.assert_allclose(diffc.hessian(f)(X4.copy(), W4.copy()), ref, rtol=1e-5,
                               atol=1e-6)


def passes_a_local_function_on(x):
    g = lambda a: a * 2.0                                # noqa: E731
    fs = [g]                                             # a value: not inlined
    return np.sum(fs[0](x))


def recursive_local_function(x):
    def fact(n):
        return 1.0 if n <= 1 else n * fact(n - 1)
    return x * fact(3)


def rebinds_a_local_function(x):
    g = lambda a: a                                      # noqa: E731
    g = lambda a: a * 2.0                                # noqa: E731
    return g(x)


@pytest.mark.parametrize("f,message", [
    (passes_a_local_function_on, "used as a value"),
    (recursive_local_function, "calls itself"),
    (rebinds_a_local_function, "bound more than once"),
], ids=["as-value", "recursive", "rebound"])
def test_local_functions_not_inlined_are_refused_with_their_location(f, message):
    with pytest.raises(UnsupportedError, match=message) as e:
        diffc.grad(f)(1.5)
    assert "test_local_functions.py:" in str(e.value)


def lambdas_passed_to_builtins(x, w):
    ls = [x[0], x[1] * w[1], x[2] ** 2, np.sin(x[3])]
    sq = lambda v, c=-0.25: v * v + c                    # noqa: E731  (a negative default)
    squares = list(map(sq, ls))
    scaled = list(map(lambda v, k: v * k, ls, [w[0], 2.0, w[2], 1.0]))
    ranked = sorted(ls, key=lambda v: -v)
    by_size = sorted(ls, key=abs, reverse=True)
    far = max(ls, key=lambda v: (v - 1.0) ** 2)
    near = min(ls, key=abs)
    both = (lambda u, v: u * v)(x[0], w[3])              # called where it is written
    return sum(squares) + scaled[1] * ranked[0] + by_size[0] * far + near + both


def test_lambdas_passed_to_map_sorted_max_min_all_modes():
    f = lambdas_passed_to_builtins
    check_value_and_grad(f, [X4.copy(), W4.copy()], wrt=(0, 1))
    v = np.array([0.5, -1.0, 0.25, 2.0])
    np.testing.assert_allclose(diffc.jvp(f)(X4.copy(), W4.copy(), v)[1],
                               numeric_grad(f, [X4.copy(), W4.copy()]) @ v, rtol=1e-6,
                               atol=1e-8)
    test_second_order(f)
