"""Shrink a failing sample to a minimal one that fails the same way, and print
it as a ready-to-paste pytest regression test.

Edits (AST level, each re-checked with the full oracle: the candidate must
still be a fair FD test and give the same (class, kind)):

* drop a helper, drop a statement, drop an unused parameter, drop a decorator;
* replace ``if``/``for``/``while`` by one of its bodies (a loop by one
  iteration with its target bound to the first element), drop ``else``;
* shrink integer constants (trip counts), simplify float constants;
* replace an expression by one of its operands or by ``1.0``, a comparison
  by ``True``/``False``, a boolean operation by one operand;
* inline a helper called as ``target = helper(...)``;
* differentiate fewer arguments, round the inputs.
"""
import ast
import copy
import re
import time

import numpy as np

from . import oracle
from .oracle import evaluate


def _params(tree, fname):
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == fname:
            return node
    return None


class _Slots:
    """Every (parent, field, index) position holding an AST node, in a fixed order."""

    def __init__(self, tree):
        self.slots = []
        self._walk(tree)

    def _walk(self, node):
        for field, value in ast.iter_fields(node):
            if isinstance(value, list):
                for i, v in enumerate(value):
                    if isinstance(v, ast.AST):
                        self.slots.append((node, field, i, v))
                        self._walk(v)
            elif isinstance(value, ast.AST):
                self.slots.append((node, field, None, value))
                self._walk(value)


def _set(parent, field, i, new):
    if i is None:
        setattr(parent, field, new)
    else:
        getattr(parent, field)[i] = new


def _is_load_expr(node):
    if not isinstance(node, ast.expr):
        return False
    ctx = getattr(node, "ctx", None)
    return ctx is None or isinstance(ctx, ast.Load)


class _Rename(ast.NodeTransformer):
    def __init__(self, mapping):
        self.mapping = mapping

    def visit_Name(self, node):
        if node.id in self.mapping:
            node.id = self.mapping[node.id]
        return node

    def visit_FunctionDef(self, node):
        if node.name in self.mapping:
            node.name = self.mapping[node.name]
        self.generic_visit(node)
        return node


def _counter_step(stmt, test):
    """Is stmt `k += 1` / `k = k + 1` for a name k the while test reads?"""
    names = {n.id for n in ast.walk(test) if isinstance(n, ast.Name)}
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
        return stmt.target.id in names
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id in names and isinstance(stmt.value, ast.BinOp)
    return False


def _first_of(it):
    """Expression for the first element of a for-loop iterable, or None."""
    if isinstance(it, ast.Call) and isinstance(it.func, ast.Name):
        name = it.func.id
        if name == "enumerate" and it.args:
            start = it.args[1] if len(it.args) > 1 else ast.Constant(0)
            first = _first_of(it.args[0])
            return None if first is None else ast.Tuple([start, first], ast.Load())
        if name == "zip" and it.args:
            firsts = [_first_of(a) for a in it.args]
            return None if None in firsts else ast.Tuple(firsts, ast.Load())
        if name == "reversed" and it.args:
            return ast.Subscript(it.args[0], ast.UnaryOp(ast.USub(), ast.Constant(1)), ast.Load())
    return ast.Subscript(it, ast.Constant(0), ast.Load())


