"""Read a function's source and parse it with gast; check it is the code that runs.

``inspect`` finds the source through ``linecache``, which is also where
IPython and Jupyter keep cell sources, so notebook functions work too.
Line and column numbers of every node are mapped back to the original file.

The source is found from the function's own code object, not from what a
``functools.wraps`` decorator says it wraps: a decorated function is its
wrapper. The file may have been edited since the function was defined, so the
parsed ``def`` is compiled again and compared with ``fn.__code__``; a
mismatch is an error, never a derivative of other code.
"""
import ast
import inspect
import keyword
import linecache
import textwrap
import types
from dataclasses import dataclass

import gast

from ..errors import DiffcError, UnsupportedError
from ..ir.nodes import Loc


@dataclass
class ParsedFunction:
    fn: object
    node: gast.FunctionDef
    filename: str
    firstlineno: int
    indent: int

    def loc(self, node):
        lineno = getattr(node, "lineno", None)
        if lineno is None:
            return None
        line = lineno + self.firstlineno - 1
        col = getattr(node, "col_offset", 0) + self.indent
        text = linecache.getline(self.filename, line).rstrip("\n")
        return Loc(self.filename, line, col, text)


def parse_function(fn):
    """Parse ``fn`` into a ``ParsedFunction`` or raise a ``DiffcError``."""
    name = getattr(fn, "__qualname__", repr(fn))
    code = getattr(fn, "__code__", None)
    if code is None:
        raise DiffcError(f"cannot differentiate {fn!r}: it is not a Python function",
                         hint="pass a function defined with `def`")
    if code.co_name == "<lambda>" or getattr(fn, "__diffc_lambda__", False):
        node, _, filename = find_lambda(fn)
        fdef = gast.FunctionDef(name=lambda_name(fn), args=node.args,
                                body=[gast.copy_location(gast.Return(value=node.body), node)],
                                decorator_list=[], returns=None, type_comment=None,
                                type_params=[])
        return ParsedFunction(fn, gast.copy_location(fdef, node), filename, 1, 0)
    try:
        lines, firstlineno = inspect.getsourcelines(code)
    except (OSError, TypeError) as e:
        raise DiffcError(f"cannot read the source of {name} ({code.co_filename}): {e}",
                         hint="diffc reads source code; define the function in a file, "
                              "a notebook cell or an IPython session") from None
    filename = inspect.getsourcefile(code) or code.co_filename
    raw = "".join(lines)
    source = textwrap.dedent(raw)
    indent = len(lines[0]) - len(lines[0].lstrip()) if lines else 0
    try:
        tree = gast.parse(source)
    except SyntaxError:
        raise _drift(fn, filename, firstlineno) from None
    node = tree.body[0] if tree.body else None
    if isinstance(node, gast.AsyncFunctionDef):
        raise UnsupportedError(f"cannot differentiate {name}: it is an `async def`",
                               _loc(filename, firstlineno + node.lineno - 1,
                                    node.col_offset + indent),
                               "differentiate a plain `def` function")
    if not isinstance(node, gast.FunctionDef) or node.name != code.co_name:
        raise _drift(fn, filename, firstlineno)
    if not _same_code(code, _compile_like(fn, source, filename)):
        raise _drift(fn, filename, firstlineno)
    cls = _class_of(fn)
    if cls is not None:
        _Mangle(cls).visit(node)
    return ParsedFunction(fn, node, filename, firstlineno, indent)


# ---------------------------------------------------------------- lambdas

_lambdas = {}       # (filename, hash of its text) -> (gast tree, parent of each node)


def _module_tree(filename):
    text = "".join(linecache.getlines(filename))
    key = (filename, hash(text))
    if key not in _lambdas:
        try:
            tree = gast.parse(text) if text else None
        except SyntaxError:
            tree = None
        parents = {}
        for n in gast.walk(tree) if tree is not None else ():
            for c in gast.iter_child_nodes(n):
                parents[c] = n
        if len(_lambdas) > 64:
            _lambdas.clear()
        _lambdas[key] = (tree, parents)
    return _lambdas[key]


def find_lambda(fn):
    """(the ``gast.Lambda`` node of the lambda ``fn``, its parent node, the filename): the
    lambda on its first line whose code is ``fn``'s."""
    code = fn.__code__.replace(co_name="<lambda>")
    filename = code.co_filename
    try:
        filename = inspect.getsourcefile(code) or filename
        inspect.getsourcelines(code)            # loads the file (or cell) into linecache
    except (OSError, TypeError) as e:
        raise DiffcError(f"cannot read the source of a lambda ({filename}): {e}",
                         hint="diffc reads source code; define the function in a file, "
                              "a notebook cell or an IPython session") from None
    tree, parents = _module_tree(filename)
    found = [n for n in (gast.walk(tree) if tree is not None else ())
             if isinstance(n, gast.Lambda) and n.lineno == code.co_firstlineno]
    probe = types.SimpleNamespace(__code__=code, __qualname__=fn.__qualname__)
    for node in found:
        src = ast.unparse(gast.gast_to_ast(gast.Expression(body=node)))
        if _same_code(code, _compile_like(probe, f"({src})\n", filename)):
            return node, parents.get(node), filename
    raise _drift(fn, filename, code.co_firstlineno)


