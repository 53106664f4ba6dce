"""Tests of diffc.backend.runtime against finite differences and analytic formulas."""

import copy
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from diffc.backend import checks
from diffc.backend import runtime as rt
from diffc.errors import DiffcError

RNG = np.random.default_rng(0)


def rand(shape, rng=RNG):
    return rng.standard_normal(shape) if shape != () else float(rng.standard_normal())


# --------------------------------------------------------------------------- helpers

def num_vjp(f, x, ct, eps=1e-6):
    """Central finite-difference VJP: d/dx sum(ct * f(x)), in float64, shaped like x."""
    x = np.array(x, dtype=np.float64)
    out = np.zeros(x.shape)
    flat, oflat = x.reshape(-1), out.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        fp = np.sum(ct * np.asarray(f(x.copy()), dtype=np.float64))
        flat[i] = old - eps
        fm = np.sum(ct * np.asarray(f(x.copy()), dtype=np.float64))
        flat[i] = old
        oflat[i] = (fp - fm) / (2 * eps)
    return out


def snapshot(args):
    return [copy.deepcopy(a) for a in args]


def assert_unchanged(before, after):
    for b, a in zip(before, after):
        if isinstance(b, (list, tuple)):
            assert type(a) is type(b) and len(a) == len(b)
            assert_unchanged(b, a)
        elif isinstance(b, np.ndarray):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a, b)
        else:
            assert a == b or (a != a and b != b)


def call(fn, *args, **kw):
    """Call fn and check that no argument was mutated."""
    before = snapshot(args)
    res = fn(*args, **kw)
    assert_unchanged(before, args)
    return res


def close(a, b, rtol=1e-6, atol=1e-7):
    assert np.shape(a) == np.shape(b), (np.shape(a), np.shape(b))
    np.testing.assert_allclose(np.asarray(a, dtype=complex if np.iscomplexobj(a) else float),
                               b, rtol=rtol, atol=atol)


# --------------------------------------------------------------------------- unbroadcast

UNBROADCAST_CASES = [
    ((), (3,)), ((), (2, 3)), ((3,), (2, 3)), ((1, 3), (4, 3)), ((4, 1), (4, 3)),
    ((1, 1), (2, 3)), ((3,), (3,)), ((2, 1, 3), (5, 2, 4, 3)), ((1,), (2, 3)),
    ((2, 3), ()), ((1, 3, 1), (2, 3, 4)), ((2, 3), (2, 3)), ((1,), ()),
]


@pytest.mark.parametrize("xs,ys", UNBROADCAST_CASES)
def test_unbroadcast_fd(xs, ys):
    x, y = rand(xs), rand(ys)
    out_shape = np.broadcast_shapes(np.shape(x), np.shape(y))
    ct = rand(out_shape)
    got = call(rt.unbroadcast, ct * y, x)
    ref = num_vjp(lambda v: v * y, x, ct)
    close(got, ref)
    if xs == ():
        assert np.ndim(got) == 0


def test_unbroadcast_identity_and_scalars():
    g = np.ones((2, 3))
    assert rt.unbroadcast(g, np.zeros((2, 3))) is g
    assert rt.unbroadcast(2.5, 1.0) == 2.5
    assert type(rt.unbroadcast(2.5, 1.0)) is float
    r = rt.unbroadcast(np.arange(6.0).reshape(2, 3), 1.0)
    assert np.ndim(r) == 0 and r == 15.0
    r = rt.unbroadcast(np.arange(6.0).reshape(2, 3), np.array(1.0))
    assert np.ndim(r) == 0 and r == 15.0
    # list primal
    r = rt.unbroadcast(np.ones((4, 3)), [1.0, 2.0, 3.0])
    close(r, [4.0, 4.0, 4.0])
    # lower-rank g stays broadcastable
    r = rt.unbroadcast(2.0, np.ones((2, 3)))
    assert np.broadcast_to(r, (2, 3)).sum() == 12.0


@settings(max_examples=60, deadline=None)
@given(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3),
       st.integers(0, 2**31 - 1))
