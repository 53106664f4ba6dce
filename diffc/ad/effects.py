"""Calls that write into arrays: refuse them where a derivative would be wrong.

diffc differentiates values. A call that writes into an array
(``rules/effects.py`` says which: ``out=``, ``np.copyto``, ``ufunc.at``,
``y.sort()``, unknown callables; ``frontend/effects.py`` says which parameters
a user function writes into) is refused when the build is made, naming the
file, line and column, if

* the array it writes into depends on the inputs (its derivative would be
  lost), or another argument of the call does (the write would carry a
  derivative diffc cannot see), or
* in reverse mode, the array (or a view or copy of it) is read by an operation
  the backward pass needs, earlier or in the same loop: the backward pass reads
  values as they are when it runs, so it would see the new contents.

A helper whose only writes are ``b op= v`` modifies arrays and lists in place but
rebinds numbers (and a statement on a path may not run). Where the helper is
differentiated (its result is active) its own code checks those statements when
they run; where it is only called, the argument is compared before and after (an
update by a value that depends on the inputs, ``b *= y``, changes the derivative even
where it leaves the values alone, so there any array or list argument is refused)::

    h(u)          ==>       u_before = snapshot_arg(u)
                            h(u)
                            check_unchanged(u, u_before, 'u', '`h` updates ...', 'f.py:7:5')
"""
import types

from ..backend import checks, dynamic
from ..errors import UnsupportedError
from ..frontend.aliasing import _sources
from ..frontend.callables import signature
from ..frontend.effects import display_name, param_writes
from ..ir.activity import op_callee
from ..ir.nodes import (Append, Assign, BinOp, Call, Const, Drop, ExprStmt, Field, For, If,
                        MethodRef, Raw, SeqLit, SetItem, UnaryOp, Var, While)
from ..ir.printer import _index_value, fmt_atom, fmt_expr, fmt_index
from ..ir.visit import atom_reads, children, expr_reads
from ..rules.effects import call_writes, result_may_share
from ..rules.registry import is_nondiff, lookup


def _is_helper(fn):
    return isinstance(fn, types.FunctionType) and lookup(fn) is None and not is_nondiff(fn) \
        and getattr(fn, "__diffc_primal__", None) is None


def writes_of(call):
    """``[(atom, why, kind)]``: the arguments ``call`` may write into; kind is "write",
    "augmented" (a helper's ``p op= v``) or "unknown" (a callable diffc knows nothing of)."""
    fn, args, kwargs = call.fn, list(call.args), dict(call.kwargs)
    if isinstance(fn, MethodRef):
        return [(a, why, "write") for a, why in call_writes(None, args, kwargs, fn.name)]
    if _is_helper(fn):
        try:
            bound = signature(fn).bind(*args, **kwargs).arguments
        except TypeError:
            return []           # the call itself will fail with a clear message
        out = []
        for p, (kind, loc, why) in param_writes(fn).items():
            if p in bound:
                where = f" at {loc.filename}:{loc.lineno}" if loc else ""
                value = bound[p]         # a tuple for *args, a dict for **kwargs
                atoms = list(value.values()) if isinstance(value, dict) else \
                    list(value) if isinstance(value, tuple) else [value]
                for atom in atoms:
                    out.append((atom, f"{display_name(fn)} {why}{where} (its parameter "
                                      f"`{p}`)", kind))
        return out
    if not callable(fn):
        return []
    out = []
    for a, why in call_writes(fn, args, kwargs):
        kind = "unknown" if why.startswith("diffc does not know") else "write"
        out.append((a, why, kind))
    return out


def _flat(atom):
    if isinstance(atom, SeqLit):
        return [x for e in atom.elts for x in _flat(e)]
    return [atom]


class _Aliases:
    """May-share-memory classes of names (a copy, a view, a call result and the arguments of
    calls that may return them: not ufuncs or other NumPy functions making new arrays)."""

    def __init__(self, stmts):
        self.parent = {}
        for s in _walk(stmts):
            if isinstance(s, Assign):
                e = s.value
                fresh = isinstance(e, Call) and "out" not in e.kwargs and (
                    not result_may_share(None, e.fn.name) if isinstance(e.fn, MethodRef)
                    else not (callable(e.fn) and result_may_share(e.fn)))
                srcs = set() if fresh else _sources(e)
                for t in s.targets:
                    for v in srcs:
                        self.union(t.name, v)
                for t in s.targets[1:]:
                    self.union(t.name, s.targets[0].name)

    def find(self, a):
        while self.parent.get(a, a) != a:
            a = self.parent[a]
        return a

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb


def _walk(stmts):
    for s in stmts:
        yield s
        for c in children(s):
            yield from _walk(c)


