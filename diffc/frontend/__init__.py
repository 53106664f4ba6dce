"""Frontend: Python function -> IR.

    parse (source.py) -> ForToRange (loops.py) -> RemoveJumps (jumps.py)
    -> Lowerer (lower.py) -> guard_augmented (aliasing.py) -> prepare_writes (writes.py)
"""
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


def lower_function(fn, namespace, helper=False):
    """Parse ``fn`` and lower it to an ``ir.Function``; returns (function, NameGen).
    ``helper``: ``fn`` is called by another differentiated function."""
    parsed = parse_function(fn)
    namespace.guards.function(fn)
    inner = getattr(fn, "__diffc_guards__", None)    # generated code differentiated again
    if inner is not None:
        namespace.guards.include(inner)
    resolver = Resolver(fn, namespace.guards)
    fdef = parsed.node
    user_names = all_names(fdef)
    names = NameGen(user_names, namespace.objs)
    ForToRange(resolver, function_locals(fdef), names, parsed).visit(fdef)
    RemoveJumps(names).run(fdef)
    local_names = function_locals(fdef)
    namespace.avoid |= local_names
    lowerer = Lowerer(parsed, resolver, names, namespace, local_names)
    fn_ir = lowerer.function()
    guard_augmented(fn_ir, namespace, user_names, names, helper)
    prepare_writes(fn_ir, namespace, names)
    return fn_ir, names
