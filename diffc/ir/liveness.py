"""Liveness: the names that may be read after each statement, before being redefined.

``live_after(body)`` maps ``id(statement)`` to that set, computed backwards through
branches and loops (to a fixed point), for statements at any depth::

    y = x[1:3]          live after: {x, y}
    x[0] = 2.0          live after: {y}
    return np.sum(y)
"""
from .nodes import For, If, While
from .visit import atom_reads, stmt_defs, stmt_reads


def live_after(stmts, live_out=()):
    out = {}
    _block(stmts, set(live_out), out)
    return out


def _block(stmts, live, out):
    for s in reversed(stmts):
        live = _stmt(s, live, out)
    return live


def _stmt(s, live, out):
    out[id(s)] = out.get(id(s), set()) | live
    if isinstance(s, If):
        return _block(s.body, set(live), out) | _block(s.orelse, set(live), out) | \
            atom_reads(s.test)
    if isinstance(s, For):
        end = set(live)
        while True:
            start = _block(s.body, set(end), out)
            new_end = end | (start - {s.target.name})
            if new_end == end:
                break
            end = new_end
        return live | (start - {s.target.name}) | stmt_reads(s)
    if isinstance(s, While):
        head = set(live)
        while True:
            body_in = _block(s.body, set(head), out)
            new_head = head | _block(s.test_body, live | atom_reads(s.test) | body_in, out)
            if new_head == head:
                break
            head = new_head
        return head
    return (live - stmt_defs(s)) | stmt_reads(s)
