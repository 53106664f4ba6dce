"""Prepare writes into arrays (``x[i] = v``) for differentiation.

A write changes every value sharing the array's memory. diffc follows the written array
itself; for the rest:

* a parameter the function writes into (or through a view of) is copied on entry, so
  the derivative never changes the caller's arrays;
* a result that may share memory with a written array is copied, since the backward
  pass puts overwritten parts back;
* another variable that may share memory with the written array and is read after
  the write (a view of it, or the array it is a view of) is noted on the write; where
  a derivative flows through them, ad/effects.py checks at run time that the memory is
  not really shared (values alone are right: the backward pass puts every overwritten
  part back). A module-level array is refused when the derivative is built::

    def f(x):                          def f(x):
        y = x[1:]                          x = copy_arg(x)
        x[0] = 2.0          ==>            y = x[1:]
        return y                           check_write(x, 'x', ('y',), locals(), 'f.py:3:5')
                                           x[0] = 2.0
                                           y_out = copy_arg(y)
                                           return y_out
"""
import numpy as np

from ..backend import checks, writes
from ..errors import UnsupportedError
from ..ir.liveness import live_after
from ..ir.nodes import (Append, Assign, AtomExpr, Attribute, Call, Const, Drop, ExprStmt, Field,
                        MethodRef, Raw, Return, SeqLit, SetItem, Slice, Subscript, Var)
from ..ir.visit import atom_reads, children, walk
from ..rules.effects import result_may_share


def _shared(e):
    """Names (and module-level arrays, as ``("module", name)``) whose memory the value of ``e`` may
    share: copies, views, containers holding them, calls that may return an argument."""
    def names(a):
        if isinstance(a, Const) and isinstance(a.value, np.ndarray):
            return {("module", a.src)}
        if isinstance(a, SeqLit):
            return set().union(*(names(x) for x in a.elts)) if a.elts else set()
        return atom_reads(a)
    if isinstance(e, (AtomExpr, Subscript, Attribute)):
        return names(e.atom if isinstance(e, AtomExpr) else e.value)
    if isinstance(e, SeqLit):
        return names(e)
    if isinstance(e, Call):
        method = e.fn.name if isinstance(e.fn, MethodRef) else None
        if not result_may_share(e.fn if method is None else None, method):
            return set()
        out = set()
        for a in list(e.args) + list(e.kwargs.values()):
            out |= names(a)
        return out
    if isinstance(e, Raw):
        return set(e.reads)
    return set()


def _is_write(s):
    return isinstance(s, Assign) and isinstance(s.value, (SetItem, Append, Drop))


def prepare_writes(fn_ir, namespace, names):
    stmts = list(walk(fn_ir.body))
    written = {s.target.name for s in stmts if _is_write(s)}
    if not written:
        return
    parent = {}

    def find(a):
        while parent.get(a, a) != a:
            a = parent[a]
        return a

    for s in stmts:
        if isinstance(s, Assign):
            # ls.append(v): the list holds v from then on
            sources = _shared(s.value) if not _is_write(s) else \
                (atom_reads(s.value.item) if isinstance(s.value, Append) else set())
            for src in sources:
                for t in s.targets:
                    ra, rb = find(t.name), find(src)
                    if ra != rb:
                        parent[ra] = rb
    members = {}
    for n in set(parent) | set(parent.values()) | written | set(fn_ir.params):
        members.setdefault(find(n), set()).add(n)
    classes = {w: members[find(w)] for w in written}
    for w, cls in sorted(classes.items()):
        arrays = sorted(c[1] for c in cls if isinstance(c, tuple))
        if arrays:
            s = next(s for s in stmts if _is_write(s) and s.target.name == w)
            raise UnsupportedError(
                f"`{w}[...] = ...` may write into the module-level array `{arrays[0]}` (`{w}` "
                f"may be it or a view of it); diffc does not change module state", s.loc,
                f"copy it first: `{w} = {arrays[0]}.copy()`")
    copy = namespace.bind("copy_arg", writes.copy_arg)
    shared = set().union(*classes.values())
    entry = [Assign([Var(p)], Call(writes.copy_arg, copy, [Var(p)]), fn_ir.loc)
             for p in fn_ir.params if p in shared]
    _mark(fn_ir.body, classes, live_after(fn_ir.body),
          namespace.bind("check_overlap", checks.check_overlap), {None: stmts})
    body = fn_ir.body
    if body and isinstance(body[-1], Return) and atom_reads(body[-1].value) & shared:
        ret = body[-1]
        out = Var(names.fresh("result"))
        body.insert(len(body) - 1, Assign([out], Call(writes.copy_arg, copy, [ret.value]),
                                          ret.loc))
        ret.value = out
    fn_ir.body = entry + body


def _holders(cache, x):
    """Names that may be the object x (``t = x``, an item of a holder) or hold it
    (``t = [x]``, ``ls.append(x)``, ``c[i] = x``), and calls' results that may be either,
    found flow-insensitively over the function (``cache[None]``, its statements). Values
    read from x's fields are neither: rebinding a field leaves them as they were."""
    stmts = cache[None]
    alias, hold = {x}, set()
    while True:
        before = len(alias) + len(hold)
        for s in stmts:
            if not isinstance(s, Assign):
                continue
            e, targets = s.value, {t.name for t in s.targets}
            if isinstance(e, (SetItem, Append)):
                if atom_reads(e.item) & (alias | hold):
                    hold.add(s.target.name)
            elif isinstance(e, (Subscript, Attribute)):
                if atom_reads(e.value) & hold:         # an item of a holder may be x
                    alias |= targets
                    hold |= targets
                if targets & alias:                    # x read from c: c holds x
                    hold |= {n for n in atom_reads(e.value) if n != x}
            elif isinstance(e, AtomExpr) and isinstance(e.atom, Var):
                if e.atom.name in alias or targets & alias:
                    alias |= targets | {e.atom.name}
                if e.atom.name in hold:
                    hold |= targets
            elif not isinstance(e, Drop):
                src = {n for n in _shared(e) if isinstance(n, str)}
                if targets & alias:                    # x = f(c): c may hold x
                    hold |= src - {x}
                if src & (alias | hold):
                    hold |= targets
                    if not isinstance(e, SeqLit) and not (isinstance(e, AtomExpr) and
                                                          isinstance(e.atom, SeqLit)):
                        alias |= targets
        if len(alias) + len(hold) == before:
            cache[x] = alias | hold
            return cache[x]


