"""What calling a function through a variable costs in a gradient (issue 9).

    python benchmarks/bench_dynamic.py

The same two-layer network, 50 steps of a small recurrence, with its activation
called three ways:

* by name (``np.tanh(z)``, ``relu(z)``): resolved when the derivative is built;
* from a dict (``act = ACTIVATIONS[name]; act(z)``): known when the call runs, its
  derivative built then and cached (backend/dynamic.py), the backward pass running
  the function's forward pass again;
* passed to a helper (``layer(W, h, act)``), the same mechanism.

Prints the time of f and of its gradient (best of 5) and the ratio, and the peers'
gradient when installed (``pip install autograd jax``; JAX un-jitted, as for the
other benchmarks of Python loops).
"""
import time

import numpy as np

import diffc

STEPS = 50


def relu(z):
    return np.maximum(z, 0.0) + 0.01 * z


ACTIVATIONS = {"tanh": np.tanh, "relu": relu}


def by_name(W, U, x):
    h = np.zeros(W.shape[0])
    for _ in range(STEPS):
        h = relu(np.tanh(W @ h + U @ x))
    return np.sum(h ** 2)


def from_a_dict(W, U, x):
    inner, outer = ACTIVATIONS["tanh"], ACTIVATIONS["relu"]
    h = np.zeros(W.shape[0])
    for _ in range(STEPS):
        h = outer(inner(W @ h + U @ x))
    return np.sum(h ** 2)


def layer(W, h, U, x, act):
    return act(W @ h + U @ x)


def passed_to_a_helper(W, U, x):
    h = np.zeros(W.shape[0])
    for _ in range(STEPS):
        h = relu(layer(W, h, U, x, np.tanh))
    return np.sum(h ** 2)


def best(fn, reps=5):
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def peers(f, args):
    out = {}
    try:
        import autograd
        import autograd.numpy as anp
        fa = _rebind(f, {"np": anp})
        g = autograd.grad(lambda W: fa(W, *args[1:]))
        out["autograd"] = best(lambda: g(args[0]))
    except Exception:
        out["autograd"] = None
    try:
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        fj = _rebind(f, {"np": jnp})
        g = jax.grad(lambda W: fj(W, *args[1:]))
        out["jax"] = best(lambda: g(args[0]), reps=2)
    except Exception:
        out["jax"] = None
    return out


def _rebind(f, ns):
    """f, with the functions it calls, in a copy of this module's globals where ``np`` is
    the peer's NumPy (autograd and JAX trace their own)."""
    import types
    g = dict(globals())
    g.update(ns)
    for name in ("relu", "layer"):
        g[name] = types.FunctionType(globals()[name].__code__, g, name)
    g["ACTIVATIONS"] = {"tanh": ns["np"].tanh, "relu": g["relu"]}
    return types.FunctionType(f.__code__, g, f.__name__)


def main():
    rng = np.random.default_rng(0)
    n = 32
    W = rng.normal(scale=0.3, size=(n, n))
    U = rng.normal(scale=0.3, size=(n, n))
    x = rng.normal(size=n)
    print(f"diffc {diffc.__version__ if hasattr(diffc, '__version__') else ''}".strip())
    print(f"{'call':<20} {'f':>9} {'diffc grad':>11} {'grad/f':>7} {'autograd':>10} {'jax':>10}")
    for f in (by_name, from_a_dict, passed_to_a_helper):
        tf = best(lambda: f(W, U, x))
        g = diffc.grad(f)
        tg = best(lambda: g(W, U, x))
        p = peers(f, (W, U, x))
        cells = [f"{p[k] * 1e3:8.2f}ms" if p[k] is not None else f"{'-':>10}"
                 for k in ("autograd", "jax")]
        print(f"{f.__name__:<20} {tf * 1e3:7.2f}ms {tg * 1e3:9.2f}ms {tg / tf:6.1f}x "
              + " ".join(cells))
    ref = diffc.grad(by_name)(W, U, x)
    for f in (from_a_dict, passed_to_a_helper):
        assert np.allclose(diffc.grad(f)(W, U, x), ref, rtol=1e-10, atol=1e-12)


if __name__ == "__main__":
    main()
