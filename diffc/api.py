"""The user-facing API: grad, value_and_grad, vjp, jvp, hvp, hessian, jacobian, source,
source_map.

Each call builds (or fetches from the cache) one generated module holding the
forward and backward functions of the requested function and of the user
functions it calls, plus a small wrapper with the original signature. The
function the user gets checks the build's guards before every call (see
``backend/guards.py``): data read from globals is refreshed, and a rebound
function, module attribute, code object or default rebuilds the module (one
thread builds, the others wait). An exception leaving generated code gets a
note naming the user's lines (``backend/sourcemap.py``). The cache keeps a
derivative while it is used (and the 64 most recently requested); a freed
derivative releases its generated source.
"""
import collections
import functools
import inspect
import threading
import weakref

import numpy as np

from .backend import dynamic
from .backend.sourcemap import annotate_exception, module_map, release_module
from .compiler import ModuleBuilder
from .errors import DiffcError, NameResolutionError, UnsupportedError
from .frontend.callables import as_function, signature
from .frontend import called_params
from .frontend.source import parse_function

_lock = threading.RLock()
_cache = weakref.WeakValueDictionary()   # (id(fn), kind, wrt, as_tuple) -> derivative
_recent = collections.deque(maxlen=64)   # recently requested derivatives stay built


def _wrt_names(fn, wrt):
    """Normalize ``wrt`` (int, name, or a tuple/list of them) to parameter names."""
    try:
        params = signature(fn).parameters
    except (TypeError, ValueError):
        raise DiffcError(f"cannot read the signature of {fn!r}") from None
    if any(v.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
           for v in params.values()):
        loc = None
        try:
            parsed = parse_function(fn)
            loc = parsed.loc(parsed.node)
        except DiffcError:
            pass
        raise UnsupportedError(f"`{fn.__name__}` takes *args or **kwargs, which diffc does not "
                               "support", loc, "list the parameters explicitly" +
                               _wrapped_hint(fn))
    names = list(params)
    as_tuple = isinstance(wrt, (tuple, list))
    items = list(wrt) if as_tuple else [wrt]
    if not items:
        raise DiffcError("wrt is empty: name at least one parameter to differentiate with respect to")
    out = []
    for w in items:
        if isinstance(w, bool) or not isinstance(w, (int, str)):
            raise DiffcError(f"wrt must be parameter positions or names, got {w!r}")
        if isinstance(w, int):
            if not -len(names) <= w < len(names):
                raise DiffcError(f"wrt={w} is out of range: {fn.__name__} has {len(names)} "
                                 f"parameters ({', '.join(names)})")
            w = names[w]
        elif w not in names:
            raise DiffcError(f"{fn.__name__} has no parameter named {w!r} "
                             f"(its parameters: {', '.join(names)})")
        if w in out:
            raise DiffcError(f"parameter {w!r} appears twice in wrt")
        out.append(w)
    return tuple(out), as_tuple


def _wrapped_hint(fn):
    wrapped = getattr(fn, "__wrapped__", None)
    if wrapped is None:
        return ""
    return (f"; `{fn.__qualname__}` is a decorator's wrapper (functools.wraps), which diffc "
            f"differentiates as it runs. If the decorator does not change the value, "
            f"differentiate the undecorated function, `{fn.__name__}.__wrapped__`")


def _compile(fn, names, kind, as_tuple, statics=None):
    builder = ModuleBuilder(statics=statics)
    name = builder.wrapper(fn, names, kind, as_tuple)
    namespace, src, filename = builder.compile(f"{fn.__module__}.{fn.__qualname__}")
    return namespace[name], src, builder.ns, filename


