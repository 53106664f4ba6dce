"""Forward mode agrees with reverse mode on generated programs.

For every program of a fixed slice of the random-program generator (which
covers loops, while loops, branches, break/continue/early return, helpers with
keywords and tuple results, broadcasting, reductions, matmul, stacking and
indexing), and for each differentiable argument, the Jacobian-vector product
along a random tangent must equal the gradient dotted with that tangent. The
two come from independent transformations (forward: tangents interleaved with
the primal; reverse: adjoints in reverse order), so agreement checks both.
"""
import numpy as np
import pytest

import diffc
from tests.fuzz.gen import generate
from tests.fuzz.oracle import Loaded, primal

SEEDS = range(30000, 30160)


def _tangent(x, rng):
    if isinstance(x, np.ndarray):
        return rng.standard_normal(x.shape)
    return float(rng.standard_normal())


@pytest.mark.parametrize("seed", SEEDS)
def test_forward_matches_reverse(seed):
    prog = generate(seed)
    loaded = Loaded(prog.source, prog.fname)
    try:
        rng = np.random.default_rng(seed)
        f = loaded.f
        try:
            primal(loaded, prog.args)
        except (FloatingPointError, OverflowError, ZeroDivisionError, ValueError):
            pytest.skip("the sample overflows or leaves a domain (the fuzz oracle redraws these)")
        with np.errstate(all="ignore"):
            try:
                grads = diffc.grad(f, wrt=tuple(prog.wrt))(*prog.args)
            except diffc.DiffcError:
                pytest.skip("reverse mode refuses this program (counted by the fuzz test)")
            for p, gp in zip(prog.wrt, grads):
                v = _tangent(prog.args[p], rng)
                value, tangent = diffc.jvp(f, wrt=p)(*prog.args, v)
                expected = float(np.sum(np.asarray(gp) * v))
                assert np.shape(tangent) == np.shape(value)
                assert np.isclose(float(tangent), expected, rtol=1e-7, atol=1e-9), \
                    (p, float(tangent), expected, prog.source)
                assert np.isclose(float(value), float(f(*prog.args)), rtol=1e-12, atol=1e-12)
    finally:
        loaded.close()
