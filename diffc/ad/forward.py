"""Forward mode: one IR function -> one function computing its value and tangent.

Every statement whose value depends on the active inputs is followed (or, when
it overwrites one of its own operands, preceded) by a statement computing the
tangent of its target (``x_dot`` for ``x``) from the JVP rule of its
operation. Control flow is kept as it is: the tangent code runs in the same
branches and loop iterations as the primal code, so nothing is recorded::

    def f(x):                   def f_tangent(x, *, x_dot):
        s = np.sin(x)               s = np.sin(x)
        y = s * x                   s_dot = x_dot * np.cos(x)
        return y                    y = s * x
                                    y_dot = s_dot * x + s * x_dot
                                    return y, y_dot

Calls of user functions become calls of their tangent functions, which take
the tangents of their active parameters as keyword arguments. A tuple's
tangent is the tuple of its items' tangents.
"""
import ast

from ..backend import containers, runtime, writes
from ..frontend.callables import signature
from ..errors import UnsupportedError
from ..ir.activity import (NONDIFF_ATTRS, diff_operands, is_user_function, op_callee,
                           varied_names)
from ..ir.nodes import (Append, Assign, AtomExpr, Attribute, Call, Const, Drop, ExprStmt, For, If,
                        Raise, Raw, Return, SeqLit, SetItem, Subscript, Var, While, const,
                        entry_index)
from ..ir.shapes import Shapes
from ..ir.visit import atom_reads, expr_reads, walk
from ..rules import inline_vjp
from ..rules.registry import lookup_jvp
from .reverse import Generated, _raw, bind_rule

ZERO = Const(0.0, "0.0")
ANS = "__ans__"   # stands for the result in a tangent expression until the result has a name


