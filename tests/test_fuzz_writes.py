"""Random-program testing of writes into arrays (tests/fuzz, ``--writes``).

``test_fuzz_writes_slice`` checks a fixed slice of programs of
``gen.WritesConfig`` (seeds FUZZ_WR_SEED .. FUZZ_WR_SEED + FUZZ_WR_N - 1;
override with DIFFC_FUZZ_WR_SEED / DIFFC_FUZZ_WR_N / DIFFC_FUZZ_JOBS):
``y[i] = e`` and ``y[i] op= e`` at elements, slices, rows, columns, masks and
index arrays with repeats, on arrays made in the function and on its
arguments; arrays filled in loops, recurrences, overwrite-then-read, stencils,
writes in branches and while loops, views read after a write. Each program is
checked in reverse mode (value_and_grad) and forward mode (jvp along a random
tangent) against central finite differences, and diffc must leave the
caller's arrays unchanged; it may refuse with a DiffcError instead. Reproduce
one seed with ``python -m tests.fuzz --writes --seeds S --shrink``.

When this slice was chosen, seed 50147 failed on a real diffc bug (reverse
mode, WRONG: ``v[[2, 3, 0, 3]] = v`` writes an array into part of itself and
the item's adjoint was lost, as in ``x[:] = x``); fixed in e0b299a, after
which the whole slice passes. A failing seed here is never marked xfail.

The other tests check the generator (coverage of the write shapes, valid
programs) and the oracle on what these programs need: programs that write
into their own arguments, forward mode compared with the derivative along the
tangent, arguments and tangents modified by a derivative caught, a view read
after a write refused, the shrinker keeping tangents, regression tests that
run both modes on fresh copies.
"""
import importlib.util
import os
import re

import numpy as np
import pytest

import diffc
from tests.fuzz import oracle
from tests.fuzz.gen import Config, EffectsConfig, Program, WritesConfig, generate, generate_one
from tests.fuzz.oracle import Loaded, copy_args, evaluate, setup_worker
from tests.fuzz.runner import check_slice, cli_flags
from tests.fuzz.shrink import regression_test, shrink

FUZZ_WR_SEED = int(os.environ.get("DIFFC_FUZZ_WR_SEED", "50000"))
FUZZ_WR_N = int(os.environ.get("DIFFC_FUZZ_WR_N", "150"))
FUZZ_JOBS = int(os.environ.get("DIFFC_FUZZ_JOBS", str(min(2, os.cpu_count() or 1))))


def test_fuzz_writes_slice():
    _, report = check_slice(range(FUZZ_WR_SEED, FUZZ_WR_SEED + FUZZ_WR_N), jobs=FUZZ_JOBS,
                            config=WritesConfig)
    if report is not None:
        pytest.fail(report, pytrace=False)


# ------------------------------------------------------------------ generator
def test_writes_generation_is_deterministic_and_separate():
    for s in (0, 1, 17, 123456):
        a, b = generate(s, WritesConfig), generate(s, WritesConfig)
        assert a.source == b.source and repr(a.args) == repr(b.args)
        assert a.wrt == b.wrt and a.extra_wrt == b.extra_wrt
        assert repr(a.tangents) == repr(b.tangents)
        assert a.writes and set(a.tangents) == set(a.wrt)
        for i in a.wrt:
            assert np.shape(a.tangents[i]) == np.shape(a.args[i])
            assert type(a.tangents[i]) is type(a.args[i])
        # the other programs know nothing of writes or tangents
        for cfg in (Config, EffectsConfig):
            d = generate(s, cfg)
            assert not d.writes and d.tangents is None
    assert Config.writes is False and Config.forward is False and EffectsConfig.writes is False
    assert cli_flags(WritesConfig) == "--writes "


