"""Derivative rules for NumPy, ``math`` and Python builtins: one table, one line of math each.

A division whose divisor may be a Python number equal to zero while the primal is
defined (``math.sqrt(0.0)``, ``np.log(0.0)``) is written ``div(a, b)``: IEEE results
(inf, nan) as NumPy gives, where Python's ``/`` would raise ZeroDivisionError.

Every function has its VJP rule (reverse mode: ``g`` is the output's adjoint)
followed by its JVP rule (forward mode: ``g`` is the tangent of the argument in
whose position the expression stands); ``ans`` is the output. Helpers such as
``unbroadcast`` live in ``diffc.backend.runtime``; generated code calls them.
JVP expressions are differentiated again (higher derivatives), so they use only
operations that have rules themselves (or piecewise-constant helpers declared
with ``defnondiff``), never the reverse-mode helpers.
"""
import builtins
import math
import operator

import numpy as np

from ..backend.checks import (check_args, check_inplace_arg, check_tangent, check_tangent_tuple,
                              check_unchanged,
                              finalize, snapshot_arg, unit_tangent)
from ..backend.runtime import (array_vjp, concatenate_vjp, dot_vjp_a, dot_vjp_b, matmul_vjp_a,
                               matmul_vjp_b, mean_vjp, minmax_vjp, outer_vjp_a, outer_vjp_b,
                               power_vjp_base,
                               power_vjp_exponent, prod_vjp, ravel_vjp, reshape_vjp, stack_vjp,
                               transpose_vjp, unbroadcast, unreduce, keep_array, broadcast, fstring,
                               zeros_tangent)
from ..ir.nodes import MethodRef
from ..backend.runtime import Items, div, index_vjp, minmax_weights, ravel_order
from ..backend.checks import (check_discrete, check_overlap, check_slots, check_update,
                              check_write)
from ..backend.containers import (attr_tangent, attr_tangent_vjp, dict_keys, dict_values_vjp,
                                  dict_has, dict_values, list_index, list_position, dict_values_adjoint, dict_values_tangent,
                                  entries, key_max, key_min, key_order, like_sequence,
                                  loop_items, loop_items_tangent,
                                  loop_items_vjp, make_dict, new_object,
                                  new_object_tangent, new_object_vjp, seq_max,
                                  seq_min, seq_pick, seq_pick_vjp, seq_vjp, sorted_tangent,
                                  sorted_vjp, sum_vjp)
from ..backend.dynamic import (check_callee, method_function, call_function, call_jvp, call_jvp_vjp, call_vjp,
                               second_order_call)
from ..backend.writes import (copy_arg, copy_item, disown, setitem_grad, writable, writable_items,
                              written)
from .registry import alias, defjvp, defnondiff, defvjp

# ---------------------------------------------------------------- elementwise, one argument


@defvjp(np.negative, operator.neg)
def _(g, ans, x):
    return -g


@defjvp(np.negative, operator.neg)
def _(g, ans, x):
    return -g


@defvjp(np.positive, np.copy, float, operator.pos, MethodRef("copy"), MethodRef("item"))
def _(g, ans, x):
    return g


@defjvp(np.positive, np.copy, float, operator.pos, MethodRef("copy"), MethodRef("item"))
def _(g, ans, x):
    return np.reshape(np.copy(g), np.shape(ans))   # a fresh tangent, () for float/item


@defvjp(np.exp)
def _(g, ans, x):
    return g * ans


@defjvp(np.exp)
def _(g, ans, x):
    return g * ans


@defvjp(np.exp2)
def _(g, ans, x):
    return g * ans * np.log(2.0)


@defjvp(np.exp2)
def _(g, ans, x):
    return g * ans * np.log(2.0)


@defvjp(np.expm1)
def _(g, ans, x):
    return g * (ans + 1.0)


@defjvp(np.expm1)
def _(g, ans, x):
    return g * (ans + 1.0)


@defvjp(np.log)
def _(g, ans, x):
    return div(g, x)


@defjvp(np.log)
def _(g, ans, x):
    return div(g, x)


