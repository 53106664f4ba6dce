"""NumPy elementwise functions (unary and binary), on arrays, Python floats,
2-D arrays, float32 and integer inputs."""

import numpy as np
import pytest

import diffc
from fdcheck import check_grad

C4 = np.array([0.6, -1.1, 0.8, 1.7])
C23 = np.array([[0.6, -1.1, 0.8], [1.7, 0.3, -0.4]])


# One module-level function per NumPy unary function (diffc reads source).
def u_exp(x, c):
    return np.sum(np.exp(x) * c)


def u_log(x, c):
    return np.sum(np.log(x) * c)


def u_log1p(x, c):
    return np.sum(np.log1p(x) * c)


def u_expm1(x, c):
    return np.sum(np.expm1(x) * c)


def u_sqrt(x, c):
    return np.sum(np.sqrt(x) * c)


def u_sin(x, c):
    return np.sum(np.sin(x) * c)


def u_cos(x, c):
    return np.sum(np.cos(x) * c)


def u_tan(x, c):
    return np.sum(np.tan(x) * c)


def u_arcsin(x, c):
    return np.sum(np.arcsin(x) * c)


def u_arccos(x, c):
    return np.sum(np.arccos(x) * c)


def u_arctan(x, c):
    return np.sum(np.arctan(x) * c)


def u_sinh(x, c):
    return np.sum(np.sinh(x) * c)


def u_cosh(x, c):
    return np.sum(np.cosh(x) * c)


def u_tanh(x, c):
    return np.sum(np.tanh(x) * c)


def u_square(x, c):
    return np.sum(np.square(x) * c)


def u_abs(x, c):
    return np.sum(np.abs(x) * c)


def u_absolute(x, c):
    return np.sum(np.absolute(x) * c)


# scalar versions (Python float in, Python float gradient out)
def s_exp(x):
    return np.exp(x) * 2.0


def s_log(x):
    return np.log(x) * x


def s_log1p(x):
    return np.log1p(x) * 3.0


def s_expm1(x):
    return np.expm1(x) / 2.0


def s_sqrt(x):
    return np.sqrt(x) * x


def s_sin(x):
    return np.sin(x) * 2.0


def s_cos(x):
    return np.cos(x) * x


def s_tan(x):
    return np.tan(x) * 2.0


def s_arcsin(x):
    return np.arcsin(x) * 2.0


def s_arccos(x):
    return np.arccos(x) * 2.0


def s_arctan(x):
    return np.arctan(x) * x


def s_sinh(x):
    return np.sinh(x) * 2.0


def s_cosh(x):
    return np.cosh(x) * 2.0


def s_tanh(x):
    return np.tanh(x) * x


def s_square(x):
    return np.square(x) * 2.0


def s_abs(x):
    return np.abs(x) * 2.0


POS = np.array([0.4, 1.3, 2.2, 0.9])         # log, sqrt
UNIT = np.array([-0.7, -0.2, 0.35, 0.8])      # arcsin, arccos
GEN = np.array([-1.2, -0.3, 0.45, 1.1])       # everything else
LOG1P = np.array([-0.6, -0.1, 0.5, 2.0])
TAN = np.array([-1.2, -0.5, 0.3, 1.1])

UNARY = [
    (u_exp, GEN, 0.8),
    (u_log, POS, 1.5),
    (u_log1p, LOG1P, -0.3),
    (u_expm1, GEN, 0.5),
    (u_sqrt, POS, 1.5),
    (u_sin, GEN, 0.8),
    (u_cos, GEN, 0.8),
    (u_tan, TAN, 0.8),
    (u_arcsin, UNIT, -0.35),
    (u_arccos, UNIT, -0.35),
    (u_arctan, GEN, 0.8),
    (u_sinh, GEN, 0.8),
    (u_cosh, GEN, 0.8),
    (u_tanh, GEN, 0.8),
    (u_square, GEN, 0.8),
    (u_abs, GEN, 0.8),
    (u_absolute, GEN, 0.8),
]

