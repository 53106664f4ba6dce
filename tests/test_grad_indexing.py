"""Reads through indexing: integers, negatives, slices, steps, None, ...,
integer arrays (with repeated indices: gradients accumulate), index
arithmetic with // and %, len, shapes, lists/tuples of active values."""

import numpy as np
import pytest

import diffc
from fdcheck import check_grad

RNG = np.random.default_rng(3)
V6 = RNG.normal(size=6)
M34 = RNG.normal(size=(3, 4))
T234 = RNG.normal(size=(2, 3, 4))
IDX = np.array([0, 2, 2, 5, 1, 2])


def ix_int(x):
    return x[0] * x[3] + x[1] ** 2


def ix_negative(x):
    return x[-1] * x[-2] - x[-6]


def ix_slice(x):
    return np.sum(np.sin(x[1:4]) * x[2:5])


def ix_slice_open(x):
    return np.sum(x[:3] * x[3:])


def ix_step(x):
    return np.sum(x[::2] ** 2) + np.sum(x[1::2] ** 3)


def ix_reverse(x):
    return np.sum(x[::-1] * np.arange(6.0))


def ix_neg_step_slice(x):
    return np.sum(x[4:0:-2] * x[1:3])


def ix_none(x):
    return np.sum(x[None] * x[:, None])


def ix_none_2d(x):
    return np.sum((x[:, None, :] * x[None, :, :]) ** 2)


def ix_ellipsis(x):
    return np.sum(x[..., 0] ** 2) + np.sum(x[..., 1:3] * 2.0) * np.sum(x[0, ..., 3])


def ix_2d_int(x):
    return x[1, 2] * x[0, 0] + x[-1, -1]


def ix_2d_row(x):
    return np.sum(x[1] ** 2) + np.sum(x[-1] * x[0])


def ix_2d_col(x):
    return np.sum(x[:, 1] * x[:, -1])


def ix_2d_block(x):
    return np.sum(np.exp(x[1:, ::2]))


def ix_chained(x):
    return x[1][2] * x[2][0] + np.sum(x[0][1:3])


def ix_3d_mixed(x):
    return np.sum(x[1, :, 2] * x[0, :, 1]) + np.sum(x[:, -1, ::3] ** 2)


def ix_int_array(x, idx):
    return np.sum(x[idx] * np.arange(1.0, 7.0))


def ix_int_array_global(x):
    return np.sum(x[IDX] ** 2)


def ix_int_array_literal(x):
    idx = np.array([3, 3, 0, 3])
    return np.sum(np.sin(x[idx]))


def ix_int_array_rows(x, idx):
    return np.sum(x[idx, :] * x[idx, :])


def ix_int_array_cols(x):
    return np.sum(np.tanh(x[:, np.array([1, 1, 3])]))


def ix_int_array_2d(x):
    return np.sum(x[np.array([[0, 1], [1, 5]])] ** 3)


def ix_two_index_arrays(x, r, c):
    return np.sum(x[r, c] ** 2)


def ix_2d_reverse_rows(x):
    return np.sum(x[::-1, 1:] * x[:, :-1])


def ix_int_list(x):
    return np.sum(x[[0, 4, 4]] ** 2)


def ix_arith(x):
    n = x.shape[0]
    s = 0.0
    for i in range(n):
        j = (i * 5) % n
        k = i // 2
        s = s + x[j] * x[k] * (i + 1)
    return s


def ix_len_mid(x):
    mid = len(x) // 2
    return x[mid] ** 2 + x[len(x) - 1] * x[mid - 1]


