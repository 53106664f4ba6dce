"""f-strings (messages: no derivative) and assignment expressions (``:=``) in the
differentiated function: the messages print exactly what Python prints; gradients are
checked against central differences in both modes."""
import contextlib
import io

import numpy as np
import pytest

import diffc
from tests.fdcheck import check_both_modes

X = np.array([0.3, -0.7, 0.5])


def messages(x):
    width = 8
    s = np.sum(x * x)
    print(f"{s!r} {{braces}} {s:{width}.3f} {'text'} {x[0]:>+10.2e} {len(x)}")
    assert s >= 0.0, f"negative {s}"
    return s * np.sin(x[1])


def walrus_condition(x):
    if (n := np.sum(x * x)) > 0.1:
        return n * x[0]
    return x[0]


def walrus_in_a_while(x):
    total = 0.0
    i = 0
    while (i := i + 1) < 3:
        total = total + x[i] * (y := np.tanh(x[i - 1]))
    return total + y


@pytest.mark.parametrize("f", [messages, walrus_condition, walrus_in_a_while],
                         ids=lambda f: f.__name__)
def test_both_modes(f):
    with contextlib.redirect_stdout(io.StringIO()):
        check_both_modes(f, X.copy())


def test_messages_print_what_python_prints():
    out_python, out_diffc = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out_python):
        messages(X.copy())
    with contextlib.redirect_stdout(out_diffc):
        diffc.grad(messages)(X.copy())
    assert out_diffc.getvalue() == out_python.getvalue()
    assert "fstring(" in diffc.source(diffc.grad(messages))
