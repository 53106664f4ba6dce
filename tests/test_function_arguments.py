"""Functions passed as arguments (``loss(model, w, x)`` calling ``model``): the derivative
is built, at the call, for the function passed, and cached per function."""
import numpy as np
import pytest

import diffc
from diffc import DiffcError
from tests.fdcheck import numeric_grad

X4 = np.array([0.3, -0.5, 0.9, 1.3])
W4 = np.array([1.1, 0.4, -0.7, 0.2])


def model_tanh(w, x):
    return np.tanh(w * x)


def model_sin(w, x):
    return np.sin(w) * x ** 2


def loss(model, w, x):
    return np.sum(model(w, x) ** 2)


def test_gradient_follows_the_function_passed():
    g = diffc.grad(loss, wrt=1)
    for model in (model_tanh, model_sin, np.multiply, model_tanh):
        ref = numeric_grad(lambda w: loss(model, w, X4), [W4.copy()])
        np.testing.assert_allclose(g(model, W4, X4), ref, rtol=1e-6, atol=1e-9)
    assert "model_tanh_fwd" in diffc.source(g)        # the last build: for model_tanh


def test_forward_mode_and_value_and_grad():
    v = np.array([0.5, -1.0, 0.25, 2.0])
    for model in (model_tanh, model_sin):
        value, tangent = diffc.jvp(loss, wrt=1)(model, W4, X4, v)
        ref = numeric_grad(lambda w: loss(model, w, X4), [W4.copy()])
        np.testing.assert_allclose(tangent, ref @ v, rtol=1e-6)
        value, grad = diffc.value_and_grad(loss, wrt=(1, 2))(model, W4, X4)
        assert value == pytest.approx(loss(model, W4, X4))
        np.testing.assert_allclose(grad[1], numeric_grad(lambda x: loss(model, W4, x),
                                                         [X4.copy()]), rtol=1e-6)


def other_loss(model, w):
    return np.sum(model(w, w))


def test_source_before_the_first_call_says_why_it_waits():
    g = diffc.grad(other_loss, wrt=1)
    with pytest.raises(DiffcError, match="calls its parameter `model`"):
        diffc.source(g)
