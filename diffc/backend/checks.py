"""Checks of the values that cross the API boundary, called by generated wrappers.

The arguments of a derivative (``check_args``: no np.matrix, masked arrays or
array-likes with arithmetic of their own; numeric ``wrt`` arguments), its tangents
(``check_tangent``) and cotangents (``check_cotangent``), the scalar output of a
gradient (``check_scalar_output``), the gradient returned (``finalize``: the
argument's shape and floating dtype, a fresh array), and the run-time guards of
in-place updates (``check_inplace*``) and of loops (``check_sequence``).
"""
import dataclasses

import numpy as np

from ..errors import DiffcError
from .runtime import Items, _fields, _shape, _zero


def check_tangent(t, x, param, fname):
    """The tangent t given for argument ``param`` (value x) of fname, checked to have x's shape."""
    fields = _fields(x)
    if fields is not None:
        # a NamedTuple or dataclass: a tangent of the same kind (or a dict), field by field
        if isinstance(t, dict):
            get = t.get
        elif type(t) is type(x):
            def get(f, default=None):
                return getattr(t, f)
        else:
            raise DiffcError(f"the tangent for `{param}` of {fname} must be a "
                             f"{type(x).__name__} (or a dict of its fields)")
        return {f: check_tangent(get(f, None), getattr(x, f), f"{param}.{f}", fname)
                for f in fields}
    if isinstance(x, dict):
        # a dict: a dict of tangents with the same keys
        if not isinstance(t, dict) or set(t) != set(x):
            raise DiffcError(f"the tangent for `{param}` of {fname} must be a dict with the "
                             f"keys of `{param}` ({', '.join(map(repr, x))})")
        return {k: check_tangent(t[k], v, f"{param}[{k!r}]", fname) for k, v in x.items()}
    if isinstance(x, (tuple, list)) and isinstance(t, (tuple, list)) and not _homogeneous(x):
        if len(t) != len(x):
            raise DiffcError(f"the tangent for `{param}` of {fname} has {len(t)} items; "
                             f"`{param}` has {len(x)}")
        return type(t)(check_tangent(ti, xi, f"{param}[{i}]", fname)
                       for i, (ti, xi) in enumerate(zip(t, x)))
    if t is None:
        raise DiffcError(f"{fname}'s Jacobian-vector product needs a tangent for `{param}` "
                         "(its last argument)")
    try:
        ts = np.shape(t)
    except ValueError:
        ts = None
    if ts != np.shape(x):
        raise DiffcError(f"the tangent for `{param}` of {fname} has shape {ts}; it must have "
                         f"the shape of `{param}`, {np.shape(x)}")
    if np.iscomplexobj(t):
        raise DiffcError(f"the tangent for `{param}` of {fname} is complex; diffc works with "
                         "real numbers")
    if isinstance(t, (list, tuple)):
        return np.asarray(t, dtype=np.float64)
    if isinstance(t, (np.ndarray, np.generic)) and t.dtype.kind != "f":
        return t.astype(np.float64)
    return t


def unit_tangent(x, param, fname):
    """The tangent 1 for a scalar argument: a derivative with respect to it by forward mode."""
    if np.size(x) != 1 or isinstance(x, (list, tuple)):
        raise DiffcError(f"the derivative of {fname} with respect to `{param}` is not a scalar "
                         f"(`{param}` has shape {np.shape(x)}), so it cannot be differentiated "
                         "as a gradient again", hint="use diffc.hessian, diffc.hvp or "
                         "diffc.jacobian for second derivatives with respect to arrays")
    return np.ones(np.shape(x)) if isinstance(x, (np.ndarray, np.generic)) else 1.0


def check_tangent_tuple(t, n, fname):
    """The tangents given for several arguments: a tuple or list of n of them."""
    if not isinstance(t, (tuple, list)) or len(t) != n:
        raise DiffcError(f"the tangent for {fname} must be a tuple of {n} tangents, one per "
                         "argument in wrt")
    return tuple(t)