def test_unbroadcast_hypothesis(shapes, seed):
    rng = np.random.default_rng(seed)
    xs, ys = shapes.input_shapes
    x, y = rng.standard_normal(xs), rng.standard_normal(ys)
    ct = rng.standard_normal(shapes.result_shape)
    prod = ct * y
    got = rt.unbroadcast(prod, x)
    # analytic: the adjoint of broadcasting sums the cotangent over the broadcast copies
    ref = np.zeros(xs)
    for idx in np.ndindex(*shapes.result_shape):
        tail = idx[len(idx) - len(xs):] if xs else ()
        ref[tuple(0 if n == 1 else i for i, n in zip(tail, xs))] += prod[idx]
    close(got, ref, atol=1e-12)


# --------------------------------------------------------------------------- reductions

def reduction_cases():
    shapes = [(5,), (3, 4), (2, 3, 4), (2, 1, 3), (1,), (3, 1)]
    for s in shapes:
        nd = len(s)
        axes = [None] + list(range(-nd, nd))
        axes += [tuple(c) for r in range(2, nd + 1) for c in itertools.combinations(range(nd), r)]
        if nd >= 2:
            axes.append((-1, 0))
        for ax in axes:
            for kd in (False, True):
                yield s, ax, kd


REDUCTION_CASES = list(reduction_cases())


@pytest.mark.parametrize("shape,axis,keepdims", REDUCTION_CASES)
def test_unreduce_fd(shape, axis, keepdims):
    x = rand(shape)
    out = np.sum(x, axis=axis, keepdims=keepdims)
    ct = rand(np.shape(out))
    got = call(rt.unreduce, ct, x, axis, keepdims)
    assert np.shape(got) == np.shape(x)
    close(got, num_vjp(lambda v: np.sum(v, axis=axis, keepdims=keepdims), x, ct))


@pytest.mark.parametrize("shape,axis,keepdims", REDUCTION_CASES)
def test_mean_vjp_fd(shape, axis, keepdims):
    x = rand(shape)
    ct = rand(np.shape(np.mean(x, axis=axis, keepdims=keepdims)))
    got = call(rt.mean_vjp, ct, x, axis, keepdims)
    close(got, num_vjp(lambda v: np.mean(v, axis=axis, keepdims=keepdims), x, ct))


@pytest.mark.parametrize("shape,axis,keepdims", REDUCTION_CASES)
@pytest.mark.parametrize("zeros", [0, 1, 2, 3])
def test_prod_vjp_fd(shape, axis, keepdims, zeros):
    rng = np.random.default_rng(hash((shape, str(axis), keepdims, zeros)) % 2**32)
    x = rng.uniform(0.5, 1.5, shape) * rng.choice([-1, 1], shape)
    flat = x.reshape(-1)
    flat[rng.choice(flat.size, size=min(zeros, flat.size), replace=False)] = 0.0
    ans = np.prod(x, axis=axis, keepdims=keepdims)
    ct = rand(np.shape(ans), rng)
    got = call(rt.prod_vjp, ct, ans, x, axis, keepdims)
    assert np.all(np.isfinite(got))
    # prod is multilinear, so central differences are exact up to rounding, even at zeros
    close(got, num_vjp(lambda v: np.prod(v, axis=axis, keepdims=keepdims), x, ct))


def test_prod_vjp_zero_patterns_analytic():
    x = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 4.0]])
    ans = np.prod(x, axis=1)
    got = rt.prod_vjp(np.ones(3), ans, x, axis=1)
    close(got, [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0], [8.0, 4.0, 2.0]])
    # integer input, scalar primal
    close(rt.prod_vjp(1.0, 24, np.array([1, 2, 3, 4])), [24.0, 12.0, 8.0, 6.0])
    assert rt.prod_vjp(3.0, 2.0, 2.0) == 3.0


