"""Random-program testing of objects, functions in variables and list edits (tests/fuzz, ``--objects``).

``test_fuzz_objects_slice`` checks a fixed slice of programs of
``gen_objects.ObjectsConfig`` (seeds FUZZ_OB_SEED .. FUZZ_OB_SEED + FUZZ_OB_N
- 1; override with DIFFC_FUZZ_OB_SEED / DIFFC_FUZZ_OB_N / DIFFC_FUZZ_JOBS):
the ``--containers`` programs plus module-level dataclasses and NamedTuples
made in ``f`` (positional, keywords, defaults), ``types.SimpleNamespace``, a
plain class, attribute reads and writes (``o.v = e``, ``o.v += e``, ``o.a[i] =
e``), objects in lists, functions held in variables, lists and a module-level
dict or passed to helpers, list edits (``pop(i)``, ``insert``, ``remove``,
``+=``, ``[v] * n``, slices, ``(a,) * 2 + t``), dict methods, nested writes,
sets of constants and lambdas as ``map`` functions and ``key=``. Reverse mode,
forward mode and, for some programs, a Hessian-vector product are checked.
Reproduce one seed with ``python -m tests.fuzz --objects --seeds S --shrink``.

A failing seed here is a diffc bug (see /work/notes/fuzz_objects.md); it is
never marked xfail.
"""
import os
import re

import numpy as np
import pytest

from tests.fuzz import oracle
from tests.fuzz.gen import Config, EffectsConfig, Program, WritesConfig
from tests.fuzz.gen_containers import ContainersConfig
from tests.fuzz.gen_containers import generate as generate_containers
from tests.fuzz.gen_objects import FAMILIES, ObjectsConfig, generate, generate_one
from tests.fuzz.oracle import Loaded, evaluate, setup_worker
from tests.fuzz.runner import check_slice, cli_flags

FUZZ_OB_SEED = int(os.environ.get("DIFFC_FUZZ_OB_SEED", "90000"))
FUZZ_OB_N = int(os.environ.get("DIFFC_FUZZ_OB_N", "100"))
FUZZ_JOBS = int(os.environ.get("DIFFC_FUZZ_JOBS", str(min(2, os.cpu_count() or 1))))


def test_fuzz_objects_slice():
    _, report = check_slice(range(FUZZ_OB_SEED, FUZZ_OB_SEED + FUZZ_OB_N), jobs=FUZZ_JOBS,
                            config=ObjectsConfig)
    if report is not None:
        pytest.fail(report, pytrace=False)


# ------------------------------------------------------------------ generator
def test_objects_generation_is_deterministic_and_separate():
    for s in (0, 1, 17, 123456):
        a, b = generate(s), generate(s)
        assert a.source == b.source and repr(a.args) == repr(b.args)
        assert repr(a.second) == repr(b.second) and repr(a.tangents) == repr(b.tangents)
        assert generate_one(s, 2, 1).source == generate_one(s, 2, 1).source
        assert generate_containers(s).source != a.source
        for cfg in (Config, EffectsConfig, WritesConfig, ContainersConfig):
            assert not getattr(cfg, "objects", False)
    assert cli_flags(ObjectsConfig) == "--objects "
    assert cli_flags(ContainersConfig) == "--containers "


def test_objects_programs_cover_the_families_and_are_valid_python():
    found = {k: 0 for k in FAMILIES}
    second = 0
    for s in range(600):          # (a write into a dict in a list: about 1 in 150)
        p = generate(s)
        compile(p.source, f"<objects seed {s}>", "exec")
        for k, pat in FAMILIES.items():
            if re.search(pat, p.source, re.M):
                found[k] += 1
        second += p.second is not None
    missing = [k for k, n in found.items() if n == 0]
    assert not missing, (missing, found)
    assert second >= 20, second


def test_objects_programs_run():
    """The primal runs (no INVALID) and most first samples are fair FD tests."""
    setup_worker()
    fair = 0
    for s in range(40):
        p = generate(s)
        loaded = Loaded(p.source, p.fname)
        try:
            r = oracle.validate(p, loaded)
        finally:
            loaded.close()
        assert not (isinstance(r, oracle.Outcome) and r.cls == "INVALID"), (s, r.kind, r.msg, p.source)
        fair += not isinstance(r, oracle.Outcome)
    assert fair >= 25, fair


# --------------------------------------------------------------------- oracle
def test_max_min_sorted_with_a_key_reject_near_ties_of_the_keys():
    setup_worker()
    src = """import numpy as np


def f(xs):
    return max(xs, key=abs) + min(xs, key=lambda v: (v - 0.2) ** 2) + sorted(xs, key=lambda v: -v)[0]
"""
    loaded = Loaded(src)
    try:
        _, sig, margin, _ = oracle.primal(loaded, ([0.3, -0.6, 0.9],))
        assert margin > 0.05 and len(sig) == 3
        _, _, margin, _ = oracle.primal(loaded, ([0.3, -0.6, 0.6000001],))      # |-0.6| ~ |0.6|
        assert margin < oracle.MARGIN
        _, sig2, _, _ = oracle.primal(loaded, ([0.3, -0.95, 0.9],))
        assert sig2 != sig                  # another pick: another decision
    finally:
        loaded.close()


def test_a_second_order_check_is_made_and_passes_on_a_smooth_program():
    setup_worker()
    src = """import numpy as np


def sq(v):
    return v * v


ACTS = {"sq": sq, "sin": np.sin}


def apply(g, v):
    return g(v) + v


def f(x):
    act = ACTS["sq"]
    s = 0.0
    for g in [np.tanh, act]:
        s = s + np.sum(apply(g, x))
    return s
"""
    x = np.array([0.3, -0.4])
    prog = Program(0, src, (x,), (0,), tangents={0: np.array([0.5, 0.25])},
                   second=(0, np.array([1.0, -0.5])))
    o = evaluate(prog)
    assert o.cls in ("OK", "REFUSED"), (o.cls, o.kind, o.msg)
    loaded = Loaded(src)
    try:
        value, fd = oracle.validate(prog, loaded)
        bad = prog.replace(second=(0, np.array([1.0, -0.5])))
        assert oracle.check_second(bad, loaded, fd) is None or o.cls == "REFUSED"
    finally:
        loaded.close()
