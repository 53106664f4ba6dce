"""Run-time helpers of writes into arrays (``x[i] = v``) in generated code.

Reverse mode records the part a write overwrites and puts it back in the backward
pass; the adjoint of the written item is read from ``dx[i]``, which is then zeroed::

    x[i] = v          ==>  forward:   x_old = copy_item(x, i)
                                      x[i] = v
                           backward:  x[i] = x_old
                                      dv = dv + setitem_grad(dx, i, v, x)
                                      dx = writable(dx, x)
                                      dx[i] = 0.0

Forward mode writes the tangent of the item into the tangent of the array. Adjoints and
tangents are written in place only when these helpers made them (``writable``), so a
derivative never writes into an array of the caller's or one shared with another value.
"""
import copy
import weakref

import numpy as np

from ..errors import DiffcError
from .runtime import Entries, Items, _is_basic, unbroadcast
from .containers import _object_fields

__all__ = ["copy_arg", "copy_item", "disown", "writable", "written", "setitem_grad", "unappend",
           "appended_grad", "drop_last", "writable_items", "undrop"]

# The adjoints and tangents these helpers made, with the value each was made for: one
# may be written in place only through the variable it belongs to. (A tangent can be the
# same object for two variables -- ``w = y + 1.0`` has ``w_dot = y_dot`` -- and then a
# write into w must not change y's tangent.)
_OWNED = weakref.WeakValueDictionary()      # id -> the adjoint or tangent made
_FOR = {}                                   # id -> the value (x, ls) it was made for


def _owned(d, x):
    return _OWNED.get(id(d)) is d and _FOR.get(id(d)) is x


def _own(d, x):
    _OWNED[id(d)] = d
    _FOR[id(d)] = x
    weakref.finalize(d, _FOR.pop, id(d), None)
    return d


def disown(d):
    """``d`` -- a tangent that now also belongs to another value (``w = y + 1.0`` has
    ``w_dot = y_dot``) -- no longer written in place by ``writable``: a write into y
    copies it first, so w's tangent stays as it was."""
    _OWNED.pop(id(d), None)
    _FOR.pop(id(d), None)
    return d


def _array(x):
    if isinstance(x, np.ndarray):
        return x
    raise DiffcError(f"diffc differentiates writes into NumPy arrays; this write goes into "
                     f"a {type(x).__name__}",
                     hint="make it an array first (np.array(...)), or build a new value")


class _NoItem:
    """What a dict held at a key it did not have before a write."""

    def __repr__(self):
        return "<no item>"


NO_ITEM = _NoItem()


def _is_list_write(x, idx):
    """A write at one integer position of a list (``hs[t] = v``), which replaces an item."""
    if not isinstance(x, list):      # a list, or Items (the tangent of one)
        return False
    if isinstance(idx, (int, np.integer)) and not isinstance(idx, bool):
        return True
    raise DiffcError("diffc differentiates writes into a list at one integer position "
                     "(`hs[t] = v`); this one writes at a slice or other index",
                     hint="write the items one by one, or use an array")


def _is_field_write(x, idx):
    """A write into an attribute of an object (``o.name = v``: idx is the name)."""
    return type(idx) is str and not isinstance(x, (dict, list, np.ndarray))


def copy_arg(x):
    """A copy of a value the function writes into (an argument, or a result that shares
    memory with an array written later): arrays, and the arrays of lists, tuples, dicts
    and of the attributes of objects."""
    if isinstance(x, np.ndarray):
        return x.copy()
    if type(x) in (list, tuple, Items):
        return type(x)(copy_arg(v) for v in x)
    if type(x) in (dict, Entries):
        return type(x)((k, copy_arg(v)) for k, v in x.items())
    if not isinstance(x, (type, tuple, np.generic)) and isinstance(getattr(x, "__dict__", None),
                                                                  dict):
        out = copy.copy(x)      # an object: the derivative writes into its own
        for k, v in vars(x).items():
            out.__dict__[k] = copy_arg(v)
        return out
    return x


def copy_item(x, idx):
    """The part of x a write at idx overwrites, copied (a list's item itself)."""
    if isinstance(x, dict):
        return x.get(idx, NO_ITEM)
    if _is_field_write(x, idx):
        return getattr(x, idx, NO_ITEM)
    if _is_list_write(x, idx):
        return x[idx]
    v = _array(x)[idx]
    return v.copy() if isinstance(v, np.ndarray) else v


def writable(d, x):
    """The adjoint or tangent ``d`` of x as an array shaped like x that derivative code may
    write into: ``d`` itself if this helper made it, otherwise a new array."""
    if type(d) is np.ndarray and _owned(d, x):
        return d
    if isinstance(x, list):
        return writable_items(d, x)
    if not isinstance(x, np.ndarray):     # a dict, or an object (one entry per field)
        if type(d) is Entries and _owned(d, x):
            return d
        if type(d) is float and d == 0.0:
            return _own(Entries(), x)
        if not isinstance(d, dict):     # the tangent of an object given as one
            d = ((f, getattr(d, f)) for f in _object_fields(d) or ())
        return _own(Entries(d), x)
    x = _array(x)
    dt = x.dtype if x.dtype.kind in "fc" else np.dtype(np.float64)
    if np.iscomplexobj(d):
        dt = np.result_type(dt, np.complex64)
    out = np.zeros(x.shape, dt)
    if not (type(d) is float and d == 0.0):
        out[...] = d
    return _own(out, x)


