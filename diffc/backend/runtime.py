"""Runtime helpers called by the derivative code diffc generates.

Conventions: ``x`` is an op's primal input, ``g`` the incoming adjoint of the
op's output and ``ans`` the op's output.  Adjoints of complex values are not
conjugated (``g * f'(x)``).  Helpers never mutate their inputs, except
``index_vjp``, which may update its ``dx`` argument in place.  Every helper has
a cheap path for Python scalars, since generated code calls them in loops.
"""

import math

import numpy as np

from ..errors import DiffcError

__all__ = [
    "Items", "Entries", "div", "broadcast", "zeros_tangent", "unbroadcast", "unreduce", "mean_vjp",
    "prod_vjp", "minmax_vjp", "matmul_vjp_a", "matmul_vjp_b", "dot_vjp_a", "dot_vjp_b",
    "transpose_vjp", "reshape_vjp", "index_vjp", "stack_vjp", "concatenate_vjp",
    "power_vjp_base", "power_vjp_exponent", "keep_array", "fstring",
]

_PYNUM = (float, int)
_PYSCALAR = (float, int, bool, complex)
_BASIC_INDEX = (int, np.integer, slice, type(None), type(Ellipsis))


def _shape(x):
    """Shape of x without converting Python scalars to arrays."""
    s = getattr(x, "shape", None)
    if s is None:
        if isinstance(x, (list, tuple)):
            try:
                return np.shape(x)
            except ValueError:
                raise DiffcError("a list or tuple of differently shaped values cannot be "
                                 "differentiated yet", hint="stack the values into one array, "
                                 "or pass them as separate arguments") from None
        return ()
    return s


def _arr(x):
    """x as an ndarray if it is a list/tuple, else x unchanged."""
    return np.asarray(x) if isinstance(x, (list, tuple)) else x


class Items(list):
    """The adjoint (or tangent) of a list or tuple: one value per item.

    Adding two of them, or one and an array or a number, adds item by item (a list's
    ``+`` would concatenate), so adjoints of a list read in several ways accumulate
    right: ``dls = dls + stack_vjp(g, ls)``. Any other arithmetic treats it as the array
    of its items, as NumPy treats a list."""

    def __add__(self, other):
        return _items_add(self, other)

    __radd__ = __iadd__ = __add__

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc is np.add and method == "__call__" and len(inputs) == 2 and not kwargs:
            return _items_add(*inputs)
        inputs = [np.asarray(list(i)) if isinstance(i, Items) else i for i in inputs]
        return getattr(ufunc, method)(*inputs, **kwargs)

    def _array(self):
        return np.asarray(list(self))

    def __neg__(self):
        return Items(-v for v in self)

    def __mul__(self, other):
        return self._array() * other

    def __rmul__(self, other):
        return other * self._array()

    def __sub__(self, other):
        return _items_add(self, -np.asarray(other) if not isinstance(other, Items) else -other)

    def __rsub__(self, other):
        return _items_add(-self, other)

    def __truediv__(self, other):
        return self._array() / other

    def __rtruediv__(self, other):
        return other / self._array()

    def __pow__(self, other):
        return self._array() ** other

    def __matmul__(self, other):
        return self._array() @ other

    def __rmatmul__(self, other):
        return other @ self._array()


class Entries(dict):
    """The adjoint (or tangent) of a dict: one value per key, 0.0 for a key it lacks.
    Adding two of them adds key by key."""

    def __missing__(self, key):
        return 0.0

    def __add__(self, other):
        if isinstance(other, dict):
            out = Entries(self)
            for k, v in other.items():
                out[k] = out[k] + v
            return out
        if type(other) in _PYSCALAR and other == 0:
            return Entries(self)
        raise DiffcError(f"internal error: adding the adjoint of a dict and a "
                         f"{type(other).__name__}", hint="this is a diffc bug: please report it")

    __radd__ = __add__


def _fields(obj):
    """The field names of a NamedTuple or a dataclass instance, else None."""
    if isinstance(obj, tuple) and hasattr(type(obj), "_fields"):
        return type(obj)._fields
    params = getattr(type(obj), "__dataclass_fields__", None)
    return tuple(params) if params is not None and not isinstance(obj, type) else None


