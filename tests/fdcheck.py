"""Independent finite-difference reference for the diffc test-suite.

Everything here is plain NumPy: gradients are computed with central
differences in float64, never by diffc itself.  ``check_grad`` and
``check_vjp`` build the diffc derivative, run it, and compare it with the
numerical reference, additionally asserting

* shape / dtype rules (float arrays keep their dtype, integer inputs get
  floating gradients, Python scalars get Python floats),
* finiteness of every gradient,
* that none of the caller's arguments were mutated.
"""

import copy
import inspect
import numbers

import numpy as np

import diffc

__all__ = [
    "check_grad",
    "check_vjp",
    "check_value_and_grad",
    "numeric_grad",
    "numeric_vjp",
    "assert_grad_matches",
    "assert_same_type",
    "snapshot",
    "assert_unchanged",
    "wrt_indices",
]


# --------------------------------------------------------------------------
# argument snapshots (mutation check)
# --------------------------------------------------------------------------
def snapshot(obj):
    """A deep, independent copy of ``obj`` (arrays are copied)."""
    if isinstance(obj, np.ndarray):
        return obj.copy()
    if isinstance(obj, (list, tuple)):
        items = [snapshot(o) for o in obj]
        return items if isinstance(obj, list) else tuple(items)
    if isinstance(obj, dict):
        return {k: snapshot(v) for k, v in obj.items()}
    try:
        return copy.deepcopy(obj)
    except Exception:  # pragma: no cover - exotic objects
        return obj


def _same(a, b):
    if isinstance(a, np.ndarray):
        return (
            isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and np.array_equal(a, b, equal_nan=np.issubdtype(a.dtype, np.inexact))
        )
    if isinstance(a, (list, tuple)):
        return (
            type(a) is type(b)
            and len(a) == len(b)
            and all(_same(x, y) for x, y in zip(a, b))
        )
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    try:
        return bool(a == b) or (a != a and b != b)
    except Exception:  # pragma: no cover
        return a is b


def assert_unchanged(before, after, what="argument"):
    assert _same(before, after), f"{what} was mutated: before={before!r} after={after!r}"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def wrt_indices(f, wrt):
    """Normalise ``wrt`` (None, int, str or tuple of those) to
    (list of positional indices, single: bool)."""
    if wrt is None:
        return [0], True
    params = list(inspect.signature(f).parameters)
    single = not isinstance(wrt, (tuple, list))
    items = (wrt,) if single else tuple(wrt)
    idx = []
    for w in items:
        if isinstance(w, str):
            idx.append(params.index(w))
        else:
            idx.append(int(w))
    return idx, single


def _is_python_scalar(x):
    return isinstance(x, (int, float)) and not isinstance(x, (bool, np.generic))


def _to_scalar(v):
    """The float value of a scalar function output."""
    a = np.asarray(v)
    assert a.size == 1 and a.ndim == 0, f"expected a scalar output, got shape {a.shape}"
    return float(a)


def _promote(x):
    """float64 version of a differentiated argument for finite differences."""
    if _is_python_scalar(x):
        return float(x)
    return np.array(x, dtype=np.float64)


def _is_low_precision(x):
    dt = np.asarray(x).dtype
    return np.issubdtype(dt, np.floating) and np.finfo(dt).bits < 64


# --------------------------------------------------------------------------
# numerical derivatives
# --------------------------------------------------------------------------
def _numeric_grad_scalarfn(phi, args, i, eps):
    """Central differences of the scalar function phi(*args) w.r.t. args[i]."""
    args = list(args)
    x = args[i]
    if _is_python_scalar(x) or isinstance(x, np.generic):
        x0 = float(x)
        h = eps * max(1.0, abs(x0))

        def at(v):
            a = list(args)
            a[i] = v
            return phi(*a)

        return (at(x0 + h) - at(x0 - h)) / (2.0 * h)

    base = _promote(x)
    g = np.zeros(base.shape, dtype=np.float64)
    for k in np.ndindex(*base.shape):
        h = eps * max(1.0, abs(base[k]))
        xp = base.copy()
        xp[k] += h
        xm = base.copy()
        xm[k] -= h
        ap = list(args)
        ap[i] = xp
        am = list(args)
        am[i] = xm
        g[k] = (phi(*ap) - phi(*am)) / (2.0 * h)
    return g


