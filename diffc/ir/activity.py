"""Activity analysis: which variables need adjoints.

A variable is *varied* if it depends differentiably on an active input, and
*useful* if the output depends differentiably on it; it is *active* if both.
The analysis is flow-insensitive (per name), which is conservative: a name
that is active anywhere is active everywhere.

``diff_operands`` says which operands of an expression flow differentiably
into its value: ``len(x)``, ``x.shape``, ``i // 2`` and comparisons have none.
"""
import operator
import types

from ..rules import registry
from .nodes import (Append, AtomExpr, Attribute, BinOp, Call, Const, Drop, SeqLit, SetItem,
                    Subscript, UnaryOp, Var)
from .visit import atom_reads, walk

BINOP_FUNCS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
               "**": operator.pow, "@": operator.matmul, "%": operator.mod,
               "//": operator.floordiv, "<": operator.lt, "<=": operator.le, ">": operator.gt,
               ">=": operator.ge, "==": operator.eq, "!=": operator.ne}
UNOP_FUNCS = {"-": operator.neg, "+": operator.pos, "not": operator.not_}
NONDIFF_ATTRS = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes", "strides"}


def op_callee(expr):
    """The callable whose rule applies to an operator, and its operands."""
    if isinstance(expr, BinOp):
        return BINOP_FUNCS.get(expr.op), [expr.left, expr.right], {}
    if isinstance(expr, UnaryOp):
        return UNOP_FUNCS.get(expr.op), [expr.operand], {}
    return expr.fn, expr.args, expr.kwargs


def is_user_function(fn):
    """A Python function diffc differentiates itself (not a rule, not a diffc derivative)."""
    return isinstance(fn, types.FunctionType) and registry.lookup(fn) is None \
        and not registry.is_nondiff(fn) and getattr(fn, "__diffc_primal__", None) is None


def diff_operands(expr):
    """Names whose values flow differentiably into ``expr``'s value."""
    if isinstance(expr, AtomExpr):
        return atom_reads(expr.atom)
    if isinstance(expr, (SeqLit, Var, Const)):
        return atom_reads(expr)
    if isinstance(expr, Subscript):
        return atom_reads(expr.value)
    if isinstance(expr, (SetItem, Append)):
        return atom_reads(expr.value) | atom_reads(expr.item)
    if isinstance(expr, Drop):
        return atom_reads(expr.value)
    if isinstance(expr, Attribute):
        return set() if expr.attr in NONDIFF_ATTRS else atom_reads(expr.value)
    if isinstance(expr, (BinOp, UnaryOp, Call)):
        fn, args, kwargs = op_callee(expr)
        everything = set().union(*(atom_reads(a) for a in list(args) + list(kwargs.values())))
        if fn is None or (isinstance(expr, BinOp) and expr.op in ("is", "is not", "in", "not in",
                                                                 "&", "|", "^", "<<", ">>")):
            return set() if not isinstance(expr, Call) else everything
        if registry.is_nondiff(fn):
            return set()
        rule = registry.lookup(fn)
        if rule is None:
            return everything  # a user function, or a call that will need a rule
        bound = rule.bind(args, kwargs)
        if bound is None:
            return everything
        return set().union(*(atom_reads(bound[p]) for p in rule.diff if p in bound))
    return set()


def _flows(fn_ir):
    return [({t.name for t in s.targets}, diff_operands(s.value))
            for s in walk(fn_ir.body) if hasattr(s, "targets")]


def varied_names(fn_ir, active_params, flows=None):
    """The names that depend differentiably on the active parameters (forward mode needs
    tangents for exactly these)."""
    flows = _flows(fn_ir) if flows is None else flows
    varied = set(active_params)
    changed = True
    while changed:
        changed = False
        for targets, ops in flows:
            if ops & varied and not targets <= varied:
                varied |= targets
                changed = True
    return varied


def activity(fn_ir, active_params):
    """(active, varied): the names that need adjoints, and those that depend on the inputs."""
    flows = _flows(fn_ir)
    varied = varied_names(fn_ir, active_params, flows)
    useful = set()
    for s in walk(fn_ir.body):
        if type(s).__name__ == "Return":
            useful |= atom_reads(s.value)
    changed = True
    while changed:
        changed = False
        for targets, ops in flows:
            if targets & useful and not ops <= useful:
                useful |= ops
                changed = True
    return varied & useful, varied
