"""Weigh a moon from the track of a probe passing it.

A probe flies past a moon. Its path bends by the moon's gravity (its mass) and
slows by a thin atmosphere (a drag coefficient). Radar gives the probe's position
every step. We recover the mass and the drag from the track by gradient descent.

The simulation is written the way such code usually is: the probe's state is a
dataclass updated attribute by attribute, the forces are functions held in a
dict (a config picks which ones act), the track is a list the loop appends to,
and the parameters come in a dict. diffc differentiates all of it and returns
the gradient as a dict with the same keys.

Run:  python examples/probe_orbit.py
"""
import dataclasses
import time

import numpy as np

import diffc

STEPS = 300
DT = 0.02


@dataclasses.dataclass
class Probe:
    pos: np.ndarray
    vel: np.ndarray


def gravity(probe, params):
    r = -probe.pos                         # the moon sits at the origin
    dist = np.sqrt(np.sum(r * r))
    return params["mass"] * r / dist ** 3


def drag(probe, params):
    return -params["drag"] * np.sqrt(np.sum(probe.vel ** 2)) * probe.vel


FORCES = {"gravity": gravity, "drag": drag}


def track(params, forces=("gravity", "drag")):
    """The probe's positions, one per step (a list the loop appends to)."""
    probe = Probe(pos=np.array([-4.0, 2.0]), vel=np.array([1.2, 0.0]))
    acting = [FORCES[name] for name in forces]
    positions = []
    for _ in range(STEPS):
        acc = np.zeros(2)
        for force in acting:               # functions held in a list, called by value
            acc = acc + force(probe, params)
        probe.vel = probe.vel + DT * acc
        probe.pos = probe.pos + DT * probe.vel
        positions.append(probe.pos)
    return np.stack(positions)


def loss(params, observed):
    return np.mean((track(params) - observed) ** 2)


def main():
    truth = {"mass": 1.3, "drag": 0.05}
    rng = np.random.default_rng(0)
    observed = track(truth) + 0.01 * rng.standard_normal((STEPS, 2))

    dloss = diffc.grad(loss)
    params = {"mass": 0.8, "drag": 0.2}

    # the gradient, checked against central differences
    g = dloss(params, observed)
    for key in params:
        e = 1e-6
        up, down = dict(params), dict(params)
        up[key] += e
        down[key] -= e
        fd = (loss(up, observed) - loss(down, observed)) / (2 * e)
        print(f"d loss / d {key:<5}  diffc {g[key]: .8f}   finite differences {fd: .8f}")

    start = time.perf_counter()
    # Rprop: each parameter moves against the sign of its derivative, by a step that
    # grows while the sign holds and halves when it flips (robust to their scales)
    steps, last = {"mass": 0.05, "drag": 0.01}, {"mass": 0.0, "drag": 0.0}
    for _ in range(60):
        g = dloss(params, observed)
        for k in params:
            steps[k] *= 1.2 if g[k] * last[k] > 0 else 0.5 if g[k] * last[k] < 0 else 1.0
            params[k] -= np.sign(g[k]) * steps[k]
        last = g
    value = loss(params, observed)
    took = time.perf_counter() - start
    print(f"60 gradient steps in {took:.2f} s; loss {value:.2e}")
    print(f"recovered values: mass {params['mass']:.3f}, drag {params['drag']:.4f}"
          f"   (true: mass {truth['mass']}, drag {truth['drag']})")


if __name__ == "__main__":
    main()
