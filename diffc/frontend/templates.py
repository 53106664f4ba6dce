"""Build gast nodes from Python templates: ``quote("x = y + 1", y=node)``."""
import copy

import gast


class _Substitute(gast.NodeTransformer):
    def __init__(self, subs):
        self.subs = subs

    def visit_Name(self, node):
        if node.id in self.subs:
            rep = self.subs[node.id]
            if isinstance(rep, str):
                return gast.Name(id=rep, ctx=node.ctx, annotation=None, type_comment=None)
            rep = copy.deepcopy(rep)
            if hasattr(rep, "ctx"):
                rep.ctx = node.ctx
            return rep
        return node


def quote(src, at=None, **subs):
    """Parse ``src`` into statements, replacing names by ``subs`` (names or nodes).

    Every new node gets the location of ``at``, so errors and comments in
    generated code point at the user's line the construct came from.
    """
    stmts = gast.parse(src).body
    stmts = [_Substitute(subs).visit(s) for s in stmts]
    if at is not None:
        for s in stmts:
            for n in gast.walk(s):
                if hasattr(n, "lineno") or isinstance(n, (gast.stmt, gast.expr)):
                    n.lineno = at.lineno
                    n.col_offset = at.col_offset
                    n.end_lineno = getattr(at, "end_lineno", at.lineno)
                    n.end_col_offset = getattr(at, "end_col_offset", at.col_offset)
    return stmts


def quote_expr(src, at=None, **subs):
    return quote(src, at, **subs)[0].value


def assigned_names(node):
    """Names bound anywhere inside ``node`` (assignment targets, loop targets)."""
    out = set()
    for n in gast.walk(node):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
            out.add(n.id)
    return out


def all_names(node):
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}
