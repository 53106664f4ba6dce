"""Print IR as Python source.

The same printer serves debugging (``diffc show --ir``) and the backend: IR
statements are already one Python statement each, so printing them *is* code
generation. Comments attached to statements are printed above them.
"""
import ast

from .nodes import (AddTo, Append, Assign, AtomExpr, Attribute, BinOp, Call, Const, Drop, ExprStmt,
                    Field, For, If, MethodRef, Pop, Push, Raise, Raw, Restore, Return, Save, SeqLit,
                    SetItem, Slice, Subscript, UnaryOp, Var, While)

INDENT = "    "


class Line(str):
    """A line of printed code and the ``Loc`` of the statement it comes from."""

    def __new__(cls, text, loc=None):
        line = str.__new__(cls, text)
        line.loc = loc
        return line


def fmt_atom(a):
    if isinstance(a, (Var, Const)):
        return str(a)
    if isinstance(a, SeqLit):
        inner = ", ".join(fmt_atom(e) for e in a.elts)
        if a.kind == "list":
            return f"[{inner}]"
        return f"({inner},)" if len(a.elts) == 1 else f"({inner})"
    if a is None:
        return "None"
    raise TypeError(f"not an atom: {a!r}")


def fmt_index(idx):
    if isinstance(idx, Field):
        return repr(idx.name)
    if isinstance(idx, Slice):
        parts = [fmt_atom(p) if p is not None else "" for p in (idx.lower, idx.upper)]
        s = ":".join(parts)
        if idx.step is not None:
            s += ":" + fmt_atom(idx.step)
        return s
    if isinstance(idx, tuple):
        if not idx:
            return "()"
        items = [fmt_index(i) for i in idx]
        return items[0] + "," if len(items) == 1 else ", ".join(items)
    return fmt_atom(idx)


def fmt_expr(e):
    if isinstance(e, AtomExpr):
        return fmt_atom(e.atom)
    if isinstance(e, (Var, Const, SeqLit)):
        return fmt_atom(e)
    if isinstance(e, BinOp):
        left = fmt_atom(e.left)
        if e.op == "**" and left.startswith("-"):
            left = f"({left})"      # (-0.5) ** 2, not -(0.5 ** 2)
        return f"{left} {e.op} {fmt_atom(e.right)}"
    if isinstance(e, UnaryOp):
        sep = " " if e.op == "not" else ""
        return f"{e.op}{sep}{fmt_atom(e.operand)}"
    if isinstance(e, Subscript):
        return f"{fmt_atom(e.value)}[{fmt_index(e.index)}]"
    if isinstance(e, SetItem) and isinstance(e.index, Field):
        return f"setattr({fmt_atom(e.value)}.{e.index.name}, {fmt_atom(e.item)})"
    if isinstance(e, SetItem):
        return f"setitem({fmt_atom(e.value)}[{fmt_index(e.index)}], {fmt_atom(e.item)})"
    if isinstance(e, Append):
        return f"append({fmt_atom(e.value)}, {fmt_atom(e.item)})"
    if isinstance(e, Drop):
        return f"drop({fmt_atom(e.value)})"
    if isinstance(e, Attribute):
        return f"{fmt_atom(e.value)}.{e.attr}"
    if isinstance(e, Call):
        args = [fmt_atom(a) for a in e.args]
        if isinstance(e.fn, MethodRef):
            callee, args = f"{args[0]}.{e.fn.name}", args[1:]
        else:
            callee = e.fn_src
        args += [f"{k}={fmt_atom(v)}" for k, v in e.kwargs.items()]
        return f"{callee}({', '.join(args)})"
    if isinstance(e, Raw):
        return ast.unparse(e.expr)
    raise TypeError(f"not an IR expression: {e!r}")