class Forward:
    def __init__(self, fn_ir, active_params, names, namespace, request):
        self.fn = fn_ir
        self.active_params = [p for p in fn_ir.params if p in set(active_params)]
        self.varied = varied_names(fn_ir, self.active_params)
        self.shapes = Shapes(fn_ir)
        self.names = names
        self.ns = namespace
        self.request = request   # (callee, active param names, loc) -> (name, tangent params)
        self.dots = {}
        self.temps = set()     # names this transform introduced
        self.zeros = namespace.bind("zeros_tangent", runtime.zeros_tangent)
        self.items = namespace.bind("Items", runtime.Items)
        self.writes = any(isinstance(st, Assign) and isinstance(st.value, SetItem)
                          for st in walk(fn_ir.body))
        self.writable = namespace.bind("writable", writes.writable)
        self.written = namespace.bind("written", writes.written)
        self.writable_items = namespace.bind("writable_items", writes.writable_items)
        self.kw = tangent_params(fn_ir.params, self.active_params)
        for p in self.active_params:
            if self.kw[p] not in names.taken:
                names.reserve(self.kw[p])
                self.dots[p] = self.kw[p]
            else:
                self.dot(p)

    def fresh(self, hint):
        name = self.names.fresh(hint)
        self.temps.add(name)
        return name

    def dot(self, name):
        if name not in self.dots:
            self.dots[name] = self.fresh(name + "_dot")
        return self.dots[name]

    def is_varied(self, atom):
        return isinstance(atom, Var) and atom.name in self.varied

    def tangent_atom(self, atom):
        """The tangent of an atom as an expression source, zeros for constants."""
        if isinstance(atom, SeqLit):      # a list's tangent adds item by item (Items)
            inner = [self.tangent_atom(e) for e in atom.elts]
            return f"{self.items}([{', '.join(inner)}])" if atom.kind == "list" else \
                "(" + ", ".join(inner) + ("," if len(inner) == 1 else "") + ")"
        if self.is_varied(atom):
            return self.dot(atom.name)
        if isinstance(atom, Var):
            return f"{self.zeros}({atom.name})"
        return "0.0"

    # ------------------------------------------------------------ driver
    def run(self):
        """The body of the tangent function; it returns ``(value, tangent)``. Tangent
        parameters are passed as keywords named ``<param>_dot``."""
        body = list(self.fn.body)
        ret = body.pop() if body and isinstance(body[-1], Return) else Return(const(None))
        out = []
        for p in self.active_params:
            if self.dot(p) != self.kw[p]:   # the function has a variable of that name
                out.append(Assign([Var(self.dot(p))], AtomExpr(Var(self.kw[p])), ret.loc))
        for p in self.fn.params:     # given a varied value later: starts with a zero tangent
            if p in self.varied and p not in self.active_params:
                out.append(Assign([Var(self.dot(p))], _raw(f"{self.zeros}({p})", {p}), ret.loc))
        out += self.block(body)
        pre, tangent = self.tangent_struct(ret.value, ret.loc)
        return out + pre + [Return(SeqLit("tuple", [ret.value, tangent]), ret.loc)]

    def tangent_struct(self, atom, loc):
        """(setup statements, an atom holding the tangent of ``atom``)."""
        if isinstance(atom, SeqLit):
            pre, elts = [], []
            for e in atom.elts:
                p, t = self.tangent_struct(e, loc)
                pre += p
                elts.append(t)
            return pre, SeqLit(atom.kind, elts)
        if self.is_varied(atom):
            return [], Var(self.dot(atom.name))
        if isinstance(atom, Var):
            t = Var(self.fresh(atom.name + "_dot"))
            return [Assign([t], _raw(f"{self.zeros}({atom.name})", {atom.name}), loc)], t
        return [], ZERO

    def block(self, stmts):
        out = []
        for s in stmts:
            out.extend(self.stmt(s))
        return out

    def stmt(self, s):
        if isinstance(s, Assign):
            return self.assign(s)
        if isinstance(s, If):
            return [If(s.test, self.block(s.body), self.block(s.orelse), s.loc, s.comment)]
        if isinstance(s, For):
            return [For(s.target, s.start, s.stop, s.step, self.block(s.body), s.loc, s.comment,
                        s.reverse)]
        if isinstance(s, While):
            return [While(self.block(s.test_body), s.test, self.block(s.body), s.loc, s.comment)]
        if isinstance(s, ExprStmt):
            return [s]
        if isinstance(s, Raise):
            return [s]
        raise UnsupportedError(f"internal: unexpected statement {type(s).__name__}", s.loc)

    # ------------------------------------------------------------ assignments
    def assign(self, s):
        targets = [t.name for t in s.targets]
        if not any(t in self.varied for t in targets):
            return [s]
        if isinstance(s.value, SetItem):
            return self.setitem(s)
        if isinstance(s.value, Drop):
            # ls.pop()  ==>  dls = writable_items(dls, ls); ls.pop(); dls.pop()
            ls = s.value.value
            dls = Var(self.dot(ls.name))
            return [Assign([dls], _raw(f"{self.writable_items}({dls.name}, {ls.name})",
                                       {dls.name, ls.name}), s.loc),
                    s, Assign([dls], Drop(dls), s.loc)]
        if isinstance(s.value, Append):
            # ls.append(v)  ==>  dls = writable_items(dls, ls); ls.append(v); dls.append(dv)
            ls, item = s.value.value, s.value.item
            dls = Var(self.dot(ls.name))
            out = [Assign([dls], _raw(f"{self.writable_items}({dls.name}, {ls.name})",
                                      {dls.name, ls.name}), s.loc), s]
            dv = Var(self.dot(item.name)) if self.is_varied(item) else self.zero_item(item, out,
                                                                                        s)
            return out + [Assign([dls], Append(dls, dv), s.loc)]
        if len(targets) > 1:
            return self.unpack(s)
        y = targets[0]
        e = s.value
        if not (diff_operands(e) & self.varied):
            # a varied name given a value that does not depend on the inputs here
            zero = const(0.0) if isinstance(e, AtomExpr) and isinstance(e.atom, Const) \
                and isinstance(e.atom.value, (int, float)) else \
                _raw(f"{self.zeros}({y})", {y})
            return [s, Assign([Var(self.dot(y))], AtomExpr(zero) if isinstance(zero, Const)
                              else zero, s.loc)]
        if isinstance(e, Call) and is_user_function(e.fn):
            return self.user_call(s)
        pre, tangent = self.tangent_of(s, e, y)
        dy = Var(self.dot(y))
        alias = _alias(tangent)
        if alias is not None and self.writes and not isinstance(e, AtomExpr):
            # y = m + 1.0 is a new array but y_dot = m_dot is m's tangent itself: a write
            # into m must not write into it in place (writable copies it first)
            fn = self.ns.bind("disown", writes.disown)
            tangent = _raw(f"{fn}({alias})", {alias})
        if y not in expr_reads(e):
            return [s] + pre + [Assign([dy], _rename(tangent, ANS, y), s.loc)]
        if ANS not in expr_reads(tangent):
            return pre + [Assign([dy], tangent, s.loc), s]   # reads the operands' old values
        new = Var(self.fresh(y + "_new"))             # x = f(x) whose tangent reads f(x)
        return ([Assign([new], e, s.loc, s.comment)] + pre +
                [Assign([dy], _rename(tangent, ANS, new.name), s.loc),
                 Assign([s.target], AtomExpr(new), s.loc)])

    def setitem(self, s):
        """``x[i] = v``: the tangent of v goes into the tangent of x, at i::

            x[i] = v            x[i] = v
                        ==>     dx = writable(dx, x)
                                v_dot_item = written(dv, x)
                                dx[i] = v_dot_item
        """
        e = s.value
        x = e.value.name
        dx = Var(self.dot(x))
        out = [s, Assign([dx], _raw(f"{self.writable}({dx.name}, {x})", {dx.name, x}), s.loc)]
        item = ZERO
        if self.is_varied(e.item):
            dv = self.dot(e.item.name)
            item = Var(self.fresh(f"{dv}_item"))
            out.append(Assign([item], _raw(f"{self.written}({dv}, {x})", {dv, x}), s.loc))
        else:
            # a list's or dict's item keeps a tangent of its own shape (0.0 for a number)
            item = self.zero_item(e.item, out, s)
        out.append(Assign([dx], SetItem(dx, entry_index(e.index), item), s.loc))
        return out

    def zero_item(self, item, out, s):
        """The zero tangent of a value stored into a list or dict: shaped like it."""
        if not isinstance(item, Var):
            return ZERO         # a literal number
        tmp = Var(self.fresh("zero_item"))
        out.append(Assign([tmp], _raw(f"{self.zeros}({item.name})", {item.name}), s.loc))
        return tmp

    def tangent_of(self, s, e, y):
        """(setup statements, the tangent expression of ``y = e``)."""
        if isinstance(e, AtomExpr):
            return [], self._atom_tangent(e.atom)
        if isinstance(e, SeqLit):
            return [], self._atom_tangent(e)
        if isinstance(e, Subscript):
            from ..ir.printer import fmt_index
            d = self.dot(e.value.name)
            return [], _raw(f"{d}[{fmt_index(e.index)}]", {d} | atom_reads(e.index))
        if isinstance(e, Attribute):
            if e.attr in NONDIFF_ATTRS:
                return [], const(0.0)
            d = self.dot(e.value.name)
            fn = self.ns.bind("attr_tangent", containers.attr_tangent)
            return [], _raw(f"{fn}({d}, {e.value.name}, {e.attr!r})", {d, e.value.name})
        return self.rule_tangent(s, e, y)

    def _atom_tangent(self, atom):
        if isinstance(atom, Var) and atom.name in self.varied:
            return AtomExpr(Var(self.dot(atom.name)))
        src = self.tangent_atom(atom)
        return _raw(src, {n for n in _names(src) if n not in self.ns.objs})

    def rule_tangent(self, s, e, y):
        fn, args, kwargs = op_callee(e)
        rule, bound = bind_rule(e, fn, args, kwargs, s.loc, lookup_jvp, "defjvp")
        # every operand has a tangent: their sum already has the output's shape
        operands = [bound.get(p) for p in rule.params if p not in rule.defaults]
        all_varied = len(rule.diff) > 1 and all(self.is_varied(a) for a in operands)
        pre, parts = [], []
        for p in rule.diff:
            a = bound.get(p)
            if a is None or not (atom_reads(a) & self.varied):
                continue
            if isinstance(a, SeqLit):
                t = self.fresh(f"{p}_dot")
                pre.append(Assign([Var(t)], self._atom_tangent(a), s.loc))
            else:
                t = self.dot(a.name)
            parts.append(inline_vjp(rule, p, bound, t, ANS, self.ns,
                                    all_varied or self.shapes.same(a, e)))
        return pre, _sum(parts)

    def unpack(self, s):
        """``a, b = t``: the tangents unpack the same way (a tuple's tangent is a tuple)."""
        src = s.value.atom if isinstance(s.value, AtomExpr) else None
        if not isinstance(src, Var):
            raise UnsupportedError("diffc cannot differentiate this unpacking", s.loc)
        dots = [Var(self.dot(t.name)) for t in s.targets]
        if src.name in {t.name for t in s.targets}:
            tmp = Var(self.fresh(src.name + "_dot_old"))
            return [Assign([tmp], AtomExpr(Var(self.dot(src.name))), s.loc),
                    Assign(dots, AtomExpr(tmp), s.loc), s]
        return [s, Assign(dots, self._atom_tangent(src), s.loc)]

    # ------------------------------------------------------------ calls of user functions
    def user_call(self, s):
        e = s.value
        try:
            bound = signature(e.fn).bind(*e.args, **e.kwargs).arguments
        except TypeError as err:
            raise UnsupportedError(f"call to `{e.fn_src}` does not match its signature: {err}",
                                   s.loc) from None
        active = [p for p, a in bound.items() if atom_reads(a) & self.varied]
        name, params = self.request(e.fn, active, s.loc)
        kw = tangent_params(list(signature(e.fn).parameters), params)
        kwargs = dict(e.kwargs)
        pre = []
        for p in params:
            a = bound[p]
            if isinstance(a, Var) and a.name in self.varied:
                kwargs[kw[p]] = Var(self.dot(a.name))
                continue
            t = Var(self.fresh(f"{p}_dot"))
            pre.append(Assign([t], self._atom_tangent(a), s.loc))
            kwargs[kw[p]] = t
        y = s.target
        call = Assign([y, Var(self.dot(y.name))], Call(Generated(name), name, e.args, kwargs),
                      s.loc, s.comment)
        return pre + [call]


