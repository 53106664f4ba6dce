"""Lower a normalized gast function to IR.

Expressions are flattened to three-address form: every operation gets its own
statement whose operands are atoms; the last operation of a statement writes
straight into the user's variable. Temporaries are named after what they hold::

    y = np.sin(x) * w + b        ==>    sin_x = np.sin(x)
                                        t = sin_x * w
                                        y = t + b

Augmented assignment is expanded, ``and``/``or``/conditional expressions
become ``If`` statements (they short-circuit), names are resolved to the
objects they refer to, and array methods become NumPy calls
(``x.sum(axis=0)`` -> ``np.sum(x, axis=0)``).
"""
import builtins
import types

import gast
import numpy as np

from ..errors import NameResolutionError, UnsupportedError
from ..ir.nodes import (Assign, AtomExpr, Attribute, BinOp, Call, Const, ExprStmt, For, Function,
                        If, MethodRef, Raise, Return, SeqLit, Slice, Subscript, UnaryOp, Var,
                        While, const)
from ..backend import checks, containers, dynamic, runtime
from ..rules.registry import is_nondiff, lookup
from .callables import named
from .loops import CHECK_SEQUENCE, DICT_KEYS, LIST_INDEX, LIST_POSITION, LOOP_ITEMS
from ..backend.guards import MISSING, is_data
from . import kinds
from .scoped import ScopedConstructs
from .stores import Stores
from .templates import assigned_names

BINOPS = {gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/", gast.FloorDiv: "//",
          gast.Mod: "%", gast.Pow: "**", gast.MatMult: "@", gast.BitAnd: "&", gast.BitOr: "|",
          gast.BitXor: "^", gast.LShift: "<<", gast.RShift: ">>"}
CMPOPS = {gast.Lt: "<", gast.LtE: "<=", gast.Gt: ">", gast.GtE: ">=", gast.Eq: "==",
          gast.NotEq: "!=", gast.Is: "is", gast.IsNot: "is not", gast.In: "in",
          gast.NotIn: "not in"}
UNOPS = {gast.USub: "-", gast.UAdd: "+", gast.Not: "not", gast.Invert: "~"}
OPWORDS = {"+": "plus", "-": "minus", "*": "times", "/": "over", "**": "pow", "@": "matmul",
           "<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne", "//": "div",
           "%": "mod"}

# ndarray methods that mean the same as a NumPy function of the receiver.
ARRAY_METHODS = {name: name for name in (
    "sum", "mean", "prod", "max", "min", "dot", "ravel", "squeeze", "clip", "cumsum", "var",
    "std", "argmax", "argmin", "any", "all", "nonzero", "reshape", "transpose", "trace",
    "diagonal", "round", "repeat", "swapaxes")}
ARRAY_METHODS["flatten"] = "ravel"
# dict methods read as values (outside loops, which go over the keys themselves)
DICT_METHODS = {"values": containers.dict_values, "keys": containers.dict_keys, "items": None}
VARARG_METHODS = {"reshape", "transpose"}  # x.reshape(2, 3) == np.reshape(x, (2, 3))
ARRAY_ATTRS = {"T": "transpose", "real": "real", "imag": "imag"}

UNSUPPORTED_STMTS = {
    gast.With: ("a `with` statement", "move it out of the differentiated function"),
    gast.AsyncWith: ("an `async with` statement", None),
    gast.Try: ("a `try` statement", "move error handling out of the differentiated function"),
    gast.Global: ("a `global` statement", "pass the value as an argument"),
    gast.Nonlocal: ("a `nonlocal` statement", "pass the value as an argument"),
    gast.AsyncFunctionDef: ("a nested function definition", "define the helper at module level"),
    gast.ClassDef: ("a class definition", "define the class at module level"),
    gast.Delete: ("a `del` statement", "remove it; diffc frees values itself"),
    gast.Import: ("an `import` statement", "import at module level"),
    gast.ImportFrom: ("an `import` statement", "import at module level"),
    gast.AsyncFor: ("an `async for` loop", None),
}
UNSUPPORTED_EXPRS = {
    gast.Lambda: ("a lambda other than `name = lambda ...` called by that name",
                  "assign it to a local name and call it, or define a module-level function"),
    gast.Yield: ("`yield`", None),
    gast.YieldFrom: ("`yield from`", None),
    gast.Await: ("`await`", None),
    gast.Starred: ("a starred expression", "pass the arguments one by one"),
}


