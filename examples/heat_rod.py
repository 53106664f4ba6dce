"""Recover how a metal rod conducts and loses heat from three thermometers.

A rod, cold at first, is heated at its left end. Heat spreads along it (the
diffusivity `k`) and leaks into the air (the loss rate `h`). Three thermometers
record the temperature at every time step. We fit `k` and `h` to the readings by
gradient descent.

The simulation is written the way such code usually is: the temperatures are
updated in place with a stencil (`u[1:-1] = ...`) and the readings are written
into a preallocated array (`readings[t] = u[SENSORS]`). diffc differentiates the
writes exactly, recording only what each one overwrites.

Run:  python examples/heat_rod.py
"""
import time

import numpy as np

import diffc

CELLS = 40
STEPS = 400
DT = 0.2
SENSORS = np.array([5, 15, 30])
HEAT = 100.0                   # temperature held at the left end


def simulate(k, h):
    """Thermometer readings at every step: an array filled row by row."""
    u = np.zeros(CELLS)
    readings = np.empty((STEPS, len(SENSORS)))
    for t in range(STEPS):
        u[0] = HEAT
        u[1:-1] = u[1:-1] + DT * (k * (u[2:] - 2.0 * u[1:-1] + u[:-2]) - h * u[1:-1])
        u[-1] = u[-2]          # an insulated right end
        readings[t] = u[SENSORS]
    return readings


def loss(params, observed):
    """Mean squared difference between simulated and observed readings."""
    readings = simulate(params[0], params[1])
    return np.mean((readings - observed) ** 2)


def main():
    true = np.array([0.9, 0.02])
    rng = np.random.default_rng(0)
    observed = simulate(*true) + rng.normal(0.0, 0.2, (STEPS, len(SENSORS)))

    value_and_grad = diffc.value_and_grad(loss)
    params = np.array([0.5, 0.05])
    scale = np.array([1e-3, 1e-6])          # gradient descent, one step size per parameter
    t0 = time.perf_counter()
    for step in range(300):
        value, g = value_and_grad(params, observed)
        params = params - scale * g
    elapsed = time.perf_counter() - t0
    print(f"true values:      k {true[0]:.4f}, h {true[1]:.4f}")
    print(f"recovered values: k {params[0]:.4f}, h {params[1]:.4f}  (loss {value:.4f}, "
          f"300 gradients in {elapsed:.1f} s)")

    eps = 1e-6
    fd = [(loss(params + e, observed) - loss(params - e, observed)) / (2 * eps)
          for e in np.eye(2) * eps]
    print(f"gradient at the fit: diffc {value_and_grad(params, observed)[1]}, "
          f"finite differences {np.array(fd)}")
    print("\nThe generated derivative code:  diffc show examples/heat_rod.py:loss")


if __name__ == "__main__":
    main()
