"""Constructs with a scope of their own, lowered where Python evaluates them.

* List comprehensions and generator expressions become loops that append (their
  variables renamed, so they do not leak).
* Local functions -- ``g = lambda a: ...`` and nested ``def g(a): ...`` that the
  function only calls -- are inlined at each call: the arguments are evaluated,
  bound to renamed parameters, and the body is lowered in place. Names the body
  does not bind are read when the call runs, as Python's closures read them::

    def f(x, w):                         def f(x, w):
        g = lambda a: a * w                  a = x
        return g(x) + g(2.0 * x)    ==>      g_x = a * w
                                             t = 2.0 * x
                                             a_2 = t
                                             g_t = a_2 * w
                                             return g_x + g_t
"""
import builtins
import copy

import gast

from ..errors import UnsupportedError
from ..backend import containers
from ..ir.nodes import Assign, AtomExpr, Call, SeqLit, Subscript, Var, const
from .jumps import RemoveJumps
from .loops import ForToRange
from .templates import assigned_names, quote, quote_expr


class ScopedConstructs:
    """Lowering methods of the ``Lowerer`` (lower.py) for comprehensions and local
    functions."""

    def expr_ListComp(self, node, target):
        """``[elt for t in it if c]`` (and a generator expression, made a list): a loop
        that appends, lowered here so that it runs where Python evaluates it::

            ys = [f(t) for t in xs if t > 0]    ==>   ys = []
                                                      for t_2 in xs:
                                                          if t_2 > 0:
                                                              ys.append(f(t_2))

        The comprehension's variables get names of their own (they do not leak)."""
        result = target or Var(self.names.fresh("items"))
        self.emit(Assign([result], SeqLit("list", [])))
        return self.comprehension(node, result, "result.append(elt)", elt=node.elt)

    def expr_SetComp(self, node, target):
        """``{e for t in it}``: ``set([e for t in it])`` (a set has no derivative: fine for
        values that do not depend on the inputs, refused by the rule lookup otherwise)."""
        comp = gast.copy_location(gast.ListComp(elt=node.elt, generators=node.generators),
                                  node)
        items = self.expr_ListComp(comp, None)
        return self.assign(Call(builtins.set, self.ns.bind("set", builtins.set), [items]),
                           target, "members")

    def expr_Set(self, node, target):
        """``{a, b}``: ``set([a, b])``, as a set comprehension."""
        items = self.seq(gast.List(elts=node.elts, ctx=gast.Load()), "list", None)
        return self.assign(Call(builtins.set, self.ns.bind("set", builtins.set), [items]),
                           target, "members")

    def expr_DictComp(self, node, target):
        """``{k: v for t in it}``: a loop that writes the entries into a new dict."""
        result = target or Var(self.names.fresh("entries"))
        self.expr_Dict(gast.Dict(keys=[], values=[]), result)
        return self.comprehension(node, result, "result[key] = value", key=node.key,
                                  value=node.value)

    def comprehension(self, node, result, template, **parts):
        """The loops of a comprehension around ``template`` (``result`` and ``parts``
        substituted, the parts renamed into the comprehension's scope)."""
        renames = {}
        for gen in node.generators:
            if gen.is_async:
                self.error(UnsupportedError, "diffc does not support an async comprehension",
                           node)
            for n in gast.walk(gen.target):
                if isinstance(n, gast.Name) and n.id not in renames:
                    renames[n.id] = self.names.fresh(n.id)
        scoped = _Rename(renames)
        body = quote(template, node, result=result.name,
                     **{k: scoped.visit(copy.deepcopy(v)) for k, v in parts.items()})
        for i, gen in reversed(list(enumerate(node.generators))):
            for cond in reversed(gen.ifs):
                test = scoped.visit(copy.deepcopy(cond))
                body = [gast.copy_location(gast.If(test=test, body=body, orelse=[]), cond)]
            # the first iterable is evaluated outside the comprehension's scope
            it = copy.deepcopy(gen.iter) if i == 0 else scoped.visit(copy.deepcopy(gen.iter))
            loop = gast.For(target=scoped.visit(copy.deepcopy(gen.target)), iter=it,
                            body=body, orelse=[], type_comment=None)
            body = [gast.copy_location(loop, node)]
        self.locals |= set(renames.values()) | {result.name}
        self.lower_loop(body[0], node)
        return result

    expr_GeneratorExp = expr_ListComp

    def is_builtin(self, func, name):
        """Is ``func`` the builtin ``name`` (not shadowed)?"""
        if not isinstance(func, gast.Name) or func.id != name or name in self.locals:
            return False
        obj = getattr(builtins, name)
        if self.resolver.lookup(name) is not obj:
            return False
        self.resolver.guard(name, obj)
        return True

    def expr_map(self, node, target):
        """``map(f, xs, ys)`` is ``[f(a, b) for a, b in zip(xs, ys)]`` (a list, not an
        iterator: diffc reads it as many times as the code does)."""
        n = len(node.args) - 1
        names = [self.names.fresh("item") for _ in range(n)]
        call = gast.Call(func=node.args[0], args=[_load(v) for v in names], keywords=[])
        if isinstance(node.args[0], gast.Lambda):
            call = self.named_lambda(node.args[0], gast.copy_location(call, node))
        if n == 1:
            target_, it = gast.Name(id=names[0], ctx=gast.Store(), annotation=None,
                                    type_comment=None), node.args[1]
        else:
            target_ = gast.Tuple(elts=[gast.Name(id=v, ctx=gast.Store(), annotation=None,
                                                 type_comment=None) for v in names],
                                 ctx=gast.Store())
            it = gast.Call(func=_load("zip"), args=list(node.args[1:]), keywords=[])
        comp = gast.ListComp(elt=call, generators=[gast.comprehension(
            target=target_, iter=it, ifs=[], is_async=0)])
        _locate(comp, node)
        return self.expr_ListComp(comp, target)

    def named_lambda(self, fn, call):
        """A lambda written where it is used (called at once, passed to ``map`` or as a
        ``key=``): a local function of a fresh name; ``call`` then calls it by that name."""
        name = self.names.fresh("lambda")
        self._check_local_signature(name, fn.args, fn)
        self.local_fns[name] = fn
        return gast.copy_location(gast.Call(func=_load(name), args=list(call.args),
                                            keywords=list(call.keywords)), call)

    def keyed(self, node, target, kind):
        """``sorted(xs, key=f)``, ``max(xs, key=f)``, ``min(xs, key=f)``: the keys are
        computed (their values only order the items: no derivative flows through them),
        then the items are read in that order::

            ys = sorted(xs, key=f)    ==>   keys = [f(v) for v in xs]
                                            order = key_order(keys, False)
                                            ys = [xs[i] for i in order]
        """
        if len(node.args) != 1 or any(k.arg not in ("key", "reverse") or
                                      (k.arg == "reverse" and kind != "sorted")
                                      for k in node.keywords):
            self.error(UnsupportedError, f"diffc supports {kind}(items, key=...) with one "
                       "sequence" + (" and reverse=" if kind == "sorted" else ""), node)
        items = self.expr(node.args[0])
        if not isinstance(items, Var):
            items = self.assign(AtomExpr(items), None, "items")
        self.locals.add(items.name)
        kw = {k.arg: k.value for k in node.keywords}
        v = self.names.fresh("item")
        key = kw["key"]
        call = gast.Call(func=key, args=[_load(v)], keywords=[])
        if isinstance(key, gast.Lambda):
            call = self.named_lambda(key, gast.copy_location(
                gast.Call(func=key, args=[_load(v)], keywords=[]), node))
        comp = gast.ListComp(elt=call, generators=[gast.comprehension(
            target=gast.Name(id=v, ctx=gast.Store(), annotation=None, type_comment=None),
            iter=_load(items.name), ifs=[], is_async=0)])
        _locate(comp, node)
        keys = self.expr_ListComp(comp, None)
        if kind == "sorted":
            reverse = self.expr(kw["reverse"]) if "reverse" in kw else const(False)
            order = self.assign(Call(containers.key_order, self.ns.bind(
                "key_order", containers.key_order), [keys, reverse]), None, "order")
            self.locals.add(order.name)
            i = self.names.fresh("i")
            comp = gast.ListComp(elt=quote_expr("s[i]", node, s=items.name, i=i),
                                 generators=[gast.comprehension(
                                     target=gast.Name(id=i, ctx=gast.Store(), annotation=None,
                                                      type_comment=None),
                                     iter=_load(order.name), ifs=[], is_async=0)])
            _locate(comp, node)
            return self.expr_ListComp(comp, target)
        fn = containers.key_max if kind == "max" else containers.key_min
        pick = self.assign(Call(fn, self.ns.bind(fn.__name__, fn), [keys]), None, "pick")
        return self.assign(Subscript(items, pick), target, f"{items.name}_{kind}")

    def extend(self, ls, call):
        """``ls.extend(xs)`` appends the items of xs one by one (xs evaluated first)."""
        items = self.expr(call.args[0])
        item = self.names.fresh("item")
        loop = gast.For(target=gast.Name(id=item, ctx=gast.Store(), annotation=None,
                                         type_comment=None), iter=_load(items.name)
                        if isinstance(items, Var) else call.args[0],
                        body=quote(f"{ls.name}.append({item})", call), orelse=[],
                        type_comment=None)
        self.locals |= {item} | ({items.name} if isinstance(items, Var) else set())
        self.lower_loop(loop, call)

    def lower_loop(self, loop, at):
        """Lower a ``for`` loop made here (ForToRange first, as for the function's own),
        its nodes placed at ``at``."""
        _locate(loop, at)
        stmts = ForToRange(self.resolver, self.locals, self.names, self.parsed).visit(loop)
        stmts = stmts if isinstance(stmts, list) else [stmts]
        for st in stmts:
            self.locals |= assigned_names(st)
            _locate(st, at)
        loc = self.loc
        self.statements(stmts)
        self.loc = loc

    # ------------------------------------------------------------ local functions
    def stmt_FunctionDef(self, s):
        a = s.args
        if s.decorator_list:
            self.error(UnsupportedError, "diffc does not support a decorated local function",
                       s, "define the helper at module level")
        self._check_local_signature(s.name, a, s)
        self._only_called(s.name, s)
        RemoveJumps(self.names).run(s)          # early returns: one return at the end
        self.local_fns[s.name] = s

    def local_lambda(self, name, node, at):
        """``g = lambda a: ...``: recorded, inlined where it is called."""
        self._check_local_signature(name, node.args, node)
        self._only_called(name, at)
        self.local_fns[name] = node

    def _check_local_signature(self, name, a, node):
        if a.vararg or a.kwarg:
            self.error(UnsupportedError, f"the local function `{name}` takes *args or **kwargs, "
                       "which diffc does not support", node, "list the parameters explicitly")
        for d in list(a.defaults) + [d for d in a.kw_defaults if d is not None]:
            if _constant(d) is _NOT_CONSTANT:
                self.error(UnsupportedError, f"the default values of the local function "
                           f"`{name}` must be constants", d, "pass the value at each call")

    def _only_called(self, name, at):
        """A local function is inlined, so it may only be called: not rebound, passed on
        or returned."""
        binds = 0
        calls = {id(n.func) for n in gast.walk(self.parsed.node) if isinstance(n, gast.Call)}
        # passed to map(...) or as a key=: called there, where it is inlined
        calls |= {id(n.args[0]) for n in gast.walk(self.parsed.node) if isinstance(n, gast.Call)
                  and isinstance(n.func, gast.Name) and n.func.id == "map" and n.args}
        calls |= {id(k.value) for n in gast.walk(self.parsed.node) if isinstance(n, gast.Call)
                  for k in n.keywords if k.arg == "key"}
        for n in gast.walk(self.parsed.node):
            if isinstance(n, (gast.FunctionDef, gast.AsyncFunctionDef)) and n.name == name \
                    and n is not self.parsed.node:
                binds += 1
            elif isinstance(n, gast.Name) and n.id == name:
                if isinstance(n.ctx, gast.Store):
                    binds += 1
                elif id(n) not in calls:
                    self.error(UnsupportedError, f"diffc inlines the local function `{name}` "
                               "where it is called; here it is used as a value", n,
                               "call it directly, or define it at module level")
        if binds != 1:
            self.error(UnsupportedError, f"the local function `{name}` is bound more than "
                       "once", at, "give each local function its own name")

    def inline_call(self, node, target):
        """Lower ``g(args)`` for a local function g: its body, in place."""
        name = node.func.id
        fn = self.local_fns[name]
        if name in self.inlining:
            self.error(UnsupportedError, f"the local function `{name}` calls itself, which "
                       "diffc does not inline", node, "define it at module level")
        for a in node.args:
            if isinstance(a, gast.Starred):
                self.error(UnsupportedError, "diffc does not support *args in calls", a,
                           "pass the arguments one by one")
        a = fn.args
        positional = [p.id for p in a.posonlyargs + a.args]
        defaults = dict(zip(positional[len(positional) - len(a.defaults):], a.defaults))
        defaults.update((p.id, d) for p, d in zip(a.kwonlyargs, a.kw_defaults)
                        if d is not None)
        params = positional + [p.id for p in a.kwonlyargs]
        if len(node.args) > len(positional):
            self.error(UnsupportedError, f"`{name}` takes {len(positional)} positional "
                       f"arguments but {len(node.args)} were given", node)
        # Python evaluates every argument before the body runs
        values = dict(zip(positional, (self.expr(v) for v in node.args)))
        for k in node.keywords:
            if k.arg is None or k.arg not in params or k.arg in values:
                self.error(UnsupportedError, f"this call does not match the parameters of "
                           f"the local function `{name}`", node)
            values[k.arg] = self.expr(k.value)
        local = set(params) | (assigned_names(fn) if isinstance(fn, gast.FunctionDef)
                               else set())
        renames = {n: self.names.fresh(n) for n in sorted(local)}
        self.locals |= set(renames.values())
        for p in params:
            if p in values:
                value = values[p]
            elif p in defaults:
                value = const(_constant(defaults[p]))
            else:
                self.error(UnsupportedError, f"`{name}` is missing its argument `{p}`", node)
            self.emit(Assign([Var(renames[p])], AtomExpr(value)))
        scoped = _Rename(renames)
        self.inlining.add(name)
        try:
            if isinstance(fn, gast.Lambda):
                return self.expr(scoped.visit(copy.deepcopy(fn.body)), target)
            body = [scoped.visit(copy.deepcopy(st)) for st in fn.body]
            ret = body.pop() if body and isinstance(body[-1], gast.Return) else None
            loc = self.loc
            self.statements(body)
            self.loc = self.parsed.loc(ret) or loc if ret is not None else loc
            if ret is None or ret.value is None:
                return self.assign(AtomExpr(const(None)), target, f"{name}_result") \
                    if target is not None else const(None)
            result = self.expr(ret.value, target)
            self.loc = loc
            return result
        finally:
            self.inlining.discard(name)


class _Rename(gast.NodeTransformer):
    """Rename the variables of a scope of its own (a comprehension's, a local function's)."""

    def __init__(self, renames):
        self.renames = renames

    def visit_Name(self, node):
        if node.id in self.renames:
            return gast.copy_location(gast.Name(id=self.renames[node.id], ctx=node.ctx,
                                                 annotation=None, type_comment=None), node)
        return node

    def visit_Lambda(self, node):
        return node


_NOT_CONSTANT = object()


def _constant(node):
    """The value of a constant default (``0.5``, ``-0.25``, ``None``), or _NOT_CONSTANT."""
    if isinstance(node, gast.Constant):
        return node.value
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)) and \
            isinstance(node.operand, gast.Constant) and \
            isinstance(node.operand.value, (int, float, complex)) and \
            not isinstance(node.operand.value, bool):
        v = node.operand.value
        return -v if isinstance(node.op, gast.USub) else v
    return _NOT_CONSTANT


def _load(name):
    return gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)


def _locate(node, at):
    """Give the nodes of ``node`` that have no location the location of ``at``."""
    for n in gast.walk(node):
        if isinstance(n, (gast.stmt, gast.expr)) and getattr(n, "lineno", None) is None:
            gast.copy_location(n, at)