def written(dv, x):
    """The tangent a write stores into x: ``dv``, or zero where x holds integers (the
    write truncates the value)."""
    if not isinstance(x, np.ndarray):     # a list, dict or object
        return dv
    return dv if x.dtype.kind in "fc" else 0.0


def _last_writes(shape, idx, region):
    """1 where an item of a write at an index array reaches the array, 0 where a later item
    at the same position overwrote it (``z[[2, 2]] = v``: NumPy keeps the last). Found by
    doing the same write with item numbers, so the order is NumPy's own."""
    n = int(np.prod(region, dtype=np.int64))
    who = np.full(shape, -1, dtype=np.int64)
    who[idx] = np.arange(n).reshape(region)
    won = np.zeros(n)
    won[who[who >= 0]] = 1.0
    return won.reshape(region)


def setitem_grad(dx, idx, v, x):
    """The adjoint of the item ``v`` written by ``x[idx] = v``: ``dx[idx]`` summed to the
    shape of v (zero where x holds integers)."""
    if type(dx) is float and dx == 0.0:
        return 0.0
    if isinstance(x, dict) or _is_field_write(x, idx):
        g = dx.get(idx, 0.0) if isinstance(dx, dict) else 0.0
        out = unbroadcast(g, v)
        return out.copy() if out is g and isinstance(g, np.ndarray) else out
    if _is_list_write(x, idx):
        g = dx[idx]
        out = unbroadcast(g, v)
        return out.copy() if out is g and isinstance(g, np.ndarray) else out
    if _array(x).dtype.kind not in "fc":
        return 0.0
    if not isinstance(dx, np.ndarray) or dx.shape != x.shape:
        dx = np.broadcast_to(dx, x.shape)
    g = dx[idx]
    if not _is_basic(idx):
        g = g * _last_writes(x.shape, idx, np.shape(g))
    out = unbroadcast(g, v)
    return out.copy() if out is g and isinstance(g, np.ndarray) else out


# ---------------------------------------------------------------- ls.append(v)
#
#     ls.append(v)     ==>  forward:   ls.append(v)
#                           backward:  dv = dv + appended_grad(dls, ls)
#                                      dls = drop_last(dls, ls)
#                                      ls = unappend(ls)
#
# The adjoint (or tangent) of a list is ``Items``, one value per item, or 0.0.

def _list(ls):
    if type(ls) is list or type(ls) is Items:
        return ls
    raise DiffcError(f"diffc differentiates `.append` on lists; this one appends to a "
                     f"{type(ls).__name__}", hint="use a list")


def unappend(ls):
    """Undo ``ls.append(v)``."""
    _list(ls).pop()
    return ls


def appended_grad(dls, ls):
    """The adjoint of the item ``ls.append(v)`` appended (the last one)."""
    if type(dls) is float and dls == 0.0:
        return 0.0
    if (isinstance(dls, (list, tuple)) or isinstance(dls, np.ndarray) and dls.ndim) and \
            len(dls) == len(_list(ls)):
        return dls[-1]          # an array adjoint: NumPy read the list as an array
    raise DiffcError(f"the adjoint of a list of {len(ls)} items has "
                     f"{len(dls) if isinstance(dls, (list, tuple)) else 'shape ' + str(np.shape(dls))}"
                     " items")


def drop_last(dls, ls):
    """The adjoint of the list before ``ls.append(v)``: without its last item."""
    if type(dls) is float and dls == 0.0:
        return dls
    if type(dls) is Items and _owned(dls, ls):
        dls.pop()
        return dls
    return _own(Items(list(dls)[:-1]), ls)       # an array adjoint: one item per row


def undrop(dls, ls):
    """The adjoint of the list before ``ls.pop()`` (ls has its item back): the adjoint
    after it, and zero for the item popped (its own adjoint comes through ``ls[-1]``)."""
    if type(dls) is float and dls == 0.0:
        return dls
    n = len(_list(ls))
    if type(dls) is Items and _owned(dls, ls) and len(dls) == n - 1:
        dls.append(0.0)
        return dls
    out = Items(list(dls) + [0.0])
    if len(out) != n:
        raise DiffcError(f"the adjoint of a list of {n - 1} items has {len(out) - 1} items")
    return _own(out, ls)


def writable_items(d, ls):
    """The adjoint or tangent ``d`` of the list ls as ``Items`` that derivative code may
    append to or pop from: ``d`` itself if these helpers made it, otherwise new ones."""
    n = len(_list(ls))
    if type(d) is Items and _owned(d, ls) and len(d) == n:
        return d
    items = [0.0] * n if (type(d) is float and d == 0.0) else list(d)
    if len(items) != n:
        raise DiffcError(f"the tangent of a list of {n} items has {len(items)} items")
    return _own(Items(items), ls)
