"""Writes into values, lowered: items of arrays, lists and dicts, attributes of objects
made in the function, and the list methods that change a list.

Every write is ``Assign([x], SetItem(x, index, item))`` (or ``Append``/``Drop``): to the
analyses a new value of ``x`` made from the old one, which reverse mode records and puts
back (ad/reverse.py, backend/writes.py). An attribute write is a write at a ``Field``::

    y[i] += v                  ==>   y_part = y[i]
                                     y_part_2 = y_part + v
                                     y[i] = y_part_2

    s = State(x, 2.0 * x)      ==>   t = 2.0 * x
    s.v = s.v + 1.0                  s = new_object(State, ('x', 'v'), (x, t))
                                     s_v = s.v
                                     t_2 = s_v + 1.0
                                     s.v = t_2

Objects made in the function are NamedTuples and dataclasses built by their generated
constructors (``new_object`` names the fields), ``types.SimpleNamespace(...)``, and
instances of plain classes created without arguments.
"""
import ast
import dataclasses
import inspect
import types

import gast
import numpy as np

from ..backend import checks, containers, writes
from ..errors import DiffcError, UnsupportedError
from ..ir.nodes import (Append, Assign, AtomExpr, BinOp, Call, Drop, ExprStmt, Field, If,
                        SeqLit, SetItem, Slice, Subscript, Var, const)
from ..ir.visit import atom_reads, walk
from .loops import LIST_INDEX, LIST_POSITION
from . import kinds
from .templates import quote, quote_expr


def _stores(stmt, container, index, name):
    """Is ``stmt`` ``container[index] = name`` (an earlier store-back)?"""
    from ..ir.printer import fmt_index
    e = stmt.value
    return isinstance(e, SetItem) and stmt.target.name == container and \
        isinstance(e.item, Var) and e.item.name == name and \
        fmt_index(e.index) == fmt_index(index)


def record_fields(cls):
    """How ``cls(...)`` names its fields when diffc can differentiate constructing it: a
    ``inspect.Signature`` for NamedTuples and dataclasses with generated constructors,
    ``"keywords"`` for ``types.SimpleNamespace``; None for anything else."""
    if not isinstance(cls, type):
        return None
    if cls is types.SimpleNamespace:
        return "keywords"
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        made = _generated(cls.__new__)
    elif dataclasses.is_dataclass(cls):
        made = _generated(cls.__init__) and not hasattr(cls, "__post_init__") and \
            cls.__new__ is object.__new__
    else:
        return None
    return inspect.signature(cls) if made else None


def _generated(fn):
    code = getattr(fn, "__code__", None)
    return code is not None and code.co_filename.startswith("<")


def _plain_class(cls):
    """A class whose instances start empty: ``cls()`` runs no code of the user's."""
    return isinstance(cls, type) and cls.__init__ is object.__init__ and \
        cls.__new__ is object.__new__


