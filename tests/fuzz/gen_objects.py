"""Random programs with objects, functions held in variables and list edits (``--objects``).

``generate(seed)`` (``python -m tests.fuzz --objects``) returns a
:class:`gen.Program` like ``gen_containers`` (lists, dicts, comprehensions,
local functions, container arguments; it subclasses its generator) whose
module also defines, at module level:

* ``@dataclasses.dataclass`` and ``typing.NamedTuple`` classes (array and
  float fields, float defaults) and a plain ``class Bag: pass``; ``f``
  constructs them (positional, keyword, defaults omitted),
  ``types.SimpleNamespace(a=..., b=...)`` and ``o = Bag(); o.v = ...``; reads
  attributes, writes them (``o.v = e``, ``o.v += e``, also in loops), writes
  into an array field (``o.a[i] = e``), reads a NamedTuple by attribute, index
  and unpacking, and keeps dataclass/NamedTuple objects in lists;
* methods of those classes (``o.scaled(v)``, ``o.energy()``, ``o.both(v)``
  calling another method), called on objects ``f`` makes;
* elementwise helpers (``def sq(v): return v * v``, or ``fn1 = lambda v: v * v``
  at module level, also in ``ACTS``), helpers taking a function
  (``def apply(g, v): return g(v) + v``) and a dict of functions ``ACTS =
  {"tanh": np.tanh, "sq": sq}``; ``f`` calls functions through variables
  (``act = ACTS["sq"]; act(z)``), iterates a local list of functions (``for g
  in fs: v = g(v)``) and passes functions to helpers (positional arguments only);

and ``f`` edits lists (``ls.pop(i)``, ``ls.insert(i, v)`` with negative and
past-the-end ``i``, ``ls.remove(ls[j])``, ``ls += [v]``, ``[v] * n``, slices
``ls[1:]``/``ls[:]``, ``(a,) * 2 + t``), uses ``d.get(k, default)``,
``list(d.values())``, ``len(d.keys())``, ``for k in d``, writes nested
containers (``grid[i][j][k] = e`` on a list of lists of owned arrays, ``A[i][j]
= e`` on a local 2-D array), builds sets of values that do not depend on the
inputs (``{i % 3 for i in range(n)}``, ``if k in {1, 2}``, ``sorted(s)``) and
uses lambdas where they are used (``map(lambda v: ..., xs)``, ``sorted(xs,
key=lambda v: -v)``, ``max(xs, key=abs)``, ``min(xs, key=lambda v: (v - c) **
2)``, ``(lambda u: u * u)(x)``, a local lambda with a negative default passed
to ``map``).  Some programs also get a Hessian-vector product check
(``Program.second``: ``diffc.hvp`` against differences of ``diffc.grad``).

Aliasing: an array field written in place (``o.a[i] = e``, ``o.a += e``) is
made by the function (``np.copy``, ``np.zeros``, a fresh expression), is only
ever rebound to fresh arrays and is read only through copies (``1.0 * o.a``),
indexing to a number or reductions; the arrays of ``grid`` likewise.
Objects in lists are made in the list display or the append.  Lengths change
only at a function's top level (as in ``gen_containers``).
"""
import random

import numpy as np

from .gen import E, Program
from .gen_containers import ContainersConfig, ContainersGenerator, tangent_like
from .gen_objects_stmts import OEnv, StatementsMixin

__all__ = ["ObjectsConfig", "generate", "generate_one", "FAMILIES"]


class ObjectsConfig(ContainersConfig):
    """Config of the ``--objects`` programs (see the module docstring)."""
    objects = True
    min_stmts = 5
    max_stmts = 10
    w_list = 4
    w_dict = 3
    w_mut = 4
    w_cwrite = 3
    w_cloop = 3
    w_local = 2
    w_obj = 7             # statement: make an object / list of objects
    w_oattr = 6           # statement: attribute write / += / array-field write / unpacking
    w_fn = 5              # statement: a function held in a variable / list of functions
    w_ledit = 5           # statement: pop(i) / insert / remove / += / [v] * n / slices
    w_dops = 3            # statement: d.get / list(d.values()) / for k in d
    w_nest = 3            # statement: grid[i][j][k] = e, A[i][j] = e
    w_set = 2             # statement: a set of values not depending on the inputs
    w_lam = 3             # statement: lambdas where they are used (map, key=)
    w_oread = 8           # expression: read an object
    w_fcall = 6           # expression: call a function through a variable / helper
    p_second = 0.3        # a Hessian-vector product check too

    @staticmethod
    def generate_one(seed, attempt=0, draw=0):
        return generate_one(seed, attempt, draw)


