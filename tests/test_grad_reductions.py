"""Reductions (sum/mean/prod/max/min as functions and methods, with axis and
keepdims) and broadcasting in every binary operation."""

import numpy as np
import pytest
from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st

import diffc
from fdcheck import check_grad

# distinct values (no ties for max/min), no zeros (prod)
A34 = np.array([[0.31, -0.52, 1.23, 0.14],
                [0.87, 0.16, -0.93, 0.45],
                [-0.27, 0.64, 0.58, -1.12]])
B34 = np.array([[1.1, 0.9, 1.3, 0.7],
                [0.8, 1.2, 0.6, 1.4],
                [1.05, 0.95, 1.15, 0.85]])
A234 = np.arange(1, 25).reshape(2, 3, 4) * 0.07 * np.where(np.arange(24) % 3 == 0, -1.0, 1.0).reshape(2, 3, 4)
V4 = np.array([0.7, -1.3, 0.4, 1.1])


# ---------------------------------------------------------------- reductions
def r_sum(x):
    return np.sum(np.sin(x))


def r_sum_axis0(x):
    return np.sum(np.sum(x, axis=0) ** 2)


def r_sum_axis1_keep(x):
    return np.sum(np.sum(x, axis=1, keepdims=True) * x)


def r_sum_axis_neg(x):
    return np.sum(np.sum(x, axis=-1) ** 3)


def r_sum_axis_tuple(x):
    return np.sum(np.sum(x, axis=(0, 2)) ** 2)


def r_sum_keep_none(x):
    return np.sum(np.sum(x * x, keepdims=True) * x)


def r_mean(x):
    return np.mean(x * x) + np.mean(x)


def r_mean_axis0(x):
    return np.sum(np.mean(x, axis=0) ** 2)


def r_mean_axis1_keep(x):
    return np.sum((x - np.mean(x, axis=1, keepdims=True)) ** 2)


def r_prod(x):
    return np.prod(x)


def r_prod_axis0(x):
    return np.sum(np.prod(x, axis=0))


def r_prod_axis1_keep(x):
    return np.sum(np.prod(x, axis=1, keepdims=True) * x)


def r_max(x):
    return np.max(x) * 2.0 + np.max(x * x)


def r_max_axis0(x):
    return np.sum(np.max(x, axis=0) * np.array([1.0, 2.0, 3.0, 4.0]))


def r_max_axis1_keep(x):
    return np.sum(np.exp(x - np.max(x, axis=1, keepdims=True)))


def r_min(x):
    return np.min(x) * np.min(x * 3.0 + 1.0)


def r_min_axis1(x):
    return np.sum(np.min(x, axis=1) ** 2)


def r_min_axis0_keep(x):
    return np.sum(np.min(x, axis=0, keepdims=True) * x)


def r_prod_with_zero(x):
    return np.prod(x) + np.sum(np.prod(x.reshape(2, 2), axis=0))


def r_max_axis_tuple(x):
    return np.sum(np.max(x, axis=(0, 1)) * np.array([1.0, 2.0, 3.0, 4.0]))


def m_sum_axis_tuple(x):
    return np.sum(x.sum(axis=(0, 2)) ** 2)


def r_mean_keep_times(x):
    return np.sum(np.mean(x, axis=1, keepdims=True) * x)


def m_sum(x):
    return x.sum()


def m_sum_axis0(x):
    return np.sum(x.sum(axis=0) ** 2)


def m_sum_axis1_keep(x):
    return np.sum(x.sum(axis=1, keepdims=True) * x)


def m_sum_positional_axis(x):
    return np.sum(x.sum(1) ** 2)


def m_mean(x):
    return x.mean() * x.mean(axis=0).sum()


def m_mean_keep(x):
    return ((x - x.mean(axis=0, keepdims=True)) ** 2).sum()


def m_prod(x):
    return x.prod() + x.prod(axis=1).sum()


def m_max(x):
    return x.max() + (x.max(axis=1) ** 2).sum()


def m_min(x):
    return x.min() * 2.0 + (x.min(axis=0, keepdims=True) * x).sum()


def logsumexp(x):
    m = np.max(x, axis=1, keepdims=True)
    return np.sum(m + np.log(np.sum(np.exp(x - m), axis=1, keepdims=True)))


def softmax_xent(x, t):
    z = x - np.max(x, axis=-1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
    return -np.mean(np.sum(t * logp, axis=-1))


def normalize_rows(x):
    n = np.sqrt(np.sum(x * x, axis=1, keepdims=True))
    y = x / n
    return np.sum(y * np.array([1.0, -2.0, 3.0, 0.5]))


def variance(x):
    mu = np.mean(x)
    return np.mean((x - mu) ** 2)


RED = [
    (r_sum, A34), (r_sum, V4), (r_sum_axis0, A34), (r_sum_axis1_keep, A34),
    (r_sum_axis_neg, A34), (r_sum_axis_tuple, A234), (r_sum_keep_none, A34),
    (r_mean, A34), (r_mean_axis0, A34), (r_mean_axis1_keep, A34),
    (r_prod, V4), (r_prod, A34), (r_prod_axis0, A34), (r_prod_axis1_keep, A34),
    (r_max, A34), (r_max, V4), (r_max_axis0, A34), (r_max_axis1_keep, A34),
    (r_min, A34), (r_min_axis1, A34), (r_min_axis0_keep, A34),
    (r_prod_with_zero, np.array([2.0, 0.0, 3.0, -1.5])), (r_max_axis_tuple, A234),
    (m_sum_axis_tuple, A234), (r_mean_keep_times, A34),
    (r_mean_keep_times, np.array([[1, 2, 3], [4, 5, 7]])),
    (m_sum, A34), (m_sum_axis0, A34), (m_sum_axis1_keep, A34), (m_sum_positional_axis, A34),
    (m_mean, A34), (m_mean_keep, A34), (m_prod, A34), (m_max, A34), (m_min, A34),
    (logsumexp, A34), (normalize_rows, A34), (variance, A34), (variance, V4),
]


@pytest.mark.parametrize(
    "f,x", [pytest.param(f, x, id=f"{f.__name__}-{x.ndim}d") for f, x in RED]
)
def test_reduction(f, x):
    check_grad(f, (x,), wrt=0)


def test_softmax_xent():
    t = np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]], dtype=np.float64)
    check_grad(softmax_xent, (A34, t), wrt=0)


