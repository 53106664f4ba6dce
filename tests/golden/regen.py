"""Regenerate the golden sources: python -m tests.golden.regen"""
import os

from .test_golden import CASES, generated

HERE = os.path.dirname(__file__)

if __name__ == "__main__":
    for name in CASES:
        with open(os.path.join(HERE, f"{name}.txt"), "w") as f:
            f.write(generated(name))
        print("wrote", name)
