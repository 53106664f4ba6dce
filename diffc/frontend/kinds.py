"""What a local name may hold, read from every assignment to it in the function (flow-
insensitive): the lowering joins lists with ``+`` only where a name always holds a list,
loops over a local dict's keys, and writes attributes only of objects the function makes.

``assigned_values(fdef)`` maps each name to the expressions it is given::

    a = [x]            a: [List]
    a += [y]           a: [List, AugAssign]      (the statement itself)
    p, q = pair        p: [None], q: [None]      (a part of an unpacking)
    for v in ps:       v: [Subscript(ps, 0)]     (an item of ps)
    def f(x):          x: not listed             (see ``params``)
"""
import gast
import numpy as np

# methods of the builtin types and arrays: a call of one of these without a rule is
# refused; any other name may be a method of a class of the user's (called through
# backend/dynamic.py, on copies)
BUILTIN_METHODS = frozenset(name for t in (np.ndarray, np.generic, list, tuple, dict, set,
                                          str, bytes, int, float, complex)
                            for name in dir(t))


def params(fdef):
    a = fdef.args
    return {p.id for p in a.posonlyargs + a.args + a.kwonlyargs}


def assigned_values(fdef):
    values = {}

    def add(name, value):
        values.setdefault(name, []).append(value)

    for n in gast.walk(fdef):
        if isinstance(n, (gast.Assign, gast.AnnAssign)):
            targets = n.targets if isinstance(n, gast.Assign) else [n.target]
            for t in targets:
                for m in gast.walk(t):
                    if isinstance(m, gast.Name) and isinstance(m.ctx, gast.Store):
                        add(m.id, n.value if m is t else None)
        elif isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name):
            add(n.target.id, n)
        elif isinstance(n, (gast.For, gast.comprehension)) and \
                isinstance(n.target, gast.Name) and isinstance(n.iter, gast.Name):
            add(n.target.id, gast.Subscript(value=n.iter, slice=gast.Constant(value=0, kind=None),
                                            ctx=gast.Load()))
        elif isinstance(n, (gast.For, gast.comprehension, gast.NamedExpr)):
            for m in gast.walk(n.target):
                if isinstance(m, gast.Name) and isinstance(m.ctx, gast.Store):
                    add(m.id, n.value if isinstance(n, gast.NamedExpr) else None)
    return values


def sequence_names(fdef, values=None):
    """Names that always hold a list or tuple: every value given is a display, a
    comprehension, ``list(...)``/``tuple(...)``/``sorted(...)``, a join or repetition of
    such, a slice of one (``ls[1:]``), another such name, or ``+=`` (which keeps a list a
    list); not parameters (``h =
    np.array(h)`` makes ``h`` not one)."""
    values = assigned_values(fdef) if values is None else values
    out = set(values) - params(fdef)

    def is_seq(v):
        return isinstance(v, (gast.List, gast.Tuple, gast.ListComp)) or \
            isinstance(v, gast.AugAssign) and isinstance(v.op, gast.Add) or \
            isinstance(v, gast.Name) and v.id in out or \
            isinstance(v, gast.Call) and isinstance(v.func, gast.Name) and \
            v.func.id in ("list", "tuple", "sorted") or \
            isinstance(v, gast.BinOp) and isinstance(v.op, (gast.Add, gast.Mult)) and \
            (is_seq(v.left) or is_seq(v.right)) or \
            isinstance(v, gast.Subscript) and isinstance(v.slice, gast.Slice) and \
            is_seq(v.value)

    while True:     # the largest set whose names are only given sequences
        keep = {k for k in out if all(v is not None and is_seq(v) for v in values[k])}
        if keep == out:
            return out
        out = keep


def dict_names(fdef, values=None):
    """Names only ever given dict displays or comprehensions (not parameters)."""
    values = assigned_values(fdef) if values is None else values
    return {k for k, vs in values.items() if k not in params(fdef) and
            all(isinstance(v, (gast.Dict, gast.DictComp)) for v in vs)}
