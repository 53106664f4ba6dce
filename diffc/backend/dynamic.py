"""Calls of functions known only when the code runs: a local variable holding a
function, an item of a list or dict of functions, a function passed to a helper::

    h = act(z)            ==>   h = call_function(act, (z,))
                                backward:  dz = dz + seq_item(call_vjp(dh, act, (z,)), 0)
                                forward:   h_dot = call_jvp((z_dot,), act, (z,))

``call_vjp`` and ``call_jvp`` get diffc's own derivative of the function called (built
at the first call with that function and kind of arguments, then cached, keyed on the
function): the function's source is transformed like any other (a NumPy function or
builtin is written as a one-line Python function calling it, so its rule is used). The
backward pass runs the function's forward pass again for its record. The API registers
the builder (``BUILD``), so that nothing here imports upward.

The function runs on copies of its array and container arguments, compared after the
call: a function that changes an argument is refused (diffc would not follow the
change). Second derivatives through such calls are refused when they run.
"""
import collections
import copy
import functools
import inspect
import itertools
import linecache
import re
import threading
import types
import weakref

import numpy as np

from ..errors import DiffcError
from .runtime import Entries, Items, _PYSCALAR, _fields, _zero, zeros_tangent

__all__ = ["check_callee", "method_function", "call_function", "call_vjp", "call_jvp", "call_jvp_vjp", "second_order_call"]

BUILD = None            # (function, wrt positions, "vjp" | "jvp") -> derivative; set by api
_built = collections.OrderedDict()      # (id(fn), n, wrt, kind) -> (fn, derivative)
_lock = threading.Lock()
_ids = itertools.count()


def _numeric(v):
    """A value diffc differentiates with respect to: numbers (not bools), numeric arrays,
    and lists, tuples, dicts, NamedTuples and dataclasses of them."""
    if isinstance(v, bool) or v is None:
        return False
    if isinstance(v, _PYSCALAR[:2]) or isinstance(v, (np.integer, np.floating)):
        return True
    if isinstance(v, np.ndarray):
        return v.dtype.kind in "fiu"
    fields = _fields(v)
    if fields is not None:
        return all(_numeric(getattr(v, f)) for f in fields)
    if isinstance(v, (list, tuple)):
        return len(v) > 0 and all(_numeric(x) for x in v)
    if isinstance(v, dict):
        return len(v) > 0 and all(_numeric(x) for x in v.values())
    return False


def _holds_reals(v, depth=0):
    """Does v hold real numbers diffc would have to differentiate (inside a value it does
    not take as a whole: a plain object, a list mixing numbers and other things)?"""
    if depth > 4 or isinstance(v, (bool, str, bytes, type)) or v is None or callable(v):
        return False
    if isinstance(v, (float, np.floating)):
        return True
    if isinstance(v, np.ndarray):
        return v.dtype.kind in "fc"
    if isinstance(v, (list, tuple, set)):
        return any(_holds_reals(x, depth + 1) for x in v)
    if isinstance(v, dict):
        return any(_holds_reals(x, depth + 1) for x in v.values())
    d = getattr(v, "__dict__", None)
    return isinstance(d, dict) and any(_holds_reals(x, depth + 1) for x in d.values())


def _check_opaque(fn, args, wrt, const=()):
    for i, a in enumerate(args):
        if i not in wrt and i not in const and _holds_reals(a):
            raise DiffcError(f"diffc cannot differentiate `{getattr(fn, '__name__', fn)}` "
                             f"(called through a variable) with respect to its argument "
                             f"{i + 1}, a {type(a).__name__} holding real numbers",
                             hint="pass numbers, arrays, or lists, dicts, NamedTuples and "
                                  "dataclasses of them")


def _python(fn, n):
    """``fn`` as something diffc reads: Python functions (and partials, bound methods,
    callable objects) as they are; anything else, a one-line function calling it."""
    if isinstance(fn, (types.FunctionType, types.MethodType)) or \
            type(fn).__module__ not in ("numpy", "builtins") and \
            not isinstance(fn, (types.BuiltinFunctionType, np.ufunc)):
        return fn
    name = re.sub(r"\W", "_", getattr(fn, "__name__", "function")) or "function"
    params = ", ".join(f"a{i}" for i in range(n))
    src = f"def {name}({params}):\n    return fn({params})\n"
    filename = f"<diffc-call-{next(_ids)}:{name}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    namespace = {"fn": fn}
    exec(compile(src, filename, "exec"), namespace)
    made = namespace[name]
    weakref.finalize(made, linecache.cache.pop, filename, None)
    return made


def _cached(fn, key, make):
    """The derivative cached for ``fn`` under ``key``, made by ``make()`` the first time
    (the 256 most recently used are kept)."""
    key = (id(fn),) + key
    with _lock:
        hit = _built.get(key)
        if hit is not None and hit[0] is fn:
            _built.move_to_end(key)
            return hit[1]
    if BUILD is None:
        raise DiffcError("internal error: no derivative builder registered",
                         hint="import diffc")
    made = make()
    with _lock:
        _built[key] = (fn, made)
        if len(_built) > 256:
            _built.popitem(last=False)
    return made