class Shrinker:
    def __init__(self, outcome, max_seconds=90.0, max_evals=3000, log=None):
        self.target = outcome.signature()
        self.best = outcome.program
        self.deadline = time.time() + max_seconds
        self.max_evals = max_evals
        self.evals = 0
        self.seen = set()
        self.best_outcome = outcome
        self.log = log

    # -------------------------------------------------------------- driver
    def budget(self):
        return time.time() < self.deadline and self.evals < self.max_evals

    def try_prog(self, prog):
        key = (prog.source, repr(prog.args), prog.wrt, prog.extra_wrt, repr(prog.tangents))
        if key in self.seen:
            return False
        self.seen.add(key)
        self.evals += 1
        o = evaluate(prog, lazy_fd=self.target[0] == "CRASH")
        if o.signature() == self.target:
            self.best = prog
            self.best_outcome = o
            return True
        return False

    def with_source(self, tree):
        try:
            src = ast.unparse(ast.fix_missing_locations(tree)) + "\n"
        except Exception:                           # noqa: BLE001
            return None
        return self.best.replace(source=src)

    def run(self):
        old = oracle.PRIMAL_TIMEOUT
        oracle.PRIMAL_TIMEOUT = 2.0
        try:
            return self._run()
        finally:
            oracle.PRIMAL_TIMEOUT = old

    def _run(self):
        passes = [self.p_args, self.p_helpers, self.p_decorators, self.p_chunks, self.p_stmts, self.p_compound,
                  self.p_inline, self.p_params, self.p_ints, self.p_exprs, self.p_consts, self.p_round]
        progress = True
        while progress and self.budget():
            progress = False
            for p in passes:
                while self.budget() and p():
                    progress = True
        return self.best_outcome

    def _edits(self, make):
        """Try edits produced by make(tree, slots) over the current best; True on first success."""
        tree = ast.parse(self.best.source)
        n = len(_Slots(tree).slots)
        for k in range(n):
            if not self.budget():
                return False
            for variant in range(8):
                t = ast.parse(self.best.source)
                slots = _Slots(t).slots
                if k >= len(slots):
                    break
                r = make(t, slots[k], variant)
                if r is None:
                    break
                if r is False:
                    continue
                prog = self.with_source(t)
                if prog is not None and self.try_prog(prog):
                    return True
        return False

    # --------------------------------------------------------------- passes
    def p_args(self):
        b = self.best
        if b.extra_wrt is not None and "single wrt" not in self.target[1]:
            if self.try_prog(b.replace(extra_wrt=None)):
                return True
        if len(b.wrt) > 1:
            for w in b.wrt:
                extra = b.extra_wrt
                if extra is not None and (extra if isinstance(extra, int) else int(extra[1:])) != w:
                    continue
                if self.try_prog(b.replace(wrt=(w,), extra_wrt=extra)):
                    return True
        return False

    def p_helpers(self):
        tree = ast.parse(self.best.source)
        for i, node in enumerate(tree.body):
            if isinstance(node, ast.FunctionDef) and node.name != self.best.fname:
                t = ast.parse(self.best.source)
                del t.body[i]
                prog = self.with_source(t)
                if self.try_prog(prog):
                    return True
        return False

    def p_decorators(self):
        tree = ast.parse(self.best.source)
        for i, node in enumerate(tree.body):
            if isinstance(node, ast.FunctionDef):
                for k in range(len(node.decorator_list)):
                    t = ast.parse(self.best.source)
                    del t.body[i].decorator_list[k]
                    if self.try_prog(self.with_source(t)):
                        return True
        return False

    def p_chunks(self):
        """Delete runs of statements (halves, quarters...) of long bodies."""
        tree = ast.parse(self.best.source)
        bodies = []
        for k, (parent, field, i, node) in enumerate(_Slots(tree).slots):
            for f2 in ("body", "orelse"):
                b = getattr(node, f2, None)
                if isinstance(b, list) and len(b) >= 4 and not isinstance(node, ast.Module):
                    bodies.append((k, f2, len(b)))
        for k, f2, n in bodies:
            size = n // 2
            while size >= 2:
                for start in range(0, n, size):
                    if not self.budget():
                        return False
                    t = ast.parse(self.best.source)
                    node = _Slots(t).slots[k][3]
                    b = getattr(node, f2)
                    stop = min(start + size, len(b))
                    if isinstance(node, ast.FunctionDef):
                        stop = min(stop, len(b) - 1)      # keep the final return
                    if stop - start < 2:
                        continue
                    if isinstance(node, ast.While):
                        if any(_counter_step(st, node.test) for st in b[start:stop]):
                            continue
                    del b[start:stop]
                    if not b:
                        b.append(ast.Pass())
                    prog = self.with_source(t)
                    if prog is not None and self.try_prog(prog):
                        return True
                size //= 2
        return False

    def p_stmts(self):
        def make(t, slot, variant):
            parent, field, i, node = slot
            if variant > 0 or not isinstance(node, ast.stmt) or i is None:
                return None
            if isinstance(parent, ast.Module):
                return None
            body = getattr(parent, field)
            if isinstance(node, ast.Return) and isinstance(parent, ast.FunctionDef) and i == len(body) - 1:
                return None
            if isinstance(parent, ast.While) and field == "body" and _counter_step(node, parent.test):
                return None         # keep the loop bounded
            del body[i]
            if not body:
                if field == "orelse":
                    pass
                else:
                    body.append(ast.Pass())
            return True
        # later statements first: reverse the slot order by trying from the end
        return self._edits_reversed(make)

    def _edits_reversed(self, make):
        tree = ast.parse(self.best.source)
        n = len(_Slots(tree).slots)
        for k in reversed(range(n)):
            if not self.budget():
                return False
            t = ast.parse(self.best.source)
            slots = _Slots(t).slots
            if k >= len(slots):
                continue
            r = make(t, slots[k], 0)
            if not r:
                continue
            prog = self.with_source(t)
            if prog is not None and self.try_prog(prog):
                return True
        return False

    def p_compound(self):
        def make(t, slot, variant):
            parent, field, i, node = slot
            if i is None or not isinstance(node, (ast.If, ast.For, ast.While)):
                return None
            body = getattr(parent, field)
            if isinstance(node, ast.If):
                opts = [node.body, node.orelse]
                if variant == 2 and node.orelse:
                    node.orelse = []
                    return True
                if variant >= 2:
                    return None
                new = opts[variant]
                if not new:
                    return False
                body[i:i + 1] = new
                return True
            if isinstance(node, ast.For):
                if variant == 0:
                    first = _first_of(node.iter)
                    if first is None:
                        return False
                    body[i:i + 1] = [ast.Assign([node.target], first)] + node.body
                    return True
                if variant == 1:
                    body[i:i + 1] = node.body
                    return True
                if variant == 2 and node.orelse:
                    node.orelse = []
                    return True
                return None
            if variant == 0:
                body[i:i + 1] = node.body
                return True
            if variant == 1:
                body[i:i + 1] = [ast.If(node.test, node.body, [])]
                return True
            return None
        return self._edits(make)

    def p_ints(self):
        def make(t, slot, variant):
            parent, field, i, node = slot
            if not (isinstance(node, ast.Constant) and type(node.value) is int):
                return None
            # trip counts and indices only: never shapes or axes
            ok = (isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name)
                  and parent.func.id == "range") or isinstance(parent, (ast.Compare, ast.Subscript))
            if not ok:
                return None
            v = node.value
            cands = sorted({c for c in (0, 1, v // 2, v - 1 if v > 0 else v + 1) if abs(c) < abs(v)},
                           key=abs)
            if variant >= len(cands):
                return None
            node.value = cands[variant]
            return True
        return self._edits(make)

    def p_consts(self):
        def make(t, slot, variant):
            parent, field, i, node = slot
            if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and \
                    isinstance(node.operand, ast.Constant) and type(node.operand.value) is float:
                if variant > 0:
                    return None
                _set(parent, field, i, ast.Constant(-1.0 if node.operand.value != 1.0 else 1.0))
                return True
            if not (isinstance(node, ast.Constant) and type(node.value) is float):
                return None
            cands = [c for c in (1.0, 0.5, round(node.value, 1)) if c != node.value
                     and abs(c) <= abs(node.value) + 1]
            if variant >= len(cands):
                return None
            node.value = cands[variant]
            return True
        return self._edits(make)

    def p_exprs(self):
        def make(t, slot, variant):
            parent, field, i, node = slot
            if not _is_load_expr(node) or isinstance(node, (ast.Name, ast.Constant)):
                return None
            if isinstance(parent, (ast.Attribute,)) and field == "value":
                return None
            if isinstance(node, ast.Attribute):
                return None
            if isinstance(node, ast.keyword):
                return None
            cands = []
            if isinstance(node, ast.Compare):
                cands = [ast.Constant(True), ast.Constant(False)]
            elif isinstance(node, ast.BoolOp):
                cands = list(node.values)
            elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
                cands = [node.operand]
            else:
                for f2, v in ast.iter_fields(node):
                    if f2 in ("func", "ctx"):
                        continue
                    vs = v if isinstance(v, list) else [v]
                    for c in vs:
                        if isinstance(c, ast.keyword):
                            c = c.value
                        if _is_load_expr(c) and not isinstance(c, (ast.Slice,)):
                            cands.append(c)
                if isinstance(node, ast.Call) and _is_load_expr(node) and isinstance(node.func, ast.Attribute) \
                        and not (isinstance(node.func.value, ast.Name) and node.func.value.id == "np"):
                    cands.append(node.func.value)       # x.sum() -> x
                cands.append(ast.Constant(1.0))
            if variant >= len(cands):
                return None
            _set(parent, field, i, cands[variant])
            return True
        return self._edits(make)

    def p_params(self):
        b = self.best
        tree = ast.parse(b.source)
        fn = _params(tree, b.fname)
        names = [a.arg for a in fn.args.args]
        used = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)}
        for j, p in enumerate(names):
            if p in used:
                continue
            t = ast.parse(b.source)
            fn2 = _params(t, b.fname)
            del fn2.args.args[j]
            src = ast.unparse(t) + "\n"
            args = b.args[:j] + b.args[j + 1:]
            wrt = tuple(w - (w > j) for w in b.wrt if w != j)
            if not wrt:
                continue
            extra = b.extra_wrt
            if extra is not None:
                ei = extra if isinstance(extra, int) else int(extra[1:])
                if ei == j:
                    extra = None
                elif isinstance(extra, int):
                    extra = ei - (ei > j)
                # a name stays a name: the parameter keeps its name
            tangents = None if b.tangents is None else \
                {k - (k > j): t for k, t in b.tangents.items() if k != j}
            if self.try_prog(b.replace(source=src, args=args, wrt=wrt, extra_wrt=extra, tangents=tangents)):
                return True
        return False

    def p_round(self):
        b = self.best
        for digits in (1, 2, 3):
            args = tuple(_round(a, digits) for a in b.args)
            if repr(args) == repr(b.args):
                continue
            if self.try_prog(b.replace(args=args)):
                return True
        return False

    def p_inline(self):
        b = self.best
        tree = ast.parse(b.source)
        helpers = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name != b.fname}
        if not helpers:
            return False

        def make(t, slot, variant):
            parent, field, i, node = slot
            if variant > 0 or i is None or not isinstance(node, ast.Assign):
                return None
            call = node.value
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in helpers):
                return None
            h = copy.deepcopy(helpers[call.func.id])
            rets = [n for n in ast.walk(h) if isinstance(n, ast.Return)]
            if len(rets) != 1 or h.body[-1] is not rets[0]:
                return False
            local = {n.id for n in ast.walk(h) if isinstance(n, ast.Name)} | \
                {a.arg for a in h.args.args + h.args.kwonlyargs}
            local -= {"np"} | set(helpers) | _module_names(tree)
            pre = f"{h.name}_"
            mapping = {v: pre + v for v in local}
            pos = [a.arg for a in h.args.args]
            defaults = dict(zip(pos[len(pos) - len(h.args.defaults):], h.args.defaults))
            for a, d in zip(h.args.kwonlyargs, h.args.kw_defaults):
                defaults[a.arg] = d
            bound = {}
            for a, v in zip(pos, call.args):
                bound[a] = v
            for kw in call.keywords:
                bound[kw.arg] = kw.value
            new = []
            for a in pos + [a.arg for a in h.args.kwonlyargs]:
                v = bound.get(a, defaults.get(a))
                if v is None:
                    return False
                new.append(ast.Assign([ast.Name(mapping[a], ast.Store())], v))
            _Rename(mapping).visit(h)
            new += h.body[:-1]
            new.append(ast.Assign(node.targets, h.body[-1].value))
            getattr(parent, field)[i:i + 1] = new
            return True
        return self._edits(make)


