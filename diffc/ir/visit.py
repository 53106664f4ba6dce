"""Reads and writes of IR nodes, and walking nested statement lists."""
from .nodes import (AddTo, Append, Assign, AtomExpr, Attribute, BinOp, Call, Const, Drop, ExprStmt,
                    For, If, Pop, Push, Raise, Raw, Restore, Return, Save, SeqLit, SetItem, Slice,
                    Subscript, UnaryOp, Var, While)


def atom_reads(a):
    """Variable names read by an atom, slice, sequence display or index tuple."""
    if isinstance(a, Var):
        return {a.name}
    if isinstance(a, SeqLit):
        return set().union(*(atom_reads(e) for e in a.elts)) if a.elts else set()
    if isinstance(a, Slice):
        return atom_reads(a.lower) | atom_reads(a.upper) | atom_reads(a.step)
    if isinstance(a, tuple):
        return set().union(*(atom_reads(e) for e in a)) if a else set()
    return set()


def expr_reads(e):
    if isinstance(e, AtomExpr):
        return atom_reads(e.atom)
    if isinstance(e, BinOp):
        return atom_reads(e.left) | atom_reads(e.right)
    if isinstance(e, UnaryOp):
        return atom_reads(e.operand)
    if isinstance(e, Subscript):
        return atom_reads(e.value) | atom_reads(e.index)
    if isinstance(e, SetItem):
        return atom_reads(e.value) | atom_reads(e.index) | atom_reads(e.item)
    if isinstance(e, Append):
        return atom_reads(e.value) | atom_reads(e.item)
    if isinstance(e, Drop):
        return atom_reads(e.value)
    if isinstance(e, SeqLit):
        return atom_reads(e)
    if isinstance(e, Call):
        r = set()
        for a in e.args:
            r |= atom_reads(a)
        for a in e.kwargs.values():
            r |= atom_reads(a)
        return r
    if isinstance(e, Attribute):
        return atom_reads(e.value)
    if isinstance(e, Raw):
        return set(e.reads)
    if isinstance(e, (Var, Const)):
        return atom_reads(e)
    raise TypeError(f"not an IR expression: {e!r}")


def stmt_reads(s):
    """Names read by the statement itself (not by nested bodies)."""
    if isinstance(s, Assign):
        return expr_reads(s.value)
    if isinstance(s, AddTo):
        r = expr_reads(s.value) | {s.target}
        if s.index is not None:
            r |= atom_reads(s.index[0]) | atom_reads(s.index[1])
        return r
    if isinstance(s, (ExprStmt, Return)):
        return expr_reads(s.value) if s.value is not None else set()
    if isinstance(s, Raise):
        return atom_reads(s.value)
    if isinstance(s, If):
        return atom_reads(s.test)
    if isinstance(s, For):
        return atom_reads(s.start) | atom_reads(s.stop) | atom_reads(s.step)
    if isinstance(s, While):
        return set()
    if isinstance(s, Push):
        return {s.var, s.stack}
    if isinstance(s, Pop):
        return {s.stack}
    if isinstance(s, (Save, Restore)):
        return set()
    raise TypeError(f"not an IR statement: {s!r}")


def stmt_defs(s):
    """Names written by the statement itself (not by nested bodies)."""
    if isinstance(s, Assign):
        return {t.name for t in s.targets}
    if isinstance(s, AddTo):
        return {s.target}
    if isinstance(s, For):
        return {s.target.name}
    if isinstance(s, Pop):
        return {s.var}
    return set()


def children(s):
    """The nested statement lists of a compound statement."""
    if isinstance(s, If):
        return [s.body, s.orelse]
    if isinstance(s, For):
        return [s.body]
    if isinstance(s, While):
        return [s.test_body, s.body]
    return []


def walk(stmts):
    """Every statement, nested ones included, in program order."""
    for s in stmts:
        yield s
        for block in children(s):
            yield from walk(block)


def all_reads(stmts):
    r = set()
    for s in walk(stmts):
        r |= stmt_reads(s)
        if isinstance(s, While):
            r |= atom_reads(s.test)
    return r


def all_defs(stmts):
    d = set()
    for s in walk(stmts):
        d |= stmt_defs(s)
    return d


def rewrite(stmts, fn):
    """Rebuild a statement list: each statement (its nested blocks first) becomes ``fn(s)``,
    a list of statements (``[s]`` keeps it, ``[]`` drops it)."""
    out = []
    for s in stmts:
        if isinstance(s, If):
            s.body, s.orelse = rewrite(s.body, fn), rewrite(s.orelse, fn)
        elif isinstance(s, For):
            s.body = rewrite(s.body, fn)
        elif isinstance(s, While):
            s.test_body, s.body = rewrite(s.test_body, fn), rewrite(s.body, fn)
        out.extend(fn(s))
    return out
