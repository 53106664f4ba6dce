"""Methods of the user's own classes: ``layer.forward(x)`` on a dataclass or NamedTuple
(an argument, or made in the function) is a call of ``type(layer).forward`` with the
object first, known when the code runs (backend/dynamic.py), so the derivative flows
into the object's fields. Checked against central differences in both modes and for
Hessians."""
import functools
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pytest

import diffc
from tests.fdcheck import check_both_modes, numeric_grad


@dataclass
class Layer:
    w: np.ndarray
    b: np.ndarray

    def forward(self, x):
        return np.tanh(self.w @ x + self.b)

    def energy(self, x):
        h = self.forward(x)             # a method calling another
        return np.sum(h ** 2) + 0.1 * np.sum(self.w ** 2)

    def grow(self, x):
        self.b = self.b + x[0]          # changes the object: refused
        return self.b

    @staticmethod
    def scale(v):
        return 2.0 * v


class Affine(NamedTuple):
    a: float
    c: np.ndarray

    def apply(self, x):
        return self.a * x + self.c


RNG = np.random.default_rng(3)
W, B, X = RNG.normal(size=(3, 2)), RNG.normal(size=3), RNG.normal(size=2)


def layer_loss(layer, x):
    return np.sum(layer.forward(x) ** 2)


def made_layer(p):
    layer = Layer(p[:6].reshape(3, 2), p[6:9])
    return layer.energy(p[9:])


def namedtuple_method(x):
    t = Affine(x[0], x[1:])
    y = t.apply(x[1:])
    return np.sum(y * y)


def methods_in_a_loop(p):
    layers = [Layer(p[:6].reshape(3, 2), p[6:9]), Layer(p[:6].reshape(3, 2) * 0.5, p[6:9])]
    h = p[9:]
    total = 0.0
    for layer in layers:
        total = total + np.sum(layer.forward(h))
    return total


P = np.concatenate([W.ravel(), B, X])


def test_method_of_a_dataclass_argument():
    gl, gx = diffc.grad(layer_loss, wrt=(0, 1))(Layer(W.copy(), B.copy()), X.copy())
    assert isinstance(gl, Layer)
    np.testing.assert_allclose(gl.w, numeric_grad(lambda w: layer_loss(Layer(w, B), X), [W]),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(gl.b, numeric_grad(lambda b: layer_loss(Layer(W, b), X), [B]),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(gx, numeric_grad(lambda x: layer_loss(Layer(W, B), x), [X]),
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("f", [made_layer, methods_in_a_loop], ids=lambda f: f.__name__)
def test_methods_of_objects_made_in_the_function(f):
    check_both_modes(f, P.copy())


def test_method_of_a_namedtuple():
    check_both_modes(namedtuple_method, np.array([0.7, -0.3, 1.2]))


def grows(x):
    layer = Layer(W.copy(), x[:3] * 1.0)
    return np.sum(layer.grow(x))


def bound_method_in_a_variable(p):
    layer = Layer(p[:6].reshape(3, 2), p[6:9])
    f = layer.forward                   # the numbers of `layer` travel with f
    return np.sum(f(p[9:]))


def partial_of_the_inputs(p):
    f = functools.partial(np.dot, p[:2])
    return f(p[2:4])


def static_method(x):
    layer = Layer(W, B)
    return np.sum(layer.scale(x))


@pytest.mark.parametrize("f, message", [
    (grows, r"`grow` changed its argument 1 in place"),
    (bound_method_in_a_variable, r"test_methods.py:\d+:\d+: the function called here "
                                 r"\(`forward`\) holds numbers that depend on the inputs"),
    (partial_of_the_inputs, r"the function called here .* holds numbers|constructing a "
                            r"`partial` from values that depend on the inputs"),
    (static_method, r"`.scale\(...\)` as a method of a class of yours .* on a Layer it is "
                    r"a static or class method"),
], ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_refused(f, message, mode):
    x = P.copy()
    with pytest.raises(diffc.DiffcError, match=message):
        if mode == "grad":
            diffc.grad(f)(x)
        else:
            diffc.jvp(f)(x, np.ones_like(x))
    np.testing.assert_array_equal(x, P)


# ----------------------------------------------------------------- plain classes
class Simulator:
    """A class with an __init__ of its own holding its settings and a damping array."""

    def __init__(self, dt, n):
        self.dt = dt
        self.n = n
        self.damping = np.array([0.1, 0.2])
        self.calls = 0

    def force(self, x, k):
        return -k * x - self.damping * x

    def run(self, x0, k):
        x = x0.copy()
        v = np.zeros_like(x0)
        for _ in range(self.n):
            a = self.force(x, k)        # a method calling another
            v = v + self.dt * a
            x = x + self.dt * v
        return np.sum(x ** 2) + k * x[0]

    def counted(self, x):
        self.calls += 1                 # changes the object: refused
        return np.sum(x)


SIM = Simulator(0.05, 20)


def run_module_level_object(x0, k):
    return SIM.run(x0, k)


def run_object_argument(x0, k, sim):
    return sim.run(x0, k)


def counts(x, sim):
    return sim.counted(x * 2.0)


X0, K = np.array([1.0, -0.5]), 2.0


@pytest.mark.parametrize("f, extra", [(SIM.run, ()), (run_module_level_object, ()),
                                      (run_object_argument, (SIM,))],
                         ids=["bound method", "module-level object", "object argument"])
def test_methods_of_a_plain_object(f, extra):
    g0, g1 = diffc.grad(f, wrt=(0, 1))(X0.copy(), K, *extra)
    np.testing.assert_allclose(g0, numeric_grad(lambda x: f(x, K, *extra), [X0.copy()]),
                               rtol=1e-6)
    np.testing.assert_allclose(g1, (f(X0, K + 1e-6, *extra) - f(X0, K - 1e-6, *extra)) / 2e-6,
                               rtol=1e-6)
    v = np.array([0.3, -1.0])
    _, t = diffc.jvp(f)(X0.copy(), K, *extra, v)
    np.testing.assert_allclose(t, g0 @ v, rtol=1e-6)
    gx = diffc.grad(f)
    h = np.array([numeric_grad(lambda x: gx(x, K, *extra)[j], [X0.copy()]) for j in range(2)])
    np.testing.assert_allclose(diffc.hessian(f)(X0.copy(), K, *extra), h, rtol=1e-5, atol=1e-7)
    assert SIM.calls == 0


def test_method_changing_a_plain_object_is_refused():
    sim = Simulator(0.05, 20)
    with pytest.raises(diffc.DiffcError, match=r"`counted` changed its argument 1 in place"):
        diffc.grad(counts)(X0.copy(), sim)
    assert sim.calls == 0
