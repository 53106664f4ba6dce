"""Assignments, unpacking, augmented assignment, operators, conditional
expressions, builtin abs and the math module."""

import math

import numpy as np
import pytest

import diffc
from fdcheck import check_grad

R = np.random.default_rng(0)
V3 = np.array([0.7, -1.3, 0.4])
W3 = np.array([1.1, 0.6, -0.8])
P3 = np.array([0.9, 1.7, 1.2])  # strictly positive
Q3 = np.array([1.3, 0.8, 2.1])  # strictly positive
M23 = np.array([[0.3, -0.5, 1.2], [0.8, 0.1, -0.9]])


# ------------------------------------------------------------------ assignment
def assign_chain(x):
    a = x * 2.0
    b = a + x
    c = b * a
    return c - x


def assign_reuse_many(x):
    x = x * 2.0
    x = x + 1.0
    x = np.sin(x)
    x = x * x
    x = x - 0.5 * x
    x = x / 3.0
    return x


def assign_reuse_many_array(x, y):
    z = x * y
    z = z + x
    z = np.tanh(z)
    z = z * y
    z = z * z
    return np.sum(z)


def assign_dead_store(x):
    a = x * 100.0
    a = x * 3.0
    return a * x


def tuple_unpack(x, y):
    a, b = x * y, x + y
    return a * b


def tuple_unpack_nested(x, y):
    (a, b), c = (x, y * 2.0), x * y
    return a * b + c * c


def list_unpack(x, y):
    [a, b] = [x * x, y * 3.0]
    return a * b


def swap(x, y):
    a, b = x, y * 2.0
    a, b = b, a
    return a * 3.0 + b * b


def fib_like(x, y):
    a, b = x, y
    for _ in range(6):
        a, b = b, a + b
    return a * b


def swap_arrays(x, y):
    a, b = x, y
    a, b = b * a, a
    a, b = b, a + b
    return np.sum(a * b)


def chained_assign(x):
    a = b = x * 2.0
    return a * b + a


# -------------------------------------------------------- augmented assignment
def aug_add(x, y):
    z = x * 1.5
    z += y
    z += z
    return z * x


def aug_sub(x, y):
    z = x * 1.5
    z -= y * y
    z -= x
    return z * y


def aug_mul(x, y):
    z = x + 1.0
    z *= y
    z *= z
    return z


def aug_div(x, y):
    z = x * 2.0
    z /= y
    z /= (x + 3.0)
    return z


def aug_pow(x, y):
    z = x * 1.0
    z **= 2
    z **= y
    return z


def aug_all(x, y):
    z = x
    z += 1.0
    z *= y
    z -= x * x
    z /= y
    z **= 2
    return z


def aug_add_array(x, y):
    z = x * 2.0
    z += y
    z += z * x
    return np.sum(z)


def aug_sub_array(x, y):
    z = x * 2.0
    z -= y * x
    return np.sum(z * z)


def aug_mul_array(x, y):
    z = x * 2.0
    z *= y
    z *= z
    return np.sum(z)


def aug_div_array(x, y):
    z = x + 0.0
    z /= y
    z /= (x * x + 1.0)
    return np.sum(z)


def aug_pow_array(x, y):
    z = x * 1.0
    z **= 2
    z **= y
    return np.sum(z)


def aug_after_use_array(x, y):
    # the old value of a is needed by the backward pass of sin and *
    a = x * 2.0
    b = np.sin(a)
    c = a * y
    a += 1.0
    a *= y
    return np.sum(a * b + c)


def neg_then_aug_pow(x):
    y = x * 1.0
    y = -y
    y **= 3
    return np.sum(y)


def aug_in_loop(x, y):
    acc = x * 0.0
    for i in range(4):
        acc += x * y
        acc *= 0.5 + y
    return np.sum(acc)


def aug_scalar_into_array(x, s):
    z = x * 1.0
    z *= s
    z += s
    return np.sum(z * z)


# In-place augmented assignment through an alias / a view.  NumPy mutates the
# shared buffer; diffc must either reproduce that or refuse with DiffcError.
def aug_through_alias(x):
    y = x * 1.0
    z = y
    z += 1.0
    return np.sum(y * x)


