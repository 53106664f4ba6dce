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
from .kinds import BUILTIN_METHODS
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


_RANK = {"dynamic": 0, "augmented": 1, "write": 2}
# methods that change a list or dict itself, not the values it holds
_CONTAINER_METHODS = {"append", "extend", "pop", "insert", "remove", "clear", "update",
                      "setdefault", "popitem", "reverse"}


def _copy(bind):
    return {k: set(v) for k, v in bind.items()}


def _join(a, b):
    out = _copy(a)
    for k, v in b.items():
        out.setdefault(k, set()).update(v)
    return out


def _assigned(node):
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name) and
            isinstance(n.ctx, (gast.Store, gast.Del))}


def _base(node):
    while isinstance(node, (gast.Subscript, gast.Attribute, gast.Starred)):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None


class _Analysis:
    """Walks the body in order, keeping for each name the parameters whose memory its value
    may share (``self.bind``), joined where paths meet and iterated to a fixed point in
    loops: ``a = 2.0 * a`` rebinds ``a`` to a value of its own, so a later ``a -= c`` or
    ``a[0] = 1.0`` writes into that value, not into the caller's array."""

    def __init__(self, parsed, resolver, active):
        self.parsed, self.resolver, self.active = parsed, resolver, active
        a = parsed.node.args
        self.params = [p.id for p in a.posonlyargs + a.args + a.kwonlyargs +
                       [v for v in (a.vararg, a.kwarg) if v is not None]]
        self.locals = set(self.params) | _assigned(parsed.node)
        self.bind = {p: {p} for p in self.params}
        self.bind.update({(p,): {p} for p in self.params})    # the items of a parameter
        self.writes = {}

    def run(self):
        self.walk(self.parsed.node.body)
        return self.writes

    def walk(self, stmts):
        for s in stmts:
            if isinstance(s, gast.If):
                self.calls(s.test)
                before = _copy(self.bind)
                self.walk(s.body)
                after_body, self.bind = self.bind, before
                self.walk(s.orelse)
                self.bind = _join(self.bind, after_body)
            elif isinstance(s, (gast.For, gast.While)):
                self.calls(s.iter if isinstance(s, gast.For) else s.test)
                entry = _copy(self.bind)
                while True:             # to a fixed point: a later iteration sees the last
                    self.bind = _copy(entry)
                    if isinstance(s, gast.For):
                        self.assign(s.target, s.iter, item=True)
                    self.walk(s.body)
                    joined = _join(entry, self.bind)
                    if joined == entry:
                        break
                    entry = joined
                self.bind = entry
                self.walk(s.orelse)
            elif isinstance(s, (gast.With, gast.AsyncWith, gast.Try)):
                for item in getattr(s, "items", ()):
                    self.calls(item.context_expr)
                    if item.optional_vars is not None:
                        self.assign(item.optional_vars, item.context_expr)
                before = _copy(self.bind)
                for block in [s.body, getattr(s, "orelse", []), getattr(s, "finalbody", [])] + \
                        [h.body for h in getattr(s, "handlers", ())]:
                    self.walk(block)
                    before = _join(before, self.bind)
                self.bind = before
            elif not isinstance(s, (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)):
                self.expr_nodes(s)
                self.visit(s)
                self.calls(s)
                if isinstance(s, gast.Assign):
                    for t in s.targets:
                        self.assign(t, s.value)
                elif isinstance(s, gast.AnnAssign) and s.value is not None:
                    self.assign(s.target, s.value)
                elif isinstance(s, gast.Delete):
                    for t in s.targets:
                        self.assign(t, None)

    def assign(self, target, value, item=False):
        """Bind the names of ``target`` to what ``value`` may share (``item``: to what an
        item of it may share, for a loop variable); a name bound to the whole value also
        gets what its items may share (``(name,)`` in ``self.bind``)."""
        src = self.shares(value) if value is not None else set()
        held = self.held(value) if value is not None else set()
        if item:
            src, held = src | held, src | held
        whole = isinstance(target, gast.Name)
        for t in gast.walk(target):
            if isinstance(t, gast.Name) and isinstance(t.ctx, (gast.Store, gast.Del)):
                self.bind[t.id] = set(src) if whole or item else src | held
                self.bind[(t.id,)] = set(held) if whole else src | held

    def calls(self, node):
        """Visit the calls in ``node`` (not in nested functions)."""
        for n in self.expr_nodes(node):
            if isinstance(n, gast.Call):
                self.call(n)

    def expr_nodes(self, node):
        """The nodes of ``node``, not in nested functions; ``(c := b)`` binds first (added to
        what ``c`` may share: it may not be evaluated)."""
        if node is None:
            return []
        nodes, stack = [], [node]
        while stack:
            n = stack.pop()
            nodes.append(n)
            stack.extend(c for c in gast.iter_child_nodes(n) if not isinstance(
                c, (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef)))
        for n in nodes:
            if isinstance(n, gast.NamedExpr):
                self.bind.setdefault(n.target.id, set()).update(self.shares(n.value))
        return nodes

    def held(self, value):
        """Parameters whose memory the items of ``value`` may share (a list display holding
        ``a[0]``, a name bound to one, a call that may return such a list)."""
        if isinstance(value, gast.Name):
            return set(self.bind.get((value.id,), ()))
        if isinstance(value, (gast.List, gast.Tuple, gast.Set)):
            out = set()
            for e in value.elts:
                out |= self.shares(e) | self.held(e)
            return out
        if isinstance(value, gast.Dict):
            out = set()
            for e in value.values:
                out |= self.shares(e) | self.held(e)
            return out
        if isinstance(value, (gast.Constant, gast.Compare, gast.BoolOp, gast.JoinedStr,
                              gast.Lambda, gast.UnaryOp)):
            return set()
        if isinstance(value, gast.BinOp):
            # a new array; joining list displays (`[a] + [b]`) holds their items
            if not any(isinstance(o, (gast.List, gast.Tuple)) for o in (value.left,
                                                                        value.right)):
                return set()
            return self.held(value.left) | self.held(value.right)
        if isinstance(value, gast.Call):
            if not self.call_may_share(value):
                return set()        # np.sin(a): a new array
            out = set()             # max(ls), ls.pop(): maybe an item of an argument
            for a in list(value.args) + [k.value for k in value.keywords] + [value.func]:
                out |= self.shares(a) | self.held(a)
            return out
        if isinstance(value, (gast.Subscript, gast.Attribute, gast.Starred, gast.NamedExpr)):
            return self.held(value.value)     # the items of an item: as those of the whole
        if isinstance(value, gast.IfExp):
            return self.held(value.body) | self.held(value.orelse)
        if isinstance(value, (gast.ListComp, gast.SetComp, gast.GeneratorExp, gast.DictComp)):
            out = set()     # [a[i] for i in ...]: items may be views of what it reads
            for c in gast.walk(value):
                if isinstance(c, gast.Name) and isinstance(c.ctx, gast.Load):
                    out |= set(self.bind.get(c.id, ())) | set(self.bind.get((c.id,), ()))
            return out
        return set()

    def shares(self, value):
        """Parameters whose memory the value of ``value`` may share."""
        if isinstance(value, gast.Name):
            return set(self.bind.get(value.id, ()))
        if isinstance(value, (gast.List, gast.Tuple, gast.Set, gast.Dict)):
            return set()        # a new container (its items: ``held``)
        if isinstance(value, (gast.BinOp, gast.UnaryOp, gast.Compare, gast.BoolOp,
                              gast.Constant, gast.JoinedStr, gast.ListComp, gast.DictComp,
                              gast.SetComp, gast.GeneratorExp, gast.Lambda)):
            return set()
        if isinstance(value, gast.Call) and not self.call_may_share(value):
            return set()           # np.exp(a), a + b...: a new value
        if isinstance(value, gast.Subscript) and isinstance(value.slice, (gast.List,
                                                                          gast.ListComp)):
            return set()           # b[[1, 1]]: indexing with a list makes a copy
        out = set()
        if isinstance(value, (gast.Subscript, gast.Attribute, gast.Call, gast.Starred)):
            out |= self.held(value.value if not isinstance(value, gast.Call) else value.func)
        for c in gast.iter_child_nodes(value):
            if isinstance(c, gast.expr):
                out |= self.shares(c) | (self.held(c) if isinstance(value, gast.Call) else set())
            elif isinstance(c, gast.keyword):
                out |= self.shares(c.value) | self.held(c.value)
        return out

    def write(self, name, kind, node, why, deep=True):
        """Record that ``name``'s value may be written into; ``deep``: its items too (a
        write into a list itself, ``ls[i] = v`` or ``ls.append(v)``, leaves them)."""
        held = self.bind.get((name,), set()) if deep else set()
        for p in self.bind.get(name, set()) | held:
            old = self.writes.get(p)
            if old is None or _RANK[old[0]] < _RANK[kind]:
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
                            self.write(name, "write", n, "assigns to an element or attribute",
                                       deep=not isinstance(part.value, gast.Name))
        elif isinstance(n, gast.AugAssign):
            if isinstance(n.target, gast.Name):
                self.write(n.target.id, "augmented", n, "updates it with an augmented "
                           "assignment, which modifies arrays and lists in place")
            else:
                name = _base(n.target)
                if name:
                    self.write(name, "write", n, "assigns to an element or attribute",
                               deep=not isinstance(n.target.value, gast.Name))

    def call(self, n):
        func = n.func
        args = list(n.args)
        kwargs = {k.arg: k.value for k in n.keywords if k.arg is not None}
        if isinstance(func, gast.Attribute) and (_base(func) in self.locals or
                                                  self.resolve(func) is MISSING):
            method = func.attr         # v.method(...), v.w.method(...), (a + b).dot(c)
            if method not in BUILTIN_METHODS and not kwargs and \
                    (_base(func) in self.locals or not _base(func)):
                # a method of a class of the user's: run on copies of the object and the
                # arguments, refused if it changes them (backend/dynamic.py)
                for a in [func.value] + args:
                    if _base(a):
                        self.write(_base(a), "dynamic", n, f"passes it to `.{method}()`")
                return
            if method not in PURE_METHODS and _base(func):
                self.write(_base(func), "write", n, f"calls `.{method}()` on it",
                           deep=not (isinstance(func.value, gast.Name) and
                                     method in _CONTAINER_METHODS))
            if "out" in kwargs and _base(kwargs["out"]):
                self.write(_base(kwargs["out"]), "write", n, "passes it as out=")
            return
        if isinstance(func, gast.Name) and func.id in self.locals or \
                isinstance(func, gast.Subscript):
            # a function held in a variable: where the helper is differentiated,
            # call_function runs it on copies (and refuses writes); where the helper runs
            # as it is, the arguments are compared before and after the call
            for a in args + list(kwargs.values()):
                if _base(a):
                    self.write(_base(a), "dynamic", n, "passes it to a function held in a "
                               "variable")
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
        if isinstance(func, gast.Attribute) and (_base(func) in self.locals or
                                                  self.resolve(func) is MISSING):
            return result_may_share(None, func.attr)
        fn = self.resolve(func)
        return fn is MISSING or result_may_share(fn) or any(
            k.arg == "out" for k in n.keywords)

    def resolve(self, func):
        parts = []
        while isinstance(func, gast.Attribute):
            parts.append(func.attr)
            func = func.value
        if not isinstance(func, gast.Name) or func.id in self.locals:
            return MISSING
        obj = self.resolver.lookup(func.id)
        for p in reversed(parts):
            obj = getattr(obj, p, MISSING)
            if obj is MISSING:
                return MISSING
        return obj
