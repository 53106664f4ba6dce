"""Writes into arrays: ``x[i] = v``, ``x[i] op= v``, slices, masks, index arrays, in loops
and branches, on arrays made in the function and on arguments — reverse mode, forward
mode and second order, each against central finite differences."""
import numpy as np
import pytest

import diffc
from diffc import DiffcError, UnsupportedError
from tests.fdcheck import check_value_and_grad, numeric_grad, snapshot, assert_unchanged

X4 = np.array([0.3, -0.5, 0.9, 1.3])
A23 = np.array([[0.2, -0.4, 0.7], [1.1, 0.5, -0.8]])


def fill_loop(x):
    out = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        out[i] = np.sin(x[i]) * x[i]
    return np.sum(out * out)


def fill_empty_then_read(x):
    y = np.empty(len(x))
    y[0] = x[0]
    for i in range(1, len(x)):
        y[i] = y[i - 1] * x[i] + 0.5      # reads what the previous iteration wrote
    return np.sum(y ** 2)


def overwrite_then_read(x):
    y = np.zeros_like(x)
    for i in range(len(x)):
        y[i] = x[i] ** 2
        y[i] = y[i] * x[0] + y[i]          # the same element, overwritten and read back
    return np.sum(y * x)


def heat_equation(u, k):
    u = u.copy()
    for _ in range(6):
        u[1:-1] = u[1:-1] + k * (u[2:] - 2 * u[1:-1] + u[:-2])
    return np.sum(u ** 2)


def augmented_everything(x):
    y = x * 1.0
    y[0] += x[1] * 3.0
    y[1] -= x[2]
    y[2] *= x[3]
    y[3] /= 1.5 + x[0] ** 2
    y[1:3] **= 2.0
    return np.sum(y * y)


def two_dimensional(a):
    b = np.ones((2, 3))
    b[0, 1] = a[1, 2] * a[0, 0]
    b[:, 2] = np.tanh(a[:, 0])
    b[1] = b[1] * a[0]                      # a whole row
    b[1, :2] += a[1, 1:]
    return np.sum(b * a)


def mask_and_index_writes(x):
    y = np.copy(x)
    y[y > 0.5] = 0.5 * y[y > 0.5] ** 2      # a mask
    z = np.zeros(6)
    z[np.array([0, 2, 2, 5])] = x           # repeated index: the last write wins
    z[np.array([1, 1])] += x[:2]            # buffered: x[1] lands once (as in NumPy)
    return np.sum(y * y) + np.sum(z * np.arange(1.0, 7.0) * z)


def write_into_argument(x):
    x[0] = x[1] ** 2                        # diffc works on a copy of the caller's array
    x[2:] *= x[0]
    return np.sum(x * x)


def writes_in_branches(x, c):
    y = np.array([1.0, 2.0, 3.0, 4.0])
    for i in range(4):
        if x[i] > c:
            y[i] = x[i] * c
        else:
            y[3 - i] += np.exp(x[i])
    return np.sum(np.sin(y))


def broadcast_item(x):
    y = np.zeros((3, 4))
    y[1] = x                                # a row
    y[:, 0] = x[0] ** 2                     # a scalar into a column
    y[2, 1:3] = x[1:3] * y[1, 1:3]
    return np.sum(y ** 2)


def written_while_loop(x):
    y = np.zeros(8)
    i = 0
    s = x[0]
    while i < 8 and s < 5.0:
        y[i] = s
        s = s * 1.3 + x[1]
        i += 1
    return np.sum(y * y)


def returns_the_written_array(x):
    y = np.zeros(3)
    y[1] = x[0] * x[1]
    y[2] = y[1] * x[2]
    return y                               # value_and_grad below uses its sum


def reads_the_whole_array_between_writes(x):
    y = x * 2.0 + 1.0
    s = 0.0
    for i in range(len(x)):
        s = s + np.sum(y * y) * x[i]     # the backward pass needs y as it was here
        y[i] = np.sin(y[i]) + x[i]
    return s + np.sum(y)


def rod(p):
    k, h = p[0], p[1]
    u = np.full(6, 3.0)
    out = np.empty((4, 2))               # garbage: every part of it is overwritten
    for t in range(4):
        u[0] = 10.0 * p[0]
        u[1:-1] = u[1:-1] + 0.2 * (k * (u[2:] - 2.0 * u[1:-1] + u[:-2]) - h * u[1:-1])
        u[-1] = u[-2]
        out[t] = u[np.array([1, 3])]
    return np.sum(out ** 2)


