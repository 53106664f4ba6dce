"""Random programs using Python containers and local functions (``--containers``).

``generate(seed)`` (``python -m tests.fuzz --containers``) returns a
:class:`gen.Program` whose entry function ``f`` (and sometimes a helper it
calls) mixes the NumPy arithmetic, loops and branches of ``gen.Generator``
with the Python constructs diffc differentiates as storage:

* lists: displays, ``ls.append(e)`` in loops, ``ls.extend([...])`` and
  ``ls.extend(other)``, ``ls.pop()``, item reads ``ls[i]``/``ls[-1]``, item
  writes ``hs[t] = np.tanh(...)``/``hs[-1] = np.copy(h)``, ``ls[i] += e``,
  concatenation ``a + [v]``, ``len(ls)``, ``for v in ls``, ``enumerate``,
  ``zip``, ``np.array(ls)``, ``np.stack(ls)``, ``sum``, ``max``/``min``,
  ``sorted`` (also ``key=lambda`` on integers), ``list(map(lambda ...))``,
  tuples and tuple unpacking;
* dicts: displays with int and str keys, ``d[k] = e``, ``d[k] += e``,
  ``d[k]``, ``.items()``/``.values()``/``.keys()`` loops, dict
  comprehensions, dicts of lists and lists of dicts, and the char-RNN shape
  ``hs = {}; hs[-1] = np.copy(h0); for t in range(T): hs[t] = np.tanh(... hs[t - 1])``;
* comprehensions: list comprehensions with ``if`` on integers, nested ones,
  generator expressions in ``sum(...)``, ``np.array([g(xi) for xi in xs])``;
* local functions: ``sq = lambda v: v * v + c`` closing over locals, nested
  ``def`` closing over locals, called in loops and comprehensions;
* arguments of ``f`` that are lists (of floats or arrays), tuples, dicts
  (str and int keys, array and float values, a list value) and lists of
  dicts, differentiated like the others (``wrt`` covers every argument but
  the integer ``n``); the oracle perturbs each number inside them, compares
  gradients leaf by leaf, and checks ``diffc.jvp`` with tangents of the same
  structure.

Every container has a statically known type (``("list", T, K)``: K items of
type T, ``("D", ((key, T), ...))``, leaves are shapes) and length; the
statements that change a length or a key set (append, extend, pop, a new key)
run only at the top level of a function or inside the loop that builds the
container, never under a branch or a ``break``.  Aliasing: values stored in
a container are never aliases of arrays that are later updated in place
(``noalias`` expressions), array items are only ever rebound (``ls[i] =
ls[i] + e``; ``ls[i] += e`` only on float items), arguments are never
mutated (a local copy ``list(x0)`` is made first), a container is never
written while a loop iterates over it, and containers are never stored in
other containers by reference.  So every program means the same under Python
and diffc.

The generator reuses ``gen.Generator`` (expressions, conditions, statements,
helpers) by subclassing it; ``gen.Config`` and its streams are untouched.
"""
import random

import numpy as np

from .gen import Config, Ctx, E, Env, Generator, Helper, Program, Var, _tup

__all__ = ["ContainersConfig", "generate", "generate_one", "FAMILIES"]


class ContainersConfig(Config):
    """Config of the ``--containers`` programs (see the module docstring)."""
    containers = True
    forward = True        # the oracle also checks diffc.jvp (tangents of the arguments' structure)
    max_helpers = 2
    min_stmts = 4
    max_stmts = 9
    max_nest = 2
    w_list = 6            # statement: a new list (display, append loop, comprehension, copy...)
    w_dict = 5            # statement: a new dict (display, comprehension, RNN shape...)
    w_mut = 6             # statement: append / extend / pop / new key (top level only)
    w_cwrite = 5          # statement: ls[i] = e, ls[i] += e, d[k] = e, d[k] += e
    w_cloop = 5           # statement: a loop over a container
    w_local = 3           # statement: a lambda or a nested def
    w_tuple = 2.5         # statement: a tuple display / unpacking
    w_cread = 9           # expression: read a container
    w_comp = 4            # expression: comprehension / generator expression
    w_lcall = 6           # expression: call a local function
    p_cont_arg = 0.55     # an argument of f is a container
    p_chelper = 0.4       # a module-level helper taking a container
    p_refused = 0.1       # rate of the forms diffc documents as refused (lambda passed on, a + [v])
    p_fn_arg = 0.0        # (not generated: the oracle passes numbers and containers only)

    @staticmethod
    def generate_one(seed, attempt=0, draw=0):
        return generate_one(seed, attempt, draw)


# ------------------------------------------------------------------ types
def is_list(t):
    return isinstance(t, tuple) and len(t) == 3 and t[0] == "list"


def is_dict(t):
    return isinstance(t, tuple) and len(t) == 2 and t[0] == "D"


def is_tuple(t):
    return _tup(t)


def is_leaf(t):
    return not (is_list(t) or is_dict(t) or is_tuple(t))


def leaf_shapes(t):
    if is_list(t):
        return leaf_shapes(t[1])
    if is_dict(t):
        out = set()
        for _, v in t[1]:
            out |= leaf_shapes(v)
        return out
    if is_tuple(t):
        return set(t[1])
    return {t}


def key_text(k):
    return f'"{k}"' if isinstance(k, str) else str(k)


def dict_get(t, k):
    for kk, v in t[1]:
        if kk == k:
            return v
    raise KeyError(k)


def dict_set(t, k, v):
    items = [(kk, vv) for kk, vv in t[1] if kk != k]
    if any(kk == k for kk, _ in t[1]):
        items = [(kk, v if kk == k else vv) for kk, vv in t[1]]
    else:
        items.append((k, v))
    return ("D", tuple(items))


class CVar:
    """A container variable: its type and whether the function owns it (may write it)."""
    __slots__ = ("name", "type", "owned")

    def __init__(self, name, type, owned):
        self.name = name
        self.type = type
        self.owned = owned


class LocalFn:
    """A local lambda/def: parameter shapes (with defaults) and result shape."""

    def __init__(self, name, params, ret, kind):
        self.name = name
        self.params = params    # list of (name, shape, default or None)
        self.ret = ret
        self.kind = kind        # "lambda" or "def"


class CEnv(Env):
    def __init__(self, vars=None, ints=None, lists=None, conts=None, funcs=None):
        super().__init__(vars, ints, lists)
        self.conts = dict(conts or {})
        self.funcs = dict(funcs or {})

    def copy(self):
        return CEnv(self.vars, self.ints, self.lists, self.conts, self.funcs)


def _conts(env):
    return getattr(env, "conts", {})


def _funcs(env):
    return getattr(env, "funcs", {})


