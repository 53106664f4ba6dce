"""Guard augmented assignment against hidden aliasing.

diffc evaluates ``z += v`` as ``z = z + v``. On an ndarray Python updates ``z``
in place, so every variable sharing its memory changes too. Where another
variable may share memory with ``z`` (a copy ``z = y``, a view ``z = y[1:]``,
a reshape, a call result, or another parameter), the statement is preceded by
a check that raises instead of computing a different result::

    z = y                       z = y
    z += 1.0          ==>       check_inplace(z, 'z', ('y',), locals(), 'f.py:3')
                                z = z + 1.0
"""
import ast
import types

import numpy as np

from ..backend import runtime
from ..ir.nodes import Assign, AtomExpr, Attribute, Call, ExprStmt, For, If, MethodRef, Raw, \
    SeqLit, Subscript, Var, While
from ..ir.visit import atom_reads, children

VIEWS = {np.reshape, np.transpose, np.ravel, np.squeeze, np.expand_dims, np.asarray,
         np.real, np.imag, np.diagonal, np.swapaxes, np.atleast_1d, np.atleast_2d}


def guard_augmented(fn_ir, namespace):
    parent = {}

    def find(a):
        while parent.get(a, a) != a:
            a = parent[a]
        return a

    def union(a, b):
        parent[find(a)] = find(b)

    stmts = list(_walk(fn_ir.body))
    for s in stmts:
        if not isinstance(s, Assign):
            continue
        sources = _sources(s.value)
        for t in s.targets:
            for v in sources:
                union(t.name, v)
        if len(s.targets) > 1:
            for t in s.targets[1:]:
                union(t.name, s.targets[0].name)
    for p in fn_ir.params[1:]:
        union(p, fn_ir.params[0])
    names = {n for s in stmts if isinstance(s, Assign) for n in [t.name for t in s.targets]}
    names |= set(fn_ir.params)
    check = namespace.bind("check_inplace", runtime.check_inplace)
    _insert(fn_ir.body, lambda z: sorted(n for n in names if n != z and find(n) == find(z)), check)


def _sources(e):
    """Variables whose memory the value of ``e`` may share."""
    if isinstance(e, AtomExpr):
        return atom_reads(e.atom)
    if isinstance(e, Subscript):
        return atom_reads(e.value)
    if isinstance(e, SeqLit):
        return atom_reads(e)
    if isinstance(e, Call) and (e.fn in VIEWS or isinstance(e.fn, (MethodRef, types.FunctionType))):
        return set().union(*(atom_reads(a) for a in e.args)) if e.args else set()
    if isinstance(e, Attribute):
        return atom_reads(e.value)
    return set()


def _walk(stmts):
    for s in stmts:
        yield s
        for c in children(s):
            yield from _walk(c)


def _insert(stmts, partners, check):
    i = 0
    while i < len(stmts):
        s = stmts[i]
        for c in children(s):
            _insert(c, partners, check)
        if isinstance(s, Assign) and s.augmented:
            z = s.target.name
            others = partners(z)
            if others:
                where = f"{s.loc.filename}:{s.loc.lineno}" if s.loc else "?"
                src = f"{check}({z}, {z!r}, {tuple(others)!r}, locals(), {where!r})"
                guard = ExprStmt(Raw(ast.parse(src, mode="eval").body, frozenset({z})), s.loc)
                stmts.insert(i, guard)
                i += 1
        i += 1


__all__ = ["guard_augmented", "For", "If", "While", "Var"]
