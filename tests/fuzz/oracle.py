"""The oracle: diffc's reverse-mode gradient against central finite differences.

``evaluate(program)`` checks one (program, inputs) pair and returns an
:class:`Outcome`:

* ``OK``       gradient, value, types and shapes all agree;
* ``WRONG``    a silently wrong result (gradient beyond rtol 1e-5 / atol 1e-7
               times the scale of the problem, value, gradient dtype/shape,
               non-finite gradient, a modified argument, arrays inside a list
               argument included);
* ``CRASH``    any exception other than ``diffc.DiffcError`` (build or call),
               or a build/call that does not finish in time;
* ``REFUSED``  a ``DiffcError`` (not a failure; counted by message kind);
* ``INVALID``  the generator's fault (the primal raised, or the generator did,
               or the program modifies its own arguments);
* ``REJECT``   the sample is not a fair finite-difference test (a comparison,
               max/min or abs too close to its switching point, a branch that
               flips under the FD step, overflow, FD unstable between eps=1e-5
               and eps=1e-6...). ``run_seed`` then draws another sample.

Smoothness is checked by running an *instrumented* copy of the program (an
AST rewrite of the same source): every comparison, ``np.maximum``/``minimum``,
``max``/``min``, ``abs`` and ``max``/``min`` reduction records its margin
and its decision; the decisions must be identical at the point and at every
FD evaluation, and margins must exceed ``MARGIN`` (relative).  ``np.clip``
(also with ``out=``) records its decisions against both bounds, and sorting
(``y.sort()``, ``np.sort``) the permutation and the gaps between neighbours.

Arguments may be floats, float64 arrays, or lists of either (a list argument
gets its finite differences item by item; its gradient is compared as the
float64 array of shape ``np.shape(arg)`` diffc documents, or item by item
for a list of differently shaped items).  Every call (primal, FD, diffc) gets
fresh copies of the arguments, arrays inside lists included.

Dicts, tuples and nested containers (``--containers``: a dict of arrays and a
list, a list of dicts...) get finite differences number by number
(``_fd_tree``) and their gradients are compared leaf by leaf in the
argument's order (``_check_tree``: a dict gives a dict with the same keys, a
list or tuple a list/tuple of the items' gradients, or the float64 array of
``np.shape(arg)`` for numbers of one shape); tangents have the argument's
structure and the directional FD moves every leaf (``_axpy``).  ``max(xs)``,
``min(xs)``, ``max(a, b, c)`` record Python's pick and its margin, ``sorted(xs)``
the permutation and the gaps (with ``key=``: the order of the keys).  A
config with a ``generate_one`` (``gen_containers.ContainersConfig``) brings its
own generator.
"""
import ast
import importlib.util
import itertools
import linecache
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
import warnings

import numpy as np

import diffc

from .gen import generate_one

MARGIN = 1e-3
RTOL, ATOL = 1e-5, 1e-7
EPS1, EPS2 = 1e-5, 1e-6
MAX_ATTEMPTS = 8        # programs per seed
MAX_DRAWS = 3           # input draws per program
TIMEOUT = 20.0          # seconds for diffc build + call
MAX_INTERMEDIATE = 1e6  # larger intermediates may cancel and fool finite differences
PRIMAL_TIMEOUT = 10.0   # seconds for the primal run (+ FD); the shrinker lowers it


class Outcome:
    def __init__(self, cls, kind="", msg="", detail="", program=None):
        self.cls = cls
        self.kind = kind
        self.msg = msg
        self.detail = detail
        self.program = program
        self.rejects = {}
        self.seconds = 0.0
        self.shrunk = None      # shrunk Program, filled by the shrinker

    def signature(self):
        return (self.cls, self.kind)

    def __repr__(self):
        return f"Outcome({self.cls}, {self.kind!r})"


# ---------------------------------------------------------------- loading
_tmpdir = None
_counter = itertools.count()


def _dir():
    global _tmpdir
    if _tmpdir is None:
        _tmpdir = tempfile.mkdtemp(prefix="diffc_fuzz_")
        import atexit
        atexit.register(shutil.rmtree, _tmpdir, True)
    return _tmpdir


