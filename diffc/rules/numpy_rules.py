"""VJP rules for NumPy, ``math`` and Python builtins: one table, one line of math each.

``g`` is the output's adjoint, ``ans`` the output. Helpers such as
``unbroadcast`` live in ``diffc.backend.runtime``; generated code calls them.
"""
import builtins
import math
import operator

import numpy as np

from ..backend.runtime import (array_vjp, concatenate_vjp, dot_vjp_a, dot_vjp_b, matmul_vjp_a,
                               matmul_vjp_b, mean_vjp, minmax_vjp, outer_vjp_a, outer_vjp_b,
                               power_vjp_base,
                               power_vjp_exponent, prod_vjp, ravel_vjp, reshape_vjp, stack_vjp,
                               transpose_vjp, unbroadcast, unreduce, keep_array, broadcast)
from ..ir.nodes import MethodRef
from .registry import alias, defjvp, defnondiff, defvjp

# ---------------------------------------------------------------- elementwise, one argument


@defvjp(np.negative, operator.neg)
def _(g, ans, x):
    return -g


@defvjp(np.positive, np.copy, float, operator.pos, MethodRef("copy"), MethodRef("item"))
def _(g, ans, x):
    return g


@defvjp(np.exp)
def _(g, ans, x):
    return g * ans


@defvjp(np.exp2)
def _(g, ans, x):
    return g * ans * np.log(2.0)


@defvjp(np.expm1)
def _(g, ans, x):
    return g * (ans + 1.0)


@defvjp(np.log)
def _(g, ans, x):
    return g / x


@defvjp(np.log2)
def _(g, ans, x):
    return g / (x * np.log(2.0))


@defvjp(np.log10)
def _(g, ans, x):
    return g / (x * np.log(10.0))


@defvjp(np.log1p)
def _(g, ans, x):
    return g / (1.0 + x)


@defvjp(np.sqrt)
def _(g, ans, x):
    return g / (2.0 * ans)


@defvjp(np.cbrt)
def _(g, ans, x):
    return g / (3.0 * ans ** 2)


@defvjp(np.square)
def _(g, ans, x):
    return g * 2.0 * x


@defvjp(np.reciprocal)
def _(g, ans, x):
    return -g * ans ** 2


@defvjp(np.sin)
def _(g, ans, x):
    return g * np.cos(x)


@defjvp(np.sin)
def _(g, ans, x):
    return g * np.cos(x)


@defvjp(np.cos)
def _(g, ans, x):
    return -g * np.sin(x)


@defvjp(np.tan)
def _(g, ans, x):
    return g / np.cos(x) ** 2


@defvjp(np.arcsin)
def _(g, ans, x):
    return g / np.sqrt(1.0 - x ** 2)


@defvjp(np.arccos)
def _(g, ans, x):
    return -g / np.sqrt(1.0 - x ** 2)


@defvjp(np.arctan)
def _(g, ans, x):
    return g / (1.0 + x ** 2)


@defvjp(np.sinh)
def _(g, ans, x):
    return g * np.cosh(x)


@defvjp(np.cosh)
def _(g, ans, x):
    return g * np.sinh(x)


@defvjp(np.tanh)
def _(g, ans, x):
    return g * (1.0 - ans ** 2)


@defvjp(np.abs, builtins.abs)
def _(g, ans, x):
    return g * np.sign(x)


# ---------------------------------------------------------------- elementwise, two arguments

@defvjp(np.add, operator.add)
def _(g, ans, x1, x2):
    return unbroadcast(g, x1), unbroadcast(g, x2)


@defjvp(np.add, operator.add)
def _(g, ans, x1, x2):
    return broadcast(g, ans), broadcast(g, ans)


@defvjp(np.subtract, operator.sub)
def _(g, ans, x1, x2):
    return unbroadcast(g, x1), unbroadcast(-g, x2)


@defvjp(np.multiply, operator.mul)
def _(g, ans, x1, x2):
    return unbroadcast(g * x2, x1), unbroadcast(g * x1, x2)