def _round(a, digits):
    if isinstance(a, np.ndarray):
        return np.round(a, digits)
    if isinstance(a, list):
        return [_round(x, digits) for x in a]
    if isinstance(a, tuple):
        return tuple(_round(x, digits) for x in a)
    if isinstance(a, dict):
        return {k: _round(v, digits) for k, v in a.items()}
    return round(a, digits) if isinstance(a, float) else a


def _module_names(tree):
    """Names bound at module level: imports and functions (decorators too)."""
    names = set()
    for n in tree.body:
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in n.names}
        elif isinstance(n, ast.FunctionDef):
            names.add(n.name)
    return names


def shrink(outcome, max_seconds=90.0, max_evals=3000):
    """Shrink a WRONG/CRASH outcome; returns the shrunk Outcome (program in .program)."""
    if outcome.program is None:
        return outcome
    s = Shrinker(outcome, max_seconds, max_evals)
    res = s.run()
    res.shrink_evals = s.evals
    return res


# ------------------------------------------------------------ regression test
def _arg_repr(a):
    if isinstance(a, np.ndarray):
        return f"np.array({a.tolist()!r})"
    if isinstance(a, list):
        return "[" + ", ".join(_arg_repr(x) for x in a) + "]"
    if isinstance(a, tuple):
        return "(" + ", ".join(_arg_repr(x) for x in a) + ("," if len(a) == 1 else "") + ")"
    if isinstance(a, dict):
        return "{" + ", ".join(f"{k!r}: {_arg_repr(v)}" for k, v in a.items()) + "}"
    return repr(a)


