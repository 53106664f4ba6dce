"""Run-time helpers for lists, dicts and objects in generated code: dict displays and
loops over them, the builtins over sequences (``sum``, ``max``/``min``, ``sorted``,
``list``/``tuple``) and the fields of NamedTuples and dataclasses.

Their adjoints and tangents are ``Items`` (one per list item) and ``Entries`` (one
per dict key or field), defined in runtime.py with the rest of the arithmetic.
"""
import operator

import numpy as np

from ..errors import DiffcError
from .runtime import Entries, Items, _PYSCALAR, _fields, _zero, unbroadcast, zeros_tangent

__all__ = ["key_order", "key_max", "key_min", "make_dict", "like_sequence", "loop_items", "loop_items_vjp", "loop_items_tangent",
           "list_position", "list_index", "dict_has", "dict_values", "dict_values_tangent", "dict_values_adjoint", "entries", "dict_keys", "dict_values_vjp", "sum_vjp", "seq_max",
           "seq_min", "seq_pick_vjp", "seq_pick", "seq_vjp", "sorted_vjp", "sorted_tangent",
           "attr_adjoint", "attr_tangent", "attr_tangent_vjp", "new_object", "new_object_vjp",
           "new_object_tangent"]


def make_dict(keys, values):
    """A dict display ``{k: v, ...}`` (keys and values as tuples)."""
    return dict(zip(keys, values))


def like_sequence(items, like):
    """The list ``items`` as the kind of sequence ``like`` is (a tuple joined with a tuple
    is a tuple)."""
    return tuple(items) if isinstance(like, tuple) else items


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


def key_order(keys, reverse=False):
    """The order ``sorted(xs, key=f, reverse=...)`` puts the items in, from their keys (a
    stable sort, as Python's)."""
    return sorted(range(len(keys)), key=keys.__getitem__, reverse=reverse)


def key_max(keys):
    """The position ``max(xs, key=f)`` picks (the first largest key)."""
    if not len(keys):
        raise ValueError("max() arg is an empty sequence")
    return max(range(len(keys)), key=keys.__getitem__)


def key_min(keys):
    """The position ``min(xs, key=f)`` picks (the first smallest key)."""
    if not len(keys):
        raise ValueError("min() arg is an empty sequence")
    return min(range(len(keys)), key=keys.__getitem__)


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


def _object_fields(obj):
    """The differentiable fields of obj: a NamedTuple's or a dataclass's, or the instance
    attributes of a plain object (one made in the function); None for anything else."""
    fields = _fields(obj)
    if fields is not None:
        return fields
    if isinstance(obj, (type, list, tuple, dict, np.ndarray, np.generic) + _PYSCALAR):
        return None
    return tuple(getattr(obj, "__dict__", None) or ()) or None


def _check_field(obj, attr):
    fields = _object_fields(obj)
    if fields is None or attr not in fields:
        what = f"a {type(obj).__name__}" if fields is None else \
            f"not a field of the {type(obj).__name__} (a property or a method?)"
        raise DiffcError(f"diffc cannot differentiate the attribute `.{attr}`: it is {what}",
                         hint="diffc differentiates the fields of NamedTuples and dataclasses "
                         "and the attributes of objects the function sets")
    return fields


def attr_adjoint(obj, attr, g):
    """Adjoint of ``y = obj.attr``: per field of a NamedTuple (``Items``, in field order,
    as its items are read), of a dataclass or of a plain object (``Entries``)."""
    fields = _check_field(obj, attr)
    if isinstance(obj, tuple):
        out = Items(0.0 for _ in fields)
        out[fields.index(attr)] = g
        return out
    return Entries({attr: g})


def attr_tangent(t, obj, attr):
    """Tangent of ``y = obj.attr`` from the tangent t of obj (the same kind of object, a
    dict of tangents, or zero)."""
    _check_field(obj, attr)
    if isinstance(t, dict) and attr in t:
        return t[attr]
    if isinstance(t, dict) or (type(t) in _PYSCALAR and t == 0):
        return zeros_tangent(getattr(obj, attr))    # shaped like the field: a write adds to it
    return getattr(t, attr)


def attr_tangent_vjp(g, t, obj, attr):
    """Adjoint of ``attr_tangent(t, obj, attr)`` (linear in t) with respect to t."""
    if isinstance(t, dict) or (type(t) in _PYSCALAR and t == 0):
        return Entries({attr: g})
    return attr_adjoint(t, attr, g)


