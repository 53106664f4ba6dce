"""Calls to user functions defined in this module: keyword and default
arguments, helpers returning tuples, chains of helpers, recursion, module
constants."""

import sys

import numpy as np
import pytest

import diffc
from fdcheck import check_grad

SCALE = 2.5
OFFSET = np.array([0.1, -0.2, 0.3])
V3 = np.array([0.7, -1.3, 0.4])
W3 = np.array([1.1, 0.6, -0.8])
M33 = np.array([[0.5, -0.2, 0.1], [0.3, 0.9, -0.4], [-0.6, 0.2, 0.7]])


# ------------------------------------------------------------------ helpers
def _sq_plus(a, b=1.0):
    return a * a + b


def _affine(x, w, bias=0.0, scale=1.0):
    return scale * (x * w) + bias


def _polar(r, t):
    return r * np.cos(t), r * np.sin(t)


def _three(x):
    return x, x * x, np.sin(x)


def _inner(x):
    return np.tanh(x) * 2.0


def _middle(x, y):
    return _inner(x * y) + _inner(y)


def _outer(x, y):
    return _middle(x, y) * _middle(y, x)


def _branchy(x):
    if x > 0.0:
        return x * x
    return -x * 3.0


def _loopy(x, n):
    for i in range(n):
        x = x * 0.5 + np.sin(x)
    return x


def _uses_globals(x):
    return SCALE * x + np.sum(OFFSET * x)


def _kwonly(x, *, p=2.0, q=1.0):
    return x ** p * q


def _unused_param(x, y):
    return x * 3.0


def _sum_sq(v):
    return np.sum(v * v)


def _rpow(x, n):
    if n == 0:
        return 1.0
    return x * _rpow(x, n - 1)


