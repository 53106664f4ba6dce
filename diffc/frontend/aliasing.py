"""Guard augmented assignment against hidden aliasing.

diffc evaluates ``z += v`` as ``z = z + v``. On an ndarray Python updates ``z``
in place, so every variable sharing its memory changes too. Where another
variable may share memory with ``z`` (a copy ``z = y``, a view ``z = y[1:]``,
a reshape, a call result, or another parameter), the statement is preceded by
a check that raises instead of computing a different result::

    z = y                       z = y
    z += 1.0          ==>       check_inplace(z, 'z', ('y',), locals(), globals(), 'f.py:3')
                                z_new = z + 1.0
                                z = keep_array(z, z_new)

An item of a list or dict, or an object's field, updated the same way (``ls[k] += v``,
``o.a += v``) is an array Python updates in place too: the read of the item is followed
by a check that no other slot of the containers it was read from, nor a variable read
after the update, holds that array (or memory it shares)::

    ls = [a, b]                 ls = [a, b]
    ls[0] += 1.0      ==>       ls_part = ls[0]
                                check_update(ls_part, (ls,), (0,), ('a',), locals(), ...)
                                ls_part_2 = ls_part + 1.0
                                ls[0] = ls_part_2

``keep_array`` keeps a 0-d array an array (``z + 1.0`` would be a NumPy
scalar, ``z += 1.0`` is not), where ``z`` shares its whole value with another
variable, so that a later update through that variable is caught too.
"""
import numpy as np

from ..backend import checks, runtime
from ..ir.nodes import Append, Assign, AtomExpr, Attribute, Call, Const, ExprStmt, For, If, Raw, \
    SeqLit, SetItem, Subscript, Var, While
from ..ir.liveness import live_after
from ..ir.printer import _index_value
from ..ir.visit import atom_reads, children

def guard_augmented(fn_ir, namespace, user_names, names_gen, helper=False):
    """``user_names``: the names in the function's source. Temporaries the compiler made
    cannot be observed after the update, so sharing memory with them is harmless.
    In a ``helper`` (a function called by the differentiated one) the caller may still
    hold a parameter's array, so ``p op= v`` on an array parameter is refused too."""
    parent = {}
    seen = set(fn_ir.params)

    def find(a):
        while parent.get(a, a) != a:
            a = parent[a]
        return a

    def union(a, b):
        seen.update((a, b))
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb

    stmts = list(_walk(fn_ir.body))
    copies = {}       # the same, for whole-value sharing only (copies, call results)

    def copy_find(a):
        while copies.get(a, a) != a:
            a = copies[a]
        return a

    for s in stmts:
        if not isinstance(s, Assign):
            continue
        sources = _sources(s.value)
        for t in s.targets:
            for v in sources:
                union(t.name, v)
                if isinstance(s.value, (AtomExpr, Call)):
                    ra, rb = copy_find(t.name), copy_find(v)
                    if ra != rb:
                        copies[ra] = rb
        if len(s.targets) > 1:
            for t in s.targets[1:]:
                union(t.name, s.targets[0].name)
    for p in fn_ir.params[1:]:
        union(p, fn_ir.params[0])
    names = seen
    check = namespace.bind("check_inplace", checks.check_inplace)
    visible = (names & set(user_names)) | set(fn_ir.params)
    params = set(fn_ir.params) if helper else set()
    shared_whole = {z for z in names
                    if any(n != z and copy_find(n) == copy_find(z) for n in visible)}
    _insert(fn_ir.body, lambda z: sorted(n for n in visible if n != z and find(n) == find(z)),
            check, params, namespace.bind("check_inplace_param", checks.check_inplace_param)
            if helper else None, names_gen, namespace.bind("keep_array", runtime.keep_array),
            shared_whole, namespace.bind("check_update", checks.check_update),
            live_after(fn_ir.body))


def _sources(e):
    """Variables (and globals) whose memory the value of ``e`` may share.

    Any call may return a view of an argument (np.flip, np.diag, a user
    function...): the guard is a run-time memory check, so being generous
    here costs nothing unless memory really is shared."""
    def names(a):
        if isinstance(a, Const) and isinstance(a.value, np.ndarray):
            return {a.src}           # a module-level array
        if isinstance(a, SeqLit):
            return set().union(*(names(x) for x in a.elts)) if a.elts else set()
        return atom_reads(a)
    if isinstance(e, AtomExpr):
        return names(e.atom)
    if isinstance(e, Subscript):
        return names(e.value)
    if isinstance(e, SeqLit):
        return names(e)
    if isinstance(e, Call):
        out = set()
        for a in list(e.args) + list(e.kwargs.values()):
            out |= names(a)
        return out
    if isinstance(e, Attribute):
        return names(e.value)
    if isinstance(e, (SetItem, Append)):        # the container holds the item from then on
        return names(e.item)
    return set()


def _walk(stmts):
    for s in stmts:
        yield s
        for c in children(s):
            yield from _walk(c)


def _insert(stmts, partners, check, params, check_param, names, keep, keep_zs, update, live):
    i = 0
    while i < len(stmts):
        s = stmts[i]
        for c in children(s):
            _insert(c, partners, check, params, check_param, names, keep, keep_zs, update, live)
        if isinstance(s, Assign) and s.updates is not None:
            # part = c[k] of `c[k] op= v`: Python would update an array part in place
            steps, text, end = s.updates
            part = s.target.name
            bases = [b.name for b, _ in steps]
            holders = ", ".join(bases)
            indexes = ", ".join(_index_value(k) for _, k in steps)
            where = s.loc.position() if s.loc else "?"
            src = (f"{update}({part}, ({holders},), ({indexes},), {tuple(n for n in partners(part) if n not in bases and n in live[id(end)])!r}, "
                   f"locals(), globals(), {where!r}, {f'`{text}`'!r})")
            reads = {part} | {b.name for b, _ in steps} | atom_reads(tuple(k for _, k in steps))
            stmts.insert(i + 1, ExprStmt(Raw.parse(src, reads), s.loc))
            i += 2
            continue
        if isinstance(s, Assign) and s.augmented:
            z = s.target.name
            others = partners(z)
            where = f"{s.loc.filename}:{s.loc.lineno}" if s.loc else "?"
            srcs = []
            if z in params:
                srcs.append(f"{check_param}({z}, {z!r}, {where!r})")
            if others:
                srcs.append(f"{check}({z}, {z!r}, {tuple(others)!r}, locals(), globals(), {where!r})")
            for src in srcs:
                guard = ExprStmt(Raw.parse(src, {z}), s.loc)
                stmts.insert(i, guard)
                i += 1
            if z in keep_zs:
                # z = keep_array(z, z op v): a 0-d array stays an array, as in Python
                tmp = Var(names.fresh(f"{z}_new"))
                stmts.insert(i, Assign([tmp], s.value, s.loc))
                i += 1
                s.value = Call(runtime.keep_array, keep, [Var(z), tmp])
        i += 1


__all__ = ["guard_augmented", "For", "If", "While", "Var"]
