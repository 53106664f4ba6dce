"""Which calls may write into their arguments: data, like the derivative rules.

diffc differentiates values, not memory: a call that writes into an array
(``np.multiply(y, 2.0, out=y)``, ``np.copyto(y, v)``, ``y.sort()``) changes a
value behind the compiler's back. ``call_writes`` says which arguments of a
call may be written, by one general rule:

* an ``out=`` argument, or an output passed by position (a ufunc's arguments
  after its inputs, ``np.clip(a, lo, hi, out)``: any parameter named ``out``);
* the written argument of a function in the ``INPLACE`` table (``np.copyto``,
  ``np.put``, ``ufunc.at``, ``operator.setitem``, ``operator.iadd``...);
* the receiver of a method that is not known to leave it alone (``y.sort()``,
  ``ls.append(v)``, and any method diffc does not know);
* every argument of a callable diffc knows nothing about (not a user function,
  not NumPy, ``math``, ``operator``, builtins, and without a rule).

``PURE_METHODS`` and ``PURE_MODULES`` are what diffc knows leaves its
arguments alone. Users extend them with ``defpure``.
"""
import builtins
import inspect
import operator
import random
import types

import numpy as np

from ..backend import runtime, writes
from .registry import is_nondiff, lookup

# callable -> position of the argument it writes into
INPLACE = {
    np.copyto: 0, np.put: 0, np.place: 0, np.putmask: 0, np.fill_diagonal: 0,
    np.put_along_axis: 0, np.random.shuffle: 0, random.shuffle: 0,
    operator.setitem: 0, operator.delitem: 0, operator.iadd: 0, operator.isub: 0,
    operator.imul: 0, operator.itruediv: 0, operator.ifloordiv: 0, operator.imod: 0,
    operator.ipow: 0, operator.imatmul: 0, operator.iand: 0, operator.ior: 0,
    operator.ixor: 0, operator.ilshift: 0, operator.irshift: 0, operator.iconcat: 0,
    setattr: 0, delattr: 0, runtime.index_vjp: 0, writes.unappend: 0, writes.drop_last: 0,
    writes.undrop: 0,

}
for _cls, _names in ((np.ndarray, ("sort", "fill", "put", "itemset", "resize", "setfield",
                                   "setflags", "partition", "byteswap")),
                     (list, ("append", "extend", "insert", "pop", "remove", "clear", "sort",
                             "reverse", "__setitem__", "__delitem__", "__iadd__", "__imul__")),
                     (dict, ("update", "pop", "popitem", "setdefault", "clear", "__setitem__",
                             "__delitem__")),
                     (set, ("add", "discard", "remove", "pop", "clear", "update"))):
    for _n in _names:
        if hasattr(_cls, _n):
            INPLACE[getattr(_cls, _n)] = 0

# methods (receiver of unknown type) that do not write into their receiver or arguments
PURE_METHODS = {
    "copy", "item", "astype", "tolist", "view", "conj", "conjugate", "get", "keys", "values",
    "items", "index", "count", "startswith", "endswith", "format", "join", "split", "strip",
    "lower", "upper", "replace", "__getitem__", "__len__", "__contains__", "getfield",
    "tobytes", "flatten", "ravel", "reshape", "transpose", "swapaxes", "squeeze", "sum",
    "mean", "prod", "max", "min", "dot", "clip", "cumsum", "cumprod", "var", "std", "argmax",
    "argmin", "argsort", "any", "all", "nonzero", "trace", "diagonal", "round", "repeat",
    "take", "compress", "searchsorted", "ptp", "choose", "debug", "info", "warning",
    "warn", "error", "critical", "exception", "log", "isoformat", "hex", "is_integer",
    "as_integer_ratio", "bit_length",
}
# modules whose functions write only through ``out=``/positional outputs or INPLACE
PURE_MODULES = ("numpy", "math", "cmath", "operator", "builtins", "warnings", "logging",
                "numbers", "functools", "itertools", "statistics", "scipy.special",
                "diffc.backend.runtime", "diffc.backend.checks", "diffc.backend.writes",
                "diffc.backend.containers")

_BUILTIN_METHOD_SELF_PURE = (np.ufunc,)

# calls whose result may share memory with an argument (a view, or the argument itself)
VIEW_FUNCTIONS = {getattr(np, n) for n in (
    "reshape", "ravel", "transpose", "squeeze", "expand_dims", "asarray", "asanyarray",
    "ascontiguousarray", "asfortranarray", "asarray_chkfinite", "require", "swapaxes",
    "moveaxis", "rollaxis", "diagonal", "broadcast_to", "broadcast_arrays", "atleast_1d",
    "atleast_2d", "atleast_3d", "real", "imag", "flip", "fliplr", "flipud", "rot90", "split",
    "array_split", "hsplit", "vsplit", "dsplit", "permute_dims", "matrix_transpose",
    "unstack", "squeeze") if hasattr(np, n)} | {operator.getitem, np.lib.stride_tricks.as_strided}
VIEW_METHODS = {"reshape", "ravel", "transpose", "squeeze", "view", "swapaxes", "diagonal",
                "__getitem__", "get", "values", "items", "keys", "real", "imag", "conj",
                "conjugate"}
