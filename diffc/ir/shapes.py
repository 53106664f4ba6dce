"""Symbolic shapes: which values provably have the same shape.

A shape term is a frozenset of opaque symbols; the shape it denotes is the
broadcast of the symbols' shapes. Scalars are the empty set, a parameter ``x``
is ``{x}``, an elementwise operation is the union of its operands' terms, and
a non-elementwise result outside loops is a symbol of its own. ``TOP`` is
"unknown" and equals nothing, not even itself.

Reverse mode uses it to drop ``unbroadcast(g, a)`` when ``a`` provably has the
shape of the result, so the backward code neither calls it nor keeps ``a``::

    for i in range(n):                      (x has shape {x} at every step)
        t = x * 0.999                       t: {x}
        s = np.sin(x)                       s: {x}
        x = t + s                           x: {x} | {x} = {x}  ->  dt = dx, ds = dx
"""
import numpy as np

from .nodes import (AtomExpr, Attribute, BinOp, Call, Const, For, If, SeqLit, Slice, Subscript,
                    UnaryOp, Var, While)

TOP = None
SCALAR = frozenset()
_ELEMENTWISE_OPS = {"+", "-", "*", "/", "**", "%", "//"}
_SCALAR_TYPES = (int, float, bool, complex, np.number, np.bool_)


def _is_elementwise(fn):
    import builtins
    if isinstance(fn, np.ufunc):
        return fn.signature is None          # np.matmul is a generalized ufunc
    return fn is builtins.abs or fn is np.where


BOTTOM = "bottom"


def _join(terms):
    """The broadcast of several terms."""
    if any(t is TOP for t in terms):
        return TOP
    if any(t is BOTTOM for t in terms):
        return BOTTOM
    return frozenset().union(*terms) if terms else SCALAR


def _meet(old, new):
    """Combine two definitions of one variable."""
    if old is BOTTOM:
        return new
    if new is BOTTOM:
        return old
    return old if old == new else TOP


class Shapes:
    """Shape terms of the variables of an IR function."""

    def __init__(self, fn_ir):
        self.fn = fn_ir
        self.defs = []          # (target, expr, in_loop, site)
        self._collect(fn_ir.body, False)
        kinds = {}
        for name, e, _, _ in self.defs:
            kinds.setdefault(name, set()).add(isinstance(e, Attribute) and e.attr == "shape")
        self.shape_tuples = {n for n, k in kinds.items() if k == {True}}
        self._solve()

    def _collect(self, stmts, in_loop):
        for s in stmts:
            if hasattr(s, "targets"):
                for t in s.targets:
                    self.defs.append((t.name, s.value if len(s.targets) == 1 else None,
                                      in_loop, id(s)))
            elif isinstance(s, If):
                self._collect(s.body, in_loop)
                self._collect(s.orelse, in_loop)
            elif isinstance(s, For):
                self.defs.append((s.target.name, AtomExpr(Const(0, "0")), True, id(s)))
                self._collect(s.body, True)
            elif isinstance(s, While):
                self._collect(s.test_body, True)
                self._collect(s.body, True)

    def atom(self, a):
        if isinstance(a, Var):
            return self.var.get(a.name, TOP)
        if isinstance(a, Const):
            if isinstance(a.value, _SCALAR_TYPES):
                return SCALAR
            if isinstance(a.value, np.ndarray):
                return frozenset({("const", a.src)})
            return TOP
        return TOP

    def expr(self, e, in_loop=True, site=None):
        """The term of ``e``'s value; non-elementwise results are their own symbol."""
        if _is_scalar_valued(e, self.shape_tuples):
            return SCALAR
        if isinstance(e, AtomExpr) and not isinstance(e.atom, SeqLit):
            return self.atom(e.atom)
        if isinstance(e, BinOp) and e.op in _ELEMENTWISE_OPS:
            return _join([self.atom(e.left), self.atom(e.right)])
        if isinstance(e, UnaryOp) and e.op in ("-", "+"):
            return self.atom(e.operand)
        if isinstance(e, Call) and _is_elementwise(e.fn) and not e.kwargs and \
                all(not isinstance(a, SeqLit) for a in e.args):
            return _join([self.atom(a) for a in e.args])
        if in_loop or site is None:
            return TOP
        return frozenset({("site", site)})

    def _solve(self):
        """Optimistic fixed point: ``BOTTOM`` (no information yet) < a term < ``TOP``.

        A variable keeps a term while all its definitions agree on it."""
        self.var = {n: BOTTOM for n, _, _, _ in self.defs}
        self.var.update({p: frozenset({("param", p)}) for p in self.fn.params})
        changed = True
        while changed:
            changed = False
            for name, e, in_loop, site in self.defs:
                t = self.expr(e, in_loop, site) if e is not None else TOP
                old = self.var[name]
                new = _meet(old, t)
                if new != old:
                    self.var[name] = new
                    changed = True
        for n, t in self.var.items():
            if t is BOTTOM:
                self.var[n] = TOP

    def same(self, a, e):
        """Does operand ``a`` of ``e`` provably have the shape of ``e``'s value?"""
        t, result = self.atom(a), self.expr(e)
        if t not in (TOP, BOTTOM) and result not in (TOP, BOTTOM) and t == result:
            return True
        # x * x, x + 1.0, np.maximum(x, 0.0): every other operand is x or a scalar
        ops = _elementwise_operands(e)
        return ops is not None and all(o == a or self.atom(o) == SCALAR for o in ops)


def _elementwise_operands(e):
    if isinstance(e, BinOp) and e.op in _ELEMENTWISE_OPS:
        return [e.left, e.right]
    if isinstance(e, UnaryOp) and e.op in ("-", "+"):
        return [e.operand]
    if isinstance(e, Call) and _is_elementwise(e.fn) and not e.kwargs and \
            all(not isinstance(a, SeqLit) for a in e.args):
        return list(e.args)
    return None


def _is_scalar_valued(e, shape_tuples):
    """Python numbers: len(...), x.ndim, x.shape[i], math.f(...), int(...), float(...)."""
    import builtins
    if isinstance(e, Call):
        return e.fn in (builtins.len, builtins.int, builtins.float) or \
            getattr(e.fn, "__module__", None) == "math"
    if isinstance(e, Attribute):
        return e.attr in ("ndim", "size")
    if isinstance(e, Subscript):
        return isinstance(e.value, Var) and e.value.name in shape_tuples and \
            not isinstance(e.index, (Slice, tuple))
    return False
