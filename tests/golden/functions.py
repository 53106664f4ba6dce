"""Representative functions whose generated derivative source is kept in the repo.

A change in the generated code shows up as a diff of tests/golden/*.txt;
regenerate with `python -m tests.golden.regen` after reviewing it.
"""
import numpy as np


def straight_line(x, w):
    h = np.tanh(x * w + 1.0)
    y = h * h - np.log1p(x ** 2)
    return np.sum(y) / x.shape[0]


def loop_with_branch(x, n):
    s = 0.0
    for i in range(n):
        if x[i] > 0.0:
            s = s + np.sin(x[i]) * i
        else:
            s = s - x[i] ** 2
    return s


def scale(v, factor=2.0):
    return v * factor, np.exp(-v)


def helper_call(x):
    a, b = scale(x, factor=3.0)
    c, _ = scale(a)
    return np.sum(c * b)