SHAPES = {
    "fill loop": r"^\s+v\d+\[i\d+\] = ",
    "np.empty filled": r"np\.empty(_like)?\(",
    "recurrence": r"\[i\d+\] = .*\[i\d+ - 1\]",
    "backward recurrence": r"\[i\d+\] = .*\[i\d+ \+ 1\]",
    "overwrite then read": r"^\s+(v\d+\[[^\]\n]+\]) = .*\n\s+\1 = .*\1",
    "+=": r"\w\[[^\]\n]+\] \+= ",
    "-=": r"\w\[[^\]\n]+\] -= ",
    "*=": r"\w\[[^\]\n]+\] \*= ",
    "/=": r"\w\[[^\]\n]+\] /= ",
    "**=": r"\w\[[^\]\n]+\] \*\*= ",
    "u[1:-1] *=": r"\[1:-1\] \*= ",
    "a[i, j]": r"\w\[i\d+, i\d+\] = ",
    "a[:, j]": r"\w\[:, [^\]\n]+\] [-+*/]?=",
    "a row": r"\w\[i\d+(, :)?\] = ",
    "stencil": r"\[1:-1\] = .*\[1:-1\] \+ .*\[2:\] - 2 \* .*\[:-2\]",
    "mask": r"\w\[[^\]\n]*[<>]=? [^\]\n]*\] [-+*]?= ",
    "index array": r"\w\[(np\.array\()?\[[-\d, ]+\]\)?\] [-+*/]?\*?= ",
    "repeated index": r"\w\[(np\.array\()?\[(?=[-\d, ]*\b(-?\d+)\b[-\d, ]*\b\2\b)[-\d, ]+\]\)?\] [-+*/]?=",
    "write into an argument": r"^\s+x\d\[[^\]\n]*\] [-+*/]?\*?= ",
    "write in a branch": r"^\s+(if|else|elif).*:\n\s+v\d+\[[^\n]*\] [-+*/]?=",
    "write in a while loop": r"^\s+v\d+\[k\d+\] [-+]?= ",
    "view read after a write": r"^    (v\d+) = v\d+(\[[^\]\n]*\]|\.T|\.reshape\([^)\n]*\))?\n    v\d+\[",
    "y[i][j] = e": r"\]\[[^\]\n]+\] [-+]?= ",
    "np.zeros_like": r"np\.zeros_like\(",
    "np.full": r"np\.full\(",
    "np.copy": r"np\.copy\(",
    "x.copy()": r"\.copy\(\)",
    "np.array": r"= np\.array\(",
    "write in a helper": r"^def h\d+\(.*\n(    .*\n)*?    +v\d+\[[^\n]*\] [-+*/]?=",
}


def test_writes_programs_cover_the_shapes_and_are_valid_python():
    found = {k: 0 for k in SHAPES}
    for s in range(300):
        p = generate(s, WritesConfig)
        compile(p.source, f"<writes seed {s}>", "exec")
        for k, pat in SHAPES.items():
            if re.search(pat, p.source, re.M):
                found[k] += 1
    missing = [k for k, n in found.items() if n == 0]
    assert not missing, (missing, found)


def test_writes_programs_run_and_their_samples_are_mostly_fair():
    """The primal runs (no INVALID); most first samples are fair FD tests."""
    setup_worker()
    fair = 0
    for s in range(40):
        p = generate(s, WritesConfig)
        loaded = Loaded(p.source, p.fname)
        try:
            r = oracle.validate(p, loaded)
        finally:
            loaded.close()
        assert not (isinstance(r, oracle.Outcome) and r.cls == "INVALID"), (s, r.kind, r.msg, p.source)
        fair += not isinstance(r, oracle.Outcome)
    assert fair >= 25, fair


# --------------------------------------------------------------------- oracle
def _prog(src, args, wrt=(0,), tangents=None, writes=True):
    if tangents is None and writes:
        tangents = {i: (np.linspace(-0.7, 0.9, np.size(args[i])).reshape(np.shape(args[i]))
                        if isinstance(args[i], np.ndarray) else 0.6) for i in wrt}
    return Program(0, src, args, wrt, writes=writes, tangents=tangents)


WRITES_ARG_SRC = """import numpy as np


def f(x, c):
    x[0] = x[1] ** 2
    x[2:] *= c
    return np.sum(x * x)
"""

X3 = np.array([0.4, -0.8, 1.1, 0.3])


def test_a_program_writing_into_its_argument_is_checked_not_invalid():
    setup_worker()
    o = evaluate(_prog(WRITES_ARG_SRC, (X3.copy(), 0.7), (0, 1)))
    assert o.cls == "OK", (o.cls, o.kind, o.msg)
    # the same program outside --writes: the generator's fault
    o = evaluate(_prog(WRITES_ARG_SRC, (X3.copy(), 0.7), (0, 1), writes=False))
    assert (o.cls, o.kind) == ("INVALID", "the program modifies its arguments")