_FD_PLAIN = [
    "def _fuzz_fd(f, args, i, eps=1e-6):",
    "    \"\"\"Central differences of f w.r.t. args[i] (float64).\"\"\"",
    "    x = args[i]",
    "    if not isinstance(x, np.ndarray):",
    "        a, b = list(args), list(args)",
    "        a[i], b[i] = x + eps, x - eps",
    "        return (f(*a) - f(*b)) / (2 * eps)",
    "    g = np.zeros(x.shape)",
    "    for k in np.ndindex(*x.shape):",
    "        a, b = list(args), list(args)",
    "        a[i], b[i] = x.copy(), x.copy()",
    "        a[i][k] += eps",
    "        b[i][k] -= eps",
    "        g[k] = (f(*a) - f(*b)) / (2 * eps)",
    "    return g",
]

_FD_LISTS = [
    "def _fuzz_fd(f, args, i, eps=1e-6):",
    "    \"\"\"Central differences of f w.r.t. args[i]: a float, an array, or a list of",
    "    floats/arrays (then a list of their gradients).\"\"\"",
    "    x = args[i]",
    "    items = x if isinstance(x, list) else [x]",
    "    out = []",
    "    for j, item in enumerate(items):",
    "        g = np.zeros(np.shape(item))",
    "        for k in np.ndindex(*np.shape(item)):",
    "            vals = []",
    "            for step in (eps, -eps):",
    "                new = [t.copy() if isinstance(t, np.ndarray) else t for t in items]",
    "                if isinstance(item, np.ndarray):",
    "                    new[j][k] += step",
    "                else:",
    "                    new[j] = item + step",
    "                a = list(args)",
    "                a[i] = new if isinstance(x, list) else new[0]",
    "                vals.append(f(*a))",
    "            g[k] = (vals[0] - vals[1]) / (2 * eps)",
    "        out.append(g if isinstance(item, np.ndarray) else float(g))",
    "    return out if isinstance(x, list) else out[0]",
]