@defvjp(np.log2)
def _(g, ans, x):
    return g / (x * np.log(2.0))


@defjvp(np.log2)
def _(g, ans, x):
    return g / (x * np.log(2.0))


@defvjp(np.log10)
def _(g, ans, x):
    return g / (x * np.log(10.0))


@defjvp(np.log10)
def _(g, ans, x):
    return g / (x * np.log(10.0))


@defvjp(np.log1p)
def _(g, ans, x):
    return div(g, 1.0 + x)


@defjvp(np.log1p)
def _(g, ans, x):
    return div(g, 1.0 + x)


@defvjp(np.sqrt)
def _(g, ans, x):
    return div(g, 2.0 * ans)


@defjvp(np.sqrt)
def _(g, ans, x):
    return div(g, 2.0 * ans)


@defvjp(np.cbrt)
def _(g, ans, x):
    return g / (3.0 * ans ** 2)


@defjvp(np.cbrt)
def _(g, ans, x):
    return g / (3.0 * ans ** 2)


@defvjp(np.square)
def _(g, ans, x):
    return g * 2.0 * x


@defjvp(np.square)
def _(g, ans, x):
    return g * 2.0 * x


@defvjp(np.reciprocal)
def _(g, ans, x):
    return -g * ans ** 2


@defjvp(np.reciprocal)
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


@defjvp(np.cos)
def _(g, ans, x):
    return -g * np.sin(x)


@defvjp(np.tan)
def _(g, ans, x):
    return g / np.cos(x) ** 2


@defjvp(np.tan)
def _(g, ans, x):
    return g / np.cos(x) ** 2


@defvjp(np.arcsin)
def _(g, ans, x):
    return g / np.sqrt(1.0 - x ** 2)


@defjvp(np.arcsin)
def _(g, ans, x):
    return g / np.sqrt(1.0 - x ** 2)


@defvjp(np.arccos)
def _(g, ans, x):
    return -g / np.sqrt(1.0 - x ** 2)


@defjvp(np.arccos)
def _(g, ans, x):
    return -g / np.sqrt(1.0 - x ** 2)


@defvjp(np.arctan)
def _(g, ans, x):
    return g / (1.0 + x ** 2)


@defjvp(np.arctan)
def _(g, ans, x):
    return g / (1.0 + x ** 2)


@defvjp(np.sinh)
def _(g, ans, x):
    return g * np.cosh(x)


@defjvp(np.sinh)
def _(g, ans, x):
    return g * np.cosh(x)


@defvjp(np.cosh)
def _(g, ans, x):
    return g * np.sinh(x)


@defjvp(np.cosh)
def _(g, ans, x):
    return g * np.sinh(x)


@defvjp(np.tanh)
def _(g, ans, x):
    return g * (1.0 - ans ** 2)


@defjvp(np.tanh)
def _(g, ans, x):
    return g * (1.0 - ans ** 2)


@defvjp(np.abs, builtins.abs)
def _(g, ans, x):
    return g * np.sign(x)


@defjvp(np.abs, builtins.abs)
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


@defjvp(np.subtract, operator.sub)
def _(g, ans, x1, x2):
    return broadcast(g, ans), broadcast(-g, ans)


@defvjp(np.multiply, operator.mul)
def _(g, ans, x1, x2):
    return unbroadcast(g * x2, x1), unbroadcast(g * x1, x2)


@defjvp(np.multiply, operator.mul)
def _(g, ans, x1, x2):
    return g * x2, x1 * g


@defvjp(np.true_divide, operator.truediv, div)
def _(g, ans, x1, x2):
    return unbroadcast(div(g, x2), x1), unbroadcast(div(-g * x1, x2 ** 2), x2)


@defjvp(np.true_divide, operator.truediv, div)
def _(g, ans, x1, x2):
    return div(g, x2), div(-g * x1, x2 ** 2)


@defvjp(np.power, operator.pow, builtins.pow, math.pow)
def _(g, ans, x1, x2):
    return power_vjp_base(g, x1, x2), power_vjp_exponent(g, ans, x1, x2)


