"""Rewrite every ``for`` loop into a loop over ``range``.

The IR has one kind of counted loop, ``for i in range(start, stop, step)``,
which reverse mode can replay backwards. Loops over sequences, ``enumerate``,
``zip`` and ``reversed`` become index loops that read their elements::

    for i, x in enumerate(xs):          for i in range(len(xs)):
        s = s + i * x           ==>         x = xs[i]
                                            s = s + i * x

    for a, b in zip(u, v):              for k in range(min(len(u), len(v))):
        s = s + a * b           ==>         a, b = u[k], v[k]
                                            s = s + a * b

Iterating over something that is not a sequence (a dict, a set, a generator)
would index it wrongly, so such loops start with ``check_sequence(xs, ...)``,
which raises a DiffcError for anything but lists, tuples, arrays and ranges. A loop
over a local dict goes over its keys (``dict_keys(d)``); over a parameter, over
``loop_items(p, ...)``: the parameter if it is a sequence, the keys if a dict.
"""
import builtins

import gast

from . import kinds
from .templates import assigned_names, quote, quote_expr


# the runtime check that the iterable is a sequence (a dict would index by key)
CHECK_SEQUENCE = "__diffc_check_sequence__"
# the keys of a dict, in order (a loop over d.items() / d.values() / d.keys())
DICT_KEYS = "__diffc_dict_keys__"
# a parameter looped over: itself if a sequence, the keys of a dict (checked)
LOOP_ITEMS = "__diffc_loop_items__"
# the position ls.pop(i) / ls.insert(i, v) / ls.remove(v) changes (stores.py)
LIST_POSITION = "__diffc_list_position__"
LIST_INDEX = "__diffc_list_index__"


class ForToRange(gast.NodeTransformer):
    def __init__(self, resolver, local_names, names, parsed):
        self.parsed = parsed
        self.resolver = resolver
        self.locals = local_names
        self.names = names  # NameGen

    def _builtin(self, node, name):
        """Is ``node`` a call of the builtin ``name``?"""
        if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)):
            return False
        fid = node.func.id
        if fid == name and fid not in self.locals and \
                self.resolver.lookup(fid) is getattr(builtins, name):
            self.resolver.guard(fid, getattr(builtins, name))
            return True
        return False

    def visit_For(self, node):
        self.generic_visit(node)
        if self._builtin(node.iter, "range") and isinstance(node.target, gast.Name) \
                and not node.iter.keywords:
            return node
        setup = []
        body_assigned = assigned_names(node)
        index = None
        it = node.iter
        if self._builtin(it, "enumerate") and len(it.args) == 1 and not it.keywords \
                and isinstance(node.target, gast.Tuple) and len(node.target.elts) == 2 \
                and isinstance(node.target.elts[0], gast.Name):
            # for i, x in enumerate(xs): the counter is the index itself
            index = node.target.elts[0].id
            length, elem = self._sequence(it.args[0], setup, body_assigned, node)
            target = node.target.elts[1]
            elem_of = elem
        else:
            length, elem_of = self._sequence(it, setup, body_assigned, node)
            target = node.target
        if index is None:
            index = self.names.fresh("k")
        first = quote("target = value", node, target=target,
                      value=elem_of(gast.Name(id=index, ctx=gast.Load(), annotation=None,
                                              type_comment=None)))
        loop = quote("for i in range(n): pass", node, i=index, n=length)[0]
        loop.body = first + node.body
        loop.orelse = node.orelse
        return setup + [loop]

    def _sequence(self, it, setup, body_assigned, at):
        """(length expression, element-of-index function) for an iterable."""
        if self._builtin(it, "enumerate") and not it.keywords and len(it.args) in (1, 2):
            length, elem = self._sequence(it.args[0], setup, body_assigned, at)
            start = it.args[1] if len(it.args) == 2 else None
            if start is not None:
                start = self._hold(start, "start", setup, body_assigned, at)

            def elem_enum(k):
                counter = k if start is None else quote_expr("k + s", at, k=k, s=start)
                return gast.Tuple(elts=[counter, elem(k)], ctx=gast.Load())
            return length, elem_enum
        if self._builtin(it, "zip") and not it.keywords and it.args:
            parts = [self._sequence(a, setup, body_assigned, at) for a in it.args]
            length = parts[0][0] if len(parts) == 1 else gast.Call(
                func=gast.Name(id="min", ctx=gast.Load(), annotation=None, type_comment=None),
                args=[p[0] for p in parts], keywords=[])
            return length, lambda k: gast.Tuple(elts=[p[1](k) for p in parts], ctx=gast.Load())
        if self._builtin(it, "reversed") and len(it.args) == 1 and not it.keywords:
            seq = self._hold(it.args[0], "seq", setup, body_assigned, at)
            return (quote_expr("len(s)", at, s=seq),
                    lambda k: quote_expr("s[-1 - k]", at, s=seq, k=k))
        if isinstance(it, gast.Call) and isinstance(it.func, gast.Attribute) and \
                it.func.attr in ("items", "values", "keys") and not it.args and \
                not it.keywords:
            # for k, v in d.items(): the keys, in order, then d[key]
            d = self._hold(it.func.value, "entries", setup, body_assigned, at)
            keys = self.names.fresh("keys")
            setup.extend(quote(f"{keys} = {DICT_KEYS}(d)", at, d=d))
            key = lambda k: quote_expr(f"{keys}[k]", at, k=k)          # noqa: E731
            item = {"keys": key,
                    "values": lambda k: quote_expr("d[key]", at, d=d, key=key(k)),
                    "items": lambda k: gast.Tuple(elts=[key(k), quote_expr(
                        "d[key]", at, d=d, key=key(k))], ctx=gast.Load())}[it.func.attr]
            return quote_expr(f"len({keys})", at), item
        if isinstance(it, gast.Name) and it.id in kinds.dict_names(self.parsed.node):
            # for k in d, on a local dict: its keys, in order
            keys = self.names.fresh("keys")
            setup.extend(quote(f"{keys} = {DICT_KEYS}(d)", at, d=it))
            return quote_expr(f"len({keys})", at), \
                lambda k: quote_expr(f"{keys}[k]", at, k=k)
        loc = self.parsed.loc(at)
        where = f"{loc.filename}:{loc.lineno}"
        if isinstance(it, gast.Name) and it.id in kinds.params(self.parsed.node):
            # a parameter: a sequence, or a dict whose keys the loop goes over
            seq = self.names.fresh("seq")
            setup.extend(quote(f"{seq} = {LOOP_ITEMS}(s, {where!r})", at, s=it))
            seq = gast.Name(id=seq, ctx=gast.Load(), annotation=None, type_comment=None)
            return (quote_expr("len(s)", at, s=seq),
                    lambda k: quote_expr("s[k]", at, s=seq, k=k))
        seq = self._hold(it, "seq", setup, body_assigned, at)
        if not self._builtin(it, "range"):
            setup.extend(quote(f"{CHECK_SEQUENCE}(s, {where!r})", at, s=seq))
        return (quote_expr("len(s)", at, s=seq),
                lambda k: quote_expr("s[k]", at, s=seq, k=k))

    def _hold(self, expr, hint, setup, body_assigned, at):
        """A name holding ``expr``'s value for the whole loop."""
        if isinstance(expr, gast.Name) and expr.id not in body_assigned:
            return gast.Name(id=expr.id, ctx=gast.Load(), annotation=None, type_comment=None)
        name = self.names.fresh(hint)
        setup.extend(quote("name = value", at, name=name, value=expr))
        return gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)