# Construct families (for coverage counts): name -> regex over the source.
FAMILIES = {
    "list display": r"^\s+\w+ = \[[^\]\n]",
    "append in a loop": r"^ +for .*:\n( +\S.*\n)*? +\w+\.append\(",
    "append": r"\.append\(",
    "extend display": r"\.extend\(\[",
    "extend list": r"\.extend\((?!\[)",
    "pop": r"\.pop\(\)",
    "item read": r"\b(ls|hs|d|x)\d+\[-?\w+( [-+] 1)?\](?! =)",
    "[-1] read": r"\b(ls|hs)\d+\[-1\](?! =)",
    "item write": r"^\s+\w+(\[[^\]\n]+\])+ = ",
    "item +=": r"^\s+\w+(\[[^\]\n]+\])+ \+= ",
    "list concatenation": r"\w \+ \[",
    "len": r"\blen\(",
    "for v in list": r"^\s+for \w+ in (?!range|enumerate|zip|reversed)\w+(\[[^\]\n]+\])*:",
    "enumerate": r"enumerate\(",
    "zip": r"zip\(",
    "np.array(list)": r"np\.array\(\w+\)",
    "np.stack(list)": r"np\.stack\(\w+(\[[^\]\n]+\])*\)",
    "sum(list)": r"\bsum\(\w+(\[[^\]\n]+\])*\)",
    "max/min(list)": r"\b(max|min)\(\w+(\[[^\]\n]+\])*\)",
    "sorted": r"\bsorted\(",
    "sorted key=lambda": r"sorted\(.*key=lambda",
    "map lambda": r"map\(lambda",
    "tuple unpacking": r"^\s+\w+, \w+ = \w+$",
    "tuple display": r"= \([^()\n]*, [^()\n]*\)$",
    "dict display": r"= \{[^}\n]*:",
    "dict str key": r'\["\w+"\]',
    "dict int key": r"\b(d|hs)\d+\[-?\d+\]",
    "d[k] = e": r'^\s+\w+\[("\w+"|\w+|-?\d+)\] = ',
    "d[k] += e": r'^\s+\w+\["\w+"\] \+= ',
    ".items()": r"\.items\(\)",
    ".values()": r"\.values\(\)",
    ".keys()": r"\.keys\(\)",
    "dict comprehension": r"\{[^{}\n]+: [^{}\n]+ for ",
    "dict of lists": r"= \{[^}\n]*: \[",
    "list of dicts": r"= \[\{|\[\{",
    "char-RNN": r"\w+\[-1\] = np\.copy\(",
    "list comprehension": r"\[[^\[\]\n]+ for ",
    "comprehension if": r" for \w+ in [^\n]* if ",
    "nested comprehension": r"\[\[[^\n]* for [^\n]*\] for ",
    "generator in sum": r"sum\([^\[\n]* for ",
    "lambda": r"= lambda ",
    "nested def": r"^    +def \w+\(",
    "local call in a loop": r"^ +for .*:\n( +\S.*\n)*? +\S.*\b(lam|g)\d+\(",
    "container argument": r"^def f\(.*\):",       # refined by the test (args)
    "container helper": r"^def ch\d+\(",
}