def numeric_grad(f, args, wrt=None, eps=1e-6, kwargs=None):
    """Central-difference gradient(s) of scalar ``f`` in float64.

    Returns a single gradient when ``wrt`` is None/int/str and a tuple when it
    is a tuple -- mirroring diffc.grad.
    """
    kwargs = dict(kwargs or {})
    idx, single = wrt_indices(f, wrt)
    # promote all differentiated args to float64 once
    args = list(args)
    for i in idx:
        args[i] = _promote(args[i])

    def phi(*a):
        return _to_scalar(f(*snapshot(list(a)), **snapshot(kwargs)))

    grads = [_numeric_grad_scalarfn(phi, args, i, eps) for i in idx]
    return grads[0] if single else tuple(grads)


def numeric_vjp(f, args, wrt, cotangent, eps=1e-6, kwargs=None):
    """Central-difference vector-Jacobian product: d/d args[wrt] of
    sum(cotangent * f(*args)).  Single result for int/str wrt, tuple for a
    tuple wrt."""
    kwargs = dict(kwargs or {})
    idx, single = wrt_indices(f, wrt)
    args = list(args)
    for i in idx:
        args[i] = _promote(args[i])
    ct = np.asarray(cotangent, dtype=np.float64)

    def phi(*a):
        out = np.asarray(f(*snapshot(list(a)), **snapshot(kwargs)), dtype=np.float64)
        assert out.shape == ct.shape, (out.shape, ct.shape)
        return float(np.sum(out * ct))

    grads = [_numeric_grad_scalarfn(phi, args, i, eps) for i in idx]
    return grads[0] if single else tuple(grads)


# --------------------------------------------------------------------------
# assertions
# --------------------------------------------------------------------------
def assert_same_type(g, x, label="gradient"):
    """Shape / dtype rules for the gradient ``g`` of argument ``x``."""
    if isinstance(x, np.ndarray):
        assert isinstance(g, (np.ndarray, np.generic)), (
            f"{label}: expected an ndarray for an ndarray argument, got {type(g)}"
        )
        if x.ndim > 0:
            assert isinstance(g, np.ndarray), f"{label}: expected ndarray, got {type(g)}"
        assert np.shape(g) == x.shape, f"{label}: shape {np.shape(g)} != argument shape {x.shape}"
        if np.issubdtype(x.dtype, np.floating):
            assert g.dtype == x.dtype, f"{label}: dtype {g.dtype} != argument dtype {x.dtype}"
        else:
            assert np.issubdtype(g.dtype, np.floating), (
                f"{label}: integer argument must get a floating gradient, got {g.dtype}"
            )
    elif isinstance(x, np.generic):
        assert np.shape(g) == (), f"{label}: expected a scalar, got shape {np.shape(g)}"
        gd = np.asarray(g).dtype
        if np.issubdtype(x.dtype, np.floating):
            assert gd == x.dtype, f"{label}: dtype {gd} != {x.dtype}"
        else:
            assert np.issubdtype(gd, np.floating), f"{label}: non-float dtype {gd}"
    elif _is_python_scalar(x):
        assert isinstance(g, float) and not isinstance(g, np.ndarray), (
            f"{label}: Python scalar argument must get a Python float gradient, got {type(g)}"
        )
    else:  # pragma: no cover - other argument kinds are not differentiated
        raise AssertionError(f"{label}: unsupported argument type {type(x)}")


def assert_grad_matches(g, ref, x, rtol, atol, label="gradient"):
    assert_same_type(g, x, label)
    if _is_low_precision(x):
        rtol = max(rtol, 1e-3)
        atol = max(atol, 1e-4)
    g64 = np.asarray(g, dtype=np.float64)
    assert np.all(np.isfinite(g64)), f"{label}: non-finite gradient {g!r}"
    np.testing.assert_allclose(
        g64, np.asarray(ref, dtype=np.float64), rtol=rtol, atol=atol,
        err_msg=f"{label} differs from the finite-difference reference",
    )