class _State:
    """A user-facing derivative's generated function, rebuilt when its guards fail.

    ``target()`` gives the function to transform (the user's function, or generated
    code for higher derivatives)."""

    def __init__(self, target, names, kind, as_tuple, statics=None, plain=False):
        self.target, self.names, self.kind, self.as_tuple = target, names, kind, as_tuple
        self.fn = self.source = self.ns = self.guards = self.filename = None
        self.lock = threading.Lock()
        self.statics = statics        # the functions passed for parameters the code calls
        self.called = None if plain and statics is None else ()
        self.specials = collections.OrderedDict()   # a build per tuple of passed functions
        self.current = None

    def calls(self):
        """The parameters the function calls (``model(x)``), found once."""
        if self.called is None:
            self.called = ()
            try:
                self.called = called_params(self.target())
            except DiffcError:
                pass          # no source: the build says so
        return self.called

    def special(self, args, kwargs):
        """The build for the functions passed in this call to the parameters the code
        calls, made at the first call with each (the 16 most recent are kept)."""
        sig = signature(self.target())
        try:          # (a jvp's or hvp's derivative also takes the tangent or vector)
            bound = sig.bind_partial(*args[:len(sig.parameters)], **{
                k: v for k, v in kwargs.items() if k in sig.parameters}).arguments
        except TypeError as e:
            raise DiffcError(f"{self.target().__name__}: {e}") from None
        fns = tuple(bound.get(p) for p in self.called)
        key = tuple(map(id, fns))
        with self.lock:
            sub = self.specials.get(key)
            if sub is None or any(sub.statics[p] is not f for p, f in zip(self.called, fns)):
                sub = _State(self.target, self.names, self.kind, self.as_tuple,
                             dict(zip(self.called, fns)))
                self.specials[key] = sub
                if len(self.specials) > 16:
                    self.specials.popitem(last=False)[1].release()
            self.specials.move_to_end(key)
            self.current = sub
        return sub.ensure()

    def ensure(self):
        """The generated function, built or rebuilt if needed (once, whatever the threads)."""
        if self.calls():
            if self.current is None:
                raise DiffcError(
                    f"`{self.target().__name__}` calls its parameter "
                    f"{', '.join(f'`{p}`' for p in self.called)}: diffc builds its derivative "
                    f"for the function passed there, at the first call",
                    hint="call the derivative once; diffc.source then shows that build")
            return self.current.ensure()
        with self.lock:
            if self.fn is None or self.guards.check():
                self.release()
                fn, self.source, self.ns, self.filename = _compile(
                    self.target(), self.names, self.kind, self.as_tuple, self.statics)
                self.guards = fn.__diffc_guards__ = self.ns.guards
                self.fn = fn
            return self.fn

    def release(self):
        """Forget the generated module's source (linecache) when it is replaced or freed."""
        for sub in self.specials.values():
            sub.release()
        if self.filename is not None:
            release_module(self.filename)
            self.filename = None


_NAMES = {"grad": "d{}", "value_and_grad": "{}_value_and_grad", "vjp": "{}_vjp",
          "jvp": "{}_jvp"}


def _derivative(fn, target, names, kind, as_tuple):
    """The function the user calls: it checks the guards of the build (and refreshes the
    data the generated code reads) before each call, and rebuilds when they fail."""
    state = _State(target, names, kind, as_tuple, plain=target.func is _identity
                   if isinstance(target, functools.partial) else False)

    def derivative(*args, **kwargs):
        if state.calls():
            gen = state.special(args, kwargs)
        else:
            gen = state.fn
            if gen is None or state.guards.check():
                gen = state.ensure()
        try:
            return gen(*args, **kwargs)
        except Exception as e:
            annotate_exception(e)
            raise

    functools.update_wrapper(derivative, fn, updated=())   # (fn's attributes are its own)
    derivative.__name__ = derivative.__qualname__ = _NAMES[kind].format(fn.__name__)
    derivative.__doc__ = f"{kind} of {fn.__name__} with respect to {', '.join(names)} (diffc)"
    derivative.__diffc_primal__ = fn
    derivative.__diffc_form__ = None if kind == "jvp" else (kind, names, fn)
    derivative.__diffc_as_tuple__ = as_tuple
    derivative.__diffc_state__ = state
    weakref.finalize(derivative, state.release)
    return derivative


def _build(fn, wrt, kind, verbose):
    """The user-facing derivative function, from the cache when possible. If a name cannot
    be resolved yet (a decorated function calling a helper defined further down the
    module), the build waits for the first call."""
    if getattr(fn, "__diffc_primal__", None) is not None:
        target = functools.partial(forward_form, fn)     # derivatives of derivatives
        names, as_tuple = _wrt_names(target(), wrt)
    else:
        fn = as_function(fn)
        target = functools.partial(_identity, fn)
        names, as_tuple = _wrt_names(fn, wrt)
    key = (id(fn), kind, names, as_tuple)
    with _lock:
        built = _cache.get(key)
        if built is None or built.__diffc_primal__ is not fn:
            built = _derivative(fn, target, names, kind, as_tuple)
            _cache[key] = built
            try:
                if not built.__diffc_state__.calls():    # else: for the function passed
                    built.__diffc_state__.ensure()
            except NameResolutionError:
                pass            # built at the first call, when the module is complete
        _recent.append(built)
    if verbose:
        print(source(built))
    return built


