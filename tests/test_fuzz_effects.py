"""Random-program testing of programs with effects (tests/fuzz, ``--effects``).

``test_fuzz_effects_slice`` checks a fixed slice of programs of
``gen.EffectsConfig`` (seeds FUZZ_FX_SEED .. FUZZ_FX_SEED + FUZZ_FX_N - 1;
override with DIFFC_FUZZ_FX_SEED / DIFFC_FUZZ_FX_N / DIFFC_FUZZ_JOBS): NumPy
calls writing into local arrays (``out=``, ``np.copyto``, ``np.add.at``,
``np.put``, ``np.fill_diagonal``, ``operator.setitem``, ``operator.iadd``,
``y.fill``/``y.sort``/``y.put``), helpers writing into their array arguments,
lists read both whole and by item (and list arguments of ``f``), decorated
helpers and a decorated ``f``. diffc must give the exact gradient or refuse
with a DiffcError. Reproduce one seed with
``python -m tests.fuzz --effects --seeds S --shrink``.

The other tests check the oracle on what these programs need: fresh copies
of list arguments, modified arguments caught, list-valued gradients,
refusals counted per kind, np.clip and sorting treated as switches.
"""
import os
import re

import numpy as np
import pytest

import diffc
from tests.fuzz import oracle
from tests.fuzz.gen import Config, EffectsConfig, Program, generate, generate_one
from tests.fuzz.oracle import Loaded, _read_only, copy_args, evaluate, same_args, setup_worker
from tests.fuzz.runner import Summary, check_slice
from tests.fuzz.shrink import regression_test

FUZZ_FX_SEED = int(os.environ.get("DIFFC_FUZZ_FX_SEED", "40000"))
FUZZ_FX_N = int(os.environ.get("DIFFC_FUZZ_FX_N", "150"))
FUZZ_JOBS = int(os.environ.get("DIFFC_FUZZ_JOBS", str(min(2, os.cpu_count() or 1))))


def test_fuzz_effects_slice():
    _, report = check_slice(range(FUZZ_FX_SEED, FUZZ_FX_SEED + FUZZ_FX_N), jobs=FUZZ_JOBS,
                            config=EffectsConfig)
    if report is not None:
        pytest.fail(report, pytrace=False)


# ------------------------------------------------------------------ generator
def test_effects_generation_is_deterministic_and_separate():
    for s in (0, 1, 17, 123456):
        a, b = generate(s, EffectsConfig), generate(s, EffectsConfig)
        assert a.source == b.source and repr(a.args) == repr(b.args)
        assert a.wrt == b.wrt and a.extra_wrt == b.extra_wrt
        assert generate_one(s, 2, 1, EffectsConfig).source == generate_one(s, 2, 1, EffectsConfig).source
        # the default programs know nothing of the effect shapes
        d = generate(s)
        assert d.source.startswith("import numpy as np\n") and "functools" not in d.source
    assert Config.effects is False


SHAPES = {
    "out= keyword": r"out=v\d+\)",
    "positional out": r"np\.(add|subtract|multiply)\(v\d+, .*, v\d+\)$",
    "np.copyto": r"np\.copyto\(",
    "ufunc.at": r"np\.(add|subtract|multiply)\.at\(",
    "np.put": r"np\.put\(",
    "method put": r"v\d+\.put\(",
    "np.fill_diagonal": r"np\.fill_diagonal\(",
    "np.clip out=": r"np\.clip\(.*out=",
    "operator.setitem": r"operator\.setitem\(",
    "operator.iadd": r"operator\.i(add|sub|mul)\(",
    "fill": r"\.fill\(",
    "sort": r"\.sort\(",
    "assigned out= result": r"v\d+ = np\.\w+\(.*out=",
    "copy in a helper": r"^    v\d+ = [a-g]\.copy\(\)",
    "helper writes its argument": r"^    [a-g] \*= |^    [a-g]\[1:\] = |^    np\.multiply\([a-g], 2\.0, out=[a-g]\)",
    "helper call as a statement": r"^    h\d+\(v\d+",
    "helper call tested by if": r"^    if (np\.sum\()?h\d+\(v\d+",
    "helper returns its argument": r"^    return [a-g]$",
    "list read whole and by item": (r"np\.(stack|array)\(ls\d+\).* \+ ls\d+\["
                                    r"|ls\d+\[.*\] [-+*] np\.(stack|array|sum|mean)\("),
    "list passed to a helper": r"h\d+\(.*\bls\d+\b",
    "decorated helper": r"^@\w+.*\ndef h\d+",
    "decorated f": r"^@\w+.*\ndef f\(",
    "functools.wraps": r"@functools\.wraps\(fn\)",
}