class Loaded:
    """The program as a real module (what diffc reads) and an instrumented twin."""

    def __init__(self, source, fname="f"):
        self.path = os.path.join(_dir(), f"fz_{os.getpid()}_{next(_counter)}.py")
        with open(self.path, "w") as fh:
            fh.write(source)
        name = os.path.splitext(os.path.basename(self.path))[0]
        spec = importlib.util.spec_from_file_location(name, self.path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        self.module = mod
        self.f = getattr(mod, fname)
        tree = Instrument().visit(ast.parse(source))
        ast.fix_missing_locations(tree)
        self.tracer = Tracer()
        ns = {"__name__": name + "_instr", "_fz": self.tracer}
        exec(compile(tree, self.path + "<instrumented>", "exec"), ns)
        self.fi = ns[fname]

    def close(self):
        linecache.cache.pop(self.path, None)
        try:
            os.remove(self.path)
        except OSError:
            pass


# --------------------------------------------------------- instrumentation
_OPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_PAIR = {"maximum", "minimum", "fmax", "fmin"}
_RED = {"max", "amax", "min", "amin"}


def _np_attr(node):
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "np":
        return node.attr
    return None


class Instrument(ast.NodeTransformer):
    """Route comparisons and kinks through the tracer ``_fz``."""

    def __init__(self):
        self.site = 0

    def _hook(self, method, args, keywords=()):
        self.site += 1
        return ast.Call(func=ast.Attribute(value=ast.Name("_fz", ast.Load()), attr=method, ctx=ast.Load()),
                        args=[ast.Constant(self.site)] + list(args), keywords=list(keywords))

    def visit_Compare(self, node):
        self.generic_visit(node)
        parts = []
        left = node.left
        for op, right in zip(node.ops, node.comparators):
            if type(op) in _OPS:
                parts.append(self._hook("cmp", [left, ast.Constant(_OPS[type(op)]), right]))
            else:
                parts.append(ast.Compare(left=left, ops=[op], comparators=[right]))
            left = right
        if len(parts) == 1:
            return parts[0]
        return ast.BoolOp(op=ast.And(), values=parts)

    def _mag(self, node):
        return ast.Call(func=ast.Attribute(value=ast.Name("_fz", ast.Load()), attr="mag", ctx=ast.Load()),
                        args=[node], keywords=[])

    def visit_BinOp(self, node):
        self.generic_visit(node)
        return self._mag(node)

    def visit_Call(self, node):
        return self._mag(self._visit_call(node))

    def _visit_call(self, node):
        self.generic_visit(node)
        f = node.func
        a = _np_attr(f)
        if a in _PAIR and len(node.args) == 2 and not node.keywords:
            return self._hook("pair", [f] + node.args)
        if isinstance(f, ast.Name) and f.id in ("max", "min") and len(node.args) == 2 and not node.keywords:
            return self._hook("pair", [f] + node.args)
        if isinstance(f, ast.Name) and f.id in ("max", "min") and node.args and not node.keywords:
            return self._hook("seqred", [ast.Constant(f.id), f] + node.args)
        if isinstance(f, ast.Name) and f.id in ("max", "min") and len(node.args) == 1 and \
                [k.arg for k in node.keywords] == ["key"]:
            return self._hook("seqredk", [ast.Constant(f.id), f] + node.args, node.keywords)
        if isinstance(f, ast.Name) and f.id == "sorted" and len(node.args) == 1:
            return self._hook("sortedf", [f] + node.args, node.keywords)
        if (a in ("abs", "absolute") or isinstance(f, ast.Name) and f.id == "abs") and len(node.args) == 1:
            return self._hook("absf", [f] + node.args)
        if a in _RED and node.args:
            return self._hook("red", [ast.Constant(a.lstrip("a")), f] + node.args, node.keywords)
        if isinstance(f, ast.Attribute) and a is None and f.attr in ("max", "min"):
            return self._hook("redm", [ast.Constant(f.attr), f.value] + node.args, node.keywords)
        if a == "clip" and len(node.args) >= 3:
            return self._hook("clipf", [f] + node.args, node.keywords)
        if a == "sort" and node.args:
            return self._hook("sortf", [f] + node.args, node.keywords)
        if isinstance(f, ast.Attribute) and a is None and f.attr == "sort":
            return self._hook("sortm", [f.value] + node.args, node.keywords)
        return node


def _is_float(x):
    if isinstance(x, float):
        return True
    if isinstance(x, (np.ndarray, np.generic)):
        return x.dtype.kind == "f"
    return False


def _key(x):
    a = np.asarray(x)
    return (a.shape, a.tobytes())


_PYOPS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
          ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


class Tracer:
    def __init__(self):
        self.reset()

    def reset(self):
        self.sig = []
        self.margin = math.inf
        self.maxabs = 0.0

    def mag(self, v):
        """Record the magnitude of an intermediate value (cancellation guard)."""
        if isinstance(v, (float, np.ndarray, np.generic)) and not isinstance(v, (bool, np.bool_)):
            a = np.asarray(v)
            if a.dtype.kind in "fiuc" and a.size:
                m = float(np.max(np.abs(a)))
                if not m <= self.maxabs:
                    self.maxabs = m
        elif isinstance(v, (tuple, list)) and len(v) < 50:
            for x in v:
                if isinstance(x, (float, np.ndarray, np.generic)):
                    self.mag(x)
        return v

    def _gap(self, a, b):
        if not (_is_float(a) or _is_float(b)):
            return
        try:
            a = np.asarray(a, dtype=np.float64)
            b = np.asarray(b, dtype=np.float64)
            d = np.abs(a - b)
            scale = np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
        except (TypeError, ValueError):
            return
        rel = (d / scale)[d > 0]
        if rel.size:
            self.margin = min(self.margin, float(rel.min()))

    def cmp(self, site, a, op, b):
        res = _PYOPS[op](a, b)
        self._gap(a, b)
        self.sig.append((site, _key(res)))
        return res

    def pair(self, site, fn, a, b):
        res = fn(a, b)
        self._gap(a, b)
        self.sig.append((site, _key(np.asarray(a) >= np.asarray(b))))
        return res

    def absf(self, site, fn, x):
        res = fn(x)
        self._gap(x, 0.0)
        self.sig.append((site, _key(np.asarray(x) >= 0)))
        return res

    def _red(self, site, which, a, args, kw):
        axis = kw.get("axis", args[0] if args else None)
        a = np.asarray(a, dtype=np.float64)
        if a.ndim == 0 or a.size <= 1:
            return
        if axis is None:
            flat = a.reshape(1, -1)
        else:
            axes = tuple(ax % a.ndim for ax in (axis if isinstance(axis, tuple) else (axis,)))
            rest = [i for i in range(a.ndim) if i not in axes]
            t = np.transpose(a, rest + list(axes))
            k = int(np.prod([a.shape[i] for i in axes]))
            flat = t.reshape(-1, k)
        s = np.sort(flat, axis=1)
        if which == "max":
            gaps = s[:, -1:] - s[:, :-1]
            top = s[:, -1:]
        else:
            gaps = s[:, 1:] - s[:, :1]
            top = s[:, :1]
        scale = np.maximum(1.0, np.abs(top))
        rel = (gaps / scale)[gaps > 0]
        if rel.size:
            self.margin = min(self.margin, float(rel.min()))
        arg = np.argmax(flat, axis=1) if which == "max" else np.argmin(flat, axis=1)
        self.sig.append((site, _key(arg)))

    def red(self, site, which, fn, a, *args, **kw):
        res = fn(a, *args, **kw)
        self._red(site, which, a, args, kw)
        return res

    def redm(self, site, which, obj, *args, **kw):
        res = getattr(obj, which)(*args, **kw)
        self._red(site, which, obj, args, kw)
        return res

    def clipf(self, site, fn, a, lo, hi, *args, **kw):
        a0 = np.array(a, dtype=np.float64)      # before the call: out= may be a
        for bound in (lo, hi):
            if bound is not None:
                self._gap(a0, bound)
        self.sig.append((site, _key(a0 >= (-np.inf if lo is None else lo))))
        self.sig.append((site, _key(a0 <= (np.inf if hi is None else hi))))
        return fn(a, lo, hi, *args, **kw)

    def _sorted(self, site, a, axis):
        a = np.array(a, dtype=np.float64)
        if a.ndim == 0 or a.size <= 1:
            return
        if axis is None:
            a, axis = a.reshape(-1), -1
        order = np.argsort(a, axis=axis, kind="stable")
        s = np.moveaxis(np.sort(a, axis=axis), axis, -1)
        gaps = s[..., 1:] - s[..., :-1]
        scale = np.maximum(1.0, np.maximum(np.abs(s[..., 1:]), np.abs(s[..., :-1])))
        rel = (gaps / scale)[gaps > 0]
        if rel.size:
            self.margin = min(self.margin, float(rel.min()))
        self.sig.append((site, _key(order)))

    def seqred(self, site, which, fn, *args):
        """max(xs) / min(xs) / max(a, b, c): Python's pick (the first of equal items)."""
        items = list(args[0]) if len(args) == 1 else list(args)
        res = fn(items)
        if items and all(np.ndim(v) == 0 for v in items):
            a = np.array([float(v) for v in items])
            k = int(np.argmax(a) if which == "max" else np.argmin(a))
            others = np.delete(a, k)
            if others.size:
                gaps = np.abs(others - a[k])
                rel = gaps / np.maximum(1.0, np.maximum(np.abs(others), abs(a[k])))
                self.margin = min(self.margin, float(rel.min()))
            self.sig.append((site, ("seq", k)))
        return res

    def _keys(self, items, key):
        """The keys of items as floats, or None (keys that are not numbers)."""
        keys = [key(v) for v in items]
        if keys and all(np.ndim(k) == 0 and isinstance(k, (int, float, np.number)) for k in keys):
            return np.array([float(k) for k in keys])
        return None

    def seqredk(self, site, which, fn, xs, key):
        """max(xs, key=k) / min(xs, key=k): Python's pick and the margin of its key."""
        items = list(xs)
        res = fn(items, key=key)
        a = self._keys(items, key) if items else None
        if a is not None:
            k = int(np.argmax(a) if which == "max" else np.argmin(a))
            others = np.delete(a, k)
            gaps = np.abs(others - a[k])
            rel = (gaps / np.maximum(1.0, np.maximum(np.abs(others), abs(a[k]))))[gaps > 0]
            if rel.size:      # (equal keys: the same value twice, e.g. [v] * 3)
                self.margin = min(self.margin, float(rel.min()))
            self.sig.append((site, ("seqk", k)))
        else:
            self.sig.append((site, ("seqk", repr(res)[:50])))
        return res

    def sortedf(self, site, fn, xs, **kw):
        """sorted(xs, reverse=...) of numbers: the permutation and the gaps (a key: the
        order and the gaps of the keys, when they are numbers)."""
        items = list(xs)
        if kw.get("key") is None and items and all(np.ndim(v) == 0 for v in items):
            self._sorted(site, np.array([float(v) for v in items]), -1)
        elif kw.get("key") is not None and items and self._keys(items, kw["key"]) is not None:
            a = self._keys(items, kw["key"])
            # near ties of keys: any two keys (not only neighbours: equal keys keep their order)
            d = np.abs(a[:, None] - a[None, :])
            sc = np.maximum(1.0, np.maximum(np.abs(a[:, None]), np.abs(a[None, :])))
            rel = (d / sc)[d > 0]
            if rel.size:
                self.margin = min(self.margin, float(rel.min()))
            self.sig.append((site, repr(fn(range(len(items)), key=lambda j: a[j]))))
        else:
            self.sig.append((site, repr(fn(range(len(items)), key=lambda j: kw["key"](items[j]))
                                        if kw.get("key") is not None else len(items))))
        return fn(items, **kw)

    def sortm(self, site, obj, *args, **kw):
        self._sorted(site, obj, kw.get("axis", args[0] if args else -1))
        return obj.sort(*args, **kw)

    def sortf(self, site, fn, a, *args, **kw):
        self._sorted(site, a, kw.get("axis", args[0] if args else -1))
        return fn(a, *args, **kw)


# --------------------------------------------------------------- helpers
def _copy(a):
    if isinstance(a, np.ndarray):
        return a.copy()
    if isinstance(a, list):
        return [_copy(x) for x in a]
    if isinstance(a, tuple):
        return tuple(_copy(x) for x in a)
    if isinstance(a, dict):
        return {k: _copy(v) for k, v in a.items()}
    return a


def copy_args(args):
    """Fresh copies: arrays, and lists (with the arrays they hold)."""
    return tuple(_copy(a) for a in args)


def _same(x, y):
    if isinstance(x, np.ndarray):
        return (isinstance(y, np.ndarray) and x.dtype == y.dtype and x.shape == y.shape
                and np.array_equal(x, y))
    if isinstance(x, (list, tuple)):
        return type(x) is type(y) and len(x) == len(y) and all(_same(a, b) for a, b in zip(x, y))
    if isinstance(x, dict):
        return (isinstance(y, dict) and list(x) == list(y)
                and all(_same(x[k], y[k]) for k in x))
    return type(x) is type(y) and x == y


def _read_only(args):
    """The arrays (also inside lists) made read-only: a write into one raises,
    even one that leaves the values as they were (``np.add.at`` ignores the
    flag: comparing the values afterwards catches that one)."""
    for a in args:
        if isinstance(a, np.ndarray):
            a.flags.writeable = False
        elif isinstance(a, (list, tuple)):
            _read_only(a)
        elif isinstance(a, dict):
            _read_only(list(a.values()))
    return args


def same_args(a, b):
    return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))


