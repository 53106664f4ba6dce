"""Random generator of valid, differentiable Python + NumPy programs.

``generate(seed)`` returns a :class:`Program`: the source text of a module
(``import numpy as np``, some helper functions, and the entry function ``f``),
the arguments to evaluate it at, and which arguments to differentiate.
Everything is drawn from one ``random.Random(seed)``, so the same seed always
gives byte-identical text and identical inputs.

The generator tracks the concrete shape of every variable, so every program
is shape-correct by construction.  Values are kept in the domains of the
functions applied to them by construction (``np.log(1.0 + e * e)``,
``np.arcsin(0.9 * np.tanh(e))``, denominators ``1.5 + e * e``...); what
cannot be guaranteed statically (branch margins, ties of max/min, overflow)
is checked by the oracle on the actual inputs, which then rejects the sample
and draws another one (see ``oracle.py``).

Aliasing: ``v += e`` on an array mutates it in place in Python.  Only
variables marked ``aug`` (local arrays that always hold a fresh array no
other variable refers to) are targets of in-place augmented assignment on
arrays, so generated programs never modify their arguments and have the same
meaning under Python and diffc.
"""
import random
import re

import numpy as np

__all__ = ["Program", "generate", "Config"]


class Program:
    """A generated program: module ``source``, entry ``fname``, ``args``, ``wrt``."""

    def __init__(self, seed, source, args, wrt, fname="f", extra_wrt=None):
        self.seed = seed
        self.source = source
        self.args = args            # tuple of Python floats, ints and float64 arrays
        self.wrt = wrt              # tuple of positions (all float arguments)
        self.fname = fname
        self.extra_wrt = extra_wrt  # None, or a single position/name also checked with grad

    def __repr__(self):
        return f"Program(seed={self.seed}, wrt={self.wrt})\n{self.source}"


class Config:
    """Knobs (weights are relative)."""
    max_helpers = 3
    min_stmts = 4
    max_stmts = 10
    max_nest = 2          # nesting of compound statements
    max_depth = 3         # expression depth
    max_trip = 4          # constant loop trip counts 0..max_trip


class E(str):
    """Generated expression text with a ``fresh`` flag: True if evaluating it
    certainly yields a new object (not an alias of a variable)."""

    def __new__(cls, text, fresh=True):
        s = str.__new__(cls, text)
        s.fresh = fresh
        return s


class Var:
    __slots__ = ("name", "shape", "aug")

    def __init__(self, name, shape, aug=False):
        self.name = name
        self.shape = shape      # tuple, or ("tuple", (s1, s2)) for tuples
        self.aug = aug          # may be the target of in-place augmented assignment


class Helper:
    def __init__(self, name, params, kwonly, ret):
        self.name = name
        self.params = params    # list of (name, shape, default or None)
        self.kwonly = kwonly    # list of (name, shape, default)
        self.ret = ret          # shape, or ("tuple", (s1, s2))


class Env:
    """Variables visible at a point: floats (with shapes) and ints (with ranges)."""

    def __init__(self, vars=None, ints=None):
        self.vars = dict(vars or {})
        self.ints = dict(ints or {})    # name -> (lo, hi): value in range(lo, hi)

    def copy(self):
        return Env(self.vars, self.ints)


class Ctx:
    def __init__(self, fn_ret, in_loop=False, nest=0, top=True, loop_vars=()):
        self.fn_ret = fn_ret        # return shape of the function being generated
        self.in_loop = in_loop
        self.nest = nest
        self.top = top              # function top level (shapes may change)
        self.loop_vars = loop_vars  # int counters of enclosing while loops (never reassigned)

    def inner(self, loop=False, loop_vars=()):
        return Ctx(self.fn_ret, self.in_loop or loop, self.nest + 1, False,
                   self.loop_vars + tuple(loop_vars))


def _bshape(a, b):
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        return None


def _matmul_shape(a, b):
    if len(a) == 0 or len(b) == 0:
        return None
    if len(a) == 1 and len(b) == 1:
        return () if a[0] == b[0] else None
    if len(a) == 2 and len(b) == 1:
        return (a[0],) if a[1] == b[0] else None
    if len(a) == 1 and len(b) == 2:
        return (b[1],) if a[0] == b[0] else None
    return (a[0], b[1]) if a[1] == b[0] else None


UNARY_ANY = ["np.sin", "np.cos", "np.arctan", "np.tanh", "np.sinh", "np.cosh", "np.square",
             "np.exp", "np.expm1"]