def check_effects(fn_ir, varied, active, namespace, names):
    """Raise an ``UnsupportedError`` for calls whose writes would make the derivative wrong;
    insert run-time checks before helper calls whose ``p op= v`` may write. ``active`` is
    None in forward mode (nothing is read back later)."""
    aliases = _Aliases(fn_ir.body)
    # (order, enclosing loops) of every operand read by a statement whose value is active
    order = {}
    needed = []       # (name's alias class, order, loops)

    def index(stmts, loops):
        for s in stmts:
            pos = len(order)
            order[id(s)] = (pos, loops)
            if active is not None and isinstance(s, Assign) and \
                    any(t.name in active for t in s.targets):
                for name in expr_reads(s.value):
                    needed.append((aliases.find(name), pos, loops))
            if isinstance(s, (For, While)):
                inner = loops + (id(s),)
                for c in children(s):
                    index(c, inner)
            else:
                for c in children(s):
                    index(c, loops)
    index(fn_ir.body, ())
    discrete = namespace.bind("check_discrete", checks.check_discrete)
    write_check = namespace.bind("check_write", checks.check_write)
    slots_check = namespace.bind("check_slots", checks.check_slots)
    callee_check = namespace.bind("check_callee", dynamic.check_callee)
    helpers = (namespace.bind("snapshot_arg", checks.snapshot_arg),
               namespace.bind("check_unchanged", checks.check_unchanged),
               namespace.bind("check_inplace_arg", checks.check_inplace_arg), names)

    def visit(stmts):
        i = 0
        while i < len(stmts):
            s = stmts[i]
            for c in children(s):
                visit(c)
            if isinstance(s, Assign) and isinstance(s.value, (SetItem, Append, Drop)) and \
                    s.value.slots and ({s.target.name} | {p for p, _ in s.value.slots}) & varied:
                # a write into a part (`t = ls[i]; t[j] = v; ls[i] = t`): no other slot holds t
                holders = tuple(p for p, _ in s.value.slots)
                where = s.loc.position() if s.loc else "?"
                part = holders[-1] + "".join(
                    f".{k.name}" if isinstance(k, Field) else f"[{fmt_index(k)}]"
                    for _, k in reversed(s.value.slots))
                src = (f"{slots_check}({s.target.name}, ({', '.join(holders)},), "
                       f"({', '.join(_index_value(k) for _, k in s.value.slots)},), "
                       f"{where!r}, {'a write into `' + part + '`'!r})")
                reads = {s.target.name, *holders} | atom_reads(tuple(k for _, k in s.value.slots))
                stmts.insert(i, ExprStmt(Raw.parse(src, reads), s.loc))
                i += 1
            if isinstance(s, Assign) and isinstance(s.value, (SetItem, Append, Drop)):
                x, others = s.target.name, s.value.partners
                if others and ({x} | set(others)) & varied:
                    where = s.loc.position() if s.loc else "?"
                    shown = x if x in names.user else None   # a part: `y[i]` in y[i][j] = v
                    src = (f"{write_check}({x}, {shown!r}, {tuple(others)!r}, locals(), "
                           f"{where!r})")
                    stmts.insert(i, ExprStmt(Raw.parse(src, {x}), s.loc))
                    i += 1
            call = s.value if isinstance(s, (Assign, ExprStmt)) else None
            if isinstance(call, Call) and call.fn is dynamic.call_function and \
                    len(call.args) == 2 and isinstance(call.args[1], SeqLit):
                # the arguments that do not depend on the inputs: constants to the
                # derivative (a method's object holding numbers of its own, say)
                const = tuple(k for k, a in enumerate(call.args[1].elts)
                              if not (atom_reads(a) & varied))
                if const:
                    call.args = call.args + [Const(const, repr(const))]
            if isinstance(call, Call) and call.fn is dynamic.call_function and \
                    atom_reads(call.args[0]) & varied:
                # f = layer.forward; f(x): the bound object's numbers have no derivative
                where = s.loc.position() if s.loc else "?"
                src = f"{callee_check}({fmt_atom(call.args[0])}, {where!r})"
                stmts.insert(i, ExprStmt(Raw.parse(src, atom_reads(call.args[0])), s.loc))
                i += 1
            if isinstance(s, Assign):
                checks_before = _nondiff_operands(s, varied, discrete)
                stmts[i:i] = checks_before
                i += len(checks_before)
            call = s.value if isinstance(s, (Assign, ExprStmt)) else None
            if isinstance(call, Call):
                before, after = _check_call(s, call, varied, active, aliases, needed, order,
                                            helpers)
                stmts[i:i] = before
                i += len(before)
                stmts[i + 1:i + 1] = after
                i += len(after)
            i += 1
    visit(fn_ir.body)