def _regular(x):
    """A list whose items all have one shape (so np.shape(x) is defined)."""
    return len({np.shape(i) for i in x}) <= 1


def _flat(g):
    """All numbers of a gradient (array, float, or list of them) as a 1-D array."""
    if isinstance(g, dict):
        g = list(g.values())
    if isinstance(g, (list, tuple)):
        parts = [_flat(i) for i in g]
        return np.concatenate(parts) if parts else np.zeros(0)
    return np.ravel(np.asarray(g, dtype=np.float64))


_NAME_RE = re.compile(r"\b(?:[vxrhktiabcdq]\d*|ls\d+|scale|n|f)\b")


def norm_msg(msg):
    """A message with variable names, numbers and paths abstracted (a 'kind')."""
    msg = msg.strip().splitlines()[0] if msg.strip() else ""
    msg = re.sub(r"/[^\s:]*\.py(:\d+)*(:\d+)?", "<file>", msg)
    msg = re.sub(r"`([\w.]+)\([^`]+\)`", r"`\1(...)`", msg)     # `np.put(y, [0, 2], e)` -> `np.put(...)`
    msg = re.sub(r"\bfz_\d+_\d+\b", "M", msg)
    msg = re.sub(r"\b(?:[vxrhktiq]|ls)\d+\b", "V", msg)
    msg = re.sub(r"(?<=`)[a-eq](?=[`. \[])|(?<=argument )[a-eq]\b", "V", msg)   # helper parameters
    msg = re.sub(r"`(?!f`|w`)-?\w+`", "`V`", msg)        # names (the compiler's temporaries too)
    msg = re.sub(r"(?<=_)([vxrhktiq])\d+\b", r"\1N", msg)
    msg = re.sub(r"\b([vxrhktiq])\d+(?=_)", r"\1N", msg)
    msg = re.sub(r"\b\d+(\.\d+)?\b", "N", msg)
    msg = re.sub(r"\b\w*_\w*\b", lambda m: re.sub(r"\d+", "N", m.group(0)), msg)
    return msg[:160]


