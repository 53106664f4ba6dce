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


# ------------------------------------------------------------------ functions held in variables
# (called through a local variable, an item of a list or dict, a helper's parameter:
# backend/dynamic.py builds the derivative of the function when the call runs)

def relu(v):
    return np.maximum(v, 0.0) + 0.1 * v


def cube(v):
    return v * v * v


def scaled(v, k):
    return v * k


ACTIVATIONS = {"tanh": np.tanh, "relu": relu, "cube": cube}


def apply(g, v):
    return g(v) + v


def through_a_helper(x):
    return np.sum(apply(cube, x) * apply(np.sin, x))


def through_a_list(x):
    total = 0.0
    for g in [np.sin, cube, relu]:
        total = total + np.sum(g(x) * x)
    return total


def through_a_dict(x, name):
    act = ACTIVATIONS[name]
    h = act(x * 2.0)
    return np.sum(h * h) + np.sum(ACTIVATIONS["cube"](x))


def with_several_arguments(x):
    fs = {"scale": scaled}
    k = np.sum(x)
    return np.sum(fs["scale"](x, k) ** 2) + np.sum(fs["scale"](x, 3))


CALLED = [(through_a_helper, ()), (through_a_list, ()), (through_a_dict, ("tanh",)),
          (through_a_dict, ("relu",)), (through_a_dict, ("cube",)), (with_several_arguments, ())]


@pytest.mark.parametrize("f, extra", CALLED,
                         ids=[f"{f.__name__}-{extra}" for f, extra in CALLED])
def test_functions_held_in_variables_all_modes(f, extra):
    def fx(x):
        return f(x, *extra)
    ref = numeric_grad(fx, [X4.copy()])
    np.testing.assert_allclose(diffc.grad(f)(X4.copy(), *extra), ref, rtol=1e-6, atol=1e-9)
    v = np.array([0.5, -1.0, 0.25, 2.0])
    _, t = diffc.jvp(f)(X4.copy(), *extra, v)
    np.testing.assert_allclose(t, ref @ v, rtol=1e-6, atol=1e-9)
    grad = diffc.grad(f)
    hess = np.array([numeric_grad(lambda y: grad(y, *extra)[j], [X4.copy()]) for j in range(4)])
    np.testing.assert_allclose(diffc.hessian(f)(X4.copy(), *extra), hess, rtol=1e-5, atol=1e-6)


def writes_into_its_argument(v):
    v[0] = 5.0
    return np.sum(v)


def calls_a_function_that_writes(x):
    g = writes_into_its_argument
    y = x * 1.0
    return g(y) + np.sum(y)


def calls_with_a_keyword(x):
    g = scaled
    return np.sum(g(x, k=2.0))


def test_function_held_in_a_variable_that_writes_into_its_argument_is_refused():
    with pytest.raises(DiffcError, match="changed its argument 1 in place"):
        diffc.grad(calls_a_function_that_writes)(X4.copy())


def test_function_held_in_a_variable_called_with_keywords_is_refused():
    with pytest.raises(DiffcError, match="positional arguments only"):
        diffc.grad(calls_with_a_keyword)(X4.copy())


def test_third_derivative_through_a_function_held_in_a_variable_is_refused():
    def d2(x):
        return diffc.grad(diffc.grad(scalar_through_a_variable))(x)
    with pytest.raises(DiffcError, match="this higher derivative through it"):
        diffc.grad(diffc.grad(diffc.grad(scalar_through_a_variable)))(0.7)
    assert d2(0.7) == pytest.approx(6 * 0.7 + -np.sin(0.7), rel=1e-9)


def scalar_through_a_variable(x):
    fs = [cube, np.sin]
    return fs[0](x) + fs[1](x)


class Bag:
    """A plain object: diffc does not differentiate with respect to it as a whole."""


def sum_of_squares_of_field(o):
    return np.sum(o.v ** 2)


def passes_a_plain_object_through_a_variable(x):
    o = Bag()
    o.v = x * 2.0
    g = sum_of_squares_of_field
    return g(o)


def test_plain_object_passed_through_a_variable_is_refused_not_zero():
    for run in (lambda: diffc.grad(passes_a_plain_object_through_a_variable)(X4.copy()),
                lambda: diffc.jvp(passes_a_plain_object_through_a_variable)(X4.copy(),
                                                                            np.ones(4))):
        with pytest.raises(DiffcError, match="argument 1, a Bag holding real numbers"):
            run()
