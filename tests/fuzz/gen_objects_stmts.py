"""The statements of the ``--objects`` programs (a mixin of ``gen_objects.ObjectsGenerator``).

Objects, lists of objects, function variables and lists, list edits, dict
methods, nested writes, sets and lambdas used in place; see ``gen_objects``.
"""
from .gen import E, Var
from .gen_containers import CEnv, CVar, is_dict, is_leaf, is_list, is_tuple, key_text


class OEnv(CEnv):
    """CEnv plus objects, lists of objects, grids, function variables and lists."""

    def __init__(self, vars=None, ints=None, lists=None, conts=None, funcs=None,
                 objs=None, olists=None, grids=None, fvars=None, flists=None):
        super().__init__(vars, ints, lists, conts, funcs)
        self.objs = dict(objs or {})        # name -> OVar
        self.olists = dict(olists or {})    # name -> (class spec, K)
        self.grids = dict(grids or {})      # name -> (p, q, S): list of lists of owned arrays
        self.fvars = dict(fvars or {})      # name -> text of the function it holds
        self.flists = dict(flists or {})    # name -> K

    def copy(self):
        return OEnv(self.vars, self.ints, self.lists, self.conts, self.funcs,
                    self.objs, self.olists, self.grids, self.fvars, self.flists)


class OVar:
    """An object: kind ("dc", "nt", "ns", "bag"), fields {name: shape}, owned array fields
    (made by the function, written in place, read through copies only)."""
    __slots__ = ("name", "kind", "fields", "owned")

    def __init__(self, name, kind, fields, owned):
        self.name = name
        self.kind = kind
        self.fields = dict(fields)
        self.owned = frozenset(owned)


def _scalar_lists(env):
    return [c for c in env.conts.values() if c.owned and is_list(c.type) and c.type[1] == ()]