def _fake_jvp(tangent_of, mutate=None):
    """Stands in for diffc.jvp: the right value, ``tangent_of(args, tangents)``,
    and ``mutate(args, tangents)`` applied to what it is called with."""
    def build(f, wrt):
        def jf(*args):
            *args, tangents = args
            value = f(*copy_args(args))
            t = tangent_of(args, tangents)
            if mutate is not None:
                mutate(args, tangents)
            return value, t
        return jf
    return build


def _right_tangent(args, tangents):
    """d/dt of WRITES_ARG_SRC along (tx, tc): the exact directional derivative."""
    x, c = args[0].copy(), args[1]
    tx, tc = tangents
    y = x.copy()
    y[0] = x[1] ** 2
    dy = tx.copy()
    dy[0] = 2 * x[1] * tx[1]
    dy[2:] = dy[2:] * c + y[2:] * tc
    y[2:] *= c
    return float(np.sum(2 * y * dy))


def test_forward_mode_is_compared_with_the_derivative_along_the_tangent(monkeypatch):
    setup_worker()
    p = _prog(WRITES_ARG_SRC, (X3.copy(), 0.7), (0, 1))
    monkeypatch.setattr(oracle.diffc, "jvp", _fake_jvp(_right_tangent))
    o = evaluate(p)
    assert o.cls == "OK", (o.kind, o.msg)

    monkeypatch.setattr(oracle.diffc, "jvp", _fake_jvp(lambda a, t: _right_tangent(a, t) * 1.01))
    o = evaluate(p)
    assert (o.cls, o.kind) == ("WRONG", "tangent mismatch (jvp)")
    assert "expected (FD along the tangents)" in o.msg and "actual (diffc.jvp)" in o.msg


@pytest.mark.parametrize("mutate,kind", [
    (lambda a, t: a[0].__setitem__(0, 5.0), "an argument was modified (jvp)"),
    (lambda a, t: t[0].__imul__(2.0), "a tangent was modified (jvp)"),
])
def test_forward_mode_must_not_modify_arguments_or_tangents(monkeypatch, mutate, kind):
    setup_worker()
    p = _prog(WRITES_ARG_SRC, (X3.copy(), 0.7), (0, 1))
    monkeypatch.setattr(oracle.diffc, "jvp", _fake_jvp(_right_tangent, mutate))
    o = evaluate(p)
    assert (o.cls, o.kind) == ("WRONG", kind)
    assert np.array_equal(p.args[0], X3) and np.array_equal(p.tangents[0], np.linspace(-0.7, 0.9, 4))


def test_reverse_mode_must_not_modify_the_callers_argument(monkeypatch):
    setup_worker()
    real = diffc.value_and_grad

    def writes_through(f, wrt):
        vg = real(f, wrt=wrt)

        def call(*args):
            res = vg(*args)
            f(*args)                    # as if the derivative wrote like f does
            return res
        return call
    monkeypatch.setattr(oracle.diffc, "value_and_grad", writes_through)
    o = evaluate(_prog(WRITES_ARG_SRC, (X3.copy(), 0.7), (0, 1)))
    assert (o.cls, o.kind) == ("WRONG", "an argument was modified")


def test_forward_mode_refusal_and_crash_are_marked(monkeypatch):
    setup_worker()
    p = _prog(WRITES_ARG_SRC, (X3.copy(), 0.7), (0, 1))
    assert evaluate(p).cls == "OK"              # reverse and forward mode both right

    def refuse(f, wrt):
        raise diffc.UnsupportedError("no forward mode for this")
    monkeypatch.setattr(oracle.diffc, "jvp", refuse)
    o = evaluate(p)
    assert (o.cls, o.kind) == ("REFUSED", "jvp: UnsupportedError: no forward mode for this")

    def crash(f, wrt):
        def jf(*args):
            raise KeyError("boom")
        return jf
    monkeypatch.setattr(oracle.diffc, "jvp", crash)
    o = evaluate(p)
    assert o.cls == "CRASH" and o.kind.startswith("call (jvp): KeyError"), o.kind