def test_max_analytic_onehot():
    # d max(x) = one-hot at argmax; d max(x*x) = 2x one-hot at argmax(x*x)
    x = A34
    g = diffc.grad(r_max)(x)
    exp = np.zeros_like(x)
    exp[np.unravel_index(np.argmax(x), x.shape)] += 2.0
    k = np.unravel_index(np.argmax(x * x), x.shape)
    exp[k] += 2.0 * x[k]
    np.testing.assert_allclose(g, exp, rtol=1e-12, atol=1e-15)


def test_prod_analytic():
    x = V4
    g = diffc.grad(r_prod)(x)
    exp = np.array([np.prod(np.delete(x, i)) for i in range(x.size)])
    np.testing.assert_allclose(g, exp, rtol=1e-12)


def test_prod_with_zero_analytic():
    # d prod(x) / dx_i = prod of the others: finite even where x_i == 0
    x = np.array([2.0, 0.0, 3.0, -1.5])
    g = diffc.grad(r_prod_with_zero)(x)
    exp = np.array([np.prod(np.delete(x, i)) for i in range(4)])
    m = x.reshape(2, 2)
    exp += np.array([m[1, 0], m[1, 1], m[0, 0], m[0, 1]])
    np.testing.assert_allclose(g, exp, rtol=1e-12, atol=1e-15)


def test_mean_analytic():
    x = A34
    g = diffc.grad(r_mean)(x)
    np.testing.assert_allclose(g, (2 * x + 1) / x.size, rtol=1e-12)


# -------------------------------------------------------------- broadcasting
def bc_add(x, y):
    return np.sum(np.sin(x + y))


def bc_sub(x, y):
    return np.sum(np.sin(x - y))


def bc_mul(x, y):
    return np.sum(np.sin(x * y))


def bc_div(x, y):
    return np.sum(np.sin(x / y))


def bc_pow(x, y):
    return np.sum(np.sin(x ** y))


def bc_np_add(x, y):
    return np.sum(np.sin(np.add(x, y)))


def bc_np_subtract(x, y):
    return np.sum(np.sin(np.subtract(x, y)))


def bc_np_multiply(x, y):
    return np.sum(np.sin(np.multiply(x, y)))


def bc_np_divide(x, y):
    return np.sum(np.sin(np.divide(x, y)))


def bc_np_power(x, y):
    return np.sum(np.sin(np.power(x, y)))


def bc_maximum(x, y):
    return np.sum(np.sin(np.maximum(x, y)))


def bc_minimum(x, y):
    return np.sum(np.sin(np.minimum(x, y)))


def bc_where(x, y):
    return np.sum(np.sin(np.where(x > y, x * 2.0, y * y)))


def _shape_pairs():
    # (x shape, y shape)
    return [
        ((3, 4), (4,)),
        ((3, 1), (1, 4)),
        ((2, 3, 4), (3, 1)),
        ((3, 4), ()),      # Python float
        ((), (3, 4)),      # Python float
        ((1, 4), (2, 3, 1)),
    ]


def _make(shape, seed, positive):
    rng = np.random.default_rng(seed)
    if shape == ():
        v = float(rng.uniform(0.6, 1.4))
        return v if positive else (v if seed % 2 else -v)
    a = rng.uniform(0.5, 1.5, size=shape)
    if not positive:
        a = a * np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    return a


BC_FUNCS = [bc_add, bc_sub, bc_mul, bc_div, bc_pow, bc_np_add, bc_np_subtract,
            bc_np_multiply, bc_np_divide, bc_np_power, bc_maximum, bc_minimum, bc_where]


@pytest.mark.parametrize("xs,ys", _shape_pairs(), ids=lambda s: "x".join(map(str, s)) or "scalar")
@pytest.mark.parametrize("f", BC_FUNCS, ids=lambda f: f.__name__)
def test_broadcasting(f, xs, ys):
    positive = f in (bc_pow, bc_np_power, bc_div, bc_np_divide)
    x = _make(xs, 1, positive)
    y = _make(ys, 2, positive)
    check_grad(f, (x, y), wrt=(0, 1))


# ---------------------------------------------------------- property based
def mlp_loss(W, b, x):
    h = np.tanh(x @ W + b)
    return np.mean(h * h) + np.sum(W * W) * 0.01


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(n=st.integers(1, 4), d=st.integers(1, 4), k=st.integers(1, 3), seed=st.integers(0, 10_000))
def test_property_mlp_shapes(n, d, k, seed):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(d, k))
    b = rng.normal(size=(k,))
    x = rng.normal(size=(n, d))
    check_grad(mlp_loss, (W, b, x), wrt=(0, 1, 2))
