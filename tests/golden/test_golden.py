"""Golden tests: the generated source of representative functions, byte for byte."""
import os
import subprocess
import sys

import numpy as np
import pytest

import diffc

from . import functions

HERE = os.path.dirname(__file__)
CASES = {
    "straight_line": (functions.straight_line, 0),
    "loop_with_branch": (functions.loop_with_branch, 0),
    "helper_call": (functions.helper_call, 0),
}


def generated(name):
    fn, wrt = CASES[name]
    return diffc.source(diffc.grad(fn, wrt=wrt))


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_source(name):
    with open(os.path.join(HERE, f"{name}.txt")) as f:
        expected = f.read()
    assert generated(name) == expected, (
        f"generated source of {name} changed; review and run `python -m tests.golden.regen`")


def test_source_is_identical_in_a_fresh_process():
    """Byte-identical output across runs (no id()- or hash-order-dependent names)."""
    code = ("import sys; sys.path.insert(0, %r)\n"
            "from tests.golden.test_golden import generated\n"
            "print(generated('loop_with_branch') + generated('helper_call'), end='')"
            % os.path.dirname(os.path.dirname(HERE)))
    out = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONHASHSEED": seed}, check=True).stdout
           for seed in ("1", "2")]
    assert out[0] == out[1] == generated("loop_with_branch") + generated("helper_call")


def _fd(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = eps
        g.flat[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def test_golden_functions_are_correct():
    rng = np.random.default_rng(1)
    x = rng.normal(size=5)
    w = rng.normal(size=5)
    cases = [(lambda x: functions.straight_line(x, w), diffc.grad(functions.straight_line), (w,)),
             (lambda x: functions.loop_with_branch(x, 5), diffc.grad(functions.loop_with_branch), (5,)),
             (functions.helper_call, diffc.grad(functions.helper_call), ())]
    for f, df, rest in cases:
        np.testing.assert_allclose(df(x, *rest), _fd(f, x), rtol=1e-6, atol=1e-8)