_FD_WRITES = [
    "def _fresh(args):",
    "    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)",
    "",
    "",
    "def _fuzz_fd(f, args, i, eps=1e-6):",
    "    \"\"\"Central differences of f w.r.t. args[i] (float64); f may write into its",
    "    arguments, so every call gets fresh copies.\"\"\"",
    "    x = args[i]",
    "    if not isinstance(x, np.ndarray):",
    "        a, b = list(_fresh(args)), list(_fresh(args))",
    "        a[i], b[i] = x + eps, x - eps",
    "        return (f(*a) - f(*b)) / (2 * eps)",
    "    g = np.zeros(x.shape)",
    "    for k in np.ndindex(*x.shape):",
    "        a, b = list(_fresh(args)), list(_fresh(args))",
    "        a[i][k] += eps",
    "        b[i][k] -= eps",
    "        g[k] = (f(*a) - f(*b)) / (2 * eps)",
    "    return g",
    "",
    "",
    "def _fuzz_fd_along(f, args, wrt, tangents, eps=1e-6):",
    "    \"\"\"Central differences of f along the tangents (the arguments in wrt moved together).\"\"\"",
    "    a, b = list(_fresh(args)), list(_fresh(args))",
    "    for i, t in zip(wrt, tangents):",
    "        a[i] = args[i] + eps * t",
    "        b[i] = args[i] - eps * t",
    "    return (f(*a) - f(*b)) / (2 * eps)",
]