def aug_through_view(x):
    y = x * 1.0
    v = y[1:]
    y *= 2.0
    return np.sum(v * v)


# ---------------------------------------------------------------- operators
def arith(x, y):
    return x * y + x / y - y ** 2 + x - y


def arith_array(x, y):
    return np.sum(x * y + x / y - y ** 2 + x - y * 3.0)


def unary_ops(x, y):
    return -x * y + (+x) - (-(-y)) * x


def unary_array(x):
    return np.sum(-x * (+x) - (-x))


def div_const_over(x):
    return 3.0 / x + 1.0 / (x * x)


def pow_both_scalar(x, y):
    return x ** y


def pow_both_array(x, y):
    return np.sum(x ** y)


def pow_const_base(x):
    return 2.0 ** x + 3.0 ** (x * x)


def pow_int_exp(x):
    return x ** 3 + x ** 2 - x ** 1


def pow_frac_exp(x):
    return x ** 0.5 + x ** -1 + x ** -2.5


def pow_int_exp_array(x):
    return np.sum(x ** 3 - 2.0 * x ** 2)


def pow_neg_base_const_exp(x, p):
    # x may be negative; p is an integral float not differentiated
    return x ** p + x ** 2


def pow_array_scalar_exp(x, y):
    return np.sum(x ** y)


def abs_builtin(x, y):
    return abs(x) * y + abs(x * y - 1.0)


def abs_builtin_array(x):
    return np.sum(abs(x) * x + abs(x - 0.2))


def nested_expr(x, y):
    return ((x + y) * (x - y) / (1.0 + x * x)) ** 2 - (y / (x + 2.0))


# ----------------------------------------------------------- conditions / ifexp
def ifexp(x, y):
    a = x * x if x > 0 else -x * 3.0
    return a * y


def ifexp_nested(x, y):
    a = x * y if x > 1.0 else (x + y if y > 0 else x - y)
    return a * a


def ifexp_array(x, y):
    s = np.sum(x)
    z = x * y if s > 0 else x / y
    return np.sum(z * z)


def cond_and_or(x, y):
    if x > 0 and y < 1.0:
        return x * y
    elif not (x > y) or y > 3.0:
        return x + y * y
    else:
        return x * x * y


def cond_chain_compare(x, y):
    if 0.0 < x < 1.0:
        r = x * y
    else:
        r = x * x + y
    return r


def cond_ne_eq(x, n):
    if n == 2:
        r = x * x
    elif n != 3:
        r = x * 5.0
    else:
        r = x ** 3
    return r


def cond_ge_le(x, y):
    r = x
    if x >= y:
        r = r * y
    if x <= 2.0 * y:
        r = r + y * y
    return r


def cond_is_none(x, mode):
    if mode is None:
        return x * x
    return x * 3.0


def cond_bool_ops_value(x, y):
    # the "and"/"or" expressions themselves only select control flow here
    big = x > 1.0 or y > 1.0
    small = not big
    if small and x < y:
        return x * y * y
    return x * x + y


# --------------------------------------------------------------- math module
def math_sin(x):
    return math.sin(x) * x


def math_cos(x):
    return math.cos(x * 2.0)


def math_exp(x):
    return math.exp(x) + x


def math_log(x):
    return math.log(x) * x


def math_sqrt(x):
    return math.sqrt(x * x + 1.0)


def math_mixed(x, y):
    return math.exp(math.sin(x) * y) + math.sqrt(y) * math.log(x + 2.0)


def math_pi_const(x):
    return math.pi * x * x


