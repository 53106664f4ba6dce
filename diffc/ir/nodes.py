"""The intermediate representation.

A function body is a list of statements in three-address form: every
expression is one operation whose operands are *atoms* (a variable or a
constant). Control flow stays structured (``If``, ``For`` over a range,
``While``); ``break``/``continue``/early ``return`` have been removed by the
frontend, so a body ends in at most one ``Return``.

Every statement carries the ``Loc`` of the source line it came from, so that
errors, comments in generated code and source maps can point back to it.

Example (the printer's view of ``y = np.sin(x) * 2 if x > 0 else x``)::

    x_gt_0 = x > 0
    if x_gt_0:
        sin_x = np.sin(x)
        y = sin_x * 2
    else:
        y = x
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass(frozen=True)
class Loc:
    filename: str
    lineno: int
    col: int
    text: str = ""  # the original source line

    def describe(self):
        return f"{self.filename}:{self.lineno}"

    def position(self):
        """``file:line:column`` (the column counted from 1), as errors show it."""
        return f"{self.filename}:{self.lineno}:{self.col + 1}"


# ---------------------------------------------------------------- atoms

@dataclass(frozen=True)
class Var:
    name: str

    def __str__(self):
        return self.name


@dataclass(frozen=True)
class Const:
    """A constant operand.

    ``value`` is the Python value; ``src`` is how generated code spells it
    (a literal such as ``0.5`` or a name bound in the generated module, such
    as ``np.pi`` or a global the user's function reads).
    """
    value: Any
    src: str

    def __str__(self):
        return self.src


def const(value):
    """A literal constant (numbers, strings, None, bools, Ellipsis)."""
    if value is Ellipsis:
        return Const(value, "...")
    if isinstance(value, float) and value != value or value in (float("inf"), float("-inf")):
        return Const(value, f"float({str(value)!r})")     # inf and nan have no literal
    return Const(value, repr(value))


# ---------------------------------------------------------------- expressions

@dataclass(frozen=True)
class MethodRef:
    """The callee of ``receiver.name(...)`` when the receiver's type is unknown;
    the receiver is the call's first argument. Derivative rules can be keyed on
    it (``MethodRef("astype")``)."""
    name: str


@dataclass
class AtomExpr:
    """A copy: ``y = x``."""
    atom: Any


@dataclass
class BinOp:
    op: str          # '+', '-', '*', '/', '//', '%', '**', '@', '<', '==', 'and'...
    left: Any
    right: Any


@dataclass
class UnaryOp:
    op: str          # '-', '+', 'not', '~'
    operand: Any


@dataclass
class Slice:
    lower: Any = None
    upper: Any = None
    step: Any = None


@dataclass
class Field:
    """The index of a write into an object's attribute: ``o.name = v`` is
    ``Assign([o], SetItem(o, Field("name"), v))``."""
    name: str


def entry_index(index):
    """The index of the same part in an adjoint or tangent: a field's is its name (the
    adjoint of an object is a dict of its fields)."""
    return const(index.name) if isinstance(index, Field) else index


@dataclass
class Subscript:
    """``value[index]``; index is an atom, a ``Slice`` or a tuple of them."""
    value: Any
    index: Any


@dataclass
class SetItem:
    """``x[index] = item``, written into ``x`` in place. It appears only as the value of
    ``Assign([x], SetItem(x, index, item))``: to the analyses a write is a new value of
    ``x`` that depends on the old one and on ``item``. ``keep``: the other variables
    that may share x's memory (views of it): the write stays while one of them is read,
    even where ``x`` is not."""
    value: Any
    index: Any
    item: Any
    keep: frozenset = frozenset()
    partners: tuple = ()     # other variables that may share x's memory, read later
    slots: tuple = ()        # ((container, index), ...) x was read from and is stored back to


@dataclass
class Append:
    """``ls.append(item)`` on a list, in place; the value of ``Assign([ls], Append(ls,
    item))``, like ``SetItem``."""
    value: Any
    item: Any
    keep: frozenset = frozenset()
    partners: tuple = ()
    slots: tuple = ()                # ((container, index), ...) a part was read from


@dataclass
class Drop:
    """``ls.pop()`` on a list, in place (its last item, read before, is the value of the
    call): the value of ``Assign([ls], Drop(ls))``, like ``Append``."""
    value: Any
    keep: frozenset = frozenset()
    partners: tuple = ()
    slots: tuple = ()                # ((container, index), ...) a part was read from


@dataclass
class SeqLit:
    """A tuple or list display whose elements are atoms."""
    kind: str  # 'tuple' or 'list'
    elts: list


@dataclass
class Call:
    """A call to a resolved callable.

    ``fn`` is the Python object called (``np.sin``, a user function ...);
    ``fn_src`` is how generated code spells it. Positional ``args`` are atoms
    or ``SeqLit``; ``kwargs`` maps names to atoms.
    """
    fn: Any
    fn_src: str
    args: list
    kwargs: dict = field(default_factory=dict)


@dataclass
class Attribute:
    """A non-differentiable attribute read, e.g. ``x.shape``."""
    value: Any
    attr: str


@dataclass
class Raw:
    """An arbitrary Python expression (used by the AD transform for inlined
    derivative rules). ``reads`` lists the variable names it reads."""
    expr: ast.expr
    reads: frozenset

    @classmethod
    def parse(cls, src, reads):
        """``Raw`` of the expression source ``src``, reading the names ``reads``."""
        return cls(ast.parse(src, mode="eval").body, frozenset(reads))


# ---------------------------------------------------------------- statements

@dataclass
class Stmt:
    pass


@dataclass
class Assign(Stmt):
    """``targets = value``; several targets unpack a sequence value."""
    targets: list
    value: Any
    loc: Optional[Loc] = None
    comment: Optional[str] = None
    linear_in: Optional[str] = None  # the value is linear in this adjoint
    augmented: bool = False          # came from `x op= value`
    updates: Optional[tuple] = None  # `c[k] op= v` reads c[k] here: ((c, k), ...), its text

    @property
    def target(self):
        assert len(self.targets) == 1
        return self.targets[0]


@dataclass
class ExprStmt(Stmt):
    """An expression evaluated for its side effect (``print(x)``)."""
    value: Any
    loc: Optional[Loc] = None
    comment: Optional[str] = None


@dataclass
class If(Stmt):
    test: Any
    body: list
    orelse: list
    loc: Optional[Loc] = None
    comment: Optional[str] = None


@dataclass
class For(Stmt):
    """``for target in range(start, stop, step): body``."""
    target: Var
    start: Any
    stop: Any
    step: Any
    body: list
    loc: Optional[Loc] = None
    comment: Optional[str] = None
    reverse: bool = False  # iterate ``reversed(range(...))``


@dataclass
class While(Stmt):
    """``while True: test_body; if not test: break; body``."""
    test_body: list
    test: Any
    body: list
    loc: Optional[Loc] = None
    comment: Optional[str] = None


@dataclass
class Return(Stmt):
    value: Any
    loc: Optional[Loc] = None
    comment: Optional[str] = None


@dataclass
class Raise(Stmt):
    value: Any  # an atom holding the exception, or None for a bare raise
    loc: Optional[Loc] = None
    comment: Optional[str] = None


@dataclass
class Push(Stmt):
    """Record a value: ``stack.append(var)``."""
    stack: str
    var: str
    loc: Optional[Loc] = None
    comment: Optional[str] = None


@dataclass
class Pop(Stmt):
    """Restore a value: ``var = stack.pop()``."""
    var: str
    stack: str
    loc: Optional[Loc] = None
    comment: Optional[str] = None


@dataclass
class Function:
    """A function in IR form.

    ``params`` are variable names; ``signature`` keeps the original
    ``ast.arguments`` (for emitting the user-facing signature).
    """
    name: str
    params: list
    body: list
    loc: Optional[Loc] = None
    signature: Any = None
    docstring: Optional[str] = None


@dataclass
class AddTo(Stmt):
    """Accumulate into an adjoint: ``target = target + value``.

    The value is linear in the adjoint variable ``g``; passes use that to drop
    contributions of adjoints known to be zero. With ``index=(x, idx)`` the
    accumulation scatters: ``target = index_vjp(target, x, idx, value)``.
    """
    target: str
    value: Any
    g: Optional[str]
    index: Any = None
    loc: Optional[Loc] = None
    comment: Optional[str] = None


@dataclass
class Save(Stmt):
    """Reverse-mode marker: the value of ``var`` may have to be recorded here,
    before it is overwritten. Paired by ``id`` with a ``Restore``; the
    to-be-recorded analysis turns needed pairs into ``Push``/``Pop``."""
    var: str
    id: int
    loc: Optional[Loc] = None
    comment: Optional[str] = None


@dataclass
class Restore(Stmt):
    var: str
    id: int
    loc: Optional[Loc] = None
    comment: Optional[str] = None
