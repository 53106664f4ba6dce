#!/usr/bin/env python
"""Core benchmark: time(gradient) / time(function) for diffc and its peers.

    python benchmarks/bench_core.py              # default run (about a minute on 2 cores)
    python benchmarks/bench_core.py --quick      # smoke run: fewer repeats, shorter inner loops
    python benchmarks/bench_core.py --repeat 7   # best of 7 instead of best of 5
    python benchmarks/bench_core.py --profile    # also cProfile diffc's gradient on case (a)

Two cases (see benchmarks/README.md):
  (a) scalar: a 1000-step loop on a Python float: x = x * 0.999 + np.sin(x)
  (b) vector: 100 steps of elementwise work on a 100,000-vector, then np.sum

Implementations: diffc, a hand-written reverse sweep, and, when importable,
autograd, JAX (eager Python loop under jax.grad, and jax.jit + lax.fori_loop)
and tangent (the tangent-ad fork).  Every gradient is checked against diffc's
and the hand-written one before anything is timed; the hand-written gradients
are checked against central finite differences first.

Only diffc and NumPy are required: a missing peer prints "not installed".
"""
import argparse
import cProfile
import io
import os
import pstats
import sys
import time
import timeit
import types
import warnings

import numpy as np

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

import diffc  # noqa: E402

RTOL = 1e-6          # agreement required between implementations
FD_RTOL = 1e-5       # agreement required between the hand-written gradients and finite differences
VECTOR_SIZE = 100_000


# ---------------------------------------------------------------------------
# The functions being differentiated.  diffc and tangent read their source,
# so they are plain module-level functions.  autograd and JAX run the very
# same code objects with `np` rebound to autograd.numpy / jax.numpy.
# ---------------------------------------------------------------------------

def scalar_loop(x):
    for i in range(1000):
        x = x * 0.999 + np.sin(x)
    return x


def scalar_loop_10(x):
    # Same body, 10 steps, checked at x = 1e-3.  Used only for the correctness
    # checks: from any start but 0, x converges within a few dozen steps to a
    # fixed point near an odd multiple of pi, where d(step)/dx = 0.999 + cos(x)
    # ~ -0.001, so d scalar_loop/dx underflows to exactly 0 and comparing the
    # 1000-step gradients alone would prove nothing.  From x = 1e-3, ten steps
    # stay on the growing branch (factor ~1.999 a step): gradient ~ 935.
    for i in range(10):
        x = x * 0.999 + np.sin(x)
    return x


def vector_loop(x):
    s = x
    for i in range(100):
        s = np.tanh(s) * 0.9 + 0.1 * np.sin(x + s)
    return np.sum(s)


# ---------------------------------------------------------------------------
# Hand-written reverse mode: record the forward intermediates in lists, then
# sweep backwards.  Plain NumPy, no in-place tricks.
# ---------------------------------------------------------------------------

def scalar_loop_grad_hand(x, steps=1000):
    xs = []
    for i in range(steps):
        xs.append(x)
        x = x * 0.999 + np.sin(x)
    dx = 1.0
    for i in range(steps):
        dx = dx * (0.999 + np.cos(xs.pop()))
    return float(dx)


def vector_loop_grad_hand(x, steps=100):
    tanhs = []
    args = []
    s = x
    for i in range(steps):
        t = np.tanh(s)
        u = x + s
        tanhs.append(t)
        args.append(u)
        s = t * 0.9 + 0.1 * np.sin(u)
    ds = np.ones_like(x)
    dx = np.zeros_like(x)
    for i in range(steps):
        t = tanhs.pop()
        du = ds * (0.1 * np.cos(args.pop()))   # adjoint of u = x + s
        dx = dx + du
        ds = ds * 0.9 * (1.0 - t * t) + du
    return dx + ds                              # s = x at the start


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

class Case:
    def __init__(self, key, title, fn, x, hand, check_fns):
        self.key, self.title, self.fn, self.x, self.hand = key, title, fn, x, hand
        self.check_fns = check_fns      # {name: (function, hand-written gradient, x)} checked before timing