def _derivative(fn, args, kind, const=()):
    """(positions differentiated, diffc's ``kind`` derivative of fn with respect to them):
    the numbers and arrays among ``args``, but for the positions ``const`` (arguments that
    do not depend on the inputs)."""
    wrt = tuple(i for i, a in enumerate(args) if i not in const and _numeric(a))
    made = _cached(fn, (len(args), wrt, kind), lambda: BUILD(
        _python(fn, len(args)), wrt if len(wrt) != 1 else wrt[0], kind) if wrt else None)
    return wrt, made


def _object(v):
    """Does v keep its attributes in a ``__dict__`` diffc can copy (a plain object, a
    dataclass; not a function, class or module)?"""
    return isinstance(getattr(v, "__dict__", None), dict) and not callable(v) and \
        not isinstance(v, (type, types.ModuleType))


def _copy(v, depth=0):
    """A copy of v the called function may change: arrays, lists, dicts, NamedTuples and
    the attributes of objects (a method's ``self``) copied, as deep as 8 levels."""
    if depth > 8:
        return v
    if isinstance(v, np.ndarray):
        return v.copy()
    if type(v) in (list, tuple):
        return type(v)(_copy(x, depth + 1) for x in v)
    if type(v) is dict:
        return {k: _copy(x, depth + 1) for k, x in v.items()}
    if isinstance(v, tuple) and _fields(v) is not None:
        return type(v)(*(_copy(x, depth + 1) for x in v))
    if _object(v):
        out = copy.copy(v)
        for k, x in vars(v).items():
            out.__dict__[k] = _copy(x, depth + 1)
        return out
    return v


def _same(a, b, depth=0):
    if depth > 8:
        return True
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and \
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, tuple) or type(a) is list:
        return type(b) is type(a) and len(a) == len(b) and \
            all(_same(x, y, depth + 1) for x, y in zip(a, b))
    if type(a) is dict:
        return type(b) is dict and a.keys() == b.keys() and \
            all(_same(a[k], b[k], depth + 1) for k in a)
    if _object(a):
        return type(b) is type(a) and vars(a).keys() == vars(b).keys() and \
            all(x is y or _same(x, y, depth + 1) for x, y in
                zip(vars(a).values(), vars(b).values()))
    if isinstance(a, (float, int, complex, np.generic)):
        return type(a) is type(b) and (a == b or a != a and b != b)
    return True


def check_callee(fn, where):
    """Refuse calling, through a variable that depends on the inputs, a function holding
    real numbers of its own -- a method bound to an object (``f = layer.forward``), a
    ``functools.partial`` of arrays, a callable object: diffc would take them for
    constants."""
    held = getattr(fn, "__self__", None) if isinstance(fn, types.MethodType) else None
    if held is None and isinstance(fn, functools.partial):
        held = (fn.args, fn.keywords)
    if held is None and not isinstance(fn, (types.FunctionType, types.BuiltinFunctionType,
                                            np.ufunc, type)) and \
            isinstance(getattr(fn, "__dict__", None), dict):
        held = vars(fn)             # a callable object
    if held is not None and _holds_reals(held):
        raise DiffcError(f"{where}: the function called here (`{getattr(fn, '__name__', fn)}`) "
                         f"holds numbers that depend on the inputs (the object a method is "
                         f"bound to, a partial's arguments); diffc would take them for "
                         f"constants", hint="call the method on the object "
                         "(`layer.forward(x)`), or pass those numbers as arguments")


def method_function(obj, name):
    """The function ``obj.name(...)`` runs, for a method of a class of yours: it takes obj
    first (``type(obj).name``), so that diffc differentiates with respect to obj too."""
    static = inspect.getattr_static(type(obj), name, None)
    if isinstance(static, types.FunctionType):
        return static
    what = "a static or class method" if isinstance(static, (staticmethod, classmethod)) \
        else ("an attribute" if static is not None or hasattr(obj, name) else "no attribute")
    raise DiffcError(f"diffc differentiates `.{name}(...)` as a method of a class of yours "
                     f"(a `def` in the class body); on a {type(obj).__name__} it is {what}",
                     hint="call a module-level function, or give the class a plain method")


def call_function(fn, args, const=()):
    """``fn(*args)`` for a function known only when the code runs, on copies of the
    arguments (a function that changes one is refused). ``const``: the positions of the
    arguments that do not depend on the inputs (ad/effects.py), which the derivatives
    take as constants."""
    copies = tuple(_copy(a) for a in args)
    out = fn(*copies)
    for i, (a, c) in enumerate(zip(args, copies)):
        if c is not a and not _same(a, c):
            raise DiffcError(f"`{getattr(fn, '__name__', fn)}` changed its argument {i + 1} "
                             "in place; diffc does not follow writes into the arguments of a "
                             "function called through a variable",
                             hint="make the function return a new value")
    return out