# Construct families (for coverage counts): name -> regex over the source.
FAMILIES = {
    "dataclass": r"^@dataclasses\.dataclass",
    "NamedTuple": r"\(typing\.NamedTuple\)",
    "dataclass positional": r"= P\d+\([^=()\n]*\)$",
    "constructor keywords": r"= [PN]\d+\(\w+=",
    "constructor default omitted": r"#default",
    "SimpleNamespace": r"types\.SimpleNamespace\(\w+=",
    "plain class": r"= Bag\(\)",
    "method call": r"\b(?!self\b)\w+\.(scaled|both)\(",
    "method without arguments": r"\.energy\(\)",
    "module-level lambda": r"^fn\d+ = lambda v:",
    "lambda in a dict": r"\"lam\": lambda v:",
    "attribute write": r"^\s+\w+(\[\d+\])?\.\w+ = ",
    "attribute +=": r"^\s+\w+\.\w+ \+= ",
    "attribute += in a loop": r"^ +for .*:\n( +\S.*\n)*? +\w+\.\w+ \+= ",
    "array field write": r"^\s+\w+\.\w+\[[^\]\n]+\] (\+)?= ",
    "NamedTuple attribute": r"\bnt\d+\.\w+",
    "NamedTuple index": r"\bnt\d+\[-?\d\]",
    "NamedTuple unpacking": r"^\s+\w+, \w+(, \w+)? = nt\d+$",
    "objects in a list": r"= \[[PN]\d+\(|\.append\([PN]\d+\(",
    "object list read": r"\bps\d+\[-?\d+\]\.\w+",
    "ACTS dict": r"^ACTS = \{",
    "function from dict": r"= ACTS\[\"\w+\"\]$",
    "function variable call": r"\bact\d+\(",
    "list of functions": r"= \[(np\.\w+|fn\d+)(, (np\.\w+|fn\d+))+\]",
    "for g in fs": r"for g\d+ in fs\d+:",
    "function passed to helper": r"\b(apply|twice|compose|mix)\d*\((np\.\w+|fn\d+|act\d+|ACTS)",
    "pop(i)": r"\.pop\(-?\d+\)",
    "insert": r"\.insert\(",
    "insert past the end": r"#insert-out",
    "remove": r"\.remove\(",
    "list +=": r"^\s+\w+ \+= \[",
    "[v] * n": r"= \[[^\]\n]+\] \* \d",
    "tuple repeat": r"\(\w+,\) \* 2 \+ ",
    "list slice": r"= \w+\[(1:|:|:-1)\]$",
    "d.get": r"\.get\(",
    "list(d.values())": r"list\(\w+\.values\(\)\)",
    "len(d.keys())": r"len\(\w+\.keys\(\)\)",
    "for k in d": r"for \w+ in (d\d+|x\d+):",
    "d[k][i] = e": r'^\s+\w+\[("\w+"|-?\d+)\]\[-?\w+\] (\+)?= ',
    "ls[i][k] = e": r'^\s+\w+\[-?\w+\]\["\w+"\] (\+)?= ',
    "grid[i][j][k] = e": r"^\s+grid\d+\[-?\w+\]\[-?\w+\]\[-?\w+\] (\+)?= ",
    "A[i][j] = e": r"^\s+\w+\[-?\w+\]\[-?\w+\] (\+)?= (?!.*grid)",
    "set comprehension": r"\{\w+ % \d for \w+ in range",
    "in set": r" in \{\d+, \d+\}",
    "sorted(set)": r"sorted\(ks\d+\)",
    "map(lambda)": r"map\(lambda",
    "sorted key=lambda": r"sorted\([^\n]*key=lambda",
    "max key=abs": r"max\([^\n]*key=abs\)",
    "min key=lambda": r"min\([^\n]*key=lambda",
    "inline lambda call": r"\(lambda \w+: [^\n]+\)\(",
    "lambda negative default to map": r"lambda \w+, c=\(-[\d.]+\): [^\n]*\n( +\S.*\n)*? +\S.*map\(lam",
}