def lambda_name(fn):
    """A name for a lambda in generated code: the variable it is assigned to (``scale =
    lambda v: ...``), its key in a dict display, its keyword, else ``lambda_<line>``."""
    if getattr(fn, "__diffc_lambda__", False):
        return fn.__name__
    node, parent, _ = find_lambda(fn)
    name = None
    if isinstance(parent, gast.Assign) and len(parent.targets) == 1 and \
            isinstance(parent.targets[0], gast.Name):
        name = parent.targets[0].id
    elif isinstance(parent, gast.Dict) and node in parent.values:
        key = parent.keys[parent.values.index(node)]
        if isinstance(key, gast.Constant) and isinstance(key.value, str):
            name = key.value
    elif isinstance(parent, gast.keyword) and parent.arg:
        name = parent.arg
    if not (name and name.isidentifier() and not keyword.iskeyword(name)):
        name = f"lambda_{node.lineno}"
    return name


def _class_of(fn):
    """The name of the class whose body defines ``fn`` (None outside classes)."""
    parts = getattr(fn.__code__, "co_qualname", fn.__qualname__).split(".")
    return parts[-2] if len(parts) >= 2 and parts[-2] != "<locals>" else None


class _Mangle(gast.NodeTransformer):
    """Private names in a class body: ``self.__w`` means ``self._Model__w``, as Python
    compiles it (the derivative is generated outside the class)."""

    def __init__(self, cls):
        self.prefix = "_" + cls.lstrip("_") if cls.lstrip("_") else None

    def mangle(self, name):
        if self.prefix and name and name.startswith("__") and not name.endswith("__"):
            return self.prefix + name
        return name

    def visit_Name(self, node):
        node.id = self.mangle(node.id)
        return node

    def visit_Attribute(self, node):
        self.generic_visit(node)
        node.attr = self.mangle(node.attr)
        return node

    def visit_keyword(self, node):
        self.generic_visit(node)
        node.arg = self.mangle(node.arg)
        return node


def _loc(filename, line, col):
    return Loc(filename, line, col, linecache.getline(filename, line).rstrip("\n"))


def _drift(fn, filename, line):
    return DiffcError(
        f"the source of `{fn.__qualname__}` in {filename} (line {line}) is not the code that "
        f"runs: the file was changed after the function was defined",
        hint="reload the module (importlib.reload, or restart the interpreter / kernel) so "
             "that the function is the code in the file")


# ---------------------------------------------------------------- source vs. running code

def _compile_like(fn, source, filename):
    """Compile ``source`` (one ``def``) in a context like the one ``fn`` was defined in:
    inside a function providing its free variables, inside its class (private names are
    mangled with the class name). Returns the code object of the function, or None."""
    code = fn.__code__
    cls = _class_of(fn)
    body = source
    if cls is not None:
        body = f"class {cls}:\n" + textwrap.indent(body, "    ")
    free = [v for v in code.co_freevars if not (cls is not None and v == "__class__")]
    if free or (cls is not None and "__class__" in code.co_freevars):
        setup = "".join(f"    {v} = None\n" for v in free)
        body = f"def __diffc_context__():\n{setup}" + textwrap.indent(body, "    ")
    # the compiler reads attributes of names bound by a module-level import differently
    imported = sorted(_imported_names(filename) & _all_names(code))
    body = "".join(f"import _ as {n}\n" for n in imported) + body
    flags = code.co_flags & _FUTURE_FLAGS
    try:
        module = compile(body, filename, "exec", flags=flags, dont_inherit=True)
    except SyntaxError:
        return None
    found = [module]
    while found:          # breadth first: the def itself before functions nested in it
        c = found.pop(0)
        if c is not module and c.co_name == code.co_name and \
                c.co_argcount == code.co_argcount:
            return c
        found.extend(k for k in c.co_consts if inspect.iscode(k))
    return None


def _all_names(code):
    names = set(code.co_names)
    for c in code.co_consts:
        if inspect.iscode(c):
            names |= _all_names(c)
    return names


_imports_cache = {}


def _imported_names(filename):
    """Names bound by import statements at the top level of the module in ``filename``."""
    text = "".join(linecache.getlines(filename))
    key = (filename, hash(text))
    if key not in _imports_cache:
        out = set()
        try:
            stack = list(ast.parse(text).body)
        except (SyntaxError, ValueError):
            stack = []
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                out |= {a.asname or a.name.split(".")[0] for a in node.names}
            elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                stack.extend(c for c in ast.iter_child_nodes(node) if isinstance(c, ast.stmt))
        if len(_imports_cache) > 256:
            _imports_cache.clear()
        _imports_cache[key] = out
    return _imports_cache[key]


def _future_flags():
    import __future__
    flags = 0
    for name in __future__.all_feature_names:
        flags |= getattr(__future__, name).compiler_flag
    return flags


_FUTURE_FLAGS = _future_flags()
_ATTRS = ("co_code", "co_names", "co_varnames", "co_freevars", "co_cellvars", "co_argcount",
          "co_posonlyargcount", "co_kwonlyargcount")


def _same_code(a, b):
    """Same bytecode, names and constants (nested code objects compared the same way)."""
    if b is None:
        return False
    if any(getattr(a, n) != getattr(b, n) for n in _ATTRS):
        return _rewritten_by_pytest(a) and a.co_varnames[:a.co_argcount] == \
            b.co_varnames[:b.co_argcount]
    if len(a.co_consts) != len(b.co_consts):
        return False
    for x, y in zip(a.co_consts, b.co_consts):
        if inspect.iscode(x) and inspect.iscode(y):
            if not _same_code(x, y):
                return False
        elif type(x) is not type(y) or (x != y and not (x != x and y != y)) or \
                (isinstance(x, float) and str(x) != str(y)):    # 0.0 and -0.0
            return False
    return True


def _rewritten_by_pytest(code):
    """pytest rewrites ``assert`` statements in test modules, so their functions' code is
    not what the source compiles to: compare only what the source says (names, arguments)."""
    return any(n.startswith("@py") for n in code.co_varnames + code.co_names)