class ContainersGenerator(Generator):
    def __init__(self, seed, config=ContainersConfig):
        super().__init__(seed, config)
        self.iterating = set()      # containers a loop iterates over (not written meanwhile)
        self.chelpers = []          # helpers taking a container: Helper with container param types
        self.in_local = 0           # generating a local function's body

    # ------------------------------------------------------------ reachables
    def reach(self, env, pred, owned=False):
        """(text, type, root) of containers and their nested parts satisfying pred(type)."""
        out = []

        def walk(text, t, root):
            if pred(t):
                out.append((text, t, root))
            if is_dict(t):
                for k, v in t[1]:
                    if not is_leaf(v):
                        walk(f"{text}[{key_text(k)}]", v, root)
            elif is_list(t) and not is_leaf(t[1]) and t[2] > 0:
                walk(f"{text}[{self.rng.randrange(t[2])}]", t[1], root)
        for c in _conts(env).values():
            if owned and not c.owned:
                continue
            walk(c.name, c.type, c.name)
        return out

    def leaf_lists(self, env, S=None, owned=False):
        """Lists of leaves (of shape S) reachable: (text, S, K, root)."""
        rs = self.reach(env, lambda t: is_list(t) and is_leaf(t[1]) and not is_tuple(t[1])
                        and (S is None or t[1] == S) and t[2] > 0, owned)
        return [(txt, t[1], t[2], root) for txt, t, root in rs]

    def path_to(self, text, t, want, env):
        """An access path from container text (type t) to a leaf of shape want."""
        while not is_leaf(t) or is_tuple(t):
            if is_tuple(t):
                ks = [j for j, s in enumerate(t[1]) if s == want]
                if not ks:
                    return None
                return E(f"{text}[{self.rng.choice(ks)}]", fresh=(want == ()))
            if is_list(t):
                if t[2] == 0:
                    return None
                text = f"{text}[{self.int_index(env, t[2])}]"
                t = t[1]
            else:
                ks = [(k, v) for k, v in t[1] if want in leaf_shapes(v)]
                if not ks:
                    return None
                k, t = self.rng.choice(ks)
                text = f"{text}[{key_text(k)}]"
        return E(text, fresh=(want == ())) if t == want else None

    # ------------------------------------------------------------ expressions
    def expr(self, T, d, env, noalias=False, fresh=False):
        if d <= 0 or self.chance(0.15):
            e = self.leaf(T, env, noalias, fresh)
            if e is not None:
                return e
            if d <= 0:
                return self.fallback(T, env)
        forms = ["unary", "binary", "div", "pow", "maxmin", "where", "reduce", "matmul",
                 "view", "join", "ifexp", "call", "leaf", "comp"]
        weights = [14, 22, 5, 4, 4, 3, 7, 5, 7, 3, 2, 5, 4, self.cfg.w_comp]
        if _conts(env):
            forms, weights = forms + ["cread"], weights + [self.cfg.w_cread]
        if _funcs(env):
            forms, weights = forms + ["lcall"], weights + [self.cfg.w_lcall]
        for _ in range(20):
            form = self.pick(forms, weights)
            e = getattr(self, "e_" + form)(T, d - 1, env, noalias, fresh)
            if e is not None:
                return e
        return self.fallback(T, env)

    def e_cread(self, T, d, env, noalias, fresh):
        if fresh and T != ():
            return None
        r = self.rng
        kind = self.pick(["item", "whole", "dict"], [5, 4, 2])
        if kind == "item":
            cands = [c for c in _conts(env).values() if T in leaf_shapes(c.type)]
            if not cands:
                return None
            c = r.choice(cands)
            return self.path_to(c.name, c.type, T, env)
        if kind == "dict":
            ds = self.reach(env, lambda t: is_dict(t) and len(t[1]) > 0
                            and all(is_leaf(v) and not is_tuple(v) for _, v in t[1]))
            if not ds:
                return None
            txt, t, _ = r.choice(ds)
            same = len({v for _, v in t[1]}) == 1
            opts = []
            if T == ():
                opts += [f"sum(np.sum(v) for v in {txt}.values())",
                         f"sum(np.sum(np.sin(v)) for k, v in {txt}.items())",
                         f"sum(np.sum({txt}[k] ** 2) for k in {txt}.keys())",
                         f"np.sum([np.sum(v) for v in {txt}.values()])"]
            if same and t[1][0][1] == T:
                opts += [f"sum({txt}.values())", f"sum({txt}[k] for k in {txt})"]
                if T == ():
                    opts += [f"max({txt}.values())", f"min({txt}.values())"]
            if not opts:
                return None
            return E(r.choice(opts), fresh=True)
        ls = self.leaf_lists(env)
        if not ls:
            return None
        txt, S, K, _ = r.choice(ls)
        opts = []
        if S == T:
            opts += [f"sum({txt})", f"{txt}[-1]", f"{txt}[len({txt}) - 1]", f"{txt}[0]"]
            if S != ():
                opts += [f"np.sum(np.stack({txt}), axis=0)", f"np.mean(np.array({txt}), axis=0)"]
            else:
                if self.chance(self.cfg.p_refused):
                    j = self.name("i")
                    return E(f"sum({txt}[{j}] * ({j} + 1) for {j} in "
                             f"sorted(range(len({txt})), key=lambda {j}: ({j} * 2) % {K + 1}))")
                opts += [f"max({txt})", f"min({txt})", f"sorted({txt})[{r.randrange(K)}]",
                         f"sum(sorted({txt}, reverse=True)[:{r.randint(1, K)}])",
                         f"np.array({txt}) @ np.array({txt})"]
        if T == () and S != ():
            opts += [f"np.sum(np.stack({txt}))", f"np.mean(np.array({txt}))",
                     f"sum(np.sum(v * v) for v in {txt})", f"np.sum({txt}[-1])"]
        if T == () and S == ():
            opts += [f"len({txt}) * {self.const(-0.5, 0.5)}"]
        if T == (K,) + S:
            opts += [f"np.stack({txt})", f"np.array({txt})"]
        if len(S) == 1 and T == (S[0], K):
            opts += [f"np.stack({txt}, axis=1)"]
        if not opts:
            return None
        o = r.choice(opts)
        return E(o, fresh=not o.endswith("]"))

    def comp_env(self, env):
        e2 = env.copy()
        return e2

    def e_comp(self, T, d, env, noalias, fresh):
        r = self.rng
        d = max(0, min(d, 1))
        if T == ():
            kind = self.pick(["dot", "ifsum", "over", "double", "lsum"], [3, 3, 3, 1, 2])
            if kind == "dot":
                Ls = [s for s in self.shapes if len(s) == 1]
                if not Ls:
                    return None
                L = r.choice(Ls)
                a = self.expr(L, d, env)
                b = self.expr(L, d, env)
                i = self.name("i")
                n = self.pick([str(L[0]), f"len({a})" if a.isidentifier() else str(L[0])])
                return E(f"sum({self.paren(a)}[{i}] * {self.paren(b)}[{i}] for {i} in range({n}))")
            if kind in ("ifsum", "lsum"):
                i = self.name("i")
                k = r.randint(1, 5)
                e2 = self.comp_env(env)
                e2.ints[i] = (0, k)
                body = self.expr((), d, e2)
                if i not in body and self.chance(0.7):
                    body = E(f"({i} + 1) * {self.paren(body)}" if self.chance(0.5)
                             else f"{self.paren(body)} / ({i} + 1)")
                cond = self.pick([f"{i} % 2 == 0", f"{i} != 1", f"{i} > 0", f"{i} < {k - 1}",
                                  f"{i} % 3 != 2"])
                if kind == "ifsum":
                    return E(f"sum([{body} for {i} in range({k}) if {cond}])")
                return E(f"sum([{body} for {i} in range({k})])")
            if kind == "double":
                i, j = self.name("i"), self.name("i")
                p, q = r.randint(1, 3), r.randint(1, 3)
                e2 = self.comp_env(env)
                e2.ints[i] = (0, p)
                e2.ints[j] = (0, q)
                body = self.expr((), d, e2)
                return E(f"sum({body} * ({i} - {j} + 0.5) for {i} in range({p}) for {j} in range({q}) if {i} != {j})")
            # over a container or an array
            ls = self.leaf_lists(env)
            e2 = self.comp_env(env)
            v = self.name("r")
            if ls and self.chance(0.7):
                txt, S, K, _ = r.choice(ls)
                e2.vars[v] = Var(v, S, False)
                body = self.expr((), d, e2)
                if v not in body:
                    body = E(f"np.sum({v}) * {self.paren(body)}" if S else f"{v} * {self.paren(body)}")
                return E(f"sum({body} for {v} in {txt})")
            Ls = [s for s in self.shapes if len(s) == 1]
            if not Ls:
                return None
            L = r.choice(Ls)
            a = self.expr(L, d, env, noalias=True)
            e2.vars[v] = Var(v, (), True)
            body = self.expr((), d, e2)
            if v not in body:
                body = E(f"{v} * {self.paren(body)}")
            return E(f"sum({body} for {v} in {a})")
        if len(T) == 1:
            L = T[0]
            kind = self.pick(["range", "map", "fn"], [3, 3, 2])
            e2 = self.comp_env(env)
            if kind == "range":
                i = self.name("i")
                e2.ints[i] = (0, L)
                body = self.expr((), d, e2)
                if i not in body:
                    body = E(f"{self.paren(body)} * ({i} + 1)")
                return E(f"np.array([{body} for {i} in range({L})])")
            src = self.expr(T, d, env, noalias=True)
            v = self.name("r")
            fs = [fn for fn in _funcs(env).values() if fn.ret == () and fn.params[0][1] == ()
                  and all(dft is not None for _, _, dft in fn.params[1:])]
            hs = [h for h in self.helpers if h.ret == () and h.params and h.params[0][1] == ()
                  and all(dft is not None for _, _, dft in h.params[1:])]
            if kind == "fn" and (fs or hs):
                g = r.choice(fs + hs)
                return E(f"np.array([{g.name}({v}) for {v} in {src}])")
            e2.vars[v] = Var(v, (), True)
            body = self.expr((), d, e2)
            if v not in body:
                body = E(f"{v} * {self.paren(body)}")
            return E(f"np.array([{body} for {v} in {src}])")
        a, b = T
        i, j = self.name("i"), self.name("i")
        e2 = self.comp_env(env)
        e2.ints[i] = (0, a)
        if self.chance(0.5):
            e2.ints[j] = (0, b)
            body = self.expr((), d, e2)
            return E(f"np.array([[{body} * ({i} + 2 * {j} + 1) for {j} in range({b})] for {i} in range({a})])")
        if (b,) not in self.shapes:
            return None
        row = self.expr((b,), d, e2)
        return E(f"np.stack([{self.paren(row)} * ({i} + 1) for {i} in range({a})])")

    def e_lcall(self, T, d, env, noalias, fresh):
        fs = [fn for fn in _funcs(env).values() if fn.ret == T]
        if not fs or (fresh and T != ()):
            return None
        fn = self.rng.choice(fs)
        return E(self.lcall_text(fn, d, env), fresh=(T == ()))

    def lcall_text(self, fn, d, env):
        args = []
        kw = False
        for p, s, dft in fn.params:
            if dft is not None and self.chance(0.4):
                kw = True
                continue
            a = self.expr(s, max(d, 0), env, noalias=True)
            if kw or (dft is not None and fn.kind == "def" and self.chance(0.3)):
                kw = True
                args.append(f"{p}={a}")
            else:
                args.append(a)
        return f"{fn.name}({', '.join(args)})"

    def call_text(self, h, d, env, fixed=None):
        if h in self.chelpers:
            return self.chelper_call(h, d, env)
        return super().call_text(h, d, env, fixed)

    # ------------------------------------------------------------- statements
    def stmt(self, env, ctx):
        if not isinstance(env, CEnv):
            return super().stmt(env, ctx)
        can_nest = ctx.nest < self.cfg.max_nest
        kinds = [("new", 6), ("reassign", 6), ("aug", 4), ("tuple", 1)]
        if can_nest:
            kinds += [("if", 3), ("for", 3), ("while", 1)]
        if any(not h.mut for h in self.helpers):
            kinds.append(("callstmt", 2))
        if ctx.in_loop:
            kinds += [("jump", 1.5)]
        if not ctx.top or self.chance(0.5):
            kinds.append(("return", 1))
        c = self.cfg
        kinds += [("clist", c.w_list), ("cdict", c.w_dict), ("cwrite", c.w_cwrite), ("ctup", c.w_tuple)]
        if ctx.top:
            kinds += [("cmut", c.w_mut)]
        if can_nest:
            kinds += [("cloop", c.w_cloop), ("local", c.w_local)]
        for _ in range(10):
            kind = self.pick([k for k, _ in kinds], [w for _, w in kinds])
            out = getattr(self, "s_" + kind)(env, ctx)
            if out is not None:
                return out, False
        return self.s_new(env, ctx), False

    def store(self, S, env, d=None):
        """A value of shape S to put into a container (never an alias of an owned array)."""
        if d is None:
            d = self.pick([0, 1, 2], [3, 4, 2])
        if self.chance(0.12):
            vs = [v for v in env.vars.values() if v.shape == S and not v.aug]
            if vs and S != ():
                return E(f"np.copy({self.rng.choice(vs).name})")
        return self.expr(S, d, env, noalias=True)

    def item_type(self):
        r = self.rng
        arrays = [s for s in self.shapes if s]
        return () if not arrays or self.chance(0.5) else r.choice(arrays)

    def s_clist(self, env, ctx):
        r = self.rng
        S = self.item_type()
        name = self.name("ls")
        kind = self.pick(["display", "append", "comp", "copy", "nested", "map", "ifcomp"],
                         [4, 5 if ctx.top else 0, 3, 2, 2, self.cfg.p_refused * 4, 2])
        lines = []
        t = None
        if kind == "display":
            K = r.randint(1, 4)
            lines = [f"{name} = [{', '.join(self.store(S, env) for _ in range(K))}]"]
            t = ("list", S, K)
        elif kind == "append":
            K = r.randint(0, 4)
            i = self.name("i")
            benv = env.copy()
            benv.ints[i] = (0, K)
            lines = [f"{name} = []"]
            body = []
            if self.chance(0.4):
                body, _ = self.block(benv, Ctx(ctx.fn_ret, False, ctx.nest + 1, False, ctx.loop_vars),
                                     r.randint(1, 2))
            body.append(f"{name}.append({self.store(S, benv)})")
            if self.chance(0.25) and K > 0:
                body.append(f"{name}.extend([{self.store(S, benv, 0)}])")
                K2 = 2 * K
            else:
                K2 = K
            lines += [f"for {i} in range({K}):"] + ["    " + ln for ln in body]
            t = ("list", S, K2)
        elif kind in ("comp", "ifcomp"):
            K = r.randint(1, 4)
            i = self.name("i")
            benv = env.copy()
            benv.ints[i] = (0, K)
            e = self.store(S, benv, r.randint(0, 2))
            if i not in e:
                e = E(f"{self.paren(e)} * ({i} + 1)" if self.chance(0.5) else f"{self.paren(e)} / ({i} + 2)")
            if kind == "ifcomp":
                cond, keep = self.pick([(f"{i} % 2 == 0", (K + 1) // 2), (f"{i} != 0", K - 1),
                                        (f"{i} < {K - 1}", K - 1)])
                lines = [f"{name} = [{e} for {i} in range({K}) if {cond}]"]
                K = keep
            else:
                lines = [f"{name} = [{e} for {i} in range({K})]"]
            t = ("list", S, K)
        elif kind == "copy":
            src = [c for c in _conts(env).values() if is_list(c.type) and is_leaf(c.type[1])
                   and not is_tuple(c.type[1])]
            if not src:
                return None
            c = r.choice(src)
            form = self.pick([f"list({c.name})", f"[v for v in {c.name}]", f"{c.name}[:]"], [3, 2, 1])
            if form.startswith("[v"):
                v = self.name("r")
                form = f"[{v} for {v} in {c.name}]"
            lines = [f"{name} = {form}"]
            t = c.type
        elif kind == "map":
            src = self.leaf_lists(env, ())
            if not src:
                return None
            txt, _, K, _ = r.choice(src)
            v = self.name("r")
            e2 = env.copy()
            e2.vars[v] = Var(v, (), True)
            body = self.expr((), 1, e2)
            if v not in body:
                body = E(f"{v} * {self.paren(body)}")
            lines = [f"{name} = list(map(lambda {v}: {body}, {txt}))"]
            t = ("list", (), K)
        else:   # nested: a dict of lists or a list of dicts
            if self.chance(0.5):
                return self.s_cdict(env, ctx, nested=True)
            K = r.randint(1, 3)
            keys = self.keys(r.randint(1, 3))
            shapes = [(k, self.item_type()) for k in keys]
            items = ["{" + ", ".join(f"{key_text(k)}: {self.store(s, env, 1)}" for k, s in shapes) + "}"
                     for _ in range(K)]
            lines = [f"{name} = [{', '.join(items)}]"]
            t = ("list", ("D", tuple(shapes)), K)
        env.conts[name] = CVar(name, t, True)
        return lines

    def keys(self, n):
        pool = ["h", "w", "b", "y", "c", 0, 1, 2, -1, 3]
        self.rng.shuffle(pool)
        return pool[:n]

    def s_cdict(self, env, ctx, nested=False):
        r = self.rng
        name = self.name("d")
        kind = self.pick(["display", "comp", "itemscomp", "rnn", "empty", "nested"],
                         [4, 3, 2, 3 if ctx.top else 0, 2 if ctx.top else 0, 2])
        if nested:
            kind = "nested"
        if kind == "display":
            keys = self.keys(r.randint(1, 4))
            items = [(k, self.item_type()) for k in keys]
            lines = [f"{name} = {{{', '.join(f'{key_text(k)}: {self.store(s, env)}' for k, s in items)}}}"]
            t = ("D", tuple(items))
        elif kind == "comp":
            K = r.randint(1, 4)
            S = self.item_type()
            k = self.name("i")
            benv = env.copy()
            benv.ints[k] = (0, K)
            e = self.store(S, benv, r.randint(0, 2))
            if k not in e:
                e = E(f"{self.paren(e)} * ({k} + 1)")
            lines = [f"{name} = {{{k}: {e} for {k} in range({K})}}"]
            t = ("D", tuple((j, S) for j in range(K)))
        elif kind == "itemscomp":
            src = self.reach(env, lambda t: is_dict(t) and len(t[1]) > 0
                             and all(is_leaf(v) and not is_tuple(v) for _, v in t[1])
                             and len({v for _, v in t[1]}) == 1)
            if not src:
                return None
            txt, st, _ = r.choice(src)
            S = st[1][0][1]
            k, v = self.name("k"), self.name("r")
            e2 = env.copy()
            e2.vars[v] = Var(v, S, False)
            e = self.expr(S, 1, e2, noalias=True)
            if v not in e:
                e = E(f"{v} * {self.paren(e)}" if S == () else f"{v} + {self.paren(e)}")
            lines = [f"{name} = {{{k}: {e} for {k}, {v} in {txt}.items()}}"]
            t = ("D", tuple((kk, S) for kk, _ in st[1]))
        elif kind == "empty":
            keys = self.keys(r.randint(1, 3))
            lines = [f"{name} = {{}}"]
            items = []
            for k in keys:
                s = self.item_type()
                lines.append(f"{name}[{key_text(k)}] = {self.store(s, env)}")
                items.append((k, s))
            t = ("D", tuple(items))
        elif kind == "rnn":
            return self.s_rnn(env, ctx)
        else:
            keys = self.keys(r.randint(1, 3))
            items = []
            parts = []
            for k in keys:
                if self.chance(0.6):
                    S, K = self.item_type(), r.randint(1, 3)
                    parts.append(f"{key_text(k)}: [{', '.join(self.store(S, env, 1) for _ in range(K))}]")
                    items.append((k, ("list", S, K)))
                else:
                    s = self.item_type()
                    parts.append(f"{key_text(k)}: {self.store(s, env, 1)}")
                    items.append((k, s))
            lines = [f"{name} = {{{', '.join(parts)}}}"]
            t = ("D", tuple(items))
        env.conts[name] = CVar(name, t, True)
        return lines

    def s_rnn(self, env, ctx):
        """hs = {}; hs[-1] = np.copy(h0); for t in range(T): hs[t] = np.tanh(W @ xs[t] + hs[t - 1])."""
        r = self.rng
        Ls = [s for s in self.shapes if len(s) == 1]
        if not Ls:
            return None
        H = r.choice(Ls)
        name = self.name("hs")
        T = r.randint(1, 4)
        t = self.name("i")
        hvars = [v for v in env.vars.values() if v.shape == H and not v.aug]
        h0 = f"np.copy({r.choice(hvars).name})" if hvars and self.chance(0.7) else self.store(H, env, 1)
        benv = env.copy()
        benv.ints[t] = (0, T)
        as_list = self.chance(0.35)
        prev = f"{name}[-1]" if as_list else f"{name}[{t} - 1]"
        mats = [(H[0], H[0])] if (H[0], H[0]) in self.shapes else []
        if mats and self.chance(0.7):
            W = self.expr((H[0], H[0]), 0, env)
            rec = f"{self.paren(W)} @ {prev}"
        else:
            rec = f"{self.const(0.3, 0.9)} * {prev}"
        inp = self.expr(H, 1, benv)
        lines = [f"{name} = [{h0}]" if as_list else f"{name} = {{}}"]
        if not as_list:
            lines.append(f"{name}[-1] = {h0}")
        step = f"np.tanh({rec} + {inp})"
        if as_list:
            lines += [f"for {t} in range({T}):", f"    {name}.append({step})"]
            ty = ("list", H, T + 1)
        else:
            lines += [f"for {t} in range({T}):", f"    {name}[{t}] = {step}"]
            ty = ("D", tuple([(-1, H)] + [(j, H) for j in range(T)]))
        env.conts[name] = CVar(name, ty, True)
        if self.chance(0.5):
            # a backward sweep over the stored states
            acc = self.name("v")
            env.vars[acc] = Var(acc, (), True)
            j = self.name("i")
            at = f"{name}[{j}]" if not as_list else f"{name}[{j} + 1]"
            lines += [f"{acc} = 0.0", f"for {j} in reversed(range({T})):",
                      f"    {acc} = {self.const(0.3, 0.9)} * {acc} + np.sum({at} * {at})"]
        return lines

    def s_cmut(self, env, ctx):
        r = self.rng
        owned = [c for c in env.conts.values() if c.owned and c.name not in self.iterating]
        lists = [c for c in owned if is_list(c.type) and is_leaf(c.type[1]) and not is_tuple(c.type[1])]
        dicts = [c for c in owned if is_dict(c.type)]
        kind = self.pick(["append", "extend", "extend2", "pop", "newkey", "concat", "nested", "rnn"],
                         [4, 2, 3, 3, 3, self.cfg.p_refused * 6, 2, 2])
        if kind == "rnn":
            return self.s_rnn(env, ctx)
        if kind in ("append", "extend", "extend2", "pop", "concat") and not lists:
            return None
        if kind == "append":
            c = r.choice(lists)
            _, S, K = c.type
            line = f"{c.name}.append({self.store(S, env)})"
            env.conts[c.name] = CVar(c.name, ("list", S, K + 1), True)
            return [line]
        if kind == "extend":
            c = r.choice(lists)
            _, S, K = c.type
            n = r.randint(1, 3)
            line = f"{c.name}.extend([{', '.join(self.store(S, env, 1) for _ in range(n))}])"
            env.conts[c.name] = CVar(c.name, ("list", S, K + n), True)
            return [line]
        if kind == "extend2":
            c = r.choice(lists)
            _, S, K = c.type
            others = [o for o in env.conts.values() if is_list(o.type) and o.type[1] == S and o.name != c.name]
            if not others:
                return None
            o = r.choice(others)
            env.conts[c.name] = CVar(c.name, ("list", S, K + o.type[2]), True)
            return [f"{c.name}.extend({o.name})"]
        if kind == "pop":
            c = r.choice(lists)
            _, S, K = c.type
            if K < 2:
                return None
            env.conts[c.name] = CVar(c.name, ("list", S, K - 1), True)
            if self.chance(0.5):
                v = self.name("v")
                env.vars[v] = Var(v, S, S == ())
                return [f"{v} = {c.name}.pop()"]
            return [f"{c.name}.pop()"]
        if kind == "concat":
            c = r.choice(lists)
            _, S, K = c.type
            name = self.name("ls")
            if self.chance(0.5):
                line = f"{name} = {c.name} + [{self.store(S, env, 1)}]"
            else:
                line = f"{name} = [{self.store(S, env, 1)}] + {c.name}"
            env.conts[name] = CVar(name, ("list", S, K + 1), True)
            return [line]
        if kind == "nested":
            nl = [(txt, t, root) for txt, t, root in
                  self.reach(env, lambda t: is_list(t) and is_leaf(t[1]) and not is_tuple(t[1]), owned=True)
                  if txt != root and root not in self.iterating and "[" in txt
                  and is_dict(env.conts[root].type)]
            if not nl:
                return None
            txt, t, root = r.choice(nl)
            # only dict-of-lists: root[key]
            key = txt[len(root) + 1:-1]
            k = next(kk for kk, _ in env.conts[root].type[1] if key_text(kk) == key)
            _, S, K = t
            line = f"{txt}.append({self.store(S, env, 1)})"
            env.conts[root] = CVar(root, dict_set(env.conts[root].type, k, ("list", S, K + 1)), True)
            return [line]
        if not dicts:
            return None
        c = r.choice(dicts)
        new = [k for k in ["h", "w", "b", "y", "z", 0, 1, 2, 5, -1] if k not in [kk for kk, _ in c.type[1]]]
        if not new:
            return None
        k = r.choice(new)
        s = self.item_type()
        line = f"{c.name}[{key_text(k)}] = {self.store(s, env)}"
        env.conts[c.name] = CVar(c.name, dict_set(c.type, k, s), True)
        return [line]

    def s_cwrite(self, env, ctx):
        r = self.rng
        ts = [(txt, t, root) for txt, t, root in
              self.reach(env, lambda t: (is_list(t) and t[2] > 0 and is_leaf(t[1]) and not is_tuple(t[1]))
                         or (is_dict(t) and any(is_leaf(v) and not is_tuple(v) for _, v in t[1])), owned=True)
              if root not in self.iterating]
        if not ts:
            return None
        txt, t, root = r.choice(ts)
        if is_list(t):
            S = t[1]
            tgt = f"{txt}[{self.int_index(env, t[2])}]"
        else:
            k, S = r.choice([(k, v) for k, v in t[1] if is_leaf(v) and not is_tuple(v)])
            tgt = f"{txt}[{key_text(k)}]"
        op = self.pick(["=", "+=", "rebind"], [4, 4 if S == () else 0, 2])
        if op == "+=":
            e = self.expr((), self.edepth(), env, noalias=True)
            return [f"{tgt} += {e}"]
        if op == "rebind":
            e = self.expr(S, self.pick([0, 1, 2]), env, noalias=True)
            return [f"{tgt} = {self.pos_const(0.3, 0.9)} * {tgt} + {self.paren(e)}"]
        if S != () and self.chance(0.3):
            vs = [v for v in env.vars.values() if v.shape == S and not v.aug]
            if vs:
                return [f"{tgt} = np.copy({r.choice(vs).name})"]
        if self.chance(0.3):
            return [f"{tgt} = np.tanh({self.expr(S, self.edepth(), env, noalias=True)})"]
        return [f"{tgt} = {self.store(S, env)}"]

    def s_ctup(self, env, ctx):
        r = self.rng
        tups = [v for v in env.vars.values() if v.shape and v.shape[0] == "tuple"]
        if tups and self.chance(0.5):
            v = r.choice(tups)
            names = []
            for s in v.shape[1]:
                nm = self.name("v")
                env.vars[nm] = Var(nm, s, s == ())
                names.append(nm)
            return [f"{', '.join(names)} = {v.name}"]
        s1, s2 = r.choice(self.shapes), r.choice(self.shapes)
        nm = self.name("t")
        line = f"{nm} = ({self.store(s1, env, 1)}, {self.store(s2, env, 1)})"
        env.vars[nm] = Var(nm, ("tuple", (s1, s2)), False)
        return [line]

    def s_cloop(self, env, ctx):
        r = self.rng
        kind = self.pick(["for", "enumerate", "zip", "items", "values", "keys", "fnloop"], [4, 3, 2, 3, 2, 2, 2])
        benv = env.copy()
        T = self.pick([(), r.choice(self.shapes)], [3, 1])
        acc = self.name("v")
        init = "0.0" if T == () else self.pick([f"np.zeros({T!r})", f"np.full({T!r}, {self.const()})"])
        terms = []
        root = None
        roots = []
        if kind in ("for", "enumerate"):
            ls = self.leaf_lists(env)
            if not ls:
                return None
            txt, S, K, root = r.choice(ls)
            v = self.name("r")
            benv.vars[v] = Var(v, S, False)
            if kind == "for":
                head = f"for {v} in {txt}:"
            else:
                k = self.name("k")
                benv.ints[k] = (0, K)
                head = f"for {k}, {v} in enumerate({txt}):"
                terms.append(f"({k} + 1) * ")
            terms.append(v if S == () else f"np.sum({v})")
        elif kind == "zip":
            ls = self.leaf_lists(env)
            if not ls:
                return None
            a = r.choice(ls)
            b = r.choice(ls)
            root = a[3]
            v, w = self.name("r"), self.name("r")
            benv.vars[v] = Var(v, a[1], False)
            benv.vars[w] = Var(w, b[1], False)
            head = f"for {v}, {w} in zip({a[0]}, {b[0]}):"
            roots.append(b[3])
            if a[1] == b[1]:
                terms.append(f"np.sum({v} * {w})" if a[1] else f"{v} * {w}")
            else:                   # items of shapes that may not broadcast
                terms.append(f"np.sum({v}) * np.sum({w})")
        elif kind == "fnloop":
            fs = list(_funcs(env).values())
            if not fs:
                return None
            fn = r.choice(fs)
            i = self.name("i")
            K = r.randint(1, 4)
            benv.ints[i] = (0, K)
            head = f"for {i} in range({K}):"
            call = self.lcall_text(fn, 1, benv)
            terms.append(call if fn.ret == () else f"np.sum({call})")
        else:
            ds = self.reach(env, lambda t: is_dict(t) and len(t[1]) > 0)
            if not ds:
                return None
            txt, dt, root = r.choice(ds)
            shapes = {v for _, v in dt[1]}
            one = next(iter(shapes)) if len(shapes) == 1 and is_leaf(next(iter(shapes))) \
                and not is_tuple(next(iter(shapes))) else None
            v, k = self.name("r"), self.name("k")
            if one is not None and kind != "keys":
                benv.vars[v] = Var(v, one, False)

            def red(x):
                if one is not None:
                    return x if one == () else f"np.sum({x})"
                leaves = [s for _, s in dt[1]]
                if all(is_leaf(s) and not is_tuple(s) for s in leaves):
                    return f"np.sum({x})"
                return None
            if kind == "items":
                head = f"for {k}, {v} in {txt}.items():"
                t = red(v)
            elif kind == "values":
                head = f"for {v} in {txt}.values():"
                t = red(v)
            else:
                head = f"for {k} in {txt}.keys():" if self.chance(0.92) else f"for {k} in {txt}:"
                t = red(f"{txt}[{k}]")
            if t is None:
                return None
            terms.append(t)
        if root is not None:
            roots.append(root)
        added = [x for x in roots if x not in self.iterating]
        self.iterating.update(added)
        try:
            body = []
            inner = ctx.inner(loop=True)
            if self.chance(0.4):
                body, _ = self.block(benv, inner, r.randint(1, 2))
            e = self.expr(T, self.pick([0, 1]), benv, noalias=True)
            term = "".join(terms)
            if T == ():
                upd = self.pick([f"{acc} += {self.paren(E(term))} * {self.paren(e)}",
                                 f"{acc} = {acc} + {term} * {self.paren(e)}",
                                 f"{acc} += {term}"])
            else:
                upd = f"{acc} = {acc} + {self.paren(E(term))} * {self.paren(e)}"
            body.append(upd)
        finally:
            self.iterating.difference_update(added)
        env.vars[acc] = Var(acc, T, T == ())
        return [f"{acc} = {init}", head] + ["    " + ln for ln in body]

    def s_local(self, env, ctx):
        """A lambda (name = lambda ...) or a nested def closing over scalar locals."""
        r = self.rng
        if self.in_local:
            return None
        P = r.choice(self.shapes)
        R = self.pick([P, ()], [3, 2])
        closure = {k: v for k, v in env.vars.items() if v.shape == ()}
        fenv = CEnv(closure, {}, None, None, _funcs(env))
        pa = "a"
        params = [(pa, P, None)]
        fenv.vars = dict(fenv.vars)
        fenv.vars[pa] = Var(pa, P, False)
        if self.chance(0.35):
            # a negative default (-0.5) is refused ("must be constants"): now and then
            params.append(("b", (), self.const(-1.0, 1.0) if self.chance(self.cfg.p_refused)
                           else self.pos_const(0.1, 1.0)))
            fenv.vars["b"] = Var("b", (), True)
        self.in_local += 1
        try:
            if self.chance(0.5):
                name = self.name("lam")
                body = self.expr(R, self.pick([1, 2]), fenv)
                if pa not in body:
                    body = E(f"{self.paren(body)} * np.sum({pa})" if P != () and R == () else
                             f"{self.paren(body)} * {pa}" if R == P or P == () else f"{body}")
                sig = ", ".join(p if d is None else f"{p}={d}" for p, _, d in params)
                lines = [f"{name} = lambda {sig}: {body}"]
                kind = "lambda"
            else:
                name = self.name("g")
                body = []
                benv = fenv.copy()
                for _ in range(r.randint(1, 2)):
                    T = r.choice(self.shapes)
                    nm = self.name("v")
                    body.append(f"{nm} = {self.expr(T, self.pick([1, 2]), benv)}")
                    benv.vars[nm] = Var(nm, T, T == ())
                if self.chance(0.35):
                    body += [f"if {self.cond(benv, 1)}:", f"    return {self.expr(R, 1, benv)}"]
                ret = self.expr(R, self.pick([1, 2]), benv)
                if pa not in "\n".join(body) + ret:
                    ret = E(f"{self.paren(ret)} * np.sum({pa})" if R == () else f"{self.paren(ret)} + 0.0 * {pa}"
                            if R == P else ret)
                body.append(f"return {ret}")
                sig = ", ".join(p if d is None else f"{p}={d}" for p, _, d in params)
                lines = [f"def {name}({sig}):"] + ["    " + ln for ln in body]
                kind = "def"
        finally:
            self.in_local -= 1
        env.funcs = dict(env.funcs)
        env.funcs[name] = LocalFn(name, params, R, kind)
        # use it at once now and then
        if self.chance(0.5):
            v = self.name("v")
            lines.append(f"{v} = {self.lcall_text(env.funcs[name], 1, env)}")
            env.vars[v] = Var(v, R, R == ())
        if self.chance(0.15) and R == () and P == ():
            src = self.leaf_lists(env, ())
            if src:
                txt, _, K, _ = r.choice(src)
                nm = self.name("ls")
                if kind == "lambda" and self.chance(self.cfg.p_refused):
                    lines.append(f"{nm} = list(map({name}, {txt}))")
                else:
                    w = self.name("r")
                    lines.append(f"{nm} = [{name}({w}) for {w} in {txt}]")
                env.conts[nm] = CVar(nm, ("list", (), K), True)
        return lines

    # -------------------------------------------------------------- functions
    def helper(self):
        if self.chance(self.cfg.p_chelper):
            return self.chelper()
        r = self.rng
        name = self.name("h")
        params = []
        env = CEnv()
        for j in range(r.randint(1, 3)):
            T = r.choice(self.shapes)
            pn = "abcdefg"[j]
            params.append((pn, T, None))
            env.vars[pn] = Var(pn, T, False)
        if self.chance(0.4):
            pn = "c" if "c" not in [p for p, _, _ in params] else "q"
            dflt = self.const(-1.0, 1.0)
            params.append((pn, (), dflt))
            env.vars[pn] = Var(pn, (), True)
        if self.chance(0.3):
            s1 = r.choice(self.shapes)
            ret = ("tuple", (s1, r.choice(self.shapes)))
        else:
            ret = r.choice(self.shapes)
        ctx = Ctx(ret, nest=1 if self.chance(0.5) else 0)
        self.written = []
        body, _ = self.block(env, ctx, r.randint(1, 4))
        sig = [p if dft is None else f"{p}={dft}" for p, _, dft in params]
        lines = [f"def {name}({', '.join(sig)}):"] + ["    " + ln for ln in body]
        lines.append(f"    return {self.cret(env, ret)}")
        self.helpers.append(Helper(name, params, [], ret))
        return lines

    def cret(self, env, ret):
        """A return expression that reads the containers built too."""
        if _tup(ret):
            return self.ret_expr(env, ret)
        e = self.expr(ret, self.rng.randint(0, 2), env, noalias=True)
        terms = self.cont_terms(env, 2)
        if terms and ret == ():
            return " + ".join([e] + terms)
        if terms:
            return f"{self.paren(e)} + 0.5 * ({' + '.join(terms)})"
        return e

    def cont_terms(self, env, n):
        terms = []
        cs = list(_conts(env).values())
        self.rng.shuffle(cs)
        for c in cs[:n]:
            t = self.read_all(c.name, c.type)
            if t is not None:
                terms.append(t)
        return terms

    def read_all(self, text, t, depth=0):
        """A scalar reading every number of the container."""
        if is_leaf(t) and not is_tuple(t):
            return text if t == () else self.pick([f"np.sum({text})", f"np.sum(np.sin({text}))",
                                                   f"np.mean({text} ** 2)"])
        if is_tuple(t):
            return " + ".join(f"np.sum({text}[{j}])" for j in range(len(t[1])))
        if is_list(t):
            if t[2] == 0:
                return None
            if is_leaf(t[1]) and not is_tuple(t[1]):
                return self.pick([f"np.sum(np.stack({text}))", f"np.sum(np.array({text}) ** 2)",
                                  f"sum(np.sum(np.cos(u)) for u in {text})"])
            v = "u" if depth == 0 else "w"
            inner = self.read_all(v, t[1], depth + 1)
            return None if inner is None else f"sum({inner} for {v} in {text})"
        parts = []
        for k, v in t[1]:
            p = self.read_all(f"{text}[{key_text(k)}]", v, depth + 1)
            if p is not None:
                parts.append(p)
        return "(" + " + ".join(parts) + ")" if parts else None

    def ctype_arg(self, for_f):
        """A container type for a parameter."""
        r = self.rng
        vecs = [s for s in self.shapes if len(s) == 1]
        kind = self.pick(["lf", "la", "dict", "dlist", "ldict", "tuple"],
                         [4, 3, 4, 2, 0.7 if for_f else 0, 1.5 if for_f else 0])
        if kind == "lf" or (kind == "la" and not vecs):
            return ("list", (), r.randint(1, 4))
        if kind == "la":
            return ("list", r.choice(vecs), r.randint(1, 3))
        if kind == "tuple":
            return ("tuple", ((), r.choice(self.shapes)))
        if kind == "ldict":
            return ("list", ("D", (("w", r.choice(self.shapes)), ("b", ()))), r.randint(1, 3))
        keys = self.keys(r.randint(1, 3))
        items = [(k, self.item_type()) for k in keys]
        if kind == "dlist":
            items[0] = (items[0][0], ("list", self.item_type(), r.randint(1, 3)))
        return ("D", tuple(items))

    def chelper(self):
        """A module-level helper taking a container (and a scalar)."""
        r = self.rng
        name = self.name("ch")
        t = self.ctype_arg(False)
        env = CEnv()
        params = [("p", t, None)]
        env.conts["p"] = CVar("p", t, False)
        env.vars["c"] = Var("c", (), True)
        params.append(("c", (), self.const(-1.0, 1.0) if self.chance(0.4) else None))
        ret = self.pick([(), r.choice(self.shapes)], [3, 1])
        ctx = Ctx(ret, nest=1)
        body, _ = self.block(env, ctx, r.randint(1, 3))
        terms = self.cont_terms(env, 3)
        e = self.expr(ret, 1, env, noalias=True)
        if ret == ():
            retx = " + ".join([f"c * {self.paren(e)}"] + terms)
        else:
            retx = f"{self.paren(e)} * c + ({' + '.join(terms) or '0.0'})"
        sig = ", ".join(p if d is None else f"{p}={d}" for p, _, d in params)
        lines = [f"def {name}({sig}):"] + ["    " + ln for ln in body] + [f"    return {retx}"]
        h = Helper(name, params, [], ret)
        self.chelpers.append(h)
        self.helpers.append(h)
        return lines

    def chelper_call(self, h, d, env):
        t = h.params[0][1]
        same = [c.name for c in _conts(env).values() if c.type == t]
        if same and self.chance(0.7):
            a = self.rng.choice(same)
        else:
            a = self.display(t, env)
        c = self.expr((), max(d, 0), env, noalias=True)
        if h.params[1][2] is not None and self.chance(0.3):
            return f"{h.name}({a})"
        return f"{h.name}({a}, {c})" if self.chance(0.7) else f"{h.name}({a}, c={c})"

    def display(self, t, env):
        if is_list(t):
            return "[" + ", ".join(self.display(t[1], env) for _ in range(t[2])) + "]"
        if is_dict(t):
            return "{" + ", ".join(f"{key_text(k)}: {self.display(v, env)}" for k, v in t[1]) + "}"
        if is_tuple(t):
            return "(" + ", ".join(self.display(s, env) for s in t[1]) + ")"
        return self.expr(t, 1, env, noalias=True)

    def main(self, nargs):
        r = self.rng
        env = self.main_env()
        params = []
        shapes = []
        for j in range(nargs):
            pn = f"x{j}"
            params.append(pn)
            if self.chance(self.cfg.p_cont_arg):
                t = self.ctype_arg(True)
                shapes.append(t)
                if is_tuple(t):
                    env.vars[pn] = Var(pn, t, False)
                else:
                    env.conts[pn] = CVar(pn, t, False)
                continue
            T = r.choice(self.shapes)
            shapes.append(T)
            env.vars[pn] = Var(pn, T, False)
        if self.chance(0.3):
            self.int_param = "n"
            params.append("n")
        ctx = Ctx((), nest=0)
        body, _ = self.block(env, ctx, r.randint(self.cfg.min_stmts, self.cfg.max_stmts))
        lines = [f"def f({', '.join(params)}):"] + ["    " + ln for ln in body]
        ret = self.final_expr(env)
        terms = self.cont_terms(env, 4)
        ret = " + ".join([ret] + terms)
        lines.append(f"    return {ret}")
        return lines, shapes

    def main_env(self):
        """The environment of the entry function's body (a subclass adds its own kinds)."""
        return CEnv()

    def program(self):
        chunks = []
        for _ in range(self.rng.randint(0, self.cfg.max_helpers)):
            chunks.append(self.helper())
        lines, shapes = self.main(self.rng.randint(1, 3))
        chunks.append(lines)
        src = "import numpy as np\n\n\n" + "\n\n\n".join("\n".join(c) for c in chunks) + "\n"
        return src, shapes

    def value(self, t):
        r = self.rng
        if is_list(t):
            return [self.value(t[1]) for _ in range(t[2])]
        if is_dict(t):
            return {k: self.value(v) for k, v in t[1]}
        if is_tuple(t):
            return tuple(self.value(s) for s in t[1])
        if t == ():
            return round(r.uniform(-1.5, 1.5), 6)
        return np.array([round(r.uniform(-1.5, 1.5), 6) for _ in range(int(np.prod(t)))],
                        dtype=np.float64).reshape(t)

    def inputs(self, shapes):
        args = [self.value(t) for t in shapes]
        if self.int_param is not None:
            args.append(self.rng.randint(0, self.int_max))
        return tuple(args)


def tangent_like(x, rt):
    """A random tangent with the structure of x (floats for floats)."""
    if isinstance(x, np.ndarray):
        return np.array([round(rt.uniform(-1.0, 1.0), 3) for _ in range(x.size)],
                        dtype=np.float64).reshape(x.shape)
    if isinstance(x, list):
        return [tangent_like(v, rt) for v in x]
    if isinstance(x, tuple):
        return tuple(tangent_like(v, rt) for v in x)
    if isinstance(x, dict):
        return {k: tangent_like(v, rt) for k, v in x.items()}
    return round(rt.uniform(-1.0, 1.0), 3)


def generate_one(seed, attempt=0, draw=0, config=ContainersConfig):
    """Program number ``attempt`` of ``seed`` (a --containers program), input draw ``draw``."""
    g = ContainersGenerator(f"containers:{seed}:{attempt}", config)
    src, shapes = g.program()
    wrt = tuple(range(len(shapes)))
    extra = None
    if len(wrt) > 1 and g.chance(0.3):
        extra = g.rng.choice(wrt)
        if g.chance(0.5):
            extra = f"x{extra}"
    g.rng = random.Random(f"containers:{seed}:{attempt}:{draw}")
    args = g.inputs(shapes)
    rt = random.Random(f"containers:{seed}:{attempt}:{draw}:tangent")
    tangents = {i: tangent_like(args[i], rt) for i in wrt}
    return Program(seed, src, args, wrt, extra_wrt=extra, tangents=tangents)


def generate(seed, config=ContainersConfig):
    """The first candidate program of ``seed`` (the oracle may draw more)."""
    return generate_one(seed, 0, 0, config)