SCALAR_CASES = [
    (assign_chain, (1.3,), 0),
    (assign_chain, (-0.4,), 0),
    (assign_reuse_many, (0.35,), 0),
    (assign_dead_store, (0.8,), 0),
    (tuple_unpack, (0.8, -1.1), (0, 1)),
    (tuple_unpack_nested, (0.8, -1.1), (0, 1)),
    (list_unpack, (0.8, -1.1), (0, 1)),
    (swap, (0.5, 1.7), (0, 1)),
    (fib_like, (0.3, 0.7), (0, 1)),
    (chained_assign, (0.9,), 0),
    (aug_add, (0.6, 1.4), (0, 1)),
    (aug_sub, (0.6, 1.4), (0, 1)),
    (aug_mul, (0.6, 1.4), (0, 1)),
    (aug_div, (0.6, 1.4), (0, 1)),
    (aug_pow, (0.6, 1.4), (0, 1)),
    (aug_all, (0.6, 1.4), (0, 1)),
    (arith, (0.6, 1.4), (0, 1)),
    (unary_ops, (0.6, 1.4), (0, 1)),
    (div_const_over, (1.7,), 0),
    (pow_both_scalar, (1.3, 2.2), (0, 1)),
    (pow_both_scalar, (0.7, -1.5), (0, 1)),
    (pow_const_base, (0.6,), 0),
    (pow_int_exp, (-1.2,), 0),
    (pow_frac_exp, (1.6,), 0),
    (pow_neg_base_const_exp, (-1.3, 3.0), 0),
    (abs_builtin, (-0.7, 1.9), (0, 1)),
    (abs_builtin, (0.7, 1.9), (0, 1)),
    (nested_expr, (0.45, -0.3), (0, 1)),
    (ifexp, (0.8, 1.5), (0, 1)),
    (ifexp, (-0.8, 1.5), (0, 1)),
    (ifexp_nested, (1.5, 0.3), (0, 1)),
    (ifexp_nested, (0.5, 0.3), (0, 1)),
    (ifexp_nested, (0.5, -0.3), (0, 1)),
    (cond_and_or, (0.5, 0.2), (0, 1)),      # first branch
    (cond_and_or, (0.5, 2.0), (0, 1)),      # not(x>y) -> elif
    (cond_and_or, (1.0, 4.0), (0, 1)),      # y>3 -> elif (x<y as well)
    (cond_and_or, (2.5, 1.5), (0, 1)),      # else
    (cond_and_or, (-0.5, -1.0), (0, 1)),    # x<=0, x>y, y<=3 -> else
    (cond_chain_compare, (0.5, 1.3), (0, 1)),
    (cond_chain_compare, (1.5, 1.3), (0, 1)),
    (cond_ge_le, (1.5, 1.0), (0, 1)),
    (cond_ge_le, (0.5, 1.0), (0, 1)),
    (cond_ge_le, (3.0, 1.0), (0, 1)),
    (cond_bool_ops_value, (0.3, 0.6), (0, 1)),
    (cond_bool_ops_value, (0.6, 0.3), (0, 1)),
    (cond_bool_ops_value, (1.6, 0.3), (0, 1)),
    (math_sin, (0.7,), 0),
    (math_cos, (0.7,), 0),
    (math_exp, (0.7,), 0),
    (math_log, (1.7,), 0),
    (math_sqrt, (0.7,), 0),
    (math_mixed, (0.7, 1.3), (0, 1)),
    (math_pi_const, (0.7,), 0),
]


@pytest.mark.parametrize(
    "f,args,wrt",
    [pytest.param(*c, id=f"{c[0].__name__}-{i}") for i, c in enumerate(SCALAR_CASES)],
)
def test_scalar_syntax(f, args, wrt):
    check_grad(f, args, wrt=wrt)


ARRAY_CASES = [
    (assign_reuse_many_array, (V3, W3), (0, 1)),
    (swap_arrays, (V3, W3), (0, 1)),
    (aug_add_array, (V3, W3), (0, 1)),
    (aug_sub_array, (V3, W3), (0, 1)),
    (aug_mul_array, (V3, W3), (0, 1)),
    (aug_div_array, (V3, Q3), (0, 1)),
    (aug_pow_array, (P3, Q3), (0, 1)),
    (aug_in_loop, (V3, W3), (0, 1)),
    (aug_after_use_array, (V3, W3), (0, 1)),
    (neg_then_aug_pow, (V3,), 0),
    (aug_scalar_into_array, (M23, 0.7), (0, 1)),
    (arith_array, (V3, Q3), (0, 1)),
    (unary_array, (M23,), 0),
    (pow_both_array, (P3, W3), (0, 1)),
    (pow_int_exp_array, (V3,), 0),
    (pow_array_scalar_exp, (P3, 1.7), (0, 1)),
    (abs_builtin_array, (V3,), 0),
    (ifexp_array, (P3, Q3), (0, 1)),
    (ifexp_array, (-P3, Q3), (0, 1)),
]


