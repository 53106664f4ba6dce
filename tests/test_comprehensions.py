"""List comprehensions and generator expressions (lowered to loops that append), the
builtin ``sum`` over sequences, and arguments a rule does not differentiate — reverse
mode, forward mode and second order against finite differences."""
import numpy as np
import pytest

import diffc
from diffc import DiffcError
from tests.fdcheck import check_value_and_grad, numeric_grad

X4 = np.array([0.3, -0.5, 0.9, 1.3])


def _g(v):
    return np.sin(v) * v


def map_helper_over_items(x):
    ys = [_g(xi) for xi in x]
    return np.sum(np.array(ys) ** 2)


def weighted_sum_generator(x, w):
    return sum(w[i] * x[i] for i in range(len(x)) if i != 1)


def nested_generators(x):
    pairs = np.array([a * b for a in x for b in x[:2] if a > b])
    return np.sum(np.stack([x * k for k in range(3)]) ** 2) + np.sum(pairs)


def comprehension_in_a_branch(x):
    s = np.sum([xi ** 2 for xi in x]) if x[0] > 0 else 0.0
    return s * x[1]


def scoped_variable(x):
    xi = 2.0
    ys = [xi * 3.0 for xi in x]      # the comprehension's xi does not leak
    return np.sum(np.array(ys)) * xi


def builtin_sum_with_start(x):
    rows = [x * k for k in range(1, 4)]
    return np.sum(sum(rows, x) ** 2) + sum(r[0] for r in rows) + sum(x)


def min_and_max_of_sequences(x):
    ls = [x[0] * 2.0, x[1] ** 2, np.sin(x[2])]
    return max(ls) * min(ls) + max(x[0], x[1], x[3]) + min(x)


def sorted_values(x):
    s = sorted([x[0], x[1] * 3.0, x[2], -x[3]])
    return s[0] * 2.0 + s[-1] * s[1] + sum(sorted(x, reverse=True)[:2])


def _times_plus(a, b):
    return a * b + a


def mapped(x):
    return sum(map(np.sin, x)) + sum(list(map(_times_plus, x, x[::-1]))) + sum(tuple(x))


def dict_comprehensions(x):
    d = {i: x[i] ** 2 for i in range(4) if i != 2}
    e = {k: np.sin(v) for k, v in zip(["a", "b"], [x[0], x[3]])}
    return d[0] * d[3] + e["b"] + sum([d[k] for k in range(4) if k != 2])


PROGRAMS = [
    (map_helper_over_items, (X4,)),
    (weighted_sum_generator, (X4, X4[::-1].copy())),
    (nested_generators, (X4,)),
    (comprehension_in_a_branch, (X4,)),
    (scoped_variable, (X4,)),
    (builtin_sum_with_start, (X4,)),
    (min_and_max_of_sequences, (X4,)),
    (sorted_values, (X4,)),
    (mapped, (X4,)),
    (dict_comprehensions, (X4,)),
]
IDS = [f.__name__ for f, _ in PROGRAMS]


@pytest.mark.parametrize("f,args", PROGRAMS, ids=IDS)
def test_reverse_mode(f, args):
    check_value_and_grad(f, [a.copy() for a in args])


@pytest.mark.parametrize("f,args", PROGRAMS, ids=IDS)
def test_forward_mode(f, args):
    args = [a.copy() for a in args]
    v = np.random.default_rng(0).standard_normal(4)
    value, tangent = diffc.jvp(f)(*args, v)
    np.testing.assert_allclose(tangent, numeric_grad(f, args) @ v, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f,args", PROGRAMS, ids=IDS)
def test_second_order(f, args):
    args = [a.copy() for a in args]
    h = diffc.hessian(f)(*args)
    g = diffc.grad(f)
    ref = np.array([numeric_grad(lambda y: g(y, *args[1:])[j], [args[0].copy()])
                    for j in range(4)])
    np.testing.assert_allclose(h, ref, rtol=1e-5, atol=1e-6)


def clip_with_a_bound_from_the_inputs(x):
    return np.sum(np.clip(x, x[0], 1.0))


def clip_with_constant_bounds(x, lo):
    return np.sum(np.clip(x, lo, 1.0))


def test_an_argument_a_rule_does_not_differentiate_is_refused_when_it_varies():
    """np.clip's bounds have no derivative rule: a bound from the inputs used to give a
    silently missing derivative."""
    for run in (lambda: diffc.grad(clip_with_a_bound_from_the_inputs)(X4.copy()),
                lambda: diffc.jvp(clip_with_a_bound_from_the_inputs)(X4.copy(), np.ones(4))):
        with pytest.raises(DiffcError, match="no derivative of `np.clip` with respect to "
                                             "its argument `a_min`"):
            run()
    check_value_and_grad(clip_with_constant_bounds, [X4.copy(), 0.0])


def writes_itself_at_repeated_indices(x):
    v = np.empty(4)
    for i in range(4):
        v[i] = x[0] * (i + 1.0)
    v[np.array([2, 3, 0, 3])] = v         # the item is the array written into
    return np.mean(v * v)


def test_write_of_an_array_into_itself():
    """Fuzzer seed 50147 (--writes): the item's adjoint joined dx before dx[i] was zeroed.
    NumPy 1.x writes overlapping items at an index array one by one without copying them,
    so the result depends on the order of the writes: refused there."""
    if int(np.__version__.split(".")[0]) < 2:
        with pytest.raises(DiffcError, match="depends on the order of the writes"):
            diffc.grad(writes_itself_at_repeated_indices)(X4.copy())
    else:
        check_value_and_grad(writes_itself_at_repeated_indices, [X4.copy()])


def sets_of_labels(x, labels):
    ks = {lab % 3 for lab in labels}
    fixed = {1, 2}
    total = 0.0
    for k in sorted(ks | fixed):
        total = total + x[k] * k
    return total * len(ks) + (2.0 if 1 in fixed else 0.0) * x[0]


def test_sets_of_values_that_do_not_depend_on_the_inputs():
    x = np.array([0.3, 0.5, 0.7])
    g = diffc.grad(sets_of_labels)(x, [1, 4, 5])
    np.testing.assert_allclose(g, numeric_grad(lambda v: sets_of_labels(v, [1, 4, 5]), [x]),
                               rtol=1e-6)
    _, t = diffc.jvp(sets_of_labels)(x, [1, 4, 5], np.ones(3))
    assert t == pytest.approx(np.sum(g))


def set_of_inputs(x):
    return sum({x[0], x[1]})


def test_a_set_of_values_that_depend_on_the_inputs_is_refused():
    with pytest.raises(diffc.NoRuleError, match="no derivative rule for `set`"):
        diffc.grad(set_of_inputs)(np.array([0.3, 0.5]))
