"""Which parameters a user function may write into (read from its source).

A helper called for its effect (``h(u)``) is not differentiated: diffc must
know whether it changes ``u``. ``param_writes(h)`` reads h's source and
returns, for each parameter it may modify, how::

    def h(b, c):                     param_writes(h) == {
        b *= 2.0                         "b": ("augmented", <loc of b *= 2.0>, ...),
        v = c[1:]                        "c": ("write", <loc of v[0] = ...>, ...)}
        v[0] = 3.0 * v[0]
        return 0.0

"write" is certain for arrays and lists (an element or attribute assignment, a
call writing into the value, through views and aliases); "augmented" is
``b op= v`` on the parameter itself, which modifies arrays and lists in place
and rebinds numbers. Calls to other user functions are followed.
"""
import inspect
import types
import weakref

import gast

from ..errors import DiffcError
from ..rules.effects import PURE_METHODS, call_writes, result_may_share
from ..rules.registry import is_nondiff, lookup
from .resolve import MISSING, Resolver
from .source import parse_function

_cache = weakref.WeakKeyDictionary()     # function -> (what it was computed for, result)


def _key(fn):
    """What the result depends on: the code and what the closure refers to (functions made
    by one decorator share their code)."""
    cells = []
    for c in fn.__closure__ or ():
        try:
            cells.append(id(c.cell_contents))
        except ValueError:
            cells.append(None)
    return fn.__code__, tuple(cells)


def param_writes(fn, _active=None):
    """{parameter: (kind, Loc, why)} for the parameters ``fn`` may write into."""
    key = _key(fn)
    hit = _cache.get(fn)
    if hit is not None and hit[0] == key:
        return hit[1]
    code = fn
    active = set() if _active is None else _active
    if code in active:             # recursion: what is known so far
        return {}
    active.add(code)
    try:
        parsed = parse_function(fn)
    except DiffcError as e:
        a = fn.__code__
        params = a.co_varnames[:a.co_argcount + a.co_kwonlyargcount]
        return {p: ("write", None, f"its source cannot be read ({e.message})") for p in params}
    result = _Analysis(parsed, Resolver(fn), active).run()
    active.discard(code)
    if _active is None or not active:
        _cache[fn] = (key, result)
    return result


def display_name(fn):
    """```h` ``, or ```h` (its decorator's wrapper `w`)`` for a functools.wraps wrapper."""
    code = fn.__code__.co_name
    if code == fn.__name__:
        return f"`{fn.__name__}`"
    return f"`{fn.__name__}` (its decorator's wrapper `{code}`)"


def _assigned(node):
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name) and
            isinstance(n.ctx, (gast.Store, gast.Del))}


def _base(node):
    while isinstance(node, (gast.Subscript, gast.Attribute, gast.Starred)):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None


