"""Higher derivatives, Hessians, Hessian-vector products and Jacobians.

References are independent of diffc: derivatives of closed forms worked out by
hand, analytic Hessians, and central finite differences of gradients.
"""
import math

import numpy as np
import pytest

import diffc


def nth(f, n):
    for _ in range(n):
        f = diffc.grad(f)
    return f


# ---------------------------------------------------------------- scalar towers

def sin_times_x(x):
    return np.sin(x) * x


def poly(x):
    return 3.0 * x ** 7 - 2.0 * x ** 4 + x ** 2 - 5.0


def sin_only(x):
    return math.sin(x)


@pytest.mark.parametrize("x", [0.3, -1.1, 2.5])
def test_fifth_derivative_of_sin(x):
    # d^k/dx^k sin = sin(x + k pi/2)
    for k in range(1, 6):
        assert abs(nth(sin_only, k)(x) - math.sin(x + k * math.pi / 2)) < 1e-8, k


@pytest.mark.parametrize("x", [0.3, -1.1, 1.7])
def test_derivatives_of_sin_times_x_to_sixth_order(x):
    # (x sin x)^(k) = x sin(x + k pi/2) + k sin(x + (k-1) pi/2)
    for k in range(1, 7):
        expected = x * math.sin(x + k * math.pi / 2) + k * math.sin(x + (k - 1) * math.pi / 2)
        assert abs(nth(sin_times_x, k)(x) - expected) < 1e-8 * max(1.0, abs(expected)), k


@pytest.mark.parametrize("x", [0.7, -1.3])
def test_polynomial_derivatives_exact(x):
    coeffs = {7: 3.0, 4: -2.0, 2: 1.0, 0: -5.0}
    for k in range(1, 8):
        expected = sum(c * math.perm(p, k) * x ** (p - k) for p, c in coeffs.items() if p >= k)
        assert abs(nth(poly, k)(x) - expected) < 1e-8 * max(1.0, abs(expected)), k


def power_both(x, y):
    return x ** y


def test_power_in_both_arguments_second_order():
    x, y = 1.7, 2.3
    lx = math.log(x)
    # analytic mixed and pure second derivatives of x**y
    dx = diffc.grad(power_both, wrt=0)
    dy = diffc.grad(power_both, wrt=1)
    assert abs(dx(x, y) - y * x ** (y - 1)) < 1e-12
    assert abs(dy(x, y) - x ** y * lx) < 1e-12
    assert abs(diffc.grad(dx, wrt=0)(x, y) - y * (y - 1) * x ** (y - 2)) < 1e-10
    assert abs(diffc.grad(dx, wrt=1)(x, y) - (x ** (y - 1) + y * x ** (y - 1) * lx)) < 1e-10
    assert abs(diffc.grad(dy, wrt=0)(x, y) - (y * x ** (y - 1) * lx + x ** (y - 1))) < 1e-10
    assert abs(diffc.grad(dy, wrt=1)(x, y) - x ** y * lx ** 2) < 1e-10
    # forward mode in both arguments at once
    v, t = diffc.jvp(power_both, wrt=(0, 1))(x, y, (0.3, -0.4))
    assert abs(t - (0.3 * y * x ** (y - 1) - 0.4 * x ** y * lx)) < 1e-12


# ---------------------------------------------------------------- through control flow

def newton_sqrt(a):
    """sqrt(a) by Newton's method: a while loop, a branch, a helper."""
    x = a
    i = 0
    while abs(x * x - a) > 1e-15 * a and i < 60:
        x = step(x, a)
        i += 1
    if x > 0.0:
        return x * x * x
    return -x


def step(x, a):
    return 0.5 * (x + a / x)


@pytest.mark.parametrize("a", [2.0, 0.7])
def test_third_order_through_while_loop_branch_and_helper(a):
    # f(a) = a**1.5 exactly (Newton converges); f''' = 1.5*0.5*(-0.5) a**-1.5
    d = [None, 1.5 * a ** 0.5, 0.75 * a ** -0.5, -0.375 * a ** -1.5, 0.5625 * a ** -2.5,
         -1.40625 * a ** -3.5]
    for k in range(1, 6):
        got = nth(newton_sqrt, k)(a)
        assert abs(got - d[k]) < 1e-7 * max(1.0, abs(d[k])), (k, got, d[k])


def loop_poly(x, n):
    s = 0.0
    for i in range(n):
        if i % 2 == 0:
            s = s + x ** i
        else:
            s = s - np.sin(x) * i
    return s


def test_third_order_through_for_loop_with_branch():
    x, n = 0.9, 6
    # s = sum_{even i} x**i - sin(x) * sum_{odd i} i = 1 + x^2 + x^4 - 9 sin x
    expected = [None, 2 * x + 4 * x ** 3 - 9 * math.cos(x), 2 + 12 * x ** 2 + 9 * math.sin(x),
                24 * x + 9 * math.cos(x)]
    for k in range(1, 4):
        assert abs(nth(loop_poly, k)(x, n) - expected[k]) < 1e-9, k


# ---------------------------------------------------------------- Hessians

def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_hessian(x):
    n = len(x)
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        h[i + 1, i + 1] += 200
        h[i, i + 1] -= 400 * x[i]
        h[i + 1, i] -= 400 * x[i]
    return h


A = np.array([[4.0, 1.0, -2.0], [1.0, 3.0, 0.5], [-2.0, 0.5, 5.0]])


def quadratic(x):
    return 0.5 * x @ A @ x + np.sum(x)


