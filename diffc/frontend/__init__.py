"""Frontend: Python function -> IR.

    parse (source.py) -> ForToRange (loops.py) -> RemoveJumps (jumps.py)
    -> Lowerer (lower.py) -> guard_augmented (aliasing.py) -> prepare_writes (writes.py)
"""
import gast

from ..ir.names import NameGen
from .aliasing import guard_augmented
from .jumps import RemoveJumps
from .loops import ForToRange
from .lower import Lowerer
from .resolve import Resolver
from .source import parse_function
from .writes import prepare_writes
from .templates import all_names, assigned_names


def function_locals(fdef):
    a = fdef.args
    params = {p.id for p in a.posonlyargs + a.args + a.kwonlyargs}
    return params | assigned_names(fdef)


def called_params(fn):
    """The parameters ``fn`` calls (``def loss(model, x): return model(x)``): a derivative
    is built for the functions passed there, when it is called."""
    fdef = parse_function(fn).node
    a = fdef.args
    params = {p.id for p in a.posonlyargs + a.args + a.kwonlyargs}
    assigned = assigned_names(fdef)
    return tuple(sorted({n.func.id for n in gast.walk(fdef) if isinstance(n, gast.Call) and
                         isinstance(n.func, gast.Name) and n.func.id in params and
                         n.func.id not in assigned}))


def lower_function(fn, namespace, helper=False, statics=None):
    """Parse ``fn`` and lower it to an ``ir.Function``; returns (function, NameGen).
    ``helper``: ``fn`` is called by another differentiated function. ``statics``: the
    functions passed for parameters it calls (name -> function)."""
    parsed = parse_function(fn)
    namespace.guards.function(fn)
    inner = getattr(fn, "__diffc_guards__", None)    # generated code differentiated again
    if inner is not None:
        namespace.guards.include(inner)
    resolver = Resolver(fn, namespace.guards)
    fdef = parsed.node
    user_names = all_names(fdef)
    names = NameGen(user_names, namespace.objs, namespace.avoid)
    ForToRange(resolver, function_locals(fdef), names, parsed).visit(fdef)
    RemoveJumps(names).run(fdef)
    local_names = function_locals(fdef)
    namespace.avoid |= local_names
    lowerer = Lowerer(parsed, resolver, names, namespace, local_names, statics or {})
    fn_ir = lowerer.function()
    guard_augmented(fn_ir, namespace, user_names, names, helper)
    prepare_writes(fn_ir, namespace, names)
    return fn_ir, names