_FD_TREE = [
    "def _leaves(x):",
    "    \"\"\"The numbers inside nested lists, tuples and dicts (in order), as one float64 vector.\"\"\"",
    "    if isinstance(x, dict):",
    "        x = list(x.values())",
    "    if isinstance(x, (list, tuple)):",
    "        parts = [_leaves(v) for v in x]",
    "        return np.concatenate(parts) if parts else np.zeros(0)",
    "    return np.ravel(np.asarray(x, dtype=np.float64))",
    "",
    "",
    "def _axpy(x, t, s):",
    "    if isinstance(x, dict):",
    "        return {k: _axpy(v, t[k], s) for k, v in x.items()}",
    "    if isinstance(x, (list, tuple)):",
    "        return type(x)(_axpy(v, w, s) for v, w in zip(x, t))",
    "    return x + s * t",
    "",
    "",
    "def _basis(x, j):",
    "    \"\"\"A tangent like x with a 1 at the j-th number (in _leaves order), 0 elsewhere.\"\"\"",
    "    count = [0]",
    "",
    "    def put(v):",
    "        if isinstance(v, dict):",
    "            return {k: put(w) for k, w in v.items()}",
    "        if isinstance(v, (list, tuple)):",
    "            return type(v)(put(w) for w in v)",
    "        n = np.size(v)",
    "        e = np.zeros(n)",
    "        if count[0] <= j < count[0] + n:",
    "            e[j - count[0]] = 1.0",
    "        count[0] += n",
    "        return e.reshape(np.shape(v)) if isinstance(v, np.ndarray) else float(e[0])",
    "    return put(x)",
    "",
    "",
    "def _fuzz_fd_along(f, args, wrt, tangents, eps=1e-6):",
    "    \"\"\"Central differences of f along the tangents (containers moved leaf by leaf).\"\"\"",
    "    a, b = list(args), list(args)",
    "    for i, t in zip(wrt, tangents):",
    "        a[i], b[i] = _axpy(args[i], t, eps), _axpy(args[i], t, -eps)",
    "    return (f(*a) - f(*b)) / (2 * eps)",
    "",
    "",
    "def _fuzz_fd(f, args, i, eps=1e-6):",
    "    \"\"\"Central differences of f w.r.t. every number in args[i], in _leaves order.\"\"\"",
    "    n = _leaves(args[i]).size",
    "    return np.array([_fuzz_fd_along(f, args, (i,), (_basis(args[i], j),), eps) for j in range(n)])",
]