def _check_shape(g, shape):
    """Raise ValueError unless g (of any shape) can be broadcast to exactly `shape`."""
    gs = np.shape(g)
    if gs != shape:
        try:
            ok = np.broadcast_shapes(gs, shape) == shape
        except ValueError:
            ok = False
        if not ok:
            raise DiffcError(f"the gradient came out with shape {gs} for an argument of shape "
                             f"{shape}", hint="this happens when lists or tuples are joined "
                             "or repeated with + or * where diffc did not know they were ones: "
                             "write `list(a) + list(b)`, `tuple(t) * 2`; otherwise it is a diffc "
                             "bug: please report it")


def _numeric(x):
    if isinstance(x, (list, tuple)):
        return all(_numeric(v) for v in x)
    return isinstance(x, (int, float, bool, np.ndarray, np.generic))


def _homogeneous(x):
    """A list of equally shaped numbers or arrays (not of dicts or objects)."""
    if not _numeric(x):
        return False
    try:
        np.shape(x)
        return True
    except ValueError:
        return False


def _check_real(g):
    if np.iscomplexobj(g):
        raise DiffcError("the computation went through complex values, which diffc's derivative "
                         "rules do not support yet (they assume real numbers)",
                         hint="keep intermediate values real")


def finalize(g, x):
    """Turn the accumulated adjoint g into the gradient for argument x (x's shape and dtype, fresh)."""
    tx = type(x)
    if tx is float or tx is int or tx is bool:
        if type(g) is float:
            return g
        _check_shape(g, ())
        _check_real(g)
        return float(g)
    fields = _fields(x)
    if fields is not None:
        # a NamedTuple or dataclass: the same kind of object, field by field
        def part(i, f):
            if isinstance(g, dict):
                return g.get(f, 0.0)
            if isinstance(g, (list, tuple)) and len(g) == len(fields):
                return g[i]
            return 0.0
        values = {f: finalize(part(i, f), getattr(x, f)) for i, f in enumerate(fields)}
        if isinstance(x, tuple):
            return type(x)(**values)
        return dataclasses.replace(x, **values)
    if isinstance(x, dict):
        # a dict argument: a dict of gradients, key by key
        return {k: finalize(g.get(k, 0.0) if isinstance(g, dict) else 0.0, v)
                for k, v in x.items()}
    if type(g) is Items and isinstance(x, (list, tuple)) and len(g) == len(x):
        # per-item adjoints (zeros as 0.0): an array for a list of equally shaped items
        items = [finalize(gi, xi) for gi, xi in zip(g, x)]
        if _homogeneous(x):
            return np.array(items, dtype=np.float64).reshape(np.shape(x))
        return items
    if isinstance(x, (list, tuple)) and not _homogeneous(x):
        # differently shaped items: a list of their gradients
        gs = [0.0] * len(x) if _zero(g) else g
        if not isinstance(gs, (list, tuple)) or len(gs) != len(x):
            raise DiffcError(f"cannot shape the gradient of a list of {len(x)} differently shaped "
                             f"items", hint="pass the items as separate arguments")
        return [finalize(gi, xi) for gi, xi in zip(gs, x)]
    if tx is complex or np.iscomplexobj(x):
        raise DiffcError("diffc differentiates real-valued arguments; this one is complex",
                         hint="split it into real and imaginary parts")
    if isinstance(x, (np.ndarray, np.generic)):
        shape, dt = x.shape, x.dtype
    else:  # list, tuple, other array-likes
        shape, dt = np.shape(x), np.dtype(np.float64)
    if dt.kind not in "fc":
        dt = np.dtype(np.float64)
    _check_shape(g, shape)
    _check_real(g)
    if isinstance(x, np.generic):
        return dt.type(g)
    out = np.empty(shape, dt)
    out[...] = g  # always a fresh writable array: never aliases x or another input
    return out


_ARRAY_TYPES = (np.ndarray, np.memmap)      # arrays whose arithmetic is NumPy's


_ARRAY_PROTOCOLS = ("__array__", "__array_ufunc__", "__array_function__", "__array_priority__",
                    "__array_interface__")


def check_args(values, fname, names, wrt):
    """Refuse arguments whose arithmetic is not NumPy's (np.matrix, where ``*`` is a matrix
    product; masked arrays; pandas, sparse or GPU array-likes), and arguments in ``wrt`` that
    are not numbers, arrays, or lists and tuples of them."""
    for v, name in zip(values, names):
        t = type(v)
        if t is float or t is int or (t is np.ndarray and (v.dtype.kind in "biufc" or
                                                          name not in wrt)):
            continue
        _check_arg(v, name, name in wrt, fname, 0)