class StatementsMixin:
    # ---------------------------------------------------------------- dispatch
    def stmt(self, env, ctx):
        if not isinstance(env, OEnv):
            return super().stmt(env, ctx)
        can_nest = ctx.nest < self.cfg.max_nest
        kinds = [("new", 5), ("reassign", 5), ("aug", 3), ("tuple", 1)]
        if can_nest:
            kinds += [("if", 2.5), ("for", 2.5), ("while", 1)]
        if any(not h.mut for h in self.helpers):
            kinds.append(("callstmt", 2))
        if ctx.in_loop:
            kinds += [("jump", 1.5)]
        if not ctx.top or self.chance(0.5):
            kinds.append(("return", 1))
        c = self.cfg
        kinds += [("clist", c.w_list), ("cdict", c.w_dict), ("cwrite", c.w_cwrite), ("ctup", c.w_tuple),
                  ("oattr", c.w_oattr), ("fn", c.w_fn), ("dops", c.w_dops), ("nest", c.w_nest),
                  ("lam", c.w_lam)]
        if ctx.top:
            kinds += [("cmut", c.w_mut), ("obj", c.w_obj), ("ledit", c.w_ledit), ("set", c.w_set)]
        if can_nest:
            kinds += [("cloop", c.w_cloop), ("local", c.w_local)]
        for _ in range(10):
            kind = self.pick([k for k, _ in kinds], [w for _, w in kinds])
            out = getattr(self, "s_" + kind)(env, ctx)
            if out is not None:
                return out, False
        return self.s_new(env, ctx), False

    # ----------------------------------------------------------------- objects
    def owned_array(self, S, env):
        """A fresh array of shape S (an object or a grid may write into it)."""
        vs = [v for v in env.vars.values() if v.shape == S and not v.aug]
        if vs and self.chance(0.4):
            return E(f"np.copy({self.rng.choice(vs).name})")
        if self.chance(0.25):
            return E(self.pick([f"np.zeros({S!r})", f"np.full({S!r}, {self.const()})"]))
        return self.expr(S, self.pick([1, 2]), env, noalias=True, fresh=True)

    def construct(self, spec, env, owned_ok=True):
        """Constructor text of a class spec; the owned array fields."""
        name, kind, fields = spec
        vals, owned = [], set()
        for fname, S, dft in fields:
            if S != () and owned_ok and self.chance(0.6):
                e = self.owned_array(S, env)
                if e.fresh:
                    owned.add(fname)
            else:
                e = self.store(S, env, self.pick([0, 1]))
            vals.append((fname, e, dft))
        form = self.pick(["pos", "kw", "mixed"], [3, 2, 2])
        skip = vals[-1][2] is not None and self.chance(0.5)
        items = vals[:-1] if skip else vals
        if form == "pos":
            args = [str(e) for _, e, _ in items]
        elif form == "kw":
            items = list(items)
            self.rng.shuffle(items)
            args = [f"{f}={e}" for f, e, _ in items]
        else:
            k = self.rng.randint(0, len(items))
            args = [str(e) for _, e, _ in items[:k]] + [f"{f}={e}" for f, e, _ in items[k:]]
        return f"{name}({', '.join(args)})" + ("  #default" if skip else ""), owned

    def s_obj(self, env, ctx):
        r = self.rng
        kinds = [("class", 5 if self.classes else 0), ("ns", 3), ("bag", 3 if self.bag else 0),
                 ("list", 3 if self.classes else 0)]
        kind = self.pick([k for k, _ in kinds], [w for _, w in kinds])
        vec = [s for s in self.shapes if s]
        if kind == "class":
            spec = r.choice(self.classes)
            text, owned = self.construct(spec, env)
            nm = self.name("nt" if spec[1] == "nt" else "o")
            line = f"{nm} = {text}"
            if text.endswith("#default"):
                line = f"{nm} = {text[:-10]}  #default"
            env.objs[nm] = OVar(nm, spec[1], [(f, S) for f, S, _ in spec[2]],
                                owned if spec[1] == "dc" else ())
            return [line]
        if kind in ("ns", "bag"):
            nm = self.name("o")
            fields, owned, vals = [], set(), []
            for fname in ["v", "a", "m"][:r.randint(1, 3)]:
                S = r.choice(vec) if vec and self.chance(0.5) else ()
                if S != () and self.chance(0.6):
                    e = self.owned_array(S, env)
                    if e.fresh:
                        owned.add(fname)
                else:
                    e = self.store(S, env, self.pick([0, 1]))
                fields.append((fname, S))
                vals.append((fname, e))
            env.objs[nm] = OVar(nm, kind, fields, owned)
            if kind == "ns":
                return [f"{nm} = types.SimpleNamespace({', '.join(f'{f}={e}' for f, e in vals)})"]
            return [f"{nm} = Bag()"] + [f"{nm}.{f} = {e}" for f, e in vals]
        spec = r.choice(self.classes)
        nm = self.name("ps")
        K = r.randint(1, 3)
        if self.chance(0.5):
            items = [self.construct(spec, env, owned_ok=False)[0].replace("  #default", "") for _ in range(K)]
            lines = [f"{nm} = [{', '.join(items)}]"]
        else:
            i = self.name("i")
            benv = env.copy()
            benv.ints[i] = (0, K)
            text = self.construct(spec, benv, owned_ok=False)[0].replace("  #default", "")
            lines = [f"{nm} = []", f"for {i} in range({K}):", f"    {nm}.append({text})"]
        env.olists[nm] = (spec, K)
        return lines

    def s_oattr(self, env, ctx):
        r = self.rng
        objs = list(env.objs.values())
        kind = self.pick(["write", "aug", "arr", "loop", "unpack", "lwrite"], [4, 4, 4, 3, 2, 1.5])
        if kind == "unpack":
            nts = [o for o in objs if o.kind == "nt"]
            if not nts:
                return None
            o = r.choice(nts)
            names = []
            for fname, S in o.fields.items():
                nm = self.name("v")
                env.vars[nm] = Var(nm, S, S == ())
                names.append(nm)
            return [f"{', '.join(names)} = {o.name}"]
        if kind == "lwrite":
            ls = [(nm, spec, K) for nm, (spec, K) in env.olists.items() if spec[1] == "dc"]
            if not ls:
                return None
            nm, spec, K = r.choice(ls)
            fname, S, _ = r.choice(spec[2])
            tgt = f"{nm}[{self.int_index(env, K)}].{fname}"
            if S == () and self.chance(0.5):
                return [f"{tgt} += {self.expr((), 1, env, noalias=True)}"]
            return [f"{tgt} = {self.pos_const(0.3, 0.9)} * {tgt} + {self.paren(self.store(S, env, 1))}"]
        mut = [o for o in objs if o.kind != "nt"]
        if not mut:
            return None
        o = r.choice(mut)
        if kind == "arr":
            fs = [(f, S) for f, S in o.fields.items() if f in o.owned]
            if not fs:
                return None
            fname, S = r.choice(fs)
            idx = ", ".join(self.int_index(env, L) for L in S)
            if len(S) == 2 and self.chance(0.4):
                idx = self.int_index(env, S[0])
                e = self.expr(S[1:], 1, env, noalias=True)
            else:
                e = self.expr((), 1, env, noalias=True)
            return [f"{o.name}.{fname}[{idx}] {self.pick(['=', '+='])} {e}"]
        fname, S = r.choice(list(o.fields.items()))
        tgt = f"{o.name}.{fname}"
        if kind == "write":
            if fname in o.owned:
                e = self.expr(S, self.pick([1, 2]), env, noalias=True, fresh=True)
                if not e.fresh:
                    e = E(f"np.copy({e})")
            else:
                e = self.store(S, env)
            if self.chance(0.4):
                e = E(f"{self.pos_const(0.3, 0.9)} * {tgt} + {self.paren(e)}")
            return [f"{tgt} = {e}"]
        if S != () and fname not in o.owned:
            return None                 # += on a shared array would write through the alias
        if kind == "aug":
            return [f"{tgt} += {self.expr(self.rng.choice(self.sub_shapes(S)), 1, env, noalias=True)}"]
        i = self.name("i")
        K = r.randint(1, 4)
        benv = env.copy()
        benv.ints[i] = (0, K)
        e = self.expr((), 1, benv, noalias=True)
        if i not in e:
            e = E(f"{self.paren(e)} * ({i} + 1)")
        return [f"for {i} in range({K}):", f"    {tgt} += {e}"]

    # --------------------------------------------------------------- functions
    def s_fn(self, env, ctx):
        r = self.rng
        kind = self.pick(["var", "list", "loop", "dictloop"], [4, 3 if ctx.top else 0, 3, 1 if self.acts else 0])
        if kind == "var":
            nm = self.name("act")
            src = r.choice([f'ACTS["{k}"]' for k in self.acts] * 2 + self.frefs(None, bare=True))
            env.fvars[nm] = src
            return [f"{nm} = {src}"]
        if kind == "list":
            nm = self.name("fs")
            items = [r.choice(self.frefs(env, bare=True)) for _ in range(r.randint(2, 3))]
            env.flists[nm] = len(items)
            lines = [f"{nm} = [{', '.join(items)}]"]
            if self.chance(0.6):
                lines += self.fs_loop(nm, env)
            return lines
        if kind == "loop":
            if not env.flists:
                return None
            return self.fs_loop(r.choice(list(env.flists)), env)
        g = self.name("g")
        T = r.choice(self.shapes)
        v = self.name("v")
        e = self.expr(T, 1, env, noalias=True)
        env.vars[v] = Var(v, T, T == ())
        return [f"{v} = {e}", f"for {g} in list(ACTS.values()):",
                f"    {v} = 0.5 * {g}({v})"]

    def fs_loop(self, fs, env):
        g, v = self.name("g"), self.name("v")
        T = self.rng.choice(self.shapes)
        e = self.expr(T, 1, env, noalias=True)
        env.vars[v] = Var(v, T, T == ())
        body = self.pick([f"{v} = {g}({v})", f"{v} = 0.7 * {g}({v}) + 0.1", f"{v} = {g}({v}) * 0.5 + 0.5 * {v}"])
        return [f"{v} = {e}", f"for {g} in {fs}:", f"    {body}"]

    # -------------------------------------------------------------- list edits
    def s_ledit(self, env, ctx):
        r = self.rng
        lists = [c for c in env.conts.values() if c.owned and c.name not in self.iterating and is_list(c.type)
                 and is_leaf(c.type[1]) and not is_tuple(c.type[1])]
        kind = self.pick(["pop", "insert", "remove", "iadd", "repeat", "slice", "tuple"], [3, 3, 2, 2, 2, 2, 1.5])
        if kind == "repeat":
            S = self.item_type()
            n = r.randint(1, 3)
            nm = self.name("ls")
            e = self.store(S, env, 1)
            # n references to one value (maybe a 0-d array): not owned, so never written
            # (``ls[0] += e`` would update every item in Python)
            env.conts[nm] = CVar(nm, ("list", S, n), False)
            return [f"{nm} = [{e}] * {n}"]
        if kind == "tuple":
            tups = [v for v in env.vars.values() if v.shape and v.shape[0] == "tuple" and len(v.shape[1]) <= 3]
            if not tups:
                return None
            t = r.choice(tups)
            S = r.choice(self.shapes)
            a = self.name("v")
            nm = self.name("t")
            e = self.store(S, env, 1)
            env.vars[a] = Var(a, S, S == ())
            env.vars[nm] = Var(nm, ("tuple", (S, S) + tuple(t.shape[1])), False)
            return [f"{a} = {e}", f"{nm} = ({a},) * 2 + {t.name}"]
        if not lists:
            return None
        c = r.choice(lists)
        _, S, K = c.type
        if kind == "pop":
            if K < 2:
                return None
            i = r.randrange(-K, K)
            env.conts[c.name] = CVar(c.name, ("list", S, K - 1), True)
            if self.chance(0.5):
                v = self.name("v")
                env.vars[v] = Var(v, S, S == ())
                return [f"{v} = {c.name}.pop({i})"]
            return [f"{c.name}.pop({i})"]
        if kind == "insert":
            i = r.randint(-K - 2, K + 2)
            e = self.store(S, env, 1)
            env.conts[c.name] = CVar(c.name, ("list", S, K + 1), True)
            note = "  #insert-out" if i > K or i < -K else ""
            return [f"{c.name}.insert({i}, {e}){note}"]
        if kind == "remove":
            if K < 2:
                return None
            j = r.randrange(K) if S == () else 0        # arrays: == on an earlier item would be ambiguous
            env.conts[c.name] = CVar(c.name, ("list", S, K - 1), True)
            return [f"{c.name}.remove({c.name}[{j}])"]
        if kind == "iadd":
            n = r.randint(1, 2)
            es = [self.store(S, env, 1) for _ in range(n)]
            env.conts[c.name] = CVar(c.name, ("list", S, K + n), True)
            return [f"{c.name} += [{', '.join(es)}]"]
        if K < 2:
            return None
        form, K2 = self.pick([("1:", K - 1), (":", K), (":-1", K - 1)])
        nm = self.name("ls")
        env.conts[nm] = CVar(nm, ("list", S, K2), True)
        return [f"{nm} = {c.name}[{form}]"]

    # ------------------------------------------------------------------- dicts
    def s_dops(self, env, ctx):
        r = self.rng
        ds = self.reach(env, lambda t: is_dict(t) and len(t[1]) > 0
                        and all(is_leaf(v) and not is_tuple(v) for _, v in t[1]))
        if not ds:
            return None
        txt, t, root = r.choice(ds)
        kind = self.pick(["get", "values", "len", "fork", "sum"], [4, 3, 2, 4, 2])
        v = self.name("v")
        if kind == "get":
            k, S = r.choice(t[1])
            if self.chance(0.4):
                k = r.choice([kk for kk in ["q", "zz", 7, 9] if kk not in [x for x, _ in t[1]]])
            e = self.store(S, env, 1)
            env.vars[v] = Var(v, S, S == ())
            return [f"{v} = {txt}.get({key_text(k)}, {e})"]
        shapes = {s for _, s in t[1]}
        if kind == "values":
            if len(shapes) != 1:
                return None
            nm = self.name("ls")
            env.conts[nm] = CVar(nm, ("list", shapes.pop(), len(t[1])), True)
            return [f"{nm} = list({txt}.values())"]
        if kind == "len":
            env.vars[v] = Var(v, (), True)
            return [f"{v} = {self.const()} * len({txt}.keys())"]
        if kind == "sum":
            if shapes != {()}:
                return None
            env.vars[v] = Var(v, (), True)
            return [f"{v} = sum({txt}.values())"]
        if "[" in txt or root in self.iterating:
            return None
        k = self.name("k")
        env.vars[v] = Var(v, (), True)
        body = f"{v} += np.sum({txt}[{k}])" if shapes != {()} else f"{v} += {txt}[{k}] * {self.const()}"
        return [f"{v} = 0.0", f"for {k} in {txt}:", f"    {body}"]

    # ----------------------------------------------------------- nested writes
    def s_nest(self, env, ctx):
        r = self.rng
        kind = self.pick(["grid", "gwrite", "A"], [2 if ctx.top else 0, 3, 3])
        vec = [s for s in self.shapes if len(s) == 1]
        if kind == "grid":
            if not vec:
                return None
            S = r.choice(vec)
            p, q = r.randint(1, 3), r.randint(1, 3)
            nm = self.name("grid")
            if self.chance(0.5):
                line = f"{nm} = [[np.zeros({S!r}) for _ in range({q})] for _ in range({p})]"
            else:
                rows = ["[" + ", ".join(self.owned_array(S, env) for _ in range(q)) + "]" for _ in range(p)]
                line = f"{nm} = [{', '.join(rows)}]"
            env.grids[nm] = (p, q, S)
            return [line]
        if kind == "gwrite":
            if not env.grids:
                return None
            nm = r.choice(list(env.grids))
            p, q, S = env.grids[nm]
            tgt = f"{nm}[{self.int_index(env, p)}][{self.int_index(env, q)}][{self.int_index(env, S[0])}]"
            return [f"{tgt} {self.pick(['=', '+='])} {self.expr((), 1, env, noalias=True)}"]
        mats = [v for v in env.vars.values() if v.aug and v.shape and len(v.shape) == 2
                and v.shape[0] != "tuple" and v.name not in ctx.loop_vars]
        if mats and self.chance(0.6):
            a = r.choice(mats)
            lines = []
        else:
            S2 = [s for s in self.shapes if len(s) == 2]
            if not S2 or not ctx.top:
                return None
            S = r.choice(S2)
            nm = self.name("v")
            a = Var(nm, S, True)
            lines = [f"{nm} = {self.pick([f'np.zeros({S!r})', f'np.ones({S!r})'])}"]
            env.vars[nm] = a
        i, j = self.int_index(env, a.shape[0]), self.int_index(env, a.shape[1])
        e = self.expr((), 1, env, noalias=True)
        return lines + [f"{a.name}[{i}][{j}] {self.pick(['=', '+='])} {e}"]

    # -------------------------------------------------------------------- sets
    def s_set(self, env, ctx):
        r = self.rng
        nm, k = self.name("ks"), self.name("k")
        i = self.name("i")
        n = "n" if self.int_param == "n" and self.chance(0.5) else str(r.randint(1, 6))
        m = r.randint(2, 3)
        v = self.name("v")
        benv = env.copy()
        benv.ints[k] = (0, m)
        T = self.pick([(), r.choice(self.shapes)], [3, 1])
        e = self.expr(T, 1, benv, noalias=True)
        env.vars[v] = Var(v, T, T == ())
        body = f"{v} = {v} + ({k} + 1) * {self.paren(e)}"
        lines = [f"{nm} = {{{i} % {m} for {i} in range({n})}}",
                 f"{v} = {'0.0' if T == () else f'np.zeros({T!r})'}",
                 f"for {k} in sorted({nm}):"]
        if self.chance(0.6):
            a, b = r.sample(range(m + 1), 2)
            lines += [f"    if {k} in {{{a}, {b}}}:", f"        {body}", "    else:",
                      f"        {v} = 0.9 * {v}"]
        else:
            lines += [f"    {body}"]
        if self.chance(0.3):
            lines.append(f"{v} = {v} * len({nm})")
        return lines

    # ----------------------------------------------------------------- lambdas
    def s_lam(self, env, ctx):
        r = self.rng
        src = self.leaf_lists(env, ())
        kind = self.pick(["map", "mapdef", "sorted", "key", "inline"], [3, 3, 2, 2, 2])
        if kind == "inline":
            T = r.choice(self.shapes)
            v, u = self.name("v"), self.name("u")
            e = self.expr(T, 1, env, noalias=True)
            env.vars[v] = Var(v, T, T == ())
            return [f"{v} = (lambda {u}: {u} * {u} + {self.const()})({e})"]
        if not src:
            return None
        txt, _, K, _ = r.choice(src)
        nm = self.name("ls")
        u = self.name("u")
        if kind == "map":
            e2 = env.copy()
            e2.vars[u] = Var(u, (), True)
            body = self.expr((), 1, e2)
            if u not in body:
                body = E(f"{u} * {self.paren(body)}")
            env.conts[nm] = CVar(nm, ("list", (), K), True)
            return [f"{nm} = list(map(lambda {u}: {body}, {txt}))"]
        if kind == "mapdef":
            lam = self.name("lam")
            c = self.const(-0.9, -0.1)
            env.conts[nm] = CVar(nm, ("list", (), K), True)
            return [f"{lam} = lambda {u}, c={c}: {u} * {u} + c",
                    f"{nm} = list(map({lam}, {txt}))"]
        if kind == "sorted":
            key = self.pick([f"lambda {u}: -{u}", "abs", f"lambda {u}: ({u} - {self.const(-1.0, 1.0)}) ** 2"])
            env.conts[nm] = CVar(nm, ("list", (), K), True)
            return [f"{nm} = sorted({txt}, key={key})"]
        v = self.name("v")
        env.vars[v] = Var(v, (), True)
        return [f"{v} = {self.e_keyed(env)}"]