def _diffc_frame(tb):
    """'file.py:function' of the innermost traceback frame inside diffc."""
    last = None
    for fs in traceback.extract_tb(tb):
        if os.sep + "diffc" + os.sep in fs.filename:
            last = fs
    if last is None:
        fs = traceback.extract_tb(tb)
        if not fs:
            return "?"
        last = fs[-1]
        if last.filename.startswith("<diffc") or "diffc" in last.filename:
            return f"generated:{last.name}"
        return f"{os.path.basename(last.filename)}:{last.name}"
    rel = last.filename.split(os.sep + "diffc" + os.sep, 1)[1]
    return f"diffc/{rel}:{last.name}"


def classify_exc(e, phase):
    if isinstance(e, diffc.DiffcError):
        m = getattr(e, "message", str(e))
        return Outcome("REFUSED", f"{type(e).__name__}: {norm_msg(m)}", msg=str(e))
    if isinstance(e, _Timeout):
        return Outcome("CRASH", f"timeout at {phase}", msg=f"diffc {phase} took more than {TIMEOUT}s")
    where = _diffc_frame(e.__traceback__)
    first = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return Outcome("CRASH", f"{phase}: {type(e).__name__}: {norm_msg(first)} @ {where}",
                   msg="".join(traceback.format_exception(type(e), e, e.__traceback__))[-3000:])


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


class time_limit:
    def __init__(self, seconds):
        self.seconds = seconds

    def __enter__(self):
        self.ok = hasattr(signal, "setitimer") and \
            __import__("threading").current_thread() is __import__("threading").main_thread()
        if self.ok:
            self.old = signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc):
        if self.ok:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)
        return False


def _scalar(v):
    a = np.asarray(v)
    if a.ndim != 0 or a.dtype.kind not in "fiu":
        raise ValueError(f"not a real scalar: {type(v).__name__} {a.shape}")
    return float(a)


# ---------------------------------------------------------------- the check
def primal(loaded, args):
    """Instrumented run: (value, signature, margin); raises on FP errors."""
    t = loaded.tracer
    t.reset()
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        v = loaded.fi(*copy_args(args))
    return v, list(t.sig), t.margin, t.maxabs


def fd_grads(loaded, args, wrt, base_sig):
    """Central differences (eps 1e-5 and 1e-6) for each float argument in wrt.
    Returns (grads5, grads6) or raises _Reject."""
    g5, g6 = [], []
    for i in wrt:
        x = args[i]
        out = []
        for eps in (EPS1, EPS2):
            if _nested(x):
                g = _fd_tree(loaded, args, i, eps, base_sig)
            elif isinstance(x, list):
                g = _fd_list(loaded, args, i, eps, base_sig)
            elif isinstance(x, np.ndarray):
                g = np.zeros(x.shape)
                for k in np.ndindex(*x.shape):
                    vals = []
                    for sgn in (1, -1):
                        a = list(args)
                        xp = x.copy()
                        xp[k] += sgn * eps
                        a[i] = xp
                        vals.append(_fd_eval(loaded, a, base_sig))
                    g[k] = (vals[0] - vals[1]) / (2 * eps)
            else:
                vals = []
                for sgn in (1, -1):
                    a = list(args)
                    a[i] = x + sgn * eps
                    vals.append(_fd_eval(loaded, a, base_sig))
                g = (vals[0] - vals[1]) / (2 * eps)
            out.append(g)
        g5.append(out[0])
        g6.append(out[1])
    return g5, g6


def _fd_list(loaded, args, i, eps, base_sig):
    """Central differences w.r.t. each number in the list args[i]: the float64
    array of shape np.shape(args[i]), or a list for differently shaped items."""
    x = args[i]
    items = []
    for j, item in enumerate(x):
        g = np.zeros(np.shape(item))
        for k in np.ndindex(*np.shape(item)):
            vals = []
            for sgn in (1, -1):
                a = list(args)
                xs = list(x)
                if isinstance(item, np.ndarray):
                    xs[j] = item.copy()
                    xs[j][k] += sgn * eps
                else:
                    xs[j] = item + sgn * eps
                a[i] = xs
                vals.append(_fd_eval(loaded, a, base_sig))
            g[k] = (vals[0] - vals[1]) / (2 * eps)
        items.append(g if isinstance(item, np.ndarray) else float(g))
    if _regular(x):
        return np.array(items, dtype=np.float64).reshape(np.shape(x))
    return items


def _nested(x):
    """A dict or tuple, or a list holding containers: checked leaf by leaf (_fd_tree)."""
    return isinstance(x, (dict, tuple)) or \
        isinstance(x, list) and any(isinstance(v, (list, tuple, dict)) for v in x)


def _leaf_paths(x, path=()):
    """(path, leaf) of every float / array inside nested lists, tuples and dicts (in order)."""
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _leaf_paths(v, path + (k,))
    elif isinstance(x, (list, tuple)):
        for j, v in enumerate(x):
            yield from _leaf_paths(v, path + (j,))
    else:
        yield path, x


def _replace_at(x, path, leaf):
    """A copy of the container x with the leaf at path replaced (the rest shared)."""
    if not path:
        return leaf
    k = path[0]
    if isinstance(x, dict):
        y = dict(x)
    else:
        y = list(x)
    y[k] = _replace_at(x[k], path[1:], leaf)
    return tuple(y) if isinstance(x, tuple) else y


def _fd_tree(loaded, args, i, eps, base_sig):
    """Central differences w.r.t. every number inside the container args[i]: a
    structure like args[i] (dicts, lists, tuples) of floats and arrays."""
    x = args[i]
    g = x
    for path, leaf in _leaf_paths(x):
        d = np.zeros(np.shape(leaf))
        for k in np.ndindex(*np.shape(leaf)):
            vals = []
            for sgn in (1, -1):
                if isinstance(leaf, np.ndarray):
                    new = leaf.copy()
                    new[k] += sgn * eps
                else:
                    new = leaf + sgn * eps
                a = list(args)
                a[i] = _replace_at(x, path, new)
                vals.append(_fd_eval(loaded, a, base_sig))
            d[k] = (vals[0] - vals[1]) / (2 * eps)
        g = _replace_at(g, path, d if isinstance(leaf, np.ndarray) else float(d))
    return g