def _nondiff_operands(s, varied, check):
    """Run-time checks for operands that depend on the inputs but sit in a parameter the
    rule does not differentiate (``np.clip(x, lo, 1.0)`` with ``lo`` varied): fine for
    integers and options, refused for real values."""
    e = s.value
    if not isinstance(e, (BinOp, UnaryOp, Call)):
        return []
    fn, args, kwargs = op_callee(e)
    rule = lookup(fn) if fn is not None else None
    bound = rule.bind(args, kwargs) if rule is not None else None
    if bound is None or (getattr(fn, "__module__", None) or "").startswith("diffc."):
        return []           # diffc's own helpers read such parameters for shapes only
    out = []
    for p, a in bound.items():
        if p in rule.diff or not (atom_reads(a) & varied):
            continue
        where = s.loc.position() if s.loc else "?"
        name = e.fn_src if isinstance(e, Call) and not isinstance(e.fn, MethodRef) else \
            (f".{e.fn.name}()" if isinstance(e, Call) else getattr(fn, "__name__", "?"))
        src = f"{check}({fmt_atom(a)}, {p!r}, {name!r}, {where!r})"
        out.append(ExprStmt(Raw.parse(src, atom_reads(a)), s.loc))
    return out


def _check_call(s, call, varied, active, aliases, needed, order, helpers):
    """Raise if the call's writes would make the derivative wrong; otherwise the statements
    to run before and after it (comparisons of arguments a helper's ``p op= v`` may
    modify)."""
    writes = writes_of(call)
    before, after = [], []
    if not writes:
        return before, after
    targets = {t.name for t in s.targets} if isinstance(s, Assign) else set()
    result_active = bool(targets & (active if active is not None else varied))
    operands = expr_reads(call)
    snapshot, unchanged, inplace, names = helpers
    seen = set()
    for atom, why, kind in writes:
        if kind == "unknown" and result_active:
            continue        # no derivative rule: differentiating the call says so
        if kind in ("augmented", "dynamic") and result_active:
            continue        # the helper is differentiated: its `p op= v` is checked where it
            #               runs, and a function held in a variable runs on copies
        for a in _flat(atom):
            name = a.name if isinstance(a, Var) else (a.src if isinstance(a, Const) else None)
            if name is None:
                continue
            reason = None
            if isinstance(a, Var) and a.name in varied:
                reason = f"`{name}` depends on the inputs"
            elif operands & varied:
                dep = sorted(operands & varied)[0]
                reason = f"what it writes depends on the inputs (through `{dep}`)"
            elif active is not None and _read_later(aliases.find(name), s, needed, order):
                reason = (f"the derivative reads `{name}` (or a value sharing its memory) "
                          "after this call has changed it")
            if reason is None:
                continue
            if kind in ("augmented", "dynamic"):
                if name in seen:
                    continue
                seen.add(name)
                where = s.loc.position() if s.loc else "?"
                other = sorted((operands - atom_reads(a)) & varied)
                if other and kind == "augmented":
                    # an update by a varied value (`b *= y`) changes the derivative even
                    # where it leaves the values as they were (y == 1): any array refuses
                    because = f"{why}, by a value that depends on the inputs (`{other[0]}`)"
                    src = f"{inplace}({name}, {name!r}, {because!r}, {where!r})"
                    before.append(ExprStmt(Raw.parse(src, atom_reads(a)), s.loc))
                    continue
                snap = Var(names.fresh(f"{name}_before"))
                before.append(Assign([snap], Call(checks.snapshot_arg, snapshot, [a]), s.loc))
                src = f"{unchanged}({name}, {snap.name}, {name!r}, {why!r}, {where!r})"
                after.append(ExprStmt(Raw.parse(src, atom_reads(a) | {snap.name}), s.loc))
                continue
            raise UnsupportedError(
                f"diffc cannot differentiate `{fmt_expr(call)}`: it may write into `{name}` "
                f"({why}), and {reason}; diffc does not differentiate writes into arrays yet",
                s.loc, "compute a new value instead (e.g. `y = np.multiply(y, 2.0)` rather "
                "than `np.multiply(y, 2.0, out=y)`, `y = np.sort(y)` rather than `y.sort()`)"
                if kind != "unknown" else "if it does not modify its arguments, declare it "
                "with diffc.rules.defpure (or give it a derivative rule)")
    return before, after


def _read_later(cls, s, needed, order):
    """Is a value of alias class ``cls`` read by an active statement that runs before the
    call ``s`` (or is ``s``), or in a loop around it (so also after it, in the iteration
    before)?"""
    pos, loops = order[id(s)]
    for c, p, read_loops in needed:
        if c != cls:
            continue
        if p <= pos or any(lp in read_loops for lp in loops):
            return True
    return False


__all__ = ["check_effects", "writes_of", "If", "Var"]