def _identity(fn):
    return fn


def forward_form(derivative):
    """A generated function computing ``derivative`` by forward mode only, with the same
    parameters. Higher derivatives transform it again: forward mode over forward mode, and
    reverse mode over forward mode. A gradient with respect to a scalar is the tangent of
    the function along 1, so ``grad`` (reverse) is exchanged for forward mode here.
    Regenerated when what it was built from changed."""
    cached = getattr(derivative, "__diffc_forward__", None)
    if cached is not None and not cached.__diffc_guards__.check():
        return cached
    built = getattr(derivative, "__diffc_built__", derivative)
    form = built.__diffc_form__
    if form is None:                       # a jvp: its generated wrapper is forward code
        g = _generated_fn(built)
    else:
        kind, names, primal = form
        if kind != "grad" or len(names) != 1 or getattr(built, "__diffc_as_tuple__", False):
            what = {"value_and_grad": "value_and_grad", "vjp": "vjp"}.get(kind, "a gradient "
                                                                            "with several wrt")
            raise DiffcError(f"differentiating {what} again is not supported yet",
                             hint="differentiate diffc.grad(f) (one scalar parameter), or use "
                                  "diffc.hvp / diffc.hessian / diffc.jacobian")
        inner = forward_form(primal) if getattr(primal, "__diffc_primal__", None) else primal
        g = _compile_generated(inner, names, "derivative")
    derivative.__diffc_forward__ = g
    return g


def _compile_generated(fn, names, kind, as_tuple=False):
    g, src, ns, filename = _compile(fn, names, kind, as_tuple)
    g.__diffc_source__ = src
    g.__diffc_guards__ = ns.guards
    weakref.finalize(g, release_module, filename)
    return g


def _decorator(kind):
    def make(fn=None, wrt=0, *, verbose=False):
        if fn is None:
            return functools.partial(make, wrt=wrt, verbose=verbose)
        return _build(fn, wrt, kind, verbose)
    return make


grad = _decorator("grad")
grad.__doc__ = """The gradient of a scalar function.

    df = diffc.grad(f)                 # w.r.t. the first argument
    df = diffc.grad(f, wrt=(0, 'y'))   # several: a tuple of gradients
    @diffc.grad                        # or as a decorator
    def f(x): ...

The result has f's signature and returns gradients shaped and typed like the
arguments they belong to. ``verbose=True`` prints the generated source."""

value_and_grad = _decorator("value_and_grad")
value_and_grad.__doc__ = """Like ``grad``, but the function returns ``(value, gradient)``."""

vjp = _decorator("vjp")
vjp.__doc__ = """Vector-Jacobian product for functions with non-scalar outputs.

    vjp_f = diffc.vjp(f, wrt=0)
    vjp_f(x, y, cotangent)      # cotangent shaped like f(x, y); returns the gradient(s)
"""
_vjp_build = vjp
_jvp_build = _decorator("jvp")


def _user_callable(fn):
    """``fn`` as something ``_build`` and the wrappers below take: a diffc derivative, or a
    Python function (partials, bound methods and callable objects are written as one)."""
    if getattr(fn, "__diffc_primal__", None) is not None:
        return fn
    return as_function(fn)


def _target_of(fn):
    """What a derivative of ``fn`` transforms, got afresh (it is regenerated if stale)."""
    if getattr(fn, "__diffc_primal__", None) is not None:
        return forward_form(fn)
    return fn


def vjp(fn=None, wrt=0, *, verbose=False):  # noqa: F811  (the cotangent goes last)
    if fn is None:
        return functools.partial(vjp, wrt=wrt, verbose=verbose)
    fn = _user_callable(fn)
    built = _vjp_build(fn, wrt, verbose=verbose)
    params = signature(_target_of(fn)).parameters

    @functools.wraps(fn)
    def vjp_fn(*args, **kwargs):
        if "cotangent" in kwargs and "cotangent" not in params:
            ct = kwargs.pop("cotangent")
        elif args:
            *args, ct = args
        else:
            raise DiffcError(f"{fn.__name__}_vjp needs a cotangent as its last argument")
        return built(ct, *args, **kwargs)

    vjp_fn.__diffc_primal__ = fn
    vjp_fn.__diffc_built__ = built
    return vjp_fn


