"""Copy propagation on backward code, within straight-line blocks.

Coalescing: a temporary computed only to be copied takes the copy's name::

    dv_scale = scale_bwd(saved, dy)          dx = scale_bwd(saved, dy)
    dx = dv_scale                    ==>

Forward substitution: a copy read by one later statement is replaced by its
source, when neither is reassigned in between::

    dsin_x = dx                              x = x_stack.pop()
    x = x_stack.pop()                ==>     dx = dx * np.cos(x)
    dx = dsin_x * np.cos(x)
"""
import ast
from collections import Counter

from ..ir.nodes import AddTo, Assign, AtomExpr, For, If, Raw, Restore, SeqLit, Var
from ..ir.visit import atom_reads, children, stmt_defs, stmt_reads, walk


def copy_propagation(stmts):
    counts = Counter()
    for s in walk(stmts):
        counts.update(stmt_reads(s))
    _block(stmts, counts)
    return stmts


def _is_copy(s):
    return isinstance(s, Assign) and len(s.targets) == 1 and isinstance(s.value, AtomExpr) \
        and isinstance(s.value.atom, Var) and s.value.atom.name != s.target.name


def _simple(s):
    return isinstance(s, (Assign, AddTo, Restore))


def _defs(s):
    return {s.var} if isinstance(s, Restore) else stmt_defs(s)


def _renameable(s, a):
    """Is every read of ``a`` in ``s`` one that ``_rename`` can rewrite?"""
    if isinstance(s, Restore) or a in _defs(s):
        return False
    if isinstance(s, AddTo) and s.index is not None and \
            a in atom_reads(s.index[0]) | atom_reads(s.index[1]):
        return False
    v = s.value
    return isinstance(v, Raw) or (isinstance(v, (AtomExpr, Var)) and not isinstance(
        getattr(v, "atom", v), SeqLit))


def _block(stmts, counts):
    for s in stmts:
        for child in children(s):
            _block(child, counts)
    changed = True
    while changed:
        changed = _coalesce(stmts, counts) or _substitute(stmts, counts)


def _coalesce(stmts, counts):
    for j, copy in enumerate(stmts):
        if not _is_copy(copy):
            continue
        a, b = copy.target.name, copy.value.atom.name
        if counts[b] != 1:
            continue
        for i in range(j - 1, -1, -1):
            s = stmts[i]
            if b in _defs(s):
                if isinstance(s, Assign) and b in {t.name for t in s.targets} and \
                        a not in {t.name for t in s.targets}:
                    s.targets = [Var(a) if t.name == b else t for t in s.targets]
                    del stmts[j]
                    counts[b] -= 1
                    return True
                break
            if not _simple(s) or a in stmt_reads(s) | _defs(s):
                break
    return False


def _substitute(stmts, counts):
    for j, copy in enumerate(stmts):
        if not _is_copy(copy):
            continue
        a, b = copy.target.name, copy.value.atom.name
        if counts[a] != 1:
            continue
        for k in range(j + 1, len(stmts)):
            s = stmts[k]
            if a in stmt_reads(s):
                if _simple(s) and _renameable(s, a):
                    _rename(s, a, b)
                    del stmts[j]
                    counts[a] -= 1
                    return True
                break
            if not _simple(s) or {a, b} & _defs(s):
                break
    return False


def _rename(s, old, new):
    def expr(e):
        if isinstance(e, AtomExpr) and isinstance(e.atom, Var) and e.atom.name == old:
            return AtomExpr(Var(new))
        if isinstance(e, Var) and e.name == old:
            return Var(new)
        if isinstance(e, Raw):
            tree = _Rename(old, new).visit(e.expr)
            return Raw(tree, frozenset(new if r == old else r for r in e.reads))
        raise _Unsupported
    try:
        s.value = expr(s.value)
    except _Unsupported:
        raise AssertionError(f"cannot rename in {s!r}") from None
    if isinstance(s, AddTo) and s.g == old:
        s.g = new


class _Unsupported(Exception):
    pass


class _Rename(ast.NodeTransformer):
    def __init__(self, old, new):
        self.old, self.new = old, new

    def visit_Name(self, node):
        return ast.Name(id=self.new, ctx=node.ctx) if node.id == self.old else node


__all__ = ["copy_propagation", "For", "If"]
