"""Values held twice: in place updates of container items and objects' fields, writes
through a part held in two slots, and tangents that two values share.

Python updates an array item in place (``ls[0] += v``, ``o.v += v``): every slot and
variable holding that array changes. diffc computes a new array, so it refuses where
something else holds the array (checked when the derivative runs), and is exact
otherwise. Each accepted program is compared with central differences in both modes
and at second order (tests/fdcheck.py)."""
from types import SimpleNamespace

import numpy as np
import pytest

import diffc
from tests.fdcheck import check_both_modes, numeric_grad

X = np.array([0.3, -1.2, 0.7])


# ----------------------------------------------------------------- exact
def field_array_plus_number(x):
    o = SimpleNamespace(v=np.zeros(3))
    o.v += x[0]                 # a number added to every item of an array field
    return np.sum(o.v) * x[1]


def constant_field_item_updated(x):
    o = SimpleNamespace(a=np.ones(3))
    o.a[0] += x[0]
    return np.sum(o.a * x)


def list_item_updated(x):
    ls = [x * 1.0]
    ls[0] += 1.0
    return np.sum(ls[0] * x)


def objects_in_a_list_updated(x):
    ps = [SimpleNamespace(v=x * 1.0), SimpleNamespace(v=x * 2.0)]
    for p in ps:
        p.v += x[0]
    return np.sum(ps[0].v * ps[1].v)


def nested_item_updated(x):
    d = {"y": [x * 1.0, x * 2.0]}
    d["y"][1] += x[0]
    return np.sum(d["y"][0] * d["y"][1])


def number_next_to_a_shared_array(x):
    a = x * 1.0
    ls = [a, 2.0]
    ls[1] += x[0]               # a number: nothing else changes
    return np.sum(a * ls[1])


def argument_updated_through_a_dict(x):
    ls = [{"w": x}, {"w": x * x}]
    ls[0]["w"] += x             # Python updates the caller's x: not read again here
    return np.sum(ls[1]["w"] * ls[0]["w"])


def written_after_a_value_made_from_it(x):
    m = x[[2, 1]]
    m[0] += 0.5
    g = m + 1.0                 # a new array, whose tangent is m's until m is written
    m[0] = 0.5
    return np.sum(g * g) + np.sum(m)


def written_after_a_value_stored_from_it(x):
    o = SimpleNamespace(v=0.5, m=x[[2]])
    o.m[0] += 0.5
    grid = [1.0 * o.m, x, o.m + 1.0]
    o.m[0] = 0.5
    return o.v + sum(a for row in grid for a in row)


def repeated_tuple_joined(x):
    v = x[0] * 2.0
    u = (v,) * 2 + (x[1], x[2])
    return u[0] * u[2] + u[1] * u[3]


EXACT = [field_array_plus_number, constant_field_item_updated, list_item_updated,
         objects_in_a_list_updated, nested_item_updated, number_next_to_a_shared_array,
         argument_updated_through_a_dict, written_after_a_value_made_from_it,
         written_after_a_value_stored_from_it, repeated_tuple_joined]


@pytest.mark.parametrize("f", EXACT, ids=lambda f: f.__name__)
def test_exact_in_both_modes(f):
    check_both_modes(f, X.copy())


def joined_with_a_tuple_argument(x, t):
    v = x[0] * 2.0
    u = (v,) * 2 + t            # a tuple argument joined to a repeated tuple
    return u[0] * u[2] + u[1] * u[3]


def test_repeated_tuple_joined_with_an_argument():
    t = (1.5, -2.0)
    f = joined_with_a_tuple_argument
    gx, gt = diffc.grad(f, wrt=(0, 1))(X.copy(), t)
    np.testing.assert_allclose(gx, numeric_grad(lambda x: f(x, t), [X.copy()]), rtol=1e-6)
    np.testing.assert_allclose(gt, [(f(X, (t[0] + 1e-6, t[1])) - f(X, (t[0] - 1e-6, t[1]))) / 2e-6,
                                    (f(X, (t[0], t[1] + 1e-6)) - f(X, (t[0], t[1] - 1e-6))) / 2e-6],
                               rtol=1e-6)
    along = np.array([0.4, -1.0, 2.0])
    value, tangent = diffc.jvp(joined_with_a_tuple_argument)(X.copy(), t, along)
    eps = 1e-6
    fd = (joined_with_a_tuple_argument(X + eps * along, t) -
          joined_with_a_tuple_argument(X - eps * along, t)) / (2 * eps)
    assert value == joined_with_a_tuple_argument(X.copy(), t)
    np.testing.assert_allclose(tangent, fd, rtol=1e-6)


