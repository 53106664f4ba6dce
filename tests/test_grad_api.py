"""Public API: wrt (ints, names, tuples), signature/keywords/defaults,
caching, source/verbose, value_and_grad, vjp, dtype/shape rules, no
mutation of the caller's arrays."""

import inspect
import time

import numpy as np
import pytest

import diffc
from fdcheck import (
    assert_same_type,
    check_grad,
    check_value_and_grad,
    check_vjp,
    numeric_grad,
    numeric_vjp,
)

RNG = np.random.default_rng(11)
W3 = RNG.normal(size=3)
X53 = RNG.normal(size=(5, 3))
Y5 = RNG.normal(size=5)
CONST3 = np.array([0.5, -1.5, 2.0])


def loss(w, X, y):
    r = np.tanh(X @ w) - y
    return np.sum(r * r) + 0.1 * np.sum(w * w)


def loss_default(w, X, y, lam=0.1, power=2):
    r = X @ w - y
    return np.mean(r ** power) + lam * np.sum(w * w)


def f_simple(x):
    return np.sum(np.sin(x) * x)


def f_scalar(x):
    return x * x * 3.0 + np.sin(x)


def f_two(x, y):
    return np.sum(x * y * y)


def f_unused(x, y):
    return np.sum(x * x)


def f_shape_only(x, y):
    return np.sum(x) * y.shape[0]


def f_identity_sum(x):
    return np.sum(x)


def f_times_other(x, y):
    return np.sum(x * y)


def f_times_const(x):
    return np.sum(x * CONST3)


def f_local_inplace(x, y):
    z = x * 1.0
    z += y
    z *= x
    return np.sum(z)


def f_mixed_precision(x, c):
    return np.sum(np.tanh(x) * c)


def f_int_poly(n):
    return n * n * 0.5 + 1.5 * n


def f_verbose_only(x):
    return np.sum(np.cos(x) * x * 2.0)


def f_big(x):
    a = x * 1.1
    b = np.sin(a) + x
    c = b * b - a
    d = np.tanh(c) * b
    e = d + c * a
    f = np.exp(-e * e) + d
    g = f * a - b
    h = np.cos(g) * f
    i = h + g * e
    j = np.sum(i * x)
    if j > 0.0:
        j = j * 2.0
    else:
        j = j - 1.0
    for k in range(3):
        j = j + np.sum(np.sin(x * k))
    return j


def f_kwonly(x, *, s=2.0):
    return x * x * s


def f_default_array(x, c=np.array([1.0, 2.0, 3.0])):
    return np.sum(x * c * c)


# vjp targets (non-scalar outputs)
def v_elementwise(x):
    return np.sin(x) * x


def v_matvec(A, x):
    return np.tanh(A @ x)


def v_matrix_out(x, y):
    return x[:, None] * y[None, :]


def v_scalar_times_array(s, x):
    return s * x * x