def trajectory_appended(p):
    y, v = 1.0, 0.0
    hs = []
    for i in range(30):
        v = v - (9.81 + p[0] * v) * 0.01
        y = y + v * 0.01
        if y < 0.0:
            y = -y * p[1]
            v = -v * p[1]
        hs.append(y)
    return np.sum(np.array(hs) ** 2)


def rows_appended_and_read_by_item(x):
    rows = []
    for i in range(3):
        rows.append(x * (i + 1.0))
    rows.append(np.sin(x))
    return np.sum(np.stack(rows) ** 2) + rows[1][0] * rows[-1][1]


def list_read_while_it_grows(x):
    acc = []
    s = 0.0
    for i in range(4):
        acc.append(x[i] * s + 1.0)
        s = s + np.sum(np.array(acc)) * x[i]
    return s + acc[0]


def extended(x):
    ls = [x[0]]
    ls.extend([x[1] * 2.0, np.sin(x[2])])
    ls.extend(x[2:] ** 2)                # the items of an array: its elements
    return np.sum(np.array(ls) ** 2) + ls[-1] * ls[1]


def used_as_a_stack(x):
    stack = [x[0], x[1] * 2.0, np.sin(x[2])]
    a = stack.pop()
    stack.append(a * x[3])
    b = stack.pop()
    stack.pop()
    total = 0.0
    for i in range(3):
        stack.append(x[i] ** 2)
    while len(stack) > 1:
        total = total + stack.pop() * x[3]
    return total + a * b + stack[0]


def tangent_shared_by_two_arrays(x):
    y = np.zeros(3)
    y[0] = x[0]
    w = y + 1.0            # forward mode: w_dot is y_dot, the same array
    w[0] = 1.0             # must not write into y's tangent
    return np.sum(y) + np.sum(w)


def test_a_write_changes_only_its_own_arrays_tangent():
    """Fuzzer --writes (26 of 10,000 programs, e.g. seeds 2860 and 1225): a tangent made
    writable for y was written through w, whose tangent was the same object."""
    x = np.array([0.5, 0.2, 0.1, 0.0])
    check_value_and_grad(tangent_shared_by_two_arrays, [x.copy()])
    v = np.array([1.0, -0.5, 2.0, 0.3])
    np.testing.assert_allclose(diffc.jvp(tangent_shared_by_two_arrays)(x.copy(), v)[1],
                               numeric_grad(tangent_shared_by_two_arrays, [x.copy()]) @ v,
                               rtol=1e-6, atol=1e-9)


def appends_to_an_argument(x, ls):
    ls.append(x[0] * x[1])           # the derivative appends to a copy
    return np.sum(np.array(ls)) * x[2]


def sum_of_the_written_array(x):
    return np.sum(returns_the_written_array(x))


PROGRAMS = [
    (fill_loop, (X4,)),
    (fill_empty_then_read, (X4,)),
    (overwrite_then_read, (X4,)),
    (heat_equation, (X4, 0.2)),
    (augmented_everything, (X4,)),
    (two_dimensional, (A23,)),
    (mask_and_index_writes, (X4,)),
    (write_into_argument, (X4,)),
    (writes_in_branches, (X4, 0.4)),
    (broadcast_item, (X4,)),
    (written_while_loop, (X4,)),
    (reads_the_whole_array_between_writes, (X4,)),
    (rod, (np.array([0.5, 0.05]),)),
    (trajectory_appended, (np.array([0.35, 0.8]),)),
    (rows_appended_and_read_by_item, (np.array([0.3, -0.7]),)),
    (list_read_while_it_grows, (X4,)),
    (extended, (X4,)),
    (used_as_a_stack, (X4,)),
]


def _args(args):
    return [np.array(a, dtype=float) if isinstance(a, np.ndarray) else a for a in args]


@pytest.mark.parametrize("f,args", PROGRAMS, ids=[f.__name__ for f, _ in PROGRAMS])
def test_reverse_mode(f, args):
    check_value_and_grad(f, _args(args))