def _check_arg(v, name, wrt, fname, depth):
    t = type(v)
    if isinstance(v, np.ndarray) and t not in _ARRAY_TYPES or \
            not isinstance(v, (np.ndarray, np.generic)) and \
            any(hasattr(t, p) for p in _ARRAY_PROTOCOLS):
        kind = {"matrix": "an np.matrix, where * is a matrix product",
                "MaskedArray": "a masked array, whose masked entries NumPy skips"}.get(
                    t.__name__, f"a {t.__module__}.{t.__qualname__}, an array-like whose "
                                "arithmetic is not NumPy's")
        raise DiffcError(f"argument `{name}` of {fname} is {kind}; diffc differentiates "
                         "NumPy arrays", hint=f"pass np.asarray({name}) (and rewrite matrix "
                         "products with @), or convert it before calling")
    if isinstance(v, (list, tuple)):
        if depth < 8:
            items = v if len(v) <= 64 else (v[0], v[-1])
            for i, item in enumerate(items):
                _check_arg(item, f"{name}[{i if len(v) <= 64 else (0, -1)[i]}]", wrt, fname,
                           depth + 1)
        return
    fields = _fields(v)
    if fields is not None and not isinstance(v, tuple):
        if depth < 8:
            for f in fields[:64]:
                _check_arg(getattr(v, f), f"{name}.{f}", wrt, fname, depth + 1)
        return
    if type(v) is dict:
        if depth < 8:
            for k, item in list(v.items())[:64]:
                _check_arg(item, f"{name}[{k!r}]", wrt, fname, depth + 1)
        return
    if not wrt:
        return
    if isinstance(v, (np.ndarray, np.generic)):
        if v.dtype.kind in "biufc":
            return
        what = f"an array of dtype {v.dtype}"
    elif isinstance(v, (bool, int, float, complex)):
        return
    else:
        what = f"a {t.__name__}" if t.__module__ == "builtins" else \
            f"a {t.__module__}.{t.__qualname__}"
    raise DiffcError(f"argument `{name}` of {fname} is {what}; diffc differentiates with "
                     "respect to numbers, arrays and lists, tuples or dicts of them",
                     hint=f"convert `{name}` to a number or an array first, or leave it out "
                          "of wrt")


_HINT = ("diffc.grad needs a function with one real scalar output; for other outputs "
         "use diffc.vjp (vector-Jacobian product), diffc.jvp or diffc.jacobian")


def check_scalar_output(ans, fname):
    """Raise DiffcError unless ans (the output of function fname) is a real numeric scalar."""
    t = type(ans)
    if t is float or t is int:
        return
    if isinstance(ans, (tuple, list)):
        raise DiffcError(f"{fname} returned a {t.__name__} of length {len(ans)}, "
                         f"but a real scalar is needed to take its gradient", hint=_HINT)
    kind = ans.dtype.kind if isinstance(ans, (np.ndarray, np.generic)) else None
    if kind is not None and ans.ndim != 0:
        raise DiffcError(f"{fname} returned an array of shape {ans.shape}, "
                         f"but a real scalar is needed to take its gradient", hint=_HINT)
    if kind in ("b", "i", "u", "f") or (kind is None and isinstance(ans, (bool, np.bool_))):
        return
    if kind is None and hasattr(ans, "__float__") and not isinstance(ans, (complex, str, bytes)):
        if np.ndim(ans) == 0:
            return
        raise DiffcError(f"{fname} returned a {t.__name__} of shape {np.shape(ans)}, "
                         f"but a real scalar is needed to take its gradient", hint=_HINT)
    what = "a complex value" if kind == "c" or t is complex else f"a value of type {t.__name__}"
    raise DiffcError(f"{fname} returned {what}, but a real scalar is needed to take its gradient",
                     hint=_HINT)


