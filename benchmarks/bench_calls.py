"""What a call of a derivative costs around the generated code (issue 8).

    python benchmarks/bench_calls.py

Before each call a diffc derivative checks that what its code calls is unchanged
(``np.sin``, helpers, the function's code and defaults) and reads the data its
code uses from globals (a learning rate). Prints, for a small function whose
gradient takes a few microseconds, the time per call of

* the generated gradient function called directly (no checks),
* the user-facing derivative, globals unchanged,
* the user-facing derivative with a numeric global rebound before every call
  (a learning rate changed every step: read at call time, no rebuild),
* the same with the global rebound to another kind every call (a number / a 0-d
  array: the build relied on it, so each call rebuilds),

best of 7, and the peers' gradient call on the same function when installed
(``pip install autograd jax``).
"""
import time

import numpy as np

import diffc

LR = 0.1


def loss(w, x):
    return np.sum(np.tanh(w * x) ** 2) * LR + np.sum(w * w) * 1e-3


def best(fn, reps=7, inner=2000):
    fn()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        t.append((time.perf_counter() - t0) / inner)
    return min(t)


def main():
    global LR
    rng = np.random.default_rng(0)
    w, x = rng.standard_normal(8), rng.standard_normal(8)
    dloss = diffc.grad(loss)
    gen = dloss.__diffc_state__.ensure()
    expected = 2 * LR * np.tanh(w * x) * (1 - np.tanh(w * x) ** 2) * x + 2e-3 * w
    assert np.allclose(dloss(w, x), expected, rtol=1e-12)
    rows = [("generated code only", best(lambda: gen(w, x))),
            ("derivative, globals unchanged", best(lambda: dloss(w, x)))]

    def rebinding():
        global LR
        LR = LR + 1e-9
        return dloss(w, x)
    rows.append(("derivative, LR rebound every call", best(rebinding)))
    LR = 0.1
    types = [0.1, np.array(0.1)]
    k = [0]

    def retyping():
        global LR
        k[0] += 1
        LR = types[k[0] % 2]
        return dloss(w, x)
    rows.append(("derivative, LR number <-> array every call (rebuild)",
                 best(retyping, reps=3, inner=20)))
    LR = 0.1
    try:
        import autograd
        import autograd.numpy as anp

        def loss_ag(w, x):
            return anp.sum(anp.tanh(w * x) ** 2) * LR + anp.sum(w * w) * 1e-3
        ag = autograd.grad(loss_ag)
        rows.append(("autograd grad", best(lambda: ag(w, x), inner=200)))
    except ImportError:
        pass
    try:
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)

        def loss_jax(w, x):
            return jnp.sum(jnp.tanh(w * x) ** 2) * LR + jnp.sum(w * w) * 1e-3
        jg = jax.jit(jax.grad(loss_jax))
        rows.append(("jax jit(grad)", best(lambda: jg(w, x).block_until_ready(), inner=200)))
    except ImportError:
        pass
    base = rows[0][1]
    print(f"{'per call (8-vector gradient)':<52} {'time':>10} {'vs generated':>13}")
    for name, t in rows:
        print(f"{name:<52} {t * 1e6:>8.1f}us {t / base:>12.2f}x")


if __name__ == "__main__":
    main()