RUNTIME_NAMES = {CHECK_SEQUENCE: checks.check_sequence, DICT_KEYS: containers.dict_keys,
                 LOOP_ITEMS: containers.loop_items, LIST_POSITION: containers.list_position,
                 LIST_INDEX: containers.list_index}


class Lowerer(ScopedConstructs, Stores):
    def __init__(self, parsed, resolver, names, namespace, local_names, statics=None):
        self.parsed = parsed
        self.resolver = resolver
        self.names = names
        self.ns = namespace
        self.locals = local_names
        self.block = []
        self.outer = []            # the blocks around the one being lowered, outermost first
        self.loc = None
        self.values = kinds.assigned_values(parsed.node)
        self.sequences = kinds.sequence_names(parsed.node, self.values)
        self.local_fns = {}        # local functions (lambdas, nested defs), inlined
        self.statics = statics or {}   # functions passed for parameters the code calls
        self.inlining = set()

    # ------------------------------------------------------------ helpers
    def error(self, cls, msg, node, hint=None):
        raise cls(msg, self.parsed.loc(node) or self.loc, hint)

    def emit(self, stmt):
        stmt.loc = self.loc
        self.block.append(stmt)
        return stmt

    def sub_block(self, fn, *args):
        saved, self.block = self.block, []
        self.outer.append(saved)
        try:
            fn(*args)
        finally:
            self.outer.pop()
        out, self.block = self.block, saved
        return out

    def assign(self, value, target, hint):
        if target is None:
            target = Var(self.names.fresh(hint))
        self.emit(Assign([target], value))
        return target

    # ------------------------------------------------------------ function
    def function(self):
        fdef = self.parsed.node
        a = fdef.args
        if a.vararg or a.kwarg:
            self.loc = self.parsed.loc(fdef)
            self.error(UnsupportedError, f"`{fdef.name}` takes *args or **kwargs", fdef,
                       "list the parameters explicitly")
        params = [p.id for p in a.posonlyargs + a.args + a.kwonlyargs]
        body = fdef.body
        doc = None
        if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant) \
                and isinstance(body[0].value.value, str):
            doc, body = body[0].value.value, body[1:]
        self.statements(body)
        return Function(fdef.name, params, self.block, self.parsed.loc(fdef), a, doc)

    # ------------------------------------------------------------ statements
    def statements(self, stmts):
        for s in stmts:
            self.loc = self.parsed.loc(s) or self.loc
            method = getattr(self, "stmt_" + type(s).__name__, None)
            if method is None:
                what, hint = UNSUPPORTED_STMTS.get(type(s), (f"a `{type(s).__name__}` statement", None))
                self.error(UnsupportedError, f"diffc does not support {what}", s, hint)
            method(s)

    def stmt_Pass(self, s):
        pass

    def stmt_Expr(self, s):
        if isinstance(s.value, gast.Constant):
            return  # a docstring or a bare constant: nothing to do
        c = s.value
        if self.is_pop(c):
            self.pop_last(c, None)
            return
        if self.is_list_edit(c):
            self.list_edit(c, None)
            return
        if self.chained_list_method(c, None, True) is not None:
            return
        if self.list_method(c):
            return
        if isinstance(s.value, gast.Call) and isinstance(s.value.func, gast.Name) and \
                s.value.func.id in self.local_fns:
            self.inline_call(s.value, None)
            return
        if isinstance(s.value, gast.Call):
            self.emit(ExprStmt(self.call_expr(s.value)))
        else:
            self.expr(s.value)

    def stmt_Assign(self, s):
        value = s.value
        if self.is_pop(value) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name):
            self.pop_last(value, Var(s.targets[0].id))
            return
        if isinstance(value, gast.Lambda) and len(s.targets) == 1 and \
                isinstance(s.targets[0], gast.Name):
            self.local_lambda(s.targets[0].id, value, s)
            return
        first, rest = s.targets[0], s.targets[1:]
        if rest:  # a = b = value
            atom = self.expr(value)
            for t in s.targets:
                self.bind_target(t, AtomExpr(atom))
            return
        self.assign_to(first, value)

    def stmt_AnnAssign(self, s):
        if s.value is not None:
            self.assign_to(s.target, s.value)

    def stmt_AugAssign(self, s):
        if isinstance(s.target, gast.Subscript):
            self.update_item(s.target, BINOPS.get(type(s.op)), s.value)
            return
        if isinstance(s.target, gast.Attribute):
            self.update_attr(s.target, BINOPS.get(type(s.op)), s.value)
            return
        if not isinstance(s.target, gast.Name):
            self.check_target(s.target)
        if isinstance(s.op, gast.Add) and s.target.id in self.sequences:
            # ls += xs extends the list in place (a tuple: makes a new one)
            self.extend_in_place(s)
            return
        op = BINOPS.get(type(s.op))
        right = self.expr(s.value)
        left = self.expr(gast.Name(id=s.target.id, ctx=gast.Load(), annotation=None,
                                   type_comment=None))
        self.emit(Assign([Var(s.target.id)], BinOp(op, left, right), augmented=True))

    def assign_to(self, target, value):
        if isinstance(target, gast.Name):
            self.expr(value, Var(target.id))
        elif isinstance(target, (gast.Tuple, gast.List)):
            if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(target.elts) \
                    and not any(isinstance(e, gast.Starred) for e in target.elts + value.elts):
                self.parallel_assign(target.elts, value.elts)
            else:
                self.bind_target(target, self.rhs(value))
        elif isinstance(target, gast.Subscript):
            self.store_item(target, self.expr(value))
        elif isinstance(target, gast.Attribute):
            self.store_attr(target, self.expr(value))
        else:
            self.check_target(target)

    def rhs(self, value):
        """Lower ``value`` for unpacking into an atom (the IR unpacks variables)."""
        return AtomExpr(self.expr(value))

    def parallel_assign(self, targets, values):
        """``a, b = b, a + b``: evaluate every value before assigning any target."""
        atoms = [self.expr(v) for v in values]
        written = set()
        for t in targets:
            written |= assigned_names(t)
        for i, a in enumerate(atoms):
            earlier = set()
            for t in targets[:i]:
                earlier |= assigned_names(t)
            if isinstance(a, Var) and a.name in earlier:
                atoms[i] = self.assign(AtomExpr(a), None, a.name + "_old")
        for t, a in zip(targets, atoms):
            self.bind_target(t, AtomExpr(a))

    def bind_target(self, target, value):
        if isinstance(target, gast.Name):
            self.emit(Assign([Var(target.id)], value))
            return
        if isinstance(target, (gast.Subscript, gast.Attribute)):
            atom = value.atom if isinstance(value, AtomExpr) else self.assign(value, None, "item")
            (self.store_item if isinstance(target, gast.Subscript) else self.store_attr)(
                target, atom)
            return
        if isinstance(target, (gast.Tuple, gast.List)):
            if any(isinstance(e, gast.Starred) for e in target.elts):
                self.error(UnsupportedError, "diffc does not support starred assignment targets",
                           target, "unpack the elements one by one")
            flat, nested = [], []
            for e in target.elts:
                if isinstance(e, gast.Name):
                    flat.append(Var(e.id))
                else:
                    self.check_target(e) if not isinstance(e, (gast.Tuple, gast.List,
                                                               gast.Subscript,
                                                               gast.Attribute)) else None
                    tmp = Var(self.names.fresh("item"))
                    flat.append(tmp)
                    nested.append((e, tmp))
            self.emit(Assign(flat, value))
            for e, tmp in nested:
                self.bind_target(e, AtomExpr(tmp))
            return
        self.check_target(target)

    def check_target(self, target):
        if isinstance(target, gast.Attribute):
            self.error(UnsupportedError, "diffc does not support assigning to an attribute",
                       target, "use a local variable")
        self.error(UnsupportedError, f"diffc does not support this assignment target "
                   f"({type(target).__name__})", target)

    def stmt_If(self, s):
        test, negated = s.test, False
        while isinstance(test, gast.UnaryOp) and isinstance(test.op, gast.Not):
            test, negated = test.operand, not negated   # `if not c:` tests c directly
        test = self.expr(test)
        body = self.sub_block(self.statements, s.body)
        orelse = self.sub_block(self.statements, s.orelse)
        self.loc = self.parsed.loc(s)
        self.emit(If(test, orelse, body) if negated else If(test, body, orelse))

    def stmt_For(self, s):
        # after ForToRange every loop is `for name in range(...)`
        args = [self.expr(a) for a in s.iter.args]
        if not 1 <= len(args) <= 3:
            self.error(UnsupportedError, "range() takes 1 to 3 arguments", s.iter)
        start, stop, step = (const(0), args[0], const(1)) if len(args) == 1 else \
            (args[0], args[1], const(1)) if len(args) == 2 else args
        written = assigned_names(s)
        bounds = []
        for a, hint in zip((start, stop, step), ("start", "stop", "step")):
            if isinstance(a, Var) and a.name in written:
                a = self.assign(AtomExpr(a), None, f"{a.name}_{hint}")
            bounds.append(a)
        loc = self.loc
        body = self.sub_block(self.statements, s.body)
        self.loc = loc
        self.emit(For(Var(s.target.id), *bounds, body))
        self.statements(s.orelse)

    def stmt_While(self, s):
        loc = self.loc
        test_body = []
        saved, self.block = self.block, test_body
        test = self.expr(s.test)
        self.block = saved
        body = self.sub_block(self.statements, s.body)
        self.loc = loc
        self.emit(While(test_body, test, body))
        self.statements(s.orelse)

    def stmt_Return(self, s):
        if s.value is None:
            value = const(None)
        elif isinstance(s.value, gast.Tuple):
            value = SeqLit("tuple", [self.expr(e) for e in s.value.elts])
        else:
            value = self.expr(s.value)
        self.emit(Return(value))

    def stmt_Raise(self, s):
        self.emit(Raise(self.expr(s.exc) if s.exc is not None else None))

    def stmt_Assert(self, s):
        test = self.expr(s.test)
        fail = []
        saved, self.block = self.block, fail
        msg = [self.expr(s.msg)] if s.msg is not None else []
        exc = self.assign(Call(AssertionError, self.ns.bind("AssertionError", AssertionError),
                               msg), None, "error")
        self.emit(Raise(exc))
        self.block = saved
        self.emit(If(test, [], fail))

    # ------------------------------------------------------------ expressions
    def expr(self, node, target=None):
        """Lower ``node``; return the atom holding its value (``target`` if given).

        The statements it emits carry the node's own location, so errors point
        at the very expression."""
        outer = self.loc
        self.loc = self.parsed.loc(node) or outer
        try:
            return self._expr(node, target)
        finally:
            self.loc = outer

    def _expr(self, node, target):
        if isinstance(node, gast.Constant):
            atom = const(node.value)
        elif isinstance(node, gast.Name):
            atom = self.name(node)
        elif isinstance(node, gast.Attribute) and self.dotted(node) is not None:
            atom = self.global_attr(node)
        else:
            method = getattr(self, "expr_" + type(node).__name__, None)
            if method is None:
                what, hint = UNSUPPORTED_EXPRS.get(type(node), (f"a `{type(node).__name__}` expression", None))
                self.error(UnsupportedError, f"diffc does not support {what}", node, hint)
            return method(node, target)
        if target is not None:
            self.emit(Assign([target], AtomExpr(atom)))
            return target
        return atom

    def name(self, node):
        if node.id in self.locals:
            return Var(node.id)
        if node.id in RUNTIME_NAMES:   # helpers the normalization passes call
            helper = RUNTIME_NAMES[node.id]
            return Const(helper, self.ns.bind(helper.__name__, helper))
        obj = self.global_value(node.id, node, data=True)
        if isinstance(obj, np.ndarray) and type(obj) not in (np.ndarray, np.memmap):
            self.error(UnsupportedError, f"`{node.id}` is a {type(obj).__name__}, an array "
                       "whose arithmetic is not NumPy's (np.matrix multiplies with *, masked "
                       "arrays skip entries)", node, f"use np.asarray({node.id})")
        if is_data(obj):    # read when the derivative runs (refreshed before each call)
            _, container, key = self.resolver.where(node.id)
            src = self.ns.bind_data(node.id, container, key, obj)
            self.resolver.guard(node.id, obj, src)
            return Const(obj, src)
        return Const(obj, self.ns.bind(node.id, obj))

    def global_value(self, name, node, data=False):
        """The object a free name refers to. The build depends on it staying so, except
        for ``data`` (numbers, arrays, containers), which the caller records itself."""
        obj = self.resolver.lookup(name)
        if obj is MISSING:
            self.error(NameResolutionError, f"name `{name}` is not defined", node,
                       "define it at module level before building the derivative, "
                       "or pass it as an argument")
        if not (data and is_data(obj)):
            self.resolver.guard(name, obj)
        primal = getattr(obj, "__diffc_primal__", None)
        if primal is self.parsed.fn:
            return primal   # a decorated function calling itself means the original
        return obj

    def dotted(self, node):
        """``['np', 'linalg', 'norm']`` for a chain on a non-local name, else None."""
        parts = []
        while isinstance(node, gast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, gast.Name) and node.id not in self.locals:
            return [node.id] + parts[::-1]
        return None

    def global_attr(self, node):
        """``np.linalg.norm``: generated code reads the chain when it runs; the build
        depends on every step but data at the end (``cfg.lr``) staying the same object."""
        parts = self.dotted(node)
        obj = base_obj = self.global_value(parts[0], node)
        guards = self.ns.guards
        for i, p in enumerate(parts[1:], 1):
            try:
                value = getattr(obj, p)
            except AttributeError:
                self.error(NameResolutionError, f"`{'.'.join(parts)}` does not exist "
                           f"(no attribute `{p}`)", node)
            if i == len(parts) - 1 and is_data(value):
                guards.data_read("attr", obj, p, None)
            else:
                guards.attr(obj, p, value)
            obj = value
        base = self.ns.bind(parts[0], base_obj)
        return Const(obj, ".".join([base] + parts[1:]))

    def hint(self, node):
        if isinstance(node, gast.Name):
            return node.id
        if isinstance(node, gast.Constant) and isinstance(node.value, (int, float)) \
                and not isinstance(node.value, bool):
            return str(node.value).replace(".", "_").replace("-", "m")
        if isinstance(node, gast.Attribute):
            return node.attr
        return None

    def is_sequence(self, node):
        """Is ``node`` always a list or tuple: a display, a name that only holds them,
        ``list(...)``, or a join or repetition of one (``(v,) * 2 + t``)?"""
        return isinstance(node, (gast.List, gast.Tuple, gast.ListComp)) or \
            (isinstance(node, gast.Name) and node.id in self.sequences) or \
            isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Add, gast.Mult)) and \
            (self.is_sequence(node.left) or self.is_sequence(node.right)) or \
            isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Slice) and \
            self.is_sequence(node.value) or \
            isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
            node.func.id in ("list", "tuple", "sorted") and node.func.id not in self.locals

    def expr_BinOp(self, node, target):
        if isinstance(node.op, (gast.Add, gast.Mult)) and \
                (self.is_sequence(node.left) or self.is_sequence(node.right)):
            return self.concatenate(node, target)
        op = BINOPS[type(node.op)]
        left, right = self.expr(node.left), self.expr(node.right)
        hl, hr = self.hint(node.left), self.hint(node.right)
        hint = f"{hl}_{OPWORDS.get(op, 'op')}_{hr}" if hl and hr and len(hl + hr) <= 10 else "t"
        return self.assign(BinOp(op, left, right), target, hint)

    def expr_UnaryOp(self, node, target):
        op = UNOPS[type(node.op)]
        if op == "-" and isinstance(node.operand, gast.Constant) and \
                isinstance(node.operand.value, (int, float, complex)) and target is None:
            return const(-node.operand.value)
        operand = self.expr(node.operand)
        h = self.hint(node.operand)
        hint = {"-": "neg", "not": "not", "+": "pos", "~": "inv"}[op] + (f"_{h}" if h else "")
        return self.assign(UnaryOp(op, operand), target, hint)

    def expr_Compare(self, node, target):
        left = self.expr(node.left)
        result = target
        pairs = list(zip(node.ops, node.comparators))
        if len(pairs) == 1:
            op, right_node = pairs[0]
            op = CMPOPS[type(op)]
            hl, hr = self.hint(node.left), self.hint(right_node)
            hint = f"{hl}_{OPWORDS.get(op, 'cmp')}_{hr}" if hl and hr and len(hl + hr) <= 12 \
                else "cond"
            return self.assign(BinOp(op, left, self.expr(right_node)), target, hint)
        # a < b < c: (a < b) and (b < c), evaluating b once and short-circuiting
        result = target or Var(self.names.fresh("cond"))
        block = self.block
        for i, (op, right_node) in enumerate(pairs):
            right = self.expr(right_node)
            self.emit(Assign([result], BinOp(CMPOPS[type(op)], left, right)))
            left = right
            if i < len(pairs) - 1:
                inner = []
                self.emit(If(result, inner, []))
                self.block = inner
        self.block = block
        return result

    def expr_BoolOp(self, node, target):
        is_and = isinstance(node.op, gast.And)
        result = target or Var(self.names.fresh("cond"))
        block = self.block
        for i, v in enumerate(node.values):
            self.expr(v, result)
            if i < len(node.values) - 1:
                inner = []
                self.emit(If(result, inner, []) if is_and else If(result, [], inner))
                self.block = inner
        self.block = block
        return result

    def expr_NamedExpr(self, node, target):
        """``(n := e)``: ``n = e``, then the value of ``e``."""
        value = self.expr(node.value)
        self.bind_target(node.target, AtomExpr(value))
        return value if target is None else self.assign(AtomExpr(value), target, "value")

    def expr_JoinedStr(self, node, target):
        """``f"a {x:.3f} b"`` is ``fstring('a {0:.3f} b', x)`` (a string: no derivative)."""
        values = []

        def text(parts):
            out = []
            for p in parts:
                if isinstance(p, gast.Constant):
                    out.append(str(p.value).replace("{", "{{").replace("}", "}}"))
                    continue
                values.append(self.expr(p.value))
                k = len(values) - 1
                conv = "" if p.conversion in (-1, None) else "!" + chr(p.conversion)
                spec = "" if p.format_spec is None else ":" + text(p.format_spec.values)
                out.append("{" + str(k) + conv + spec + "}")
            return "".join(out)
        template = text(node.values)
        return self.assign(Call(runtime.fstring, self.ns.bind("fstring", runtime.fstring),
                                [const(template)] + values), target, "text")

    def expr_IfExp(self, node, target):
        test = self.expr(node.test)
        result = target or Var(self.names.fresh("choice"))
        body = self.sub_block(self.expr, node.body, result)
        orelse = self.sub_block(self.expr, node.orelse, result)
        self.emit(If(test, body, orelse))
        return result

    def expr_Dict(self, node, target):
        """``{k: v, ...}``: ``make_dict((k, ...), (v, ...))``, evaluated key, value, key..."""
        keys, values = [], []
        for k, v in zip(node.keys, node.values):
            if k is None:
                self.error(UnsupportedError, "diffc does not support `**` in a dict display",
                           v, "add the entries one by one")
            keys.append(self.expr(k))
            values.append(self.expr(v))
        call = Call(containers.make_dict, self.ns.bind("make_dict", containers.make_dict),
                    [SeqLit("tuple", keys), SeqLit("tuple", values)])
        return self.assign(call, target, "entries")

    def expr_Tuple(self, node, target):
        return self.seq(node, "tuple", target)

    def expr_List(self, node, target):
        return self.seq(node, "list", target)

    def seq(self, node, kind, target):
        value = SeqLit(kind, [self.expr(e) for e in node.elts])
        return self.assign(value, target, kind[0] if kind == "tuple" else "items")

    def expr_Subscript(self, node, target):
        value = self.expr(node.value)
        index = self.index(node.slice)
        h = self.hint(node.value)
        hi = self.hint(node.slice) if isinstance(node.slice, (gast.Name, gast.Constant)) else None
        hint = f"{h}_{hi}" if h and hi else (f"{h}_part" if h else "part")
        return self.assign(Subscript(value, index), target, hint)

    def index(self, node):
        if isinstance(node, gast.Slice):
            return Slice(*(self.expr(p) if p is not None else None
                           for p in (node.lower, node.upper, node.step)))
        if isinstance(node, gast.Tuple):
            return tuple(self.index(e) for e in node.elts)
        return self.expr(node)

    def expr_Attribute(self, node, target):
        value = self.expr(node.value)
        h = self.hint(node.value)
        if node.attr in ARRAY_ATTRS:
            fn = ARRAY_ATTRS[node.attr]
            call = Call(getattr(np, fn), self.np_src(fn), [value])
            return self.assign(call, target, f"{h}_{node.attr}" if h else node.attr)
        return self.assign(Attribute(value, node.attr), target,
                           f"{h}_{node.attr}" if h else node.attr)

    def expr_Call(self, node, target):
        if self.is_pop(node):
            return self.pop_last(node, target)
        if self.is_list_edit(node):
            if node.func.attr != "pop":
                self.list_edit(node, None)
                return self.assign(AtomExpr(const(None)), target, "none")
            return self.list_edit(node, target or Var(self.names.fresh(
                f"{node.func.value.id}_item")))
        chained = self.chained_list_method(node, target, False)
        if chained is not None:
            return chained
        if isinstance(node.func, gast.Lambda):      # (lambda v: ...)(x)
            return self.inline_call(self.named_lambda(node.func, node), target)
        if isinstance(node.func, gast.Name) and node.func.id in self.local_fns:
            return self.inline_call(node, target)
        for name in ("sorted", "max", "min"):
            if any(k.arg == "key" for k in node.keywords) and self.is_builtin(node.func, name):
                return self.keyed(node, target, name)
        if isinstance(node.func, gast.Attribute) and node.func.attr == "get" and \
                self.dotted(node.func) is None and 1 <= len(node.args) <= 2 and \
                not node.keywords and not any(isinstance(a, gast.Starred) for a in node.args):
            return self.dict_get(node, target)
        if self.is_builtin(node.func, "map") and len(node.args) >= 2 and not node.keywords:
            return self.expr_map(node, target)
        call = self.call_expr(node)
        fn = call.fn
        name = getattr(fn, "name", None) or getattr(fn, "__name__", None) or "call"
        first = call.args[1] if isinstance(fn, MethodRef) and len(call.args) > 1 else \
            (call.args[0] if call.args else None)
        hint = f"{name}_{first.name}" if isinstance(first, Var) and len(first.name) <= 12 else name
        return self.assign(call, target, hint)

    def np_src(self, name):
        return self.ns.bind("np", np) + "." + name

    def call_expr(self, node):
        func = node.func
        for a in node.args:
            if isinstance(a, gast.Starred):
                self.error(UnsupportedError, "diffc does not support *args in calls", a,
                           "pass the arguments one by one")
        for k in node.keywords:
            if k.arg is None:
                self.error(UnsupportedError, "diffc does not support **kwargs in calls", k.value,
                           "pass the keyword arguments one by one")
        if isinstance(func, gast.Attribute) and self.dotted(func) is None:
            receiver = self.expr(func.value)
            return self.method_call(receiver, func.attr, node)
        if isinstance(func, gast.Name) and func.id in self.statics:
            # a function passed as an argument: this build is for that function
            obj = self.statics[func.id]
            callee = Const(obj, self.ns.bind(f"{func.id}_function", obj))
        elif isinstance(func, gast.Name) and func.id in self.locals or \
                isinstance(func, gast.Subscript):
            return self.call_by_value(node)
        elif isinstance(func, (gast.Name, gast.Attribute)):
            callee = self.expr(func)
        else:
            self.error(UnsupportedError, "diffc does not support calling this kind of "
                       "expression", func, "call a function by name")
        if isinstance(callee, Const) and isinstance(callee.value, types.FunctionType):
            callee = Const(named(callee.value), callee.src)    # a lambda: given a name
        bound = None
        if isinstance(callee, Const) and isinstance(callee.value, types.MethodType) and \
                isinstance(callee.value.__func__, types.FunctionType) and \
                isinstance(func, gast.Attribute):
            # SIM.run(x) on a module-level object: its class's function, the object first
            fn = named(callee.value.__func__)
            owner = callee.value.__self__
            owner = owner if isinstance(owner, type) else type(owner)
            bound = self.expr(func.value)
            callee = Const(fn, self.ns.bind(f"{owner.__name__}_{fn.__name__}", fn))
        if isinstance(callee, Const) and isinstance(callee.value, type):
            made = self.construct(callee, node)
            if made is not None:
                return made
        args = [self.arg(a) for a in node.args]
        if bound is not None:
            args = [bound] + args
        kwargs = {k.arg: self.expr(k.value) for k in node.keywords}
        if callee.value in (builtins.max, builtins.min) and not kwargs and len(args) != 2:
            return self.builtin_min_max(callee, args, node)
        return Call(callee.value, callee.src, args, kwargs)

    def call_by_value(self, node):
        """``g(x)`` where g is a local variable or an item (``fs[i](x)``): the function is
        known when the code runs (backend/dynamic.py)."""
        if node.keywords:
            self.error(UnsupportedError, "diffc calls a function held in a variable with "
                       "positional arguments only", node, "pass the arguments by position")
        fn = self.expr(node.func)
        args = SeqLit("tuple", [self.arg(a) for a in node.args])
        return Call(dynamic.call_function, self.ns.bind("call_function", dynamic.call_function),
                    [fn, args])

    def builtin_min_max(self, callee, args, node):
        """``max(xs)`` picks an item of one sequence (seq_max); ``max(a, b, c)`` is
        ``max(max(a, b), c)``, which keeps Python's choice of the first of equal items."""
        if len(args) == 1:
            fn = containers.seq_max if callee.value is builtins.max else containers.seq_min
            return Call(fn, self.ns.bind(fn.__name__, fn), args)
        if not args:
            self.error(UnsupportedError, f"{callee.src}() needs arguments", node)
        acc = args[0]
        for a in args[1:-1]:
            acc = self.assign(Call(callee.value, callee.src, [acc, a]), None, callee.src)
        return Call(callee.value, callee.src, [acc, args[-1]])

    def arg(self, node):
        if isinstance(node, (gast.Tuple, gast.List)) and \
                not any(isinstance(e, gast.Starred) for e in node.elts):
            return SeqLit("list" if isinstance(node, gast.List) else "tuple",
                          [self.expr(e) for e in node.elts])
        return self.expr(node)

    def method_call(self, receiver, name, node):
        args = [self.arg(a) for a in node.args]
        kwargs = {k.arg: self.expr(k.value) for k in node.keywords}
        if name in DICT_METHODS and not args and not kwargs:
            fn = DICT_METHODS[name]
            if fn is None:
                self.error(UnsupportedError, "diffc reads `.items()` in `for` loops and "
                           "comprehensions only", node, "write `for k, v in d.items(): ...`")
            return Call(fn, self.ns.bind(fn.__name__, fn), [receiver])
        np_name = ARRAY_METHODS.get(name)
        if np_name is None and name not in kinds.BUILTIN_METHODS and not kwargs and \
                lookup(MethodRef(name)) is None and not is_nondiff(MethodRef(name)):
            # a method of a class of yours (`layer.forward(x)`): its function, known when
            # the code runs, called with the object first (backend/dynamic.py)
            fn = self.assign(Call(dynamic.method_function,
                                  self.ns.bind("method_function", dynamic.method_function),
                                  [receiver, const(name)]), None, name)
            return Call(dynamic.call_function,
                        self.ns.bind("call_function", dynamic.call_function),
                        [fn, SeqLit("tuple", [receiver] + args)])
        if np_name is None:
            return Call(MethodRef(name), None, [receiver] + args, kwargs)
        if name in VARARG_METHODS and len(args) > 1:
            args = [SeqLit("tuple", args)]
        return Call(getattr(np, np_name), self.np_src(np_name), [receiver] + args, kwargs)

