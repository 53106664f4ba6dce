"""Reverse mode: one IR function -> a forward function and a backward function.

The forward function runs the original statements and returns the result
together with what the backward function needs. The backward function visits
the statements in reverse order and accumulates adjoints (``dx`` for ``x``)::

    def f(x):                   def f_fwd(x):                 def f_bwd(saved, dy):
        s = np.sin(x)               s = np.sin(x)                 x, s = saved
        y = s * x                   y = s * x                     ds = dy * x
        return y                    return y, (x, s)              dx = dy * s
                                                                  dx = dx + ds * np.cos(x)
                                                                  return dx

Loops run backwards (``while`` loops count their iterations), branches replay
the recorded decision. Before every assignment the forward code carries a
``Save`` marker and the backward code a matching ``Restore``; the
to-be-recorded pass (``record.py``) keeps the pairs whose overwritten values
the backward code really reads, as pushes and pops on a stack.
"""
import ast
import itertools

from ..frontend.callables import signature
from ..errors import NoRuleError, UnsupportedError
from ..ir.activity import NONDIFF_ATTRS, diff_operands, is_user_function, op_callee
from ..ir.nodes import (AddTo, Append, Assign, AtomExpr, Attribute, BinOp, Call, Const, Drop,
                        ExprStmt, For, If, MethodRef, Raise, Raw, Restore, Return, Save, SeqLit,
                        SetItem, Subscript, UnaryOp, Var, While, const, entry_index)
from ..ir.shapes import Shapes
from ..ir.visit import all_defs, atom_reads, expr_reads
from ..rules import inline_vjp, lookup

ZERO = Const(0.0, "0.0")


class Generated:
    """A function of the generated module, called by name."""

    def __init__(self, name):
        self.name = name


def _raw(src, reads):
    return Raw.parse(src, reads)


def _as_raw(value):
    if isinstance(value, AtomExpr) and isinstance(value.atom, Var):
        return _raw(value.atom.name, {value.atom.name})
    return value


def _describe(expr):
    fn, _, _ = op_callee(expr) if isinstance(expr, (BinOp, UnaryOp, Call)) else (None, 0, 0)
    if isinstance(fn, MethodRef):
        return f"the method `.{fn.name}()`"
    if isinstance(expr, BinOp):
        return f"the operator `{expr.op}`"
    if isinstance(expr, UnaryOp):
        return f"the operator `{expr.op}`"
    if isinstance(expr, Call):
        return f"`{expr.fn_src}`"
    return type(expr).__name__


def bind_rule(e, fn, args, kwargs, loc, table, register):
    """The rule of ``e``'s callee from ``table`` (lookup or lookup_jvp) and the call's
    operands bound to its parameters, or an error naming what is wrong."""
    rule = table(fn) if fn is not None else None
    if rule is None and getattr(fn, "__diffc_primal__", None) is not None:
        raise UnsupportedError(f"{_describe(e)} is a derivative built by diffc; call it outside "
                               "the function, or ask diffc for the higher derivative directly "
                               "(diffc.hvp, diffc.hessian, grad of grad)", loc)
    if rule is None and isinstance(fn, type) and \
            fn.__module__.split(".")[0] not in ("builtins", "numpy"):
        raise NoRuleError(
            f"diffc cannot differentiate constructing a `{fn.__name__}` from values that "
            "depend on the inputs: its constructor is not one diffc knows", loc,
            "diffc constructs NamedTuples, dataclasses (without __post_init__) and "
            "types.SimpleNamespace; or create the object first and set its attributes")
    if rule is None:
        kind = "forward-mode (JVP) " if register == "defjvp" else ""
        raise NoRuleError(
            f"no {kind}derivative rule for {_describe(e)}", loc,
            "rewrite the expression with functions diffc knows (see docs/supported.md), "
            f"or register a rule with diffc.rules.{register}")
    bound = rule.bind(args, kwargs)
    if bound is None:
        raise UnsupportedError(
            f"the derivative rule of {_describe(e)} does not accept these arguments "
            f"(it takes {', '.join(rule.params)})", loc, "pass only those arguments")
    for p in rule.refused:
        if p in bound and not (isinstance(bound[p], Const) and bound[p].value is None):
            raise UnsupportedError(f"diffc cannot differentiate {_describe(e)} with `{p}=`",
                                   loc, f"drop `{p}=` and use the returned value")
    return rule, bound


