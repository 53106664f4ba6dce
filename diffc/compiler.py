"""The pass manager: from Python functions to one generated derivative module.

For every function reached (the one asked for, and the user functions it
calls with active arguments) the pipeline runs as a flat list of stages::

    lower_function          frontend: source -> gast -> IR
    activity                which variables need adjoints
    Reverse                 IR -> forward IR + backward IR (with save markers)
    KnownZeros, dead_code   clean the backward code
    init_zeros              start adjoints read before they are written at 0.0
    record                  keep the saves the backward code needs, as pushes/pops
    hoist_invariants        compute loop-invariant values once, before backward loops
    function_src            IR -> Python source

The module's source is compiled once, registered with ``linecache`` (so
tracebacks and pdb show generated lines) and cached by ``api.py``.
"""
import inspect
import itertools
import os

from .ad.record import none_inits, record
from .ad.forward import Forward, tangent_params
from .ad.reverse import ZERO, Reverse
from .backend import checks
from .backend.emit import function_src, signature_src
from .backend.namespace import Namespace
from .backend.sourcemap import register_module, release_module
from .frontend.callables import named, signature
from .errors import DiffcError
from .frontend import lower_function
from .ad.effects import check_effects
from .ir.activity import activity, varied_names
from .ir.nodes import Assign, AtomExpr, Raw, Return, SeqLit, Var
from .ir.names import NameGen
from .ir.visit import rewrite
from .opt.copyprop import copy_propagation
from .opt.dce import dead_code, drop_empty
from .opt.licm import hoist_invariants
from .opt.zeros import KnownZeros, _maybe_undefined_reads, init_zeros

_module_ids = itertools.count()


class _Reserved:
    """Placeholder binding that reserves a generated function's name."""


class Spec:
    def __init__(self, fn, fwd, bwd, params):
        self.fn, self.fwd, self.bwd, self.params = fn, fwd, bwd, params
        self.source = None
        self.locs = []          # the Loc each line of ``source`` derives from (or None)
        self.loc = None         # where the function is defined
        self.signature = None   # the parameter list as source, set when compiled


