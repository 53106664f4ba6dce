"""Writes into arrays in a loop: is a gradient O(n)? (issue 9)

    python benchmarks/bench_writes.py            # n = 1e3, 1e4, 1e5; about a minute
    python benchmarks/bench_writes.py --quick    # n = 1e3, 1e4

A write ``y[i] = v`` records only the element it overwrites, so a loop of n element
writes costs O(n) time and memory in the gradient, as the loop itself does. For three
loops the table shows, per n, the loop without AD, diffc's gradient (time, time per
element, ratio to the loop, peak memory of the gradient call), and the peers where
they can run the same code:

* autograd cannot differentiate item assignment (its ArrayBox refuses it);
* JAX arrays are immutable: the same loop written with ``y = y.at[i].set(v)``
  under ``jax.grad`` (no jit: compiling a 1e5-step Python loop does not finish
  in reasonable time), run only at n = 1e3 (seconds per gradient).

Each gradient is checked against finite differences in a few coordinates first.
"""
import argparse
import os
import subprocess
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import diffc  # noqa: E402


def fill(x):
    """A preallocated array filled element by element."""
    out = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        out[i] = np.sin(x[i]) * x[i]
    return np.sum(out * out)


def recurrence(x):
    """Each element reads the one written in the previous iteration."""
    y = np.empty(x.shape[0])
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] = 0.5 * y[i - 1] + np.tanh(x[i])
    return np.sum(y)


def smooth(x):
    """Overwrite then read the same element, with an augmented write."""
    y = x.copy()
    for i in range(1, x.shape[0]):
        y[i] += 0.25 * y[i - 1]
        y[i] = y[i] * y[i]
    return np.sum(y) / x.shape[0]


CASES = [fill, recurrence, smooth]


def fill_jax(x, jnp):
    out = jnp.zeros(x.shape[0])
    for i in range(x.shape[0]):
        out = out.at[i].set(jnp.sin(x[i]) * x[i])
    return jnp.sum(out * out)


def recurrence_jax(x, jnp):
    y = jnp.zeros(x.shape[0])
    y = y.at[0].set(x[0])
    for i in range(1, x.shape[0]):
        y = y.at[i].set(0.5 * y[i - 1] + jnp.tanh(x[i]))
    return jnp.sum(y)


def smooth_jax(x, jnp):
    y = x
    for i in range(1, x.shape[0]):
        y = y.at[i].add(0.25 * y[i - 1])
        y = y.at[i].set(y[i] * y[i])
    return jnp.sum(y) / x.shape[0]


JAX = {fill: fill_jax, recurrence: recurrence_jax, smooth: smooth_jax}


def best(fn, reps):
    fn()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t)


def peak_memory(fn):
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def check(f, g, x):
    rng = np.random.default_rng(1)
    for j in rng.choice(x.shape[0], 3, replace=False):
        e = np.zeros_like(x)
        e[j] = 1e-4            # the sums of 1e5 terms: a larger step keeps cancellation small
        fd = (f(x + e) - f(x - e)) / 2e-4
        if not np.isclose(g[j], fd, rtol=1e-5, atol=1e-8):
            sys.exit(f"{f.__name__}: gradient[{j}] = {g[j]}, finite differences {fd}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    opts = ap.parse_args()
    sizes = [1_000, 10_000] if opts.quick else [1_000, 10_000, 100_000]
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True, cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
    print(f"diffc {rev or '?'}, Python {sys.version.split()[0]}, NumPy {np.__version__}")
    try:
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
    except ImportError:
        jax = None
    try:
        import autograd
        import autograd.numpy  # noqa: F401  (autograd.grad needs its NumPy wrapper loaded)
    except ImportError:
        autograd = None
    print(f"{'case':<11} {'n':>7} {'loop':>9} {'diffc grad':>11} {'per elem':>9} "
          f"{'grad/loop':>9} {'grad peak MB':>12} {'jax grad':>10} {'autograd':>9}")
    for f in CASES:
        g = diffc.grad(f)
        for n in sizes:
            x = np.random.default_rng(0).uniform(0.1, 1.0, n)
            check(f, g(x), x)
            reps = 3 if n >= 100_000 else 5
            t_loop = best(lambda: f(x), reps)
            t_grad = best(lambda: g(x), reps)
            mem = peak_memory(lambda: g(x)) / 1e6
            jax_col = "-"
            if jax is not None and n <= 1_000:
                jg = jax.grad(lambda v: JAX[f](v, jnp))
                jx = jnp.asarray(x)
                jax_col = f"{best(lambda: jg(jx).block_until_ready(), 1):.3f}s"
            ag_col = "-"
            if autograd is not None:
                try:
                    autograd.grad(f)(x[:10])
                    ag_col = "ran"
                except Exception:
                    ag_col = "refuses"
            print(f"{f.__name__:<11} {n:>7} {t_loop:>8.3f}s {t_grad:>10.3f}s "
                  f"{t_grad / n * 1e6:>7.2f}us {t_grad / t_loop:>8.2f}x {mem:>12.1f} "
                  f"{jax_col:>10} {ag_col:>9}")


if __name__ == "__main__":
    main()