class Printer:
    """Turns statement lists into indented source lines.

    ``index_vjp`` is the name generated code uses for the scatter helper.
    """

    def __init__(self, index_vjp="index_vjp", line_comments=False, seq_add="seq_add"):
        self.index_vjp = index_vjp
        self.seq_add = seq_add
        self.line_comments = line_comments
        self.last_line = None

    def block(self, stmts, depth=0):
        """Source lines; each is a ``Line`` carrying the location of the statement it
        prints (the source map of generated code is made from them)."""
        lines = []
        for s in stmts:
            loc = getattr(s, "loc", None)
            if self.line_comments and loc is not None and loc.lineno != self.last_line \
                    and loc.text:
                lines.append(Line(f"{INDENT * depth}# line {loc.lineno}: {loc.text.strip()}",
                                  loc))
            if loc is not None:
                self.last_line = loc.lineno
            lines.extend(ln if isinstance(ln, Line) else Line(ln, loc)
                         for ln in self.stmt(s, depth))
        return lines or [INDENT * depth + "pass"]

    def stmt(self, s, depth):
        pad = INDENT * depth
        out = []
        if getattr(s, "comment", None):
            out.extend(pad + "# " + c for c in s.comment.split("\n"))
        if isinstance(s, Assign) and isinstance(s.value, SetItem):
            e = s.value
            assert s.targets == [e.value], "a write assigns the array it writes into"
            part = f".{e.index.name}" if isinstance(e.index, Field) else f"[{fmt_index(e.index)}]"
            out.append(f"{pad}{fmt_atom(e.value)}{part} = {fmt_atom(e.item)}")
        elif isinstance(s, Assign) and isinstance(s.value, Drop):
            assert s.targets == [s.value.value], "a pop assigns the list it pops from"
            out.append(f"{pad}{fmt_atom(s.value.value)}.pop()")
        elif isinstance(s, Assign) and isinstance(s.value, Append):
            assert s.targets == [s.value.value], "an append assigns the list it appends to"
            out.append(f"{pad}{fmt_atom(s.value.value)}.append({fmt_atom(s.value.item)})")
        elif isinstance(s, Assign):
            lhs = ", ".join(t.name for t in s.targets)
            out.append(f"{pad}{lhs} = {fmt_expr(s.value)}")
        elif isinstance(s, AddTo):
            val = fmt_expr(s.value)
            if s.index is not None:
                x, idx = s.index
                out.append(f"{pad}{s.target} = {self.index_vjp}({s.target}, {fmt_atom(x)}, "
                           f"{_index_value(idx)}, {val})")
            elif isinstance(s.value, SeqLit):
                out.append(f"{pad}{s.target} = {self.seq_add}({s.target}, {val})")
            else:
                out.append(f"{pad}{s.target} = {s.target} + {val}")
        elif isinstance(s, ExprStmt):
            out.append(pad + fmt_expr(s.value))
        elif isinstance(s, Return):
            out.append(f"{pad}return {fmt_expr(s.value)}")
        elif isinstance(s, Raise):
            out.append(f"{pad}raise" + (f" {fmt_atom(s.value)}" if s.value is not None else ""))
        elif isinstance(s, Push):
            out.append(f"{pad}{s.stack}.append({s.var})")
        elif isinstance(s, Pop):
            out.append(f"{pad}{s.var} = {s.stack}.pop()")
        elif isinstance(s, (Save, Restore)):
            out.append(f"{pad}{type(s).__name__.lower()}({s.var})  # marker {s.id}")
        elif isinstance(s, If):
            out.extend(self._if(s, depth))
        elif isinstance(s, For):
            out.append(f"{pad}for {s.target.name} in {_range(s)}:")
            out.extend(self.block(s.body, depth + 1))
        elif isinstance(s, While):
            out.extend(self.block(s.test_body, depth) if s.test_body else [])
            out.append(f"{pad}while {fmt_atom(s.test)}:")
            body = list(s.body) + list(s.test_body)
            out.extend(self.block(body, depth + 1))
        else:
            raise TypeError(f"cannot print {s!r}")
        return out

    def _if(self, s, depth):
        pad = INDENT * depth
        test = fmt_atom(s.test)
        if not s.body and not s.orelse:
            return []
        if not s.body:
            return [f"{pad}if not {test}:"] + self.block(s.orelse, depth + 1)
        out = [f"{pad}if {test}:"] + self.block(s.body, depth + 1)
        orelse = s.orelse
        while len(orelse) == 1 and isinstance(orelse[0], If) and orelse[0].body \
                and not orelse[0].comment:
            inner = orelse[0]
            out.append(f"{pad}elif {fmt_atom(inner.test)}:")
            out.extend(self.block(inner.body, depth + 1))
            orelse = inner.orelse
        if orelse:
            out.append(f"{pad}else:")
            out.extend(self.block(orelse, depth + 1))
        return out


def _index_value(idx):
    """An index as a value expression (``x[1:, i]`` -> ``(slice(1, None), i)``; a field's
    is its name)."""
    if isinstance(idx, Field):
        return repr(idx.name)
    if isinstance(idx, Slice):
        parts = [fmt_atom(p) if p is not None else "None" for p in (idx.lower, idx.upper, idx.step)]
        while len(parts) > 1 and parts[-1] == "None" and len(parts) > 2:
            parts.pop()
        return f"slice({', '.join(parts)})"
    if isinstance(idx, tuple):
        items = [_index_value(i) for i in idx]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    return fmt_atom(idx)


def _range(s):
    start, stop, step = (fmt_atom(a) for a in (s.start, s.stop, s.step))
    if step == "1":
        args = stop if start == "0" else f"{start}, {stop}"
    else:
        args = f"{start}, {stop}, {step}"
    r = f"range({args})"
    return f"reversed({r})" if s.reverse else r


def print_stmts(stmts, depth=0):
    return "\n".join(Printer().block(stmts, depth))
