"""Inline a rule's VJP template at a call site.

    rule:    unbroadcast(g * x2, x1)          call: t = a * 3.0    adjoint of t: dt
    inlined: dt * 3.0                          (unbroadcast dropped: 3.0 is a scalar)
"""
import ast
import copy

import numpy as np

from ..ir.nodes import AtomExpr, Const, Raw, SeqLit, Var

_SCALARS = (int, float, bool, np.integer, np.floating)


def atom_ast(a):
    if isinstance(a, Var):
        return ast.Name(id=a.name, ctx=ast.Load())
    if isinstance(a, Const):
        return ast.parse(a.src, mode="eval").body
    if isinstance(a, SeqLit):
        elts = [atom_ast(e) for e in a.elts]
        return ast.List(elts=elts, ctx=ast.Load()) if a.kind == "list" else \
            ast.Tuple(elts=elts, ctx=ast.Load())
    if a is None:
        return ast.Constant(value=None)
    raise TypeError(f"not an atom: {a!r}")


def is_scalar_const(a):
    return isinstance(a, Const) and isinstance(a.value, _SCALARS)


class _Subst(ast.NodeTransformer):
    def __init__(self, mapping, rename):
        self.mapping = mapping
        self.rename = rename

    def visit_Name(self, node):
        if node.id in self.mapping:
            return copy.deepcopy(self.mapping[node.id])
        return ast.Name(id=self.rename(node.id), ctx=node.ctx)


def inline_vjp(rule, param, bound, g, ans, namespace, same_shape=False):
    """The VJP of ``rule`` w.r.t. ``param`` as a ``Raw`` expression.

    ``bound`` maps the rule's parameters to the call's atoms, ``g`` and ``ans``
    are the names of the output's adjoint and of the output. ``same_shape``
    says the operand is known to have the output's shape, so that
    ``unbroadcast`` is not needed.
    """
    mapping = {"g": ast.Name(id=g, ctx=ast.Load()), "ans": ast.Name(id=ans, ctx=ast.Load())}
    for p in rule.params:
        if p in bound:
            mapping[p] = atom_ast(bound[p])
        else:
            d = rule.defaults[p]
            mapping[p] = ast.Constant(value=d) if d is None or isinstance(d, (int, float, bool, str)) \
                else ast.Name(id=namespace.bind(f"{p}_default", d), ctx=ast.Load())

    def rename(name):
        if name not in rule.globals:
            raise NameError(f"rule for {rule.fn!r} uses unknown name {name!r}")
        return namespace.bind(name, rule.globals[name])

    expr = _Subst(mapping, rename).visit(copy.deepcopy(rule.exprs[param]))
    others = [a for p, a in bound.items() if p != param and p not in rule.defaults]
    if same_shape or all(is_scalar_const(a) for a in others):
        expr = _DropUnbroadcast(namespace).visit(expr)
    expr = ast.fix_missing_locations(_Fold(namespace).visit(expr))
    if isinstance(expr, ast.Name) and expr.id not in namespace.objs:
        return AtomExpr(Var(expr.id))       # a plain copy of the adjoint
    reads = frozenset(n.id for n in ast.walk(expr)
                      if isinstance(n, ast.Name) and n.id not in namespace.objs)
    return Raw(expr, reads)


class _DropUnbroadcast(ast.NodeTransformer):
    """``unbroadcast(e, x)`` (and ``broadcast(t, ans)`` in JVP rules) is ``e`` when the
    operand is known to have the output's shape, e.g. every other operand is a scalar."""

    def __init__(self, namespace):
        self.names = {k for k, v in namespace.objs.items()
                      if getattr(v, "__name__", None) in ("unbroadcast", "broadcast")
                      and getattr(v, "__module__", "") == "diffc.backend.runtime"}

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in self.names and len(node.args) == 2:
            return node.args[0]
        return node


class _Fold(ast.NodeTransformer):
    """Fold what a rule's template computes on literal operands::

        np.where(2 == 0, 0.0, 2 * np.power(x, 2 - 1.0))   ==>   2 * np.power(x, 1.0)
        div(g, 2.0)                                          ==>   g / 2.0
    """

    _OPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
            ast.Mult: lambda a, b: a * b}

    def __init__(self, namespace):
        from ..backend.runtime import div
        self.np = {k for k, v in namespace.objs.items() if v is np}
        self.div = {k for k, v in namespace.objs.items() if v is div}

    def visit_BinOp(self, node):
        self.generic_visit(node)
        op = self._OPS.get(type(node.op))
        if op and _number(node.left) and _number(node.right):
            return ast.Constant(op(node.left.value, node.right.value))
        return node

    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) == 1 and isinstance(node.ops[0], (ast.Eq, ast.NotEq)) and \
                _number(node.left) and _number(node.comparators[0]):
            same = node.left.value == node.comparators[0].value
            return ast.Constant(same if isinstance(node.ops[0], ast.Eq) else not same)
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        f = node.func
        if isinstance(f, ast.Name) and f.id in self.div and len(node.args) == 2 and \
                _number(node.args[1]) and node.args[1].value != 0:
            return ast.BinOp(node.args[0], ast.Div(), node.args[1])   # div(g, 2.0): g / 2.0
        if isinstance(f, ast.Attribute) and f.attr == "where" and isinstance(f.value, ast.Name) \
                and f.value.id in self.np and len(node.args) == 3 and not node.keywords \
                and isinstance(node.args[0], ast.Constant) and type(node.args[0].value) is bool:
            return node.args[1] if node.args[0].value else node.args[2]
        return node


def _number(n):
    return isinstance(n, ast.Constant) and type(n.value) in (int, float)