class Reverse:
    def __init__(self, fn_ir, active_params, active, varied, names, namespace, request):
        self.fn = fn_ir
        self.active_params = [p for p in fn_ir.params if p in active_params]
        self.active = active
        self.varied = varied
        self.shapes = Shapes(fn_ir)
        self.names = names
        self.ns = namespace
        self.request = request   # (callee, active param names) -> (fwd, bwd, params)
        self.adjs = {}
        self.ids = itertools.count()
        self.inplace = set()     # adjoints updated in place by index_vjp
        self.olds = set()        # parts of arrays a write overwrites (x_old)
        self.counters = set()    # iteration counters added to while loops
        self.call_results = []   # (adjoints returned by a backward call, the adjoint passed in)
        self.loop_var = None     # the variable of backward loops that replay while loops
        self.helper = {n: namespace.bind(n, f) for n, f in _runtime_helpers().items()}

    # ------------------------------------------------------------ names
    def adj(self, name):
        if name not in self.adjs:
            self.adjs[name] = self.names.fresh("d" + name if not name.startswith("_") else "d" + name)
        return self.adjs[name]

    def is_active(self, atom):
        return isinstance(atom, Var) and atom.name in self.active

    def save_restore(self, var, loc):
        i = next(self.ids)
        return Save(var, i, loc), Restore(var, i, loc)

    # ------------------------------------------------------------ driver
    def run(self):
        body = list(self.fn.body)
        ret = body.pop() if body and isinstance(body[-1], Return) else Return(const(None))
        fwd, bwd = self.block(body)
        changed = True
        while changed:   # a backward call may return the adjoint it was given
            changed = False
            for results, g in self.call_results:
                if g in self.inplace and not results <= self.inplace:
                    self.inplace |= results
                    changed = True
        seed, seed_stmts = self.seed(ret)
        bwd = seed_stmts + bwd
        returns = [self.adj(p) if p in self.active else None for p in self.active_params]
        return fwd, ret, bwd, seed, returns

    def seed(self, ret):
        """The backward function's adjoint parameter and the statements seeding it."""
        v = ret.value
        if isinstance(v, Var) and v.name in self.active and self.adj(v.name) not in self.inplace:
            return self.adj(v.name), []
        g = self.names.fresh("g")
        stmts = []
        if isinstance(v, Var) and v.name in self.active:
            # the caller's adjoint must not be updated in place: accumulate into a new array
            stmts.append(AddTo(self.adj(v.name), AtomExpr(Var(g)), g, loc=ret.loc))
        if isinstance(v, SeqLit):
            for i, e in enumerate(v.elts):
                if self.is_active(e):
                    stmts.append(AddTo(self.adj(e.name), _raw(f"{self.helper['seq_item']}({g}, {i})", {g}),
                                       g, loc=ret.loc))
        return g, stmts

    def block(self, stmts):
        fwd, parts = [], []
        for s in stmts:
            f, b = self.stmt(s)
            fwd.extend(f)
            parts.append(b)
        return fwd, [x for b in reversed(parts) for x in b]

    def stmt(self, s):
        if isinstance(s, Assign):
            return self.assign(s)
        if isinstance(s, If):
            return self.if_(s)
        if isinstance(s, For):
            save, restore = self.save_restore(s.target.name, s.loc)
            fb, bb = self.block(s.body)
            fwd = For(s.target, s.start, s.stop, s.step, fb, s.loc)
            bwd = For(s.target, s.start, s.stop, s.step, bb, s.loc, reverse=True)
            return [save, fwd], [bwd, restore]
        if isinstance(s, While):
            return self.while_(s)
        if isinstance(s, ExprStmt):
            return [s], []
        if isinstance(s, Raise):
            return [s], []
        if isinstance(s, Return):
            raise UnsupportedError("internal: a return statement inside the body", s.loc)
        raise TypeError(f"unexpected statement {s!r}")

    def if_(self, s):
        """Replay the decision backwards. If the branches reassign the test
        variable (``if not returned: ...; returned = True``), the decision is
        kept in a variable of its own first."""
        f1, b1 = self.block(s.body)
        f2, b2 = self.block(s.orelse)
        test, fwd, bwd = s.test, [], []
        if isinstance(test, Var) and test.name in all_defs(s.body + s.orelse):
            kept = Var(self.names.fresh("branch"))
            save, restore = self.save_restore(kept.name, s.loc)
            fwd, bwd = [save, Assign([kept], AtomExpr(test), s.loc)], [restore]
            test = kept
        return fwd + [If(test, f1, f2, s.loc)], [If(test, b1, b2, s.loc)] + bwd

    def while_(self, s):
        """Count the iterations forward; run the body that many times backward."""
        count = Var(self.names.fresh("n_iter"))
        self.counters.add(count.name)
        save, restore = self.save_restore(count.name, s.loc)
        ft, bt = self.block(s.test_body)
        fb, bb = self.block(s.body)
        bump = Assign([count], BinOp("+", count, const(1)), s.loc)
        fwd = [save, Assign([count], AtomExpr(const(0)), s.loc),
               While(ft, s.test, fb + [bump], s.loc)]
        if self.loop_var is None:
            self.loop_var = "_" if "_" not in self.names.taken else self.names.fresh("iteration")
            self.names.reserve(self.loop_var)
        back = For(Var(self.loop_var), const(0), count, const(1), bb + bt, s.loc, reverse=False)
        return fwd, bt + [back, restore]

    # ------------------------------------------------------------ assignments
    def assign(self, s):
        if isinstance(s.value, SetItem):
            return self.setitem(s)
        if isinstance(s.value, Append):
            return self.append(s)
        if isinstance(s.value, Drop):
            return self.drop(s)
        saves, restores = zip(*(self.save_restore(t.name, s.loc) for t in s.targets))
        saves, restores = list(saves), list(restores)
        if not any(t.name in self.active for t in s.targets):
            return saves + [s], restores[::-1]
        if len(s.targets) > 1:
            return saves + [s], self.unpack(s) + restores[::-1]
        y = s.target.name
        if isinstance(s.value, Call) and is_user_function(s.value.fn):
            return self.user_call(s, saves, restores)
        dy = self.adj(y)
        self_ref = y in expr_reads(s.value)
        ans = y
        pre = []
        if self_ref and self.uses_ans(s.value):
            ans = self.names.fresh(y + "_new")
            pre.append(Assign([Var(ans)], AtomExpr(Var(y)), s.loc))
        contribs, setup = self.contributions(s, dy, ans)
        if not self_ref:
            bwd = setup + contribs + [Assign([Var(dy)], AtomExpr(ZERO), s.loc)] + restores
        else:
            own = [c for c in contribs if c.target == dy]
            others = [c for c in contribs if c.target != dy]
            own_stmt = self.own_adjoint(dy, own, s)
            bwd = pre + restores + setup + others + ([own_stmt] if own_stmt else [])
        for b in bwd:
            b.loc = s.loc
        return saves + [s], bwd

    def setitem(self, s):
        """``x[i] = v``: record the part it overwrites; backward, put it back, take the
        item's adjoint from ``dx[i]`` and zero it there (see backend/writes.py)."""
        from ..ir.printer import _index_value
        e = s.value
        x, idx = e.value.name, _index_value(e.index)
        reads = {x} | atom_reads(e.index)
        old = Var(self.names.fresh(f"{x}_old"))
        self.olds.add(old.name)
        save, restore = self.save_restore(old.name, s.loc)
        fwd = [save, Assign([old], _raw(f"{self.helper['copy_item']}({x}, {idx})", reads),
                            s.loc), s]
        # the part is put back from this write's record, then the record of the write
        # before it is restored (popped)
        bwd = [Assign([e.value], SetItem(e.value, e.index, old, e.keep), s.loc)]
        if x not in self.active:
            return fwd, bwd + [restore]
        dx = self.adj(x)
        self.inplace.add(dx)
        late = []
        if self.is_active(e.item):
            v = e.item.name
            grad = _raw(f"{self.helper['setitem_grad']}({dx}, {idx}, {v}, {x})",
                        reads | {dx, v})
            if v != x:
                bwd.append(AddTo(self.adj(v), grad, dx, loc=s.loc))
            else:       # x[i] = x: the item's adjoint joins dx after dx[i] is zeroed
                part = self.names.fresh(f"d{x}_item")
                bwd.append(Assign([Var(part)], grad, s.loc, linear_in=dx))
                late.append(AddTo(dx, AtomExpr(Var(part)), part, loc=s.loc))
        bwd.append(Assign([Var(dx)], _raw(f"{self.helper['writable']}({dx}, {x})", {dx, x}),
                          s.loc, linear_in=dx))
        bwd.append(Assign([Var(dx)], SetItem(Var(dx), entry_index(e.index), ZERO), s.loc,
                          linear_in=dx))
        return fwd, bwd + late + [restore]

    def append(self, s):
        """``ls.append(v)``: backward, the last item's adjoint goes to ``v`` and the item
        is removed again (see backend/writes.py)."""
        e = s.value
        ls = e.value.name
        undo = _raw(f"{self.helper['unappend']}({ls})", {ls})
        bwd = [ExprStmt(undo, s.loc) if e.keep else Assign([e.value], undo, s.loc)]
        if ls not in self.active:
            return [s], bwd
        dls = self.adj(ls)
        self.inplace.add(dls)
        out = []
        if self.is_active(e.item):
            v = e.item.name
            out.append(AddTo(self.adj(v), _raw(f"{self.helper['appended_grad']}({dls}, {ls})",
                                               {dls, ls}), dls, loc=s.loc))
        out.append(Assign([Var(dls)], _raw(f"{self.helper['drop_last']}({dls}, {ls})",
                                           {dls, ls}), s.loc, linear_in=dls))
        return [s], out + bwd

    def drop(self, s):
        """``ls.pop()``: record the item; backward, append it again and give the list's
        adjoint a zero for it (the item's own adjoint comes through ``ls[-1]``)."""
        e = s.value
        ls = e.value.name
        old = Var(self.names.fresh(f"{ls}_popped"))
        self.olds.add(old.name)
        save, restore = self.save_restore(old.name, s.loc)
        fwd = [save, Assign([old], _raw(f"{self.helper['copy_item']}({ls}, -1)", {ls}), s.loc),
               s]
        bwd = [Assign([e.value], Append(e.value, old, e.keep), s.loc)]
        if ls in self.active:
            dls = self.adj(ls)
            self.inplace.add(dls)
            bwd.append(Assign([Var(dls)], _raw(f"{self.helper['undrop']}({dls}, {ls})",
                                               {dls, ls}), s.loc, linear_in=dls))
        return fwd, bwd + [restore]

    def own_adjoint(self, dy, own, s):
        """``x = f(x)``: the adjoint of the old x replaces the adjoint of the new one."""
        if not own:
            return Assign([Var(dy)], AtomExpr(ZERO), s.loc)
        parts = []
        for c in own:
            if c.index is not None:
                x, idx = c.index
                from ..ir.printer import _index_value, fmt_atom, fmt_expr
                src = f"{self.helper['index_vjp']}(0.0, {fmt_atom(x)}, {_index_value(idx)}, {fmt_expr(c.value)})"
                parts.append(_raw(src, expr_reads(c.value) | atom_reads(x) | atom_reads(idx)))
            else:
                parts.append(c.value)
        if len(parts) == 1 and not isinstance(parts[0], Raw):
            if isinstance(parts[0], AtomExpr) and parts[0].atom == Var(dy):
                return None        # x = x + c: the adjoint of x passes through unchanged
            return Assign([Var(dy)], parts[0], s.loc, linear_in=dy)
        parts = [_as_raw(p) for p in parts]
        expr = parts[0].expr
        for p in parts[1:]:
            expr = ast.BinOp(expr, ast.Add(), p.expr)
        reads = frozenset().union(*(p.reads for p in parts))
        stmt = Assign([Var(dy)], Raw(ast.fix_missing_locations(expr), reads), s.loc)
        stmt.linear_in = dy
        return stmt

    def uses_ans(self, expr):
        if isinstance(expr, (BinOp, UnaryOp, Call)):
            fn, _, _ = op_callee(expr)
            rule = lookup(fn) if fn is not None else None
            return bool(rule and rule.uses_ans)
        return False

    def contributions(self, s, dy, ans):
        """AddTo statements for the operands of ``s.value``, and setup statements."""
        e = s.value
        out, setup = [], []

        def add(atom, value, g=dy, index=None):
            if isinstance(atom, Var) and atom.name in self.active:
                target = self.adj(atom.name)
                if index is not None:
                    self.inplace.add(target)
                out.append(AddTo(target, value, g, index, s.loc))

        if isinstance(e, AtomExpr):
            if isinstance(e.atom, SeqLit):
                self.seq_contribs(e.atom, dy, add)
            else:
                add(e.atom, AtomExpr(Var(dy)))
        elif isinstance(e, SeqLit):
            self.seq_contribs(e, dy, add)
        elif isinstance(e, Subscript):
            add(e.value, AtomExpr(Var(dy)), index=(e.value, e.index))
        elif isinstance(e, Attribute):
            if e.attr not in NONDIFF_ATTRS and self.is_active(e.value):
                # a field of a NamedTuple or dataclass: the object's adjoint, per field
                add(e.value, _raw(f"{self.helper['attr_adjoint']}({e.value.name}, "
                                  f"{e.attr!r}, {dy})", {e.value.name, dy}))
        elif isinstance(e, (BinOp, UnaryOp, Call)):
            self.rule_contribs(s, e, dy, ans, add, setup)
        return out, setup

    def seq_contribs(self, seq, g, add):
        for i, el in enumerate(seq.elts):
            add(el, _raw(f"{self.helper['seq_item']}({g}, {i})", {g}), g=g)

    def rule_contribs(self, s, e, dy, ans, add, setup):
        fn, args, kwargs = op_callee(e)
        active_ops = diff_operands(e) & self.active
        if not active_ops:
            return
        rule, bound = bind_rule(e, fn, args, kwargs, s.loc, lookup, "defvjp")
        for p in rule.diff:
            a = bound.get(p)
            if a is None or not (atom_reads(a) & self.active):
                continue
            same = self.shapes.same(a, e)
            vjp = inline_vjp(rule, p, bound, dy, ans, self.ns, same)
            if isinstance(a, SeqLit):
                tmp = self.names.fresh(f"d{p}")
                st = Assign([Var(tmp)], vjp, s.loc)
                st.linear_in = dy
                setup.append(st)
                for i, el in enumerate(a.elts):
                    add(el, _raw(f"{tmp}[{i}]", {tmp}), g=tmp)
            else:
                add(a, vjp)

    def unpack(self, s):
        """``a, b = t``: the adjoint of t gathers the adjoints of a and b."""
        src = s.value.atom if isinstance(s.value, AtomExpr) else None
        if not (isinstance(src, Var)):
            raise UnsupportedError("diffc cannot differentiate this unpacking", s.loc)
        out = []
        targets = {t.name for t in s.targets}
        if src.name in self.active:
            items = [Var(self.adj(t.name)) if t.name in self.active else ZERO for t in s.targets]
            if src.name in targets:   # x, y = x: the old x's adjoint is exactly (dx, dy)
                out.append(Assign([Var(self.adj(src.name))], SeqLit("tuple", items), s.loc))
            else:
                out.append(AddTo(self.adj(src.name), SeqLit("tuple", items), None, loc=s.loc))
        for t in s.targets:
            if t.name in self.active and t.name != src.name:
                out.append(Assign([Var(self.adj(t.name))], AtomExpr(ZERO), s.loc))
        return out

    # ------------------------------------------------------------ calls of user functions
    def user_call(self, s, saves, restores):
        e = s.value
        y = s.target.name
        try:
            sig = signature(e.fn)
            bound = sig.bind(*e.args, **e.kwargs).arguments
        except TypeError as err:
            raise UnsupportedError(f"call to `{e.fn_src}` does not match its signature: {err}",
                                   s.loc) from None
        active = [p for p, a in bound.items() if atom_reads(a) & self.active]
        fwd_name, bwd_name, params = self.request(e.fn, active, s.loc)
        saved = Var(self.names.fresh(f"{e.fn.__name__}_saved"))
        save2, restore2 = self.save_restore(saved.name, s.loc)
        fwd = saves + [save2, Assign([s.target, saved], Call(Generated(fwd_name), fwd_name,
                                                               e.args, e.kwargs), s.loc)]
        dy = self.adj(y)
        tmps = [Var(self.names.fresh(f"d{p}_{e.fn.__name__}")) for p in params]
        bwd = []
        if tmps:
            call = Assign(tmps, Call(Generated(bwd_name), bwd_name, [saved, Var(dy)]), s.loc)
            call.linear_in = dy
            bwd.append(call)
            self.call_results.append(({t.name for t in tmps}, dy))
        # reset first: in `x = helper(x)` the argument's adjoint is the target's
        bwd.append(Assign([Var(dy)], AtomExpr(ZERO), s.loc))
        for p, t in zip(params, tmps):
            a = bound[p]
            if isinstance(a, SeqLit):
                for i, el in enumerate(a.elts):
                    if self.is_active(el):
                        bwd.append(AddTo(self.adj(el.name), _raw(
                            f"{self.helper['seq_item']}({t.name}, {i})", {t.name}), t.name, loc=s.loc))
            elif self.is_active(a):
                bwd.append(AddTo(self.adj(a.name), AtomExpr(t), t.name, loc=s.loc))
        return fwd, bwd + [restore2] + restores


def _runtime_helpers():
    from ..backend import containers, runtime, writes
    out = {n: getattr(runtime, n) for n in ("index_vjp", "seq_item", "seq_add")}
    out["attr_adjoint"] = containers.attr_adjoint
    out.update((n, getattr(writes, n)) for n in ("copy_item", "setitem_grad", "writable",
                                                 "unappend", "appended_grad", "drop_last",
                                                 "undrop"))
    return out