def _minmax_reference(g, x, axis, keepdims, fn):
    """Loop reference: split g equally among the ties of each reduced slice."""
    x = np.asarray(x)
    nd = x.ndim
    ax = tuple(range(nd)) if axis is None else tuple(
        sorted(a % nd for a in (axis if isinstance(axis, tuple) else (axis,))))
    keep = [i for i in range(nd) if i not in ax]
    gk = np.asarray(g)
    if not keepdims:
        gk = np.expand_dims(gk, ax)
    gk = np.broadcast_to(gk, tuple(1 if i in ax else x.shape[i] for i in range(nd)))
    out = np.zeros(x.shape)
    for kidx in np.ndindex(*[x.shape[i] for i in keep]):
        sel = [slice(None)] * nd
        for i, k in zip(keep, kidx):
            sel[i] = k
        sel = tuple(sel)
        sl = x[sel]
        m = sl == fn(sl)
        gidx = tuple(0 if i in ax else sel[i] for i in range(nd))
        out[sel] += np.where(m, gk[gidx] / m.sum(), 0.0)
    return out


@pytest.mark.parametrize("shape,axis,keepdims", REDUCTION_CASES)
@pytest.mark.parametrize("fn", [np.max, np.min, np.amax, np.amin])
def test_minmax_vjp(shape, axis, keepdims, fn):
    rng = np.random.default_rng(abs(hash((shape, str(axis), keepdims))) % 2**32)
    # distinct values: compare with finite differences
    x = rng.permutation(np.prod(shape)).reshape(shape) + rng.uniform(0, 0.1, shape)
    ans = fn(x, axis=axis, keepdims=keepdims)
    ct = rand(np.shape(ans), rng)
    got = call(rt.minmax_vjp, ct, ans, x, axis, keepdims)
    close(got, num_vjp(lambda v: fn(v, axis=axis, keepdims=keepdims), x, ct, eps=1e-4))
    # many ties: compare with the loop reference
    xt = rng.integers(0, 2, shape).astype(float)
    ans = fn(xt, axis=axis, keepdims=keepdims)
    got = call(rt.minmax_vjp, ct, ans, xt, axis, keepdims)
    close(got, _minmax_reference(ct, xt, axis, keepdims, fn))
    # the total adjoint is conserved
    close(np.sum(got), np.sum(ct))


def test_minmax_vjp_ties_analytic():
    x = np.array([3.0, 1.0, 3.0, 3.0])
    close(rt.minmax_vjp(6.0, 3.0, x), [2.0, 0.0, 2.0, 2.0])
    x = np.array([[1, 5, 5], [2, 2, 0]])  # integer input
    close(rt.minmax_vjp(np.array([1.0, 4.0]), np.max(x, 1), x, axis=-1),
          [[0.0, 0.5, 0.5], [2.0, 2.0, 0.0]])
    assert rt.minmax_vjp(2.0, 1.0, 1.0) == 2.0
    x = np.array([1.0, np.nan, 2.0])
    close(rt.minmax_vjp(1.0, np.max(x), x), [0.0, 1.0, 0.0])


# --------------------------------------------------------------------------- matmul / dot

