"""Read a function's source and parse it with gast.

``inspect`` finds the source through ``linecache``, which is also where
IPython and Jupyter keep cell sources, so notebook functions work too.
Line and column numbers of every node are mapped back to the original file.
"""
import inspect
import linecache
import textwrap
from dataclasses import dataclass

import gast

from ..errors import DiffcError
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
    if fn.__name__ == "<lambda>":
        raise DiffcError(f"cannot differentiate a lambda ({code.co_filename}:{code.co_firstlineno})",
                         hint="define the function with `def`")
    try:
        lines, firstlineno = inspect.getsourcelines(fn)
    except (OSError, TypeError) as e:
        raise DiffcError(f"cannot read the source of {name} ({code.co_filename}): {e}",
                         hint="diffc reads source code; define the function in a file, "
                              "a notebook cell or an IPython session") from None
    raw = "".join(lines)
    source = textwrap.dedent(raw)
    indent = len(lines[0]) - len(lines[0].lstrip()) if lines else 0
    tree = gast.parse(source)
    node = tree.body[0]
    if not isinstance(node, gast.FunctionDef):
        raise DiffcError(f"{name} is not defined by a plain `def` statement "
                         f"({code.co_filename}:{firstlineno})")
    filename = inspect.getsourcefile(fn) or code.co_filename
    return ParsedFunction(fn, node, filename, firstlineno, indent)
