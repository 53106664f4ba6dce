"""Deliberately wrong derivative rules, for testing the fuzzer and shrinker.

``planted_scale(x)`` is ``1.5 * x``; its registered VJP claims ``2.0 * g``.
``planted_tangent(x)`` is ``1.5 * x`` too; its VJP is right and its JVP
claims ``2.0 * g`` (only forward mode is wrong: the --writes oracle's jvp
check must catch it). Only programs that call these are affected (the tests
plant such a call into a generated program and check the shrinker isolates it)."""
from diffc.rules import defvjp
from diffc.rules.registry import defjvp


def planted_scale(x):
    return 1.5 * x


@defvjp(planted_scale)
def _(g, ans, x):
    return g * 2.0


def planted_tangent(x):
    return 1.5 * x


@defvjp(planted_tangent)
def _(g, ans, x):
    return g * 1.5


@defjvp(planted_tangent)
def _(g, ans, x):
    return g * 2.0
