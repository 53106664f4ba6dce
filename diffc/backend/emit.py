"""Emit Python source for IR functions."""
import ast

import gast

from ..ir.printer import INDENT, Printer


def signature_src(fn, args, namespace, name):
    """The parameter list of ``fn`` as source, defaults spelled as literals or bound names."""
    a = gast.gast_to_ast(args) if isinstance(args, gast.AST) else args
    a = ast.arguments(posonlyargs=list(a.posonlyargs), args=list(a.args), vararg=a.vararg,
                      kwonlyargs=list(a.kwonlyargs), kw_defaults=list(a.kw_defaults),
                      kwarg=a.kwarg, defaults=list(a.defaults))
    for p in a.posonlyargs + a.args + a.kwonlyargs:
        p.annotation = None
    positional = a.posonlyargs + a.args
    values = list(fn.__defaults__ or ())
    for i, d in enumerate(a.defaults):
        p = positional[len(positional) - len(a.defaults) + i]
        a.defaults[i] = _default(d, values[i], p.arg, namespace, name)
    kw = fn.__kwdefaults__ or {}
    for i, (p, d) in enumerate(zip(a.kwonlyargs, a.kw_defaults)):
        if d is not None:
            a.kw_defaults[i] = _default(d, kw[p.arg], p.arg, namespace, name)
    return ast.unparse(a)


def _default(node, value, param, namespace, fname):
    try:
        if ast.literal_eval(node) == value:
            return node
    except (ValueError, TypeError, SyntaxError):
        pass
    return ast.Name(id=namespace.bind(f"{fname}_{param}_default", value), ctx=ast.Load())


def function_src(name, params, body, comment=None, helpers=None, line_comments=False,
                 locs=None):
    """Source of ``def name(params): body``; ``helpers`` maps runtime helper names
    to the names generated code uses for them. ``locs``, a list, receives the ``Loc`` each
    line derives from (None for the ``def`` line and the docstring)."""
    helpers = helpers or {}
    lines = [f"def {name}({params}):"]
    if comment:
        lines.append(f'{INDENT}"""{comment}"""')
    printer = Printer(helpers.get("index_vjp", "index_vjp"), line_comments,
                      helpers.get("seq_add", "seq_add"))
    lines += printer.block(body, 1)
    if locs is not None:
        locs.extend(getattr(ln, "loc", None) for ln in lines)
    return "\n".join(lines)