@defjvp(np.multiply, operator.mul)
def _(g, ans, x1, x2):
    return g * x2, x1 * g


@defvjp(np.true_divide, operator.truediv)
def _(g, ans, x1, x2):
    return unbroadcast(g / x2, x1), unbroadcast(-g * x1 / x2 ** 2, x2)


@defvjp(np.power, operator.pow, builtins.pow, math.pow)
def _(g, ans, x1, x2):
    return power_vjp_base(g, x1, x2), power_vjp_exponent(g, ans, x1, x2)


@defvjp(np.remainder, operator.mod)
def _(g, ans, x1, x2):
    return unbroadcast(g, x1), unbroadcast(-g * np.floor_divide(x1, x2), x2)


@defvjp(np.fmod, math.fmod)
def _(g, ans, x1, x2):
    return unbroadcast(g, x1), unbroadcast(-g * np.trunc(x1 / x2), x2)


@defvjp(np.maximum, np.fmax, builtins.max)
def _(g, ans, x1, x2):
    return unbroadcast(g * (x1 >= x2), x1), unbroadcast(g * (x1 < x2), x2)


@defvjp(np.minimum, np.fmin, builtins.min)
def _(g, ans, x1, x2):
    return unbroadcast(g * (x1 <= x2), x1), unbroadcast(g * (x1 > x2), x2)


@defvjp(np.arctan2, math.atan2)
def _(g, ans, x1, x2):
    return (unbroadcast(g * x2 / (x1 ** 2 + x2 ** 2), x1),
            unbroadcast(-g * x1 / (x1 ** 2 + x2 ** 2), x2))


@defvjp(np.hypot, math.hypot)
def _(g, ans, x1, x2):
    return unbroadcast(g * x1 / ans, x1), unbroadcast(g * x2 / ans, x2)


@defvjp(np.where, nondiff=("condition",))
def _(g, ans, condition, x, y):
    return unbroadcast(np.where(condition, g, 0.0), x), unbroadcast(np.where(condition, 0.0, g), y)


@defvjp(np.clip, nondiff=("a_min", "a_max"))
def _(g, ans, a, a_min, a_max):
    return unbroadcast(g * (ans == a), a)


# ---------------------------------------------------------------- linear algebra

@defvjp(np.matmul, operator.matmul)
def _(g, ans, x1, x2):
    return matmul_vjp_a(g, x1, x2), matmul_vjp_b(g, x1, x2)


@defvjp(np.dot)
def _(g, ans, a, b):
    return dot_vjp_a(g, a, b), dot_vjp_b(g, a, b)


@defvjp(np.outer)
def _(g, ans, a, b):
    return outer_vjp_a(g, a, b), outer_vjp_b(g, a, b)


# ---------------------------------------------------------------- reductions