class _Analysis:
    def __init__(self, parsed, resolver, active):
        self.parsed, self.resolver, self.active = parsed, resolver, active
        a = parsed.node.args
        self.params = [p.id for p in a.posonlyargs + a.args + a.kwonlyargs +
                       [v for v in (a.vararg, a.kwarg) if v is not None]]
        self.alias = {p: {p} for p in self.params}     # name -> parameters it may share
        self.writes = {}

    def body_nodes(self):
        """Every node of the body, not descending into nested functions or lambdas."""
        stack = list(self.parsed.node.body)
        while stack:
            n = stack.pop()
            yield n
            for c in gast.iter_child_nodes(n):
                if not isinstance(c, (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda,
                                      gast.ClassDef)):
                    stack.append(c)

    def run(self):
        nodes = list(self.body_nodes())
        changed = True
        while changed:              # may-alias sets, to a fixed point
            changed = False
            for n in nodes:
                pairs = []
                if isinstance(n, gast.Assign):
                    pairs = [(t, n.value) for t in n.targets]
                elif isinstance(n, (gast.AnnAssign, gast.NamedExpr)) and n.value is not None:
                    pairs = [(n.target, n.value)]
                elif isinstance(n, gast.For):
                    pairs = [(n.target, n.iter)]
                elif isinstance(n, gast.withitem) and n.optional_vars is not None:
                    pairs = [(n.optional_vars, n.context_expr)]
                for target, value in pairs:
                    src = self.shares(value)
                    for t in gast.walk(target):
                        if isinstance(t, gast.Name) and isinstance(t.ctx, gast.Store):
                            old = self.alias.setdefault(t.id, set())
                            if not src <= old:
                                old |= src
                                changed = True
        self.fresh = set()
        self.walk(self.parsed.node.body)
        return self.writes

    def walk(self, stmts):
        """Visit statements in order, keeping ``self.fresh``: the names that hold, on every
        path to here, a value sharing no parameter's memory (``a = 2.0 * a`` rebinds ``a``:
        a later ``a -= c`` or ``a[0] = 1.0`` writes into the new value only)."""
        for s in stmts:
            if isinstance(s, gast.If):
                self.calls(s.test)
                before = set(self.fresh)
                self.walk(s.body)
                after_body, self.fresh = self.fresh, before
                self.walk(s.orelse)
                self.fresh &= after_body
            elif isinstance(s, (gast.For, gast.While)):
                self.calls(s.iter if isinstance(s, gast.For) else s.test)
                before = set(self.fresh)
                self.fresh -= _assigned(s)      # another iteration may have rebound them
                entry = set(self.fresh)
                self.walk(s.body)
                self.fresh &= entry
                self.walk(s.orelse)
                self.fresh &= before
            elif isinstance(s, (gast.With, gast.AsyncWith, gast.Try)):
                for item in getattr(s, "items", ()):
                    self.calls(item.context_expr)
                before = set(self.fresh) - _assigned(s)
                for block in (s.body, getattr(s, "orelse", []), getattr(s, "finalbody", [])):
                    self.walk(block)
                for h in getattr(s, "handlers", ()):
                    self.walk(h.body)
                self.fresh = before
            elif not isinstance(s, (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)):
                self.visit(s)
                self.calls(s)
                self.rebind(s)

    def calls(self, node):
        """Visit the calls in ``node`` (not in nested functions)."""
        if node is None:
            return
        stack = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, gast.Call):
                self.call(n)
            stack.extend(c for c in gast.iter_child_nodes(n) if not isinstance(
                c, (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef)))

    def rebind(self, s):
        targets, value = [], None
        if isinstance(s, gast.Assign):
            targets, value = s.targets, s.value
        elif isinstance(s, gast.AnnAssign) and s.value is not None:
            targets, value = [s.target], s.value
        elif isinstance(s, gast.Delete):
            targets = s.targets
        fresh = value is not None and not self.shares(value)
        for t in targets:
            if isinstance(t, gast.Name) and fresh:
                self.fresh.add(t.id)
            else:
                self.fresh -= {n.id for n in gast.walk(t) if isinstance(n, gast.Name)}

    def shares(self, value):
        """Parameters whose memory the value of ``value`` may share."""
        if isinstance(value, gast.Name):
            return set(self.alias.get(value.id, ()))
        if isinstance(value, (gast.BinOp, gast.UnaryOp, gast.Compare, gast.BoolOp,
                              gast.Constant, gast.JoinedStr, gast.ListComp, gast.DictComp,
                              gast.SetComp, gast.GeneratorExp, gast.Lambda)):
            return set()
        if isinstance(value, gast.Call) and not self.call_may_share(value):
            return set()           # np.exp(a), a + b...: a new value
        out = set()
        for c in gast.iter_child_nodes(value):
            if isinstance(c, gast.expr):
                out |= self.shares(c)
            elif isinstance(c, gast.keyword):
                out |= self.shares(c.value)
        return out

    def write(self, name, kind, node, why):
        if name in self.fresh:
            return          # holds a value of its own here, not a parameter's
        for p in self.alias.get(name, ()):
            old = self.writes.get(p)
            if old is None or (old[0] == "augmented" and kind == "write"):
                self.writes[p] = (kind, self.parsed.loc(node), why)

    def visit(self, n):
        if isinstance(n, (gast.Assign, gast.AnnAssign, gast.Delete)):
            targets = n.targets if isinstance(n, (gast.Assign, gast.Delete)) else [n.target]
            for t in targets:
                for part in ([t] if not isinstance(t, (gast.Tuple, gast.List)) else
                             list(gast.walk(t))):
                    if isinstance(part, (gast.Subscript, gast.Attribute)):
                        name = _base(part)
                        if name:
                            self.write(name, "write", n, "assigns to an element or attribute")
        elif isinstance(n, gast.AugAssign):
            if isinstance(n.target, gast.Name):
                self.write(n.target.id, "augmented", n, "updates it with an augmented "
                           "assignment, which modifies arrays and lists in place")
            else:
                name = _base(n.target)
                if name:
                    self.write(name, "write", n, "assigns to an element or attribute")

    def call(self, n):
        func = n.func
        args = list(n.args)
        kwargs = {k.arg: k.value for k in n.keywords if k.arg is not None}
        if isinstance(func, gast.Attribute) and (_base(func) in self.alias or
                                                  self.resolve(func) is MISSING):
            method = func.attr         # v.method(...), v.w.method(...), (a + b).dot(c)
            if method not in PURE_METHODS and _base(func):
                self.write(_base(func), "write", n, f"calls `.{method}()` on it")
            if "out" in kwargs and _base(kwargs["out"]):
                self.write(_base(kwargs["out"]), "write", n, "passes it as out=")
            return
        fn = self.resolve(func)
        if getattr(fn, "__diffc_primal__", None) is not None:
            return                               # a diffc derivative never modifies arguments
        if fn is MISSING:                        # calling something diffc cannot resolve
            for a in args + list(kwargs.values()):
                if _base(a):
                    self.write(_base(a), "write", n, "passes it to a call diffc cannot "
                               "resolve")
            return
        if isinstance(fn, types.FunctionType) and lookup(fn) is None and not is_nondiff(fn) \
                and getattr(fn, "__diffc_primal__", None) is None:
            inner = param_writes(fn, self.active)
            if not inner:
                return
            a = fn.__code__
            names = list(a.co_varnames[:a.co_argcount + a.co_kwonlyargcount])
            starred = [x for x in args if isinstance(x, gast.Starred)] + \
                [k.value for k in n.keywords if k.arg is None]
            positional = args[:next((i for i, x in enumerate(args)
                                     if isinstance(x, gast.Starred)), len(args))]
            bound = dict(zip(names, positional))
            bound.update(kwargs)
            for p, (kind, loc, why) in inner.items():
                where = f" ({loc.filename}:{loc.lineno})" if loc else ""
                why = f"passes it to {display_name(fn)}, which {why}{where}"
                if p in bound:
                    targets = [bound[p]]
                elif p in names or a.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
                    targets = starred       # *args, **kwargs may carry it
                else:
                    targets = []
                for t in targets:
                    if _base(t):
                        self.write(_base(t), kind, n, why)
            return
        for a, why in call_writes(fn, args, kwargs):
            for el in (a.elts if isinstance(a, (gast.Tuple, gast.List)) else [a]):
                if _base(el):
                    self.write(_base(el), "write", n, f"passes it to a call that writes into "
                               f"it ({why})")

    def call_may_share(self, n):
        func = n.func
        if isinstance(func, gast.Attribute) and _base(func) in self.alias:
            return result_may_share(None, func.attr)
        fn = self.resolve(func)
        return fn is MISSING or result_may_share(fn) or any(
            k.arg == "out" for k in n.keywords)

    def resolve(self, func):
        parts = []
        while isinstance(func, gast.Attribute):
            parts.append(func.attr)
            func = func.value
        if not isinstance(func, gast.Name) or func.id in self.alias:
            return MISSING
        obj = self.resolver.lookup(func.id)
        for p in reversed(parts):
            obj = getattr(obj, p, MISSING)
            if obj is MISSING:
                return MISSING
        return obj