# diffc's own helpers whose results are new values (a parameter copied on entry is the
# function's own array: writing into it does not reach the caller)
NEW_VALUE_FUNCTIONS = {writes.copy_arg, writes.copy_item, writes.setitem_grad}
NEW_VALUE_METHODS = {"copy", "astype", "item", "tolist", "sum", "mean", "prod", "max", "min",
                     "dot", "clip", "cumsum", "cumprod", "var", "std", "argmax", "argmin",
                     "argsort", "any", "all", "nonzero", "trace", "round", "repeat", "take",
                     "compress", "searchsorted", "ptp", "flatten", "tobytes", "count", "index"}


def defpure(*fns, methods=()):
    """Declare callables (and method names) that never write into their arguments."""
    for fn in fns:
        _PURE.add(_key(fn))
    PURE_METHODS.update(methods)


_PURE = set()


def _key(fn):
    try:
        hash(fn)
        return fn
    except TypeError:
        return id(fn)


def _module(fn):
    mod = getattr(fn, "__module__", None)
    if mod is None and isinstance(fn, np.ufunc):
        return "numpy"
    if mod is None and isinstance(fn, types.BuiltinMethodType):
        owner = getattr(fn, "__self__", None)
        mod = getattr(owner, "__name__", None) if isinstance(owner, types.ModuleType) else None
    return mod or ""


def _out_position(fn):
    """Position at which ``fn`` takes an output array, or None."""
    if isinstance(fn, np.ufunc):
        return fn.nin
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    for i, p in enumerate(params):
        if p.kind is p.VAR_POSITIONAL:
            return None
        if p.name == "out":
            return i if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) else None
    return None


_out_cache = {}


def out_position(fn):
    k = _key(fn)
    if k not in _out_cache:
        _out_cache[k] = _out_position(fn)
    return _out_cache[k]


def is_known_pure(fn):
    """Does calling ``fn`` leave its arguments alone (outputs aside)?"""
    k = _key(fn)
    if k in _PURE or lookup(fn) is not None or is_nondiff(fn) or \
            getattr(fn, "__diffc_primal__", None) is not None:     # diffc's own derivatives
        return True
    if isinstance(fn, np.ufunc):
        return True
    if isinstance(fn, types.BuiltinMethodType) and isinstance(getattr(fn, "__self__", None),
                                                              _BUILTIN_METHOD_SELF_PURE):
        return fn.__name__ != "at"       # ufunc.reduce/accumulate/outer: outputs only
    mod = _module(fn)
    return any(mod == m or mod.startswith(m + ".") for m in PURE_MODULES) and \
        fn is not builtins.exec and fn is not builtins.eval


def result_may_share(fn, method=None):
    """May the result of the call share memory with its arguments (a view of one, the
    argument itself, a container holding it)? NumPy functions and ufuncs make new arrays,
    except the view functions; unknown callables and user functions may."""
    if method is not None:
        return method not in NEW_VALUE_METHODS
    k = _key(fn)
    if k in VIEW_FUNCTIONS:
        return True
    if k in NEW_VALUE_FUNCTIONS:
        return False
    if isinstance(fn, np.ufunc) or (isinstance(fn, types.BuiltinMethodType) and
                                    isinstance(getattr(fn, "__self__", None), np.ufunc)):
        return False
    mod = _module(fn)
    if mod == "numpy" or mod.startswith("numpy.") or mod in ("math", "cmath"):
        return False
    if mod in ("builtins", "operator"):
        return fn in (list, tuple, dict, set, sorted, reversed, iter, zip, enumerate, map,
                      filter, min, max, getattr, operator.itemgetter, operator.attrgetter)
    return True


def call_writes(fn, args, kwargs, method=None):
    """The arguments a call may write into: a list of ``(argument, why)``; ``argument`` is
    one of ``args`` or ``kwargs``' values. ``method`` is the method name when ``fn`` is a
    method of an unknown receiver (``args[0]``)."""
    out = []
    if method is not None:
        if method not in PURE_METHODS:
            out.append((args[0], f"`.{method}()` may modify its receiver in place"))
        elif "out" in kwargs:
            out.append((kwargs["out"], "out="))
        return out
    if "out" in kwargs:
        out.append((kwargs["out"], "out="))
    k = _key(fn)
    if k in INPLACE:
        pos = INPLACE[k]
        if pos < len(args):
            name = getattr(fn, "__qualname__", getattr(fn, "__name__", "it"))
            out.append((args[pos], f"`{name}` writes into its argument"))
        return out
    if isinstance(fn, types.BuiltinMethodType) and isinstance(getattr(fn, "__self__", None),
                                                              np.ufunc) and fn.__name__ == "at":
        if args:
            out.append((args[0], f"`np.{fn.__self__.__name__}.at` writes into its argument"))
        return out
    pos = out_position(fn) if callable(fn) else None
    if pos is not None:
        out.extend((a, "an output argument") for a in args[pos:])
    if not is_known_pure(fn):
        name = getattr(fn, "__qualname__", getattr(fn, "__name__", repr(fn)))
        out.extend((a, f"diffc does not know whether `{name}` modifies its arguments")
                   for a in list(args) + list(kwargs.values()))
    return out


__all__ = ["call_writes", "defpure", "is_known_pure", "result_may_share", "INPLACE",
           "PURE_METHODS", "PURE_MODULES", "VIEW_FUNCTIONS", "VIEW_METHODS"]