def _as_adjoint(g, x):
    """A gradient diffc's API returned for argument x, as the adjoint generated code adds
    up: per field (``Entries``; a NamedTuple's positional, ``Items``), per key, per item."""
    fields = _fields(x)
    if fields is not None:
        if isinstance(g, dict):             # per field already (a tangent's adjoint)
            parts = [_as_adjoint(g.get(f, 0.0), getattr(x, f)) for f in fields]
        elif _zero(g):
            parts = [0.0 for f in fields]
        else:
            parts = [_as_adjoint(getattr(g, f), getattr(x, f)) for f in fields]
        return Items(parts) if isinstance(x, tuple) else Entries(zip(fields, parts))
    if isinstance(x, dict) and isinstance(g, dict):
        return Entries((k, _as_adjoint(g[k], x[k])) for k in x)
    if isinstance(x, (list, tuple)) and isinstance(g, list):
        return Items(_as_adjoint(gi, xi) for gi, xi in zip(g, x))
    return g


def _as_tangent(t, x):
    """The tangent generated code holds for argument x (zeros missing, a dict of fields
    for an object) as the API takes it: complete, of x's structure."""
    if type(t) in _PYSCALAR and t == 0:
        return zeros_tangent(x) if not isinstance(x, _PYSCALAR) else 0.0
    fields = _fields(x)
    if fields is not None:
        get = t.get if isinstance(t, dict) else (lambda f, d: getattr(t, f))
        return {f: _as_tangent(get(f, 0.0), getattr(x, f)) for f in fields}
    if isinstance(x, dict):
        return {k: _as_tangent(t.get(k, 0.0) if isinstance(t, dict) else 0.0, v)
                for k, v in x.items()}
    if isinstance(x, (list, tuple)) and isinstance(t, (list, tuple)) and len(t) == len(x):
        return [_as_tangent(ti, xi) for ti, xi in zip(t, x)]
    return t


def call_vjp(t, fn, args, const=()):
    """The adjoints of ``args`` in ``fn(*args)`` for the result's adjoint t: one per
    argument (0.0 for those that are not numbers or arrays)."""
    out = Items(0.0 for _ in args)
    if _zero(t):
        return out
    wrt, vjp = _derivative(fn, args, "vjp", const)
    _check_opaque(fn, args, wrt, const)
    if not wrt:
        return out
    grads = vjp(*args, t)
    for i, gi in zip(wrt, grads if len(wrt) > 1 else (grads,)):
        out[i] = _as_adjoint(gi, args[i])
    return out


def call_jvp(t, fn, args, const=()):
    """The tangent of ``fn(*args)`` along the tangents t of ``args`` (one per argument,
    0.0 for none)."""
    wrt, jvp = _derivative(fn, args, "jvp", const)
    _check_opaque(fn, args, wrt, const)
    if not wrt:
        return zeros_tangent(fn(*args))
    ts = [_as_tangent(t[i] if isinstance(t, (list, tuple)) else 0.0, args[i]) for i in wrt]
    _, tangent = jvp(*args, tuple(ts) if len(wrt) > 1 else ts[0])
    return tangent


def call_jvp_vjp(ct, t, fn, args, which, const=()):
    """Reverse mode of ``call_jvp(t, fn, args)`` (second derivatives: Hessians, hvp): the
    adjoint of the tangents t (``which`` 0) or of ``args`` (1) for the tangent's adjoint
    ct, from diffc's reverse mode of its own forward-mode derivative of fn."""
    out_t, out_args = Items(0.0 for _ in args), Items(0.0 for _ in args)
    wrt, jvp = _derivative(fn, args, "jvp", const)
    if not wrt or _zero(ct):
        return (out_t, out_args)[which]
    # reverse mode of the jvp function (args..., tangent) -> (value, tangent)
    vjp2 = _cached(fn, (len(args), wrt, "jvp_vjp"),
                   lambda: BUILD(jvp, wrt + (len(args),), "vjp"))
    ts = [_as_tangent(t[i] if isinstance(t, (list, tuple)) else 0.0, args[i]) for i in wrt]
    value = fn(*args)
    tangent = tuple(ts) if len(wrt) > 1 else ts[0]
    grads = vjp2(*args, tangent, (zeros_tangent(value), ct))
    *g_args, g_t = grads
    for i, ga in zip(wrt, g_args):
        out_args[i] = _as_adjoint(ga, args[i])
    for i, gt in zip(wrt, g_t if len(wrt) > 1 else (g_t,)):
        out_t[i] = _as_adjoint(gt, args[i])
    return (out_t, out_args)[which]


def second_order_call(fn):
    """Raised by the derivatives diffc does not take through ``call_vjp``/``call_jvp``."""
    raise DiffcError(f"diffc differentiates through a function called through a variable "
                     f"(`{getattr(fn, '__name__', fn)}`) in reverse and forward mode and "
                     "for Hessians (reverse over forward); this higher derivative through it "
                     "is not supported yet",
                     hint="call the function by its module-level name, or pass it as an "
                          "argument of the function you differentiate")