class Stores:
    """Lowering methods of the ``Lowerer`` (lower.py) for writes."""

    @staticmethod
    def text(node):
        """The source text of a node, for messages."""
        return ast.unparse(gast.gast_to_ast(node))

    # ------------------------------------------------------------ items
    def store_item(self, target, item):
        """``x[index] = item``: Python evaluates the value, then x, then the index. A
        write into a part (``x[i][j] = v``, ``o.a[j] = v``) writes into the part, then
        stores the part back where it was read from, so that the container follows the
        write (lists and dicts held in others, rows of arrays)::

            d["y"][1] = v     ==>   d_y = d["y"]
                                    d_y[1] = v
                                    d["y"] = d_y
        """
        self.write_chain(target, lambda base, index: self.emit(
            Assign([base], SetItem(base, index, item))))

    def write_chain(self, target, write):
        """Evaluate the written part of ``target`` (a Subscript), call ``write(base,
        index)`` to write into it, then store each part back up the chain."""
        self.on_part(target.value, lambda base: write(base, self.index(target.slice)),
                     target)

    def on_part(self, node, change, at):
        """``change(base)`` changes the value of ``node``: a local variable, or a part of
        one (``x[i]``, ``d["k"][j]``, ``o.a``) -- then the part is read into a temporary
        first and stored back up the chain after the change."""
        chain = []
        while isinstance(node, gast.Subscript) or (isinstance(node, gast.Attribute) and
                                                  self.dotted(node) is None):
            chain.append(node)
            node = node.value
        if not chain:
            self.part_steps = []
            return change(self.local_base(node, at))
        root = chain[-1]
        base = self.attr_base(root) if isinstance(root, gast.Attribute) else \
            self.local_base(root.value, at)
        steps = []
        for part in reversed(chain):
            if isinstance(part, gast.Attribute):
                index = Field(part.attr)
                value = gast.Attribute(value=gast.Name(id=base.name, ctx=gast.Load(),
                                                       annotation=None, type_comment=None),
                                       attr=part.attr, ctx=gast.Load())
                inner = self.expr(gast.copy_location(value, part))
            else:
                index = self.index(part.slice)
                inner = self.assign(Subscript(base, index), None, f"{base.name}_part")
            self.locals.add(inner.name)
            steps.append((base, index))
            base = inner
        self.part_steps = list(steps)      # where each part was read from
        result = change(base)
        for parent, index in reversed(steps):
            self.emit(Assign([parent], SetItem(parent, index, base)))
            base = parent
        return result

    def local_base(self, node, at):
        """The local variable a write goes into, or an error (module state)."""
        if not isinstance(node, gast.Name):
            self.check_target(node)
        if node.id not in self.locals:
            self.error(UnsupportedError, f"diffc does not write into `{node.id}`, which is not "
                       "a local variable or a parameter (a write would change module state)",
                       at, f"copy it first: `{node.id}_copy = {node.id}.copy()`")
        return Var(node.id)

    def chained_list_method(self, c, target, statement):
        """``d["k"].append(v)``, ``ls[i].pop()``, ``o.items.extend(xs)``...: the list
        method on the part, then the part stored back. None if ``c`` is not one."""
        if not (isinstance(c, gast.Call) and isinstance(c.func, gast.Attribute) and
                c.func.attr in ("append", "extend", "pop", "insert", "remove") and
                isinstance(c.func.value, (gast.Subscript, gast.Attribute)) and
                self.dotted(c.func.value) is None):
            return None

        def change(base):
            call = gast.copy_location(gast.Call(
                func=gast.Attribute(value=gast.Name(id=base.name, ctx=gast.Load(),
                                                    annotation=None, type_comment=None),
                                    attr=c.func.attr, ctx=gast.Load()),
                args=c.args, keywords=c.keywords), c)
            if statement:
                self.stmt_Expr(gast.copy_location(gast.Expr(value=call), c))
                return const(None)
            return self.expr(call, target)
        return self.on_part(c.func.value, change, c)

    def update_item(self, target, op, value):
        """``x[i] op= v`` is ``x[i] = x[i] op v``, as NumPy does it (repeated indices:
        the last write). Where ``x`` is a list or dict holding an array, Python updates
        that array in place; the read of ``x[i]`` is marked so that aliasing.py checks
        that nothing else shares it."""
        reads = []

        def write(base, index):
            steps = self.part_steps + [(base, index)]
            old = self.assign(Subscript(base, index), None, f"{base.name}_part")
            if steps[1:] or not self.makes_array(base.name):
                reads.append((self.block[-1], tuple(steps)))
            new = self.assign(BinOp(op, old, self.expr(value)), None, f"{base.name}_part")
            self.emit(Assign([base], SetItem(base, index, new)))
        self.write_chain(target, write)
        for read, steps in reads:       # checked against what is read after the last store
            read.updates = (steps, f"{self.text(target)} {op}= ...", self.block[-1])

    _ARRAY_MAKERS = {"zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like",
                     "full_like", "array", "asarray", "copy", "arange", "linspace", "eye",
                     "identity", "stack", "vstack", "hstack", "concatenate", "outer", "tile"}

    def makes_array(self, name):
        """Is local ``name`` only ever given a NumPy array: a new one (``np.zeros(n)``,
        ``x.copy()``...) or the result of a ufunc?"""
        values = self.assigned_values(name)
        if name in kinds.params(self.parsed.node) or not values:
            return False
        for v in values:
            if not isinstance(v, gast.Call) or not isinstance(v.func, gast.Attribute):
                return False
            parts = self.dotted(v.func)
            if parts is None:
                if v.func.attr not in ("copy", "astype"):
                    return False
                continue
            obj = self.resolver.lookup(parts[0])
            for p in parts[1:]:
                obj = getattr(obj, p, None)
            if not (isinstance(obj, np.ufunc) or getattr(obj, "__module__", None) == "numpy"
                    and getattr(obj, "__name__", None) in self._ARRAY_MAKERS):
                return False
        return True

    # ------------------------------------------------------------ attributes
    def attr_base(self, target):
        """The object ``o`` of a write ``o.name = v``: a parameter (the derivative writes
        into a copy) or a local variable that only ever holds objects the function
        makes."""
        node = target.value
        if not (isinstance(node, gast.Name) and node.id in self.locals):
            self.error(UnsupportedError, "diffc writes attributes only of objects the "
                       "function makes or takes as arguments", target,
                       "build a new object instead (dataclasses.replace, NamedTuple._replace)"
                       if isinstance(node, gast.Name) else "use a local variable")
        for value in self.assigned_values(node.id):
            if not self.makes_object(value):
                self.error(UnsupportedError, f"diffc writes attributes only of objects the "
                           f"function makes or takes as arguments; `{node.id}` may hold "
                           f"another one here", value,
                           f"make a new object for `{node.id}` (a dataclass or "
                           "types.SimpleNamespace), or write into the one it was made as")
        return Var(node.id)

    def assigned_values(self, name):
        """The expressions given to local ``name`` (kinds.py; None for an unpacking)."""
        return [v for v in self.values.get(name, ()) if not isinstance(v, gast.AugAssign)] \
            + [None for v in self.values.get(name, ()) if isinstance(v, gast.AugAssign)]

    def makes_object(self, value, seen=()):
        """Is ``value`` a call that makes a new object (of a class, or new_object and
        copy_arg in generated code), or an item of a list the function made of such
        objects or took as an argument (``for p in particles: p.v = ...``)?"""
        if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name):
            return self.made_container(value.value.id, seen)
        if not isinstance(value, gast.Call) or not isinstance(value.func, (gast.Name,
                                                                          gast.Attribute)):
            return False
        parts = self.dotted(value.func)
        if parts is None:
            return False
        obj = self.resolver.lookup(parts[0])
        for p in parts[1:]:
            obj = getattr(obj, p, None)
        return obj in (containers.new_object, writes.copy_arg) or \
            record_fields(obj) is not None or _plain_class(obj)

    def made_container(self, name, seen=()):
        """Does local ``name`` only hold lists (or tuples, dicts) of objects the function
        makes, or is it a parameter (copied, objects and all, if written through)?"""
        if name in seen:
            return True
        seen = seen + (name,)
        if name in kinds.params(self.parsed.node):
            return True
        values = list(self.assigned_values(name))
        for n in gast.walk(self.parsed.node):       # ls.append(obj)
            if isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and \
                    isinstance(n.func.value, gast.Name) and n.func.value.id == name and \
                    n.func.attr in ("append", "insert"):
                values.append(n.args[-1] if n.args else None)
        if not values:
            return False
        for v in values:
            if isinstance(v, (gast.List, gast.Tuple)):
                items = v.elts
            elif isinstance(v, gast.ListComp):
                items = [v.elt]
            elif isinstance(v, gast.Name):
                if not self.made_container(v.id, seen):
                    return False
                continue
            else:
                items = [v]
            if not all(self.makes_object(e, seen) or isinstance(e, gast.Name) and
                       all(self.makes_object(w, seen) for w in self.assigned_values(e.id))
                       for e in items):
                return False
        return True

    def store_attr(self, target, item):
        """``o.name = item``: a write into the object at the field ``name``."""
        base = self.attr_base(target)
        self.emit(Assign([base], SetItem(base, Field(target.attr), item)))
        self.store_back(base)

    def update_attr(self, target, op, value):
        """``o.name op= v`` is ``o.name = o.name op v``."""
        base = self.attr_base(target)
        old = self.expr(gast.Attribute(value=target.value, attr=target.attr, ctx=gast.Load()))
        read = self.block[-1]
        new = self.assign(BinOp(op, old, self.expr(value)), None, f"{base.name}_{target.attr}")
        self.emit(Assign([base], SetItem(base, Field(target.attr), new)))
        self.store_back(base)
        if isinstance(read, Assign) and read.targets == [old]:
            read.updates = (((base, Field(target.attr)),), f"{self.text(target)} {op}= ...",
                            self.block[-1])

    def store_back(self, obj):
        """After a write into an object read from a list or dict (``p = ps[k]``, as
        ``for p in ps`` is lowered), store it back there (``ps[k] = p``: the same object,
        so Python's values are unchanged) so that the container follows the write -- where
        nothing since the read rebound the container or the index::

            for p in ps:            for k in range(len(ps)):
                p.v = e     ==>         p = ps[k]
                                        p.v = e
                                        ps[k] = p
        """
        later = []
        for block in [self.block] + self.outer[::-1]:
            for pos in range(len(block) - 1, -1, -1):
                st = block[pos]
                if not (isinstance(st, Assign) and obj.name in {t.name for t in st.targets}) \
                        or isinstance(st.value, (SetItem, Append, Drop)):
                    continue            # (the writes into the object itself)
                e = st.value
                if len(st.targets) != 1 or not isinstance(e, Subscript) or \
                        not isinstance(e.value, Var) or isinstance(e.index, (tuple, Slice)):
                    return
                rebound = {e.value.name} | atom_reads(e.index)
                for other in block[pos + 1:] + later:
                    for m in walk([other]):
                        if isinstance(m, Assign) and {t.name for t in m.targets} & rebound \
                                and not _stores(m, e.value.name, e.index, obj.name):
                            return
                self.emit(Assign([e.value], SetItem(e.value, e.index, obj)))
                return
            later = block + later


    def construct(self, callee, node):
        """``cls(a, name=b)`` for a NamedTuple, dataclass or SimpleNamespace class:
        ``new_object(cls, ('first', 'name'), (a, b))``, the arguments evaluated in order.
        Other classes are called as they are (refused where a derivative flows into them
        at run time by the rule lookup)."""
        how = record_fields(callee.value)
        if how is None:
            return None
        args = [self.arg(a) for a in node.args]
        kwargs = {k.arg: self.expr(k.value) for k in node.keywords}
        if how == "keywords":
            if args:
                self.error(DiffcError, f"{callee.src}() takes keyword arguments only", node)
            bound = kwargs
        else:
            try:
                bound = how.bind(*args, **kwargs).arguments
            except TypeError as e:
                self.error(DiffcError, f"{callee.src}(...) cannot be called so: {e}", node)
        names = SeqLit("tuple", [const(k) for k in bound])
        fn = containers.new_object
        return Call(fn, self.ns.bind(fn.__name__, fn),
                    [callee, names, SeqLit("tuple", list(bound.values()))])

    # ------------------------------------------------------------ sequences
    def concatenate(self, node, target):
        """``a + b`` and ``a * n`` on lists or tuples: a new list the items are appended
        to, after a run-time check that the operands are sequences of one kind (a name
        that holds a list in one place may hold an array in another)::

            ys = xs + [v]        ==>   items = [v]
                                       check_concat(xs, items, 'f.py:3')
                                       ys_2 = []
                                       for item in xs:
                                           ys_2.append(item)
                                       for item in items:
                                           ys_2.append(item)
                                       ys = like_sequence(ys_2, xs)
        """
        left, right = self.expr(node.left), self.expr(node.right)
        where = self.loc.position() if self.loc else "?"
        out = Var(self.names.fresh(getattr(target, "name", None) or "items"))
        self.locals.add(out.name)
        if isinstance(node.op, gast.Add):
            self.emit(ExprStmt(self.runtime_call(checks.check_concat,
                                                 [left, right, const(where)])))
            self.emit(Assign([out], SeqLit("list", [])))
            for part in (left, right):
                self.append_all(out, part, node)
            like = left
        else:
            seq, count = (left, right) if self.is_sequence(node.left) else (right, left)
            self.emit(ExprStmt(self.runtime_call(checks.check_repeat,
                                                 [seq, count, const(where)])))
            self.emit(Assign([out], SeqLit("list", [])))
            count = count if isinstance(count, Var) else self.assign(AtomExpr(count), None, "n")
            seq = seq if isinstance(seq, Var) else self.assign(AtomExpr(seq), None, "items")
            self.locals |= {count.name, seq.name}
            loop = gast.For(target=gast.Name(id=self.names.fresh("repeat"), ctx=gast.Store(),
                                             annotation=None, type_comment=None),
                            iter=quote_expr("range(n)", node, n=count.name), body=[],
                            orelse=[], type_comment=None)
            loop.body = self.append_loop(out, seq, node)
            self.lower_loop(loop, node)
            like = seq
        return self.assign(self.runtime_call(containers.like_sequence, [out, like]), target,
                           out.name)

    def extend_in_place(self, s):
        """``ls += xs`` on a list extends it in place; on a tuple (a name assigned a tuple
        display or ``tuple(...)``) it is ``ls = ls + xs``."""
        name = s.target.id
        if any(isinstance(v, gast.Tuple) or isinstance(v, gast.Call) and
               isinstance(v.func, gast.Name) and v.func.id == "tuple"
               for v in self.assigned_values(name)):
            load = gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)
            self.expr(gast.copy_location(gast.BinOp(left=load, op=gast.Add(), right=s.value),
                                         s), Var(name))
            return
        ls = Var(name)
        items = self.expr(s.value)
        where = self.loc.position() if self.loc else "?"
        self.emit(ExprStmt(self.runtime_call(checks.check_extend, [ls, const(where)])))
        self.append_all(ls, items, s)

    def append_all(self, ls, items, at):
        """``for item in items: ls.append(item)``, lowered here."""
        if not isinstance(items, Var):
            items = self.assign(AtomExpr(items), None, "items")
        self.locals.add(items.name)
        loop = self.append_loop(ls, items, at)[0]
        self.lower_loop(loop, at)

    def append_loop(self, ls, items, at):
        item = self.names.fresh("item")
        self.locals.add(item)
        loop = gast.For(target=gast.Name(id=item, ctx=gast.Store(), annotation=None,
                                         type_comment=None),
                        iter=quote_expr("s", at, s=items.name),
                        body=quote(f"{ls.name}.append({item})", at), orelse=[],
                        type_comment=None)
        return [loop]

    def dict_get(self, node, target):
        """``d.get(k, default)``: ``d[k]`` if the dict has the key, else the default
        (evaluated first, as Python does)::

            v = d.get(k, 0.0)     ==>   has_k = dict_has(d, k)
                                        if has_k:
                                            v = d[k]
                                        else:
                                            v = 0.0
        """
        d = self.expr(node.func.value)
        key = self.expr(node.args[0])
        default = self.expr(node.args[1]) if len(node.args) == 2 else const(None)
        has = self.assign(self.runtime_call(containers.dict_has, [d, key]), None,
                          f"has_{key.name}" if isinstance(key, Var) else "has_key")
        result = target or Var(self.names.fresh("entry"))
        self.emit(If(has, [Assign([result], Subscript(d, key))],
                     [Assign([result], AtomExpr(default))]))
        return result

    def runtime_call(self, fn, args):
        return Call(fn, self.ns.bind(fn.__name__, fn), args)

    # ------------------------------------------------------------ list methods
    def is_pop(self, c):
        """``ls.pop()`` (no argument) on a local variable."""
        return isinstance(c, gast.Call) and isinstance(c.func, gast.Attribute) and \
            c.func.attr == "pop" and isinstance(c.func.value, gast.Name) and \
            c.func.value.id in self.locals and not c.args and not c.keywords

    def pop_last(self, c, target):
        """``v = ls.pop()``: ``v = ls[-1]``, then the list loses its last item."""
        ls = Var(c.func.value.id)
        item = self.assign(Subscript(ls, const(-1)), target, f"{ls.name}_last")
        self.emit(Assign([ls], Drop(ls)))
        return item

    def list_edit(self, c, target):
        """``ls.pop(i)``, ``ls.insert(i, v)`` and ``ls.remove(v)`` on a local list: the
        items after the position are popped into a temporary list and appended back
        around the change -- the appends and pops diffc differentiates, O(len - i) like
        Python's own::

            v = ls.pop(i)    ==>   ls_i = i
                                   j = list_position(ls, ls_i, 'pop')
                                   v = ls[j]
                                   tail = []
                                   for _ in range(len(ls) - 1 - j):
                                       tail.append(ls.pop())
                                   ls.pop()
                                   for _ in range(len(tail)):
                                       ls.append(tail.pop())
        """
        ls = c.func.value.id
        op = c.func.attr
        j, tail = self.names.fresh(f"{ls}_at"), self.names.fresh(f"{ls}_tail")
        first, last = self.names.fresh("step"), self.names.fresh("step")
        self.locals |= {j, tail, first, last}
        # the arguments first, as Python evaluates them (they may read the list)
        args = [self.names.fresh(f"{ls}_{name}") for name in
                {"pop": ("i",), "insert": ("i", "item"), "remove": ("item",)}[op]]
        self.locals |= set(args)
        stmts = [st for a, v in zip(args, c.args) for st in quote(f"{a} = v", c, v=v)]
        if op == "remove":
            where = quote_expr(f"{LIST_INDEX}(ls, v)", c, ls=ls, v=args[0])
        else:
            where = quote_expr(f"{LIST_POSITION}(ls, i, {op!r})", c, ls=ls, i=args[0])
        stmts += quote(f"{j} = where", c, where=where)
        if op == "pop" and target is not None:
            stmts += quote(f"target = {ls}[{j}]", c, target=target.name)
        keep = "" if op == "insert" else " - 1"
        stmts += quote(f"{tail} = []\n"
                       f"for {first} in range(len({ls}){keep} - {j}):\n"
                       f"    {tail}.append({ls}.pop())", c)
        stmts += quote(f"{ls}.append({args[1]})", c) if op == "insert" else \
            quote(f"{ls}.pop()", c)
        stmts += quote(f"for {last} in range(len({tail})):\n"
                       f"    {ls}.append({tail}.pop())", c)
        loc = self.loc
        for st in stmts:
            if isinstance(st, gast.For):
                self.lower_loop(st, c)
            else:
                self.statements([st])
        self.loc = loc
        return target

    def is_list_edit(self, c):
        """``ls.pop(i)``, ``ls.insert(i, v)``, ``ls.remove(v)`` on a local variable."""
        return isinstance(c, gast.Call) and isinstance(c.func, gast.Attribute) and \
            isinstance(c.func.value, gast.Name) and c.func.value.id in self.locals and \
            not c.keywords and not any(isinstance(a, gast.Starred) for a in c.args) and \
            (c.func.attr, len(c.args)) in (("pop", 1), ("insert", 2), ("remove", 1))

    def list_method(self, c):
        """``ls.append(v)`` and ``ls.extend(xs)`` on a local list, as statements: writes
        diffc differentiates. False if ``c`` is not one."""
        if not (isinstance(c, gast.Call) and isinstance(c.func, gast.Attribute) and
                c.func.attr in ("append", "extend") and isinstance(c.func.value, gast.Name)
                and c.func.value.id in self.locals and len(c.args) == 1 and not c.keywords
                and not isinstance(c.args[0], gast.Starred)):
            return False
        ls = Var(c.func.value.id)
        if c.func.attr == "extend":
            # ls.extend(xs): for v in xs: ls.append(v)  (xs evaluated once, first)
            self.extend(ls, c)
        else:
            item = self.expr(c.args[0])
            self.emit(Assign([ls], Append(ls, item)))
        return True