def _items_add(a, b):
    s, o = (a, b) if isinstance(a, Items) else (b, a)
    if isinstance(o, (list, tuple)) or (isinstance(o, np.ndarray) and o.ndim):
        if len(o) != len(s):
            raise DiffcError(f"internal error: adding adjoints of {len(s)} and {len(o)} items",
                             hint="this is a diffc bug: please report it")
        return Items(x + y for x, y in zip(s, o))
    if not np.ndim(o):
        if type(o) in _PYSCALAR and o == 0:
            return Items(s)
        return Items(x + o for x in s)
    return s._array() + o


def _axes(axis, ndim):
    """Normalize a reduction axis (None, int or tuple) to a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if ndim == 0:
        return ()
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(a % ndim for a in axis))
    return (axis % ndim,)


def _keepdims(v, axes, keepdims):
    """Re-insert the reduced axes into v (the result of a reduction) unless keepdims was set."""
    if keepdims or not axes:
        return np.asarray(v)
    return np.expand_dims(v, axes)


def _broadcasts_to(shape, target):
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _zero(g, size=None):
    """Is g a zero adjoint? Adjoints start as the scalar 0.0, which stands for zeros of any
    shape; multiplied by a smaller operand it stays all zero but smaller than the value it
    belongs to, so an array adjoint with fewer than ``size`` elements is zero too. VJPs are
    linear in g: a zero g gives a zero contribution."""
    if not getattr(g, "ndim", 0):
        return g == 0
    return size is not None and g.size < size


def _size(shape):
    return math.prod(shape)


def _reduced_size(x, axis, keepdims=False):
    xs = _shape(x)
    if axis is None:
        return 1
    return _size(xs) // max(1, _size(xs[a] for a in _axes(axis, len(xs))))


def _matmul_size(a, b):
    sa, sb = _shape(a), _shape(b)
    if len(sa) == 1 and len(sb) == 1:
        return 1
    if len(sa) == 1:
        return _size(sb[:-2]) * sb[-1]
    if len(sb) == 1:
        return _size(sa[:-1])
    return _size(np.broadcast_shapes(sa[:-2], sb[:-2])) * sa[-2] * sb[-1]


def _dot_size(a, b):
    sa, sb = _shape(a), _shape(b)
    if not sa or not sb:
        return max(_size(sa), _size(sb))
    return _size(sa[:-1]) * (_size(sb[:-2]) * sb[-1] if len(sb) > 1 else 1)


def div(a, b):
    """``a / b`` with IEEE results (inf, -inf, nan) for Python numbers too, as NumPy gives
    them: derivative rules divide by values (``2.0 * math.sqrt(0.0)``) that may be zero
    where the function itself is defined."""
    try:
        return a / b
    except ZeroDivisionError:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.float64(a) / np.float64(b)


def outer_vjp_a(g, a, b):
    """Adjoint of np.outer(a, b) with respect to a."""
    if _zero(g, _size(_shape(a)) * _size(_shape(b))):
        return 0.0
    return np.reshape(g @ np.ravel(b), _shape(a))


def outer_vjp_b(g, a, b):
    """Adjoint of np.outer(a, b) with respect to b."""
    if _zero(g, _size(_shape(a)) * _size(_shape(b))):
        return 0.0
    return np.reshape(np.ravel(a) @ g, _shape(b))


_JOIN_HINT = ("say that they are: `list(a) + list(b)`, `tuple(a) + tuple(b)`, or use NumPy "
              "arrays (np.concatenate)")


def broadcast(t, like):
    """Widen the tangent t to the shape of ``like`` (forward mode's ``unbroadcast``)."""
    ts, s = _shape(t), _shape(like)
    if ts == s:
        return t
    if isinstance(like, (list, tuple)) and isinstance(t, (list, tuple)):
        raise DiffcError(f"an operation produced {len(like)} items from operands of "
                         f"{len(t)} (`a + b` joined lists or tuples diffc did not know were "
                         f"ones)", hint=_JOIN_HINT)
    return np.broadcast_to(t, s)


def zeros_tangent(x):
    """The zero tangent of x: 0.0, float zeros shaped like an array, or per item of a tuple."""
    fields = _fields(x)
    if fields is not None and isinstance(x, tuple):    # a NamedTuple: the same kind
        return type(x)(*(zeros_tangent(v) for v in x))
    if fields is not None:
        return Entries((f, zeros_tangent(getattr(x, f))) for f in fields)
    if isinstance(x, tuple):
        return tuple(zeros_tangent(v) for v in x)
    if isinstance(x, list):
        return [zeros_tangent(v) for v in x]
    if isinstance(x, dict):
        return Entries((k, zeros_tangent(v)) for k, v in x.items())
    if isinstance(x, (np.ndarray, np.generic)):
        return np.zeros(x.shape, x.dtype if x.dtype.kind == "f" else np.float64)
    return 0.0


def unbroadcast(g, x):
    """Sum g down to the shape of x, undoing NumPy broadcasting."""
    if type(g) is Items:    # the adjoint of a list, item by item
        if isinstance(x, (list, tuple)) and len(g) == len(x):
            return g
        raise DiffcError(
            f"an operation produced {len(g)} items from an operand of "
            f"{len(x) if isinstance(x, (list, tuple)) else 'shape ' + str(_shape(x))}"
            + (" (`a + b` joined lists or tuples diffc did not know were ones)"
               if isinstance(x, (list, tuple)) else ""), hint=_JOIN_HINT)
    if type(x) in _PYSCALAR:
        return g if type(g) in _PYSCALAR or not np.ndim(g) else np.sum(g)
    gs = getattr(g, "shape", ())
    xs = _shape(x)
    if gs == xs:
        return g
    if not xs:
        return np.sum(g)
    extra = len(gs) - len(xs)
    if extra > 0:
        g = np.sum(g, axis=tuple(range(extra)))
        gs = g.shape
    ax = tuple(-i for i in range(1, min(len(gs), len(xs)) + 1) if xs[-i] == 1 and gs[-i] != 1)
    if ax:
        g = np.sum(g, axis=ax, keepdims=True)
    if np.shape(g) != xs and _broadcasts_to(np.shape(g), xs):
        return np.broadcast_to(g, xs)    # a zero adjoint smaller than x
    if np.shape(g) != xs:
        raise DiffcError(
            f"an operation produced a value of shape {gs} from an operand of shape {xs} without "
            f"broadcasting" + (" (adding lists concatenates them, which diffc does not "
                               "differentiate yet)" if isinstance(x, (list, tuple)) else ""),
            hint="use NumPy arrays, e.g. np.concatenate, for sequences that grow")
    return g


def unreduce(g, x, axis=None, keepdims=False):
    """Adjoint of np.sum(x, axis, keepdims): g broadcast back to x's shape (maybe a read-only view)."""
    if _zero(g, _reduced_size(x, axis)):
        return 0.0
    xs = _shape(x)
    if getattr(g, "shape", ()) == xs:
        return g
    if not keepdims and axis is not None:
        g = np.expand_dims(g, _axes(axis, len(xs)))
    return np.broadcast_to(g, xs)


def mean_vjp(g, x, axis=None, keepdims=False):
    """Adjoint of np.mean(x, axis, keepdims)."""
    if _zero(g, _reduced_size(x, axis)):
        return 0.0
    if type(x) in _PYSCALAR:
        return g
    xs = _shape(x)
    n = math.prod(xs[a] for a in _axes(axis, len(xs)))
    return unreduce(g, x, axis, keepdims) / max(n, 1)


def prod_vjp(g, ans, x, axis=None, keepdims=False):
    """Adjoint of np.prod(x, axis, keepdims); exact when x contains one or several zeros."""
    if _zero(g, _reduced_size(x, axis)):
        return 0.0
    if not _shape(x):
        return g
    x = np.asarray(x)
    ax = _axes(axis, x.ndim)
    g = _keepdims(g, ax, keepdims)
    zero = x == 0
    nzeros = np.sum(zero, axis=ax, keepdims=True)
    xnz = np.where(zero, 1, x)
    pnz = np.prod(xnz, axis=ax, keepdims=True)  # product of the non-zero entries
    # no zero in the slice: prod/x_i; exactly one zero: prod of the others at the zero; else 0
    d = np.where(nzeros == 0, pnz / xnz, np.where(zero & (nzeros == 1), pnz, 0))
    return g * d


def minmax_vjp(g, ans, x, axis=None, keepdims=False):
    """Adjoint of np.max/np.min/np.amax/np.amin: g split equally among the extremal entries."""
    if _zero(g, _reduced_size(x, axis)):
        return 0.0
    if not _shape(x):
        return g
    x = np.asarray(x)
    ax = _axes(axis, x.ndim)
    g = _keepdims(g, ax, keepdims)
    ans = _keepdims(ans, ax, keepdims)
    mask = x == ans
    if x.dtype.kind in "fc":  # a NaN extremum: give g to the NaN entries
        mask |= np.isnan(x) & np.isnan(ans)
    count = np.sum(mask, axis=ax, keepdims=True)
    return g * (mask / np.maximum(count, 1))


def _matmul_2d(g, a, b):
    """Promote 1-D matmul operands (and g) to the 2-D/batched case."""
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if b.ndim == 1:
        b, g = b[:, None], g[..., None]
    if a.ndim == 1:
        a, g = a[None, :], g[..., None, :]
    return g, a, b


def matmul_vjp_a(g, a, b):
    """Adjoint of np.matmul(a, b) with respect to a."""
    if _zero(g, _matmul_size(a, b)):
        return 0.0
    g2, a2, b2 = _matmul_2d(g, a, b)
    da = np.matmul(g2, np.swapaxes(b2, -1, -2))
    if np.ndim(a) == 1:
        da = da[..., 0, :]
    return unbroadcast(da, a)


def matmul_vjp_b(g, a, b):
    """Adjoint of np.matmul(a, b) with respect to b."""
    if _zero(g, _matmul_size(a, b)):
        return 0.0
    g2, a2, b2 = _matmul_2d(g, a, b)
    db = np.matmul(np.swapaxes(a2, -1, -2), g2)
    if np.ndim(b) == 1:
        db = db[..., 0]
    return unbroadcast(db, b)


def dot_vjp_a(g, a, b):
    """Adjoint of np.dot(a, b) with respect to a."""
    if _zero(g, _dot_size(a, b)):
        return 0.0
    a, b = _arr(a), _arr(b)
    if not _shape(a) or not _shape(b):
        return unbroadcast(g * b, a)
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if b.ndim == 1:
        return np.multiply.outer(g, b)
    # out[i..., j..., n] = sum_k a[i..., k] b[j..., k, n]
    return np.tensordot(g, b, axes=(list(range(a.ndim - 1, g.ndim)),
                                    list(range(b.ndim - 2)) + [b.ndim - 1]))


def dot_vjp_b(g, a, b):
    """Adjoint of np.dot(a, b) with respect to b."""
    if _zero(g, _dot_size(a, b)):
        return 0.0
    a, b = _arr(a), _arr(b)
    if not _shape(a) or not _shape(b):
        return unbroadcast(g * a, b)
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    lead = list(range(a.ndim - 1))
    db = np.tensordot(a, g, axes=(lead, lead))  # shape (k,) + b.shape[:-2] + (n,)
    return db if b.ndim == 1 else np.moveaxis(db, 0, -2)


def transpose_vjp(g, axes=None):
    """Adjoint of np.transpose(x, axes): transpose g by the inverse permutation."""
    if _zero(g):
        return 0.0
    if axes is None:
        return np.transpose(g)
    g = np.asarray(g)
    return np.transpose(g, np.argsort([a % g.ndim for a in axes]))


def reshape_vjp(g, x):
    """Adjoint of a reshape of x: g reshaped to x's shape."""
    if _zero(g, _size(_shape(x))):
        return 0.0
    xs = _shape(x)
    if getattr(g, "shape", ()) == xs:
        return g
    return np.reshape(g, xs)


def _is_basic(idx):
    """True if idx is a basic index (ints, slices, None, Ellipsis), which never repeats an element."""
    if isinstance(idx, tuple):
        return all(isinstance(i, _BASIC_INDEX) and not isinstance(i, bool) for i in idx)
    return isinstance(idx, _BASIC_INDEX) and not isinstance(idx, bool)


def index_vjp(dx, x, idx, g):
    """Adjoint of y = x[idx]: dx + g scattered at idx (dx, if an owned ndarray, is updated in place)."""
    t = type(idx)
    if type(dx) is np.ndarray and (t is int or t is tuple and len(idx) == 2
                                   and type(idx[0]) is int and type(idx[1]) is int):
        try:  # fast path of scalar loops: O(1), no allocation
            dx[idx] += g
            return dx
        except (ValueError, IndexError, TypeError):
            pass  # e.g. a read-only dx: take the general path (which re-raises real errors)
    if isinstance(x, dict):
        # an entry of a dict: one adjoint per key
        if type(dx) is not Entries:
            dx = Entries() if _zero(dx) else Entries() + dx
        dx[idx] = dx[idx] + g
        return dx
    if type(g) is tuple:
        g = Items(g)        # the adjoints of an item that is a tuple (``a, b = xs[i]``)
    if isinstance(x, (list, tuple)) and isinstance(idx, slice):
        # a slice of a list (ls[1:], ls[:]): the items' adjoints back in their places
        if _zero(g):
            return dx
        if not isinstance(dx, Items):
            dx = Items([0.0] * len(x)) if _zero(dx) else Items([0.0] * len(x)) + dx
        for k, i in enumerate(range(len(x))[idx]):
            dx[i] = dx[i] + g[k]
        return dx
    if isinstance(x, (list, tuple)) and isinstance(idx, (int, np.integer)):
        # an item of a list or tuple (a NamedTuple's adjoint is positional too) (maybe of differently shaped values): one adjoint per item
        if not isinstance(dx, Items):
            dx = Items([0.0] * len(x)) if _zero(dx) else Items([0.0] * len(x)) + dx
        dx[idx] = dx[idx] + g
        return dx
    xs = _shape(x)
    if not (type(dx) is np.ndarray and dx.shape == xs and dx.flags.writeable):
        if isinstance(x, np.ndarray) and x.dtype.kind in "fc":
            dt = x.dtype
        else:
            dt = np.dtype(np.float64)
        if np.iscomplexobj(g) or np.iscomplexobj(dx):
            dt = np.result_type(dt, np.complex64)
        new = np.zeros(xs, dt)
        if not (type(dx) is float and dx == 0.0):
            new += dx
        dx = new
    if _is_basic(idx):
        dx[idx] += g
    else:
        np.add.at(dx, idx, g)
    return dx


def stack_vjp(g, xs, axis=0):
    """Adjoint of np.stack(xs, axis): the list of len(xs) slices of g along axis."""
    if _zero(g, len(xs) * _size(_shape(xs[0])) if len(xs) else 0):
        return Items([0.0] * len(xs))
    return Items(np.moveaxis(np.asarray(g), axis, 0))


def concatenate_vjp(g, xs, axis=0):
    """Adjoint of np.concatenate(xs, axis): g split into pieces shaped like each x."""
    if _zero(g, sum(_size(_shape(x)) for x in xs)):
        return Items([0.0] * len(xs))
    g = np.asarray(g)
    shapes = [_shape(x) for x in xs]
    if axis is None:
        ends = np.cumsum([math.prod(s) for s in shapes])[:-1]
        return Items(p.reshape(s) for p, s in zip(np.split(g.ravel(), ends), shapes))
    ax = axis % g.ndim
    return Items(np.split(g, np.cumsum([s[ax] for s in shapes])[:-1], axis=ax))


def power_vjp_base(g, x, y):
    """Adjoint of x**y w.r.t. x: g*y*x**(y-1) unbroadcast to x, and 0 where y == 0."""
    if type(x) in _PYNUM and type(y) in _PYNUM and not hasattr(g, "shape"):
        if y == 0:
            return 0.0
        try:
            return g * y * x ** (y - 1)
        except (ZeroDivisionError, OverflowError):
            pass  # 0.0 ** negative: fall through to NumPy, which gives inf
    xa, ya = np.asarray(x), np.asarray(y)
    if xa.dtype.kind in "biu" and ya.dtype.kind in "biu":
        xa = xa.astype(np.float64)  # integers to negative integer powers are not allowed
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d = g * np.where(ya == 0, 0.0, ya * np.power(xa, ya - 1))
    return unbroadcast(d, x)


def power_vjp_exponent(g, ans, x, y):
    """Adjoint of x**y w.r.t. y: g*ans*log(x) unbroadcast to y, and 0 where x == 0."""
    if (type(x) in _PYNUM and type(y) in _PYNUM
            and not hasattr(g, "shape") and not hasattr(ans, "shape")):
        if x > 0:
            return g * ans * math.log(x)
        if x == 0:
            return 0.0
    xa = np.asarray(x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        zero = xa == 0
        d = np.where(zero, 0.0, g * ans * np.log(np.where(zero, 1, xa)))
    return unbroadcast(d, y)


def seq_item(g, i):
    """Item ``i`` of a sequence adjoint; a scalar zero stands for all zeros."""
    if isinstance(g, (tuple, list, np.ndarray)):
        return g[i]
    return 0.0


def seq_add(acc, gs):
    """Accumulate a tuple of adjoints into a sequence adjoint (item by item)."""
    return Items(gs) + acc


def array_vjp(g, x):
    """Adjoint of ``np.array(x)``/``np.asarray(x)``: per item for list inputs."""
    if _zero(g):
        return Items([0.0] * len(x)) if isinstance(x, (list, tuple)) else 0.0
    if isinstance(x, (list, tuple)):
        return Items(g[i] for i in range(len(x)))
    return g


def ravel_vjp(g, a, order="C"):
    """Adjoint of np.ravel(a, order)."""
    if _zero(g, _size(_shape(a))):
        return 0.0
    if order in ("A", "K"):
        arr = np.asarray(a)
        if order == "K" and not (arr.flags.c_contiguous or arr.flags.f_contiguous):
            raise DiffcError("np.ravel(..., order='K') of a non-contiguous array is not supported",
                             hint="use order='C' or 'F'")
        order = "F" if arr.flags.f_contiguous and not arr.flags.c_contiguous else "C"
    return np.reshape(g, _shape(a), order=order)


def fstring(template, *values):
    """An f-string: ``f"loss = {s:.3f}"`` is ``fstring('loss = {0:.3f}', s)``."""
    return template.format(*values)


def keep_array(old, new):
    """``x op= v`` keeps a 0-d array a 0-d array (``x = x op v`` would give a NumPy scalar);
    used where other variables may share x's memory, so that the guards see it."""
    if type(old) is np.ndarray and not isinstance(new, np.ndarray):
        return np.asarray(new)
    return new


def minmax_weights(ans, x, axis=None, keepdims=False):
    """Tangent weights of np.max/np.min(x, axis, keepdims) with output ans, shaped like x:
    1/count on the extremal entries of each slice (tied entries share equally, as in
    ``minmax_vjp``; a NaN extremum goes to the NaN entries), 0 elsewhere. Piecewise
    constant, so the JVP ``np.sum(g * weights, axis, keepdims)`` differentiates again."""
    if not _shape(x):
        return 1.0
    x = np.asarray(x)
    ax = _axes(axis, x.ndim)
    ans = _keepdims(ans, ax, keepdims)
    mask = x == ans
    if x.dtype.kind in "fc":
        mask |= np.isnan(x) & np.isnan(ans)
    return mask / np.maximum(np.sum(mask, axis=ax, keepdims=True), 1)


def ravel_order(a, order="C"):
    """The order, "C" or "F", in which ``np.ravel(a, order)`` reads a's elements, so that a
    tangent of any memory layout is flattened the same way ("A" and "K" follow a's layout)."""
    if order not in ("A", "K"):
        return order
    arr = np.asarray(a)
    if order == "K" and not (arr.flags.c_contiguous or arr.flags.f_contiguous):
        raise DiffcError("np.ravel(..., order='K') of a non-contiguous array is not supported",
                         hint="use order='C' or 'F'")
    return "F" if arr.flags.f_contiguous and not arr.flags.c_contiguous else "C"