def check_cotangent(ct, ans, fname):
    """Raise a DiffcError unless the cotangent has the output's shape."""
    if isinstance(ans, tuple):
        if not isinstance(ct, (tuple, list)) or len(ct) != len(ans):
            raise DiffcError(f"{fname} returns a tuple of {len(ans)} values; the cotangent must "
                             f"be a tuple of as many, got {type(ct).__name__}")
        for c, a in zip(ct, ans):
            check_cotangent(c, a, fname)
        return
    if _shape(ct) != _shape(ans):
        raise DiffcError(f"the cotangent has shape {_shape(ct)} but {fname} returns shape "
                         f"{_shape(ans)}", hint="pass a cotangent shaped like the output")


def check_inplace(z, name, others, scope, module_scope, where):
    """Refuse ``z op= v`` when ``z`` is an array sharing memory with another variable."""
    if not isinstance(z, np.ndarray):
        return
    for other in others:
        o = scope[other] if other in scope else module_scope.get(other)
        if _shares(z, o, 0):
            raise DiffcError(
                f"{where}: `{name} op= ...` updates the array {name} in place, and {name} shares "
                f"memory with `{other}`; diffc computes a new array instead, which would change "
                f"{other}'s value", hint=f"write `{name} = {name} op ...` or copy first "
                f"(`{name} = {name}.copy()`) to say which you mean")


_NUMPY_1 = int(np.__version__.split(".")[0]) < 2


def check_overlap(x, idx, v, name, where):
    """Refuse ``x[idx] = v`` with an index array and ``v`` sharing x's memory on NumPy 1.x,
    which writes the items one by one without copying v first: the result depends on
    the order of the writes (NumPy 2 copies v, as diffc's derivative assumes)."""
    from .runtime import _is_basic
    if _NUMPY_1 and isinstance(x, np.ndarray) and isinstance(v, np.ndarray) and \
            not _is_basic(idx) and np.may_share_memory(x, v):
        raise DiffcError(
            f"{where}: `{name}[...] = ...` writes at an index array items that share "
            f"{name}'s memory; NumPy {np.__version__} writes them one by one without copying, "
            f"so the result depends on the order of the writes",
            hint=f"copy the items first (`{name}[idx] = v.copy()`), or use NumPy 2")


def check_write(x, name, others, scope, where):
    """Refuse ``x[...] = v`` when x shares memory with another variable read later (a view
    of it, or the array it is a view of): the write would change that value too, which
    diffc does not follow."""
    if not isinstance(x, (np.ndarray, list, dict)) and not hasattr(x, "__dict__"):
        return
    for other in others:
        if other in scope and _shares(x, scope[other], 0):
            what = f"`{name}`" if name else "the part it writes through (`y[i]` in " \
                                              "`y[i][j] = v`)"
            raise DiffcError(
                f"{where}: this write into {what} changes `{other}` too (they share memory: "
                f"a view, an alias, or a list holding it), and `{other}` is read later; "
                f"diffc does not follow writes through views yet",
                hint=f"copy what you write into first (`{name} = {name}.copy()`)" if name else
                     f"index once (`y[i, j] = v`), or copy `{other}` first")


def _slots(h):
    """(key, item) of every slot of a list, tuple, dict or object."""
    if isinstance(h, (list, tuple)):
        return enumerate(h)
    if isinstance(h, dict):
        return h.items()
    return vars(h).items() if hasattr(h, "__dict__") else ()


def _same_slot(h, key, index):
    if isinstance(h, (list, tuple)) and isinstance(index, (int, np.integer)):
        return key == index % len(h) if len(h) else False
    return key == index


def _slot_text(h, key):
    if isinstance(h, (list, tuple)):
        return f"at index {key}"
    return f"at key {key!r}" if isinstance(h, dict) else f"in its attribute `{key}`"


def _reaches(z, o, skip, depth=0):
    """May o be z, share z's memory, or hold such a value (not through the objects in
    ``skip``, whose slots are checked one by one)?"""
    if id(o) in skip:
        return False
    if o is z:
        return True
    if isinstance(o, np.ndarray):
        return isinstance(z, np.ndarray) and np.may_share_memory(z, o)
    if isinstance(o, (list, tuple, dict)) or (
            hasattr(o, "__dict__") and not isinstance(o, type) and depth < 4):
        return depth < 4 and any(_reaches(z, v, skip, depth + 1) for _, v in _slots(o))
    return False


