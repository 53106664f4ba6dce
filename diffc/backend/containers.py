"""Run-time helpers for lists, dicts and objects in generated code: dict displays and
loops over them, the builtins over sequences (``sum``, ``max``/``min``, ``sorted``,
``list``/``tuple``) and the fields of NamedTuples and dataclasses.

Their adjoints and tangents are ``Items`` (one per list item) and ``Entries`` (one
per dict key or field), defined in runtime.py with the rest of the arithmetic.
"""
import numpy as np

from ..errors import DiffcError
from .runtime import Entries, Items, _PYSCALAR, _fields, _zero, unbroadcast

__all__ = ["make_dict", "entries", "dict_keys", "dict_values_vjp", "sum_vjp", "seq_max",
           "seq_min", "seq_pick_vjp", "seq_pick", "seq_vjp", "sorted_vjp", "sorted_tangent",
           "attr_adjoint", "attr_tangent"]


def make_dict(keys, values):
    """A dict display ``{k: v, ...}`` (keys and values as tuples)."""
    return dict(zip(keys, values))


def _first(xs, ans):
    for i, v in enumerate(xs):
        if v == ans or (v != v and ans != ans):
            return i
    raise DiffcError("internal error: the maximum is not an item", hint="please report it")


def seq_max(xs):
    """The builtin ``max(xs)`` of one sequence (its first largest item)."""
    return max(xs)


def seq_min(xs):
    """The builtin ``min(xs)`` of one sequence (its first smallest item)."""
    return min(xs)


def seq_pick_vjp(g, xs, ans):
    """Adjoint of ``max(xs)``/``min(xs)``: g for the item Python picked (the first)."""
    out = Items(0.0 for _ in xs)
    out[_first(xs, ans)] = g
    return np.array(out) if isinstance(xs, np.ndarray) else out


def seq_pick(t, xs, ans):
    """Tangent of ``max(xs)``/``min(xs)``: the tangent of the item Python picked."""
    return t[_first(xs, ans)]


def seq_vjp(g, xs):
    """Adjoint of ``list(xs)``/``tuple(xs)``: per item, shaped like xs if it is an array."""
    if isinstance(xs, np.ndarray):
        return np.reshape(np.asarray(list(g) if isinstance(g, list) else g, dtype=float)
                          if not _zero(g) else np.zeros(xs.shape), xs.shape)
    return g


def sorted_order(xs, reverse=False):
    """The permutation ``sorted(xs, reverse=...)`` applies (a stable sort, as Python's)."""
    order = sorted(range(len(xs)), key=lambda i: xs[i], reverse=reverse)
    return order


def sorted_vjp(g, xs, reverse=False):
    """Adjoint of ``sorted(xs)``: each item's adjoint back in its original place."""
    out = Items(0.0 for _ in xs)
    for k, i in enumerate(sorted_order(xs, reverse)):
        out[i] = g[k]
    return out


def sorted_tangent(t, xs, reverse=False):
    """Tangent of ``sorted(xs)``: the tangents in sorted order."""
    return Items(t[i] for i in sorted_order(xs, reverse))


def attr_adjoint(obj, attr, g):
    """Adjoint of ``y = obj.attr`` for obj a NamedTuple or a dataclass: one per field."""
    if _fields(obj) is None:
        raise DiffcError(f"diffc cannot differentiate the attribute `.{attr}` of a "
                         f"{type(obj).__name__}", hint="diffc differentiates the fields of "
                         "NamedTuples and dataclasses")
    return Entries({attr: g})


def attr_tangent(t, attr):
    """Tangent of ``y = obj.attr`` from the tangent of obj (the same kind of object, a
    dict of tangents, or zero)."""
    if isinstance(t, dict):
        return t.get(attr, 0.0)
    if type(t) in _PYSCALAR and t == 0:
        return 0.0
    return getattr(t, attr)


def entries(keys, values):
    """The tangent of ``{k: v, ...}`` from the tangents of its values."""
    return Entries(zip(keys, values))


def dict_keys(d):
    """The keys of a dict, in order (a loop over ``d.items()``, ``d.values()``, ``d.keys()``)."""
    if not isinstance(d, dict):
        raise DiffcError(f"diffc loops over `.items()`, `.values()` and `.keys()` of dicts; "
                         f"this is a {type(d).__name__}")
    return list(d)


def dict_values_vjp(g, keys):
    """The adjoints of the values of ``{k: v, ...}``, from the dict's adjoint g."""
    if isinstance(g, dict):
        return Items(g.get(k, 0.0) for k in keys)
    return Items(0.0 for _ in keys)


def sum_vjp(g, xs):
    """Adjoint of the builtin ``sum(xs)``: g for each item (an array sums its rows)."""
    if isinstance(xs, np.ndarray):
        return np.array(np.broadcast_to(g, xs.shape)) if xs.ndim else g
    return Items(unbroadcast(g, x) for x in xs)