SCALAR_UNARY = [
    (s_exp, 0.8), (s_log, 1.5), (s_log1p, -0.3), (s_expm1, 0.5), (s_sqrt, 1.5),
    (s_sin, 0.8), (s_cos, 0.8), (s_tan, 0.8), (s_arcsin, -0.35), (s_arccos, -0.35),
    (s_arctan, 0.8), (s_sinh, 0.8), (s_cosh, 0.8), (s_tanh, 0.8), (s_square, -0.8),
    (s_abs, -0.8), (s_abs, 0.8),
]


@pytest.mark.parametrize("f,x,_", UNARY, ids=[u[0].__name__ for u in UNARY])
def test_unary_1d(f, x, _):
    check_grad(f, (x, C4), wrt=0)


@pytest.mark.parametrize("f,x,_", UNARY, ids=[u[0].__name__ for u in UNARY])
def test_unary_2d(f, x, _):
    # reshape the domain-safe values to 2-D (repeat to 2x4 by a permutation)
    x2 = np.stack([x, x[::-1]])
    c2 = np.stack([C4, C4 * -0.5])
    check_grad(f, (x2, c2), wrt=0)


@pytest.mark.parametrize("f,x", SCALAR_UNARY, ids=[f"{u[0].__name__}-{u[1]}" for u in SCALAR_UNARY])
def test_unary_python_float(f, x):
    check_grad(f, (x,), wrt=0)


@pytest.mark.parametrize("f,xs", [(u_exp, 0.8), (u_log, 1.5), (u_arcsin, -0.35), (u_abs, -0.8)],
                         ids=["u_exp", "u_log", "u_arcsin", "u_abs"])
def test_unary_scalar_inside_array_fn(f, xs):
    # a Python float argument broadcast against an array inside the function
    check_grad(f, (xs, C4), wrt=(0, 1))


def test_unary_float32():
    x = GEN.astype(np.float32)
    c = C4.astype(np.float32)
    g = check_grad(u_tanh, (x, c), wrt=(0, 1))
    assert g[0].dtype == np.float32 and g[1].dtype == np.float32


def test_unary_int_array_gets_nonzero_float_grad():
    x = np.array([1, -2, 3, 0])
    g = check_grad(u_sin, (x, C4), wrt=0)
    assert np.issubdtype(g.dtype, np.floating)
    np.testing.assert_allclose(g, np.cos(x) * C4, rtol=1e-12)


# ----------------------------------------------------------------- analytic
ANALYTIC = {
    u_exp: np.exp,
    u_log: lambda x: 1.0 / x,
    u_log1p: lambda x: 1.0 / (1.0 + x),
    u_expm1: np.exp,
    u_sqrt: lambda x: 0.5 / np.sqrt(x),
    u_sin: np.cos,
    u_cos: lambda x: -np.sin(x),
    u_tan: lambda x: 1.0 / np.cos(x) ** 2,
    u_arcsin: lambda x: 1.0 / np.sqrt(1.0 - x * x),
    u_arccos: lambda x: -1.0 / np.sqrt(1.0 - x * x),
    u_arctan: lambda x: 1.0 / (1.0 + x * x),
    u_sinh: np.cosh,
    u_cosh: np.sinh,
    u_tanh: lambda x: 1.0 - np.tanh(x) ** 2,
    u_square: lambda x: 2.0 * x,
    u_abs: np.sign,
    u_absolute: np.sign,
}