@defvjp(np.sum, refused=("out",))
def _(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return unreduce(g, a, axis, keepdims)


@defjvp(np.sum, refused=("out",))
def _(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.sum(g, axis=axis, keepdims=keepdims)


@defvjp(np.mean, refused=("out",))
def _(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return mean_vjp(g, a, axis, keepdims)


@defvjp(np.prod, refused=("out",))
def _(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return prod_vjp(g, ans, a, axis, keepdims)


@defvjp(np.max, np.amax, np.min, np.amin, refused=("out",))
def _(g, ans, a, axis=None, out=None, keepdims=False):
    return minmax_vjp(g, ans, a, axis, keepdims)


@defvjp(np.var, refused=("out",))
def _(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    return (unreduce(g, a, axis, keepdims) * 2.0 * (a - np.mean(a, axis=axis, keepdims=True))
            / (np.size(a) / np.size(ans) - ddof))


@defvjp(np.std, refused=("out",))
def _(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    return (unreduce(g / ans, a, axis, keepdims) * (a - np.mean(a, axis=axis, keepdims=True))
            / (np.size(a) / np.size(ans) - ddof))


# ---------------------------------------------------------------- shapes

@defvjp(np.reshape, nondiff=("shape",))
def _(g, ans, a, shape):
    return reshape_vjp(g, a)


@defvjp(np.ravel)
def _(g, ans, a, order="C"):
    return ravel_vjp(g, a, order)


@defvjp(np.squeeze)
def _(g, ans, a, axis=None):
    return reshape_vjp(g, a)


@defvjp(np.expand_dims, nondiff=("axis",))
def _(g, ans, a, axis):
    return reshape_vjp(g, a)


@defvjp(np.transpose)
def _(g, ans, a, axes=None):
    return transpose_vjp(g, axes)


@defvjp(np.stack, refused=("out",))
def _(g, ans, arrays, axis=0, out=None):
    return stack_vjp(g, arrays, axis)


@defvjp(np.concatenate, refused=("out",))
def _(g, ans, arrays, axis=0, out=None):
    return concatenate_vjp(g, arrays, axis)


@defvjp(np.array, np.asarray, np.asarray_chkfinite)
def _(g, ans, object):
    return array_vjp(g, object)


@defvjp(MethodRef("astype"), nondiff=("dtype",))
def _(g, ans, x, dtype):
    return g * (np.dtype(dtype).kind in "fc")     # a cast to integers has derivative 0


@defvjp(keep_array, nondiff=("old",))
def _(g, ans, old, new):
    return g


@defvjp(broadcast, nondiff=("like",))
def _(g, ans, t, like):
    return unbroadcast(g, t)


@defjvp(broadcast, nondiff=("like",))
def _(g, ans, t, like):
    return broadcast(g, like)


@defvjp(MethodRef("tolist"))
def _(g, ans, x):
    return reshape_vjp(np.asarray(g), x)


# ---------------------------------------------------------------- aliases

for _np, *_others in [(np.exp, math.exp), (np.log, math.log), (np.sqrt, math.sqrt),
                 (np.sin, math.sin), (np.cos, math.cos), (np.tan, math.tan),
                 (np.arcsin, math.asin), (np.arccos, math.acos), (np.arctan, math.atan),
                 (np.sinh, math.sinh), (np.cosh, math.cosh), (np.tanh, math.tanh),
                 (np.log1p, math.log1p), (np.expm1, math.expm1), (np.log2, math.log2),
                 (np.log10, math.log10), (np.abs, np.absolute, math.fabs),
                 (np.true_divide, np.divide), (np.remainder, np.mod),
                 (np.arcsin, np.asin if hasattr(np, "asin") else np.arcsin),
                 (np.arccos, np.acos if hasattr(np, "acos") else np.arccos),
                 (np.arctan, np.atan if hasattr(np, "atan") else np.arctan),
                 (np.power, np.pow if hasattr(np, "pow") else np.power),
                 (np.concatenate, np.concat if hasattr(np, "concat") else np.concatenate)]:
    alias(_np, *_others)

# ---------------------------------------------------------------- zero derivative

defnondiff(len, range, int, bool, round, isinstance, print, type,
           operator.floordiv, operator.lt, operator.le, operator.gt, operator.ge,
           operator.eq, operator.ne, operator.not_, math.floor, math.ceil, math.trunc,
           math.isnan, math.isinf, math.isfinite,
           np.shape, np.ndim, np.size, np.zeros, np.ones, np.empty, np.zeros_like,
           np.ones_like, np.empty_like, np.eye, np.identity,
           np.argmax, np.argmin, np.argsort, np.sign, np.floor, np.ceil, np.round, np.rint,
           np.trunc, np.floor_divide, np.isnan, np.isinf, np.isfinite, np.any, np.all,
           np.nonzero, np.equal, np.not_equal, np.less, np.less_equal, np.greater,
           np.greater_equal, np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
           np.count_nonzero, np.searchsorted, np.allclose, np.isclose, np.array_equal,
           MethodRef("argmax"), MethodRef("argmin"),
           MethodRef("any"), MethodRef("all"))
