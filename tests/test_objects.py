"""NamedTuples and dataclasses of arrays as arguments in wrt: the gradient comes back as
the same kind of object (as JAX's pytrees do), tangents are given as one; fields read in
the function are differentiated in both modes."""
import dataclasses
from typing import NamedTuple

import numpy as np
import pytest

import diffc
from tests.fdcheck import numeric_grad

X4 = np.array([0.3, -0.5, 0.9, 1.3])


class Params(NamedTuple):
    w: np.ndarray
    b: float


@dataclasses.dataclass(frozen=True)
class FrozenParams:
    w: np.ndarray
    b: float


@dataclasses.dataclass
class MutableParams:
    w: np.ndarray
    b: float


def loss(p, x):
    h = np.tanh(p.w * x + p.b)
    return np.sum(h ** 2) + p.b * p.w[0]


def _reference(cls, p):
    e = 1e-6
    gb = (loss(cls(p.w, p.b + e), X4) - loss(cls(p.w, p.b - e), X4)) / (2 * e)
    gw = numeric_grad(lambda w: loss(cls(w, p.b), X4), [p.w.copy()])
    return gw, gb


@pytest.mark.parametrize("cls", [Params, FrozenParams, MutableParams])
def test_gradient_is_the_same_kind_of_object(cls):
    p = cls(np.array([1.0, -2.0, 0.5, 0.3]), 0.7)
    g = diffc.grad(loss)(p, X4)
    assert type(g) is cls and isinstance(g.b, float) and g.w.shape == (4,)
    gw, gb = _reference(cls, p)
    np.testing.assert_allclose(g.w, gw, rtol=1e-6)
    assert g.b == pytest.approx(gb, rel=1e-6)
    np.testing.assert_array_equal(p.w, [1.0, -2.0, 0.5, 0.3])     # not modified


@pytest.mark.parametrize("cls", [Params, FrozenParams])
def test_forward_mode_takes_a_tangent_of_the_same_kind(cls):
    p = cls(np.array([1.0, -2.0, 0.5, 0.3]), 0.7)
    t = cls(np.array([0.1, 0.2, -0.3, 0.5]), 0.4)
    value, tangent = diffc.jvp(loss)(p, X4, t)
    gw, gb = _reference(cls, p)
    assert tangent == pytest.approx(gw @ t.w + gb * t.b, rel=1e-6)
    assert value == pytest.approx(loss(p, X4))