vjp.__doc__ = _vjp_build.__doc__


def _generated_fn(derivative):
    """The generated function behind a user-facing derivative (built now if it waited)."""
    built = getattr(derivative, "__diffc_built__", derivative)
    return built.__diffc_state__.ensure()


def _with_trailing(fn, built, what):
    """``f(*args, extra)``: the tangent (or vector) goes last; the generated function takes
    it as its last parameter, by keyword."""
    @functools.wraps(fn)
    def call(*args, **kwargs):
        target = _target_of(fn)
        if what in kwargs and what not in signature(target).parameters:
            extra = kwargs.pop(what)
        elif args:
            *args, extra = args
        else:
            raise DiffcError(f"{call.__name__} needs a {what} as its last argument")
        try:
            signature(target).bind(*args, **kwargs)
        except TypeError as e:
            raise DiffcError(f"{call.__name__} takes the arguments of {fn.__name__} and then a "
                             f"{what} ({e})") from None
        state = getattr(built, "__diffc_state__", None)
        gen = state.special(args, kwargs) if state is not None and state.calls() else \
            _generated_fn(built)
        last = list(signature(gen).parameters)[-1]
        return built(*args, **{last: extra}, **kwargs)
    return call


def jvp(fn=None, wrt=0, *, verbose=False):
    """Jacobian-vector product by forward mode (a source transformation, no dual numbers).

    f_jvp = diffc.jvp(f, wrt=0)
    value, tangent_out = f_jvp(x, y, tangent)   # tangent shaped like x; a tuple for several wrt
"""
    if fn is None:
        return functools.partial(jvp, wrt=wrt, verbose=verbose)
    fn = _user_callable(fn)
    built = _jvp_build(fn, wrt, verbose=verbose)
    jvp_fn = _with_trailing(fn, built, "tangent")
    jvp_fn.__name__ = jvp_fn.__qualname__ = f"{fn.__name__}_jvp"
    jvp_fn.__diffc_primal__ = fn
    jvp_fn.__diffc_built__ = built
    return jvp_fn


def _single_wrt(fn, wrt, what):
    names, as_tuple = _wrt_names(_target_of(fn), wrt)
    if as_tuple and len(names) != 1:
        raise DiffcError(f"diffc.{what} takes one parameter in wrt",
                         hint="group the parameters into one array")
    return names[0]


def _regenerated(make):
    """A function giving ``make()``'s generated function, made again when it is stale."""
    box = [None]

    def get():
        g = box[0]
        if g is None or g.__diffc_guards__.check():
            g = box[0] = make()
        return g
    return get


def hvp(fn=None, wrt=0, *, verbose=False):
    """Hessian-vector product of a scalar function: ``diffc.hvp(f)(x, y, v)`` is H v, H the
    Hessian with respect to x. Reverse mode over forward mode: the gradient with respect to
    x of the directional derivative of f along v, about 4 gradients' cost whatever x's size."""
    if fn is None:
        return functools.partial(hvp, wrt=wrt, verbose=verbose)
    fn = _user_callable(fn)
    name = _single_wrt(fn, wrt, "hvp")
    direction = _regenerated(lambda: _compile_generated(_target_of(fn), (name,), "direction"))
    built = _derivative(direction(), lambda: direction(), (name,), "grad", False)
    try:
        built.__diffc_state__.ensure()
    except NameResolutionError:
        pass
    if verbose:
        print(source(built))
    hvp_fn = _with_trailing(fn, built, "vector")
    hvp_fn.__name__ = hvp_fn.__qualname__ = f"{fn.__name__}_hvp"
    hvp_fn.__diffc_built__ = built
    return hvp_fn


def _argument(fn, name, args, kwargs):
    bound = signature(fn).bind(*args, **kwargs)
    bound.apply_defaults()
    return bound.arguments[name]


def _basis(x):
    shape = np.shape(x)
    for i in range(int(np.prod(shape))):
        e = np.zeros(int(np.prod(shape)))
        e[i] = 1.0
        yield e.reshape(shape) if shape else 1.0


