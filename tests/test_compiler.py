"""Tests of compiler mechanisms: deferred builds, alias guards, passes, the CLI."""
import subprocess
import sys

import numpy as np
import pytest

import diffc
from fdcheck import numeric_grad


@diffc.grad
def decorated_power(x, n):
    """x ** n by recursion; the global name `decorated_power` is the gradient."""
    if n == 0:
        return 1.0
    return x * decorated_power(x, n - 1)


@diffc.grad
def decorated_uses_later_helper(x):
    return later_helper(x) * 2.0


def later_helper(x):
    return np.sin(x) * x


def test_decorated_recursive_function_means_the_original():
    assert decorated_power(1.3, 4) == pytest.approx(4 * 1.3 ** 3, rel=1e-12)


def test_decorator_waits_for_helpers_defined_later():
    x = 0.7
    assert decorated_uses_later_helper(x) == pytest.approx(2 * (np.cos(x) * x + np.sin(x)))
    assert "later_helper_bwd" in diffc.source(decorated_uses_later_helper)


def alias_then_augment(x):
    y = x * 1.0
    z = y
    z += 1.0
    return np.sum(y * x)


def first_element_accumulator(x):
    s = x[0]
    for i in range(1, x.shape[0]):
        s += x[i] * x[i]
    return s


def test_augmented_assignment_on_shared_array_is_refused():
    with pytest.raises(diffc.DiffcError, match="shares memory with `y`"):
        diffc.grad(alias_then_augment)(np.array([1.0, 2.0, 3.0]))


def test_augmented_assignment_on_scalar_element_is_fine():
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(diffc.grad(first_element_accumulator)(x),
                               numeric_grad(first_element_accumulator, (x,), wrt=0), rtol=1e-6)


def through_str(x):
    return float(str(x)) * 2.0


def test_str_of_a_differentiable_value_is_refused_not_zero():
    with pytest.raises(diffc.DiffcError, match="no derivative rule"):
        diffc.grad(through_str)


def scalar_loop(x):
    for i in range(100):
        x = x * 0.999 + np.sin(x)
    return x


def test_scalar_loop_records_only_the_loop_carried_value():
    src = diffc.source(diffc.grad(scalar_loop))
    assert src.count("_stack = []") == 1 and "x_stack = []" in src
    assert "unbroadcast" not in src


def test_generated_code_has_no_self_copies():
    from tests.golden.test_golden import CASES, generated
    for name in CASES:
        for line in generated(name).splitlines():
            parts = line.strip().split(" = ")
            assert not (len(parts) == 2 and parts[0] == parts[1]), line


def test_cli_show_prints_the_derivative_and_ir(tmp_path):
    mod = tmp_path / "model.py"
    mod.write_text("import numpy as np\n\ndef f(x, y):\n    return np.sum(np.sin(x) * y)\n")
    out = subprocess.run([sys.executable, "-m", "diffc.cli", "show", f"{mod}:f", "--wrt", "0,1",
                          "--ir"], capture_output=True, text=True, check=True).stdout
    assert "# IR of f(x, y)" in out and "def f_bwd(" in out and "def df(x, y):" in out


def test_cli_reports_errors_without_traceback(tmp_path):
    mod = tmp_path / "bad.py"
    mod.write_text("def f(x):\n    with open('z'):\n        pass\n    return x\n")
    res = subprocess.run([sys.executable, "-m", "diffc.cli", "show", f"{mod}:f"],
                         capture_output=True, text=True)
    assert res.returncode == 1
    assert "bad.py:2:5" in res.stderr and "Traceback" not in res.stderr


def or_value(a, b):
    y = a or b                  # lowered as: y = a; if not y: y = b  (the test is reassigned)
    return y * 3.0


@pytest.mark.parametrize("a,b,expected", [(0.0, 2.0, (0.0, 3.0)), (1.5, 2.0, (3.0, 0.0))])
def test_branch_decision_survives_reassignment_of_its_test(a, b, expected):
    assert diffc.grad(or_value, wrt=(0, 1))(a, b) == pytest.approx(expected)


def test_functions_defined_in_a_notebook_cell():
    """IPython and Jupyter keep cell sources in linecache under made-up file names."""
    import linecache
    src = "import numpy as np\n\ndef cell_fn(x):\n    return np.sum(np.tanh(x) ** 2)\n"
    filename = "<ipython-input-7-0123456789ab>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    namespace = {}
    exec(compile(src, filename, "exec"), namespace)
    f = namespace["cell_fn"]
    x = np.array([0.3, -1.2])
    np.testing.assert_allclose(diffc.grad(f)(x), numeric_grad(f, (x,), wrt=0), rtol=1e-6)
    assert "cell_fn_bwd" in diffc.source(diffc.grad(f))


def test_generated_code_shows_in_tracebacks():
    """Generated source is registered with linecache, so tracebacks show its lines."""
    import traceback
    df = diffc.grad(through_log)
    try:
        df(np.array([1.0, 2.0]), "not a number")
    except TypeError:
        text = traceback.format_exc()
    assert "through_log_fwd" in text and "<diffc-" in text


def through_log(x, scale):
    return np.sum(np.log(x) * scale)


def invariant_in_loop(x, w):
    s = x
    for i in range(20):
        s = np.tanh(s) * 0.9 + 0.1 * np.sin(w)
    return np.sum(s)


def invariant_in_nested_loops(x, w):
    s = 0.0
    for i in range(3):
        for j in range(4):
            s = s + np.sin(w) * x * j
    return np.sum(s)


@pytest.mark.parametrize("f", [invariant_in_loop, invariant_in_nested_loops])
def test_loop_invariant_values_are_computed_once(f):
    x, w = np.array([0.2, -0.4]), np.array([1.1, 0.3])
    df = diffc.grad(f, wrt=(0, 1))
    for g, k in zip(df(x, w), (0, 1)):
        np.testing.assert_allclose(g, numeric_grad(f, (x, w), wrt=k), rtol=1e-6, atol=1e-9)
    bwd = diffc.source(df).split("_bwd(")[1]
    first_loop = bwd.index("for ")
    assert bwd.index("cos_w = np.cos(w)") < first_loop