def make_cases(vector_size):
    rng = np.random.default_rng(0)
    xv = rng.uniform(-1.0, 1.0, vector_size)
    return [
        Case("a", "scalar loop, 1000 steps, Python float", scalar_loop, 0.5,
             scalar_loop_grad_hand,
             {"scalar_loop": (scalar_loop, scalar_loop_grad_hand, 0.5),
              "scalar_loop_10": (scalar_loop_10, lambda x: scalar_loop_grad_hand(x, 10), 1e-3)}),
        Case("b", f"vector loop, 100 steps, {vector_size:,}-vector", vector_loop, xv,
             vector_loop_grad_hand,
             {"vector_loop": (vector_loop, vector_loop_grad_hand, xv)}),
    ]


def _steps_of(fn):
    return {"scalar_loop": 1000, "scalar_loop_10": 10, "vector_loop": 100}[fn.__name__]


def with_np(fn, module):
    """fn's code with the global name `np` bound to `module` (autograd.numpy, jax.numpy)."""
    g = dict(fn.__globals__)
    g["np"] = module
    return types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)


# ---------------------------------------------------------------------------
# Implementations.  Each builder returns None when the package is missing, or
# a dict {label: Impl}.  Impl.grad(fn) builds the gradient of one of the
# module-level functions above; Impl.forward(fn), if set, is that
# implementation's own forward (JAX), else the plain NumPy function is used.
# ---------------------------------------------------------------------------

class Impl:
    def __init__(self, label, note, grad, forward=None, prepare=None):
        self.label, self.note = label, note
        self.grad = grad                    # fn -> gradient callable
        self.forward = forward              # fn -> forward callable, or None for the NumPy function
        self.prepare = prepare or (lambda x: x)   # input conversion done once, outside the timing


def impl_diffc():
    return [Impl("diffc", "diffc.grad", diffc.grad)]


def impl_hand(cases):
    table = {}
    for c in cases:
        for fn, hand, _ in c.check_fns.values():
            table[fn] = hand
    return [Impl("hand-written", "lists + backward sweep, plain NumPy", lambda fn: table[fn])]


def impl_autograd():
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        return None
    return [Impl("autograd", "autograd.grad (tracing, per-call tape)",
                 lambda fn: autograd.grad(with_np(fn, anp)))]


def impl_jax():
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)

    def ready(f):
        def call(x):
            return jax.block_until_ready(f(x))
        return call

    def fori(fn):
        steps = _steps_of(fn)
        if fn.__name__.startswith("scalar"):
            def f(x):
                return jax.lax.fori_loop(0, steps, lambda i, x: x * 0.999 + jnp.sin(x), x)
        else:
            def f(x):
                def body(i, s):
                    return jnp.tanh(s) * 0.9 + 0.1 * jnp.sin(x + s)
                return jnp.sum(jax.lax.fori_loop(0, steps, body, x))
        return f

    def to_device(x):
        return x if isinstance(x, float) else jnp.asarray(x)

    eager = Impl("jax (eager)", "jax.grad over the Python loop, no jit: op-by-op dispatch",
                 grad=lambda fn: ready(jax.grad(with_np(fn, jnp))),
                 forward=lambda fn: ready(with_np(fn, jnp)),
                 prepare=to_device)
    jitted = Impl("jax (jit+fori)", "jax.jit(jax.grad(f)), f written with lax.fori_loop; compiled",
                  grad=lambda fn: ready(jax.jit(jax.grad(fori(fn)))),
                  forward=lambda fn: ready(jax.jit(fori(fn))),
                  prepare=to_device)
    return [eager, jitted]


def impl_tangent():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import tangent
    except Exception:   # not installed, or does not import on this Python / NumPy
        return None

    def build(fn):
        buf = io.StringIO()
        old = sys.stdout
        sys.stdout = buf                     # tangent-ad prints cache / optimizer chatter
        try:
            return tangent.grad(fn)
        finally:
            sys.stdout = old
    return [Impl("tangent", "tangent.grad (tangent-ad, source transformation)", build)]


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------