@pytest.mark.parametrize("f,x,_", UNARY, ids=[u[0].__name__ for u in UNARY])
def test_unary_analytic(f, x, _):
    g = diffc.grad(f)(x, C4)
    np.testing.assert_allclose(g, ANALYTIC[f](x) * C4, rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------ binary
def b_add(x, y):
    return np.sum(np.add(x, y) ** 2)


def b_subtract(x, y):
    return np.sum(np.subtract(x, y) ** 2 * x)


def b_multiply(x, y):
    return np.sum(np.multiply(x, y) * x)


def b_divide(x, y):
    return np.sum(np.divide(x, y) * x)


def b_power(x, y):
    return np.sum(np.power(x, y))


def b_maximum(x, y):
    return np.sum(np.maximum(x, y) * np.array([1.0, 2.0, 3.0, 4.0]))


def b_minimum(x, y):
    return np.sum(np.minimum(x, y) ** 3)


def b_where(x, y):
    return np.sum(np.where(x > y, x * x, y * 3.0 + x))


def b_where_scalar_branch(x, y):
    return np.sum(np.where(x > 0.0, x * y, 0.0))


def b_where_cond_inactive(x, y, mask):
    return np.sum(np.where(mask, np.sin(x), np.cos(y)))


def b_max_min_chain(x, y):
    return np.sum(np.maximum(np.minimum(x, 1.0), y) * x)


def sigmoid_xent(w, x, t):
    z = np.sum(w * x)
    p = 1.0 / (1.0 + np.exp(-z))
    return -(t * np.log(p) + (1.0 - t) * np.log(1.0 - p))


def softplus(x):
    return np.sum(np.log1p(np.exp(x)))


def relu_mlp_like(x, w):
    h = np.maximum(x * w, 0.0)
    return np.sum(h * h + np.tanh(h))


def gelu_like(x):
    return np.sum(0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * x ** 3))))


def chain_of_ops(x):
    y = np.exp(np.sin(x) * 0.5)
    z = np.sqrt(y * y + 1.0) / np.cosh(x)
    return np.sum(np.arctan(z) * np.log1p(y))


PX = np.array([0.7, 1.3, 0.4, 1.9])
PY = np.array([1.2, 0.5, 0.9, 1.4])

BINARY = [
    (b_add, (GEN, PY), (0, 1)),
    (b_subtract, (GEN, PY), (0, 1)),
    (b_multiply, (GEN, PY), (0, 1)),
    (b_divide, (GEN, PY), (0, 1)),
    (b_power, (PX, GEN), (0, 1)),
    (b_maximum, (GEN, PY - 1.0), (0, 1)),
    (b_minimum, (GEN, PY - 1.0), (0, 1)),
    (b_where, (GEN, PY - 1.0), (0, 1)),
    (b_where_scalar_branch, (GEN, PY), (0, 1)),
    (b_where_cond_inactive, (GEN, PY, np.array([True, False, False, True])), (0, 1)),
    (b_max_min_chain, (GEN, PY - 1.0), (0, 1)),
    (b_maximum, (GEN, 0.1), (0, 1)),
    (b_minimum, (0.25, GEN), (0, 1)),
    (b_power, (PX, 1.7), (0, 1)),
    (b_power, (2.5, GEN), (0, 1)),
    (b_divide, (1.5, PY), (0, 1)),
    (sigmoid_xent, (GEN, PY, 1.0), (0, 1)),
    (sigmoid_xent, (GEN, PY, 0.0), (0, 1)),
    (softplus, (GEN,), 0),
    (relu_mlp_like, (GEN, PY), (0, 1)),
    (gelu_like, (GEN,), 0),
    (chain_of_ops, (GEN,), 0),
]


@pytest.mark.parametrize(
    "f,args,wrt",
    [pytest.param(*c, id=f"{c[0].__name__}-{i}") for i, c in enumerate(BINARY)],
)
def test_binary_and_composite(f, args, wrt):
    check_grad(f, args, wrt=wrt)


def test_maximum_analytic():
    x, y = GEN, PY - 1.0
    gx, gy = diffc.grad(b_maximum, wrt=(0, 1))(x, y)
    w = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(gx, np.where(x > y, w, 0.0))
    np.testing.assert_allclose(gy, np.where(x > y, 0.0, w))


def test_where_analytic():
    x, y = GEN, PY - 1.0
    gx, gy = diffc.grad(b_where, wrt=(0, 1))(x, y)
    np.testing.assert_allclose(gx, np.where(x > y, 2 * x, 1.0))
    np.testing.assert_allclose(gy, np.where(x > y, 0.0, 3.0))
