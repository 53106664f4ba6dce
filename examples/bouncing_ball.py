"""Recover the physics of a bouncing ball from its observed trajectory.

A ball is dropped; it falls under gravity with air drag and bounces off the
floor, losing part of its speed at each bounce. We observe its height at 300
instants and fit the two unknown constants -- the drag coefficient and the
coefficient of restitution -- by gradient descent. The simulation is an
ordinary Python loop with a branch (the bounce); diffc differentiates it
exactly.

Run:  python examples/bouncing_ball.py
"""
import numpy as np

import diffc

DT = 0.01
STEPS = 300


def simulate(drag, restitution):
    """Heights of the ball at every step (a plain Python loop with a branch)."""
    y, v = 1.0, 0.0
    heights = []
    for i in range(STEPS):
        v = v - (9.81 + drag * v) * DT
        y = y + v * DT
        if y < 0.0:           # the bounce
            y = -y * restitution
            v = -v * restitution
        heights.append(y)
    return np.array(heights)


def loss(params, observed):
    """Mean squared distance between the simulated and the observed heights."""
    drag, restitution = params[0], params[1]
    y, v = 1.0, 0.0
    total = 0.0
    for i in range(STEPS):
        v = v - (9.81 + drag * v) * DT
        y = y + v * DT
        if y < 0.0:
            y = -y * restitution
            v = -v * restitution
        total = total + (y - observed[i]) ** 2
    return total / STEPS


def main():
    true = np.array([0.35, 0.8])
    rng = np.random.default_rng(0)
    observed = simulate(*true) + rng.normal(0.0, 0.002, STEPS)

    dloss = diffc.grad(loss)                  # gradient w.r.t. params
    params = np.array([0.1, 0.6])             # initial guess
    m, s = np.zeros(2), np.zeros(2)           # Adam
    print(f"{'step':>5} {'loss':>12} {'drag':>8} {'restitution':>12}")
    for step in range(1, 801):
        g = dloss(params, observed)
        m = 0.9 * m + 0.1 * g
        s = 0.999 * s + 0.001 * g * g
        params = params - 0.01 * (m / (1 - 0.9 ** step)) / (np.sqrt(s / (1 - 0.999 ** step)) + 1e-8)
        if step % 100 == 0 or step == 1:
            print(f"{step:5d} {loss(params, observed):12.3e} {params[0]:8.4f} {params[1]:12.4f}")
    print(f"\ntrue values:      drag {true[0]:.4f}, restitution {true[1]:.4f}")
    print(f"recovered values: drag {params[0]:.4f}, restitution {params[1]:.4f}")

    # the gradient is exact: compare with central finite differences
    eps = 1e-6
    fd = [(loss(params + eps * e, observed) - loss(params - eps * e, observed)) / (2 * eps)
          for e in np.eye(2)]
    print(f"gradient at the fit: diffc {dloss(params, observed)}, finite differences {np.array(fd)}")
    print("\nThe generated derivative code:  diffc show examples/bouncing_ball.py:loss")


if __name__ == "__main__":
    main()
