import numpy as np


def damped(x, n):
    """The function docs/pipeline.md follows through the compiler."""
    s = 0.0
    for i in range(n):
        if x > 1.0:
            break
        s = s + np.sin(x) * x
        x = x * 1.1
    return s