def test_directional_fd_moves_the_arguments_together_and_rejects_a_flip():
    setup_worker()
    src = """import numpy as np


def f(x, c):
    y = np.zeros(2)
    if x[0] + x[1] > 0.5:
        y[0] = x[0] * 3.0 * c
    else:
        y[1] = x[1] * 2.0
    return np.sum(y)
"""
    loaded = Loaded(src, "f")
    try:
        args = (np.array([0.5, 0.25]), 2.0)
        _, sig, _, _ = oracle.primal(loaded, args)
        d5, d6 = oracle.fd_directional(loaded, args, (0, 1), {0: np.array([0.5, -1.0]), 1: 0.25}, sig)
        assert d5 == pytest.approx(3.0 * 2.0 * 0.5 + 0.5 * 3.0 * 0.25, rel=1e-8)
        assert d6 == pytest.approx(d5, rel=1e-6)
        # on the switch (x[0] + x[1] = 0.5 + 4e-6): moving both by -eps flips the branch
        args = (np.array([0.25, 0.250004]), 2.0)
        _, sig, _, _ = oracle.primal(loaded, args)
        with pytest.raises(oracle._Reject, match="branch flips"):
            oracle.fd_directional(loaded, args, (0, 1), {0: np.array([1.0, 1.0]), 1: 0.0}, sig)
    finally:
        loaded.close()


VIEW_SRC = """import numpy as np


def f(x):
    y = x * 1.0
    v = y[1:3]
    y[1] = x[0] * 5.0
    return np.sum(v * x[:2])
"""


def test_a_view_read_after_a_write_is_refused_never_wrong():
    setup_worker()
    o = evaluate(_prog(VIEW_SRC, (X3.copy(),)))
    assert o.cls == "REFUSED", (o.cls, o.kind)
    assert "share memory" in o.msg


# ------------------------------------------------------- shrinker, regressions
def test_regression_test_of_a_writes_program_runs_both_modes(tmp_path):
    setup_worker()
    p = _prog(WRITES_ARG_SRC, (X3.copy(), 0.7), (0, 1))
    o = evaluate(p)
    assert o.cls in ("OK", "REFUSED")
    src = regression_test(o, seed=3)
    assert "diffc.jvp(f_s3, wrt=wrt)(*call, tangents)" in src and "_fresh(args)" in src
    path = tmp_path / "test_writes_regression.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("test_writes_regression", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    # the finite differences of a program that writes into its argument
    x = X3.copy()
    fd = mod._fuzz_fd(mod.f_s3, (x, 0.7), 0)
    assert np.array_equal(x, X3)
    ref = np.array([0.0, 4 * (-0.8) ** 3 + 2 * (-0.8), 2 * 0.49 * 1.1, 2 * 0.49 * 0.3])
    np.testing.assert_allclose(fd, ref, rtol=1e-6, atol=1e-8)
    if o.cls == "OK":
        mod.test_fuzz_seed_s3()


def _planted_tangent(seed):
    """A --writes program whose f calls planted_tangent (right VJP, wrong JVP)."""
    p = generate_one(seed, 0, 0, WritesConfig)
    lines = p.source.splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.startswith("def f("))
    lines.insert(i + 1, "    x0 = planted_tangent(x0)")
    lines.insert(1, "from tests.fuzz.planted import planted_tangent")
    return p.replace(source="\n".join(lines) + "\n", extra_wrt=None)


def test_shrinker_shrinks_a_planted_forward_mode_failure(tmp_path):
    setup_worker()
    found = None
    for seed in range(40):
        p = _planted_tangent(seed)
        o = evaluate(p)
        if o.cls == "WRONG" and o.kind == "tangent mismatch (jvp)" and p.source.count("\n") > 12:
            found = o
            break
    assert found is not None, "no generated program exposed the planted forward-mode bug"
    before = found.program.source
    r = shrink(found, max_seconds=40)
    after = r.program.source
    assert r.signature() == ("WRONG", "tangent mismatch (jvp)")
    assert "planted_tangent(" in after
    assert after.count("\n") < before.count("\n") and after.count("\n") <= 9, after
    prog = r.program
    assert prog.writes and set(prog.wrt) <= set(prog.tangents)
    for i in prog.wrt:
        assert np.shape(prog.tangents[i]) == np.shape(prog.args[i])
    path = tmp_path / "test_planted_tangent_regression.py"
    path.write_text(regression_test(r))
    spec = importlib.util.spec_from_file_location("test_planted_tangent_regression", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    test_fn = next(getattr(mod, k) for k in dir(mod) if k.startswith("test_fuzz_seed"))
    with pytest.raises(AssertionError, match="Not equal to tolerance"):
        test_fn()                       # reverse mode passes; the jvp assertion fails