def _fpow(x, n):
    if n == 0:
        return 1.0
    h = _fpow(x, n // 2)
    if n % 2 == 0:
        return h * h
    return h * h * x


def _rsum_sin(x, i):
    if i < 0:
        return 0.0
    return np.sin(x[i]) * (i + 1.0) + _rsum_sin(x, i - 1)


def _ping(x, n):
    if n <= 0:
        return x
    return _pong(x * 1.1, n - 1) + x


def _pong(x, n):
    if n <= 0:
        return x * x
    return _ping(np.sin(x), n - 1) * 0.5


def _ackermann_like(x, n):
    # tree recursion: two recursive calls per level
    if n == 0:
        return x
    return _ackermann_like(x * 0.9, n - 1) + _ackermann_like(np.cos(x), n - 1)


def _array_helper(W, x, b):
    return np.tanh(W @ x + b)


MUTABLE_SCALE = 2.0


def uses_mutable_global(x):
    return MUTABLE_SCALE * x * x


def _rebindable_helper(x):
    return x * 2.0


def uses_rebindable_helper(x):
    return _rebindable_helper(x) * x


# ---------------------------------------------------------------- functions
def call_default(x):
    return _sq_plus(x) * x


def call_positional(x, y):
    return _sq_plus(x, y) * y


def call_keyword(x, y):
    return _sq_plus(x, b=y * y)


def call_all_keywords(x, y):
    return _sq_plus(b=x, a=y)


def call_mixed_defaults(x, w):
    return np.sum(_affine(x, w, scale=3.0)) + np.sum(_affine(w, x, 0.5))


def call_tuple_return(r, t):
    u, v = _polar(r, t)
    return u * u * 2.0 + v * 3.0


def call_tuple_return_indexed(r, t):
    p = _polar(r, t)
    return p[0] * p[1]


def call_three(x):
    a, b, c = _three(x)
    return a * b + c * c


def call_chain(x, y):
    return _outer(x, y)


def call_branchy(x):
    return _branchy(x) + _branchy(x * 2.0 - 3.0)


def call_loopy(x, n):
    return _loopy(x, n) * x


def call_globals(x):
    return _uses_globals(x) * x


def call_kwonly(x, y):
    return _kwonly(x, q=y) + _kwonly(x, p=3.0)


def call_unused_param(x, y):
    return _unused_param(x, y) + y


def call_in_loop(x):
    s = 0.0
    for i in range(4):
        s = s + _sq_plus(x * i, b=x)
    return s


def call_array_helper(W, x, b):
    return _sum_sq(_array_helper(W, x, b))


def call_helper_twice_fanout(x):
    h = _inner(x)
    return _sq_plus(h, h) * h


def call_helper_inactive_arg(x):
    # helper called with a constant in the differentiated position too
    return _sq_plus(2.0, x) + _sq_plus(x, 2.0)


def rec_pow(x, n):
    return _rpow(x, n)


def rec_fast_pow(x, n):
    return _fpow(x, n)


def rec_sum(x):
    return _rsum_sin(x, x.shape[0] - 1)


def rec_mutual(x, n):
    return _ping(x, n)


def rec_tree(x):
    return _ackermann_like(x, 4)


def self_recursive_factorial_weighted(x, n):
    if n <= 1:
        return x
    return x * n + self_recursive_factorial_weighted(x * x, n - 1)


CASES = [
    (call_default, (0.8,), 0),
    (call_positional, (0.8, 1.3), (0, 1)),
    (call_keyword, (0.8, 1.3), (0, 1)),
    (call_all_keywords, (0.8, 1.3), (0, 1)),
    (call_mixed_defaults, (V3, W3), (0, 1)),
    (call_tuple_return, (1.4, 0.6), (0, 1)),
    (call_tuple_return_indexed, (1.4, 0.6), (0, 1)),
    (call_three, (0.9,), 0),
    (call_chain, (0.4, -0.7), (0, 1)),
    (call_branchy, (0.7,), 0),
    (call_branchy, (2.0,), 0),
    (call_branchy, (-0.4,), 0),
    (call_loopy, (0.3, 3), 0),
    (call_globals, (0.6,), 0),
    (call_kwonly, (1.3, 0.7), (0, 1)),
    (call_unused_param, (0.4, 0.9), (0, 1)),
    (call_in_loop, (0.6,), 0),
    (call_array_helper, (M33, V3, W3), (0, 1, 2)),
    (call_helper_twice_fanout, (0.6,), 0),
    (call_helper_inactive_arg, (0.6,), 0),
    (rec_pow, (1.3, 5), 0),
    (rec_pow, (-0.7, 4), 0),
    (rec_pow, (1.3, 0), 0),
    (rec_fast_pow, (1.1, 13), 0),
    (rec_fast_pow, (-0.9, 6), 0),
    (rec_sum, (V3,), 0),
    (rec_mutual, (0.6, 5), 0),
    (rec_tree, (0.6,), 0),
    (self_recursive_factorial_weighted, (0.8, 4), 0),
]


@pytest.mark.parametrize(
    "f,args,wrt",
    [pytest.param(*c, id=f"{c[0].__name__}-{i}") for i, c in enumerate(CASES)],
)
def test_calls(f, args, wrt):
    check_grad(f, args, wrt=wrt)


@pytest.mark.parametrize("x,n", [(1.3, 5), (-0.7, 4), (1.1, 13), (2.0, 1), (0.5, 0)])
def test_recursive_power_analytic(x, n):
    expected = n * x ** (n - 1) if n > 0 else 0.0
    assert diffc.grad(rec_pow)(x, n) == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert diffc.grad(rec_fast_pow)(x, n) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_call_keyword_analytic():
    # _sq_plus(x, b=y*y) = x^2 + y^2
    gx, gy = diffc.grad(call_keyword, wrt=(0, 1))(0.8, 1.3)
    assert gx == pytest.approx(1.6)
    assert gy == pytest.approx(2.6)


# Python looks module globals up when the function runs.  A derivative that
# keeps using the value seen at build time is silently wrong.
def test_module_global_rebound_after_build(monkeypatch):
    d = diffc.grad(uses_mutable_global)
    assert d(1.5) == pytest.approx(2 * 2.0 * 1.5)
    monkeypatch.setattr(sys.modules[__name__], "MUTABLE_SCALE", 5.0)
    assert uses_mutable_global(1.5) == pytest.approx(5.0 * 1.5 * 1.5)
    assert d(1.5) == pytest.approx(2 * 5.0 * 1.5)


def test_module_global_rebound_fresh_request(monkeypatch):
    diffc.value_and_grad(uses_mutable_global)(1.0)  # build (and cache) with the old value
    monkeypatch.setattr(sys.modules[__name__], "MUTABLE_SCALE", 5.0)
    val, g = diffc.value_and_grad(uses_mutable_global)(1.5)
    assert val == pytest.approx(uses_mutable_global(1.5))
    assert g == pytest.approx(2 * 5.0 * 1.5)


def test_module_helper_rebound_after_build(monkeypatch):
    d = diffc.grad(uses_rebindable_helper)
    assert d(2.0) == pytest.approx(8.0)          # 2x^2 -> 4x

    def _replacement(x):
        return x * 5.0

    monkeypatch.setattr(sys.modules[__name__], "_rebindable_helper", _replacement)
    assert uses_rebindable_helper(2.0) == pytest.approx(20.0)
    g = diffc.grad(uses_rebindable_helper)(2.0)
    assert g == pytest.approx(20.0)              # 5x^2 -> 10x


def test_grad_of_helper_directly_with_default():
    # grad of a function that has a default argument, called without it
    g = diffc.grad(_sq_plus)
    assert g(1.5) == pytest.approx(3.0)
    assert g(1.5, 7.0) == pytest.approx(3.0)
    assert diffc.grad(_sq_plus, wrt=1)(1.5) == pytest.approx(1.0)
