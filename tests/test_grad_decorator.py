"""diffc.grad used as a decorator at module level (the decorator line is part
of the source diffc reads)."""

import numpy as np

import diffc
from fdcheck import numeric_grad

V3 = np.array([0.4, -1.2, 0.9])


def _plain_loss(w, x):
    return np.sum(np.tanh(w * x) ** 2) + np.sum(w * w) * 0.5


@diffc.grad
def dloss(w, x):
    return np.sum(np.tanh(w * x) ** 2) + np.sum(w * w) * 0.5


def _plain_scalar(x):
    y = x
    for i in range(3):
        y = y * x + 1.0
    return y


@diffc.grad
def dscalar(x):
    y = x
    for i in range(3):
        y = y * x + 1.0
    return y


def test_decorated_array():
    x = np.array([1.5, 0.3, -0.8])
    g = dloss(V3, x)
    assert g.shape == V3.shape and g.dtype == V3.dtype
    np.testing.assert_allclose(g, numeric_grad(_plain_loss, (V3, x), wrt=0), rtol=1e-5, atol=1e-7)


def test_decorated_scalar():
    g = dscalar(0.7)
    assert isinstance(g, float)
    # y = ((x*x + 1)*x + 1)*x + 1 = x^4 + x^2 + x + 1
    x = 0.7
    expected = 4 * x ** 3 + 2 * x + 1
    assert abs(g - expected) < 1e-12
    assert abs(g - numeric_grad(_plain_scalar, (x,), wrt=0)) < 1e-6


def test_decorated_has_source():
    assert isinstance(diffc.source(dloss), str)
