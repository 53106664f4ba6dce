"""Loop-invariant code motion on backward loops.

Derivative rules often recompute a value that does not change from one
iteration to the next (the derivative of ``np.sin(x)`` when ``x`` is a
parameter). Elementwise arithmetic on values the loop never writes is
computed once, before the loop::

    for i in reversed(range(100)):          cos_x = np.cos(x)
        dx = dx + ds * 0.1 * np.cos(x)  ==> for i in reversed(range(100)):
        ds = ds * 0.9                           dx = dx + ds * 0.1 * cos_x
                                                ds = ds * 0.9

Only NumPy ufuncs and operators are moved (they cannot raise), only from
statements the loop body always runs (not from inside its branches), and
innermost loops first, so a value invariant in two nested loops leaves both.
"""
import ast

import numpy as np

from ..ir.nodes import AddTo, Assign, For, If, Raw, Var
from ..ir.visit import all_defs


def hoist_invariants(stmts, namespace, names):
    out = []
    for s in stmts:
        if isinstance(s, If):
            s.body = hoist_invariants(s.body, namespace, names)
            s.orelse = hoist_invariants(s.orelse, namespace, names)
        if isinstance(s, For):
            s.body = hoist_invariants(s.body, namespace, names)
            out.extend(_hoist(s, namespace, names))
        out.append(s)
    return out


def _hoist(loop, namespace, names):
    variant = all_defs(loop.body) | {loop.target.name}
    hoisted, body = [], []
    for s in loop.body:
        if getattr(s, "hoisted", False):
            # moved out of an inner loop: move it further if it is invariant here too
            probe = _Mover(variant - {s.target.name}, namespace, names, [], s.loc)
            if probe._invariant(s.value.expr):
                hoisted.append(s)
                continue
        body.append(s)
        if isinstance(s, (Assign, AddTo)) and isinstance(s.value, Raw):
            mover = _Mover(variant, namespace, names, hoisted, s.loc)
            expr = mover.visit(s.value.expr)
            if mover.moved:
                reads = frozenset(n.id for n in ast.walk(expr) if isinstance(n, ast.Name)
                                  and n.id not in namespace.objs)
                s.value = Raw(ast.fix_missing_locations(expr), reads)
    loop.body = body
    return hoisted


class _Mover(ast.NodeTransformer):
    """Replaces maximal invariant subtrees (with a ufunc call) by new variables."""

    def __init__(self, variant, namespace, names, hoisted, loc):
        self.variant, self.ns, self.names = variant, namespace, names
        self.hoisted, self.loc = hoisted, loc
        self.moved = False

    def visit(self, node):
        if isinstance(node, ast.expr) and self._invariant(node) and self._has_ufunc(node):
            return self._replace(node)
        return self.generic_visit(node)

    def _replace(self, node):
        src = ast.unparse(node)
        for h in self.hoisted:   # the same value twice in one loop: reuse it
            if ast.unparse(h.value.expr) == src:
                return ast.Name(id=h.targets[0].name, ctx=ast.Load())
        name = self.names.fresh(_hint(node))
        reads = frozenset(n.id for n in ast.walk(node) if isinstance(n, ast.Name)
                          and n.id not in self.ns.objs)
        stmt = Assign([Var(name)], Raw(node, reads), self.loc)
        stmt.hoisted = True
        self.hoisted.append(stmt)
        self.moved = True
        return ast.Name(id=name, ctx=ast.Load())

    def _invariant(self, node):
        for n in ast.walk(node):
            if isinstance(n, ast.Name):
                if n.id in self.variant:
                    return False
            elif isinstance(n, ast.Call):
                if not isinstance(self._callee(n.func), np.ufunc) or n.keywords:
                    return False
            elif not isinstance(n, (ast.BinOp, ast.UnaryOp, ast.Constant, ast.Attribute,
                                    ast.operator, ast.unaryop, ast.Load)):
                return False
        return True

    def _has_ufunc(self, node):
        return any(isinstance(n, ast.Call) for n in ast.walk(node)) and \
            any(isinstance(n, ast.Name) and n.id not in self.ns.objs for n in ast.walk(node))

    def _callee(self, func):
        parts = []
        while isinstance(func, ast.Attribute):
            parts.append(func.attr)
            func = func.value
        if not isinstance(func, ast.Name) or func.id not in self.ns.objs:
            return None
        obj = self.ns.objs[func.id]
        for p in reversed(parts):
            obj = getattr(obj, p, None)
        return obj


def _hint(node):
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Name):
        fn = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "t")
        return f"{fn}_{node.args[0].id}"
    return "t"
