"""Derivatives of Python-float math follow IEEE results, as NumPy's do (issue 8).

Python raises ZeroDivisionError where NumPy gives inf or nan: ``math.sqrt(0.0)`` is
fine, but ``g / (2.0 * ans)`` with ``ans == 0.0`` would raise in the backward pass.
For every rule of the table that takes Python floats (the cases of
test_rule_table.py), at the special points 0, 1, -1 and 2 where the primal itself
succeeds, each VJP and JVP expression evaluated with Python floats must not raise and
must agree with the same expression evaluated with np.float64 (IEEE: inf, -inf, nan).
"""
import itertools
import math
import warnings

import numpy as np
import pytest

from diffc.rules import registry
from test_rule_table import CASES, call_primal, contribution, fname

SPECIAL = (0.0, 1.0, -1.0, 2.0)


def _scalar_cases():
    out = []
    for case in CASES:
        args, kwargs = case.make(0)
        if args and all(type(a) is float for a in args) and not kwargs:
            out.append(case)
    seen, unique = set(), []
    for c in out:                      # one case per callable
        if id(c.fn) not in seen:
            seen.add(id(c.fn))
            unique.append(c)
    return unique


def _same(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b)) |
                                              np.isclose(a, b, rtol=1e-12, atol=0)))


@pytest.mark.parametrize("case", _scalar_cases(), ids=lambda c: fname(c.fn))
def test_python_float_derivatives_follow_ieee(case):
    n = len(case.make(0)[0])
    checked = 0
    for point in itertools.product(SPECIAL, repeat=n):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ans = call_primal(case.fn, point, {})
        except (ValueError, ZeroDivisionError, OverflowError):
            continue                   # the primal itself raises: nothing to differentiate
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            ans64 = call_primal(case.fn, tuple(np.float64(v) for v in point), {})
        for table in (registry.VJPS, registry.JVPS):
            rule = table[registry._key(case.fn)]
            bound = rule.bind(point, {})
            bound64 = rule.bind(tuple(np.float64(v) for v in point), {})
            for p in rule.diff:
                if p not in bound:
                    continue
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    got = contribution(rule, 1.0, ans, bound, p)
                    ref = contribution(rule, np.float64(1.0), ans64, bound64, p)
                assert _same(got, ref), (fname(case.fn), point, p, got, ref)
                checked += 1
    assert checked or n == 0


def test_math_sqrt_and_hypot_at_zero_give_inf_not_zero_division():
    import diffc

    def f(x):
        return math.sqrt(x)

    def h(x, y):
        return math.hypot(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert diffc.grad(f)(0.0) == math.inf
        assert diffc.jvp(f)(0.0, 1.0)[1] == math.inf
        gx, gy = diffc.grad(h, wrt=(0, 1))(0.0, 0.0)
    assert math.isnan(gx) and math.isnan(gy)      # 0/0, as np.hypot's derivative gives