def _tree_test(outcome, prog, fname, tag):
    """A regression test for a --containers program: gradients (dicts, lists, tuples)
    compared number by number, then forward mode along the tangents."""
    lines = [
        f"def test_fuzz_seed_{tag}():",
        f"    args = ({', '.join(_arg_repr(a) for a in prog.args)}{',' if len(prog.args) == 1 else ''})",
    ]
    rev = []
    if "single wrt" in outcome.kind:
        w = prog.extra_wrt
        wi = w if isinstance(w, int) else int(w[1:])
        rev += [
            f"    g = diffc.grad({fname}, wrt={w!r})(*args)",
            f"    np.testing.assert_allclose(_leaves(g), _fuzz_fd({fname}, args, {wi}), rtol=1e-5, atol=1e-7)",
        ]
    else:
        rev += [
            f"    wrt = {prog.wrt!r}",
            f"    value, grads = diffc.value_and_grad({fname}, wrt=wrt)(*args)",
            f"    assert np.isclose(value, {fname}(*args), rtol=1e-12, atol=0)",
            "    for i, g in zip(wrt, grads):",
            "        assert _leaves(g).size == _leaves(args[i]).size      # one number per number",
            f"        np.testing.assert_allclose(_leaves(g), _fuzz_fd({fname}, args, i), rtol=1e-5, atol=1e-7)",
        ]
    fwd = []
    if prog.tangents is not None:
        ts = tuple(prog.tangents[i] for i in prog.wrt)
        fwd += [
            f"    wrt = {prog.wrt!r}",
            f"    tangents = ({', '.join(_arg_repr(t) for t in ts)}{',' if len(ts) == 1 else ''})",
            f"    value, tangent = diffc.jvp({fname}, wrt=wrt)(*args, tangents)",
            f"    np.testing.assert_allclose(tangent, _fuzz_fd_along({fname}, args, wrt, tangents),",
            "                               rtol=1e-5, atol=1e-7)",
        ]
    return lines + (fwd + rev if "(jvp)" in outcome.kind else rev + fwd)


def _writes_test(outcome, prog, fname, tag):
    """The body of a regression test for a --writes program: reverse mode, then
    (with tangents) forward mode, each on fresh copies that must stay unchanged."""
    args = f"({', '.join(_arg_repr(a) for a in prog.args)}{',' if len(prog.args) == 1 else ''})"
    lines = [
        f"def test_fuzz_seed_{tag}():",
        f"    args = {args}",
        f"    expected_value = {fname}(*_fresh(args))",
    ]
    jvp_first = "(jvp)" in outcome.kind
    rev = []
    if "single wrt" in outcome.kind:
        w = prog.extra_wrt
        wi = w if isinstance(w, int) else int(w[1:])
        rev += [
            "    call = _fresh(args)",
            f"    g = diffc.grad({fname}, wrt={w!r})(*call)",
            "    for a, b in zip(call, args):",
            "        np.testing.assert_array_equal(a, b)          # the caller's arrays unchanged",
            f"    np.testing.assert_allclose(g, _fuzz_fd({fname}, args, {wi}), rtol=1e-5, atol=1e-7)",
        ]
    else:
        rev += [
            f"    wrt = {prog.wrt!r}",
            "    call = _fresh(args)",
            f"    value, grads = diffc.value_and_grad({fname}, wrt=wrt)(*call)",
            "    for a, b in zip(call, args):",
            "        np.testing.assert_array_equal(a, b)          # the caller's arrays unchanged",
            "    assert np.isclose(value, expected_value, rtol=1e-12, atol=0)",
            "    for i, g in zip(wrt, grads):",
            "        assert np.shape(g) == np.shape(args[i])",
            f"        np.testing.assert_allclose(g, _fuzz_fd({fname}, args, i), rtol=1e-5, atol=1e-7)",
        ]
    fwd = []
    if prog.tangents is not None:
        ts = tuple(prog.tangents[i] for i in prog.wrt)
        fwd += [
            f"    wrt = {prog.wrt!r}",
            f"    tangents = ({', '.join(_arg_repr(t) for t in ts)}{',' if len(ts) == 1 else ''})",
            "    call = _fresh(args)",
            f"    value, tangent = diffc.jvp({fname}, wrt=wrt)(*call, tangents)",
            "    for a, b in zip(call, args):",
            "        np.testing.assert_array_equal(a, b)          # the caller's arrays unchanged",
            "    assert np.isclose(value, expected_value, rtol=1e-12, atol=0)",
            f"    np.testing.assert_allclose(tangent, _fuzz_fd_along({fname}, args, wrt, tangents),",
            "                               rtol=1e-5, atol=1e-7)",
        ]
    return lines + (fwd + rev if jvp_first else rev + fwd)