@pytest.mark.parametrize("f,args", PROGRAMS, ids=[f.__name__ for f, _ in PROGRAMS])
def test_forward_mode(f, args):
    args = _args(args)
    rng = np.random.default_rng(0)
    v = rng.standard_normal(np.shape(args[0]))
    before = snapshot(args)
    value, tangent = diffc.jvp(f)(*args, v)
    assert_unchanged(before[0], args[0])
    ref = numeric_grad(f, snapshot(args))
    np.testing.assert_allclose(tangent, np.sum(ref * v), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(value, f(*snapshot(args)), rtol=1e-12)


@pytest.mark.parametrize("f,args", PROGRAMS, ids=[f.__name__ for f, _ in PROGRAMS])
def test_second_order(f, args):
    args = _args(args)
    h = diffc.hessian(f)(*args)
    g = diffc.grad(f)
    x = args[0]
    ref = np.array([np.reshape(numeric_grad(lambda y: np.reshape(g(y, *args[1:]), -1)[j],
                                            [x.copy()]), -1) for j in range(x.size)])
    np.testing.assert_allclose(np.reshape(h, (x.size, x.size)), ref, rtol=1e-5, atol=1e-6)


def written_zero_d_array(x):
    y = np.zeros(())
    y[()] = x[0] * x[1]
    y[()] = y * x[2]
    return y                          # the written array itself


def test_returned_written_array_is_not_changed_by_the_backward_pass():
    x = np.array([0.5, 2.0, -1.5])
    check_value_and_grad(sum_of_the_written_array, [x])
    value, grad = diffc.value_and_grad(written_zero_d_array)(x)
    assert float(value) == written_zero_d_array(x.copy()) == -1.5   # not the restored 0.0
    np.testing.assert_allclose(grad, numeric_grad(written_zero_d_array, [x.copy()]), rtol=1e-6)


def test_integer_array_truncates_so_its_item_has_zero_derivative():
    def f(x):
        k = np.zeros(3, dtype=np.int64)
        k[0] = x * 10.0              # truncated to an integer: piecewise constant
        y = np.zeros(3)
        y[1] = x * 2.0
        return float(k[0]) + np.sum(y)
    assert diffc.grad(f)(0.33) == pytest.approx(2.0)
    assert diffc.jvp(f)(0.33, 1.0)[1] == pytest.approx(2.0)


def view_written_then_read(x):
    y = x * 1.0
    v = y[1:3]                       # a view of y
    y[1] = 5.0                       # changes v too
    return np.sum(v * x[:2])


def written_view_of_a_local(x):
    y = x * 2.0
    v = y[:2]
    v[0] = x[3]                      # writes into y through the view
    return np.sum(y)


def test_writes_through_views_read_later_are_refused():
    with pytest.raises(DiffcError, match=r"write into `y` changes `v` too"):
        diffc.grad(view_written_then_read)(X4.copy())
    with pytest.raises(DiffcError, match=r"write into `v` changes `y` too"):
        diffc.grad(written_view_of_a_local)(X4.copy())


def view_dead_after_the_write(x):
    y = x * 1.0
    s = np.sum(y[1:3] * x[1:3])      # a view, read only before the write
    y[1] = s
    return np.sum(y * y)


def test_views_not_read_after_the_write_are_exact():
    check_value_and_grad(view_dead_after_the_write, [X4.copy()])


G = np.array([1.0, 2.0, 3.0])


def writes_into_a_global(x):
    g = G
    g[0] = x
    return np.sum(g)


def test_writes_into_module_arrays_are_refused_at_build_time():
    with pytest.raises(UnsupportedError, match="module-level array `G`"):
        diffc.grad(writes_into_a_global)


def writes_through_two_subscripts(x):
    y = np.zeros((2, 2))
    y[0][1] = x
    return np.sum(y)


def test_chained_writes_are_written_back_and_exact():
    # once refused ("changes `y` too"): y[0][1] = x writes into the row, then stores the
    # row back (y_part = y[0]; y_part[1] = x; y[0] = y_part), so y follows the write
    check_value_and_grad(writes_through_two_subscripts, [0.5])
    assert diffc.jvp(writes_through_two_subscripts)(0.5, 1.0)[1] == 1.0
    assert diffc.grad(diffc.grad(writes_through_two_subscripts))(0.5) == 0.0


def row_written_back_elsewhere(x):
    A = np.outer(x, x)
    r = A[1]
    r[0] = 5.0                 # writes into row 1 through the view r
    A[0] = r                   # stores it at row 0: A's row 1 changed unseen
    return np.sum(A ** 2)


def test_a_view_stored_back_at_another_index_is_still_refused():
    with pytest.raises(DiffcError, match=r"changes `A` too"):
        diffc.grad(row_written_back_elsewhere)(X4.copy())


def one_hot_rows_in_a_list(x):
    rows = []
    for t in range(3):
        rows.append(np.zeros(4))
        rows[t][t + 1] = 1.0             # writes into an item: constants, no derivative
    return sum(np.dot(x, r) * x[t] for t, r in enumerate(rows))


def list_items_rewritten(x):
    hs = [x * 0.0, x * 0.0, x * 0.0]
    for t in range(1, 3):
        hs[t] = np.tanh(hs[t - 1] + x * t)
    hs[0] = hs[2] * x
    return np.sum(hs[0] * hs[1]) + np.sum(np.stack(hs))


def test_list_item_writes_and_writes_into_constant_items():
    for f in (one_hot_rows_in_a_list, list_items_rewritten):
        check_value_and_grad(f, [X4.copy()])
        v = np.array([0.3, -0.2, 1.1, 0.5])
        np.testing.assert_allclose(diffc.jvp(f)(X4.copy(), v)[1],
                                   numeric_grad(f, [X4.copy()]) @ v, rtol=1e-6, atol=1e-8)
        g = diffc.grad(f)
        ref = np.array([numeric_grad(lambda y: g(y)[j], [X4.copy()]) for j in range(4)])
        np.testing.assert_allclose(diffc.hessian(f)(X4.copy()), ref, rtol=1e-5, atol=1e-6)


def test_caller_arrays_are_not_modified():
    x = X4.copy()
    diffc.grad(write_into_argument)(x)
    diffc.jvp(write_into_argument)(x, np.ones(4))
    diffc.hessian(write_into_argument)(x)
    np.testing.assert_array_equal(x, X4)


def test_generated_code_reads_like_the_write():
    src = diffc.source(diffc.grad(fill_loop))
    assert "out[i] = t" in src or "out[i] = " in src
    assert "out_old = copy_item(out, i)" in src
    assert "dout[i] = 0.0" in src


def test_append_never_changes_the_callers_list():
    ls = [1.0, 2.0]
    g = diffc.grad(appends_to_an_argument)(X4.copy(), ls)
    assert ls == [1.0, 2.0]
    np.testing.assert_allclose(g, numeric_grad(appends_to_an_argument, [X4.copy(), [1.0, 2.0]]),
                               rtol=1e-6)


def alias_of_a_list_read_after_append(x):
    ls = [x[0]]
    other = ls
    ls.append(x[1] * 2.0)
    return np.sum(np.array(other)) * x[2]


def test_append_to_a_list_with_an_alias_read_later_is_refused():
    with pytest.raises(DiffcError, match=r"write into `ls` changes `other` too"):
        diffc.grad(alias_of_a_list_read_after_append)(X4.copy())


def test_append_source_reads_like_python():
    src = diffc.source(diffc.grad(trajectory_appended))
    assert "hs.append(y)" in src
    assert "hs = unappend(hs)" in src or "unappend(hs)" in src


def _writes_into_a_copy_of_its_argument(b):
    v = b[[1, 1]]                        # indexing with a list: a copy, not b
    v[0] = 5.0
    return np.sum(v)


def helper_writing_into_a_copy(x):
    u = np.sin(x)
    return _writes_into_a_copy_of_its_argument(u) + np.sum(u)


def test_helper_writing_into_a_list_indexed_copy_is_not_refused():
    """Fuzzer --writes: refused as a write into the helper's parameter (a false positive)."""
    check_value_and_grad(helper_writing_into_a_copy, [np.array([0.3, 0.5, 0.9])])


def rows_rewritten_after_appends(x):
    acc = np.sum(x) * 0.1
    rows = []
    for j in range(2):
        rows.append(x * (j + acc))
    rows[0] = rows[1] * 0.5              # the list's adjoint: a zeroed item beside an array
    return acc + np.sum(np.stack(rows) ** 2) * 0.1


def test_list_adjoint_with_items_of_different_shapes():
    """A quick random-program check of lists as storage: appended_grad crashed on an
    adjoint holding 0.0 beside an array."""
    check_value_and_grad(rows_rewritten_after_appends, [np.array([0.3, -0.5, 0.7])])