class ModuleBuilder:
    def __init__(self, trace=None, statics=None):
        self.trace = trace   # called as trace(stage, function name, text) for every stage
        self.statics = statics or {}   # functions passed to the top function's parameters
        self.ns = Namespace()
        self.specs = {}
        self.order = []
        self.queue = []
        self.wrappers = []   # (source, Loc of the user's function)
        self.defaults = []   # (generated name, original function)

    # ------------------------------------------------------------ specializations
    def request(self, fn, active, loc=None):
        """Names of the forward/backward functions of ``fn`` for active params ``active``."""
        fn = named(fn)
        params = [p for p in signature(fn).parameters if p in set(active)]
        key = (fn, tuple(params))
        if key not in self.specs:
            n = sum(1 for k in self.specs if k[0] is fn)
            suffix = "" if n == 0 else f"_{n + 1}"
            fwd = self.ns.bind(f"{fn.__name__}_fwd{suffix}", _Reserved())
            bwd = self.ns.bind(f"{fn.__name__}_bwd{suffix}", _Reserved())
            self.specs[key] = Spec(fn, fwd, bwd, params)
            self.order.append(key)
            self.queue.append(key)
        s = self.specs[key]
        return s.fwd, s.bwd, s.params

    def request_tangent(self, fn, active, loc=None):
        """Name of the forward-mode (tangent) function of ``fn`` for active params ``active``."""
        fn = named(fn)
        params = [p for p in signature(fn).parameters if p in set(active)]
        key = ("tangent", fn, tuple(params))
        if key not in self.specs:
            n = sum(1 for k in self.specs if k[0] == "tangent" and k[1] is fn)
            suffix = "" if n == 0 else f"_{n + 1}"
            name = self.ns.bind(f"{fn.__name__}_tangent{suffix}", _Reserved())
            self.specs[key] = Spec(fn, name, None, params)
            self.order.append(key)
            self.queue.append(key)
        s = self.specs[key]
        return s.fwd, s.params

    def build_all(self):
        while self.queue:
            key = self.queue.pop(0)
            if key[0] == "tangent":
                self.compile_tangent(self.specs[key], key == self.order[0])
            else:
                self.compile_spec(self.specs[key])

    def compile_tangent(self, spec, top):
        """Forward mode: lower, interleave tangent statements, drop unread tangents, emit."""
        fn_ir, names = lower_function(spec.fn, self.ns, helper=not top,
                                      statics=self.statics if top else None)
        self._trace("lower", spec, fn_ir.body)
        check_effects(fn_ir, varied_names(fn_ir, spec.params), None, self.ns, names)
        fwd = Forward(fn_ir, spec.params, names, self.ns, self.request_tangent)
        body = fwd.run()
        self._trace("forward mode", spec, body)
        body = dead_code(body, set(), only=set(fwd.dots.values()) | fwd.temps)
        self._trace("dead code", spec, body)
        sig = spec.signature = signature_src(spec.fn, fn_ir.signature, self.ns, spec.fn.__name__)
        kwonly = any(p.kind == inspect.Parameter.KEYWORD_ONLY
                     for p in signature(spec.fn).parameters.values())
        dots = ", ".join(tangent_params(fn_ir.params, spec.params).values())
        if dots:
            sig = f"{sig}, {dots}" if kwonly else (f"{sig}, *, {dots}" if sig else f"*, {dots}")
        where = f"{os.path.basename(fn_ir.loc.filename)}:{fn_ir.loc.lineno}" if fn_ir.loc \
            else spec.fn.__qualname__
        wrt = ", ".join(spec.params) or "nothing"
        spec.loc = fn_ir.loc
        spec.source = function_src(
            spec.fwd, sig, body, f"Forward mode of {spec.fn.__name__} ({where}): its value, and "
            f"its tangent along the tangents of {wrt}.", line_comments=True, locs=spec.locs)
        self.defaults.append((spec.fwd, spec.fn))

    def compile_spec(self, spec):
        helper = spec is not self.specs[self.order[0]]   # called from another function
        fn_ir, names = lower_function(spec.fn, self.ns, helper,
                                      statics=None if helper else self.statics)
        self._trace("lower", spec, fn_ir.body)
        act, varied = activity(fn_ir, spec.params)
        check_effects(fn_ir, varied, act, self.ns, names)
        if self.trace:
            self.trace("activity", spec.fn.__name__, "active: " + ", ".join(sorted(act)))
        rev = Reverse(fn_ir, spec.params, act, varied, names, self.ns, self.request)
        fwd, ret, bwd, seed, _ = rev.run()
        outs = [Var(rev.adj(p)) if p in act else ZERO for p in spec.params]
        bwd.append(Return(outs[0] if len(outs) == 1 else SeqLit("tuple", outs)))
        self._trace("reverse (forward part)", spec, fwd)
        self._trace("reverse (backward part)", spec, bwd)
        adjoints = set(rev.adjs.values())
        bwd = KnownZeros(rev.inplace).run(bwd, adjoints - {seed})
        self._trace("known-zero adjoints", spec, bwd)
        bwd = dead_code(bwd, set())
        self._trace("dead code", spec, bwd)
        bwd = copy_propagation(bwd)
        self._trace("copy propagation", spec, bwd)
        bwd = init_zeros(bwd, adjoints, {seed})
        fwd, bwd, stacks, nones, end_defined = record(fwd, bwd, fn_ir.params, names)
        bwd = drop_empty(bwd)
        bwd = hoist_invariants(bwd, self.ns, names)
        self._trace("to-be-recorded (forward)", spec, fwd)
        self._trace("to-be-recorded, loop-invariant code motion (backward)", spec, bwd)
        saved_name = names.fresh("saved")
        saved = sorted(_maybe_undefined_reads(bwd, {seed}) - adjoints)
        nones |= {v for v in saved if v not in end_defined and v not in stacks.values()}
        fwd = _strip_assignments(fwd, (rev.counters | rev.olds) - set(saved) - set(stacks))
        prologue = [Assign([Var(st)], Raw(_empty_list(), frozenset())) for st in
                    sorted(stacks.values())] + none_inits(nones)
        keep = SeqLit("tuple", [Var(v) for v in saved])
        fwd_body = prologue + fwd + [Return(SeqLit("tuple", [ret.value, keep]))]
        if len(saved) == 1:
            unpack = [Assign([Var(saved[0])], _index_raw(saved_name, 0))]
        elif saved:
            unpack = [Assign([Var(v) for v in saved], AtomExpr(Var(saved_name)))]
        else:
            unpack = []
        where = f"{os.path.basename(fn_ir.loc.filename)}:{fn_ir.loc.lineno}" if fn_ir.loc \
            else spec.fn.__qualname__
        wrt = ", ".join(spec.params)
        sig = spec.signature = signature_src(spec.fn, fn_ir.signature, self.ns, spec.fn.__name__)
        helpers = rev.helper
        fwd_locs, bwd_locs = [], []
        spec.loc = fn_ir.loc
        spec.source = "\n\n\n".join([
            function_src(spec.fwd, sig, fwd_body,
                         f"Forward pass of {spec.fn.__name__} ({where}): its value, and what "
                         f"{spec.bwd} needs.", helpers, line_comments=True, locs=fwd_locs),
            function_src(spec.bwd, f"{saved_name}, {seed}", unpack + bwd,
                         f"Backward pass of {spec.fn.__name__}: adjoints of {wrt or 'nothing'}.",
                         helpers, line_comments=True, locs=bwd_locs),
        ])
        spec.locs = fwd_locs + [None, None] + bwd_locs
        self.defaults.append((spec.fwd, spec.fn))

    def _trace(self, stage, spec, stmts):
        if self.trace:
            from .ir.printer import print_stmts
            self.trace(stage, spec.fn.__name__, print_stmts(stmts))

    # ------------------------------------------------------------ user-facing wrappers
    def wrapper(self, fn, wrt, kind, as_tuple):
        """The function the user calls: ``kind`` is 'grad', 'value_and_grad', 'vjp' or 'jvp'."""
        if kind in ("jvp", "direction", "derivative"):
            return self.jvp_wrapper(fn, wrt, as_tuple, kind)
        fwd, bwd, params = self.request(fn, wrt)
        self.build_all()
        spec = self.specs[(fn, tuple(params))]
        fn_ir_params = list(signature(fn).parameters)
        names = NameGen(fn_ir_params)
        sig_params = signature(fn).parameters
        call_args = ", ".join(p if sig_params[p].kind != inspect.Parameter.KEYWORD_ONLY else f"{p}={p}"
                              for p in fn_ir_params)
        value, saved = names.fresh("value"), names.fresh("saved")
        adj = {p: names.fresh("d" + p) for p in spec.params}
        fin = self.ns.bind("finalize", checks.finalize)
        finals = [f"{fin}({adj[p]}, {p})" for p in wrt]
        name_of = {"grad": f"d{fn.__name__}", "value_and_grad": f"{fn.__name__}_value_and_grad",
                   "vjp": f"{fn.__name__}_vjp"}
        name = self.ns.bind(name_of[kind], _Reserved())
        sig = spec.signature
        lines = self.check_args(fn, fn_ir_params, wrt) + \
            [f"    {value}, {saved} = {fwd}({call_args})"]
        if kind == "vjp":
            ct = names.fresh("cotangent")
            chk = self.ns.bind("check_cotangent", checks.check_cotangent)
            sig = f"{ct}, {sig}" if sig else ct
            lines.append(f"    {chk}({ct}, {value}, {fn.__name__!r})")
            seed = ct
        else:
            chk = self.ns.bind("check_scalar_output", checks.check_scalar_output)
            lines.append(f"    {chk}({value}, {fn.__name__!r})")
            seed = "1.0"
        lines.append(f"    {', '.join(adj[p] for p in spec.params)} = {bwd}({saved}, {seed})")
        if as_tuple:
            result = "(" + ", ".join(finals) + ("," if len(finals) == 1 else "") + ")"
        else:
            result = finals[0]
        if kind == "value_and_grad":
            result = f"{value}, {result}"
        lines.append(f"    return {result}")
        what = {"grad": "Gradient", "value_and_grad": "Value and gradient",
                "vjp": "Vector-Jacobian product"}[kind]
        doc = f'    """{what} of {fn.__name__} with respect to {", ".join(wrt)} (generated by diffc)."""'
        src = "\n".join([f"def {name}({sig}):", doc] + lines)
        self.wrappers.append((src, spec.loc))
        self.defaults.append((name, fn))
        return name

    def check_args(self, fn, params, wrt):
        """The wrapper's first line: refuse arguments diffc cannot differentiate through."""
        if not params:
            return []
        chk = self.ns.bind("check_args", checks.check_args)
        items = ", ".join(params) + ("," if len(params) == 1 else "")
        wrt_src = ", ".join(map(repr, wrt)) + ("," if len(wrt) == 1 else "")
        names_src = ", ".join(map(repr, params)) + ("," if len(params) == 1 else "")
        return [f"    {chk}(({items}), {fn.__name__!r}, ({names_src}), ({wrt_src}))"]

    def jvp_wrapper(self, fn, wrt, as_tuple, kind="jvp"):
        """Forward-mode wrappers, all with f's parameters (then ``tangent`` for 'jvp' and
        'direction'): 'jvp' returns (value, tangent), 'direction' only the tangent, and
        'derivative' the derivative with respect to one scalar parameter (a gradient
        computed by forward mode, which higher derivatives transform again)."""
        name, params = self.request_tangent(fn, wrt)
        self.build_all()
        spec = self.specs[("tangent", fn, tuple(params))]
        sig_params = signature(fn).parameters
        kw = tangent_params(list(sig_params), wrt)
        names = NameGen(list(sig_params) + list(kw.values()))
        call_args = ", ".join(p if sig_params[p].kind != inspect.Parameter.KEYWORD_ONLY
                              else f"{p}={p}" for p in sig_params)
        value, out = names.fresh("value"), names.fresh("tangent_out")
        fname = repr(fn.__name__)
        lines = self.check_args(fn, list(sig_params), wrt) if kind == "jvp" else []
        sig = spec.signature
        if kind == "derivative":
            (p,) = wrt
            unit = self.ns.bind("unit_tangent", checks.unit_tangent)
            lines.append(f"    {kw[p]} = {unit}({p}, {p!r}, {fname})")
        else:
            tangent = names.fresh("tangent")
            sig = f"{sig}, {tangent}=None" if sig else f"{tangent}=None"
            chk = self.ns.bind("check_tangent", checks.check_tangent)
            if as_tuple:
                t_items = [names.fresh(f"tangent_{p}") for p in wrt]
                tuple_chk = self.ns.bind("check_tangent_tuple", checks.check_tangent_tuple)
                lines.append(f"    {', '.join(t_items)}{',' if len(wrt) == 1 else ''} = "
                             f"{tuple_chk}({tangent}, {len(wrt)}, {fname})")
            else:
                t_items = [tangent]
            for p, t in zip(wrt, t_items):
                lines.append(f"    {kw[p]} = {chk}({t}, {p}, {p!r}, {fname})")
        dots = ", ".join(f"{kw[p]}={kw[p]}" for p in params)
        call = f"{name}({call_args}{', ' if call_args and dots else ''}{dots})"
        if kind == "jvp":
            lines.append(f"    return {call}")
        else:
            lines.append(f"    {value}, {out} = {call}")
        if kind == "direction":
            lines.append(f"    return {out}")
        elif kind == "derivative":
            scalar = self.ns.bind("check_scalar_output", checks.check_scalar_output)
            fin = self.ns.bind("finalize", checks.finalize)
            lines.append(f"    {scalar}({value}, {fname})")
            lines.append(f"    return {fin}({out}, {wrt[0]})")
        wname = self.ns.bind({"jvp": f"{fn.__name__}_jvp", "direction": f"{fn.__name__}_dir",
                              "derivative": f"d{fn.__name__}"}[kind], _Reserved())
        what = {"jvp": "Jacobian-vector product of {f} with respect to {w}: its value and its "
                       "derivative along the tangent",
                "direction": "Derivative of {f} along the tangent of {w}",
                "derivative": "Derivative of {f} with respect to the scalar {w}, by forward mode"}
        doc = f'    """{what[kind].format(f=fn.__name__, w=", ".join(wrt))} (generated by diffc)."""'
        self.wrappers.append(("\n".join([f"def {wname}({sig}):", doc] + lines), spec.loc))
        self.defaults.append((wname, fn) if kind == "derivative" else (wname, fn, tangent))
        return wname

    def _parts(self):
        parts = [(self.specs[k].source, self.specs[k].locs) for k in self.order]
        for src, loc in self.wrappers:
            parts.append((src, [None] + [loc] * src.count("\n")))
        return parts

    def source(self):
        return "\n\n\n".join(src for src, _ in self._parts()) + "\n"

    def source_map(self):
        """{line number of ``source()`` (1-based): the Loc of the statement it derives from}."""
        out, line = {}, 1
        for src, locs in self._parts():
            for i, loc in enumerate(locs):
                if loc is not None:
                    out[line + i] = loc
            line += src.count("\n") + 3
        return out

    def compile(self, label):
        """Compile the module; returns (its globals, its source, its file name). The source
        is registered with linecache (tracebacks, pdb) and its source map with
        ``backend.sourcemap`` under that file name, until ``release_module``."""
        src = self.source()
        filename = f"<diffc-{next(_module_ids)}:{label}>"
        register_module(filename, src, self.source_map())
        namespace = {k: v for k, v in self.ns.objs.items() if not isinstance(v, _Reserved)}
        try:
            code = compile(src, filename, "exec")
        except SyntaxError as e:
            release_module(filename)
            raise DiffcError(f"internal error: diffc generated invalid code ({e})") from None
        exec(code, namespace)
        self.ns.guards.module = namespace
        for name, fn, *extra in self.defaults:
            gen = namespace[name]
            gen.__defaults__ = fn.__defaults__
            gen.__kwdefaults__ = dict(fn.__kwdefaults__) if fn.__kwdefaults__ else None
            if extra:   # forward-mode wrappers end with `tangent=None`
                code = gen.__code__
                kwonly = code.co_varnames[code.co_argcount:
                                          code.co_argcount + code.co_kwonlyargcount]
                if extra[0] in kwonly:
                    gen.__kwdefaults__ = {**(gen.__kwdefaults__ or {}), extra[0]: None}
                else:
                    gen.__defaults__ = (gen.__defaults__ or ()) + (None,)
        return namespace, src, filename


def _strip_assignments(stmts, names):
    """Remove the assignments to ``names`` (iteration counters no backward loop reads, parts
    of arrays recorded for a backward restore that was not kept)."""
    return rewrite(stmts, lambda s: [] if isinstance(s, Assign) and
                   {t.name for t in s.targets} <= names else [s])


def _empty_list():
    import ast
    return ast.List(elts=[], ctx=ast.Load())


def _index_raw(name, i):
    import ast
    return Raw(ast.parse(f"{name}[{i}]", mode="eval").body, frozenset({name}))