def _plain_test(prog, fname, single):
    if single:
        w = prog.extra_wrt
        wi = w if isinstance(w, int) else int(w[1:])
        return [
            f"    g = diffc.grad({fname}, wrt={w!r})(*args)",
            f"    np.testing.assert_allclose(g, _fuzz_fd({fname}, args, {wi}), rtol=1e-5, atol=1e-7)",
        ]
    return [
        f"    wrt = {prog.wrt!r}",
        f"    value, grads = diffc.value_and_grad({fname}, wrt=wrt)(*args)",
        f"    assert np.isclose(value, {fname}(*args), rtol=1e-12, atol=0)",
        "    for i, g in zip(wrt, grads):",
        "        expected = _fuzz_fd(" + fname + ", args, i)",
        "        assert np.shape(g) == np.shape(args[i])",
        "        np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-7)",
    ]


def regression_test(outcome, seed=None, original=None):
    """Ready-to-paste pytest source reproducing ``outcome`` (already shrunk)."""
    prog = outcome.program
    seed = prog.seed if seed is None else seed
    tag = f"s{seed}".replace("-", "m")
    tree = ast.parse(prog.source)
    mapping = {n.name: f"{n.name}_{tag}" for n in tree.body if isinstance(n, ast.FunctionDef)}
    _Rename(mapping).visit(tree)
    numpy_import = [n for n in tree.body if isinstance(n, ast.Import)
                    and [(a.name, a.asname) for a in n.names] == [("numpy", "np")]]
    body = [n for n in tree.body if n not in numpy_import]
    imports = [n for n in body if isinstance(n, (ast.Import, ast.ImportFrom))]
    body = [n for n in body if n not in imports]
    fn_src = "\n\n\n".join(ast.unparse(n) for n in body)
    fname = mapping[prog.fname]
    single = "single wrt" in outcome.kind
    lines = [
        f"# diffc fuzz seed {seed}: {outcome.cls}: {outcome.kind}",
        "import numpy as np",
        "",
        "import diffc",
    ] + [ast.unparse(n) for n in imports] + [
        "",
        "",
        fn_src,
        "",
        "",
    ]
    if prog.writes:
        lines += _FD_WRITES + ["", ""] + _writes_test(outcome, prog, fname, tag)
    elif prog.tangents is not None:         # --containers programs
        lines += _FD_TREE + ["", ""] + _tree_test(outcome, prog, fname, tag)
    else:
        lines += (_FD_LISTS if any(isinstance(a, list) for a in prog.args) else _FD_PLAIN) + [
            "",
            "",
            f"def test_fuzz_seed_{tag}():",
            f"    args = ({', '.join(_arg_repr(a) for a in prog.args)}{',' if len(prog.args) == 1 else ''})",
        ] + _plain_test(prog, fname, single)
    said = outcome.detail or (outcome.msg if outcome.cls == "WRONG" else "")   # WRONG: expected/actual
    if said:
        lines += ["    # fuzz oracle said:"] + ["    # " + ln for ln in said.splitlines()]
    if outcome.cls == "CRASH" and outcome.msg:
        lines_ = [ln for ln in outcome.msg.strip().splitlines() if ln.strip()]
        errs = [ln for ln in lines_ if re.match(r"^[\w.]+(Error|Exception|Interrupt)\b", ln)]
        tail = (errs or lines_)[-1]         # the exception line (diffc may append notes after it)
        lines += [f"    # currently raises: {tail[:200]}"]
    return "\n".join(lines) + "\n"