_IMMUTABLE = (bool, int, float, complex, str, bytes, np.generic, type(None))


def check_slots(part, holders, indexes, where, what, others=(), scope=None,
                module_scope=None):
    """Refuse a change to ``part`` -- read from ``holders[-1][indexes[-1]]``, itself read
    from the holders before it -- that also changes another slot of a holder holding the
    same object or memory (``ls = [a, a]``, ``[row] * n``), or another variable in
    ``others``: diffc follows the change in the slot it was read from only."""
    if isinstance(part, _IMMUTABLE):
        return
    for h, index in zip(holders, indexes):
        for key, item in _slots(h):
            if not _same_slot(h, key, index) and _reaches(part, item, ()):
                raise DiffcError(
                    f"{where}: {what} changes in place a value that the same "
                    f"{type(h).__name__} also holds {_slot_text(h, key)} (the same object, "
                    f"or memory it shares); diffc follows the change "
                    f"{_slot_text(h, index)} only",
                    hint="store separate copies (`[np.zeros(n) for _ in range(m)]` rather "
                         "than `[np.zeros(n)] * m`; `.copy()` a value stored twice)")
    skip = {id(h) for h in holders}     # (their other slots are checked above)
    for other in others:
        o = scope[other] if other in scope else (module_scope or {}).get(other)
        if _reaches(part, o, skip):
            raise DiffcError(
                f"{where}: {what} changes in place a value that `{other}` shares (the "
                f"same array, a view of it, or a container holding it); diffc follows the "
                f"change in the container only",
                hint=f"copy it first (`... = {other}.copy()`), or make a new value "
                     f"(`c[k] = c[k] + v` instead of `c[k] += v`)")


def check_update(old, holders, indexes, others, scope, module_scope, where, what):
    """Refuse ``c[k] op= v`` (``o.a op= v``) where ``c[k]`` is an array and ``c`` is not:
    Python updates that array in place, which changes every other slot and variable
    sharing it, while diffc computes a new array for ``c[k]``. Without sharing both
    agree."""
    if isinstance(old, np.ndarray) and not isinstance(holders[-1], np.ndarray):
        check_slots(old, holders, indexes, where, what, others, scope, module_scope)


def _discrete(v):
    if v is None or isinstance(v, (bool, int, np.integer, str, slice, type, np.dtype)):
        return True
    if isinstance(v, np.ndarray):
        return v.dtype.kind in "biuUS"
    if isinstance(v, (tuple, list)):
        return all(_discrete(x) for x in v)
    return False


def check_discrete(value, param, fn, where):
    """Refuse a real number (or array of them) that depends on the inputs in an argument
    a rule does not differentiate (``np.clip(x, lo, hi)`` with ``lo`` from the inputs):
    its derivative would be silently missing. Integers and options are fine."""
    if not _discrete(value):
        raise DiffcError(
            f"{where}: diffc has no derivative of `{fn}` with respect to its argument "
            f"`{param}`, and `{param}` depends on the inputs here",
            hint="pass a constant there, or write the operation with functions diffc "
                 "differentiates in that argument (e.g. np.maximum/np.minimum for np.clip)")


def _shares(z, o, depth):
    """May the array (or list) z share memory with o, or with an item of o (a list holding
    z)?"""
    if o is z:
        return True
    if isinstance(o, np.ndarray) and isinstance(z, np.ndarray):
        return np.may_share_memory(z, o)
    if isinstance(o, (list, tuple)) and depth < 4:
        return any(_shares(z, item, depth + 1) for item in o)
    if isinstance(o, dict) and depth < 4:
        return any(_shares(z, item, depth + 1) for item in o.values())
    if not isinstance(o, (type, np.ndarray, np.generic)) and hasattr(o, "__dict__") and \
            depth < 4:      # an object holding z in an attribute
        return any(_shares(z, item, depth + 1) for item in vars(o).values())
    return False


def _kind(v):
    return "list" if isinstance(v, list) else "tuple" if isinstance(v, tuple) else None


