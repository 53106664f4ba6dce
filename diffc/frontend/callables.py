"""What diffc differentiates when it is given something other than a plain ``def``.

A ``functools.partial``, a bound method or a callable object runs a Python
function with some arguments fixed. diffc writes that as a small Python
function, with the parameters that are left, and differentiates it like any
other (the function it calls becomes a helper)::

    functools.partial(loss, data=X)     ==>   def loss_partial(w, *, data=data_bound):
                                                  return loss(w, data=data)

    model.predict   (a bound method)    ==>   def predict(x):
                                                  return Model_predict(self_bound, x)

    model           (has __call__)      ==>   def Model_call(x):
                                                  return Model_call_(self_bound, x)

The bound values are globals of the small function's module, so the
derivative reads them when it runs. Anything else that is not a Python
function (a NumPy ufunc, a builtin, a class) is refused with a hint.
"""
import functools
import inspect
import itertools
import linecache
import types
import weakref

from ..errors import DiffcError
from ..ir.names import NameGen

_ids = itertools.count()
_made = weakref.WeakKeyDictionary()    # partial / callable object -> its function


def signature(fn):
    """The parameters of ``fn`` itself (not of the function a decorator wrapped)."""
    return inspect.signature(fn, follow_wrapped=False)


def _describe(obj):
    mod = getattr(obj, "__module__", None) or ""
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)
    if mod.split(".")[0] == "numpy" or type(obj).__module__ == "numpy":
        return f"`np.{getattr(obj, '__name__', name)}`, a NumPy function"
    if mod in ("math", "builtins"):
        return f"`{mod + '.' if mod == 'math' else ''}{name}`, a builtin function"
    return f"`{name}` (a {type(obj).__name__})"


def _flatten(obj):
    """(function, arguments bound before the caller's, keywords bound) for ``obj``."""
    if isinstance(obj, types.FunctionType):
        return obj, (), {}
    if isinstance(obj, functools.partial):
        fn, args, kw = _flatten(obj.func)
        return fn, args + tuple(obj.args), {**kw, **obj.keywords}
    if isinstance(obj, types.MethodType):
        fn, args, kw = _flatten(obj.__func__)
        return fn, args + (obj.__self__,), kw
    call = getattr(type(obj), "__call__", None)
    if isinstance(call, types.FunctionType) and not isinstance(obj, type):
        return call, (obj,), {}
    return None, (), {}


_named = weakref.WeakKeyDictionary()   # lambda -> the same function with a name


def named(fn):
    """A lambda as the same function (code, globals, defaults, closure) with a name
    generated code can use (source.lambda_name: ``scale`` for ``scale = lambda v: ...``);
    any other function as it is."""
    if not (isinstance(fn, types.FunctionType) and fn.__code__.co_name == "<lambda>"):
        return fn
    made = _named.get(fn)
    if made is None:
        from .source import lambda_name
        name = lambda_name(fn)
        made = types.FunctionType(fn.__code__.replace(co_name=name), fn.__globals__, name,
                                  fn.__defaults__, fn.__closure__)
        made.__kwdefaults__ = fn.__kwdefaults__
        made.__module__ = fn.__module__
        made.__qualname__ = fn.__qualname__.replace("<lambda>", name)
        made.__diffc_lambda__ = True
        _named[fn] = made
    return made


def as_function(obj):
    """A Python function diffc can read that computes ``obj(...)``: ``obj`` itself when it is
    a function (a lambda given a name), otherwise a small generated one (see the module
    docstring)."""
    if isinstance(obj, types.FunctionType):
        return named(obj)
    if not callable(obj):
        raise DiffcError(f"diffc differentiates functions, got {type(obj).__name__}")
    try:
        cached = _made.get(obj)
    except TypeError:       # not weakly referenceable
        cached = None
    if cached is not None:
        return cached
    fn, bound_args, bound_kw = _flatten(obj)
    fn = named(fn) if fn is not None else None
    if fn is None:
        what = _describe(obj)
        hint = "define a Python function that calls it and differentiate that, e.g. " \
               "`def f(x): return np.sum(np.sin(x))`"
        if isinstance(obj, type):
            raise DiffcError(f"diffc differentiates functions; {obj.__name__} is a class",
                             hint="differentiate a function that creates and uses it")
        if getattr(obj, "__wrapped__", None) is not None and "NumPy" not in what:
            hint = ("it wraps the Python function `{0}`; if the wrapper does not change the "
                    "value, differentiate `{0}` itself (its `__wrapped__`)".format(
                        getattr(obj.__wrapped__, "__qualname__", "the function")))
        raise DiffcError(f"cannot differentiate {what}: diffc reads the source of Python "
                         "functions (def)", hint=hint)
    made = _write_function(obj, fn, bound_args, bound_kw)
    if isinstance(obj, functools.partial):   # (a callable object would keep itself alive)
        _made[obj] = made
    return made


def _write_function(obj, fn, bound_args, bound_kw):
    try:
        sig = inspect.signature(obj)
        inner = list(signature(fn).parameters.values())
    except (TypeError, ValueError) as e:
        raise DiffcError(f"cannot read the signature of {obj!r}: {e}") from None
    params = list(sig.parameters.values())
    if isinstance(obj, functools.partial):
        name = f"{fn.__name__}_partial"
    elif isinstance(obj, types.MethodType):
        name = fn.__name__
    else:
        name = f"{type(obj).__name__}_call"
    names = NameGen([p.name for p in params] + [name])
    namespace = {}

    def bind(hint, value):
        n = names.fresh(hint)
        namespace[n] = value
        return n

    callee = bind(fn.__name__ if fn.__name__ != name else
                  f"{getattr(type(getattr(obj, '__self__', obj)), '__name__', 'call')}_"
                  f"{fn.__name__}", fn)
    # the parameter list: defaults (keywords a partial fixed) are globals of the module
    parts, seen_kwonly = [], False
    last_posonly = max((i for i, p in enumerate(params) if p.kind is p.POSITIONAL_ONLY),
                       default=None)
    for i, p in enumerate(params):
        text = p.name
        if p.kind is p.VAR_POSITIONAL:
            text, seen_kwonly = "*" + p.name, True
        elif p.kind is p.VAR_KEYWORD:
            text = "**" + p.name
        elif p.kind is p.KEYWORD_ONLY and not seen_kwonly:
            parts.append("*")
            seen_kwonly = True
        if p.default is not p.empty:
            text += "=" + bind(f"{p.name}_bound", p.default)
        parts.append(text)
        if i == last_posonly:
            parts.append("/")
    args = [bind(f"{inner[i].name if i < len(inner) else 'arg'}_bound", v)
            for i, v in enumerate(bound_args)]
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            args.append("*" + p.name)
        elif p.kind is p.VAR_KEYWORD:
            args.append("**" + p.name)
        elif p.kind is p.KEYWORD_ONLY or p.name in bound_kw:
            args.append(f"{p.name}={p.name}")
        else:
            args.append(p.name)
    for k, v in bound_kw.items():     # keywords a **kwargs parameter receives
        if k not in sig.parameters:
            args.append(f"{k}={bind(f'{k}_bound', v)}")
    src = (f"def {name}({', '.join(parts)}):\n"
           f"    return {callee}({', '.join(args)})\n")
    filename = f"<diffc-call-{next(_ids)}:{getattr(fn, '__qualname__', name)}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    exec(compile(src, filename, "exec"), namespace)
    made = namespace[name]
    made.__qualname__ = name
    made.__doc__ = f"{obj!r} as a Python function (written by diffc)."
    weakref.finalize(made, linecache.cache.pop, filename, None)
    return made
