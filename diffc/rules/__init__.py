"""Derivative rules as data: ``registry`` holds the table, ``numpy_rules`` fills it."""
from . import numpy_rules  # noqa: F401  (registers the built-in rules)
from .inline import inline_vjp
from .registry import defnondiff, defvjp, is_nondiff, lookup

__all__ = ["defvjp", "defnondiff", "lookup", "is_nondiff", "inline_vjp"]