@defjvp(np.power, operator.pow, builtins.pow, math.pow)
def _(g, ans, x1, x2):
    # 0 where x2 == 0 (x1 ** 0 is constant) and where x1 == 0 for the exponent, as in the VJP;
    # np.power with a float exponent: no ZeroDivisionError (0.0 ** -1.0) or integer-power error
    return (g * np.where(x2 == 0, 0.0, x2 * np.power(x1, x2 - 1.0)),
            g * np.where(x1 == 0, 0.0, ans * np.log(np.where(x1 == 0, 1.0, x1))))


@defvjp(np.remainder, operator.mod)
def _(g, ans, x1, x2):
    return unbroadcast(g, x1), unbroadcast(-g * np.floor_divide(x1, x2), x2)


@defjvp(np.remainder, operator.mod)
def _(g, ans, x1, x2):
    return broadcast(g, ans), -g * np.floor_divide(x1, x2)


@defvjp(np.fmod, math.fmod)
def _(g, ans, x1, x2):
    return unbroadcast(g, x1), unbroadcast(-g * np.trunc(div(x1, x2)), x2)


@defjvp(np.fmod, math.fmod)
def _(g, ans, x1, x2):
    return broadcast(g, ans), -g * np.trunc(div(x1, x2))


@defvjp(np.maximum, np.fmax, builtins.max)
def _(g, ans, x1, x2):
    return unbroadcast(g * (x1 >= x2), x1), unbroadcast(g * (x1 < x2), x2)


@defjvp(np.maximum, np.fmax, builtins.max)
def _(g, ans, x1, x2):
    return g * (x1 >= x2), g * (x1 < x2)     # ties: x1, as in the VJP


@defvjp(np.minimum, np.fmin, builtins.min)
def _(g, ans, x1, x2):
    return unbroadcast(g * (x1 <= x2), x1), unbroadcast(g * (x1 > x2), x2)


@defjvp(np.minimum, np.fmin, builtins.min)
def _(g, ans, x1, x2):
    return g * (x1 <= x2), g * (x1 > x2)


@defvjp(np.arctan2, math.atan2)
def _(g, ans, x1, x2):
    return (unbroadcast(div(g * x2, x1 ** 2 + x2 ** 2), x1),
            unbroadcast(div(-g * x1, x1 ** 2 + x2 ** 2), x2))


@defjvp(np.arctan2, math.atan2)
def _(g, ans, x1, x2):
    return div(g * x2, x1 ** 2 + x2 ** 2), div(-g * x1, x1 ** 2 + x2 ** 2)


@defvjp(np.hypot, math.hypot)
def _(g, ans, x1, x2):
    return unbroadcast(div(g * x1, ans), x1), unbroadcast(div(g * x2, ans), x2)


@defjvp(np.hypot, math.hypot)
def _(g, ans, x1, x2):
    return div(g * x1, ans), div(g * x2, ans)


@defvjp(np.where, nondiff=("condition",))
def _(g, ans, condition, x, y):
    return unbroadcast(np.where(condition, g, 0.0), x), unbroadcast(np.where(condition, 0.0, g), y)


@defjvp(np.where, nondiff=("condition",))
def _(g, ans, condition, x, y):
    return broadcast(np.where(condition, g, 0.0), ans), broadcast(np.where(condition, 0.0, g), ans)


@defvjp(np.clip, nondiff=("a_min", "a_max"))
def _(g, ans, a, a_min, a_max):
    return unbroadcast(g * (ans == a), a)


@defjvp(np.clip, nondiff=("a_min", "a_max"))
def _(g, ans, a, a_min, a_max):
    return g * (ans == a)


# ---------------------------------------------------------------- linear algebra

@defvjp(np.matmul, operator.matmul)
def _(g, ans, x1, x2):
    return matmul_vjp_a(g, x1, x2), matmul_vjp_b(g, x1, x2)


@defjvp(np.matmul, operator.matmul)
def _(g, ans, x1, x2):
    return np.matmul(g, x2), np.matmul(x1, g)


@defvjp(np.dot)
def _(g, ans, a, b):
    return dot_vjp_a(g, a, b), dot_vjp_b(g, a, b)