def hessian(fn=None, wrt=0, *, verbose=False):
    """The Hessian of a scalar function with respect to one argument, shaped
    ``x.shape + x.shape``: one Hessian-vector product (reverse over forward mode) per
    element of x, so O(n) gradients for n elements."""
    if fn is None:
        return functools.partial(hessian, wrt=wrt, verbose=verbose)
    fn = _user_callable(fn)
    name = _single_wrt(fn, wrt, "hessian")
    hv = hvp(fn, name, verbose=verbose)

    @functools.wraps(fn)
    def hessian_fn(*args, **kwargs):
        x = _argument(_target_of(fn), name, args, kwargs)
        rows = [np.reshape(hv(*args, v, **kwargs), -1) for v in _basis(x)]
        shape = np.shape(x)
        h = np.array(rows, dtype=np.float64).reshape(shape + shape)
        return float(h) if not shape else h
    hessian_fn.__name__ = hessian_fn.__qualname__ = f"{fn.__name__}_hessian"
    hessian_fn.__diffc_built__ = hv.__diffc_built__
    return hessian_fn


def jacobian(fn=None, wrt=0, *, mode="auto", verbose=False):
    """The Jacobian of f with respect to one argument, shaped ``f(x).shape + x.shape``.

    mode="forward": one Jacobian-vector product (forward mode) per element of x;
    mode="reverse": one vector-Jacobian product (reverse mode) per element of f(x);
    mode="auto" (default): forward, switching to reverse after the first product if
    f(x) has fewer elements than x."""
    if fn is None:
        return functools.partial(jacobian, wrt=wrt, mode=mode, verbose=verbose)
    if mode not in ("auto", "forward", "reverse"):
        raise DiffcError(f"mode must be 'auto', 'forward' or 'reverse', got {mode!r}")
    fn = _user_callable(fn)
    name = _single_wrt(fn, wrt, "jacobian")
    fwd = jvp(fn, name, verbose=verbose)
    rev = vjp(fn, name, verbose=verbose) if mode != "forward" else None

    @functools.wraps(fn)
    def jacobian_fn(*args, **kwargs):
        target = _target_of(fn)
        x = _argument(target, name, args, kwargs)
        xshape = np.shape(x)
        if mode == "reverse":
            value = target(*args, **kwargs)
            return _rows(rev, args, kwargs, value, xshape)
        basis = _basis(x)
        value, first = fwd(*args, next(basis), **kwargs)
        if mode == "auto" and np.size(value) < np.size(x):
            return _rows(vjp(fn, name), args, kwargs, value, xshape)
        cols = [np.reshape(first, -1)] + [np.reshape(fwd(*args, v, **kwargs)[1], -1)
                                          for v in basis]
        vshape = np.shape(value)
        j = np.array(cols, dtype=np.float64).T.reshape(vshape + xshape)
        return float(j) if not j.shape else j
    jacobian_fn.__name__ = jacobian_fn.__qualname__ = f"{fn.__name__}_jacobian"
    return jacobian_fn


def _rows(rev, args, kwargs, value, xshape):
    rows = [np.reshape(rev(*args, ct, **kwargs), -1) for ct in _basis(value)]
    vshape = np.shape(value)
    j = np.array(rows, dtype=np.float64).reshape(vshape + xshape)
    return float(j) if not j.shape else j


def source(fn):
    """The generated source of a function returned by grad, value_and_grad, vjp, jvp, hvp
    or hessian."""
    return _state(fn).source


def source_map(fn):
    """Where each line of ``diffc.source(fn)`` comes from: a dict from line numbers of the
    generated source (1-based) to the ``Loc`` (filename, lineno, col, text) of the user's
    statement it was generated from. Lines that do not derive from one statement (the
    wrapper's bookkeeping) are absent."""
    state = _state(fn)
    return dict(module_map(state.filename))


def _state(fn):
    built = getattr(fn, "__diffc_built__", fn)
    state = getattr(built, "__diffc_state__", None)
    if state is None:
        raise DiffcError(f"{getattr(fn, '__name__', fn)!r} was not built by diffc",
                         hint="pass the function returned by diffc.grad / value_and_grad / vjp "
                              "/ jvp / hvp / hessian")
    state.ensure()     # the build may have waited for a name to be defined; try now
    return state.current if state.calls() else state


def _build_dynamic(fn, wrt, kind):
    """The derivative backend/dynamic.py asks for: of a function called through a
    variable."""
    return (vjp if kind == "vjp" else jvp)(fn, wrt=wrt)


dynamic.BUILD = _build_dynamic
