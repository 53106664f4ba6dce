"""Dead-code elimination on backward code.

Assignments whose targets are never read afterwards are removed; liveness is
computed through branches and loops (to a fixed point)::

    dt = 0.0                   (never read again)    ==>   (removed)
"""
from ..ir.nodes import AddTo, Append, Assign, Drop, For, If, SetItem, While
from ..ir.visit import atom_reads, rewrite, stmt_defs, stmt_reads


def dead_code(stmts, live_out, only=None):
    """``only``: if given, remove only assignments to these names (forward mode removes
    tangents nobody reads, never the user's own statements)."""
    out, _ = _block(stmts, set(live_out), only)
    return out


def _block(stmts, live, only=None):
    out = []
    for s in reversed(stmts):
        kept, live = _stmt(s, live, only)
        out.extend(reversed(kept))
    return out[::-1], live


def _stmt(s, live, only):
    if isinstance(s, (Assign, AddTo)):
        defs = stmt_defs(s)
        # a write stays while a variable that may share its memory (a view) is read later
        kept = isinstance(s.value, (SetItem, Append, Drop)) and bool(s.value.keep & live)
        if not defs & live and (only is None or defs <= only) and not kept:
            return [], live
        return [s], (live - defs) | stmt_reads(s)
    if isinstance(s, If):
        body, l1 = _block(s.body, live, only)
        orelse, l2 = _block(s.orelse, live, only)
        return [If(s.test, body, orelse, s.loc, s.comment)], l1 | l2 | atom_reads(s.test)
    if isinstance(s, For):
        end = set(live)
        while True:
            _, start = _block(s.body, end, only)
            new_end = end | (start - {s.target.name})
            if new_end == end:
                break
            end = new_end
        body, start = _block(s.body, end, only)
        loop = For(s.target, s.start, s.stop, s.step, body, s.loc, s.comment, s.reverse)
        return [loop], live | (start - {s.target.name}) | stmt_reads(s)
    if isinstance(s, While):
        # while True: test_body; if not test: break; body  -- iterate liveness at the head
        head = set(live)
        while True:
            body_in = _block(s.body, head, only)[1]
            after_test = live | atom_reads(s.test) | body_in
            new_head = head | _block(s.test_body, after_test, only)[1]
            if new_head == head:
                break
            head = new_head
        body, body_in = _block(s.body, head, only)
        test_body, start = _block(s.test_body, live | atom_reads(s.test) | body_in, only)
        return [While(test_body, s.test, body, s.loc, s.comment)], start | head
    return [s], (live - stmt_defs(s)) | stmt_reads(s)


def drop_empty(stmts):
    """Remove loops and branches left with nothing to do (their tests have no effects)::

        for i in reversed(range(3)):       ==>    (removed)
            pass
    """
    def keep(s):
        if isinstance(s, If) and not s.body and not s.orelse or isinstance(s, For) and not s.body:
            return []
        return [s]
    return rewrite(stmts, keep)