# --------------------------------------------------------------------- wrt
def test_default_is_first_argument_single():
    g = diffc.grad(loss)(W3, X53, Y5)
    assert isinstance(g, np.ndarray) and g.shape == W3.shape
    np.testing.assert_allclose(g, numeric_grad(loss, (W3, X53, Y5), wrt=0), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("wrt", [0, 1, 2, "w", "X", "y"])
def test_wrt_single(wrt):
    check_grad(loss, (W3, X53, Y5), wrt=wrt)


@pytest.mark.parametrize("wrt", [(0,), (0, 2), (2, 0), ("w", "y"), ("X",), (0, "X", 2)])
def test_wrt_tuple(wrt):
    check_grad(loss, (W3, X53, Y5), wrt=wrt)


def test_wrt_name_equals_index():
    a = diffc.grad(loss, wrt="X")(W3, X53, Y5)
    b = diffc.grad(loss, wrt=1)(W3, X53, Y5)
    np.testing.assert_allclose(a, b, rtol=0, atol=0)
    ta = diffc.grad(loss, wrt=("w", "y"))(W3, X53, Y5)
    tb = diffc.grad(loss, wrt=(0, 2))(W3, X53, Y5)
    assert isinstance(ta, tuple) and len(ta) == 2
    for p, q in zip(ta, tb):
        np.testing.assert_allclose(p, q, rtol=0, atol=0)


def test_wrt_tuple_order_is_respected():
    gy, gw = diffc.grad(loss, wrt=(2, 0))(W3, X53, Y5)
    assert gy.shape == Y5.shape and gw.shape == W3.shape


# ------------------------------------------------------- signature / keywords
def test_signature_preserved():
    for wrt in (0, (0, 2), "lam"):
        d = diffc.grad(loss_default, wrt=wrt)
        s0 = inspect.signature(loss_default)
        s1 = inspect.signature(d)
        assert list(s1.parameters) == list(s0.parameters)
        for name, p in s0.parameters.items():
            assert s1.parameters[name].default == p.default
            assert s1.parameters[name].kind == p.kind


def test_keyword_call():
    d = diffc.grad(loss)
    g_pos = d(W3, X53, Y5)
    g_kw = d(W3, X=X53, y=Y5)
    g_allkw = d(w=W3, X=X53, y=Y5)
    g_shuffled = d(y=Y5, w=W3, X=X53)
    for g in (g_kw, g_allkw, g_shuffled):
        np.testing.assert_allclose(g, g_pos, rtol=1e-13, atol=1e-15)


def test_defaults_used_and_overridden():
    d = diffc.grad(loss_default)
    g_def = d(W3, X53, Y5)
    np.testing.assert_allclose(g_def, numeric_grad(loss_default, (W3, X53, Y5), wrt=0), rtol=1e-5, atol=1e-7)
    g_kw = d(W3, X53, Y5, lam=0.7, power=4)
    ref = numeric_grad(loss_default, (W3, X53, Y5), wrt=0, kwargs={"lam": 0.7, "power": 4})
    np.testing.assert_allclose(g_kw, ref, rtol=1e-5, atol=1e-7)
    assert not np.allclose(g_kw, g_def)


def test_wrt_parameter_passed_by_keyword():
    d = diffc.grad(loss_default, wrt="lam")
    lam = 0.3
    g = d(W3, X53, Y5, lam=lam)
    # d/dlam = sum(w*w)
    assert g == pytest.approx(float(np.sum(W3 * W3)), rel=1e-12)
    assert isinstance(g, float)


def test_wrt_first_arg_passed_by_keyword():
    d = diffc.grad(loss, wrt=(0, 2))
    gw, gy = d(w=W3, X=X53, y=Y5)
    rw, ry = numeric_grad(loss, (W3, X53, Y5), wrt=(0, 2))
    np.testing.assert_allclose(gw, rw, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gy, ry, rtol=1e-5, atol=1e-7)


# ------------------------------------------------------------------ caching
def test_cached_equivalent():
    d1 = diffc.grad(f_two, wrt=1)
    d2 = diffc.grad(f_two, wrt=1)
    assert diffc.source(d1) == diffc.source(d2)
    x, y = W3, CONST3
    np.testing.assert_array_equal(d1(x, y), d2(x, y))


def test_cache_distinguishes_options():
    x, y = W3, CONST3
    g0 = diffc.grad(f_two, wrt=0)(x, y)
    g1 = diffc.grad(f_two, wrt=1)(x, y)
    np.testing.assert_allclose(g0, y * y, rtol=1e-13)
    np.testing.assert_allclose(g1, 2 * x * y, rtol=1e-13)
    g01 = diffc.grad(f_two, wrt=(0, 1))(x, y)
    assert isinstance(g01, tuple) and len(g01) == 2


def test_cache_avoids_retransforming():
    t0 = time.perf_counter()
    d1 = diffc.grad(f_big)
    d1(W3)  # build may be lazy: force it
    t1 = time.perf_counter() - t0
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        d2 = diffc.grad(f_big)
        d2(W3)
        times.append(time.perf_counter() - t0)
    np.testing.assert_array_equal(d1(W3), d2(W3))
    if t1 > 0.02:  # only meaningful when transformation is measurably slow
        assert min(times) < t1 / 3, (t1, times)


# ---------------------------------------------------------- source / verbose
def test_source_is_python():
    d = diffc.grad(loss, wrt=(0, 1))
    src = diffc.source(d)
    assert isinstance(src, str) and src.strip()
    compile(src, "<diffc-source>", "exec")


def test_source_contains_def():
    src = diffc.source(diffc.grad(f_simple))
    assert isinstance(src, str) and "def" in src


def test_verbose_prints_source(capsys):
    d = diffc.grad(f_verbose_only, verbose=True)
    g = d(W3)
    out = capsys.readouterr().out
    assert "def" in out
    np.testing.assert_allclose(g, np.cos(W3) * 2 - 2 * W3 * np.sin(W3), rtol=1e-12)
    # later calls do not print again
    d(W3)
    assert capsys.readouterr().out == ""


def test_not_verbose_prints_nothing(capsys):
    d = diffc.grad(f_simple)
    d(W3)
    assert capsys.readouterr().out == ""


# ------------------------------------------------------------ value_and_grad
@pytest.mark.parametrize("wrt", [None, 0, "X", (0, 2), ("w", "X", "y")])
def test_value_and_grad(wrt):
    check_value_and_grad(loss, (W3, X53, Y5), wrt=wrt)


def test_value_and_grad_scalar_types():
    val, g = diffc.value_and_grad(f_scalar)(0.7)
    assert val == pytest.approx(f_scalar(0.7), rel=1e-14)
    assert g == pytest.approx(6 * 0.7 + np.cos(0.7), rel=1e-12)
    assert isinstance(g, float)


def test_value_and_grad_keywords_defaults():
    vg = diffc.value_and_grad(loss_default, wrt=0)
    val, g = vg(W3, X53, y=Y5, lam=0.5)
    assert val == pytest.approx(float(loss_default(W3, X53, Y5, lam=0.5)), rel=1e-13)
    ref = numeric_grad(loss_default, (W3, X53, Y5), wrt=0, kwargs={"lam": 0.5})
    np.testing.assert_allclose(g, ref, rtol=1e-5, atol=1e-7)


# --------------------------------------------------------------------- vjp
def test_vjp_elementwise():
    ct = RNG.normal(size=3)
    check_vjp(v_elementwise, (W3,), ct, wrt=0)


def test_vjp_matvec_both():
    ct = RNG.normal(size=5)
    check_vjp(v_matvec, (X53, W3), ct, wrt=(0, 1))


def test_vjp_matvec_by_name():
    ct = RNG.normal(size=5)
    check_vjp(v_matvec, (X53, W3), ct, wrt="x")


def test_vjp_matrix_output():
    ct = RNG.normal(size=(3, 5))
    check_vjp(v_matrix_out, (W3, Y5), ct, wrt=(0, 1))


def test_vjp_python_scalar_arg():
    ct = RNG.normal(size=3)
    g = check_vjp(v_scalar_times_array, (1.3, W3), ct, wrt=0)
    assert isinstance(g, float)


def test_vjp_analytic():
    ct = RNG.normal(size=3)
    g = diffc.vjp(v_elementwise, wrt=0)(W3, ct)
    np.testing.assert_allclose(g, ct * (np.cos(W3) * W3 + np.sin(W3)), rtol=1e-12)


def test_vjp_of_scalar_function_matches_grad():
    g = diffc.vjp(f_simple, wrt=0)(W3, 2.0)
    np.testing.assert_allclose(g, 2.0 * diffc.grad(f_simple)(W3), rtol=1e-12)


# ------------------------------------------------------------ dtype / shape
def test_python_float_gives_python_float():
    g = diffc.grad(f_scalar)(0.7)
    assert type(g) is float
    assert g == pytest.approx(6 * 0.7 + np.cos(0.7), rel=1e-12)


def test_python_int_gives_float():
    g = diffc.grad(f_int_poly)(3)
    assert isinstance(g, float)
    assert g == pytest.approx(3 + 1.5)


def test_python_int_fd():
    check_grad(f_scalar, (2,), wrt=0)


def test_int_array_gets_float_nonzero_grad():
    x = np.array([1, 2, -3])
    g = check_grad(f_simple, (x,), wrt=0)
    assert np.issubdtype(g.dtype, np.floating)
    np.testing.assert_allclose(g, np.cos(x) * x + np.sin(x), rtol=1e-12)


def test_int_array_linear_half():
    # gradient 0.5 everywhere would truncate to 0 in an int buffer
    x = np.array([[1, 2], [3, 4]])
    g = diffc.grad(f_times_other)(x, np.full((2, 2), 0.5))
    assert np.issubdtype(g.dtype, np.floating)
    np.testing.assert_allclose(g, np.full((2, 2), 0.5))


def test_float32_preserved():
    x = W3.astype(np.float32)
    g = check_grad(f_simple, (x,), wrt=0)
    assert g.dtype == np.float32


def test_float32_mixed_with_float64():
    x = W3.astype(np.float32)
    c = CONST3  # float64
    gx, gc = check_grad(f_mixed_precision, (x, c), wrt=(0, 1))
    assert gx.dtype == np.float32 and gc.dtype == np.float64


def test_float32_2d_matmul():
    X = X53.astype(np.float32)
    w = W3.astype(np.float32)
    g = check_grad(loss, (w, X, Y5.astype(np.float32)), wrt=(0, 1, 2))
    assert all(gi.dtype == np.float32 for gi in g)


def test_numpy_float32_scalar_argument():
    x = np.float32(0.7)
    g = diffc.grad(f_scalar)(x)
    assert np.shape(g) == () and np.asarray(g).dtype == np.float32
    assert float(g) == pytest.approx(6 * 0.7 + np.cos(0.7), rel=1e-5)


def test_float16_preserved():
    x = np.array([1.0, 2.0, -0.5], dtype=np.float16)
    g = diffc.grad(f_identity_sum)(x)
    assert g.dtype == np.float16 and g.shape == x.shape
    np.testing.assert_array_equal(g, np.ones(3, dtype=np.float16))


def test_same_array_object_for_two_parameters():
    a = W3.copy()
    gx, gy = diffc.grad(f_two, wrt=(0, 1))(a, a)
    np.testing.assert_allclose(gx, W3 * W3, rtol=1e-13)
    np.testing.assert_allclose(gy, 2 * W3 * W3, rtol=1e-13)
    np.testing.assert_array_equal(a, W3)


def test_keyword_only_parameter():
    assert diffc.grad(f_kwonly)(1.5, s=3.0) == pytest.approx(9.0)
    assert diffc.grad(f_kwonly)(1.5) == pytest.approx(6.0)
    assert diffc.grad(f_kwonly, wrt="s")(1.5, s=3.0) == pytest.approx(2.25)


def test_wrt_parameter_left_at_its_default():
    # gradient w.r.t. c evaluated at its default value
    x = np.array([0.5, -1.0, 2.0])
    g = diffc.grad(f_default_array, wrt="c")(x)
    np.testing.assert_allclose(g, 2 * x * np.array([1.0, 2.0, 3.0]), rtol=1e-13)
    g2 = diffc.grad(loss_default, wrt="lam")(W3, X53, Y5)
    assert g2 == pytest.approx(float(np.sum(W3 * W3)), rel=1e-12)


def test_zero_d_array():
    x = np.array(0.7)
    g = diffc.grad(f_scalar)(x)
    assert np.shape(g) == ()
    assert np.asarray(g).dtype == np.float64
    assert float(g) == pytest.approx(6 * 0.7 + np.cos(0.7), rel=1e-12)


def test_unused_argument_gets_zeros():
    gx, gy = diffc.grad(f_unused, wrt=(0, 1))(W3, X53)
    assert_same_type(gy, X53)
    np.testing.assert_array_equal(gy, np.zeros_like(X53))
    np.testing.assert_allclose(gx, 2 * W3)


def test_shape_only_argument_gets_zeros():
    gy = diffc.grad(f_shape_only, wrt=1)(W3, X53)
    assert_same_type(gy, X53)
    np.testing.assert_array_equal(gy, np.zeros_like(X53))


def test_unused_python_float_argument_gets_float_zero():
    gy = diffc.grad(f_unused, wrt=1)(W3, 2.5)
    assert isinstance(gy, float) and gy == 0.0


# --------------------------------------------------------- no mutation / state
def test_local_inplace_does_not_touch_caller():
    x, y = W3.copy(), CONST3.copy()
    check_grad(f_local_inplace, (x, y), wrt=(0, 1))
    np.testing.assert_array_equal(x, W3)
    np.testing.assert_array_equal(y, CONST3)


def test_gradient_does_not_alias_arguments():
    x, y = W3.copy(), CONST3.copy()
    gx = diffc.grad(f_times_other, wrt=0)(x, y)   # == y
    gy = diffc.grad(f_times_other, wrt=1)(x, y)   # == x
    assert not np.shares_memory(gx, y)
    assert not np.shares_memory(gy, x)
    gx += 100.0
    gy += 100.0
    np.testing.assert_array_equal(x, W3)
    np.testing.assert_array_equal(y, CONST3)


def test_repeated_calls_are_independent():
    d = diffc.grad(loss, wrt=(0, 1))
    a1 = d(W3, X53, Y5)
    b = d(W3 * -2.0, X53[:2], Y5[:2])      # different shapes in between
    a2 = d(W3, X53, Y5)
    assert b[1].shape == (2, 3)
    for p, q in zip(a1, a2):
        np.testing.assert_array_equal(p, q)
    rb = numeric_grad(loss, (W3 * -2.0, X53[:2], Y5[:2]), wrt=(0, 1))
    for p, q in zip(b, rb):
        np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-7)


def test_original_function_still_works():
    diffc.grad(loss)
    assert np.isclose(loss(W3, X53, Y5), float(np.sum((np.tanh(X53 @ W3) - Y5) ** 2) + 0.1 * np.sum(W3 * W3)))


def test_numeric_vjp_reference_sanity():
    # guard on the reference itself: vjp of A@x w.r.t. x is A.T @ ct
    A = X53
    ct = RNG.normal(size=5)

    def lin(A, x):
        return A @ x

    np.testing.assert_allclose(numeric_vjp(lin, (A, W3), 1, ct), A.T @ ct, rtol=1e-7, atol=1e-9)