def check_concat(a, b, where):
    """``a + b`` where diffc took the operands for lists or tuples: refuse anything else
    (Python would add arrays or numbers, or raise)."""
    if _kind(a) is None or _kind(a) != _kind(b):
        raise DiffcError(f"{where}: diffc took this `+` for joining lists or tuples, but it "
                         f"adds a {type(a).__name__} and a {type(b).__name__}",
                         hint="give the list and the other value different names")


def check_extend(ls, where):
    """``ls += xs`` where diffc took ls for a list (extended in place)."""
    if not isinstance(ls, list):
        raise DiffcError(f"{where}: diffc took this `+=` for extending a list, but it "
                         f"updates a {type(ls).__name__}",
                         hint="give the list and the other value different names")


def check_repeat(seq, n, where):
    """``seq * n`` where diffc took seq for a list or tuple and n for a count."""
    if _kind(seq) is None or not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise DiffcError(f"{where}: diffc took this `*` for repeating a list or tuple, but it "
                         f"multiplies a {type(seq).__name__} and a {type(n).__name__}",
                         hint="give the list and the other value different names")


def check_sequence(seq, where):
    """``for v in seq`` becomes an index loop: refuse iterables that are not sequences."""
    if isinstance(seq, (list, tuple, range, str)) or (isinstance(seq, np.ndarray) and seq.ndim):
        return
    raise DiffcError(f"{where}: diffc loops over lists, tuples, arrays and ranges; this loop "
                     f"iterates over a {type(seq).__name__}",
                     hint="loop over a list of its items, e.g. `for k in list(d):`")


def check_inplace_param(z, name, where):
    """Refuse ``p op= v`` on an array parameter of a helper: Python would change the
    caller's array, diffc computes a new one."""
    if isinstance(z, np.ndarray):
        raise DiffcError(
            f"{where}: `{name} op= ...` updates the array argument {name} in place, which "
            f"changes the caller's array; diffc computes a new array instead",
            hint=f"write `{name} = {name} op ...` (or copy the argument first) to say which "
                 f"you mean")


_KIND_NAMES = {np.ndarray: "an array", list: "a list", dict: "a dict", set: "a set"}


def check_inplace_arg(value, name, why, where):
    """Refuse a call to a helper whose ``p op= v``, with ``v`` depending on the inputs,
    would modify the argument in place (an array or a container; a number is rebound)."""
    if isinstance(value, (np.ndarray, list, dict, set)):
        raise DiffcError(
            f"{where}: the call passes `{name}` ({_KIND_NAMES.get(type(value), 'a container')}), "
            f"and {why}: that modifies `{name}` in place, which diffc does not "
            f"differentiate yet",
            hint="write `p = p op ...` in the helper (a new value), or pass a copy")


def snapshot_arg(value):
    """A copy of an argument a helper may modify in place (arrays, and the arrays of a list
    or dict), to compare after the call; None for values that cannot be modified."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, dict, set)):
        items = value.values() if isinstance(value, dict) else value
        return (type(value)(value), [v.copy() if isinstance(v, np.ndarray) else v
                                     for v in items])
    return None


def _same_value(a, b):
    if isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and a.shape == b.shape and \
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    return a is b


def check_unchanged(value, before, name, why, where):
    """Refuse, after the call, if a helper's ``p op= v`` modified the argument in place
    (diffc did not see the write, so a derivative would be wrong)."""
    if before is None:
        return
    if isinstance(value, np.ndarray):
        changed = not _same_value(value, before)
    else:
        shallow, items = before
        if isinstance(value, set):
            changed = shallow != value
        elif isinstance(value, dict):
            changed = shallow.keys() != value.keys() or \
                any(shallow[k] is not value[k] for k in value)
        else:
            changed = len(shallow) != len(value) or \
                any(x is not y for x, y in zip(shallow, value))
        now = list(value.values()) if isinstance(value, dict) else list(value)
        changed = changed or any(not _same_value(x, y) for x, y in zip(now, items))
    if changed:
        raise DiffcError(
            f"{where}: the call modified `{name}` ({_KIND_NAMES.get(type(value), 'a container')}) "
            f"in place: {why}. diffc does not differentiate writes into arrays yet",
            hint="write `p = p op ...` in the helper (a new value), or pass a copy")
