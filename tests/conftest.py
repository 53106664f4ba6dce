import os
import sys

import numpy as np
import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
_ROOT = os.path.dirname(_HERE)
if _ROOT not in sys.path:
    # appended (not prepended): `python -m pytest` from the repo root already
    # has the repo on sys.path; this only helps other working directories.
    sys.path.append(_ROOT)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