@defjvp(np.dot)
def _(g, ans, a, b):
    return np.dot(g, b), np.dot(a, g)


@defvjp(np.outer)
def _(g, ans, a, b):
    return outer_vjp_a(g, a, b), outer_vjp_b(g, a, b)


@defjvp(np.outer)
def _(g, ans, a, b):
    return np.outer(g, b), np.outer(a, g)


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


@defjvp(np.mean, refused=("out",))
def _(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return np.mean(g, axis=axis, keepdims=keepdims)


@defvjp(np.prod, refused=("out",))
def _(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    return prod_vjp(g, ans, a, axis, keepdims)


@defjvp(np.prod, refused=("out",))
def _(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    # sum_i g_i * (product of the others), written to differentiate again exactly with zeros:
    # P is the product of the nonzero entries; at a nonzero entry the others are P / a_i times
    # Z, the product of the zero entries (value 0 or 1); at a zero entry they are P if it is
    # its slice's only zero, P times the other zero if there are two (value 0, derivative P),
    # else 0. Exact Hessians with any zeros, all orders with at most one zero per slice.
    return np.sum(
        g * np.where(np.equal(a, 0),
                     np.prod(np.where(np.equal(a, 0), 1.0, a), axis=axis, keepdims=True)
                     * ((np.count_nonzero(np.equal(a, 0), axis=axis, keepdims=True) == 1)
                        + (np.count_nonzero(np.equal(a, 0), axis=axis, keepdims=True) == 2)
                        * (np.sum(np.where(np.equal(a, 0), a, 0.0), axis=axis, keepdims=True)
                           - a)),
                     np.prod(np.where(np.equal(a, 0), 1.0, a), axis=axis, keepdims=True)
                     / np.where(np.equal(a, 0), 1.0, a)
                     * np.prod(np.where(np.equal(a, 0), a, 1.0), axis=axis, keepdims=True)),
        axis=axis, keepdims=keepdims)


@defvjp(np.max, np.amax, np.min, np.amin, refused=("out",))
def _(g, ans, a, axis=None, out=None, keepdims=False):
    return minmax_vjp(g, ans, a, axis, keepdims)


@defjvp(np.max, np.amax, np.min, np.amin, refused=("out",))
def _(g, ans, a, axis=None, out=None, keepdims=False):
    return np.sum(g * minmax_weights(ans, a, axis, keepdims), axis=axis, keepdims=keepdims)


@defvjp(np.var, refused=("out",))
def _(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    return (unreduce(g, a, axis, keepdims) * 2.0 * (a - np.mean(a, axis=axis, keepdims=True))
            / (np.size(a) / np.size(ans) - ddof))


@defjvp(np.var, refused=("out",))
def _(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    return (np.sum(g * (a - np.mean(a, axis=axis, keepdims=True)), axis=axis, keepdims=keepdims)
            * 2.0 / (np.size(a) / np.size(ans) - ddof))


@defvjp(np.std, refused=("out",))
def _(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    return (unreduce(g / ans, a, axis, keepdims) * (a - np.mean(a, axis=axis, keepdims=True))
            / (np.size(a) / np.size(ans) - ddof))


@defjvp(np.std, refused=("out",))
def _(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    return (np.sum(g * (a - np.mean(a, axis=axis, keepdims=True)), axis=axis, keepdims=keepdims)
            / (ans * (np.size(a) / np.size(ans) - ddof)))


# ---------------------------------------------------------------- shapes

@defvjp(np.reshape, nondiff=("shape",))
def _(g, ans, a, shape):
    return reshape_vjp(g, a)


@defjvp(np.reshape, nondiff=("shape",))
def _(g, ans, a, shape):
    return np.reshape(g, shape)


@defvjp(np.ravel)
def _(g, ans, a, order="C"):
    return ravel_vjp(g, a, order)


@defjvp(np.ravel)
def _(g, ans, a, order="C"):
    return np.ravel(g, ravel_order(a, order))    # "A"/"K" follow a's layout, not g's


@defvjp(np.squeeze)
def _(g, ans, a, axis=None):
    return reshape_vjp(g, a)


@defjvp(np.squeeze)
def _(g, ans, a, axis=None):
    return np.squeeze(g, axis)


@defvjp(np.expand_dims, nondiff=("axis",))
def _(g, ans, a, axis):
    return reshape_vjp(g, a)


@defjvp(np.expand_dims, nondiff=("axis",))
def _(g, ans, a, axis):
    return np.expand_dims(g, axis)


@defvjp(np.transpose)
def _(g, ans, a, axes=None):
    return transpose_vjp(g, axes)


@defjvp(np.transpose)
def _(g, ans, a, axes=None):
    return np.transpose(g, axes)


@defvjp(np.stack, refused=("out",))
def _(g, ans, arrays, axis=0, out=None):
    return stack_vjp(g, arrays, axis)


@defjvp(np.stack, refused=("out",))
def _(g, ans, arrays, axis=0, out=None):
    return np.stack(g, axis)      # g: the items' tangents


@defvjp(np.concatenate, refused=("out",))
def _(g, ans, arrays, axis=0, out=None):
    return concatenate_vjp(g, arrays, axis)


@defjvp(np.concatenate, refused=("out",))
def _(g, ans, arrays, axis=0, out=None):
    return np.concatenate(g, axis)


@defvjp(np.array, np.asarray, np.asarray_chkfinite)
def _(g, ans, object):
    return array_vjp(g, object)


@defjvp(np.array, np.asarray, np.asarray_chkfinite)
def _(g, ans, object):
    return np.array(g)


@defvjp(MethodRef("astype"), nondiff=("dtype",))
def _(g, ans, x, dtype):
    return g * (np.dtype(dtype).kind in "fc")     # a cast to integers has derivative 0


@defjvp(MethodRef("astype"), nondiff=("dtype",))
def _(g, ans, x, dtype):
    return g * np.issubdtype(dtype, np.inexact)   # 0 for a cast to integers or bool


@defvjp(keep_array, nondiff=("old",))
def _(g, ans, old, new):
    return g


@defjvp(keep_array, nondiff=("old",))
def _(g, ans, old, new):
    return g


@defvjp(broadcast, nondiff=("like",))
def _(g, ans, t, like):
    return unbroadcast(g, t)


@defjvp(broadcast, nondiff=("like",))
def _(g, ans, t, like):
    return broadcast(g, like)


@defvjp(Items)
def _(g, ans, values):
    return g


@defjvp(Items)
def _(g, ans, values):
    return Items(g)


@defvjp(MethodRef("tolist"))
def _(g, ans, x):
    return reshape_vjp(np.asarray(g), x)


@defjvp(MethodRef("tolist"))
def _(g, ans, x):
    return np.asarray(g).tolist()


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

# ---------------------------------------------------------------- dict displays

@defvjp(make_dict, entries, nondiff=("keys",))
def _(g, ans, keys, values):
    return dict_values_vjp(g, keys)


@defjvp(make_dict, entries, nondiff=("keys",))
def _(g, ans, keys, values):
    return entries(keys, g)


@defvjp(dict_values)
def _(g, ans, d):
    return dict_values_adjoint(g, d)


@defjvp(dict_values)
def _(g, ans, d):
    return dict_values_tangent(g, d)


@defvjp(dict_values_tangent, nondiff=("d",))
def _(g, ans, t, d):
    return dict_values_adjoint(g, d)


@defjvp(dict_values_tangent, nondiff=("d",))
def _(g, ans, t, d):
    return dict_values_tangent(g, d)


@defvjp(dict_values_adjoint, nondiff=("d",))
def _(g, ans, t, d):
    return dict_values_tangent(g, d)


@defjvp(dict_values_adjoint, nondiff=("d",))
def _(g, ans, t, d):
    return dict_values_adjoint(g, d)


@defvjp(loop_items, nondiff=("where",))
def _(g, ans, xs, where):
    return loop_items_vjp(g, xs)


@defjvp(loop_items, nondiff=("where",))
def _(g, ans, xs, where):
    return loop_items_tangent(g, xs)


@defvjp(loop_items_vjp, loop_items_tangent, nondiff=("xs",))
def _(g, ans, t, xs):
    return loop_items_vjp(g, xs)


@defjvp(loop_items_vjp, loop_items_tangent, nondiff=("xs",))
def _(g, ans, t, xs):
    return loop_items_tangent(g, xs)


# ---------------------------------------------------------------- functions called through a variable
# (backend/dynamic.py: the derivative of the function called, built when it runs)

@defvjp(call_function, nondiff=("fn", "const"))
def _(g, ans, fn, args, const=()):
    return call_vjp(g, fn, args, const)


@defjvp(call_function, nondiff=("fn", "const"))
def _(g, ans, fn, args, const=()):
    return call_jvp(g, fn, args, const)


@defvjp(call_jvp, nondiff=("fn", "const"))
def _(g, ans, t, fn, args, const=()):
    return call_jvp_vjp(g, t, fn, args, 0, const), call_jvp_vjp(g, t, fn, args, 1, const)


@defjvp(call_jvp, nondiff=("fn", "const"))
def _(g, ans, t, fn, args, const=()):
    return second_order_call(fn), second_order_call(fn)


@defvjp(call_vjp, nondiff=("fn", "const"))
def _(g, ans, t, fn, args, const=()):
    return second_order_call(fn), second_order_call(fn)


@defjvp(call_vjp, nondiff=("fn", "const"))
def _(g, ans, t, fn, args, const=()):
    return second_order_call(fn), second_order_call(fn)


@defvjp(call_jvp_vjp, nondiff=("fn", "which", "const"))
def _(g, ans, ct, t, fn, args, which, const=()):
    return second_order_call(fn), second_order_call(fn), second_order_call(fn)


@defjvp(call_jvp_vjp, nondiff=("fn", "which", "const"))
def _(g, ans, ct, t, fn, args, which, const=()):
    return second_order_call(fn), second_order_call(fn), second_order_call(fn)


# ---------------------------------------------------------------- objects made in the function

@defvjp(new_object, new_object_tangent, nondiff=("cls", "names"))
def _(g, ans, cls, names, values):
    return new_object_vjp(g, cls, names)


@defjvp(new_object, new_object_tangent, nondiff=("cls", "names"))
def _(g, ans, cls, names, values):
    return new_object_tangent(cls, names, g)


@defvjp(attr_tangent, nondiff=("obj", "attr"))
def _(g, ans, t, obj, attr):
    return attr_tangent_vjp(g, t, obj, attr)


@defjvp(attr_tangent, nondiff=("obj", "attr"))
def _(g, ans, t, obj, attr):
    return attr_tangent(g, obj, attr)


@defvjp(attr_tangent_vjp, nondiff=("t", "obj", "attr"))
def _(g, ans, g_, t, obj, attr):
    return attr_tangent(g, obj, attr)


@defjvp(attr_tangent_vjp, nondiff=("t", "obj", "attr"))
def _(g, ans, g_, t, obj, attr):
    return attr_tangent_vjp(g, t, obj, attr)


# ---------------------------------------------------------------- builtins over sequences

@defvjp(builtins.sum, diff=("start",))
def _(g, ans, iterable, start=0):
    return sum_vjp(g, iterable), unbroadcast(g, start)


@defjvp(builtins.sum, diff=("start",))
def _(g, ans, iterable, start=0):
    return broadcast(builtins.sum(g), ans), broadcast(g, ans)


@defvjp(seq_max, seq_min)
def _(g, ans, xs):
    return seq_pick_vjp(g, xs, ans)


@defjvp(seq_max, seq_min)
def _(g, ans, xs):
    return seq_pick(g, xs, ans)


@defvjp(seq_pick, nondiff=("xs", "ans_"))
def _(g, ans, t, xs, ans_):
    return seq_pick_vjp(g, xs, ans_)


@defjvp(seq_pick, nondiff=("xs", "ans_"))
def _(g, ans, t, xs, ans_):
    return seq_pick(g, xs, ans_)


@defvjp(sorted_tangent, nondiff=("xs",))
def _(g, ans, t, xs, reverse=False):
    return sorted_vjp(g, xs, reverse)


@defjvp(sorted_tangent, nondiff=("xs",))
def _(g, ans, t, xs, reverse=False):
    return sorted_tangent(g, xs, reverse)


@defvjp(like_sequence, nondiff=("like",))
def _(g, ans, items, like):
    return g


@defjvp(like_sequence, nondiff=("like",))
def _(g, ans, items, like):
    return Items(g)


@defvjp(builtins.list, builtins.tuple)
def _(g, ans, iterable):
    return seq_vjp(g, iterable)


@defjvp(builtins.list, builtins.tuple)
def _(g, ans, iterable):
    return Items(g)


@defvjp(builtins.sorted)
def _(g, ans, iterable, reverse=False):
    return sorted_vjp(g, iterable, reverse)


@defjvp(builtins.sorted)
def _(g, ans, iterable, reverse=False):
    return sorted_tangent(g, iterable, reverse)


# ---------------------------------------------------------------- writes into arrays
# (the helpers of x[i] = v in generated code, differentiated again for higher order)

@defvjp(copy_arg)
def _(g, ans, x):
    return g


@defjvp(copy_arg)
def _(g, ans, x):
    return copy_arg(g)


@defvjp(copy_item, nondiff=("idx",))
def _(g, ans, x, idx):
    return index_vjp(0.0, x, idx, g)


@defjvp(copy_item, nondiff=("idx",))
def _(g, ans, x, idx):
    return copy_item(g, idx)


@defvjp(disown)
def _(g, ans, d):
    return g


@defjvp(disown)
def _(g, ans, d):
    return disown(g)


@defvjp(writable, nondiff=("x",))
def _(g, ans, d, x):
    return unbroadcast(g, d)


@defjvp(writable, nondiff=("x",))
def _(g, ans, d, x):
    return writable(g, x)


@defvjp(writable_items, nondiff=("ls",))
def _(g, ans, d, ls):
    return g


@defjvp(writable_items, nondiff=("ls",))
def _(g, ans, d, ls):
    return writable_items(g, ls)


@defvjp(written, nondiff=("x",))
def _(g, ans, dv, x):
    return unbroadcast(written(g, x), dv)


@defjvp(written, nondiff=("x",))
def _(g, ans, dv, x):
    return written(g, x)


@defvjp(setitem_grad, nondiff=("idx", "v", "x"))
def _(g, ans, dx, idx, v, x):
    return index_vjp(0.0, dx, idx, np.broadcast_to(written(g, x), np.shape(copy_item(dx, idx))))


@defjvp(setitem_grad, nondiff=("idx", "v", "x"))
def _(g, ans, dx, idx, v, x):
    return setitem_grad(g, idx, v, x)


# ---------------------------------------------------------------- zero derivative

defnondiff(fstring, zeros_tangent, unit_tangent, check_args, check_inplace_arg, snapshot_arg,
           check_unchanged, check_write, check_discrete, check_overlap, check_slots,
           check_update, method_function, check_callee)


@defvjp(finalize, nondiff=("x",))
def _(g, ans, g_, x):
    return unbroadcast(g, g_)


@defjvp(finalize, nondiff=("x",))
def _(g, ans, g_, x):
    return finalize(g, x)


@defvjp(check_tangent_tuple, nondiff=("n", "fname"))
def _(g, ans, t, n, fname):
    return g


@defjvp(check_tangent_tuple, nondiff=("n", "fname"))
def _(g, ans, t, n, fname):
    return g


@defvjp(check_tangent, nondiff=("x", "param", "fname"))
def _(g, ans, t, x, param, fname):
    return g


@defjvp(check_tangent, nondiff=("x", "param", "fname"))
def _(g, ans, t, x, param, fname):
    return g


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

defnondiff(minmax_weights, ravel_order, dict_keys, dict_has, list_position, list_index,
           second_order_call, key_order, key_max, key_min)   # piecewise-constant helpers of JVP rules