def class_text(spec):
    """The module-level definition of a dataclass / NamedTuple spec, with its methods:
    ``scaled(v)`` (v times a number read from the fields), ``energy()`` (a number from
    every field) and ``both(v)`` (a method calling another)."""
    name, kind, fields = spec
    head = ["@dataclasses.dataclass", f"class {name}:"] if kind == "dc" else \
        [f"class {name}(typing.NamedTuple):"]
    body = []
    for fname, S, dft in fields:
        ann = "float" if S == () else "np.ndarray"
        body.append(f"    {fname}: {ann}" + ("" if dft is None else f" = {dft}"))

    def number(fname, S):
        return f"self.{fname}" if S == () else f"np.mean(self.{fname})"
    f0, S0, _ = fields[0]
    body += ["", "    def scaled(self, v):", f"        return v * np.tanh({number(f0, S0)})",
             "", "    def energy(self):",
             "        return " + " + ".join(f"np.sum(self.{f} * self.{f})" if S != () else
                                            f"self.{f} * self.{f}" for f, S, _ in fields),
             "", "    def both(self, v):", f"        return self.scaled(v) + 0.5 * v * {number(*fields[-1][:2])}"]
    return head + body


FN_POOL = {
    "sq": "return v * v",
    "cube": "return 0.3 * v * v * v",
    "soft": "return np.log(1.0 + np.exp(np.tanh(v)))",
    "damp": "return 0.5 * np.tanh(v) + 0.1 * v",
    "bump": "return v / (1.0 + v * v)",
    "sinsq": "return np.sin(v) * v",
}
NP_FNS = ["np.sin", "np.tanh", "np.cos", "np.arctan", "np.exp", "np.square"]
APPLY_POOL = {
    "apply": ("g, v", "return g(v) + v", 1),
    "twice": ("g, v", "return g(g(v))", 1),
    "compose": ("g, h, v", "return 0.5 * g(h(v))", 2),
    "mix": ("g, v, w", "return g(v) * w + v", 1),      # w a float
}


def _objs(env):
    return getattr(env, "objs", None)


