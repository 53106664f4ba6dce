"""Random-program testing of diffc (issue 3): see tests/fuzz/.

``test_fuzz_slice`` checks a fixed slice of generated programs (seeds
FUZZ_SEED .. FUZZ_SEED + FUZZ_N - 1; override with the environment variables
DIFFC_FUZZ_SEED / DIFFC_FUZZ_N / DIFFC_FUZZ_JOBS) against finite differences
and fails listing every failing seed, with shrunk regression tests for the
first failure of each kind. Reproduce one seed with
``python -m tests.fuzz --seeds S --shrink``. The programs with effects
(``--effects``) have their own slice in tests/test_fuzz_effects.py.
"""
import os
import subprocess
import sys

import pytest

from tests.fuzz.gen import generate, generate_one
from tests.fuzz.oracle import evaluate, setup_worker
from tests.fuzz.runner import check_slice
from tests.fuzz.shrink import regression_test, shrink

FUZZ_SEED = int(os.environ.get("DIFFC_FUZZ_SEED", "20000"))
FUZZ_N = int(os.environ.get("DIFFC_FUZZ_N", "320"))
FUZZ_JOBS = int(os.environ.get("DIFFC_FUZZ_JOBS", str(min(2, os.cpu_count() or 1))))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_fuzz_slice():
    _, report = check_slice(range(FUZZ_SEED, FUZZ_SEED + FUZZ_N), jobs=FUZZ_JOBS)
    if report is not None:
        pytest.fail(report, pytrace=False)


def test_generation_is_deterministic():
    for s in (0, 1, 17, 123456):
        a, b = generate(s), generate(s)
        assert a.source == b.source
        assert repr(a.args) == repr(b.args) and a.wrt == b.wrt and a.extra_wrt == b.extra_wrt
        c = generate_one(s, 2, 1)
        assert c.source == generate_one(s, 2, 1).source
    assert len({generate(s).source for s in range(20)}) == 20


def test_generation_independent_of_hash_seed():
    code = ("import hashlib; from tests.fuzz.gen import generate; "
            "print(hashlib.sha256(''.join(generate(s).source + repr(generate(s).args) "
            "for s in range(5)).encode()).hexdigest())")
    outs = set()
    for hs in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hs)
        outs.add(subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                                capture_output=True, text=True).stdout)
    assert len(outs) == 1


def test_generated_programs_are_valid_python():
    for s in range(40):
        compile(generate(s).source, f"<seed {s}>", "exec")


def _planted(seed, attempt):
    """A generated program with a call whose registered derivative is wrong."""
    p = generate_one(seed, attempt, 0)
    lines = p.source.splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.startswith("def f("))
    lines.insert(i + 1, "    x0 = planted_scale(x0)")
    lines.insert(1, "from tests.fuzz.planted import planted_scale")
    p.source = "\n".join(lines) + "\n"
    p.extra_wrt = None
    return p


def test_shrinker_shrinks_a_planted_failure(tmp_path):
    setup_worker()
    found = None
    for seed in range(40):
        p = _planted(seed, 0)
        o = evaluate(p)
        if o.cls == "WRONG" and o.kind == "gradient mismatch" and p.source.count("\n") > 15:
            found = o
            break
    assert found is not None, "no generated program exposed the planted bug"
    before = found.program.source
    r = shrink(found, max_seconds=60)
    after = r.program.source
    assert r.signature() == ("WRONG", "gradient mismatch")
    assert "planted_scale(" in after
    assert after.count("\n") < before.count("\n")
    assert after.count("\n") <= 8, after
    assert "def h" not in after          # helpers are dropped
    assert len(r.program.wrt) == 1
    # the printed regression test is valid Python and reproduces the failure
    import importlib.util
    path = tmp_path / "test_planted_regression.py"
    path.write_text(regression_test(r))
    spec = importlib.util.spec_from_file_location("test_planted_regression", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    test_fn = next(getattr(mod, k) for k in dir(mod) if k.startswith("test_fuzz_seed"))
    with pytest.raises(AssertionError):
        test_fn()
