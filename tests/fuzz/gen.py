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

``generate(seed, EffectsConfig)`` (``python -m tests.fuzz --effects``) adds
programs with effects: NumPy calls writing into owned local arrays
(``np.multiply(y, 2.0, out=y)``, ``np.add(y, e, y)``, ``np.copyto``,
``np.add.at``, ``np.put``, ``np.fill_diagonal``, ``np.clip(..., out=y)``,
``operator.setitem``/``iadd``, ``y.fill``/``y.sort``/``y.put``, ``y[i] = e``),
helpers writing into their array arguments (called only with arrays the
caller owns), lists read both whole and by item (also list arguments of
``f``), and decorated helpers and ``f`` (module-level decorators built with
``functools.wraps``; the module then imports ``functools`` and ``operator``).
The default ``Config`` draws exactly the random numbers it drew before, so
its programs are unchanged.
"""
import random
import re

import numpy as np

__all__ = ["Program", "generate", "Config", "EffectsConfig", "WritesConfig"]


class Program:
    """A generated program: module ``source``, entry ``fname``, ``args``, ``wrt``."""

    def __init__(self, seed, source, args, wrt, fname="f", extra_wrt=None, writes=False,
                 tangents=None, second=None):
        self.seed = seed
        self.source = source
        self.args = args            # tuple of Python floats, ints and float64 arrays
        self.wrt = wrt              # tuple of positions (all float arguments)
        self.fname = fname
        self.extra_wrt = extra_wrt  # None, or a single position/name also checked with grad
        self.writes = writes        # f may write into its own arguments (WritesConfig)
        self.tangents = tangents    # None, or {position: tangent}: diffc.jvp is checked too
        self.second = second        # None, or (position, direction): diffc.hvp is checked too

    def replace(self, **kw):
        """A copy with some fields changed (the shrinker's edits keep the rest)."""
        fields = dict(seed=self.seed, source=self.source, args=self.args, wrt=self.wrt,
                      fname=self.fname, extra_wrt=self.extra_wrt, writes=self.writes,
                      tangents=self.tangents, second=self.second)
        fields.update(kw)
        return Program(**fields)

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
    effects = False       # the effect shapes of EffectsConfig (off: the programs of before)
    writes = False        # the writes of WritesConfig (off: the programs of before)
    forward = False       # the oracle also checks diffc.jvp (tangents drawn per sample)


class EffectsConfig(Config):
    """Config adding programs with effects and indirection (see "effects" in
    the Generator): NumPy calls that write into a local array (``out=``,
    ``np.copyto``, ``np.add.at``, ``np.put``, ``operator.setitem``,
    ``y.sort()``...), helpers that write into their array arguments, lists
    read both whole and item by item (also list arguments of ``f``), and
    helpers (and ``f``) wrapped by decorators built with ``functools.wraps``.
    Every program keeps a well-defined Python meaning and never modifies the
    arguments of ``f``."""
    effects = True
    w_inplace = 5         # statement: write into an owned local array
    w_mutcall = 5         # statement: call a helper that writes into its array argument
    w_list = 4            # statement: a local list (then read whole and by item)
    w_listread = 6        # expression: read a list
    p_mut_helper = 0.45   # a helper writes into one of its parameters
    p_list_param = 0.25   # a helper parameter is a list
    p_list_arg = 0.2      # an argument of f is a list (of floats or of arrays)
    p_deco_helper = 0.35  # a helper is decorated
    p_deco_f = 0.08       # f is decorated
    p_const_value = 0.3   # a written value does not depend on the inputs


class WritesConfig(Config):
    """Config adding writes into arrays (see "writes" in the Generator):
    ``y[i] = e`` and ``y[i] op= e`` (every augmented operator) at elements,
    slices, rows and columns, masks and index arrays with repeats, on arrays
    made in the function (``np.zeros``, ``np.empty``, ``np.zeros_like``,
    ``np.full``, ``np.copy``, ``x.copy()``, ``np.array``, arithmetic results)
    and on arguments of ``f``; preallocated arrays filled in loops,
    recurrences reading what an earlier iteration wrote, overwrite-then-read,
    stencil updates, writes in branches and while loops, and now and then a
    view read after a write (diffc must refuse those or get them right,
    never wrong) or a chained ``y[i][j] = e``.  The oracle also checks
    forward mode (jvp)."""
    writes = True
    forward = True
    max_helpers = 2
    min_stmts = 3
    max_stmts = 7
    w_write = 9           # statement: one write (element, slice, row, column, mask, index array)
    w_fill = 4            # a preallocated array filled in a for loop
    w_rec = 3             # a recurrence reading what the previous iteration wrote
    w_over = 2            # overwrite then read the same element
    w_stencil = 2         # a stencil update (repeated in a loop)
    w_branch = 2          # a for loop writing in if/else branches
    w_while = 2           # a while loop writing
    w_view = 0.6          # f reads a view of a written array after the write (top level of f)
    p_arg_written = 0.4   # an array argument of f is written into
    p_chained = 0.015     # a 2-D write as y[i][j] = e (a write into the view y[i])
    p_empty = 0.35        # a filled array starts as np.empty


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
    def __init__(self, name, params, kwonly, ret, mut=(), posonly=False):
        self.name = name
        self.params = params    # list of (name, shape, default or None); shape ("list", S, K) for a list
        self.kwonly = kwonly    # list of (name, shape, default)
        self.ret = ret          # shape, or ("tuple", (s1, s2))
        self.mut = mut          # positions of array parameters the helper writes into
        self.posonly = posonly  # wrapped by a one-argument decorator: call positionally


class Env:
    """Variables visible at a point: floats (with shapes) and ints (with ranges)."""

    def __init__(self, vars=None, ints=None, lists=None):
        self.vars = dict(vars or {})
        self.ints = dict(ints or {})    # name -> (lo, hi): value in range(lo, hi)
        self.lists = dict(lists or {})  # name -> (S, K): a list of K items of shape S (effects)

    def copy(self):
        return Env(self.vars, self.ints, self.lists)


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
        if config.writes:                   # writes want room: lengths 2..5
            self.m, self.n = r.randint(2, 5), r.randint(2, 5)
            if self.m == self.n and r.random() < 0.3:
                self.n = 2 if self.m != 2 else 3
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
        self.written = []       # effects: arrays written in place in the current function
        self.decos_used = []    # effects: decorators the module defines
        self.in_f = False       # writes: generating f (not a helper)
        self.must_read = []     # writes: terms f's return must read (views read after a write)

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
        forms = ["unary", "binary", "div", "pow", "maxmin", "where", "reduce", "matmul",
                 "view", "join", "ifexp", "call", "leaf"]
        weights = [14, 22, 5, 4, 4, 3, 7, 5, 7, 3, 2, 5, 4]
        if self.cfg.effects and env.lists:
            forms, weights = forms + ["listread"], weights + [self.cfg.w_listread]
        for _ in range(20):
            form = self.pick(forms, weights)
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
        hs = [h for h in self.helpers if (h.ret == T or (_tup(h.ret) and T in h.ret[1])) and not h.mut]
        if not hs:
            return None
        h = self.rng.choice(hs)
        call = self.call_text(h, d, env)
        if h.ret == T:
            return E(call, fresh=(T == ()))
        k = h.ret[1].index(T)
        return E(f"{call}[{k}]", fresh=(T == ()))

    def call_text(self, h, d, env, fixed=None):
        """Call text; ``fixed`` maps parameter positions to argument texts (effects)."""
        args = []
        kw_started = False
        for j, (p, s, default) in enumerate(h.params):
            if default is not None and self.chance(0.4):
                kw_started = True     # omitted: later ones must be keywords
                continue
            if fixed and j in fixed:
                a = fixed[j]
            elif _islist(s):
                a = self.list_arg(s, d, env)
            else:
                a = self.expr(s, d, env, noalias=True)
            if h.posonly:
                args.append(a)
            elif kw_started or self.chance(0.2):
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
        if any(not h.mut for h in self.helpers):
            kinds.append(("callstmt", 2))
        if ctx.in_loop:
            kinds += [("jump", 2)]
        if not ctx.top or self.chance(0.5):
            kinds.append(("return", 1))
        if self.cfg.effects:
            kinds += [("inplace", self.cfg.w_inplace), ("list", self.cfg.w_list)]
            if any(h.mut for h in self.helpers):
                kinds.append(("mutcall", self.cfg.w_mutcall))
        if self.cfg.writes:
            c = self.cfg
            kinds += [("write", c.w_write), ("wover", c.w_over)]
            if can_nest:
                kinds += [("wfill", c.w_fill), ("wrec", c.w_rec), ("wstencil", c.w_stencil),
                          ("wbranch", c.w_branch), ("wwhile", c.w_while)]
            if self.in_f and ctx.top:
                kinds.append(("wview", c.w_view))
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
        hs = [h for h in self.helpers if not h.mut]
        if not hs:
            return None
        h = self.rng.choice(hs)
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
        if self.cfg.effects:
            return self.fx_helper(name, params, kwonly, ret, env, ctx)
        self.written = []
        body, _ = self.block(env, ctx, r.randint(1, 4))
        sig = [p if dft is None else f"{p}={dft}" for p, _, dft in params]
        if kwonly:
            sig += ["*"] + [f"{p}={dft}" for p, _, dft in kwonly]
        lines = [f"def {name}({', '.join(sig)}):"] + ["    " + ln for ln in body]
        if self.cfg.writes:
            lines.append(f"    return {self.fx_ret(env, ret)}")     # reads the arrays written
        else:
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
            if self.cfg.effects and self.chance(self.cfg.p_list_arg):
                T = self.list_shape(for_f=True)
                shapes.append(T)
                env.lists[pn] = T[1:]
                continue
            shapes.append(T)
            env.vars[pn] = Var(pn, T, False)
            if self.cfg.writes and T != () and self.chance(self.cfg.p_arg_written):
                env.vars[pn].aug = True     # f writes into this argument (diffc must copy it)
        if self.chance(0.35):
            self.int_param = "n"
            params.append("n")
        ctx = Ctx((), nest=0)
        self.written = []
        self.in_f = self.cfg.writes
        body, _ = self.block(env, ctx, r.randint(self.cfg.min_stmts, self.cfg.max_stmts))
        self.in_f = False
        lines = [f"def f({', '.join(params)}):"] + ["    " + ln for ln in body]
        ret = self.final_expr(env)
        if self.cfg.writes:
            ret = self.w_final(env, ret)
        if self.cfg.effects:
            ret = self.fx_final(env, ret)
            lines = self.fx_decorate(lines, len(params) == 1, False, self.cfg.p_deco_f,
                                     "x0" in env.lists)
        lines.append(f"    return {ret}")
        return lines, shapes

    def program(self):
        r = self.rng
        chunks = []
        for _ in range(r.randint(0, self.cfg.max_helpers)):
            chunks.append(self.helper())
        lines, shapes = self.main(r.randint(1, 3))
        chunks.append(lines)
        head = "import numpy as np\n\n\n"
        if self.cfg.effects:
            head = "import functools\nimport operator\n\n" + head
            chunks = [DECORATORS[k][2].splitlines() for k in self.decos_used] + chunks
        src = head + "\n\n\n".join("\n".join(c) for c in chunks) + "\n"
        return src, shapes

    def inputs(self, shapes):
        r = self.rng
        args = []
        for T in shapes:
            if _islist(T):
                S, K = T[1], T[2]
                if S == ():
                    args.append([round(r.uniform(-1.5, 1.5), 6) for _ in range(K)])
                else:
                    args.append([np.array([round(r.uniform(-1.5, 1.5), 6) for _ in range(int(np.prod(S)))],
                                          dtype=np.float64).reshape(S) for _ in range(K)])
            elif T == ():
                args.append(round(r.uniform(-1.5, 1.5), 6))
            else:
                size = int(np.prod(T))
                args.append(np.array([round(r.uniform(-1.5, 1.5), 6) for _ in range(size)],
                                     dtype=np.float64).reshape(T))
        if self.int_param is not None:
            args.append(r.randint(0, self.int_max))
        return tuple(args)

    # ================================================================ effects
    # Reached only with ``config.effects`` (EffectsConfig), through hooks that
    # draw no random numbers otherwise: the default Config generates exactly
    # the programs it generated before.
    #
    # Ownership: writes into an array (``out=``, ``np.copyto``, ``y[i] = e``,
    # ``y.sort()``...) only target variables marked ``aug``: local arrays that
    # hold a fresh array (``x.copy()``, ``np.zeros(...)``), or the parameter
    # of a helper that writes into its argument, which is only ever called
    # with such an array.  So ``f`` never modifies its arguments, and the
    # oracle checks it does not (INVALID otherwise).  Aliases of owned arrays
    # *are* made on purpose here (``z = np.add(y, e, out=y)``, a helper that
    # returns the array it wrote into, a list holding an owned array that is
    # later written into): Python's meaning of those stays well defined.

    def fx_value(self, S, env, bounded=False):
        """A value of shape S to write: depending on the inputs, or a constant."""
        if self.chance(self.cfg.p_const_value):
            c = self.const()
            e = E(c if S == () else self.pick([f"np.full({S!r}, {c})", f"{c} * np.ones({S!r})"]))
        else:
            e = self.expr(S, self.pick([0, 1, 2], [3, 4, 2]), env)
        if bounded:
            e = E(self.pick([f"np.tanh({e})", f"(1.0 + 0.5 * np.sin({e}))", f"np.cos({e})"]))
        return e

    def fx_vec(self, L, env):
        """A value of shape (L,) (L need not be a menu length), or None."""
        if self.chance(self.cfg.p_const_value):
            return E(f"np.full({(L,)!r}, {self.const()})")
        return self.vec_of_len(L, self.pick([0, 1]), env)

    def fx_owned(self, env, T=None):
        """A new local array of shape T that nothing else refers to: (name, line)."""
        r = self.rng
        if T is None:
            T = r.choice([s for s in self.shapes if s])
        src = [v for v in env.vars.values() if v.shape == T]
        kind = self.pick(["copy", "zeros", "array", "expr"], [6, 2, 2, 1])
        if kind == "copy" and src:
            v = r.choice(src).name
            e = self.pick([f"{v}.copy()", f"np.copy({v})", f"np.array({v})"], [4, 1, 1])
        elif kind in ("copy", "zeros"):
            e = self.pick([f"np.zeros({T!r})", f"np.ones({T!r})", f"np.full({T!r}, {self.const()})"])
        elif kind == "array":
            if len(T) == 1:
                e = "np.array([" + ", ".join(self.expr((), 1, env) for _ in range(T[0])) + "])"
            else:
                rows = ["[" + ", ".join(self.expr((), 0, env) for _ in range(T[1])) + "]" for _ in range(T[0])]
                e = "np.array([" + ", ".join(rows) + "])"
        else:
            e = self.expr(T, self.edepth(), env, noalias=True, fresh=True)
            if not e.fresh:
                e = f"{self.paren(e)}.copy()"
        name = self.name("v")
        env.vars[name] = Var(name, T, True)
        return name, f"{name} = {e}"

    def owned_targets(self, env, ctx, T=None):
        return [v for v in self.assign_targets(env, ctx) if v.aug and v.shape != ()
                and (T is None or v.shape == T)]

    def s_inplace(self, env, ctx):
        lines = []
        vs = self.owned_targets(env, ctx)
        if vs and self.chance(0.7):
            y = self.rng.choice(vs).name
        else:
            y, line = self.fx_owned(env)
            lines.append(line)
        lines += self.fx_write(env.vars[y], env)
        if y not in self.written:
            self.written.append(y)
        return lines

    def fx_write(self, v, env, assign_ok=True):
        """A statement writing into the array variable v (shape T, not 0-d)."""
        r = self.rng
        y, T = v.name, v.shape
        forms = [("ufunc", 6), ("ufuncpos", 2), ("unary", 4), ("neg", 1), ("clip", 2), ("copyto", 3),
                 ("at", 3), ("put", 2), ("setitem", 3), ("iop", 3), ("fill", 2), ("sort", 1),
                 ("sub", 1), ("diag", 2 if len(T) == 2 else 0)]
        kind = self.pick([k for k, _ in forms], [w for _, w in forms])
        S = r.choice(self.sub_shapes(T))
        call = None                     # a call whose value is y itself (may be assigned)
        if kind in ("ufunc", "ufuncpos"):
            op = self.pick(["np.add", "np.subtract", "np.multiply"], [3, 2, 3])
            if op == "np.multiply" and self.chance(0.4):
                e = self.pick(["2.0", "0.5", "(-1.5)"])
            else:
                e = self.fx_value(S, env, bounded=(op == "np.multiply"))
            a, b = (y, e) if op == "np.subtract" or self.chance(0.7) else (e, y)
            call = f"{op}({a}, {b}, out={y})" if kind == "ufunc" else f"{op}({a}, {b}, {y})"
        elif kind == "unary":
            fn = self.pick(["np.sin", "np.cos", "np.tanh", "np.arctan", "np.square", "np.negative"])
            a = y if self.chance(0.5) else self.fx_value(S, env)
            call = f"{fn}({a}, out={y})"
        elif kind == "neg":
            call = f"np.negative({y}, out={y})"
        elif kind == "clip":
            lo = round(r.uniform(-1.5, 0.3), 2)
            hi = round(lo + r.uniform(0.3, 1.5), 2)
            a = y if self.chance(0.6) else self.fx_value(S, env)
            call = f"np.clip({a}, {lo}, {hi}, out={y})"
        elif kind == "copyto":
            return [f"np.copyto({y}, {self.fx_value(S, env)})"]
        elif kind == "at":
            L = r.randint(1, 4)
            idx = self.int_list(T[0], L)
            idx = idx if self.chance(0.5) else f"np.array({idx})"
            fn = self.pick(["np.add.at", "np.subtract.at", "np.multiply.at"], [4, 2, 1])
            e = None
            if self.chance(0.5):
                e = self.fx_vec(L if len(T) == 1 else T[1], env)
            if e is None:
                e = self.fx_value((), env)
            if fn == "np.multiply.at":
                e = E(f"(1.0 + 0.5 * np.sin({e}))")
            return [f"{fn}({y}, {idx}, {e})"]
        elif kind == "put":
            L = r.randint(1, 3)
            idx = self.int_list(int(np.prod(T)), L)
            e = self.fx_vec(L, env) if self.chance(0.5) else None
            if e is None:
                e = self.fx_value((), env)
            return [self.pick([f"np.put({y}, {idx}, {e})", f"{y}.put({idx}, {e})"])]
        elif kind == "setitem":
            if len(T) == 2 and self.chance(0.5):
                i, j = self.int_index(env, T[0]), self.int_index(env, T[1])
                return [f"operator.setitem({y}, ({i}, {j}), {self.fx_value((), env)})"]
            i = self.int_index(env, T[0])
            e = self.fx_value(r.choice(self.sub_shapes(T[1:])), env)
            return [f"operator.setitem({y}, {i}, {e})"]
        elif kind == "iop":
            op = self.pick(["operator.iadd", "operator.isub", "operator.imul"], [3, 2, 2])
            call = f"{op}({y}, {self.fx_value(S, env, bounded=op == 'operator.imul')})"
        elif kind == "fill":
            return [f"{y}.fill({self.fx_value((), env)})"]
        elif kind == "sort":
            return [self.pick([f"{y}.sort()", f"{y}.sort(axis=0)" if len(T) == 2 else f"{y}.sort()"])]
        elif kind == "sub":
            return [self.fx_subassign(y, T, env)]
        else:                           # diag
            e = self.fx_vec(min(T), env) if self.chance(0.5) else None
            if e is None:
                e = self.fx_value((), env)
            return [f"np.fill_diagonal({y}, {e})"]
        if assign_ok and self.chance(0.3):
            z = self.name("v")
            env.vars[z] = Var(z, T, False)          # an alias of y
            return [f"{z} = {call}"]
        return [call]

    def fx_subassign(self, y, T, env):
        """``y[...] = e`` (or ``y[...] op= e``) for the array y of shape T."""
        r = self.rng
        op = self.pick(["=", "+=", "*="], [6, 2, 1])
        if len(T) == 1 or self.chance(0.4):
            if self.chance(0.5) or T[0] < 2:
                tgt, U = f"{y}[{self.int_index(env, T[0])}]", T[1:]
            else:
                L = r.randint(1, T[0] - 1)
                tgt, U = f"{y}[{self.slice_for(T[0], L)}]", (L,) + T[1:]
        elif self.chance(0.5):
            tgt, U = f"{y}[{self.int_index(env, T[0])}, {self.int_index(env, T[1])}]", ()
        else:
            tgt, U = f"{y}[:, {self.int_index(env, T[1])}]", (T[0],)
        e = None
        if U and len(U) == 1 and self.chance(0.5):
            e = self.fx_vec(U[0], env)
        if e is None:
            e = self.fx_value(r.choice(self.sub_shapes(U)) if U in self.shapes else (), env,
                              bounded=(op == "*="))
        elif op == "*=":
            e = E(f"np.tanh({e})")
        return f"{tgt} {op} {e}"

    # ------------------------------------------ helpers writing into arguments
    def fx_mutate_param(self, p, T, env):
        """Lines writing into the parameter p (shape T) of a helper."""
        r = self.rng
        if T == ():
            return [self.pick([f"{p} *= 2.0", f"{p} += {self.fx_value((), env)}", f"{p} -= 0.5",
                               f"{p} *= {self.fx_value((), env, bounded=True)}"])]
        calls = [h for h in self.helpers if h.mut and h.params[h.mut[0]][1] == T]
        forms = [("imul", 3), ("iadd", 3), ("item", 2), ("tail", 1 if T[0] >= 2 else 0), ("out", 3),
                 ("fx", 3), ("call", 3 if calls else 0)]
        kind = self.pick([k for k, _ in forms], [w for _, w in forms])
        if kind == "imul":
            return [self.pick([f"{p} *= 2.0", f"{p} *= {self.const()}",
                               f"{p} *= {self.fx_value(r.choice(self.sub_shapes(T)), env, bounded=True)}"])]
        if kind == "iadd":
            return [f"{p} {self.pick(['+=', '-='])} {self.fx_value(r.choice(self.sub_shapes(T)), env)}"]
        if kind == "item":
            i = self.int_index(env, T[0])
            if self.chance(0.6):
                return [f"{p}[{i}] = {self.pick(['3.0', '2.0', '(-1.0)'])} * {p}[{i}]"]
            return [f"{p}[{i}] = {self.fx_value(r.choice(self.sub_shapes(T[1:])), env)}"]
        if kind == "tail":
            e = self.fx_vec(T[0] - 1, env) if len(T) == 1 and self.chance(0.5) else None
            if e is None:
                e = self.fx_value(r.choice(self.sub_shapes(T[1:])), env)
            return [f"{p}[1:] = {e}"]
        if kind == "out":
            return [self.pick([f"np.multiply({p}, 2.0, out={p})", f"np.add({p}, {self.fx_value((), env)}, out={p})",
                               f"np.tanh({p}, out={p})"])]
        if kind == "fx":
            return self.fx_write(env.vars[p], env, assign_ok=False)
        h = r.choice(calls)
        call = self.call_text(h, 1, env, fixed={h.mut[0]: p})
        return [call]

    def fx_helper(self, name, params, kwonly, ret, env, ctx):
        """helper() with effects: list parameters, a parameter written into,
        decorators, a return that reads what was written."""
        r = self.rng
        self.written = []
        if self.chance(self.cfg.p_list_param):
            j = r.randrange(len([p for p in params if p[2] is None]))
            pn = params[j][0]
            T = self.list_shape()
            params[j] = (pn, T, None)
            del env.vars[pn]
            env.lists[pn] = T[1:]
        mut = ()
        pre, post = [], []
        cands = [j for j, (p, T, d) in enumerate(params) if d is None and not _islist(T)]
        if cands and self.chance(self.cfg.p_mut_helper):
            j = r.choice(cands)
            pn, T, _ = params[j]
            env.vars[pn] = Var(pn, T, True)
            if T != ():
                mut = (j,)
                self.written.append(pn)
            w = self.fx_mutate_param(pn, T, env)
            if self.chance(0.2) and ctx.nest == 0:
                w = [f"if {self.cond(env, 1)}:"] + ["    " + ln for ln in w]
            if self.chance(0.65):
                pre = w
            else:
                post = w
        body, _ = self.block(env, ctx, r.randint(1, 4))
        sig = [p if dft is None else f"{p}={dft}" for p, _, dft in params]
        if kwonly:
            sig += ["*"] + [f"{p}={dft}" for p, _, dft in kwonly]
        lines = [f"def {name}({', '.join(sig)}):"] + ["    " + ln for ln in pre + body + post]
        if mut and ret == params[mut[0]][1] and self.chance(0.2):
            lines.append(f"    return {params[mut[0]][0]}")      # the array it wrote into
        else:
            lines.append(f"    return {self.fx_ret(env, ret)}")
        one = len(params) == 1 and not kwonly
        n0 = len(lines)
        lines = self.fx_decorate(lines, one, _tup(ret), self.cfg.p_deco_helper, one and _islist(params[0][1]))
        posonly = any(ln.startswith("@") and DECORATORS[ln[1:].split("(")[0]][0] == "one"
                      for ln in lines[:len(lines) - n0])
        self.helpers.append(Helper(name, params, kwonly, ret, mut, posonly))
        return lines

    def fx_read(self, env, name):
        """A scalar term reading the array variable ``name``."""
        return self.pick([f"np.sum({name})", f"np.sum({name} * {name})", f"np.sum(np.sin({name}))",
                          f"{name}.sum()", f"np.mean({name})"])

    def fx_ret(self, env, ret):
        d = self.rng.randint(0, 2)
        parts = [self.expr(T, d, env, noalias=True) for T in (ret[1] if _tup(ret) else (ret,))]
        written = [w for w in self.written if w in env.vars and env.vars[w].shape != ()]
        if written and self.chance(0.7):
            parts[0] = E(f"{parts[0]} + {self.fx_read(env, self.rng.choice(written))}")
        return ", ".join(parts)

    def fx_final(self, env, ret):
        """f's return, plus terms reading the arrays written and the lists."""
        terms = []
        for w in self.written:
            if w in env.vars and env.vars[w].shape != () and not re.search(rf"\b{w}\b", ret) \
                    and self.chance(0.8):
                terms.append(self.fx_read(env, w))
        for ls, (S, K) in env.lists.items():
            if self.chance(0.7):
                e = self.fx_list_read(ls, S, K, (), env, two_way=self.chance(0.5))
                if e is not None:
                    terms.append(e)
        return " + ".join([ret] + terms[:4])

    def s_mutcall(self, env, ctx):
        """Call a helper that writes into its array argument, with an array the caller owns."""
        r = self.rng
        hs = [h for h in self.helpers if h.mut]
        if not hs:
            return None
        h = r.choice(hs)
        lines, fixed = [], {}
        for k in h.mut:
            T = h.params[k][1]
            vs = [v for v in self.owned_targets(env, ctx, T) if v.name not in fixed.values()]
            if vs and self.chance(0.6):
                fixed[k] = r.choice(vs).name
            else:
                nm, line = self.fx_owned(env, T)
                lines.append(line)
                fixed[k] = nm
            if fixed[k] not in self.written:
                self.written.append(fixed[k])
        call = self.call_text(h, r.randint(0, 1), env, fixed=fixed)
        form = self.pick(["stmt", "if", "assign"], [4, 2 if ctx.nest < self.cfg.max_nest else 0, 4])
        if form == "stmt":
            return lines + [call]
        if form == "if":
            if _tup(h.ret):
                t = f"np.sum({call}[{self.pick(['0', '1', '-1'])}])"
            else:
                t = call if h.ret == () else f"np.sum({call})"
            lines.append(f"if {t} {self.pick(['<', '>', '<=', '>='])} {self.const(-1.0, 1.0)}:")
            body, _ = self.block(env.copy(), ctx.inner(), r.randint(1, 2))
            lines += ["    " + ln for ln in body]
            if self.chance(0.4):
                body, _ = self.block(env.copy(), ctx.inner(), r.randint(1, 2))
                lines += ["else:"] + ["    " + ln for ln in body]
            return lines
        if _tup(h.ret):
            names = []
            for T in h.ret[1]:
                nm = self.name("v")
                env.vars[nm] = Var(nm, T, T == ())
                names.append(nm)
            return lines + [f"{', '.join(names)} = {call}"]
        nm = self.name("v")
        env.vars[nm] = Var(nm, h.ret, h.ret == ())
        return lines + [f"{nm} = {call}"]

    # -------------------------------------------------------------------- lists
    def list_shape(self, for_f=False):
        """("list", S, K): K items of shape S."""
        r = self.rng
        arrays = [s for s in self.shapes if s and (len(s) == 1 or not for_f)]
        S = () if not arrays or self.chance(0.5) else r.choice(arrays)
        return ("list", S, r.randint(2, 4))

    def list_arg(self, s, d, env):
        """An argument for a list parameter: a list variable or a list display."""
        S, K = s[1], s[2]
        same = [n for n, sk in env.lists.items() if sk == (S, K)]
        if same and self.chance(0.7):
            return E(self.rng.choice(same), fresh=False)
        return E("[" + ", ".join(self.expr(S, d, env, noalias=True) for _ in range(K)) + "]")

    def s_list(self, env, ctx):
        r = self.rng
        want = [h.params[j][1] for h in self.helpers for j in range(len(h.params)) if _islist(h.params[j][1])]
        if want and self.chance(0.5):
            _, S, K = r.choice(want)
        else:
            _, S, K = self.list_shape()
        items = []
        for _ in range(K):
            if self.chance(0.2):
                c = self.const()
                items.append(c if S == () else self.pick([f"np.ones({S!r})", f"np.full({S!r}, {c})"]))
            else:
                items.append(self.expr(S, self.pick([0, 1, 2], [3, 4, 2]), env))
        name = self.name("ls")
        lines = [f"{name} = [{', '.join(items)}]" if self.chance(0.85) else f"{name} = ({', '.join(items)})"]
        if lines[0].endswith("]") and self.chance(0.05):
            lines.append(f"{name}[{self.int_index(env, K)}] = {self.expr(S, 1, env)}")
        env.lists[name] = (S, K)
        if self.chance(0.6):
            T = self.pick([(), S]) if S != () else ()
            e = self.fx_list_read(name, S, K, T, env, two_way=self.chance(0.7))
            if e is not None:
                v = self.name("v")
                env.vars[v] = Var(v, T, T == ())
                lines.append(f"{v} = {e}")
        return lines

    def e_listread(self, T, d, env, noalias, fresh):
        items = list(env.lists.items())
        self.rng.shuffle(items)
        for ls, (S, K) in items:
            e = self.fx_list_read(ls, S, K, T, env, two_way=self.chance(0.4))
            if e is not None and (e.fresh or not fresh):
                return e
        return None

    def fx_list_read(self, ls, S, K, T, env, two_way=False):
        """An expression of shape T reading the list ls (K items of shape S), or None.
        ``two_way``: read it both whole (stacked) and by item."""
        r = self.rng
        i = self.int_index(env, K)
        whole, items = [], []
        if T == S:
            items += [E(f"{ls}[{i}]", fresh=(S == ())), E(f"np.stack({ls})[{i}]"), E(f"np.array({ls})[{i}]")]
            whole += [E(f"np.stack({ls})[{i}]"), E(f"np.array({ls})[{i}]"), E(f"np.sum(np.stack({ls}), axis=0)"),
                      E(f"np.mean(np.array({ls}), axis=0)")]
        if T == () and S != ():
            items += [E(f"np.sum({ls}[{i}])"), E(f"{ls}[{i}].sum()")]
            whole += [E(f"np.sum(np.stack({ls}))"), E(f"np.mean(np.array({ls}))"),
                      E(f"np.sum(np.stack({ls})[{i}])")]
        if T == () and S == ():
            whole += [E(f"np.sum(np.stack({ls}))"), E(f"np.mean(np.array({ls}))"),
                      E(f"np.stack({ls}) @ np.array({ls})"), E(f"np.max(np.stack({ls}))")]
        if T == (K,) + S:
            whole += [E(f"np.stack({ls})"), E(f"np.array({ls})")]
        if len(S) == 1 and T == (S[0], K):
            whole += [E(f"np.stack({ls}, axis=1)"), E(f"np.stack({ls}, axis=-1)")]
        if not whole and not items:
            return None
        if two_way and whole and items:
            a, b = r.choice(whole), r.choice(items)
            return E(f"{a} + {b}" if self.chance(0.5) else f"{b} * {a}" if T == () else f"{a} - {b}")
        return r.choice(whole + items)

    # --------------------------------------------------------------- decorators
    def fx_decorate(self, lines, one, tuple_ret, p, list_arg=False):
        """Maybe put decorators (module-level, functools.wraps) on a function:
        ``one``: it takes one positional argument (a list if ``list_arg``)."""
        if not self.chance(p):
            return lines
        fits = [k for k, (kind, changes, _) in DECORATORS.items()
                if (kind != "one" or one) and not (changes and tuple_ret)
                and not (k == "doubled_arg" and list_arg)]
        weights = [{"one": 4, "star": 2, "factory": 2, "plain": 1}[DECORATORS[k][0]] for k in fits]
        decos = []
        for _ in range(2 if self.chance(0.2) else 1):
            k = self.pick(fits, weights)
            if k not in self.decos_used:
                self.decos_used.append(k)
            decos.append(f"@{k}({self.pos_const(0.5, 1.5)})" if DECORATORS[k][0] == "factory" else f"@{k}")
        return decos + lines

    # ================================================================= writes
    # Reached only with ``config.writes`` (WritesConfig), through hooks that
    # draw no random numbers otherwise.
    #
    # Targets: local arrays marked ``aug`` (fresh, nothing else refers to
    # them; ``noalias`` keeps them from being aliased) and arguments of ``f``
    # marked ``aug`` in ``main`` (f writes into the caller's array: Python's
    # meaning is well defined, the oracle gives every call fresh copies and
    # checks diffc leaves the caller's arrays alone).  ``np.empty`` arrays are
    # only made where a loop without jumps writes every element before
    # anything reads them.  ``s_wview`` makes the one deliberate alias: a view
    # of a written array read after the write (refused, or right; never wrong).

    def w_mark(self, y):
        if y not in self.written:
            self.written.append(y)

    def w_owned(self, env, T, empty=False):
        """A new array of shape T nothing else refers to: (name, line). ``empty``:
        np.empty/np.empty_like (the caller fills every element before reading)."""
        r = self.rng
        src = [v.name for v in env.vars.values() if v.shape == T]
        if empty:
            e = f"np.empty_like({r.choice(src)})" if src and self.chance(0.3) else \
                self.pick([f"np.empty({T!r})", f"np.empty({T[0]})" if len(T) == 1 else f"np.empty({T!r})"])
        else:
            kinds = [("zeros", 3), ("like", 1 if src else 0), ("full", 2), ("copy", 4 if src else 0),
                     ("arith", 2 if src else 0), ("array", 1), ("expr", 1)]
            kind = self.pick([k for k, _ in kinds], [w for _, w in kinds])
            v = r.choice(src) if src else None
            if kind == "zeros":
                e = self.pick([f"np.zeros({T!r})", f"np.ones({T!r})",
                               f"np.zeros({T[0]})" if len(T) == 1 else f"np.zeros({T!r})"])
            elif kind == "like":
                e = self.pick([f"np.zeros_like({v})", f"np.ones_like({v})", f"np.full_like({v}, {self.const()})"],
                              [4, 2, 1])
            elif kind == "full":
                e = f"np.full({T!r}, {self.const()})"
            elif kind == "copy":
                e = self.pick([f"{v}.copy()", f"np.copy({v})", f"np.array({v})"], [4, 2, 1])
            elif kind == "arith":
                e = self.pick([f"{v} * 1.0", f"2.0 * {v}", f"{v} + 0.0", f"np.sin({v})", f"-{v}"])
            elif kind == "array":
                if len(T) == 1:
                    e = "np.array([" + ", ".join(self.expr((), 1, env) for _ in range(T[0])) + "])"
                else:
                    rows = ["[" + ", ".join(self.expr((), 0, env) for _ in range(T[1])) + "]"
                            for _ in range(T[0])]
                    e = "np.array([" + ", ".join(rows) + "])"
            else:
                e = self.expr(T, self.edepth(), env, noalias=True, fresh=True)
                if not e.fresh:
                    e = f"{self.paren(e)}.copy()"
        name = self.name("v")
        env.vars[name] = Var(name, T, True)
        return name, f"{name} = {e}"

    def w_target(self, env, ctx, ok=None, p_old=0.65):
        """An array to write into: an owned one in scope, or a new one. Returns
        (name, shape, lines) or None; ``ok(shape)`` filters the shapes."""
        vs = [v for v in self.owned_targets(env, ctx) if ok is None or ok(v.shape)]
        if vs and self.chance(p_old):
            v = self.rng.choice(vs)
            return v.name, v.shape, []
        shapes = [s for s in self.shapes if s and (ok is None or ok(s))]
        if not shapes:
            return None
        T = self.rng.choice(shapes)
        name, line = self.w_owned(env, T)
        return name, T, [line]

    def w_slice(self, L):
        """(slice text, length) selecting part of an axis of length L."""
        fixed = [(":", L), ("::-1", L), ("::2", (L + 1) // 2)]
        if L >= 2:
            fixed += [("1:", L - 1), (":-1", L - 1), ("1::2", L // 2)]
        if L >= 3:
            fixed += [("1:-1", L - 2), ("2:", L - 2), (":-2", L - 2)]
        if self.chance(0.5):
            return self.rng.choice(fixed)
        K = self.rng.randint(1, L)
        return self.slice_for(L, K), K

    def w_index(self, env, T):
        """(index text, shape of the part) for a write into an array of shape T."""
        r = self.rng
        if len(T) == 1:
            L = T[0]
            kind = self.pick(["int", "slice", "list"], [5, 4, 2])
            if kind == "int":
                return self.int_index(env, L), ()
            if kind == "slice":
                s, K = self.w_slice(L)
                return s, (K,)
            K = r.randint(1, min(L + 1, 4))
            idx = self.int_list(L, K)
            return (idx if self.chance(0.5) else f"np.array({idx})"), (K,)
        a, b = T
        kind = self.pick(["ij", "row", "col", "rowpart", "colpart", "rows", "block", "listrows", "pairs",
                          "listcols"], [5, 3, 3, 2, 2, 2, 2, 1, 1, 1])
        i, j = self.int_index(env, a), self.int_index(env, b)
        if kind == "ij":
            return f"{i}, {j}", ()
        if kind == "row":
            return self.pick([i, f"{i}, :"]), (b,)
        if kind == "col":
            return f":, {j}", (a,)
        if kind == "rowpart":
            s, K = self.w_slice(b)
            return f"{i}, {s}", (K,)
        if kind == "colpart":
            s, K = self.w_slice(a)
            return f"{s}, {j}", (K,)
        if kind == "rows":
            s, K = self.w_slice(a)
            return self.pick([s, f"{s}, :"]), (K, b)
        if kind == "block":
            s1, K1 = self.w_slice(a)
            s2, K2 = self.w_slice(b)
            return f"{s1}, {s2}", (K1, K2)
        if kind == "listrows":
            K = r.randint(1, 3)
            return self.int_list(a, K), (K, b)
        if kind == "pairs":
            K = r.randint(1, 3)
            return f"{self.int_list(a, K)}, {self.int_list(b, K)}", (K,)
        K = r.randint(1, 3)
        return f":, {self.int_list(b, K)}", (a, K)

    def w_expr(self, S, env, d=None):
        """An expression of shape S (S need not be a menu shape)."""
        d = self.pick([0, 1, 2], [3, 4, 2]) if d is None else d
        if S == () or S in self.shapes:
            return self.expr(S, d, env)
        if len(S) == 1:
            e = self.vec_of_len(S[0], d, env)
            return e if e is not None else E(f"np.full({S!r}, {self.const()})")
        big = [U for U in self.shapes if len(U) == 2 and U[0] >= S[0] and U[1] >= S[1]]
        if big and self.chance(0.8):
            U = self.rng.choice(big)
            b = self.expr(U, d, env)
            return E(f"{self.paren(b)}[{self.slice_for(U[0], S[0])}, {self.slice_for(U[1], S[1])}]")
        return E(f"np.full({S!r}, {self.const()})")

    def w_value(self, U, env, op="=", part=None):
        """A value for ``part op= value`` where the part has shape U; ``part`` (its
        text) may be read back in the value."""
        if op == "**=":
            return self.pick(["2", "2.0", "3"], [3, 2, 1])
        shapes = [()] + [s for s in self.shapes if s and _bshape(s, U) == U]
        if U and U not in shapes:
            shapes.append(U)
        S = self.rng.choice(shapes)
        if op == "/=":
            if S == () or S in self.shapes:
                return E(self.denom(S, self.pick([0, 1, 2]), env))
            return E(f"(1.5 + {self.sq(self.w_expr(S, env))})")
        if self.chance(0.15):
            e = self.const()
        else:
            e = self.w_expr(S, env)
        if op == "*=":
            return E(self.pick([f"np.tanh({e})", f"(1.0 + 0.5 * np.sin({e}))", f"np.cos({e})",
                                f"{self.pos_const(0.5, 1.5)}"]))
        if part is not None and op == "=" and self.chance(0.35):
            c = self.const(-0.9, 0.9)
            e = E(self.pick([f"{part} * {self.paren(e)}", f"{c} * {part} + {self.paren(e)}",
                             f"np.sin({part}) + {self.paren(e)}", f"{part} ** 2 - {self.paren(e)}"]))
        return e

    def w_op(self):
        return self.pick(["=", "+=", "-=", "*=", "/=", "**="], [10, 4, 2, 3, 1, 1])

    def s_write(self, env, ctx):
        """One write: ``y[index] op= value`` (also masks and index arrays)."""
        t = self.w_target(env, ctx)
        if t is None:
            return None
        y, T, lines = t
        self.w_mark(y)
        if self.chance(0.15):
            return lines + [self.w_mask_write(y, T, env)]
        if len(T) == 2 and self.chance(self.cfg.p_chained):
            i, j = self.int_index(env, T[0]), self.int_index(env, T[1])
            return lines + [f"{y}[{i}][{j}] {self.pick(['=', '+='])} {self.w_value((), env)}"]
        idx, U = self.w_index(env, T)
        op = self.w_op()
        part = f"{y}[{idx}]"
        if op == "**=" and not self.chance(0.5):
            op = "*="
        return lines + [f"{part} {op} {self.w_value(U, env, op, part)}"]

    def w_mask_write(self, y, T, env):
        r = self.rng
        same = [v.name for v in env.vars.values() if v.shape == T]
        if len(T) == 2 and (T[0],) in self.shapes and self.chance(0.25):
            # a 1-D mask selecting rows: the part is (k, T[1])
            vs = [v.name for v in env.vars.values() if v.shape == (T[0],)]
            src = r.choice(vs) if vs and self.chance(0.7) else self.paren(self.expr((T[0],), 1, env))
            cond = f"{src} {self.pick(['<', '>'])} {self.const(-1.0, 1.0)}"
            val = self.pick([self.const(), self.paren(self.w_expr((), env)),
                             self.paren(self.w_expr((T[1],), env))])
            return f"{y}[{cond}] {self.pick(['=', '+='])} {val}"
        src = y if self.chance(0.4) else (r.choice(same) if same and self.chance(0.6)
                                          else self.paren(self.expr(T, 1, env)))
        cond = f"{src} {self.pick(['<', '>', '<=', '>='])} {self.const(-1.0, 1.0)}"
        if self.chance(0.15):
            cond = f"~({cond})"
        kind = self.pick(["const", "scalar", "masked", "self", "aug", "mul"], [2, 3, 3, 3, 2, 1])
        if kind == "const":
            return f"{y}[{cond}] = {self.const()}"
        if kind == "scalar":
            return f"{y}[{cond}] = {self.w_expr((), env)}"
        if kind == "masked":
            return f"{y}[{cond}] = {self.paren(self.w_expr(T, env))}[{cond}]"
        if kind == "self":
            part = f"{y}[{cond}]"
            return f"{part} = {self.pick([f'0.5 * {part} ** 2', f'np.sin({part})', f'{part} * {self.const()}'])}"
        if kind == "aug":
            return f"{y}[{cond}] {self.pick(['+=', '-='])} {self.w_expr((), env)}"
        return f"{y}[{cond}] *= {self.w_value((), env, '*=')}"

    def w_env(self, env, drop=()):
        """env without the variables ``drop`` (np.empty arrays not yet filled)."""
        e = env.copy()
        for n in drop:
            e.vars.pop(n, None)
        return e

    def w_at(self, env, i, L, d=None):
        """A scalar for position i (an int in range(L)) reading arrays at i."""
        r = self.rng
        reads = []
        for v in env.vars.values():
            if not v.shape or v.shape[0] == "tuple":
                continue
            k = i if v.shape[0] >= L else f"{i} % {v.shape[0]}"
            if len(v.shape) == 1:
                reads.append(f"{v.name}[{k}]")
            else:
                reads.append(self.pick([f"np.sum({v.name}[{k}])", f"{v.name}[{k}, {self.int_index(env, v.shape[1])}]",
                                        f"{v.name}[{k}].mean()"]))
        e = self.expr((), self.pick([0, 1, 2], [3, 4, 2]) if d is None else d, env)
        if not reads or self.chance(0.1):
            return E(self.pick([f"{self.paren(e)} + 0.1 * {i}", str(e)]))
        a = r.choice(reads)
        return E(self.pick([f"{a} * {self.paren(e)}", f"np.sin({a}) + {self.paren(e)}", f"{a} ** 2 - {self.paren(e)}",
                            f"{self.const()} * {a} + {self.paren(e)}", f"np.tanh({a} * {self.paren(e)})",
                            f"{a} + 0.1 * {i}"], [4, 3, 2, 3, 2, 1]))

    def w_range(self, y, L, start=0):
        """Loop head text over start..L-1 for the array y (length L on axis 0)."""
        if start == 0:
            return self.pick([f"range({L})", f"range(len({y}))", f"range({y}.shape[0])"])
        return self.pick([f"range({start}, {L})", f"range({start}, len({y}))", f"range({start}, {y}.shape[0])"])

    def w_extra(self, env, ctx, loop_vars=()):
        """Maybe a few random statements inside a loop body the pattern made."""
        if ctx.nest + 1 >= self.cfg.max_nest or not self.chance(0.35):
            return []
        body, _ = self.block(env, ctx.inner(loop=True, loop_vars=loop_vars), self.rng.randint(1, 2))
        return body

    def s_wfill(self, env, ctx):
        """A preallocated array filled in a for loop (``out[i] = expr``)."""
        r = self.rng
        T = r.choice([s for s in self.shapes if s])
        empty = self.chance(self.cfg.p_empty)
        y, line = self.w_owned(env, T, empty=empty)
        self.w_mark(y)
        benv = self.w_env(env, [y] if empty else [])
        lines = [line]
        i = self.name("i")
        if len(T) == 1:
            L = T[0]
            head = self.w_range(y, L)
            if not empty and self.chance(0.2):
                head = self.pick([f"reversed({head})", f"range(0, {L}, 2)", f"range({L} - 1, -1, -1)"])
            benv.ints[i] = (0, L)
            body = [f"{y}[{i}] = {self.w_at(benv, i, L)}"]
            if self.chance(0.25):           # read back what this iteration wrote
                body.append(f"{y}[{i}] {self.pick(['+=', '*=', '='])} "
                            f"{self.pick([f'0.5 * {y}[{i}]', f'np.cos({y}[{i}])', f'{y}[{i}] ** 2'])}")
            if not empty:
                body += self.w_extra(benv, ctx)
            return lines + [f"for {i} in {head}:"] + ["    " + ln for ln in body]
        a, b = T
        kind = self.pick(["ij", "rows", "cols"])
        if kind == "ij":
            j = self.name("i")
            benv.ints[i] = (0, a)
            benv.ints[j] = (0, b)
            reads = [f"{v.name}[{i}, {j}]" for v in benv.vars.values() if v.shape == T]
            e = self.w_at(benv, i, a) if self.chance(0.5) else self.w_at(benv, j, b)
            if reads and self.chance(0.5):
                e = E(f"{r.choice(reads)} * {self.paren(e)}")
            return lines + [f"for {i} in {self.w_range(y, a)}:",
                            f"    for {j} in range({self.pick([str(b), f'{y}.shape[1]'])}):",
                            f"        {y}[{i}, {j}] = {e}"]
        if kind == "rows":
            benv.ints[i] = (0, a)
            v = self.w_expr((b,), benv)
            body = [f"{y}[{self.pick([i, f'{i}, :'])}] = {self.paren(v)} * {self.paren(self.w_at(benv, i, a, 0))}"]
            if not empty:
                body += self.w_extra(benv, ctx)
            return lines + [f"for {i} in {self.w_range(y, a)}:"] + ["    " + ln for ln in body]
        benv.ints[i] = (0, b)
        v = self.w_expr((a,), benv)
        body = [f"{y}[:, {i}] = {self.paren(v)} + {self.paren(self.w_at(benv, i, b, 0))}"]
        if not empty:
            body += self.w_extra(benv, ctx)
        return lines + [f"for {i} in range({self.pick([str(b), f'{y}.shape[1]', f'{y}.shape[-1]'])}):"] + \
            ["    " + ln for ln in body]

    def w_coef(self, env, i, L):
        """A coefficient for a recurrence (bounded, mostly)."""
        vs = [v.name for v in env.vars.values() if v.shape and len(v.shape) == 1 and v.shape[0] >= L]
        opts = [str(self.const(-0.9, 0.9)), f"0.8 * np.tanh({self.expr((), 1, env)})",
                f"0.5 * np.cos({self.expr((), 1, env)})"]
        if vs:
            x = self.rng.choice(vs)
            opts += [f"{x}[{i}]", f"np.tanh({x}[{i}])"]
        return self.pick(opts)

    def s_wrec(self, env, ctx):
        """A recurrence: ``y[i] = c * y[i - 1] + e`` reads what the previous iteration wrote."""
        r = self.rng
        shapes = [s for s in self.shapes if s and s[0] >= 2]
        if not shapes:
            return None
        T = r.choice(shapes)
        L = T[0]
        kind = self.pick(["fwd", "bwd", "two", "aug", "nonlin"], [5, 2, 2 if L >= 3 else 0, 2, 2])
        if kind == "aug":
            t = self.w_target(env, ctx, ok=lambda s: s == T, p_old=0.5)
            y, _, lines = t
            empty = False
        else:
            owned = [v for v in self.owned_targets(env, ctx, T)]
            empty = self.chance(self.cfg.p_empty)
            if owned and self.chance(0.3):
                y, lines, empty = r.choice(owned).name, [], False
            else:
                y, line = self.w_owned(env, T, empty=empty)
                lines = [line]
        self.w_mark(y)
        benv = self.w_env(env, [y] if empty else [])
        i = self.name("i")
        S = T[1:]
        inits = [self.paren(self.w_expr(S, benv, 1)) for _ in range(2)]     # before i is bound
        init = lambda: inits.pop()              # noqa: E731
        step = lambda k: self.w_at(benv, k, L, 1) if S == () else self.w_expr(S, benv, 1)   # noqa: E731
        if kind == "fwd":
            benv.ints[i] = (1, L)
            c = self.w_coef(benv, i, L)
            lines += [f"{y}[0] = {init()}", f"for {i} in {self.w_range(y, L, 1)}:",
                      f"    {y}[{i}] = {c} * {y}[{i} - 1] + {self.paren(step(i))}"]
        elif kind == "bwd":
            benv.ints[i] = (0, L - 1)
            c = self.w_coef(benv, i, L)
            lines += [f"{y}[{self.pick([str(L - 1), '-1'])}] = {init()}",
                      f"for {i} in range({L - 2}, -1, -1):",
                      f"    {y}[{i}] = {c} * {y}[{i} + 1] + {self.paren(step(i))}"]
        elif kind == "two":
            benv.ints[i] = (2, L)
            c1, c2 = self.const(-0.6, 0.6), self.const(-0.4, 0.4)
            lines += [f"{y}[0] = {init()}", f"{y}[1] = {init()}", f"for {i} in {self.w_range(y, L, 2)}:",
                      f"    {y}[{i}] = {c1} * {y}[{i} - 1] + {c2} * {y}[{i} - 2] + {self.paren(step(i))}"]
        elif kind == "aug":
            benv.ints[i] = (1, L)
            c = self.w_coef(benv, i, L)
            lines += [f"for {i} in {self.w_range(y, L, 1)}:",
                      f"    {y}[{i}] {self.pick(['+=', '-='])} {c} * {y}[{i} - 1]"]
        else:
            benv.ints[i] = (1, L)
            lines += [f"{y}[0] = {init()}", f"for {i} in {self.w_range(y, L, 1)}:",
                      f"    {y}[{i}] = {self.pick(['np.sin', 'np.tanh', 'np.cos'])}({y}[{i} - 1]) * "
                      f"{self.paren(step(i))} + {self.const(-0.5, 0.5)}"]
        if not empty and kind != "bwd":
            extra = self.w_extra(benv, ctx)
            lines += ["    " + ln for ln in extra]
        return lines

    def s_wover(self, env, ctx):
        """Overwrite then read the same element (or part)."""
        t = self.w_target(env, ctx)
        if t is None:
            return None
        y, T, lines = t
        self.w_mark(y)
        if self.chance(0.35) and ctx.nest < self.cfg.max_nest:
            L = T[0]
            i = self.name("i")
            benv = env.copy()
            benv.ints[i] = (0, L)
            part = f"{y}[{i}]"
            U = T[1:]
            first = self.w_at(benv, i, L) if U == () else self.w_expr(U, benv)
            second = self.pick([f"{part} * {self.paren(self.w_expr((), benv, 1))} + {part}",
                                f"np.sin({part}) + {y}[{i} - 1]", f"{part} ** 2 + {self.const()}"])
            return lines + [f"for {i} in {self.w_range(y, L)}:", f"    {part} = {first}",
                            f"    {part} = {second}"]
        idx, U = self.w_index(env, T)
        part = f"{y}[{idx}]"
        first = f"{part} = {self.w_value(U, env)}"
        kind = self.pick(["same", "via", "other"], [4, 2, 2])
        if kind == "same":
            return lines + [first, f"{part} = {part} * {self.paren(self.w_value(U, env, '*='))} + {part}"]
        if kind == "via" and U == ():
            s = self.name("v")
            out = [first, f"{s} = {part} * {self.paren(self.w_expr((), env, 1))}",
                   f"{part} = {s} + {part} ** 2"]
            env.vars[s] = Var(s, (), True)
            return lines + out
        idx2, U2 = self.w_index(env, T)
        read = f"np.sum({part})" if U else part
        return lines + [first, f"{y}[{idx2}] {self.pick(['=', '+='])} {read} * {self.paren(self.w_value(U2, env))}"]

    def s_wstencil(self, env, ctx):
        """``u[1:-1] = u[1:-1] + k * (u[2:] - 2 * u[1:-1] + u[:-2])`` and kin, repeated."""
        r = self.rng
        shapes = [s for s in self.shapes if s and (s[0] >= 3 or len(s) == 2 and s[1] >= 3)]
        if not shapes:
            return None
        t = self.w_target(env, ctx, ok=lambda s: s in shapes, p_old=0.5)
        if t is None:
            return None
        u, T, lines = t
        self.w_mark(u)
        axes = [ax for ax in range(len(T)) if T[ax] >= 3]
        ax = r.choice(axes)

        def at(s):          # u sliced along ax
            if len(T) == 1:
                return f"{u}[{s}]"
            return f"{u}[{s}, :]" if ax == 0 and self.chance(0.5) else (f"{u}[{s}]" if ax == 0 else f"{u}[:, {s}]")
        if self.chance(0.5):
            k = str(self.pos_const(0.05, 0.45))
        else:
            k = self.name("v")
            lines.append(f"{k} = {self.pick(['0.2', '0.25', '0.1'])} * "
                         f"(1.0 + np.tanh({self.expr((), 1, env)}))")
            env.vars[k] = Var(k, (), True)
        kind = self.pick(["heat", "heataug", "upwind", "mul", "source", "bc"], [4, 2, 2, 2, 2, 2])
        mid, right, left = at("1:-1"), at("2:"), at(":-2")
        if kind == "heat":
            body = [f"{mid} = {mid} + {k} * ({right} - 2 * {mid} + {left})"]
        elif kind == "heataug":
            body = [f"{mid} += {k} * ({right} - 2.0 * {mid} + {left})"]
        elif kind == "upwind":
            body = [f"{at('1:')} = {at('1:')} - {k} * ({at('1:')} - {at(':-1')})"]
        elif kind == "mul":
            body = [f"{mid} *= 1.0 + {k} * np.sin({right} - {left})"]
        elif kind == "source":
            src = f"{self.pos_const(0.05, 0.3)} * np.sin({mid})"
            body = [f"{mid} = {mid} + {k} * ({right} - 2 * {mid} + {left}) + {src}"]
        else:
            first, last = (at("0"), at("-1")) if len(T) == 1 or ax == 0 else (f"{u}[:, 0]", f"{u}[:, -1]")
            second, penult = (at("1"), at("-2")) if len(T) == 1 or ax == 0 else (f"{u}[:, 1]", f"{u}[:, -2]")
            body = [f"{mid} = {mid} + {k} * ({right} - 2 * {mid} + {left})",
                    f"{first} = {second}", f"{last} = {self.pick([penult, f'0.5 * {penult}'])}"]
        if ctx.nest >= self.cfg.max_nest or self.chance(0.15):
            return lines + body
        K = r.randint(1, 4)
        head = f"range({self.int_param})" if self.int_param is not None and self.chance(0.3) else f"range({K})"
        return lines + [f"for {self.name('i')} in {head}:"] + ["    " + ln for ln in body]

    def s_wbranch(self, env, ctx):
        """A for loop writing in if/else branches."""
        r = self.rng
        t = self.w_target(env, ctx)
        if t is None:
            return None
        y, T, lines = t
        self.w_mark(y)
        L = T[0]
        U = T[1:]
        i = self.name("i")
        benv = env.copy()
        benv.ints[i] = (0, L)
        reads = [f"{v.name}[{i if v.shape[0] >= L else f'{i} % {v.shape[0]}'}]" for v in benv.vars.values()
                 if v.shape and v.shape[0] != "tuple" and len(v.shape) == 1]
        if reads and self.chance(0.7):
            rhs = self.pick([self.const(-1.0, 1.0), self.paren(self.sexpr(benv, 1))])
            cond = f"{r.choice(reads)} {self.pick(['<', '>'])} {rhs}"
        else:
            cond = self.cond(benv, 1)

        def val(op, part):
            if U == () and op == "=" and self.chance(0.6):
                return self.w_at(benv, i, L)
            return self.w_value(U, benv, op, part)
        other = self.pick([f"{L - 1} - {i}", f"-1 - {i}", f"({i} + 1) % {L}", i])
        op1, op2 = self.pick(["=", "+="], [3, 1]), self.pick(["=", "+=", "-=", "*="], [2, 3, 1, 1])
        body = [f"if {cond}:", f"    {y}[{i}] {op1} {val(op1, f'{y}[{i}]')}"]
        if self.chance(0.3):
            body += [f"elif {self.cond(benv, 1)}:", f"    {y}[{other}] {op2} {val(op2, f'{y}[{other}]')}"]
        if self.chance(0.8):
            body += ["else:", f"    {y}[{other}] {op2} {val(op2, f'{y}[{other}]')}"]
        return lines + [f"for {i} in {self.w_range(y, L)}:"] + ["    " + ln for ln in body]

    def s_wwhile(self, env, ctx):
        """A while loop writing ``y[k] = s`` while a condition on s holds."""
        t = self.w_target(env, ctx)
        if t is None:
            return None
        y, T, lines = t
        self.w_mark(y)
        L = T[0]
        U = T[1:]
        k, s = self.name("k"), self.name("v")
        benv = env.copy()
        benv.ints[k] = (0, L)
        lines += [f"{k} = 0", f"{s} = {self.w_expr((), env, 1)}"]
        env.vars[s] = Var(s, (), True)
        benv.vars[s] = Var(s, (), True)
        lim = self.const(-0.5, 2.5)
        op = self.pick(["<", ">"])
        if op == ">":
            lim = self.const(-2.5, 0.5)
        form = self.pick(["and", "break"])
        val = s if U == () and self.chance(0.5) else (
            f"{s} * {self.paren(self.w_expr(U, benv, 1))}" if U else f"{s} * {self.paren(self.w_at(benv, k, L, 1))}")
        upd = f"{s} = {self.pos_const(0.5, 1.3)} * {s} + {self.paren(self.w_at(benv, k, L, 1))}"
        wr = f"{y}[{k}] {self.pick(['=', '+='], [3, 1])} {val}"
        if form == "and":
            head = f"while {k} < {L} and {s} {op} {lim}:" if self.chance(0.6) else \
                f"while {s} {op} {lim} and {k} < {L}:"
            body = [wr, upd, f"{k} += 1"]
        else:
            head = f"while {k} < {L}:"
            body = [wr, upd, f"{k} += 1", f"if {s} {'>' if op == '<' else '<'} {lim}:", "    break"]
        return lines + [head] + ["    " + ln for ln in body]

    def s_wview(self, env, ctx):
        """A view of a written array read after the write, or a write through a view
        of an array read later (diffc must refuse it or get it right, never wrong)."""
        r = self.rng
        t = self.w_target(env, ctx)
        if t is None:
            return None
        y, T, lines = t
        self.w_mark(y)
        vw = self.name("v")
        opts = [(f"{y}[1:]", (T[0] - 1,) + T[1:]), (f"{y}[::-1]", T), (y, T), (f"{y}[:]", T)]
        if len(T) == 2:
            opts += [(f"{y}[0]", (T[1],)), (f"{y}[:, -1]", (T[0],)), (f"{y}.T", (T[1], T[0])),
                     (f"{y}.reshape(-1)", (T[0] * T[1],))]
        else:
            opts += [(f"{y}.reshape(1, -1)", (1, T[0])), (f"{y}[:2]", (min(2, T[0]),))]
        view, V = r.choice(opts)
        lines.append(f"{vw} = {view}")
        if self.chance(0.7):
            idx, U = self.w_index(env, T)
            lines.append(f"{y}[{idx}] {self.pick(['=', '+='])} {self.w_value(U, env)}")
            self.must_read.append(f"np.sum({vw} * {vw})" if self.chance(0.5) else f"np.sum({vw})")
            if V in self.shapes:
                env.vars[vw] = Var(vw, V, False)
        else:
            # write through the view; y is read later
            if V and V[0] > 0:
                lines.append(f"{vw}[{self.int_index(env, V[0])}] = {self.w_value(V[1:], env)}")
            self.must_read.append(f"np.sum({y})")
        return lines

    def w_final(self, env, ret):
        """f's return, plus terms reading the arrays written and the views made."""
        terms = []
        for w in self.written:
            if w in env.vars and env.vars[w].shape != () and not re.search(rf"\b{w}\b", ret) \
                    and self.chance(0.85):
                terms.append(self.pick([f"np.sum({w} * {w})", f"np.sum(np.sin({w}))", f"{w}.sum()",
                                        f"np.sum({w})", f"np.mean({w} ** 2)"]))
        terms = terms[:4] + self.must_read
        self.must_read = []
        return " + ".join([ret] + terms)


# name -> (kind, changes the value, source).  kind: "star" wraps any signature
# (*args, **kwargs), "one" a single positional argument, "factory" takes a
# parameter, "plain" is built without functools.wraps.
DECORATORS = {
    "scale2": ("star", True, """def scale2(fn):
    @functools.wraps(fn)
    def w(*args, **kwargs):
        return 2.0 * fn(*args, **kwargs)
    return w"""),
    "times3": ("one", True, """def times3(fn):
    @functools.wraps(fn)
    def w(x):
        return fn(x) * 3.0
    return w"""),
    "shift": ("star", True, """def shift(fn):
    @functools.wraps(fn)
    def w(*args, **kwargs):
        return fn(*args, **kwargs) + 0.5
    return w"""),
    "squared": ("star", True, """def squared(fn):
    @functools.wraps(fn)
    def w(*args, **kwargs):
        r = fn(*args, **kwargs)
        return r * r
    return w"""),
    "doubled_arg": ("one", True, """def doubled_arg(fn):
    @functools.wraps(fn)
    def w(x):
        return fn(2.0 * x)
    return w"""),
    "ident": ("star", False, """def ident(fn):
    @functools.wraps(fn)
    def w(*args, **kwargs):
        return fn(*args, **kwargs)
    return w"""),
    "ident1": ("one", False, """def ident1(fn):
    @functools.wraps(fn)
    def w(x):
        return fn(x)
    return w"""),
    "scaled": ("factory", True, """def scaled(k):
    def deco(fn):
        @functools.wraps(fn)
        def w(*args, **kwargs):
            return k * fn(*args, **kwargs)
        return w
    return deco"""),
    "halved": ("plain", True, """def halved(fn):
    def w(*args, **kwargs):
        return 0.5 * fn(*args, **kwargs)
    return w"""),
}


def _has_var(text):
    return re.search(r"(?<![\w.])(?!np\b)[A-Za-z_]\w*", text) is not None


def _tup(s):
    return len(s) == 2 and s[0] == "tuple"


def _islist(s):
    return len(s) == 3 and s[0] == "list"


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
    if not config.writes:
        return Program(seed, src, args, wrt, extra_wrt=extra)
    tangents = None
    if config.forward:
        rt = random.Random(f"{seed}:{attempt}:{draw}:tangent")
        tangents = {}
        for i in wrt:
            x = args[i]
            if isinstance(x, np.ndarray):
                tangents[i] = np.array([round(rt.uniform(-1.0, 1.0), 3) for _ in range(x.size)],
                                       dtype=np.float64).reshape(x.shape)
            else:
                tangents[i] = round(rt.uniform(-1.0, 1.0), 3)
    return Program(seed, src, args, wrt, extra_wrt=extra, writes=True, tangents=tangents)


def generate(seed, config=Config):
    """The first candidate program of ``seed`` (the oracle may draw more)."""
    return generate_one(seed, 0, 0, config)