def _check_results(result, ref, args, idx, single, rtol, atol):
    if single:
        assert not isinstance(result, tuple), (
            f"single wrt must give a single gradient, got a tuple of {len(result)}"
        )
        result, ref = (result,), (ref,)
    else:
        assert isinstance(result, tuple), f"tuple wrt must give a tuple, got {type(result)}"
        assert len(result) == len(idx), f"expected {len(idx)} gradients, got {len(result)}"
    for k, (g, r, i) in enumerate(zip(result, ref, idx)):
        # extra float32 relaxation when any input is low precision
        low = any(_is_low_precision(a) for a in args if isinstance(a, (np.ndarray, np.generic)))
        rt, at = (max(rtol, 1e-3), max(atol, 1e-4)) if low else (rtol, atol)
        assert_grad_matches(g, r, args[i], rt, at, label=f"gradient #{k} (argument {i})")


def check_grad(f, args, wrt=(0,), eps=1e-6, rtol=1e-5, atol=1e-7, kwargs=None):
    """Build diffc.grad(f, wrt=wrt), evaluate it at ``args`` and compare with
    central finite differences.  ``wrt=None`` uses ``diffc.grad(f)`` (no
    option, gradient w.r.t. the first argument).  Returns the gradient(s)."""
    kwargs = dict(kwargs or {})
    args = list(args)
    idx, single = wrt_indices(f, wrt)
    dfun = diffc.grad(f) if wrt is None else diffc.grad(f, wrt=wrt)

    before = snapshot(args)
    kbefore = snapshot(kwargs)
    result = dfun(*args, **kwargs)
    for k, (b, a) in enumerate(zip(before, args)):
        assert_unchanged(b, a, f"argument {k}")
    assert_unchanged(kbefore, kwargs, "keyword arguments")

    ref = numeric_grad(f, args, wrt=wrt, eps=eps, kwargs=kwargs)
    _check_results(result, ref, args, idx, single, rtol, atol)
    return result


def check_value_and_grad(f, args, wrt=(0,), eps=1e-6, rtol=1e-5, atol=1e-7, kwargs=None):
    kwargs = dict(kwargs or {})
    args = list(args)
    idx, single = wrt_indices(f, wrt)
    vg = diffc.value_and_grad(f) if wrt is None else diffc.value_and_grad(f, wrt=wrt)
    before = snapshot(args)
    val, result = vg(*args, **kwargs)
    for k, (b, a) in enumerate(zip(before, args)):
        assert_unchanged(b, a, f"argument {k}")
    expected = _to_scalar(f(*snapshot(args), **snapshot(kwargs)))
    np.testing.assert_allclose(float(np.asarray(val)), expected, rtol=1e-12, atol=1e-12)
    ref = numeric_grad(f, args, wrt=wrt, eps=eps, kwargs=kwargs)
    _check_results(result, ref, args, idx, single, rtol, atol)
    return val, result


def check_vjp(f, args, cotangent, wrt=0, eps=1e-6, rtol=1e-5, atol=1e-7):
    """Build diffc.vjp(f, wrt=wrt), call vjp_f(*args, cotangent) and compare
    with ``numeric_vjp``."""
    args = list(args)
    idx, single = wrt_indices(f, wrt)
    vjp_f = diffc.vjp(f, wrt=wrt)
    before = snapshot(args)
    ct_before = snapshot(cotangent)
    result = vjp_f(*args, cotangent)
    for k, (b, a) in enumerate(zip(before, args)):
        assert_unchanged(b, a, f"argument {k}")
    assert_unchanged(ct_before, cotangent, "cotangent")
    ref = numeric_vjp(f, args, wrt, cotangent, eps=eps)
    _check_results(result, ref, args, idx, single, rtol, atol)
    return result


def check_both_modes(f, x, second_order=True):
    """f of one array x against central differences: reverse mode (value_and_grad), forward
    mode (jvp along a fixed tangent) and, if ``second_order``, the Hessian (compared with
    differences of diffc's own gradient)."""
    check_value_and_grad(f, [x.copy()])
    ref = numeric_grad(f, [x.copy()])
    v = np.linspace(-1.0, 1.3, x.size).reshape(x.shape)
    np.testing.assert_allclose(diffc.jvp(f)(x.copy(), v)[1], np.sum(ref * v), rtol=1e-6,
                               atol=1e-8)
    if second_order:
        g = diffc.grad(f)
        h = np.array([numeric_grad(lambda y: g(y).ravel()[j], [x.copy()])
                      for j in range(x.size)])
        np.testing.assert_allclose(diffc.hessian(f)(x.copy()).reshape(h.shape), h,
                                   rtol=1e-5, atol=1e-6)


def is_number(x):
    return isinstance(x, numbers.Number)