def _alias(e):
    """The name ``e`` is, if it is a bare name (``m_dot``), else None."""
    if isinstance(e, AtomExpr) and isinstance(e.atom, Var):
        return e.atom.name
    if isinstance(e, Raw) and isinstance(e.expr, ast.Name):
        return e.expr.id
    return None


def _names(src):
    return {n.id for n in ast.walk(ast.parse(src, mode="eval")) if isinstance(n, ast.Name)}


def _sum(parts):
    if len(parts) == 1:
        return parts[0]
    from .reverse import _as_raw
    parts = [_as_raw(p) for p in parts]
    expr = parts[0].expr
    for p in parts[1:]:
        expr = ast.BinOp(expr, ast.Add(), p.expr)
    return Raw(ast.fix_missing_locations(expr), frozenset().union(*(p.reads for p in parts)))


def _rename(e, old, new):
    if isinstance(e, AtomExpr):
        return AtomExpr(Var(new)) if e.atom == Var(old) else e
    if not isinstance(e, Raw):
        return e

    class R(ast.NodeTransformer):
        def visit_Name(self, node):
            return ast.Name(id=new, ctx=node.ctx) if node.id == old else node
    expr = R().visit(e.expr)
    reads = frozenset(new if r == old else r for r in e.reads)
    return Raw(expr, reads)


def tangent_params(params, active):
    """The keyword names under which a tangent function takes the tangents of ``active``:
    ``x_dot`` for ``x``, or ``x_dot2``... if the function already has a parameter of that
    name (a tangent function transformed again)."""
    taken, out = set(params), {}
    for p in params:
        if p in active:
            name, n = f"{p}_dot", 2
            while name in taken:
                name, n = f"{p}_dot{n}", n + 1
            taken.add(name)
            out[p] = name
    return out
