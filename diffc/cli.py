"""Command line: ``diffc show FILE.py:FUNCTION`` prints a function's derivative source.

    diffc show examples/bouncing_ball.py:loss --wrt 0
    diffc show mypkg.model:loss --wrt w,b --ir     # also the IR the frontend produced
"""
import argparse
import importlib
import importlib.util
import os
import sys

from . import api
from .backend.namespace import Namespace
from .errors import DiffcError


def load_function(target):
    """``path/to/file.py:name`` or ``package.module:name`` -> the function object. Every
    problem (no such file or module, a directory, a syntax error, an exception raised on
    import, no such function) is a DiffcError."""
    if ":" not in target:
        raise DiffcError(f"expected FILE.py:FUNCTION or MODULE:FUNCTION, got {target!r}")
    where, name = target.rsplit(":", 1)
    if where.endswith(".py") or os.path.sep in where or os.path.isdir(where):
        path = os.path.abspath(where)
        if os.path.isdir(path):
            raise DiffcError(f"{where} is a directory; expected FILE.py:FUNCTION")
        if not os.path.exists(path):
            raise DiffcError(f"no such file: {where}")
        sys.path.insert(0, os.path.dirname(path))
        modname = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(modname, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[modname] = module
        _run_import(where, lambda: spec.loader.exec_module(module))
    else:
        module = _run_import(where, lambda: importlib.import_module(where))
    if not name:
        raise DiffcError(f"no function named after the colon in {target!r}")
    obj = module
    for part in name.split("."):
        if not hasattr(obj, part):
            raise DiffcError(f"{where} has no attribute {name!r}")
        obj = getattr(obj, part)
    return getattr(obj, "__diffc_primal__", obj)


def _run_import(where, load):
    try:
        return load()
    except SyntaxError as e:
        raise DiffcError(f"{e.filename}:{e.lineno}:{e.offset or 0}: syntax error: {e.msg}") \
            from None
    except ModuleNotFoundError as e:
        if e.name and where.startswith(e.name.split(".")[0]) or e.name == where:
            raise DiffcError(f"no module named {where!r}", hint="pass FILE.py:FUNCTION, or "
                             "run diffc where the module can be imported") from None
        raise DiffcError(f"importing {where} failed: {e}") from None
    except DiffcError:
        raise
    except BaseException as e:        # (SystemExit too: a script that exits on import)
        raise DiffcError(f"importing {where} raised {type(e).__name__}: {e}") from None


def _wrt(text):
    items = [int(w) if w.lstrip("-").isdigit() else w for w in text.split(",") if w]
    return items[0] if len(items) == 1 else tuple(items)


def cmd_show(args):
    fn = load_function(args.target)
    if args.ir:
        from .frontend import lower_function
        from .ir.printer import print_stmts
        fn_ir, _ = lower_function(fn, Namespace())
        print(f"# IR of {fn.__name__}({', '.join(fn_ir.params)})")
        print(print_stmts(fn_ir.body))
        print()
    if args.stages:
        from .compiler import ModuleBuilder

        def trace(stage, name, text):
            print(f"# ---- {stage}: {name}")
            print(text + "\n")
        builder = ModuleBuilder(trace)
        names, as_tuple = api._wrt_names(fn, _wrt(args.wrt))
        builder.wrapper(fn, names, args.kind, as_tuple)
        print("# ---- emitted source")
        print(builder.source(), end="")
        return 0
    kind = {"grad": api.grad, "value_and_grad": api.value_and_grad, "vjp": api.vjp,
            "jvp": api.jvp}[args.kind]
    print(api.source(kind(fn, wrt=_wrt(args.wrt))), end="")
    return 0


class _Parser(argparse.ArgumentParser):
    """Usage errors print ``diffc: error: ...`` and exit with status 1, as every error."""

    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"diffc: error: {message}", file=sys.stderr)
        sys.exit(1)


def main(argv=None):
    parser = _Parser(prog="diffc", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    show = sub.add_parser("show", help="print the generated derivative source of a function")
    show.add_argument("target", help="FILE.py:FUNCTION or MODULE:FUNCTION")
    show.add_argument("--wrt", default="0", help="parameters (positions or names, comma-separated)")
    show.add_argument("--kind", default="grad", choices=["grad", "value_and_grad", "vjp", "jvp"])
    show.add_argument("--ir", action="store_true", help="also print the lowered IR")
    show.add_argument("--stages", action="store_true",
                      help="print the IR after every stage of the pipeline")
    show.set_defaults(run=cmd_show)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except DiffcError as e:
        print(f"diffc: error: {e}", file=sys.stderr)
        return 1
    except Exception as e:            # a diffc bug: say so, without a traceback
        print(f"diffc: error: internal error ({type(e).__name__}: {e}); please report it",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