class Generator:
    def __init__(self, seed, config=Config):
        self.seed = seed
        self.rng = random.Random(seed)
        self.cfg = config
        r = self.rng
        self.m = r.randint(1, 4)
        self.n = r.randint(1, 4)
        if r.random() < 0.3 and self.m == self.n:
            self.n = self.m % 4 + 1
        m, n = self.m, self.n
        menu = [(), (n,), (m,), (m, n), (n, m), (1, n), (m, 1)]
        self.shapes = []
        for s in menu:
            if s not in self.shapes:
                self.shapes.append(s)
        self.counter = 0
        self.helpers = []
        self.int_param = None
        self.int_max = 4

    # ------------------------------------------------------------------ utils
    def name(self, prefix):
        self.counter += 1
        return f"{prefix}{self.counter}"

    def const(self, lo=-1.5, hi=1.5):
        c = round(self.rng.uniform(lo, hi), 2)
        if c == 0.0:
            c = 0.25
        return E(f"({c!r})" if c < 0 else repr(c))

    def pos_const(self, lo=0.2, hi=2.0):
        return E(repr(round(self.rng.uniform(lo, hi), 2)))

    def pick(self, items, weights=None):
        return self.rng.choices(items, weights=weights)[0] if weights else self.rng.choice(items)

    def chance(self, p):
        return self.rng.random() < p

    def sub_shapes(self, T):
        return [s for s in self.shapes if _bshape(s, T) == T]

    def vars_of(self, env, shape, noalias=False, fresh=False):
        if fresh and shape != ():
            return []
        return [v for v in env.vars.values() if v.shape == shape and not (noalias and v.aug)]

    def int_index(self, env, L, allow_neg=True):
        """An integer index expression valid for an axis of length L."""
        r = self.rng
        ints = [(k, lohi) for k, lohi in env.ints.items()]
        if ints and self.chance(0.5):
            k, (lo, hi) = self.pick(ints)
            if lo >= -L and hi <= L and hi > lo:
                return k
            return self.pick([f"{k} % {L}", f"({k} + 1) % {L}", f"-1 - {k} % {L}"]) if allow_neg \
                else f"{k} % {L}"
        i = r.randrange(L)
        if allow_neg and self.chance(0.35):
            i = i - L
        return str(i)

    def slice_for(self, K, L):
        """Slice text selecting exactly L of K elements (L <= K), with steps."""
        r = self.rng
        opts = []
        for step in (1, 2, 3, -1, -2):
            a = abs(step)
            span = a * (L - 1)
            if span > K - 1:
                continue
            opts.append(step)
        step = r.choice(opts)
        a = abs(step)
        span = a * (L - 1)
        if step > 0:
            start = r.randint(0, K - 1 - span)
            stop = start + span + 1
            s_txt = "" if start == 0 and self.chance(0.5) else str(start)
            if stop >= K and self.chance(0.5):
                e_txt = ""
            elif self.chance(0.3):
                e_txt = str(stop - K) if stop - K < 0 else str(stop)
            else:
                e_txt = str(stop)
            if step == 1 and self.chance(0.5):
                return f"{s_txt}:{e_txt}"
            return f"{s_txt}:{e_txt}:{step}"
        start = r.randint(span, K - 1)
        stop = start - span - 1
        s_txt = "" if start == K - 1 and self.chance(0.5) else str(start)
        e_txt = "" if stop < 0 else str(stop)
        return f"{s_txt}:{e_txt}:{step}"

    def int_list(self, K, L):
        r = self.rng
        idx = [r.randrange(K) for _ in range(L)]
        if L >= 2 and self.chance(0.5):
            idx[r.randrange(L)] = idx[0]      # a repeat
        idx = [i - K if self.chance(0.2) else i for i in idx]
        return "[" + ", ".join(map(str, idx)) + "]"

    # ------------------------------------------------------------ expressions
    def expr(self, T, d, env, noalias=False, fresh=False):
        """An expression of shape T with nesting depth about d."""
        if d <= 0 or self.chance(0.15):
            e = self.leaf(T, env, noalias, fresh)
            if e is not None:
                return e
            if d <= 0:
                return self.fallback(T, env)
        for _ in range(20):
            form = self.pick(
                ["unary", "binary", "div", "pow", "maxmin", "where", "reduce", "matmul",
                 "view", "join", "ifexp", "call", "leaf"],
                [14, 22, 5, 4, 4, 3, 7, 5, 7, 3, 2, 5, 4])
            e = getattr(self, "e_" + form)(T, d - 1, env, noalias, fresh)
            if e is not None:
                return e
        return self.fallback(T, env)

    def fallback(self, T, env):
        """Shape T from any variable by broadcasting (never recurses)."""
        if T == ():
            return self.const()
        vs = [v for v in env.vars.values() if not (v.shape and v.shape[0] == "tuple")]
        if vs and self.chance(0.8):
            v = self.rng.choice(vs)
            s = v.name if v.shape == () else f"np.sum({v.name})"
            return E(self.pick([f"{s} + np.zeros({T!r})", f"{s} * np.ones({T!r})"]))
        return E(f"np.full({T!r}, {self.const()})")

    def e_leaf(self, T, d, env, noalias, fresh):
        return self.leaf(T, env, noalias, fresh)

    def leaf(self, T, env, noalias=False, fresh=False):
        r = self.rng
        cands = []
        vs = self.vars_of(env, T, noalias, fresh)
        if vs:
            cands += [("var", 6)]
        if T == ():
            cands += [("const", 2), ("index", 4)]
        else:
            cands += [("index", 2)]
        kind = self.pick([c for c, _ in cands], [w for _, w in cands])
        if kind == "var":
            v = r.choice(vs)
            return E(v.name, fresh=(T == ()))
        if kind == "const":
            return self.const()
        e = self.index_leaf(T, env, noalias, fresh)
        if e is None:
            if T == ():
                return self.const()
            return None
        return e

    def index_leaf(self, T, env, noalias, fresh):
        """Index an existing variable to get shape T."""
        r = self.rng
        base = [v for v in env.vars.values()
                if v.shape and v.shape[0] != "tuple" and not (noalias and v.aug)]
        tuples = [v for v in env.vars.values() if v.shape and v.shape[0] == "tuple"
                  and T in v.shape[1]]
        if tuples and self.chance(0.3):
            v = r.choice(tuples)
            k = v.shape[1].index(T)
            if T != () and fresh:
                return None
            k = self.pick([str(k), str(k - len(v.shape[1]))])
            return E(f"{v.name}[{k}]", fresh=(T == ()))
        r.shuffle(base)
        for v in base:
            e = self.index_of(E(v.name, fresh=False), v.shape, T, env)
            if e is not None:
                if fresh and not e.fresh:
                    continue
                return e
        return None

    def index_of(self, b, U, T, env):
        """Index the expression b (shape U) to give shape T, or None."""
        r = self.rng
        bt = b if b.isidentifier() else f"({b})"
        opts = []
        if T == ():
            if len(U) == 1:
                opts.append(lambda: E(f"{bt}[{self.int_index(env, U[0])}]"))
            if len(U) == 2:
                opts.append(lambda: E(f"{bt}[{self.int_index(env, U[0])}, {self.int_index(env, U[1])}]"))
                opts.append(lambda: E(f"{bt}[{self.int_index(env, U[0])}][{self.int_index(env, U[1])}]"))
        elif len(T) == 1:
            L = T[0]
            if len(U) == 1:
                if U[0] >= L:
                    opts.append(lambda: E(f"{bt}[{self.slice_for(U[0], L)}]", fresh=b.fresh))
                opts.append(lambda: E(f"{bt}[{self.int_list(U[0], L)}]"))
            if len(U) == 2:
                if U[1] == L:
                    opts.append(lambda: E(f"{bt}[{self.int_index(env, U[0])}]", fresh=b.fresh))
                    opts.append(lambda: E(f"{bt}[{self.int_index(env, U[0])}, :]", fresh=b.fresh))
                if U[0] == L:
                    opts.append(lambda: E(f"{bt}[:, {self.int_index(env, U[1])}]", fresh=b.fresh))
                if U[1] >= L:
                    opts.append(lambda: E(f"{bt}[{self.int_index(env, U[0])}, {self.slice_for(U[1], L)}]",
                                          fresh=b.fresh))
        else:
            a, c = T
            if len(U) == 2:
                if U[0] >= a and U[1] == c:
                    opts.append(lambda: E(f"{bt}[{self.slice_for(U[0], a)}]", fresh=b.fresh))
                    opts.append(lambda: E(f"{bt}[{self.int_list(U[0], a)}]"))
                if U[1] >= c and U[0] == a:
                    opts.append(lambda: E(f"{bt}[:, {self.slice_for(U[1], c)}]", fresh=b.fresh))
                if U[0] >= a and U[1] >= c:
                    opts.append(lambda: E(f"{bt}[{self.slice_for(U[0], a)}, {self.slice_for(U[1], c)}]",
                                          fresh=b.fresh))
                if U[1] >= c and a == 1:
                    opts.append(lambda: E(f"{bt}[{self.row_slice1(U[0])}, {self.slice_for(U[1], c)}]",
                                          fresh=b.fresh))
            if len(U) == 1 and U[0] == c and a == 1:
                opts.append(lambda: E(f"{bt}[None, :]", fresh=b.fresh))
                opts.append(lambda: E(f"{bt}[None]", fresh=b.fresh))
            if len(U) == 1 and U[0] == a and c == 1:
                opts.append(lambda: E(f"{bt}[:, None]", fresh=b.fresh))
        if not opts:
            return None
        return r.choice(opts)()

    def row_slice1(self, K):
        i = self.rng.randrange(K)
        if self.chance(0.3):
            return f"{i - K}:{i - K + 1}" if i - K + 1 < 0 else f"{i - K}:"
        return f"{i}:{i + 1}"

    def e_unary(self, T, d, env, noalias, fresh):
        r = self.rng
        kind = self.pick(["any", "log", "sqrt", "tan", "arc", "abs", "log1p", "neg", "method"],
                         [20, 4, 3, 2, 2, 2, 2, 2, 1])
        a = self.expr(T, d, env)
        if kind == "any":
            fn = r.choice(UNARY_ANY)
            if fn in ("np.exp", "np.expm1", "np.sinh", "np.cosh") and self.chance(0.6):
                return E(f"{fn}({self.bounded(a)})")
            return E(f"{fn}({a})")
        if kind == "log":
            return E(self.pick([f"np.log(1.0 + {self.sq(a)})", f"np.log({self.pos_const(0.3, 2.0)} + np.abs({a}))",
                                f"np.log(np.cosh({a}))", f"np.log(np.exp({self.bounded(a)}) + 0.5)"]))
        if kind == "sqrt":
            return E(self.pick([f"np.sqrt({self.pos_const(0.2, 2.0)} + {self.sq(a)})",
                                f"np.sqrt(np.abs({a}) + 0.1)", f"np.sqrt(np.exp({self.bounded(a)}))"]))
        if kind == "tan":
            return E(self.pick([f"np.tan(np.tanh({a}))", f"np.tan(0.5 * np.sin({a}))"]))
        if kind == "arc":
            fn = r.choice(["np.arcsin", "np.arccos"])
            return E(self.pick([f"{fn}(0.9 * np.tanh({a}))", f"{fn}(0.9 * np.sin({a}))",
                                f"{fn}({a} / (1.2 + np.abs({a})))"]))
        if kind == "abs":
            return E(self.pick([f"np.abs({a})", f"abs({a})", f"np.absolute({a})"]))
        if kind == "log1p":
            return E(self.pick([f"np.log1p({self.sq(a)})", f"np.log1p(0.9 * np.tanh({a}))",
                                f"np.log1p(np.exp({self.bounded(a)}))"]))
        if kind == "neg":
            return E(self.pick([f"-{self.paren(a)}", f"+{self.paren(a)}", f"np.negative({a})"]))
        return E(f"np.tanh({a})")          # "method": spare weight for tanh

    def paren(self, a):
        return a if a.isidentifier() or _is_number(a) and not a.startswith("(") and not a.startswith("-") \
            else f"({a})"

    def sq(self, a):
        return self.pick([f"{self.paren(a)} * {self.paren(a)}", f"{self.paren(a)} ** 2", f"np.square({a})"])

    def bounded(self, a):
        return self.pick([f"np.tanh({a})", f"np.sin({a})", f"0.5 * {self.paren(a)}", f"np.cos({a})", str(a)],
                         [3, 2, 2, 1, 2])

    def denom(self, T, d, env):
        b = self.expr(T, d, env)
        return self.pick([f"(1.5 + {self.sq(b)})", f"np.cosh({b})", f"(2.0 + np.sin({b}))",
                          f"np.exp({self.bounded(b)})", f"({self.pos_const(0.5, 2.0)} + np.abs({b}))",
                          f"(1.0 + np.exp({self.bounded(b)}))"])

    def two_shapes(self, T):
        """Operand shapes (a, b) with broadcast(a, b) == T."""
        subs = self.sub_shapes(T)
        other = self.rng.choice(subs)
        return (T, other) if self.chance(0.5) else (other, T)

    def e_binary(self, T, d, env, noalias, fresh):
        sa, sb = self.two_shapes(T)
        a = self.expr(sa, d, env)
        b = self.expr(sb, d, env)
        op = self.pick(["+", "-", "*"], [4, 3, 4])
        if self.chance(0.15):
            fn = {"+": "np.add", "-": "np.subtract", "*": "np.multiply"}[op]
            return E(f"{fn}({a}, {b})")
        return E(f"{self.paren(a)} {op} {self.paren(b)}")

    def e_div(self, T, d, env, noalias, fresh):
        sa, sb = self.two_shapes(T)
        a = self.expr(sa, d, env)
        den = self.denom(sb, d, env)
        if self.chance(0.15):
            return E(f"np.divide({a}, {den})")
        return E(f"{self.paren(a)} / {den}")

    def e_pow(self, T, d, env, noalias, fresh):
        kind = self.pick(["int", "posbase", "exp", "square"])
        a = self.expr(T, d, env)
        if kind == "int":
            return E(f"{self.paren(a)} ** {self.pick(['2', '3', '2.0'])}")
        if kind == "posbase":
            p = self.pick(["0.5", "1.5", "(-0.5)", "2.5", "0.3"])
            if self.chance(0.3):
                return E(f"np.power(1.0 + {self.sq(a)}, {p})")
            return E(f"(1.0 + {self.sq(a)}) ** {p}")
        if kind == "exp":
            sa, sb = self.two_shapes(T)
            base = self.expr(sa, d, env)
            ex = self.expr(sb, d, env)
            return E(f"({self.pos_const(0.5, 2.0)} + np.abs({base})) ** np.tanh({ex})")
        return E(f"np.square({a})")

    def e_maxmin(self, T, d, env, noalias, fresh):
        sa, sb = self.two_shapes(T)
        a = self.expr(sa, d, env)
        b = self.expr(sb, d, env)
        fn = self.pick(["np.maximum", "np.minimum", "np.fmax", "np.fmin"], [4, 4, 1, 1])
        if T == () and self.chance(0.3):
            fn = self.pick(["max", "min"])
        return E(f"{fn}({a}, {b})")

    def e_where(self, T, d, env, noalias, fresh):
        subs = self.sub_shapes(T)
        c1 = self.expr(self.rng.choice(subs), d, env)
        c2 = self.expr(self.rng.choice(subs), d, env) if self.chance(0.5) else self.const()
        op = self.pick(["<", ">", "<=", ">="])
        sa, sb = self.two_shapes(T)
        a = self.expr(sa, d, env)
        b = self.expr(sb, d, env)
        return E(f"np.where({self.paren(c1)} {op} {self.paren(c2)}, {a}, {b})")

    def e_reduce(self, T, d, env, noalias, fresh):
        r = self.rng
        opts = []
        for U in self.shapes:
            if U == ():
                continue
            if T == ():
                opts.append((U, None, False))
                if len(U) == 1:
                    opts.append((U, self.pick(["0", "-1"]), False))
                else:
                    opts.append((U, self.pick(["(0, 1)", "(1, 0)", "(-1, 0)"]), False))
            elif len(T) == 1 and len(U) == 2:
                if U[0] == T[0]:
                    opts.append((U, self.pick(["1", "-1"]), False))
                if U[1] == T[0]:
                    opts.append((U, self.pick(["0", "-2"]), False))
            elif len(T) == 2 and len(U) == 2:
                if T == (1, U[1]):
                    opts.append((U, "0", True))
                if T == (U[0], 1):
                    opts.append((U, self.pick(["1", "-1"]), True))
        if not opts:
            return None
        U, axis, keep = r.choice(opts)
        a = self.expr(U, d, env)
        fn = self.pick(["sum", "mean", "prod", "max", "min", "var"], [8, 4, 2, 3, 3, 1])
        if fn == "prod" and int(np.prod(U)) > 6:
            fn = "sum"
        args = []
        if axis is not None:
            args.append(f"axis={axis}" if self.chance(0.7) else axis)
        if keep:
            if args and "=" not in args[0]:
                args[0] = f"axis={axis}"
            args.append("keepdims=True")
        elif axis is not None and self.chance(0.15):
            if "=" not in args[0]:
                args[0] = f"axis={axis}"
            args.append("keepdims=False")
        if self.chance(0.35) and fn != "var" or fn == "var" and self.chance(0.2):
            return E(f"{self.paren(a)}.{fn}({', '.join(args)})")
        return E(f"np.{fn}({', '.join([a] + args)})")

    def e_matmul(self, T, d, env, noalias, fresh):
        r = self.rng
        pairs = [(a, b) for a in self.shapes for b in self.shapes if _matmul_shape(a, b) == T]
        kinds = ["mm"] if pairs else []
        if len(T) == 2:
            kinds.append("outer")
        if not kinds:
            return None
        kind = r.choice(kinds)
        if kind == "outer":
            if (T[0],) not in self.shapes or (T[1],) not in self.shapes:
                return None
            return E(f"np.outer({self.expr((T[0],), d, env)}, {self.expr((T[1],), d, env)})")
        sa, sb = r.choice(pairs)
        a = self.expr(sa, d, env)
        b = self.expr(sb, d, env)
        form = self.pick(["@", "np.dot", "np.matmul", ".dot"], [5, 2, 2, 1])
        if form == "@":
            return E(f"{self.paren(a)} @ {self.paren(b)}")
        if form == ".dot":
            return E(f"{self.paren(a)}.dot({b})")
        return E(f"{form}({a}, {b})")

    def e_view(self, T, d, env, noalias, fresh):
        r = self.rng
        kind = self.pick(["index", "transpose", "reshape"], [5, 2, 2])
        if kind == "index":
            Us = [U for U in self.shapes if U]
            r.shuffle(Us)
            for U in Us:
                b = self.expr(U, d, env, noalias, fresh)
                e = self.index_of(b, U, T, env)
                if e is not None:
                    return e
            return None
        if kind == "transpose":
            if len(T) != 2 or (T[1], T[0]) not in self.shapes:
                return None
            b = self.expr((T[1], T[0]), d, env, noalias, fresh)
            return E(self.pick([f"{self.paren(b)}.T", f"np.transpose({b})", f"{self.paren(b)}.transpose()",
                                f"np.transpose({b}, (1, 0))"]), fresh=b.fresh)
        size = int(np.prod(T)) if T else 1
        Us = [U for U in self.shapes if U and U != T and int(np.prod(U)) == size]
        if not Us or T == ():
            return None
        U = r.choice(Us)
        b = self.expr(U, d, env, noalias, fresh)
        shape_txt = ", ".join(map(str, T))
        opts = [f"{self.paren(b)}.reshape({shape_txt})", f"np.reshape({b}, {T!r})",
                f"{self.paren(b)}.reshape({T!r})"]
        if len(T) == 1:
            opts += [f"{self.paren(b)}.reshape(-1)", f"np.ravel({b})", f"{self.paren(b)}.ravel()",
                     f"{self.paren(b)}.flatten()"]
            if len(U) == 2 and U[0] == 1:
                opts.append(f"np.squeeze({b}, axis=0)")
            if len(U) == 2 and U[1] == 1:
                opts.append(f"np.squeeze({b}, axis=1)")
        if len(T) == 2 and len(U) == 1 and T[0] == 1:
            opts.append(f"np.expand_dims({b}, 0)")
        if len(T) == 2 and len(U) == 1 and T[1] == 1:
            opts.append(f"np.expand_dims({b}, axis=1)")
        txt = r.choice(opts)
        return E(txt, fresh=b.fresh or "flatten" in txt)

    def vec_of_len(self, L, d, env):
        """An expression of shape (L,) even if (L,) is not a menu shape (slicing)."""
        if (L,) in self.shapes and self.chance(0.6):
            return self.expr((L,), d, env)
        Us = [U for U in self.shapes if len(U) == 1 and U[0] >= L]
        if not Us:
            if L == 1:
                return E(f"np.array([{self.expr((), d, env)}])")
            return None
        U = self.rng.choice(Us)
        b = self.expr(U, d, env)
        return E(f"{self.paren(b)}[{self.slice_for(U[0], L)}]")

    def e_join(self, T, d, env, noalias, fresh):
        r = self.rng
        if T == ():
            return None
        kind = self.pick(["stack", "concat", "array"])
        if len(T) == 1:
            L = T[0]
            if kind == "stack" or kind == "array":
                items = [self.expr((), d, env) for _ in range(L)]
                fn = "np.stack" if kind == "stack" else "np.array"
                return E(f"{fn}([{', '.join(items)}])")
            if L < 2:
                return E(f"np.concatenate([{self.vec_of_len(1, d, env)}])")
            k = r.randint(1, L - 1)
            p1 = self.vec_of_len(k, d, env)
            p2 = self.vec_of_len(L - k, d, env)
            if p1 is None or p2 is None:
                return None
            bracket = self.pick(["[{}]", "({})"])
            return E(f"np.concatenate({bracket.format(p1 + ', ' + p2)})")
        a, c = T
        if kind == "stack":
            if self.chance(0.5):
                if (c,) not in self.shapes:
                    return None
                items = [self.expr((c,), d, env) for _ in range(a)]
                ax = self.pick(["", ", axis=0", ", 0"])
                return E(f"np.stack([{', '.join(items)}]{ax})")
            if (a,) not in self.shapes:
                return None
            items = [self.expr((a,), d, env) for _ in range(c)]
            return E(f"np.stack([{', '.join(items)}], axis={self.pick(['1', '-1'])})")
        if kind == "array":
            if (c,) not in self.shapes:
                return None
            items = [self.expr((c,), d, env) for _ in range(a)]
            return E(f"np.array([{', '.join(items)}])")
        # concatenate along an axis
        axis = r.randint(0, 1)
        L = T[axis]
        if L < 2:
            parts = [T]
        else:
            k = r.randint(1, L - 1)
            parts = [(k, c), (L - k, c)] if axis == 0 else [(a, k), (a, L - k)]
        items = []
        for P in parts:
            if P in self.shapes:
                items.append(self.expr(P, d, env))
                continue
            big = [U for U in self.shapes if len(U) == 2 and U[0] >= P[0] and U[1] >= P[1]
                   and (U[1 - axis] == P[1 - axis])]
            if not big:
                return None
            U = r.choice(big)
            b = self.expr(U, d, env)
            if axis == 0:
                items.append(E(f"{self.paren(b)}[{self.slice_for(U[0], P[0])}]"))
            else:
                items.append(E(f"{self.paren(b)}[:, {self.slice_for(U[1], P[1])}]"))
        ax = "" if axis == 0 and self.chance(0.5) else f", axis={axis}"
        return E(f"np.concatenate([{', '.join(items)}]{ax})")

    def e_ifexp(self, T, d, env, noalias, fresh):
        a = self.expr(T, d, env, noalias, fresh)
        b = self.expr(T, d, env, noalias, fresh)
        c = self.cond(env, max(d - 1, 0))
        return E(f"({a} if {c} else {b})", fresh=a.fresh and b.fresh)

    def e_call(self, T, d, env, noalias, fresh):
        if fresh and T != ():
            return None
        hs = [h for h in self.helpers if h.ret == T or (_tup(h.ret) and T in h.ret[1])]
        if not hs:
            return None
        h = self.rng.choice(hs)
        call = self.call_text(h, d, env)
        if h.ret == T:
            return E(call, fresh=(T == ()))
        k = h.ret[1].index(T)
        return E(f"{call}[{k}]", fresh=(T == ()))

    def call_text(self, h, d, env):
        args = []
        kw_started = False
        for (p, s, default) in h.params:
            if default is not None and self.chance(0.4):
                kw_started = True     # omitted: later ones must be keywords
                continue
            a = self.expr(s, d, env, noalias=True)
            if kw_started or self.chance(0.2):
                kw_started = True
                args.append(f"{p}={a}")
            else:
                args.append(a)
        for (p, s, default) in h.kwonly:
            if self.chance(0.6):
                args.append(f"{p}={self.expr(s, d, env, noalias=True)}")
        return f"{h.name}({', '.join(args)})"

    # ------------------------------------------------------------- conditions
    def sexpr(self, env, d):
        """A scalar expression that depends on some variable (not a constant)."""
        for _ in range(4):
            e = self.expr((), d, env)
            if _has_var(e):
                return e
        return e

    def cond(self, env, d):
        kind = self.pick(["cmp", "cmp2", "arr", "bool", "not", "chain"], [8, 4, 2, 2, 1, 1])
        op = self.pick(["<", ">", "<=", ">="])
        if kind == "cmp":
            return f"{self.paren(self.sexpr(env, d))} {op} {self.const(-1.0, 1.0)}"
        if kind == "cmp2":
            return f"{self.paren(self.sexpr(env, d))} {op} {self.paren(self.sexpr(env, d))}"
        if kind == "arr":
            T = self.rng.choice([s for s in self.shapes if s])
            fn = self.pick(["np.all", "np.any"])
            return f"{fn}({self.paren(self.expr(T, d, env))} {op} {self.const(-1.0, 1.0)})"
        if kind == "bool":
            c1, c2 = self.cond(env, max(d - 1, 0)), self.cond(env, max(d - 1, 0))
            c1 = f"({c1})" if " and " in c1 or " or " in c1 else c1
            c2 = f"({c2})" if " and " in c2 or " or " in c2 else c2
            return f"{c1} {self.pick(['and', 'or'])} {c2}"
        if kind == "not":
            return f"not ({self.cond(env, max(d - 1, 0))})"
        lo = round(self.rng.uniform(-1.5, 0.5), 2)
        hi = round(lo + self.rng.uniform(0.3, 1.5), 2)
        return f"{lo} < {self.paren(self.sexpr(env, d))} < {hi}"

    # ------------------------------------------------------------- statements
    def edepth(self):
        return self.pick([0, 1, 2, 3], [2, 4, 3, 1])

    def block(self, env, ctx, n):
        """n statements; returns (lines, terminated)."""
        lines = []
        for _ in range(n):
            out, term = self.stmt(env, ctx)
            lines += out
            if term:
                return lines, True
        return lines, False

    def stmt(self, env, ctx):
        can_nest = ctx.nest < self.cfg.max_nest
        kinds = [("new", 8), ("reassign", 8), ("aug", 5), ("tuple", 2)]
        if can_nest:
            kinds += [("if", 4), ("for", 4), ("while", 2)]
        if self.helpers:
            kinds.append(("callstmt", 2))
        if ctx.in_loop:
            kinds += [("jump", 2)]
        if not ctx.top or self.chance(0.5):
            kinds.append(("return", 1))
        for _ in range(10):
            kind = self.pick([k for k, _ in kinds], [w for _, w in kinds])
            out = getattr(self, "s_" + kind)(env, ctx)
            if out is not None:
                if kind == "return":
                    return out, False
                return out, False
        return self.s_new(env, ctx), False

    def assign_targets(self, env, ctx):
        return [v for v in env.vars.values() if not (v.shape and v.shape[0] == "tuple")
                and v.name not in ctx.loop_vars]

    def s_new(self, env, ctx):
        T = self.rng.choice(self.shapes)
        aug = T != () and self.chance(0.4)
        e = self.expr(T, self.edepth(), env, noalias=True, fresh=aug)
        name = self.name("v")
        env.vars[name] = Var(name, T, aug and e.fresh or T == ())
        return [f"{name} = {e}"]

    def s_reassign(self, env, ctx):
        vs = self.assign_targets(env, ctx)
        if not vs:
            return None
        v = self.rng.choice(vs)
        T = v.shape
        if ctx.top and not v.aug and self.chance(0.15):
            T = self.rng.choice(self.shapes)        # a new shape for the same name
        e = self.expr(T, self.edepth(), env, noalias=True, fresh=v.aug and T != ())
        if self.chance(0.3) and T == v.shape:
            # damped update keeps loops from blowing up
            e = E(f"{self.pos_const(0.3, 0.9)} * {v.name} + {self.paren(e)}")
        env.vars[v.name] = Var(v.name, T, v.aug)
        return [f"{v.name} = {e}"]

    def s_aug(self, env, ctx):
        vs = [v for v in self.assign_targets(env, ctx) if v.shape == () or v.aug]
        if not vs:
            return None
        v = self.rng.choice(vs)
        subs = self.sub_shapes(v.shape)
        S = self.rng.choice(subs)
        op = self.pick(["+=", "-=", "*=", "/=", "**="], [5, 3, 3, 2, 1])
        if op == "/=":
            return [f"{v.name} /= {self.denom(S, self.edepth(), env)}"]
        if op == "**=":
            return [f"{v.name} **= 2"]
        e = self.expr(S, self.edepth(), env, noalias=True)
        if op == "*=":
            e = E(self.pick([f"np.tanh({e})", f"np.cos({e})", f"(1.0 + 0.5 * np.sin({e}))"]))
        return [f"{v.name} {op} {e}"]

    def s_tuple(self, env, ctx):
        vs = self.assign_targets(env, ctx)
        r = self.rng
        if len(vs) >= 2 and self.chance(0.5):
            pairs = [(a, b) for a in vs for b in vs if a is not b and a.shape == b.shape and a.aug == b.aug]
            if pairs:
                a, b = r.choice(pairs)
                if self.chance(0.5):
                    return [f"{a.name}, {b.name} = {b.name}, {a.name}"]
                e = self.expr(a.shape, 1, env, noalias=True, fresh=b.aug and b.shape != ())
                return [f"{a.name}, {b.name} = {b.name}, {self.paren(e)}"]
        # unpack into new variables
        names = []
        exprs = []
        for _ in range(2):
            T = r.choice(self.shapes)
            e = self.expr(T, self.edepth(), env, noalias=True)
            nm = self.name("v")
            names.append((nm, T))
            exprs.append(e)
        for nm, T in names:
            env.vars[nm] = Var(nm, T, T == ())
        if self.chance(0.3):
            return [f"({names[0][0]}, {names[1][0]}) = ({exprs[0]}, {exprs[1]})"]
        return [f"{names[0][0]}, {names[1][0]} = {exprs[0]}, {exprs[1]}"]

    def s_callstmt(self, env, ctx):
        h = self.rng.choice(self.helpers)
        call = self.call_text(h, self.rng.randint(0, 2), env)
        if _tup(h.ret):
            if self.chance(0.3):
                nm = self.name("t")
                env.vars[nm] = Var(nm, h.ret, False)
                return [f"{nm} = {call}"]
            names = []
            new = []
            for T in h.ret[1]:
                tgt = [v for v in self.assign_targets(env, ctx) if v.shape == T and not v.aug
                       and v.name not in names]
                if tgt and self.chance(0.4):
                    names.append(self.rng.choice(tgt).name)
                else:
                    nm = self.name("v")
                    new.append(Var(nm, T, T == ()))
                    names.append(nm)
            for v in new:
                env.vars[v.name] = v
            return [f"{', '.join(names)} = {call}"]
        nm = self.name("v")
        env.vars[nm] = Var(nm, h.ret, h.ret == ())
        return [f"{nm} = {call}"]

    def ret_expr(self, env, ret):
        d = self.rng.randint(0, 2)
        if _tup(ret):
            return ", ".join(self.expr(T, d, env, noalias=True) for T in ret[1])
        return self.expr(ret, d, env, noalias=True)

    def s_return(self, env, ctx):
        if ctx.top:
            return None
        return [f"if {self.cond(env, 1)}:", f"    return {self.ret_expr(env, ctx.fn_ret)}"]

    def s_jump(self, env, ctx):
        j = self.pick(["break", "continue"])
        return [f"if {self.cond(env, 1)}:", f"    {j}"]

    def s_if(self, env, ctx):
        lines = [f"if {self.cond(env, self.rng.randint(0, 2))}:"]
        inner = ctx.inner()
        nb = self.rng.choice([1, 1, 2, 2, 3])
        body, _ = self.block(env.copy(), inner, self.rng.randint(1, 3))
        lines += ["    " + ln for ln in body]
        for _ in range(nb - 1):
            if self.chance(0.5):
                lines.append(f"elif {self.cond(env, self.rng.randint(0, 2))}:")
            else:
                lines.append("else:")
            body, _ = self.block(env.copy(), inner, self.rng.randint(1, 3))
            lines += ["    " + ln for ln in body]
            if lines[-1 - len(body)] == "else:":
                break
        return lines

    def loop_body(self, env, ctx, loop_vars=()):
        inner = ctx.inner(loop=True, loop_vars=loop_vars)
        body, _ = self.block(env, inner, self.rng.randint(1, 4))
        return ["    " + ln for ln in body]

    def s_for(self, env, ctx):
        r = self.rng
        kind = self.pick(["range", "range2", "rangen", "array", "enumerate", "zip", "reversed"],
                         [4, 3, 2, 3, 2, 2, 1])
        benv = env.copy()
        if kind in ("range", "range2", "rangen"):
            i = self.name("i")
            if kind == "range":
                k = r.randint(0, self.cfg.max_trip)
                head, lo, hi = f"range({k})", 0, k
            elif kind == "range2":
                a = r.randint(-2, 3)
                step = self.pick([1, 2, 3, -1, -2])
                b = a + step * r.randint(0, 4) + self.pick([0, 0, 1 if step > 0 else -1])
                head = f"range({a}, {b}, {step})" if step != 1 or self.chance(0.5) else f"range({a}, {b})"
                vals = list(range(a, b, step)) or [0]
                lo, hi = min(vals), max(vals) + 1
            else:
                if self.int_param is not None and self.chance(0.6):
                    head, lo, hi = f"range({self.int_param})", 0, self.int_max
                else:
                    vs = [v for v in env.vars.values() if v.shape and v.shape[0] != "tuple"]
                    if not vs:
                        return None
                    v = r.choice(vs)
                    head = self.pick([f"range(len({v.name}))", f"range({v.name}.shape[0])",
                                      f"range(1, {v.name}.shape[-1])"])
                    lo, hi = 0, v.shape[0] if "shape[-1]" not in head else v.shape[-1]
                if self.chance(0.2):
                    head = f"reversed({head})"
            benv.ints[i] = (lo, hi)
            return [f"for {i} in {head}:"] + self.loop_body(benv, ctx)
        U = r.choice([s for s in self.shapes if s])
        it = self.expr(U, r.randint(0, 1), env, noalias=True)
        elem = U[1:]
        if kind in ("array", "reversed"):
            x = self.name("r")
            benv.vars[x] = Var(x, elem, elem == ())
            head = f"reversed({it})" if kind == "reversed" else it
            return [f"for {x} in {head}:"] + self.loop_body(benv, ctx)
        if kind == "enumerate":
            k, x = self.name("k"), self.name("r")
            start = self.pick([0, 0, 1])
            benv.ints[k] = (start, start + U[0])
            benv.vars[x] = Var(x, elem, elem == ())
            head = f"enumerate({it})" if start == 0 else f"enumerate({it}, {start})"
            return [f"for {k}, {x} in {head}:"] + self.loop_body(benv, ctx)
        U2 = r.choice([s for s in self.shapes if s])
        it2 = self.expr(U2, r.randint(0, 1), env, noalias=True)
        x, y = self.name("r"), self.name("r")
        benv.vars[x] = Var(x, elem, elem == ())
        benv.vars[y] = Var(y, U2[1:], U2[1:] == ())
        if self.chance(0.3):
            k = self.name("k")
            benv.ints[k] = (0, min(U[0], U2[0]))
            return [f"for {k}, ({x}, {y}) in enumerate(zip({it}, {it2})):"] + self.loop_body(benv, ctx)
        return [f"for {x}, {y} in zip({it}, {it2}):"] + self.loop_body(benv, ctx)

    def s_while(self, env, ctx):
        r = self.rng
        k = self.name("k")
        K = r.randint(1, 5)
        benv = env.copy()
        benv.ints[k] = (1, K + 1)
        lines = [f"{k} = 0"]
        form = self.pick(["and", "break"])
        if form == "and":
            c = self.cond(env, 1)
            head = f"while {k} < {K} and ({c}):" if self.chance(0.6) else f"while ({c}) and {k} < {K}:"
            body = self.loop_body(benv, ctx, loop_vars=(k,))
            return lines + [head, f"    {k} += 1" if self.chance(0.5) else f"    {k} = {k} + 1"] + body
        body = self.loop_body(benv, ctx, loop_vars=(k,))
        c = self.cond(benv, 1)
        return lines + [f"while {k} < {K}:", f"    {k} += 1"] + body + [f"    if {c}:", "        break"]

    # -------------------------------------------------------------- functions
    def helper(self):
        r = self.rng
        name = self.name("h")
        nparams = r.randint(1, 3)
        params = []
        env = Env()
        for j in range(nparams):
            T = r.choice(self.shapes)
            pn = "abcdefg"[j]
            params.append((pn, T, None))
            env.vars[pn] = Var(pn, T, False)
        if self.chance(0.4):
            pn = "c" if "c" not in [p for p, _, _ in params] else "q"
            dflt = self.const(-1.0, 1.0)
            params.append((pn, (), dflt))
            env.vars[pn] = Var(pn, (), True)
        kwonly = []
        if self.chance(0.25):
            kwonly.append(("scale", (), self.pos_const(0.5, 1.5)))
            env.vars["scale"] = Var("scale", (), True)
        if self.chance(0.35):
            s1 = r.choice(self.shapes)
            ret = ("tuple", (s1, s1 if self.chance(0.5) else r.choice(self.shapes)))
        else:
            ret = r.choice(self.shapes)
        ctx = Ctx(ret, nest=1 if self.chance(0.5) else 0)
        body, _ = self.block(env, ctx, r.randint(1, 4))
        sig = [p if dft is None else f"{p}={dft}" for p, _, dft in params]
        if kwonly:
            sig += ["*"] + [f"{p}={dft}" for p, _, dft in kwonly]
        lines = [f"def {name}({', '.join(sig)}):"] + ["    " + ln for ln in body]
        lines.append(f"    return {self.ret_expr(env, ret)}")
        self.helpers.append(Helper(name, params, kwonly, ret))
        return lines

    def final_expr(self, env):
        vs = [v for v in env.vars.values() if not (v.shape and v.shape[0] == "tuple")]
        self.rng.shuffle(vs)
        terms = []
        for v in vs[:4]:
            if v.shape == ():
                t = v.name
            else:
                t = self.pick([f"np.sum({v.name})", f"np.mean({v.name} * {v.name})",
                               f"np.sum(np.sin({v.name}))", f"{v.name}.sum()"])
            terms.append(t if self.chance(0.6) else f"{self.const()} * {t}")
        if not terms:
            return self.const()
        return " + ".join(terms)

    def main(self, nargs):
        r = self.rng
        env = Env()
        params = []
        shapes = []
        for j in range(nargs):
            T = r.choice(self.shapes)
            pn = f"x{j}"
            params.append(pn)
            shapes.append(T)
            env.vars[pn] = Var(pn, T, False)
        if self.chance(0.35):
            self.int_param = "n"
            params.append("n")
        ctx = Ctx((), nest=0)
        body, _ = self.block(env, ctx, r.randint(self.cfg.min_stmts, self.cfg.max_stmts))
        lines = [f"def f({', '.join(params)}):"] + ["    " + ln for ln in body]
        lines.append(f"    return {self.final_expr(env)}")
        return lines, shapes

    def program(self):
        r = self.rng
        chunks = []
        for _ in range(r.randint(0, self.cfg.max_helpers)):
            chunks.append(self.helper())
        lines, shapes = self.main(r.randint(1, 3))
        chunks.append(lines)
        src = "import numpy as np\n\n\n" + "\n\n\n".join("\n".join(c) for c in chunks) + "\n"
        return src, shapes

    def inputs(self, shapes):
        r = self.rng
        args = []
        for T in shapes:
            if T == ():
                args.append(round(r.uniform(-1.5, 1.5), 6))
            else:
                size = int(np.prod(T))
                args.append(np.array([round(r.uniform(-1.5, 1.5), 6) for _ in range(size)],
                                     dtype=np.float64).reshape(T))
        if self.int_param is not None:
            args.append(r.randint(0, self.int_max))
        return tuple(args)


def _has_var(text):
    return re.search(r"(?<![\w.])(?!np\b)[A-Za-z_]\w*", text) is not None


def _tup(s):
    return len(s) == 2 and s[0] == "tuple"


def _is_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def generate_one(seed, attempt=0, draw=0, config=Config):
    """Program number ``attempt`` of ``seed``, with input draw ``draw``."""
    g = Generator(f"{seed}:{attempt}", config)
    src, shapes = g.program()
    wrt = tuple(range(len(shapes)))
    extra = None
    if len(wrt) > 1 and g.chance(0.3):
        extra = g.rng.choice(wrt)
        if g.chance(0.5):
            extra = f"x{extra}"
    g.rng = random.Random(f"{seed}:{attempt}:{draw}")
    args = g.inputs(shapes)
    return Program(seed, src, args, wrt, extra_wrt=extra)


def generate(seed, config=Config):
    """The first candidate program of ``seed`` (the oracle may draw more)."""
    return generate_one(seed, 0, 0, config)
