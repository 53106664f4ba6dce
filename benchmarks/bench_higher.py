"""Cost of second-order products relative to one gradient (issue 4).

    python benchmarks/bench_higher.py

Prints, for a 1,000-vector function, the time of diffc.hvp (reverse mode over
forward mode), of one diffc.jvp and of diffc.grad, each relative to one
evaluation of f, best of 7; then the same for the peers when installed
(``pip install jax autograd``): JAX's forward-over-reverse hvp (eager and jit)
and autograd's hessian_vector_product.
"""
import time

import numpy as np

import diffc


def f(x):
    y = np.tanh(x) * x
    s = 0.0
    for i in range(10):
        y = np.sin(y) + 0.1 * x * y
        s = s + np.sum(y * y)
    return s + np.sum(np.log1p(x * x))


def best(fn, *args, reps=7, inner=20):
    fn(*args)
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn(*args)
        t.append((time.perf_counter() - t0) / inner)
    return min(t)


def main():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(1000)
    v = rng.standard_normal(1000)
    g, hv, jv = diffc.grad(f), diffc.hvp(f), diffc.jvp(f)
    # correctness first: hvp against finite differences of the gradient
    eps = 1e-6
    fd = (g(x + eps * v) - g(x - eps * v)) / (2 * eps)
    assert np.allclose(hv(x, v), fd, rtol=1e-5, atol=1e-5)
    tf = best(f, x)
    rows = [("diffc grad", best(g, x)), ("diffc jvp", best(jv, x, v)),
            ("diffc hvp", best(hv, x, v))]
    try:
        import autograd
        import autograd.numpy as anp

        def fa(x):
            y = anp.tanh(x) * x
            s = 0.0
            for i in range(10):
                y = anp.sin(y) + 0.1 * x * y
                s = s + anp.sum(y * y)
            return s + anp.sum(anp.log1p(x * x))
        rows.append(("autograd grad", best(autograd.grad(fa), x)))
        rows.append(("autograd hvp", best(autograd.hessian_vector_product(fa), x, v)))
    except ImportError:
        rows.append(("autograd", None))
    try:
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)

        def fj(x):
            y = jnp.tanh(x) * x
            s = 0.0
            for i in range(10):
                y = jnp.sin(y) + 0.1 * x * y
                s = s + jnp.sum(y * y)
            return s + jnp.sum(jnp.log1p(x * x))

        def hvp_j(x, v):
            return jax.jvp(jax.grad(fj), (x,), (v,))[1]
        xj, vj = jnp.asarray(x), jnp.asarray(v)
        rows.append(("jax grad (eager)", best(lambda a: jax.grad(fj)(a).block_until_ready(), xj)))
        rows.append(("jax hvp (eager)", best(lambda a, b: hvp_j(a, b).block_until_ready(), xj, vj)))
        jh = jax.jit(hvp_j)
        rows.append(("jax hvp (jit)", best(lambda a, b: jh(a, b).block_until_ready(), xj, vj)))
    except ImportError:
        rows.append(("jax", None))
    tg = rows[0][1]
    print(f"f: 1,000-vector, 10-step loop; one evaluation of f: {tf * 1e6:.1f} us")
    print(f"| {'method':<20} | {'time (us)':>10} | {'/ f':>8} | {'/ diffc grad':>12} |")
    print(f"|{'-' * 22}|{'-' * 12}|{'-' * 10}|{'-' * 14}|")
    for name, t in rows:
        if t is None:
            print(f"| {name:<20} | {'not installed':>10} | {'':>8} | {'':>12} |")
        else:
            print(f"| {name:<20} | {t * 1e6:>10.1f} | {t / tf:>8.2f} | {t / tg:>12.2f} |")


if __name__ == "__main__":
    main()