def test_effects_programs_cover_the_shapes_and_are_valid_python():
    found = {k: 0 for k in SHAPES}
    list_args = {"floats": 0, "arrays": 0}
    for s in range(300):
        p = generate(s, EffectsConfig)
        compile(p.source, f"<effects seed {s}>", "exec")
        assert p.source.startswith("import functools\nimport operator\n\nimport numpy as np\n")
        for k, pat in SHAPES.items():
            if re.search(pat, p.source, re.M):
                found[k] += 1
        for a in p.args:
            if isinstance(a, list):
                list_args["arrays" if isinstance(a[0], np.ndarray) else "floats"] += 1
    missing = [k for k, n in found.items() if n == 0]
    assert not missing, (missing, found)
    assert min(list_args.values()) > 0, list_args


def test_effects_programs_never_modify_their_arguments():
    setup_worker()
    for s in range(120):
        p = generate(s, EffectsConfig)
        loaded = Loaded(p.source, p.fname)
        try:
            args = _read_only(copy_args(p.args))       # a write into an argument raises
            with np.errstate(all="ignore"):
                try:
                    loaded.f(*args)
                except (FloatingPointError, OverflowError):
                    continue
            assert same_args(args, p.args), (s, p.source)
        finally:
            loaded.close()


# --------------------------------------------------------------------- oracle
def _prog(src, args, wrt=(0,)):
    return Program(0, src, args, wrt)


LIST_SRC = """import numpy as np


def f(xs):
    return xs[0] * 2.0 + xs[1] * xs[2]
"""

ARRAY_SRC = """import numpy as np


def f(x):
    return np.sum(np.sin(x))
"""

LIST_OF_ARRAYS_SRC = """import numpy as np


def f(xs):
    return np.sum(xs[0] * xs[1]) + np.sum(np.stack(xs))
"""

RAGGED_SRC = """import numpy as np


def f(xs):
    return np.sum(xs[0]) * xs[1]
"""


def _fake_value_and_grad(grads, mutate=None):
    """Stands in for diffc.value_and_grad: the right value, the given gradients,
    and ``mutate(args)`` applied to the arguments it is called with."""
    def build(f, wrt):
        def vg(*args):
            value = f(*copy_args(args))
            if mutate is not None:
                mutate(args)
            return value, tuple(grads)
        return vg
    return build


def test_oracle_copies_arguments_and_catches_a_modified_one(monkeypatch):
    setup_worker()
    x = np.array([0.3, -0.2])
    right = (np.cos(x),)

    def scale(args):
        np.multiply(args[0], 2.0, out=args[0])
    monkeypatch.setattr(oracle.diffc, "value_and_grad", _fake_value_and_grad(right))
    assert evaluate(_prog(ARRAY_SRC, (x,))).cls == "OK"
    monkeypatch.setattr(oracle.diffc, "value_and_grad", _fake_value_and_grad(right, scale))
    o = evaluate(_prog(ARRAY_SRC, (x,)))
    assert (o.cls, o.kind) == ("WRONG", "an argument was modified")
    assert np.array_equal(x, [0.3, -0.2])           # the sample itself is untouched


@pytest.mark.parametrize("mutate", [
    lambda args: args[0][0].__imul__(2.0),          # an array inside the list, in place
    lambda args: args[0].__setitem__(1, np.zeros(2)),    # an item replaced
    lambda args: args[0].append(np.zeros(2)),       # the list grown
])
def test_oracle_catches_a_modified_list_argument(monkeypatch, mutate):
    setup_worker()
    xs = [np.array([0.5, -1.0]), np.array([2.0, 0.25])]
    right = (np.stack([xs[1] + 1.0, xs[0] + 1.0]),)
    monkeypatch.setattr(oracle.diffc, "value_and_grad", _fake_value_and_grad(right))
    assert evaluate(_prog(LIST_OF_ARRAYS_SRC, (xs,))).cls == "OK"
    monkeypatch.setattr(oracle.diffc, "value_and_grad", _fake_value_and_grad(right, mutate))
    o = evaluate(_prog(LIST_OF_ARRAYS_SRC, (xs,)))
    assert (o.cls, o.kind) == ("WRONG", "an argument was modified")


def test_a_program_modifying_its_argument_is_invalid():
    setup_worker()
    src = """import numpy as np


def f(x, xs):
    x *= 2.0
    return np.sum(x) + xs[0]
"""
    o = evaluate(_prog(src, (np.array([0.5, 1.0]), [1.0, 2.0]), (0, 1)))
    assert (o.cls, o.kind) == ("INVALID", "the program modifies its arguments")
    for write in ("    xs[0] = 3.0\n",                             # a list argument
                  "    y = x\n    np.multiply(y, 1.0, out=y)\n",  # values unchanged: still a write
                  "    y = xs[1]\n    y.sort()\n",
                  "    np.add.at(x, [0], 1.0)\n"):                   # ignores the read-only flag
        src2 = src.replace("    x *= 2.0\n", write)
        xs = [1.0, np.array([1.0, 2.0])] if "xs[1]" in write else [1.0, 2.0]
        o = evaluate(_prog(src2, (np.array([0.5, 1.0]), xs), (0, 1)))
        assert (o.cls, o.kind) == ("INVALID", "the program modifies its arguments"), write