class ObjectsGenerator(StatementsMixin, ContainersGenerator):
    def __init__(self, seed, config=ObjectsConfig):
        super().__init__(seed, config)
        self.classes = []       # (name, kind, fields)
        self.fns = []           # module-level elementwise helper names
        self.appliers = []      # (name, params, body, nfuncs)
        self.acts = {}          # key -> function text
        self.bag = False
        self.mod_imports = set()

    # ------------------------------------------------------------- functions
    def frefs(self, env=None, bare=False):
        """Texts naming an elementwise function: helpers, NumPy's, ACTS["k"], function variables."""
        out = list(self.fns) + ["np.sin", "np.tanh", "np.arctan"]
        if self.acts and not bare:
            out += [f'ACTS["{k}"]' for k in self.acts]
        if env is not None and getattr(env, "fvars", None):
            out += list(env.fvars)
        return out

    def e_fcall(self, T, d, env, noalias, fresh):
        if fresh and T != ():
            return None
        r = self.rng
        a = self.expr(T, max(d, 0), env, noalias=True)
        kind = self.pick(["var", "apply", "lambda", "direct", "dictcall"],
                         [5 if getattr(env, "fvars", None) else 0, 5 if self.appliers else 0, 2, 2, self.cfg.p_refused * 3])
        if kind == "var":
            return E(f"{r.choice(list(env.fvars))}({a})")
        if kind == "apply":
            name, params, _, nf = r.choice(self.appliers)
            fs = [r.choice(self.frefs(env)) for _ in range(nf)]
            if name.startswith("mix"):
                return E(f"{name}({fs[0]}, {a}, {self.expr((), 0, env)})")
            return E(f"{name}({', '.join(fs)}, {a})")
        if kind == "lambda":
            u = self.name("u")
            body = self.pick([f"{u} * {u}", f"np.tanh({u}) * {self.pos_const(0.3, 1.5)}",
                              f"{u} - 0.1 * {u} * {u}"])
            return E(f"(lambda {u}: {body})({a})")
        if kind == "dictcall" and self.acts:
            return E(f'ACTS["{r.choice(list(self.acts))}"]({a})')
        if not self.fns:
            return None
        return E(f"{r.choice(self.fns)}({a})")

    # ------------------------------------------------------------- expressions
    def expr(self, T, d, env, noalias=False, fresh=False):
        if _objs(env) is None:
            if d > 0 and self.chance(self.cfg.w_fcall / 120):
                e = self.e_fcall(T, d - 1, env, noalias, fresh)
                if e is not None:
                    return e
            return super().expr(T, d, env, noalias, fresh)
        if d > 0 and (env.objs or env.olists or env.grids) and self.chance(self.cfg.w_oread / 80):
            e = self.e_oread(T, d - 1, env, noalias, fresh)
            if e is not None:
                return e
        if d > 0 and self.chance(self.cfg.w_fcall / 80):
            e = self.e_fcall(T, d - 1, env, noalias, fresh)
            if e is not None:
                return e
        if d > 0 and T == () and self.chance(0.06):
            e = self.e_keyed(env)
            if e is not None:
                return e
        return super().expr(T, d, env, noalias, fresh)

    def field_read(self, o, fname, S):
        """A read of o.fname (shape S): a copy for an owned array field."""
        txt = f"{o.name}.{fname}"
        if fname in o.owned and S != ():
            return E(self.pick([f"1.0 * {txt}", f"np.copy({txt})", f"({txt} + 0.0)"]))
        return E(txt, fresh=(S == ()))

    def e_oread(self, T, d, env, noalias, fresh):
        r = self.rng
        opts = []
        for o in env.objs.values():
            for fname, S in o.fields.items():
                if S == T:
                    opts.append(lambda o=o, fname=fname, S=S: self.field_read(o, fname, S))
                    if o.kind == "nt":
                        j = list(o.fields).index(fname)
                        opts.append(lambda o=o, j=j: E(f"{o.name}[{self.pick([j, j - len(o.fields)])}]",
                                                       fresh=(T == ())))
                if T == () and S != ():
                    opts.append(lambda o=o, fname=fname, S=S:
                                E(f"np.sum({self.field_read(o, fname, S)})"))
                    if fname in o.owned:
                        opts.append(lambda o=o, fname=fname, S=S:
                                    E(f"{o.name}.{fname}[{', '.join(self.int_index(env, L) for L in S)}]"))
        for o in env.objs.values():
            if o.kind in ("dc", "nt"):              # methods (class_text)
                opts += 3 * [lambda o=o: E(f"{o.name}.{self.pick(['scaled', 'both'])}"
                                           f"({self.expr(T, max(d, 0), env, noalias=True)})")]
                if T == ():
                    opts += 2 * [lambda o=o: E(f"{o.name}.energy()")]
        for nm, (spec, K) in env.olists.items():
            for fname, S, _ in spec[2]:
                if S == T:
                    opts.append(lambda nm=nm, K=K, fname=fname:
                                E(f"{nm}[{self.int_index(env, K)}].{fname}", fresh=(T == ())))
                if T == ():
                    red = fname if S == () else f"np.sum(p.{fname})"
                    red = red if S != () else f"p.{fname}"
                    opts.append(lambda nm=nm, red=red: E(f"sum({red} for p in {nm})"))
        for nm, (p, q, S) in env.grids.items():
            if T == ():
                opts.append(lambda nm=nm, p=p, q=q, S=S: E(
                    f"{nm}[{self.int_index(env, p)}][{self.int_index(env, q)}]"
                    f"[{self.int_index(env, S[0])}]"))
            if T == S:
                opts.append(lambda nm=nm, p=p, q=q: E(
                    f"1.0 * {nm}[{self.int_index(env, p)}][{self.int_index(env, q)}]"))
        if not opts:
            return None
        e = r.choice(opts)()
        if fresh and not e.fresh:
            return None
        return e

    def e_keyed(self, env):
        """max/min/sorted of a list of numbers with a key."""
        ls = self.leaf_lists(env, ())
        if not ls:
            return None
        txt, _, K, _ = self.rng.choice(ls)
        v = self.name("u")
        c = self.const(-1.0, 1.0)
        return E(self.pick([f"max({txt}, key=abs)", f"min({txt}, key=abs)",
                            f"min({txt}, key=lambda {v}: ({v} - {c}) ** 2)",
                            f"max({txt}, key=lambda {v}: np.sin({v}))",
                            f"sorted({txt}, key=lambda {v}: -{v})[{self.rng.randrange(K)}]",
                            f"sum(sorted({txt}, key=lambda {v}: ({v} - {c}) ** 2)[:{self.rng.randint(1, K)}])"]))

    # ------------------------------------------------------------- final reads
    def cont_terms(self, env, n):
        terms = super().cont_terms(env, n)
        if _objs(env) is None:
            return terms
        for o in env.objs.values():
            parts = [f"{o.name}.{fn}" if S == () else f"np.sum({o.name}.{fn})" for fn, S in o.fields.items()]
            terms.append(" + ".join(parts))
        for nm, (spec, K) in env.olists.items():
            parts = [f"p.{fn}" if S == () else f"np.sum(np.sin(p.{fn}))" for fn, S, _ in spec[2]]
            terms.append(f"sum({' + '.join(parts)} for p in {nm})")
        for nm in env.grids:
            terms.append(f"sum(np.sum(a * a) for row in {nm} for a in row)")
        return terms

    # --------------------------------------------------------------- program
    def module_defs(self):
        r = self.rng
        lines = []
        vec = [s for s in self.shapes if s]
        for j in range(r.randint(0, 2) + 1):
            kind = self.pick(["dc", "nt"], [3, 2])
            name = ("P" if kind == "dc" else "N") + str(j + 1)
            names = ["w", "b", "h", "s", "z"][:r.randint(2, 4)]
            r.shuffle(names)
            fields = []
            for k, fname in enumerate(names):
                S = r.choice(vec) if vec and self.chance(0.5) else ()
                fields.append((fname, S, None))
            if self.chance(0.5):
                fields.append(("c", (), self.pos_const(0.1, 0.9)))
            self.classes.append((name, kind, tuple(fields)))
            lines.append(class_text(self.classes[-1]))
        self.mod_imports.add("dataclasses" if any(k == "dc" for _, k, _ in self.classes) else "typing")
        if any(k == "nt" for _, k, _ in self.classes):
            self.mod_imports.add("typing")
        if self.chance(0.5):
            self.bag = True
            lines.append(["class Bag:", "    pass"])
        pool = list(FN_POOL)
        r.shuffle(pool)
        for k, nm in enumerate(pool[:r.randint(1, 3)]):
            name = f"fn{k + 1}"
            self.fns.append(name)
            if self.chance(0.35):       # a module-level lambda
                lines.append([f"{name} = lambda v: {FN_POOL[nm][len('return '):]}  # {nm}"])
            else:
                lines.append([f"def {name}(v):  # {nm}", f"    {FN_POOL[nm]}"])
        aps = list(APPLY_POOL)
        r.shuffle(aps)
        for nm in aps[:r.randint(0, 2)]:
            params, body, nf = APPLY_POOL[nm]
            self.appliers.append((nm, params, body, nf))
            lines.append([f"def {nm}({params}):", f"    {body}"])
        if self.chance(0.7):
            keys = ["tanh", "sin", "sq", "id", "atan", "lam"]
            r.shuffle(keys)
            vals = {"tanh": "np.tanh", "sin": "np.sin", "atan": "np.arctan",
                    "lam": f"lambda v: {self.pos_const(0.2, 0.9)} * v * v"}
            for k in keys[:r.randint(2, 4)]:
                self.acts[k] = vals.get(k) or r.choice(self.fns)
            lines.append(["ACTS = {" + ", ".join(f'"{k}": {v}' for k, v in self.acts.items()) + "}"])
        return lines

    def main_env(self):
        return OEnv()

    def program(self):
        defs = self.module_defs()
        chunks = list(defs)
        for _ in range(self.rng.randint(0, self.cfg.max_helpers)):
            chunks.append(self.helper())
        lines, shapes = self.main(self.rng.randint(1, 3))
        chunks.append(lines)
        imports = "".join(f"import {m}\n" for m in sorted(self.mod_imports | {"types"}))
        src = imports + "\nimport numpy as np\n\n\n" + "\n\n\n".join("\n".join(c) for c in chunks) + "\n"
        return src, shapes


def generate_one(seed, attempt=0, draw=0, config=ObjectsConfig):
    """Program number ``attempt`` of ``seed`` (an --objects program), input draw ``draw``."""
    g = ObjectsGenerator(f"objects:{seed}:{attempt}", config)
    src, shapes = g.program()
    wrt = tuple(range(len(shapes)))
    extra = None
    if len(wrt) > 1 and g.chance(0.3):
        extra = g.rng.choice(wrt)
    second = g.chance(config.p_second)
    g.rng = random.Random(f"objects:{seed}:{attempt}:{draw}")
    args = g.inputs(shapes)
    rt = random.Random(f"objects:{seed}:{attempt}:{draw}:tangent")
    tangents = {i: tangent_like(args[i], rt) for i in wrt}
    prog = Program(seed, src, args, wrt, extra_wrt=extra, tangents=tangents)
    if second:
        plain = [i for i in wrt if isinstance(args[i], (float, np.ndarray))]
        if plain:
            i = rt.choice(plain)
            prog.second = (i, tangent_like(args[i], rt))
    return prog


def generate(seed, config=ObjectsConfig):
    """The first candidate program of ``seed`` (the oracle may draw more)."""
    return generate_one(seed, 0, 0, config)