MATMUL_CASES = [
    ((4,), (4,)), ((4,), (4, 3)), ((2, 4), (4,)), ((2, 4), (4, 3)),
    ((5, 2, 4), (5, 4, 3)), ((5, 2, 4), (4, 3)), ((2, 4), (5, 4, 3)),
    ((2, 1, 2, 4), (3, 4, 3)), ((1, 2, 4), (3, 1, 4, 3)), ((4,), (2, 4, 3)),
    ((2, 3, 4), (4,)), ((1, 1), (1, 1)), ((3, 1, 4), (1, 4, 2)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_CASES)
def test_matmul_vjp_fd(sa, sb):
    a, b = rand(sa), rand(sb)
    ct = rand(np.shape(np.matmul(a, b)))
    da = call(rt.matmul_vjp_a, ct, a, b)
    db = call(rt.matmul_vjp_b, ct, a, b)
    close(da, num_vjp(lambda v: np.matmul(v, b), a, ct))
    close(db, num_vjp(lambda v: np.matmul(a, v), b, ct))


DOT_CASES = [
    ((), ()), ((), (3,)), ((2, 3), ()), ((), (2, 3, 4)),
    ((4,), (4,)), ((2, 4), (4,)), ((4,), (4, 3)), ((2, 4), (4, 3)),
    ((2, 3, 4), (4,)), ((2, 3, 4), (4, 5)), ((2, 4), (3, 4, 5)), ((2, 3, 4), (5, 4, 2)),
    ((4,), (2, 4, 3)), ((1, 4), (2, 1, 4, 1)),
]


@pytest.mark.parametrize("sa,sb", DOT_CASES)
def test_dot_vjp_fd(sa, sb):
    a, b = rand(sa), rand(sb)
    ct = rand(np.shape(np.dot(a, b)))
    da = call(rt.dot_vjp_a, ct, a, b)
    db = call(rt.dot_vjp_b, ct, a, b)
    close(da, num_vjp(lambda v: np.dot(v, b), a, ct))
    close(db, num_vjp(lambda v: np.dot(a, v), b, ct))


def test_dot_scalar_python():
    assert rt.dot_vjp_a(2.0, 3.0, 5.0) == 10.0
    assert rt.dot_vjp_b(2.0, 3.0, 5.0) == 6.0
    close(rt.dot_vjp_a(np.array([1.0, 2.0]), 3.0, [5.0, 7.0]), 19.0)
    close(rt.dot_vjp_b(np.array([1.0, 2.0]), 3.0, [5.0, 7.0]), [3.0, 6.0])
    close(rt.dot_vjp_a(1.0, [1.0, 2.0], [3.0, 4.0]), [3.0, 4.0])


# --------------------------------------------------------------------------- transpose / reshape

TRANSPOSE_CASES = [((3,), None), ((2, 3), None), ((2, 3, 4), None), ((2, 3, 4), (1, 2, 0)),
                   ((2, 3, 4), (2, 0, 1)), ((2, 3, 4), (-1, 0, -2)), ((2, 3), (1, 0)),
                   ((2, 3, 4, 5), (3, 1, 0, 2)), ((), None)]


@pytest.mark.parametrize("shape,axes", TRANSPOSE_CASES)
def test_transpose_vjp_fd(shape, axes):
    x = rand(shape)
    ct = rand(np.shape(np.transpose(x, axes)))
    got = call(rt.transpose_vjp, ct, axes)
    close(got, num_vjp(lambda v: np.transpose(v, axes), x, ct))


@pytest.mark.parametrize("shape,new", [((6,), (2, 3)), ((2, 3), (6,)), ((2, 3, 4), (4, -1)),
                                       ((), (1, 1)), ((1,), ()), ((2, 3), (2, 3))])
def test_reshape_vjp_fd(shape, new):
    x = rand(shape)
    ct = rand(np.shape(np.reshape(x, new)))
    got = call(rt.reshape_vjp, ct, x)
    close(got, num_vjp(lambda v: np.reshape(v, new), x, ct))
    g = np.ones(np.shape(x))
    assert rt.reshape_vjp(g, x) is g
    close(rt.reshape_vjp(np.ones(6), [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), np.ones((2, 3)))


# --------------------------------------------------------------------------- indexing

MASK = np.array([True, False, True, True, False])
INDEX_CASES = [
    ((5,), 2), ((5,), -1), ((5,), slice(1, 4)), ((5,), slice(None, None, -2)),
    ((5,), slice(4, 0, -3)), ((5,), None), ((5,), Ellipsis), ((5,), np.int64(3)),
    ((5,), np.array([0, 1, 1, 4, 1])), ((5,), [3, 3, -2, 3]), ((5,), MASK),
    ((5,), MASK.tolist()), ((5,), np.array([[0, 1], [1, 1]])),
    ((4, 5), 1), ((4, 5), -2), ((4, 5), (1, 2)), ((4, 5), (-1, -5)),
    ((4, 5), (slice(None), 3)), ((4, 5), (slice(None, None, 2), slice(1, None, 2))),
    ((4, 5), (Ellipsis, 1)), ((4, 5), (None, 1, slice(None))),
    ((4, 5), (np.array([0, 0, 3]), np.array([1, 1, 4]))), ((4, 5), ([0, 0], slice(1, 3))),
    ((4, 5), (slice(None), [4, 4, 0])), ((4, 5), (2, MASK)), ((4, 5), np.arange(20).reshape(4, 5) % 3 == 0),
    ((4, 5), (np.array([True, False, True, True]),)), ((4, 5), [1, 1, 2]),
    ((2, 3, 4), (Ellipsis, [0, 0, 3])), ((2, 3, 4), (1, slice(None), [2, 2])),
    ((2, 3, 4), (np.array([[0], [1]]), np.array([0, 2, 2]), slice(1, 3))),
    ((2, 3, 4), (slice(None), None, 1, Ellipsis)), ((2, 3, 4), ()),
]


@pytest.mark.parametrize("shape,idx", INDEX_CASES)
@pytest.mark.parametrize("fresh", [True, False])
def test_index_vjp_fd(shape, idx, fresh):
    x = rand(shape)
    ct = rand(np.shape(x[idx]))
    dx0 = 0.0 if fresh else rand(shape)
    start = copy.deepcopy(dx0)
    before = snapshot([x, idx, ct])
    got = rt.index_vjp(dx0, x, idx, ct)
    assert_unchanged(before, [x, idx, ct])
    assert got.shape == x.shape and got.dtype == np.float64
    if not fresh:
        assert got is dx0  # updated in place
    close(got, start + num_vjp(lambda v: v[idx], x, ct))


def test_index_vjp_scalar_loop():
    x = np.arange(6.0)
    dx = 0.0
    for i in range(6):
        dx = rt.index_vjp(dx, x, i, float(i + 1))
    for i in range(6):
        same = rt.index_vjp(dx, x, -1 - i, 0.5)
        assert same is dx
    close(dx, np.arange(1.0, 7.0) + 0.5)
    close(x, np.arange(6.0))
    # rows of a matrix
    x = np.zeros((3, 2))
    dx = 0.0
    for i in range(3):
        dx = rt.index_vjp(dx, x, i, np.array([1.0, 2.0]))
    dx = rt.index_vjp(dx, x, 1, np.array([1.0, 2.0]))
    close(dx, [[1, 2], [2, 4], [1, 2]])


def test_index_vjp_dtypes_and_containers():
    assert rt.index_vjp(0.0, np.ones(3, np.float32), 0, 1.0).dtype == np.float32
    assert rt.index_vjp(0.0, np.ones(3, np.int64), 0, 1.0).dtype == np.float64
    assert rt.index_vjp(0.0, np.ones(3, bool), 0, 1.0).dtype == np.float64
    assert rt.index_vjp(0.0, np.ones(3, complex), 0, 1.0).dtype == complex
    assert rt.index_vjp(0.0, np.ones(3), 0, 1j).dtype == complex
    lst = [1.0, 2.0, 3.0]
    r = rt.index_vjp(0.0, lst, [1, 1], np.array([2.0, 3.0]))
    close(r, [0.0, 5.0, 0.0])
    assert lst == [1.0, 2.0, 3.0]
    # an item of a tuple: one adjoint per item (items may differ in shape)
    tup = (np.ones(2, np.float32), np.ones(3, np.float32))
    r = rt.index_vjp(0.0, tup, 1, np.array([1.0, 2.0, 3.0]))
    assert isinstance(r, list) and r[0] == 0.0
    close(r[1], [1, 2, 3])
    assert rt.index_vjp(r, tup, 1, np.ones(3)) is r
    close(r[1], [2, 3, 4])
    # float32 adjoint stays float32 when accumulating float64 contributions
    d = np.zeros(3, np.float32)
    assert rt.index_vjp(d, np.ones(3, np.float32), 1, 2.0) is d and d.dtype == np.float32
    # a read-only dx is never written: a fresh array is returned
    ro = np.broadcast_to(np.float64(1.0), (3,))
    r = rt.index_vjp(ro, np.ones(3), 0, 2.0)
    assert r is not ro and r.flags.writeable
    close(r, [3.0, 1.0, 1.0])
    close(ro, [1.0, 1.0, 1.0])
    # a scalar (non-zero) dx means a broadcast adjoint
    close(rt.index_vjp(1.5, np.ones(3), [0, 0], 1.0), [3.5, 1.5, 1.5])
    with pytest.raises(IndexError):
        rt.index_vjp(np.zeros(3), np.ones(3), 5, 1.0)


# --------------------------------------------------------------------------- stack / concatenate

@pytest.mark.parametrize("shape,n,axis", [((3,), 2, 0), ((3,), 3, 1), ((3,), 2, -1),
                                          ((2, 3), 4, 1), ((2, 3), 2, -2), ((2, 3), 3, 2),
                                          ((), 4, 0)])
def test_stack_vjp_fd(shape, n, axis):
    xs = [rand(shape) for _ in range(n)]
    ct = rand(np.shape(np.stack(xs, axis)))
    got = call(rt.stack_vjp, ct, xs, axis)
    assert isinstance(got, list) and len(got) == n
    for k in range(n):
        def f(v, k=k):
            ys = list(xs)
            ys[k] = v
            return np.stack(ys, axis)
        close(got[k], num_vjp(f, xs[k], ct))


@pytest.mark.parametrize("shapes,axis", [
    ([(2,), (3,), (1,)], 0), ([(2, 3), (1, 3)], 0), ([(2, 3), (2, 1), (2, 4)], 1),
    ([(2, 3), (2, 2)], -1), ([(2, 3, 4), (2, 1, 4)], -2), ([(2, 3), (4,), ()], None),
    ([(2, 2), (3,)], None), ([(3,)], 0),
])
def test_concatenate_vjp_fd(shapes, axis):
    xs = [rand(s) for s in shapes]
    ct = rand(np.shape(np.concatenate([np.atleast_1d(x) if axis is None else x for x in xs], axis)))
    got = call(rt.concatenate_vjp, ct, xs, axis)
    assert len(got) == len(xs)
    for k in range(len(xs)):
        def f(v, k=k):
            ys = list(xs)
            ys[k] = v
            return np.concatenate([np.ravel(y) for y in ys] if axis is None else ys, axis)
        close(got[k], num_vjp(f, xs[k], ct))


def test_concatenate_vjp_list_inputs():
    got = rt.concatenate_vjp(np.arange(5.0), [[1.0, 2.0], [3.0, 4.0, 5.0]])
    close(got[0], [0.0, 1.0])
    close(got[1], [2.0, 3.0, 4.0])


# --------------------------------------------------------------------------- power

POWER_CASES = [((), ()), ((3,), ()), ((), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((4,), (4,))]


@pytest.mark.parametrize("sx,sy", POWER_CASES)
def test_power_vjp_fd(sx, sy):
    rng = np.random.default_rng(len(sx) * 10 + len(sy))
    x = rng.uniform(0.5, 2.0, sx) if sx else float(rng.uniform(0.5, 2.0))
    y = rng.uniform(-2.0, 3.0, sy) if sy else float(rng.uniform(-2.0, 3.0))
    ans = np.power(x, y)
    ct = rand(np.shape(ans), rng)
    gx = call(rt.power_vjp_base, ct, x, y)
    gy = call(rt.power_vjp_exponent, ct, ans, x, y)
    close(gx, num_vjp(lambda v: np.power(v, y), x, ct), rtol=1e-5)
    close(gy, num_vjp(lambda v: np.power(x, v), y, ct), rtol=1e-5)


def test_power_python_scalars():
    for x, y in [(2.0, 3.0), (1.5, -0.5), (3, 2), (2, -1), (0.7, 2)]:
        ans = x ** y
        close(rt.power_vjp_base(1.5, x, y), 1.5 * y * x ** (y - 1))
        close(rt.power_vjp_exponent(1.5, ans, x, y), 1.5 * ans * np.log(x))
        close(rt.power_vjp_base(1.0, x, y), num_vjp(lambda v: v ** y, x, 1.0), rtol=1e-5)
        close(rt.power_vjp_exponent(1.0, ans, x, y), num_vjp(lambda v: x ** v, y, 1.0), rtol=1e-5)
    assert type(rt.power_vjp_base(1.0, 2.0, 3.0)) is float
    assert type(rt.power_vjp_exponent(1.0, 8.0, 2.0, 3.0)) is float


def test_power_zeros():
    assert rt.power_vjp_base(1.0, 0.0, 0.0) == 0.0
    assert rt.power_vjp_base(1.0, 0, 0) == 0.0
    assert rt.power_vjp_base(1.0, 0.0, 2.0) == 0.0
    assert rt.power_vjp_base(1.0, 0.0, 1.0) == 1.0
    assert rt.power_vjp_base(1.0, 0.0, 0.5) == np.inf
    assert rt.power_vjp_exponent(1.0, 1.0, 0.0, 0.0) == 0.0
    assert rt.power_vjp_exponent(1.0, 0.0, 0.0, 2.0) == 0.0
    assert rt.power_vjp_exponent(1.0, np.inf, 0.0, -1.0) == 0.0
    with np.errstate(all="raise"):  # no warnings either
        x = np.array([0.0, 0.0, 2.0, 0.0])
        y = np.array([0.0, 2.0, 0.0, 1.0])
        close(rt.power_vjp_base(np.ones(4), x, y), [0.0, 0.0, 0.0, 1.0])
        with np.errstate(divide="ignore"):
            ans = x ** y
        close(rt.power_vjp_exponent(np.ones(4), ans, x, y), [0.0, 0.0, np.log(2.0), 0.0])
        xi, yi = np.array([0, 2, 3]), np.array([0, 0, 2])  # integers: no negative-power error
        close(rt.power_vjp_base(np.ones(3), xi, yi), [0.0, 0.0, 6.0])
        close(rt.power_vjp_exponent(np.ones(3), xi ** yi, xi, yi), [0.0, np.log(2.0), 9 * np.log(3.0)])
    # scalar exponent broadcast against array base: adjoint summed to the scalar
    r = rt.power_vjp_exponent(np.ones(2), np.array([0.0, 4.0]), np.array([0.0, 2.0]), 2.0)
    assert np.ndim(r) == 0
    close(r, 4.0 * np.log(2.0))


# --------------------------------------------------------------------------- finalize

def test_finalize_python_scalars():
    for x in (1.0, 2, True):
        for g in (0.0, 3.0, np.float64(3.0), np.array(3.0), np.float32(3.0), 3):
            r = checks.finalize(g, x)
            assert type(r) is float
            assert r == (0.0 if isinstance(g, float) and g == 0.0 else 3.0)
    with pytest.raises(DiffcError):
        checks.finalize(np.ones(3), 1.0)
    with pytest.raises(DiffcError):
        checks.finalize(np.ones(1), 1.0)


@pytest.mark.parametrize("xdtype,outdtype", [
    (np.float64, np.float64), (np.float32, np.float32), (np.float16, np.float16),
    (np.int64, np.float64), (np.int32, np.float64), (np.uint8, np.float64), (bool, np.float64),
])
@pytest.mark.parametrize("gkind", ["zero", "scalar", "full", "view", "f32"])
def test_finalize_arrays(xdtype, outdtype, gkind):
    x = np.ones((2, 3), xdtype)
    full = np.arange(6.0).reshape(2, 3)
    g, ref = {
        "zero": (0.0, np.zeros((2, 3))),
        "scalar": (np.float64(2.0), np.full((2, 3), 2.0)),
        "full": (full, full),
        "view": (np.broadcast_to(np.array([1.0, 2.0, 3.0]), (2, 3)), np.tile([1.0, 2.0, 3.0], (2, 1))),
        "f32": (full.astype(np.float32), full),
        "complex": (full + 1j, full + (1j if np.dtype(outdtype).kind == "c" else 0)),
    }[gkind]
    before = snapshot([g, x])
    r = checks.finalize(g, x)
    assert_unchanged(before, [g, x])
    assert isinstance(r, np.ndarray) and r.shape == x.shape and r.dtype == outdtype
    assert r.flags.writeable and not np.shares_memory(r, x)
    if isinstance(g, np.ndarray):
        assert not np.shares_memory(r, g)
    close(r, ref, rtol=1e-3)


@pytest.mark.parametrize("g,x", [(1.0, np.ones(2, complex)), (1.0, 1j), (1j, 1.0),
                                 (np.ones(2) + 1j, np.ones(2))])
def test_finalize_refuses_complex(g, x):
    """The rules assume real numbers: complex values give an error, not a dropped imaginary part."""
    with pytest.raises(DiffcError):
        checks.finalize(g, x)


def test_finalize_misc():
    # numpy scalars keep their floating type; integer numpy scalars become float64
    r = checks.finalize(2.0, np.float32(1.0))
    assert type(r) is np.float32 and r == 2.0
    r = checks.finalize(np.array(2.0), np.float64(1.0))
    assert type(r) is np.float64
    assert type(checks.finalize(2.0, np.int64(1))) is np.float64
    # 0-d arrays stay 0-d arrays
    r = checks.finalize(3.0, np.array(1.0, np.float32))
    assert isinstance(r, np.ndarray) and r.shape == () and r.dtype == np.float32
    # lists/tuples give float64 arrays of their shape
    r = checks.finalize(0.0, [1, 2, 3])
    assert r.dtype == np.float64 and r.shape == (3,) and not r.any()
    r = checks.finalize(np.ones((2, 2)), ([1.0, 2.0], [3.0, 4.0]))
    assert r.dtype == np.float64 and r.shape == (2, 2)
    r = checks.finalize(np.ones((2, 2), np.float32), [np.ones(2, np.float32)] * 2)
    assert r.dtype == np.float64
    # g that is x itself is still copied
    x = np.ones(3)
    assert checks.finalize(x, x) is not x
    for bad in (np.ones(4), np.ones((3, 1)), np.ones((1, 3)), np.ones((2, 3))):
        with pytest.raises(DiffcError):
            checks.finalize(bad, np.ones(3))
    with pytest.raises(DiffcError):
        checks.finalize(np.ones(2), [1.0, 2.0, 3.0])


# --------------------------------------------------------------------------- check_scalar_output

@pytest.mark.parametrize("ans", [1.0, 3, True, np.float64(2.0), np.float32(1.0), np.int64(1),
                                 np.array(2.0), np.array(3, np.int32), np.bool_(True)])
def test_check_scalar_output_ok(ans):
    assert checks.check_scalar_output(ans, "f") is None


@pytest.mark.parametrize("ans,words", [
    (np.ones(3), ["myfun", "(3,)"]), (np.ones((2, 2)), ["myfun", "(2, 2)"]),
    (np.ones(1), ["myfun", "(1,)"]), ((1.0, 2.0), ["myfun", "tuple"]), ([1.0], ["myfun", "list"]),
    ("abc", ["myfun", "str"]), (None, ["myfun", "NoneType"]), (1j, ["myfun", "complex"]),
    (np.complex128(1j), ["myfun", "complex"]), (np.array(1j), ["myfun", "complex"]),
    (np.array("s"), ["myfun"]), (np.array(None, dtype=object), ["myfun"]),
])
def test_check_scalar_output_errors(ans, words):
    with pytest.raises(DiffcError) as ei:
        checks.check_scalar_output(ans, "myfun")
    msg = str(ei.value)
    for w in words:
        assert w in msg
    assert "diffc.vjp" in ei.value.hint


# --------------------------------------------------------------------------- misc

def test_float32_inputs_preserved_where_cheap():
    x = np.ones((2, 3), np.float32)
    g = np.ones(3, np.float32)
    assert rt.unreduce(g, x, axis=0).dtype == np.float32
    assert rt.mean_vjp(g, x, axis=0).dtype == np.float32
    assert rt.unbroadcast(np.ones((2, 3), np.float32), g).dtype == np.float32


def test_python_scalar_fast_paths_return_python_floats():
    assert type(rt.unbroadcast(1.0, 2.0)) is float
    assert type(rt.unreduce(1.0, 2.0)) is float
    assert type(rt.mean_vjp(1.0, 2.0)) is float
    assert type(rt.reshape_vjp(1.0, 2.0)) is float
    assert type(rt.prod_vjp(1.0, 2.0, 2.0)) is float
    assert type(rt.minmax_vjp(1.0, 2.0, 2.0)) is float
    assert type(checks.finalize(1.0, 2.0)) is float


def test_docstrings():
    """Every helper generated code calls says what it computes in its first line."""
    for module in (rt, checks):
        names = getattr(module, "__all__", None) or [
            n for n in vars(module) if not n.startswith("_") and callable(getattr(module, n))
            and getattr(getattr(module, n), "__module__", None) == module.__name__]
        for name in names:
            doc = getattr(module, name).__doc__
            assert doc and doc.strip().splitlines()[0].strip(), name