def ix_shape_last(x):
    return x[x.shape[0] - 1, x.shape[1] - 2] * np.sum(x[x.shape[0] // 2])


def ix_loop_diff(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + (x[i + 1] - x[i]) ** 2
    return s


def ix_of_result(A, x):
    y = np.dot(A, x)
    return y[1] * y[-1] + np.sum(y[:2])


def ix_tuple_active(x, y):
    t = (x, y * 2.0, x * y)
    return t[0] * t[1] + t[-1]


def ix_list_active(x, y):
    lst = [x * x, y, np.sin(x)]
    return lst[0] * lst[2] + lst[1] * lst[-1]


def ix_loop_repeated_reads(x):
    s = 0.0
    for i in range(4):
        s = s + x[0] * x[i % 2]
    return s


CASES = [
    (ix_int, (V6,), 0),
    (ix_negative, (V6,), 0),
    (ix_slice, (V6,), 0),
    (ix_slice_open, (V6,), 0),
    (ix_step, (V6,), 0),
    (ix_reverse, (V6,), 0),
    (ix_neg_step_slice, (V6,), 0),
    (ix_none, (V6,), 0),
    (ix_none_2d, (M34,), 0),
    (ix_ellipsis, (T234,), 0),
    (ix_ellipsis, (M34,), 0),
    (ix_2d_int, (M34,), 0),
    (ix_2d_row, (M34,), 0),
    (ix_2d_col, (M34,), 0),
    (ix_2d_block, (M34,), 0),
    (ix_chained, (M34,), 0),
    (ix_3d_mixed, (T234,), 0),
    (ix_int_array, (V6, IDX), 0),
    (ix_int_array, (V6, np.array([5, 5, 5, 0, 0, 1])), 0),
    (ix_int_array, (V6, np.array([-1, -1, 2, 3, 3, 3])), 0),
    (ix_int_array_global, (V6,), 0),
    (ix_int_array_literal, (V6,), 0),
    (ix_int_array_rows, (M34, np.array([2, 0, 2])), 0),
    (ix_int_array_cols, (M34,), 0),
    (ix_int_array_2d, (V6,), 0),
    (ix_int_list, (V6,), 0),
    (ix_two_index_arrays, (M34, np.array([0, 0, -1, 2]), np.array([1, 1, 3, -1])), 0),
    (ix_2d_reverse_rows, (M34,), 0),
    (ix_arith, (V6,), 0),
    (ix_len_mid, (V6,), 0),
    (ix_shape_last, (M34,), 0),
    (ix_loop_diff, (V6,), 0),
    (ix_of_result, (M34, RNG.normal(size=4)), (0, 1)),
    (ix_tuple_active, (0.7, -1.1), (0, 1)),
    (ix_list_active, (0.7, -1.1), (0, 1)),
    (ix_loop_repeated_reads, (V6,), 0),
]


@pytest.mark.parametrize(
    "f,args,wrt",
    [pytest.param(*c, id=f"{c[0].__name__}-{i}") for i, c in enumerate(CASES)],
)
def test_indexing(f, args, wrt):
    check_grad(f, args, wrt=wrt)


def test_repeated_index_accumulates_analytic():
    # d/dx sum(x[idx] * w) = bincount(idx, w)
    x, idx = V6, np.array([5, 5, 5, 0, 0, 1])
    g = diffc.grad(ix_int_array)(x, idx)
    np.testing.assert_allclose(g, np.bincount(idx, np.arange(1.0, 7.0), minlength=6), rtol=1e-12)


def test_repeated_index_global_analytic():
    g = diffc.grad(ix_int_array_global)(V6)
    counts = np.bincount(IDX, minlength=6)
    np.testing.assert_allclose(g, 2.0 * counts * V6, rtol=1e-12)


def test_index_array_not_mutated_and_grad_shape():
    idx = IDX.copy()
    g = diffc.grad(ix_int_array)(V6, idx)
    assert g.shape == V6.shape
    np.testing.assert_array_equal(idx, IDX)


def test_loop_repeated_reads_analytic():
    # s = x0*x0 + x0*x1 + x0*x0 + x0*x1 = 2x0^2 + 2x0x1
    g = diffc.grad(ix_loop_repeated_reads)(V6)
    exp = np.zeros(6)
    exp[0] = 4 * V6[0] + 2 * V6[1]
    exp[1] = 2 * V6[0]
    np.testing.assert_allclose(g, exp, rtol=1e-12, atol=1e-15)