@pytest.mark.parametrize(
    "f,args,wrt",
    [pytest.param(*c, id=f"{c[0].__name__}-{i}") for i, c in enumerate(ARRAY_CASES)],
)
def test_array_syntax(f, args, wrt):
    check_grad(f, args, wrt=wrt)


# ------------------------------------------------------- analytic cross-checks
def test_pow_both_analytic():
    x, y = 1.3, 2.2
    gx, gy = diffc.grad(pow_both_scalar, wrt=(0, 1))(x, y)
    assert gx == pytest.approx(y * x ** (y - 1), rel=1e-12)
    assert gy == pytest.approx(math.log(x) * x ** y, rel=1e-12)


def test_pow_negative_base_constant_exponent_is_finite():
    # d/dx (x**3 + x**2) at x=-1.3 = 3x^2 + 2x ; exponent is not differentiated
    x = -1.3
    g = diffc.grad(pow_neg_base_const_exp)(x, 3.0)
    assert np.isfinite(g)
    assert g == pytest.approx(3 * x * x + 2 * x, rel=1e-12)


@pytest.mark.parametrize("x", [0.0, -0.0, 2.0])
def test_pow_const_exponent_at_zero(x):
    # d/dx (x**3 + x**2 - x) = 3x^2 + 2x - 1 ; must be finite at x == 0
    g = diffc.grad(pow_int_exp)(x)
    assert np.isfinite(g)
    assert g == pytest.approx(3 * x * x + 2 * x - 1, abs=1e-15)


def test_pow_const_exponent_at_zero_array():
    x = np.array([0.0, 1.0, -2.0])
    g = diffc.grad(pow_int_exp_array)(x)
    np.testing.assert_allclose(g, 3 * x * x - 4 * x, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("f", [aug_through_alias, aug_through_view], ids=lambda f: f.__name__)
def test_inplace_aliasing_correct_or_refused(f):
    from fdcheck import numeric_grad
    x = np.array([1.0, 2.0, 3.0])
    try:
        val, g = diffc.value_and_grad(f)(x)
    except diffc.DiffcError:
        return  # refusing the construct is acceptable
    assert float(val) == pytest.approx(float(f(x.copy())), rel=1e-12), "primal value differs from Python"
    np.testing.assert_allclose(g, numeric_grad(f, (x,), wrt=0), rtol=1e-5, atol=1e-7)


def test_fib_like_analytic():
    # start (a, b) = (x, y); after k steps a = F(k-1) x + F(k) y and
    # b = F(k) x + F(k+1) y with F(0)=0, F(1)=1; here k = 6.
    x, y = 0.3, 0.7
    F = [0, 1]
    for _ in range(10):
        F.append(F[-1] + F[-2])
    ca, da = F[5], F[6]  # a = F5*x + F6*y
    cb, db = F[6], F[7]  # b = F6*x + F7*y
    a = ca * x + da * y
    b = cb * x + db * y
    gx, gy = diffc.grad(fib_like, wrt=(0, 1))(x, y)
    assert gx == pytest.approx(ca * b + a * cb, rel=1e-12)
    assert gy == pytest.approx(da * b + a * db, rel=1e-12)


def test_swap_analytic():
    # a=2y, b=x -> 3*2y + x^2
    gx, gy = diffc.grad(swap, wrt=(0, 1))(0.5, 1.7)
    assert gx == pytest.approx(2 * 0.5)
    assert gy == pytest.approx(6.0)


def test_dead_store_analytic():
    # a = 3x ; return 3x^2 -> 6x
    assert diffc.grad(assign_dead_store)(0.8) == pytest.approx(6 * 0.8)


def test_cond_ne_eq_branches():
    x = 1.1
    g = diffc.grad(cond_ne_eq)
    assert g(x, 2) == pytest.approx(2 * x)
    assert g(x, 5) == pytest.approx(5.0)
    assert g(x, 3) == pytest.approx(3 * x * x)


def test_cond_is_none():
    g = diffc.grad(cond_is_none)
    assert g(1.5, None) == pytest.approx(3.0)
    assert g(1.5, "other") == pytest.approx(3.0)
    assert g(-0.5, None) == pytest.approx(-1.0)