def _mark(stmts, classes, live, overlap, objects):
    """Each write keeps the variables that may share its memory and are read after it;
    ad/effects.py checks them at run time where a derivative flows through them. A write
    whose items may share the array's memory (``x[idx] = x``) is checked for NumPy 1's
    unbuffered index-array writes."""
    i = 0
    stored_back = set()
    while i < len(stmts):
        s = stmts[i]
        for c in children(s):
            _mark(c, classes, live, overlap, objects)
        if _is_write(s):
            x = s.target.name
            s.value.keep = frozenset(n for n in classes[x] - {x} if isinstance(n, str))
            steps = _written_back(stmts, i)
            back = {parent for parent, _, _ in steps}
            if id(s) not in stored_back:    # one check of the slots, at the first write
                s.value.slots = tuple((parent, index) for parent, index, _ in steps)
            stored_back.update(id(store) for _, _, store in steps)
            sharing = classes[x]
            if isinstance(s.value, SetItem) and isinstance(s.value.index, Field):
                # o.a = v rebinds a field: it changes what holds o itself, not the values
                # read from o's fields before (o.a's old array is left as it was)
                sharing = sharing & (objects[x] if x in objects else _holders(objects, x))
            s.value.partners = tuple(sorted(n for n in sharing & live.get(id(s), set())
                                            if isinstance(n, str) and n != x and n not in back))
            item = getattr(s.value, "item", None)
            if isinstance(s.value, SetItem) and isinstance(item, Var) and \
                    item.name in classes[x] and not _basic_static(s.value.index):
                from ..ir.printer import _index_value
                where = s.loc.position() if s.loc else "?"
                src = (f"{overlap}({x}, {_index_value(s.value.index)}, {item.name}, {x!r}, "
                       f"{where!r})")
                reads = {x, item.name} | atom_reads(s.value.index)
                stmts.insert(i, ExprStmt(Raw.parse(src, reads), s.loc))
                i += 1
        i += 1


def _written_back(stmts, i):
    """The containers (with the index in each, and the statement storing back) the write
    ``stmts[i]`` into ``t`` is written back into after it,
    as ``x[i][j] = v`` is lowered (``t = x[i]; t[j] = v; x[i] = t``, and so on up a
    longer chain): they are consistent with the write, so they need no check. Each step
    must store the part at the index (or field) it was read from; nothing between the
    read and the store may rebind the container or the index, nor read the container
    after the write (statements that do neither, such as forward mode's tangent
    statements, may come between)."""
    from ..ir.printer import fmt_index
    from ..ir.visit import stmt_reads
    back, cur, pos = [], stmts[i].target.name, i
    while True:
        k = pos + 1
        while k < len(stmts) and isinstance(stmts[k], (Assign, ExprStmt)) and not (
                _is_write(stmts[k]) and isinstance(stmts[k].value, SetItem) and
                isinstance(stmts[k].value.item, Var) and stmts[k].value.item.name == cur):
            k += 1
        if k >= len(stmts) or not isinstance(stmts[k], Assign):
            return back
        w = stmts[k].value
        parent = w.value.name
        j = next((j for j in range(i - 1, -1, -1) if isinstance(stmts[j], Assign) and
                  cur in {t.name for t in stmts[j].targets} and not _is_write(stmts[j])),
                 None)      # the read of cur (writes into it since keep it the same object)
        if j is None or len(stmts[j].targets) != 1:
            return back
        read = stmts[j].value
        if isinstance(w.index, Field):
            same = isinstance(read, Attribute) and read.attr == w.index.name
        else:
            same = isinstance(read, Subscript) and fmt_index(read.index) == fmt_index(w.index)
        if not (same and isinstance(read.value, Var) and read.value.name == parent):
            return back
        rebound = {parent} | atom_reads(w.index)

        def stored_back(m):     # an earlier store of cur back at the same place
            return _is_write(m) and isinstance(m.value, SetItem) and \
                m.target.name == parent and isinstance(m.value.item, Var) and \
                m.value.item.name == cur and fmt_index(m.value.index) == fmt_index(w.index)
        between = [m for m in stmts[j + 1:k] if m is not stmts[i] and not stored_back(m)]
        if any(not isinstance(m, (Assign, ExprStmt)) for m in between) or \
                any(isinstance(m, Assign) and {t.name for t in m.targets} & rebound
                    for m in between) or \
                any(parent in stmt_reads(m) for m in stmts[i + 1:k]):
            return back
        back.append((parent, w.index, stmts[k]))
        cur, pos = parent, k


def _basic_static(index):
    """An index made only of slices, fields and integer or string literals (never an
    index array)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (Slice, Field)) or
               (isinstance(p, Const) and type(p.value) in (int, str, bool, type(None)))
               for p in parts)