def new_object(cls, names, values):
    """``cls(name=value, ...)`` for a NamedTuple or dataclass ``cls`` made in the
    function (its fields left out take the class's defaults)."""
    return cls(**dict(zip(names, values)))


def new_object_vjp(g, cls, names):
    """The adjoints of the values of ``new_object(cls, names, values)`` from the object's
    adjoint: per field (``Entries``), or positional for a NamedTuple (``Items``)."""
    if isinstance(g, dict):
        return Items(g.get(k, 0.0) for k in names)
    if isinstance(g, (list, tuple)):
        return Items(g[cls._fields.index(k)] for k in names)
    return Items(0.0 for _ in names)


def new_object_tangent(cls, names, values):
    """The tangent of ``new_object(cls, names, values)``: a NamedTuple of tangents (read
    by position as by name; zero for defaulted fields), or one entry per field."""
    if isinstance(cls, type) and issubclass(cls, tuple):
        given = dict(zip(names, values))
        return cls(**{f: given.get(f, 0.0) for f in cls._fields})
    return Entries(zip(names, values))


def entries(keys, values):
    """The tangent of ``{k: v, ...}`` from the tangents of its values."""
    return Entries(zip(keys, values))


def dict_keys(d):
    """The keys of a dict, in order (a loop over ``d.items()``, ``d.values()``, ``d.keys()``)."""
    if not isinstance(d, dict):
        raise DiffcError(f"diffc loops over `.items()`, `.values()` and `.keys()` of dicts; "
                         f"this is a {type(d).__name__}")
    return list(d)


def loop_items(xs, where):
    """What ``for v in xs`` goes over when xs is a parameter: xs itself if it is a
    sequence, the keys of a dict, in order."""
    if isinstance(xs, dict):
        return list(xs)
    from .checks import check_sequence
    check_sequence(xs, where)
    return xs


def loop_items_vjp(t, xs):
    """Adjoint of ``loop_items(xs, ...)``: t for a sequence; none for a dict's keys."""
    return 0.0 if isinstance(xs, dict) else t


def loop_items_tangent(t, xs):
    """Tangent of ``loop_items(xs, ...)``: t for a sequence; zeros for a dict's keys."""
    return Items(0.0 for _ in xs) if isinstance(xs, dict) else t


def list_position(ls, i, op):
    """The position ``ls.pop(i)`` or ``ls.insert(i, v)`` changes, as Python picks it
    (IndexError as Python's for a pop out of range)."""
    if type(ls) is not list:
        raise DiffcError(f"diffc differentiates `.{op}()` on lists; this is a "
                         f"{type(ls).__name__}")
    n = len(ls)
    i = operator.index(i)
    if op == "insert":
        return min(max(i + n, 0), n) if i < 0 else min(i, n)
    if not -n <= i < n:
        raise IndexError("pop index out of range" if n else "pop from empty list")
    return i % n


def list_index(ls, v):
    """The position ``ls.remove(v)`` removes (ValueError as Python's if v is absent)."""
    if type(ls) is not list:
        raise DiffcError(f"diffc differentiates `.remove()` on lists; this is a "
                         f"{type(ls).__name__}")
    return ls.index(v)


def dict_has(d, key):
    """``key in d`` for ``d.get(key, default)`` (d must be a dict)."""
    if not isinstance(d, dict):
        raise DiffcError(f"diffc differentiates `.get()` of dicts; this is a "
                         f"{type(d).__name__}")
    return key in d


def dict_values(d):
    """``d.values()``, as a list."""
    if not isinstance(d, dict):
        raise DiffcError(f"diffc differentiates `.values()` of dicts; this is a "
                         f"{type(d).__name__}")
    return list(d.values())


def dict_values_tangent(t, d):
    """Tangent of ``dict_values(d)`` from the dict's tangent (zero for keys it lacks)."""
    if isinstance(t, dict):
        return Items(t.get(k, 0.0) for k in d)
    return Items(0.0 for _ in d)


def dict_values_adjoint(t, d):
    """Adjoint of ``dict_values(d)``: one entry per key, from the items' adjoints t."""
    if isinstance(t, (list, tuple)) or isinstance(t, np.ndarray) and t.ndim:
        return Entries(zip(d, t))
    return 0.0


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