# ----------------------------------------------------------------- refused
def same_array_twice_in_a_list(x):
    a = x * 1.0
    ls = [a, a]
    ls[0] += 1.0                # Python: ls[1] (and a) change too
    return np.sum(ls[1] * a)


def dict_item_is_a_variable(x):
    a = x * 1.0
    d = {"u": a}
    d["u"] += 1.0               # Python: a changes too
    return np.sum(a * x)


def repeated_zero_d_array(x):
    ls = [np.array(np.sum(x))] * 3
    ls[0] += 0.5                # one 0-d array in three slots
    return ls[0] * ls[1] + ls[2]


def write_through_a_repeated_row(x):
    grid = [[0.0, 0.0, 0.0]] * 2
    grid[0][1] = x[0] * 2.0     # Python: grid[1][1] too
    return grid[1][1] * x[1] + grid[0][1]


def write_through_an_array_appended_twice(x):
    ls = []
    a = x * 1.0
    ls.append(a)
    ls.append(a)
    ls[0][1] = x[0] * 3.0
    return np.sum(ls[1] * x)


def nested_item_held_twice(x):
    a = x * 1.0
    d = {"y": [a, a]}
    d["y"][1] += x[0]
    return np.sum(d["y"][0] * d["y"][1])


def two_fields_one_array(x):
    a = x * 1.0
    o = SimpleNamespace(v=a, w=a)
    o.v += x[0]
    return np.sum(o.w * x)


def objects_sharing_a_field(x):
    a = x * 1.0
    ps = [SimpleNamespace(v=a), SimpleNamespace(v=a * 2.0)]
    for p in ps:
        p.v += x[0]             # Python: a changes too
    return np.sum(ps[0].v * ps[1].v) + np.sum(a)


REFUSED = [
    (same_array_twice_in_a_list, r"`ls\[0\] \+= \.\.\.` changes in place a value that the same "
                                 r"list also holds at index 1"),
    (dict_item_is_a_variable, r"`d\['u'\] \+= \.\.\.` changes in place a value that `a` shares"),
    (repeated_zero_d_array, r"also holds at index 1"),
    (write_through_a_repeated_row, r"a write into `grid\[0\]` changes in place a value that "
                                   r"the same list also holds at index 1"),
    (write_through_an_array_appended_twice, r"a write into `ls\[0\]`"),
    (nested_item_held_twice, r"`d\['y'\]\[1\] \+= \.\.\.` .* also holds at index 0"),
    (two_fields_one_array, r"`o.v \+= \.\.\.` .* SimpleNamespace also holds in its attribute `w`"),
    (objects_sharing_a_field, r"`p.v \+= \.\.\.` changes in place a value that `a` shares"),
]


@pytest.mark.parametrize("f, message", REFUSED, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_refused_where_python_changes_another_holder(f, message, mode):
    x = X.copy()
    d = diffc.grad(f) if mode == "grad" else \
        (lambda x: diffc.jvp(f)(x, np.ones(3)))
    with pytest.raises(diffc.DiffcError, match=message) as e:
        d(x)
    assert "test_shared_items.py:" in str(e.value)
    np.testing.assert_array_equal(x, X)


# ----------------------------------------------------------------- joins diffc must see
def slice_of_a_list_extended(x):
    ls = [1.0, 0.5]
    tail = ls[1:]                # a slice of a list is a list
    tail.insert(0, x[2])
    tail += [x[0], 0]
    return sum(u * u for u in tail)


def test_slice_of_a_list_extended():
    check_both_modes(slice_of_a_list_extended, X.copy())


def joined_tuple_arguments(x, t):
    u = tuple(t) + tuple(t)     # `t + t` alone: diffc cannot tell a tuple from an array
    return u[0] * x[0] + u[3] * x[1]


def tuple_arguments_added(x, t):
    u = t + t
    return u[0] * x[0] + u[3] * x[1]


def test_joined_tuple_arguments():
    t = (1.5, -2.0)
    f = joined_tuple_arguments
    gx, gt = diffc.grad(f, wrt=(0, 1))(X.copy(), t)
    np.testing.assert_allclose(gx, numeric_grad(lambda x: f(x, t), [X.copy()]), rtol=1e-6)
    np.testing.assert_allclose(gt, [X[0], X[1]], rtol=1e-12)    # d/dt0 = x0, d/dt1 = x1
    with pytest.raises(diffc.DiffcError, match=r"shape \(4,\) for an argument of shape \(2,\)"
                                               r"(.|\n)*list\(a\) \+ list\(b\)"):
        diffc.grad(tuple_arguments_added, wrt=(0, 1))(X.copy(), t)