@pytest.mark.parametrize("grad,expected", [
    (np.array([2.0, 3.0, 2.0]), ("OK", "")),
    (np.array([2.0, 3.0, 2.5]), ("WRONG", "gradient mismatch")),
    ([2.0, 3.0, 2.0], ("WRONG", "gradient type/shape (list argument)")),     # documented: an array
    (np.array([2.0, 3.0]), ("WRONG", "gradient type/shape (list argument)")),
    (np.array([2, 3, 2]), ("WRONG", "gradient type/shape (list argument)")),  # not float64
])
def test_list_gradient_compared(monkeypatch, grad, expected):
    setup_worker()
    monkeypatch.setattr(oracle.diffc, "value_and_grad", _fake_value_and_grad((grad,)))
    o = evaluate(_prog(LIST_SRC, ([1.0, 2.0, 3.0],)))
    assert (o.cls, o.kind) == expected, o.msg


@pytest.mark.parametrize("grad,expected", [
    ([np.array([2.0, 2.0]), 1.5], "OK"),
    ([np.array([2.0, 2.0]), 2.5], "WRONG"),
    (np.array([2.0, 2.0, 1.5]), "WRONG"),
    ([np.array([2.0, 2.0])], "WRONG"),
])
def test_gradient_of_a_list_of_differently_shaped_items(monkeypatch, grad, expected):
    setup_worker()
    monkeypatch.setattr(oracle.diffc, "value_and_grad", _fake_value_and_grad((grad,)))
    o = evaluate(_prog(RAGGED_SRC, ([np.array([0.5, 1.0]), 2.0],)))
    assert o.cls == expected, (o.kind, o.msg)


def test_list_argument_with_real_diffc_and_its_regression_test(tmp_path):
    setup_worker()
    o = evaluate(_prog(LIST_SRC, ([1.0, 2.0, 3.0],)))
    assert o.cls in ("OK", "REFUSED"), (o.kind, o.msg)
    # the printed regression test handles list arguments
    path = tmp_path / "test_list_regression.py"
    path.write_text(regression_test(o, seed=7))
    import importlib.util
    spec = importlib.util.spec_from_file_location("test_list_regression", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    fd = mod._fuzz_fd(mod.f_s7, ([1.0, 2.0, 3.0],), 0)
    np.testing.assert_allclose(fd, [2.0, 3.0, 2.0], rtol=1e-6)
    if o.cls == "OK":
        mod.test_fuzz_seed_s7()


def test_refusals_counted_per_message_kind(monkeypatch):
    setup_worker()
    names = iter(["v3", "v12", "ls4", "a"])

    def refuse(f, wrt):
        def vg(*args):
            n = next(names)
            if n == "a":
                raise diffc.UnsupportedError(f"diffc cannot differentiate through `{n}.fill(...)`")
            raise diffc.DiffcError(f"`{n} op= ...` updates the array {n} in place")
        return vg
    monkeypatch.setattr(oracle.diffc, "value_and_grad", refuse)
    outs = []
    for k in range(4):
        o = evaluate(_prog(ARRAY_SRC, (np.array([0.1 * k, 0.2]),)))
        o.seed = k
        outs.append(o)
    assert [o.cls for o in outs] == ["REFUSED"] * 4
    s = Summary(outs, 1.0)
    kinds = {k: seeds for (c, k), seeds in s.by_kind.items() if c == "REFUSED"}
    assert kinds == {"DiffcError: `V op= ...` updates the array V in place": [0, 1, 2],
                     "UnsupportedError: diffc cannot differentiate through `V.fill(...)`": [3]}
    assert "REFUSED: 4" in s.text()


@pytest.mark.parametrize("body,x,ok", [
    ("y = x.copy()\n    np.clip(y, -0.5, 0.5, out=y)", [0.5000001, 0.1], False),
    ("y = x.copy()\n    np.clip(y, -0.5, 0.5, out=y)", [0.7, 0.1], True),
    ("y = np.zeros(2)\n    np.clip(x, -0.5, 0.5, out=y)", [-0.4999999, 0.1], False),
    ("y = x.copy()\n    y.sort()", [0.3, 0.3000001], False),
    ("y = x.copy()\n    y.sort()", [0.9, 0.3], True),
])
def test_clip_and_sort_are_switches(body, x, ok):
    """Near a bound of np.clip, or near a tie of a sort, finite differences are
    not a fair test: the sample is rejected (never a WRONG)."""
    setup_worker()
    src = f"import numpy as np\n\n\ndef f(x):\n    {body}\n    return y[0] * 2.0 + y[1] * 3.0\n"
    o = evaluate(_prog(src, (np.array(x),)))
    if ok:
        assert o.cls in ("OK", "WRONG", "REFUSED", "CRASH"), (o.cls, o.kind)
    else:
        assert (o.cls, o.kind) == ("REJECT", "comparison margin too small")
