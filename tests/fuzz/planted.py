"""A deliberately wrong derivative rule, for testing the fuzzer and shrinker.

``planted_scale(x)`` is ``1.5 * x``; its registered VJP claims ``2.0 * g``.
Only programs that call ``planted_scale`` are affected (the test plants such
a call into a generated program and checks the shrinker isolates it)."""
from diffc.rules import defvjp


def planted_scale(x):
    return 1.5 * x


@defvjp(planted_scale)
def _(g, ans, x):
    return g * 2.0