def _axpy(x, t, s):
    """x + s * t leaf by leaf (containers of floats and arrays; floats stay floats)."""
    if isinstance(x, dict):
        return {k: _axpy(v, t[k], s) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        out = [_axpy(v, tv, s) for v, tv in zip(x, t)]
        return tuple(out) if isinstance(x, tuple) else out
    y = x + s * t
    return float(y) if isinstance(x, float) else y


class _Reject(Exception):
    pass


def _fd_eval(loaded, a, base_sig):
    try:
        v, sig, _, _ = primal(loaded, a)
    except FloatingPointError:
        raise _Reject("fp error under FD") from None
    if sig != base_sig:
        raise _Reject("branch flips under FD")
    return _scalar(v)


def _close(ad, fd, scale, rtol=RTOL, atol=ATOL):
    ad = np.asarray(ad, dtype=np.float64)
    fd = np.asarray(fd, dtype=np.float64)
    return bool(np.all(np.abs(ad - fd) <= atol * scale + rtol * np.abs(fd)))


def _fmt(x):
    if isinstance(x, np.ndarray):
        return np.array2string(x, precision=10, separator=", ", max_line_width=200)
    return repr(x)


def validate(prog, loaded, lazy_fd=False):
    """Check that the sample is a fair FD test. Returns (value, fd) with
    ``fd()`` giving (g5, g6, scale), or an Outcome (REJECT / INVALID).
    With ``lazy_fd`` the margin and FD checks wait until ``fd()`` is called
    (a crash needs no fair FD reference: used when shrinking crashes)."""
    args = prog.args
    try:
        v, sig, margin, maxabs = primal(loaded, args)
    except (FloatingPointError, OverflowError) as e:   # Python floats raise on overflow
        return Outcome("REJECT", "overflow/invalid in primal", str(e))
    except _Timeout:
        raise
    except Exception as e:                          # noqa: BLE001 - the generator's fault
        return Outcome("INVALID", f"primal raised {type(e).__name__}: {norm_msg(str(e))}",
                       msg="".join(traceback.format_exception(type(e), e, e.__traceback__))[-2000:])
    try:
        fv = _scalar(v)
    except ValueError as e:
        return Outcome("INVALID", "output is not a real scalar", str(e))
    if not math.isfinite(fv) or abs(fv) > 1e6:
        return Outcome("REJECT", "output huge or non-finite")
    if not maxabs <= MAX_INTERMEDIATE:
        return Outcome("REJECT", "huge intermediate value (cancellation risk)")
    if prog.writes:
        # f may write into its own arguments (every call gets fresh copies)
        with np.errstate(all="ignore"):
            v_plain = loaded.f(*copy_args(args))
        if _scalar(v_plain) != fv and not (fv != fv):
            return Outcome("INVALID", "instrumented value differs from plain value")
    else:
        plain_args = _read_only(copy_args(args))
        try:
            with np.errstate(all="ignore"):
                v_plain = loaded.f(*plain_args)
        except ValueError as e:
            if "read-only" not in str(e):
                raise
            return Outcome("INVALID", "the program modifies its arguments",
                           "".join(traceback.format_exception(type(e), e, e.__traceback__))[-2000:])
        if _scalar(v_plain) != fv and not (fv != fv):
            return Outcome("INVALID", "instrumented value differs from plain value")
        if not same_args(plain_args, args):
            return Outcome("INVALID", "the program modifies its arguments",
                           f"before {args!r}\nafter {plain_args!r}")

    def fd():
        with time_limit(PRIMAL_TIMEOUT):
            return _fd_check(prog, loaded, fv, sig, margin)
    if lazy_fd:
        return v_plain, None
    r = fd()
    if isinstance(r, Outcome):
        return r
    return v_plain, (lambda: r)


def _fd_check(prog, loaded, fv, sig, margin):
    args = prog.args
    if margin < MARGIN:
        return Outcome("REJECT", "comparison margin too small", f"{margin:.3g}")
    try:
        g5, g6 = fd_grads(loaded, args, prog.wrt, sig)
    except _Reject as e:
        return Outcome("REJECT", str(e))
    big = max([float(np.max(np.abs(_flat(g)))) if _flat(g).size else 0.0 for g in g5] + [0.0])
    if not math.isfinite(big) or big > 1e5:
        return Outcome("REJECT", "FD gradient huge")
    scale = max(1.0, abs(fv), big)
    for a, b in zip(g5, g6):
        if not _close(_flat(a), _flat(b), scale, rtol=1e-4, atol=1e-6):
            return Outcome("REJECT", "FD unstable between eps=1e-5 and 1e-6")
    if prog.tangents is None:
        return g5, g6, scale
    try:
        d5, d6 = fd_directional(loaded, args, prog.wrt, prog.tangents, sig)
    except _Reject as e:
        return Outcome("REJECT", str(e) + " (directional)")
    # the scale of <gradient, tangent>: the sum of |g_k| |t_k|
    dscale = max(1.0, abs(fv), sum(float(np.sum(np.abs(_flat(g)) * np.abs(_flat(prog.tangents[i]))))
                                   for g, i in zip(g5, prog.wrt)))
    if not _close(d5, d6, dscale, rtol=1e-4, atol=1e-6):
        return Outcome("REJECT", "FD unstable between eps=1e-5 and 1e-6 (directional)")
    dots = [sum(float(np.dot(_flat(g), _flat(prog.tangents[i]))) for g, i in zip(gs, prog.wrt))
            for gs in (g5, g6)]
    return g5, g6, scale, FDDirectional(d5, d6, dots, dscale)


class FDDirectional:
    """Finite-difference references for a jvp: the directional derivatives along
    the tangents (eps 1e-5, 1e-6), the FD gradients dotted with the tangents,
    and the scale of the problem."""

    def __init__(self, d5, d6, dots, scale):
        self.d5, self.d6, self.dots, self.scale = d5, d6, dots, scale

    def refs(self):
        return [self.d5, self.d6] + list(self.dots)


def fd_directional(loaded, args, wrt, tangents, base_sig):
    """Central differences of f along the tangents (all wrt arguments moved at once):
    (eps 1e-5, eps 1e-6); raises _Reject on a branch flip or FP error."""
    out = []
    for eps in (EPS1, EPS2):
        vals = []
        for sgn in (1, -1):
            a = list(args)
            for i in wrt:
                t = tangents[i]
                if isinstance(args[i], (list, tuple, dict)):
                    a[i] = _axpy(args[i], t, sgn * eps)
                    continue
                a[i] = args[i] + sgn * eps * t
                if isinstance(args[i], float):
                    a[i] = float(a[i])
            vals.append(_fd_eval(loaded, a, base_sig))
        out.append((vals[0] - vals[1]) / (2 * eps))
    return out[0], out[1]


_SEVERITY = {"WRONG": 3, "CRASH": 3, "REFUSED": 1}


def check_grads(prog, loaded, value, fd):
    """Run diffc: reverse mode (value_and_grad, and grad for ``extra_wrt``), and
    for programs with tangents forward mode (jvp) too. ``fd()`` gives (g5, g6,
    scale[, FDDirectional]) or an Outcome (REJECT). Returns an Outcome: the
    first WRONG/CRASH, else a refusal (reverse mode's first), else OK."""
    o = check_reverse(prog, loaded, value, fd)
    if prog.tangents is None or o.cls in ("WRONG", "CRASH", "REJECT"):
        return o
    of = check_forward(prog, loaded, value, fd, refused=o.cls == "REFUSED")
    if of is not None and _SEVERITY.get(of.cls, 0) > _SEVERITY.get(o.cls, 0):
        o = of
    if getattr(prog, "second", None) is None or o.cls != "OK" or fd is None:
        return o
    os_ = check_second(prog, loaded, fd)
    if os_ is not None and _SEVERITY.get(os_.cls, 0) > _SEVERITY.get(o.cls, 0):
        return os_
    return o


def check_second(prog, loaded, fd):
    """Second order: ``diffc.hvp(f, wrt=i)(*args, v)`` against central differences of
    ``diffc.grad(f, wrt=i)`` along v (the gradient itself was checked against FD).
    An Outcome with kinds marked "(hvp)", or None when the sample is not fair."""
    pos, v = prog.second
    args, f = prog.args, loaded.f
    r = fd()
    if isinstance(r, Outcome):
        return None
    base_sig = primal(loaded, args)[1]
    try:
        with time_limit(TIMEOUT):
            hf = diffc.hvp(f, wrt=pos)
    except Exception as e:                          # noqa: BLE001
        return _hvp_kind(classify_exc(e, "hvp build"))
    call_args = copy_args(args)
    try:
        with time_limit(TIMEOUT), np.errstate(all="ignore"):
            hv = hf(*call_args, _copy(v))
    except Exception as e:                          # noqa: BLE001
        return _hvp_kind(classify_exc(e, "hvp call"))
    if not same_args(call_args, args):
        return Outcome("WRONG", "an argument was modified (hvp)", f"before {args!r}\nafter {call_args!r}")
    refs = []
    try:
        g = diffc.grad(f, wrt=pos)
        for eps in (1e-4, 1e-5):
            gs = []
            for sgn in (1, -1):
                a = list(copy_args(args))
                a[pos] = a[pos] + sgn * eps * v
                if isinstance(args[pos], float):
                    a[pos] = float(a[pos])
                _fd_eval(loaded, a, base_sig)           # the same branches
                with np.errstate(all="ignore"):
                    gs.append(np.asarray(g(*a), dtype=np.float64))
            refs.append((gs[0] - gs[1]) / (2 * eps))
    except _Reject:
        return None
    except Exception:                               # noqa: BLE001 - grad refused/crashed: seen above
        return None
    shape = np.shape(args[pos])
    if np.shape(hv) != shape or (isinstance(args[pos], np.ndarray) and
                                 not (isinstance(hv, np.ndarray) and hv.dtype == np.float64)):
        return Outcome("WRONG", "hvp type/shape (hvp)", f"x{pos} has shape {shape}; hvp gave "
                       f"{type(hv).__name__} {np.shape(hv)}")
    h = np.asarray(hv, dtype=np.float64)
    scale = max([1.0] + [float(np.max(np.abs(x))) if x.size else 0.0 for x in refs])
    if not np.all(np.isfinite(h)):
        return Outcome("WRONG", "non-finite hvp (hvp)", f"expected {_fmt(refs[0])}\nactual {_fmt(h)}")
    if not any(_close(h, ref, scale, rtol=1e-4, atol=1e-6) for ref in refs):
        return Outcome("WRONG", "hvp mismatch (hvp)",
                       f"d/dx{pos} along {_fmt(v)}: expected (differences of diffc.grad) "
                       f"{_fmt(refs[0])} (eps 1e-5: {_fmt(refs[1])})\n        actual (diffc.hvp) {_fmt(h)}")
    return None


def _hvp_kind(o):
    if o.cls == "REFUSED":
        o.kind = "hvp: " + o.kind
    elif o.cls == "CRASH":
        o.kind = o.kind.replace("hvp build:", "build (hvp):").replace("hvp call:", "call (hvp):")
    return o


def check_reverse(prog, loaded, value, fd):
    """Reverse mode against finite differences: an Outcome."""
    args = prog.args
    wrt = prog.wrt
    f = loaded.f
    try:
        with time_limit(TIMEOUT):
            vg = diffc.value_and_grad(f, wrt=wrt)
    except Exception as e:                          # noqa: BLE001
        return classify_exc(e, "build")
    call_args = copy_args(args)
    try:
        with time_limit(TIMEOUT), np.errstate(all="ignore"):
            res = vg(*call_args)
    except Exception as e:                          # noqa: BLE001
        return classify_exc(e, "call")
    if fd is None:
        return Outcome("NOCRASH")           # shrinking a crash: the call worked
    if not same_args(call_args, args):
        return Outcome("WRONG", "an argument was modified", f"before {args!r}\nafter {call_args!r}")
    if not (isinstance(res, tuple) and len(res) == 2):
        return Outcome("WRONG", "value_and_grad did not return (value, grads)", repr(res)[:500])
    val, grads = res
    try:
        fv = _scalar(val)
    except ValueError:
        return Outcome("WRONG", "value is not a scalar", repr(val)[:300])
    v0 = _scalar(value)
    if not (fv == v0 or abs(fv - v0) <= 1e-12 * max(1.0, abs(v0))):
        return Outcome("WRONG", "value differs from the plain function",
                       f"expected value {v0!r}\nactual value   {fv!r}")
    r = fd()
    if isinstance(r, Outcome):
        return r
    g5, g6, scale = r[:3]
    if not (isinstance(grads, tuple) and len(grads) == len(wrt)):
        return Outcome("WRONG", "gradient is not a tuple of the right length", repr(grads)[:500])
    for pos, g, r5, r6 in zip(wrt, grads, g5, g6):
        o = _check_one(prog, pos, args[pos], g, r5, r6, scale)
        if o is not None:
            return o
    if prog.extra_wrt is not None:
        pos = prog.extra_wrt if isinstance(prog.extra_wrt, int) else int(prog.extra_wrt[1:])
        try:
            with time_limit(TIMEOUT):
                dg = diffc.grad(f, wrt=prog.extra_wrt)
            single_args = copy_args(args)
            with time_limit(TIMEOUT), np.errstate(all="ignore"):
                g = dg(*single_args)
        except Exception as e:                      # noqa: BLE001
            o = classify_exc(e, "build/call grad(wrt=single)")
            return o
        if not same_args(single_args, args):
            return Outcome("WRONG", "an argument was modified (grad, single wrt)",
                           f"before {args!r}\nafter {single_args!r}")
        k = wrt.index(pos)
        o = _check_one(prog, pos, args[pos], g, g5[k], g6[k], scale, note=" (grad, single wrt)")
        if o is not None:
            return o
    return Outcome("OK")


def check_forward(prog, loaded, value, fd, refused=False):
    """Forward mode: ``diffc.jvp(f, wrt)(*args, tangents)`` must give the plain
    value and the FD directional derivative, and leave the arguments (and the
    tangents) unchanged. An Outcome with kinds marked "(jvp)"; None when the
    FD reference is not a fair test and reverse mode was refused (nothing to add)."""
    args, wrt = prog.args, prog.wrt
    f = loaded.f
    tangents = tuple(_copy(prog.tangents[i]) for i in wrt)
    try:
        with time_limit(TIMEOUT):
            jf = diffc.jvp(f, wrt=wrt)
    except Exception as e:                          # noqa: BLE001
        return _jvp_kind(classify_exc(e, "jvp build"))
    call_args = copy_args(args)
    call_t = tuple(_copy(t) for t in tangents)
    try:
        with time_limit(TIMEOUT), np.errstate(all="ignore"):
            res = jf(*call_args, call_t)
    except Exception as e:                          # noqa: BLE001
        return _jvp_kind(classify_exc(e, "jvp call"))
    if fd is None:
        return Outcome("NOCRASH")
    if not same_args(call_args, args):
        return Outcome("WRONG", "an argument was modified (jvp)", f"before {args!r}\nafter {call_args!r}")
    if not same_args(call_t, tangents):
        return Outcome("WRONG", "a tangent was modified (jvp)", f"before {tangents!r}\nafter {call_t!r}")
    if not (isinstance(res, tuple) and len(res) == 2):
        return Outcome("WRONG", "jvp did not return (value, tangent)", repr(res)[:500])
    val, tan = res
    try:
        fv = _scalar(val)
    except ValueError:
        return Outcome("WRONG", "value is not a scalar (jvp)", repr(val)[:300])
    v0 = _scalar(value)
    if not (fv == v0 or abs(fv - v0) <= 1e-12 * max(1.0, abs(v0))):
        return Outcome("WRONG", "value differs from the plain function (jvp)",
                       f"expected value {v0!r}\nactual value   {fv!r}")
    try:
        t = _scalar(tan)
    except ValueError:
        return Outcome("WRONG", "output tangent is not a real scalar (jvp)", repr(tan)[:300])
    r = fd()
    if isinstance(r, Outcome):
        return None if refused else r
    d = r[3]
    if not math.isfinite(t):
        return Outcome("WRONG", "non-finite tangent (jvp)",
                       f"tangents {_fmt_t(tangents)}\nexpected (FD) {d.d5!r}\nactual (jvp)  {t!r}")
    if not any(_close(t, ref, d.scale) for ref in d.refs()):
        return Outcome("WRONG", "tangent mismatch (jvp)",
                       f"tangents {_fmt_t(tangents)}\n"
                       f"expected (FD along the tangents) {d.d5!r} (eps 1e-6: {d.d6!r}; "
                       f"FD gradient . tangents: {d.dots[0]!r})\n"
                       f"actual (diffc.jvp)               {t!r}")
    return Outcome("OK")


def _fmt_t(ts):
    return "(" + ", ".join(_fmt(t) for t in ts) + ")"


def _jvp_kind(o):
    """Mark the kind of an Outcome as forward mode's."""
    if o.cls == "REFUSED":
        o.kind = "jvp: " + o.kind
    elif o.cls == "CRASH":
        o.kind = o.kind.replace("jvp build:", "build (jvp):").replace("jvp call:", "call (jvp):")
    return o


def _check_one(prog, pos, arg, g, r5, r6, scale, note=""):
    name = f"x{pos}"
    if _nested(arg):
        return _check_tree(name, arg, g, r5, r6, scale, note)
    if isinstance(arg, list):
        return _check_list(name, arg, g, r5, r6, scale, note)
    if isinstance(arg, float):
        if type(g) is not float:
            return Outcome("WRONG", "gradient type" + note,
                           f"{name} is a Python float; its gradient is {type(g).__name__} {np.shape(g)}")
    else:
        if not isinstance(g, np.ndarray) or g.dtype != np.float64 or g.shape != arg.shape:
            return Outcome("WRONG", "gradient type/shape" + note,
                           f"{name} is float64 {arg.shape}; its gradient is {type(g).__name__} "
                           f"{getattr(g, 'dtype', '')} {np.shape(g)}")
    ga = np.asarray(g, dtype=np.float64)
    if not np.all(np.isfinite(ga)):
        return Outcome("WRONG", "non-finite gradient" + note,
                       f"d/d{name}: expected {_fmt(r5)}\n        actual   {_fmt(g)}")
    if not (_close(ga, r5, scale) or _close(ga, r6, scale)):
        return Outcome("WRONG", "gradient mismatch" + note,
                       f"d/d{name}: expected (FD) {_fmt(r5)}\n        actual (diffc) {_fmt(g)}")
    return None


def _check_list(name, arg, g, r5, r6, scale, note):
    """The gradient of a list argument: the float64 array of shape np.shape(arg)
    (docs/supported.md, section 4), or for differently shaped items a list of
    their gradients (float for a float item, array of its shape for an array)."""
    if _regular(arg):
        if not isinstance(g, np.ndarray) or g.dtype != np.float64 or g.shape != np.shape(arg):
            return Outcome("WRONG", "gradient type/shape (list argument)" + note,
                           f"{name} is a list of {len(arg)} items of shape {np.shape(arg[0]) if arg else ()}; "
                           f"its gradient is {type(g).__name__} {getattr(g, 'dtype', '')} {_shape_of(g)}")
    else:
        ok = isinstance(g, list) and len(g) == len(arg)
        for a, gi in zip(arg, g if ok else []):
            if isinstance(a, np.ndarray):
                ok = ok and isinstance(gi, np.ndarray) and gi.dtype == np.float64 and gi.shape == a.shape
            else:
                ok = ok and type(gi) is float
        if not ok:
            return Outcome("WRONG", "gradient type/shape (list argument)" + note,
                           f"{name} is a list of items of shapes {[np.shape(a) for a in arg]}; "
                           f"its gradient is {type(g).__name__} {_shape_of(g)}")
    ga, f5, f6 = _flat(g), _flat(r5), _flat(r6)
    if not np.all(np.isfinite(ga)):
        return Outcome("WRONG", "non-finite gradient" + note,
                       f"d/d{name}: expected {_fmt(r5)}\n        actual   {_fmt(g)}")
    if not (_close(ga, f5, scale) or _close(ga, f6, scale)):
        return Outcome("WRONG", "gradient mismatch" + note,
                       f"d/d{name}: expected (FD) {_fmt(r5)}\n        actual (diffc) {_fmt(g)}")
    return None


class _Structure(Exception):
    pass


def _leaves_like(arg, g, path):
    """The leaves of the gradient g of the container arg, in arg's order: a dict
    gets a dict (same keys), a list or tuple a list/tuple of the items' gradients
    or, for numbers of one shape, a float64 array of shape np.shape(arg); a float a
    float, an array a float64 array of its shape. Raises _Structure otherwise."""
    if isinstance(arg, dict):
        if not isinstance(g, dict) or set(g) != set(arg):
            raise _Structure(f"{path} is a dict with keys {list(arg)}; its gradient is "
                             f"{type(g).__name__} {list(g) if isinstance(g, dict) else _shape_of(g)}")
        return [x for k in arg for x in _leaves_like(arg[k], g[k], f"{path}[{k!r}]")]
    if isinstance(arg, (list, tuple)):
        if isinstance(g, np.ndarray) and _regular(arg) and \
                not any(isinstance(v, (list, tuple, dict)) for v in arg):
            if g.dtype != np.float64 or g.shape != np.shape(arg):
                raise _Structure(f"{path} has shape {np.shape(arg)}; its gradient is {g.dtype} {g.shape}")
            return [np.ravel(g)]
        if not isinstance(g, (list, tuple)) or len(g) != len(arg):
            raise _Structure(f"{path} is a {type(arg).__name__} of {len(arg)} items; its gradient is "
                             f"{type(g).__name__} {_shape_of(g)}")
        return [x for j, (a, gj) in enumerate(zip(arg, g)) for x in _leaves_like(a, gj, f"{path}[{j}]")]
    if isinstance(arg, np.ndarray):
        if not isinstance(g, np.ndarray) or g.dtype != np.float64 or g.shape != arg.shape:
            raise _Structure(f"{path} is float64 {arg.shape}; its gradient is {type(g).__name__} "
                             f"{getattr(g, 'dtype', '')} {np.shape(g)}")
        return [np.ravel(g)]
    if not (isinstance(g, (float, np.floating)) or isinstance(g, np.ndarray) and g.shape == ()):
        raise _Structure(f"{path} is a float; its gradient is {type(g).__name__} {_shape_of(g)}")
    return [np.ravel(np.asarray(g, dtype=np.float64))]


def _check_tree(name, arg, g, r5, r6, scale, note):
    """The gradient of a dict / tuple / nested list argument, compared leaf by leaf."""
    try:
        leaves = _leaves_like(arg, g, name)
    except _Structure as e:
        return Outcome("WRONG", "gradient type/shape (container argument)" + note, str(e))
    ga = np.concatenate(leaves) if leaves else np.zeros(0)
    f5, f6 = _flat(r5), _flat(r6)
    if not np.all(np.isfinite(ga)):
        return Outcome("WRONG", "non-finite gradient" + note,
                       f"d/d{name}: expected {r5!r}\n        actual   {g!r}")
    if not (_close(ga, f5, scale) or _close(ga, f6, scale)):
        return Outcome("WRONG", "gradient mismatch" + note,
                       f"d/d{name}: expected (FD) {r5!r}\n        actual (diffc) {g!r}")
    return None


def _shape_of(g):
    try:
        return np.shape(g)
    except ValueError:
        return [np.shape(i) for i in g]


def evaluate(prog, lazy_fd=False):
    """Full check of one fixed (program, inputs) sample."""
    try:
        loaded = Loaded(prog.source, prog.fname)
    except Exception as e:                          # noqa: BLE001
        return Outcome("INVALID", f"program does not load: {type(e).__name__}", str(e)[:500],
                       program=prog)
    try:
        try:
            with time_limit(PRIMAL_TIMEOUT):
                r = validate(prog, loaded, lazy_fd)
        except _Timeout:
            r = Outcome("REJECT", "primal/FD too slow")
        if isinstance(r, Outcome):
            r.program = prog
            return r
        try:
            o = check_grads(prog, loaded, *r)
        except _Timeout:
            o = Outcome("REJECT", "primal/FD too slow")
        o.program = prog
        return o
    finally:
        loaded.close()


def run_seed(seed, config=None):
    """Draw samples for ``seed`` until one is a fair test, and check it
    (programs of ``config``: None for gen.Config)."""
    t0 = time.time()
    rejects = {}
    kw = {} if config is None else {"config": config}
    gen_one = generate_one
    if getattr(config, "generate_one", None) is not None:      # e.g. gen_containers.ContainersConfig
        gen_one, kw = config.generate_one, {}
    last = None
    for attempt in range(MAX_ATTEMPTS):
        for draw in range(MAX_DRAWS):
            try:
                prog = gen_one(seed, attempt, draw, **kw)
            except Exception as e:                  # noqa: BLE001
                o = Outcome("INVALID", f"generator raised {type(e).__name__}",
                            "".join(traceback.format_exception(type(e), e, e.__traceback__))[-2000:])
                o.rejects, o.seconds = rejects, time.time() - t0
                return o
            o = evaluate(prog)
            last = o
            if o.cls == "REJECT":
                rejects[o.kind] = rejects.get(o.kind, 0) + 1
                if o.kind in ("output huge or non-finite", "overflow/invalid in primal") and draw >= 1:
                    break
                continue
            o.rejects, o.seconds = rejects, time.time() - t0
            o.seed = seed
            return o
    o = Outcome("INVALID", "no fair sample found", program=last.program if last else None)
    o.rejects, o.seconds, o.seed = rejects, time.time() - t0, seed
    return o


def setup_worker():
    warnings.simplefilter("ignore")
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