def rel_diff(a, b):
    """max|a - b| / max(max|a|, max|b|); 0 when both are exactly zero."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    scale = max(np.max(np.abs(a)), np.max(np.abs(b)))
    diff = np.max(np.abs(a - b))
    return 0.0 if diff == 0 else float(diff / scale) if scale > 0 else float("inf")


def check_hand_against_fd(cases):
    """Central finite differences against the hand-written gradients. Returns False on failure."""
    ok = True
    rng = np.random.default_rng(1)
    print("Hand-written gradients vs central finite differences:")
    for fn, hand, x, h in [(scalar_loop_10, lambda x: scalar_loop_grad_hand(x, 10), 1e-3, 1e-8),
                           (scalar_loop, scalar_loop_grad_hand, 0.5, 1e-6)]:
        fd = (fn(x + h) - fn(x - h)) / (2 * h)
        r = rel_diff(hand(x), fd)
        ok &= r <= FD_RTOL
        print(f"  {fn.__name__:<28} x={x:<6g} hand {hand(x):<16.10g} fd {fd:<16.10g} rel diff {r:.1e}")
    # vector_loop is elementwise then summed, so it can be checked coordinate by
    # coordinate on a short vector, and along a random direction on the full one.
    xs = rng.uniform(-1.0, 1.0, 7)
    g = vector_loop_grad_hand(xs)
    h = 1e-6
    fd = np.array([(vector_loop(xs + h * e) - vector_loop(xs - h * e)) / (2 * h) for e in np.eye(len(xs))])
    r = rel_diff(g, fd)
    ok &= r <= FD_RTOL
    print(f"  {'vector_loop, 7-vector':<28} every coordinate:      rel diff {r:.1e}")
    x = next(c.x for c in cases if c.key == "b")
    v = rng.standard_normal(x.shape)
    v /= np.linalg.norm(v)
    h = 1e-4
    fd = (vector_loop(x + h * v) - vector_loop(x - h * v)) / (2 * h)
    gv = float(vector_loop_grad_hand(x) @ v)
    r = rel_diff(gv, fd)
    ok &= r <= FD_RTOL
    print(f"  {f'vector_loop, {x.size:,}-vector':<28} random direction: hand {gv:.10g}  fd {fd:.10g}  "
          f"rel diff {r:.1e}")
    return bool(ok)


def check_agreement(cases, impls):
    """Every implementation against diffc and the hand-written gradient, before timing."""
    ok = True
    print(f"\nGradient agreement (max relative difference; must be <= {RTOL:g}):")
    print(f"  {'function':<15} {'implementation':<16} {'vs diffc':>9} {'vs hand':>9}")
    for c in cases:
        for name, (fn, hand, x) in c.check_fns.items():
            ref_diffc = np.asarray(diffc.grad(fn)(x), dtype=np.float64)
            ref_hand = np.asarray(hand(x), dtype=np.float64)
            for impl in impls:
                try:
                    g = np.asarray(impl.grad(fn)(impl.prepare(x)), dtype=np.float64)
                except Exception as e:  # a peer that cannot handle the case
                    print(f"  {name:<15} {impl.label:<16} FAILED: {type(e).__name__}: {e}")
                    impl.broken = True
                    continue
                r1, r2 = rel_diff(g, ref_diffc), rel_diff(g, ref_hand)
                bad = r1 > RTOL or r2 > RTOL
                ok &= not bad
                if bad:
                    impl.broken = True
                print(f"  {name:<15} {impl.label:<16} {r1:9.1e} {r2:9.1e}{'   MISMATCH' if bad else ''}")
            if not np.any(ref_hand):
                print(f"  ({name}: every gradient is exactly 0 here -- see scalar_loop_10 for a real check)")
    return bool(ok)


# ---------------------------------------------------------------------------
# Timing: best of `repeat` runs of an inner loop sized to about `target` s
# (timeit.Timer, so the garbage collector is off while timing, as in timeit).
# ---------------------------------------------------------------------------

def _inner_number(timer, target):
    """Smallest inner-loop count whose run takes about `target` seconds (like timeit's autorange)."""
    number = 1
    while True:
        t = timer.timeit(number)
        if t >= target:
            return number
        number = max(number * 2, int(number * 1.2 * target / max(t, 1e-9)))


def best_times(calls, arg, repeat, target):
    """Best per-call time of each callable in `calls`, all on `arg`.

    The callables are timed in alternation, repeat rounds of one inner loop
    each, so that a function and its gradient see the same machine load."""
    timers, numbers = [], []
    for call in calls:
        call(arg)                                   # warm-up (and JIT compilation)
        timer = timeit.Timer(lambda call=call: call(arg))
        timers.append(timer)
        numbers.append(_inner_number(timer, target))
    best = [float("inf")] * len(calls)
    for _ in range(repeat):
        for i, (timer, number) in enumerate(zip(timers, numbers)):
            best[i] = min(best[i], timer.timeit(number) / number)
    return best


def _git_state():
    import subprocess
    try:
        rev = subprocess.run(["git", "-C", _REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", _REPO, "status", "--porcelain", "--", "diffc"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "no git"
    return f"git {rev}{' + uncommitted diffc changes' if dirty else ''}" if rev else "no git"


def _version(dist):
    try:
        from importlib.metadata import version
        return version(dist)
    except Exception:
        return "?"


def fmt_time(t):
    if t >= 1.0:
        return f"{t:8.3f} s "
    if t >= 1e-3:
        return f"{t * 1e3:8.3f} ms"
    return f"{t * 1e6:8.1f} us"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=None, help="best of N repeats (default 5, --quick 2)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: best of 2, ~0.05 s inner loops, 10,000-vector for case (b)")
    ap.add_argument("--profile", action="store_true",
                    help="also print the top cProfile entries of diffc's gradient on case (a)")
    args = ap.parse_args(argv)
    repeat = args.repeat or (2 if args.quick else 5)
    target = 0.05 if args.quick else 0.2
    vector_size = 10_000 if args.quick else VECTOR_SIZE
    t_start = time.perf_counter()

    import platform
    print(f"Python {platform.python_version()}, NumPy {np.__version__}, diffc {diffc.__version__} "
          f"({_git_state()}), {os.cpu_count()} CPUs, best of {repeat}, inner loops ~{target:g} s")

    cases = make_cases(vector_size)
    impls = impl_diffc() + impl_hand(cases)
    peers = [("autograd", impl_autograd, "autograd"), ("jax", impl_jax, "jax jaxlib"),
             ("tangent", impl_tangent, "tangent-ad")]
    for name, builder, dists in peers:
        found = builder()
        if found is None:
            print(f"{name}: not installed")
        else:
            print(f"{name}: {', '.join(f'{d} {_version(d)}' for d in dists.split())}")
            impls += found
    for impl in impls:
        impl.broken = False
    print()

    fd_ok = check_hand_against_fd(cases)
    agree_ok = check_agreement(cases, impls)

    # ---- timing ----
    rows = []
    for c in cases:
        t_np = float("inf")          # the NumPy function is re-timed beside each gradient; best of all
        case_rows = []
        for impl in impls:
            if impl.broken:
                case_rows.append((impl, None, None))
                continue
            x = impl.prepare(c.x)
            f = c.fn if impl.forward is None else impl.forward(c.fn)
            t_f, t_g = best_times([f, impl.grad(c.fn)], x, repeat, target)
            if impl.forward is None:
                t_np = min(t_np, t_f)
            case_rows.append((impl, t_f if impl.forward is not None else None, t_g))
        for impl, t_f, t_g in case_rows:
            rows.append((c, impl, None, None) if t_g is None else (c, impl, t_f or t_np, t_g, t_np))

    print(f"\nTimes per call, best of {repeat} rounds (function and gradient timed in alternation).\n"
          "f = that implementation's own forward: the plain NumPy function, except for the JAX rows.\n"
          "grad/f = AD overhead within the implementation; grad/f_np = gradient time over the plain "
          "NumPy function.\n")
    head = f"{'case':<4} {'implementation':<16} {'f':>11} {'grad':>11} {'grad/f':>9} {'grad/f_np':>10}"
    print(head)
    print("-" * len(head))
    last = None
    for row in rows:
        c, impl = row[0], row[1]
        if last is not None and c is not last:
            print()
        last = c
        if row[2] is None:
            print(f"{c.key:<4} {impl.label:<16} {'(failed the agreement check, not timed)':>44}")
            continue
        _, _, t_f, t_g, t_np = row
        print(f"{c.key:<4} {impl.label:<16} {fmt_time(t_f):>11} {fmt_time(t_g):>11} "
              f"{t_g / t_f:9.2f} {t_g / t_np:10.2f}")
    print("\ncases:")
    for c in cases:
        print(f"  ({c.key}) {c.title}")
    print("implementations:")
    for impl in impls:
        print(f"  {impl.label:<16} {impl.note}")

    if args.profile:
        profile_diffc_scalar(cases[0])

    print(f"\ntotal {time.perf_counter() - t_start:.1f} s")
    if not (fd_ok and agree_ok):
        print("SOME CHECKS FAILED (see above)")
        return 1
    return 0


def profile_diffc_scalar(case, calls=200):
    """cProfile of diffc's gradient on case (a), plus the split that cProfile cannot show.

    NumPy ufuncs (np.sin, np.cos) and float arithmetic are not Python-level
    calls, so cProfile books their time to the generated function that makes
    them; the forward / backward split and the per-operation costs below say
    where that time goes."""
    g = diffc.grad(case.fn)
    g(case.x)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(calls):
        g(case.x)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(10)
    print(f"\ncProfile of diffc's gradient, case ({case.key}), {calls} calls, sorted by own time:")
    print("\n".join(line for line in out.getvalue().splitlines()[5:] if line.strip()))

    def per_call(stmt, ns, number):
        return min(timeit.repeat(stmt, globals=ns, number=number, repeat=5)) / number

    name = case.fn.__name__
    ns = {}
    try:   # re-execute the generated source to reach its forward and backward functions
        from diffc.backend import runtime
        ns = {"np": np, **{k: getattr(runtime, k) for k in runtime.__all__}}
        exec(compile(diffc.source(g), f"<diffc source of {name}>", "exec"), ns)
    except Exception as e:
        print(f"(no forward / backward split: {type(e).__name__}: {e})")
    if f"{name}_fwd" in ns and f"{name}_bwd" in ns:
        fwd, bwd = ns[f"{name}_fwd"], ns[f"{name}_bwd"]
        t_f, t_fwd, t_fb, t_all = best_times(
            [case.fn, fwd, lambda x: bwd(fwd(x)[1], 1.0), g], case.x, 7, 0.1)
        print(f"\nsplit (best of 7, timed in alternation):\n"
              f"  function {fmt_time(t_f)}; generated forward with recording {fmt_time(t_fwd)}; "
              f"forward + backward {fmt_time(t_fb)}; whole gradient {fmt_time(t_all)}")
    x64 = np.float64(3.0)
    ops = {"np.sin(x) on np.float64": "np.sin(x)", "np.cos(x) on np.float64": "np.cos(x)",
           "x * 0.999 on np.float64": "x * 0.999", "list append + pop": "l.append(x); l.pop()",
           "math.sin(x) (for scale)": "math.sin(x)"}
    import math
    print("per-operation cost, for scale (the scalar loop does 1000 steps):")
    for label, stmt in ops.items():
        t = per_call(stmt, {"np": np, "math": math, "x": x64, "l": []}, 100_000)
        print(f"  {label:<26} {t * 1e9:6.0f} ns")


if __name__ == "__main__":
    sys.exit(main())