def log_sum_exp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def fd_hessian(f, x, eps=1e-5):
    g = diffc.grad(f)
    cols = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = eps
        cols.append((g(x + e) - g(x - e)) / (2 * eps))
    return np.array(cols).T


def test_hessian_rosenbrock():
    x = np.array([0.3, -1.2, 0.8, 1.5, 0.1])
    h = diffc.hessian(rosenbrock)(x)
    assert h.shape == (5, 5)
    assert np.allclose(h, rosenbrock_hessian(x), rtol=1e-12, atol=1e-10)
    assert np.allclose(h, fd_hessian(rosenbrock, x), rtol=1e-6, atol=1e-5)


def test_hessian_quadratic_form():
    x = np.array([0.2, -0.7, 1.1])
    assert np.allclose(diffc.hessian(quadratic)(x), A, rtol=1e-13, atol=1e-13)


def test_hessian_of_log_sum_exp_is_softmax_jacobian():
    x = np.array([0.5, -1.0, 2.0, 0.1])
    p = np.exp(x) / np.sum(np.exp(x))
    expected = np.diag(p) - np.outer(p, p)
    assert np.allclose(diffc.hessian(log_sum_exp)(x), expected, rtol=1e-10, atol=1e-12)
    assert np.allclose(diffc.hessian(log_sum_exp)(x), fd_hessian(log_sum_exp, x), atol=1e-6)


def softmax(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


@pytest.mark.parametrize("mode", ["auto", "forward", "reverse"])
def test_jacobian_of_softmax(mode):
    x = np.array([0.5, -1.0, 2.0, 0.1])
    p = softmax(x)
    j = diffc.jacobian(softmax, mode=mode)(x)
    assert np.allclose(j, np.diag(p) - np.outer(p, p), rtol=1e-10, atol=1e-12)


def wide(x):
    return np.array([np.sum(x ** 2), np.prod(x)])


def test_jacobian_of_wide_input_uses_reverse_and_agrees():
    x = np.array([0.5, -1.0, 2.0, 0.1, 0.3])
    expected = np.array([2 * x, np.prod(x) / x])
    for mode in ("auto", "forward", "reverse"):
        assert np.allclose(diffc.jacobian(wide, mode=mode)(x), expected, rtol=1e-12)


def test_hvp_matches_hessian_times_vector_and_fd():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(6)
    v = rng.standard_normal(6)
    hv = diffc.hvp(rosenbrock)(x, v)
    assert np.allclose(hv, rosenbrock_hessian(x) @ v, rtol=1e-12, atol=1e-9)
    g = diffc.grad(rosenbrock)
    eps = 1e-6
    assert np.allclose(hv, (g(x + eps * v) - g(x - eps * v)) / (2 * eps), rtol=1e-5, atol=1e-4)
    assert np.array_equal(x, x.copy())


def test_jvp_of_gradient_of_scalar():
    # jvp of f' is f'' times the tangent
    v, t = diffc.jvp(diffc.grad(sin_times_x))(0.4, 2.0)
    assert abs(v - (math.cos(0.4) * 0.4 + math.sin(0.4))) < 1e-12
    assert abs(t - 2.0 * (-math.sin(0.4) * 0.4 + 2 * math.cos(0.4))) < 1e-12


def test_jvp_of_jvp_second_derivative():
    f2 = diffc.jvp(diffc.jvp(sin_times_x))
    # d/dx [f'(x) t1] along t2 = f''(x) t1 t2; and the value pair
    (v, t), (tv, tt) = f2(0.4, 1.5, 2.0)
    assert abs(tt - (-math.sin(0.4) * 0.4 + 2 * math.cos(0.4)) * 1.5 * 2.0) < 1e-12
    assert abs(tv - (math.cos(0.4) * 0.4 + math.sin(0.4)) * 2.0) < 1e-12


def vector_fn(x):
    return np.sum(np.sin(x) * x)


def test_fd_of_gradient_through_forward_form_of_integer_input():
    # integer inputs get real derivatives at every order
    assert abs(nth(poly, 2)(2) - (3.0 * 42 * 2 ** 5 - 2.0 * 12 * 4 + 2.0)) < 1e-9
    x = np.array([1, 2, 3])
    h = diffc.hessian(vector_fn)(x)
    xf = x.astype(float)
    assert np.allclose(h, np.diag(2 * np.cos(xf) - xf * np.sin(xf)), rtol=1e-12)


# ---------------------------------------------------------------- errors

def vec_out(x):
    return x * 2.0


def test_grad_of_non_scalar_points_to_vjp_and_jacobian():
    with pytest.raises(diffc.DiffcError) as e:
        diffc.grad(vec_out)(np.ones(3))
    assert "vjp" in str(e.value) and "jacobian" in str(e.value)


def test_jvp_tangent_shape_is_checked():
    with pytest.raises(diffc.DiffcError, match=r"shape \(2,\).*\(3,\)"):
        diffc.jvp(vec_out)(np.ones(3), np.ones(2))
    with pytest.raises(diffc.DiffcError, match="tangent"):
        diffc.jvp(vec_out)(np.ones(3))


def test_second_gradient_wrt_array_points_to_hessian():
    with pytest.raises(diffc.DiffcError, match="hessian"):
        diffc.grad(diffc.grad(vector_fn))(np.ones(3))


def test_inputs_not_mutated():
    x = np.array([0.3, -1.2, 0.8])
    keep = x.copy()
    diffc.hessian(rosenbrock)(x)
    diffc.hvp(rosenbrock)(x, np.ones(3))
    diffc.jacobian(softmax)(x)
    assert np.array_equal(x, keep)
