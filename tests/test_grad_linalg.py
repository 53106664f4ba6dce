"""dot / matmul / @, reshape, transpose / .T, stack, concatenate and small
models built from them."""

import numpy as np
import pytest

import diffc
from fdcheck import check_grad

RNG = np.random.default_rng(7)
A23 = RNG.normal(size=(2, 3))
B34 = RNG.normal(size=(3, 4))
C234 = RNG.normal(size=(2, 3, 4))
D45 = RNG.normal(size=(4, 5))
V3 = RNG.normal(size=3)
U3 = RNG.normal(size=3)
V2 = RNG.normal(size=2)
V4 = RNG.normal(size=4)
X63 = RNG.normal(size=(6, 3))
Y6 = RNG.normal(size=6)
U4 = RNG.normal(size=4)


# ------------------------------------------------------------------ products
def dot_vv(x, y):
    return np.dot(x, y) * np.dot(x, x)


def dot_mv(A, x):
    return np.sum(np.sin(np.dot(A, x)))


def dot_mm(A, B):
    return np.sum(np.tanh(np.dot(A, B)))


def matmul_mm(A, B):
    return np.sum(np.matmul(A, B) ** 2)


def at_mm(A, B):
    return np.sum(np.cos(A @ B))


def at_mv(A, x):
    return np.sum((A @ x) ** 2)


def at_vm(x, B):
    return np.sum(np.exp(x @ B * 0.3))


def at_vv(x, y):
    return (x @ y) ** 2


def at_batched(C, D):
    return np.sum(np.sin(C @ D))


def at_chain(A, B, D):
    return np.sum((A @ B @ D) ** 2)


def at_gram(A):
    return np.sum((A @ A.T) ** 2)


def quad_form(x, A):
    return x @ (A.T @ A) @ x


def linreg(w, X, y):
    r = X @ w - y
    return np.mean(r * r)


def mlp(W1, b1, W2, x):
    h = np.tanh(x @ W1 + b1)
    out = h @ W2
    return np.sum(out * out)


def at_scalar_result_times_matrix(x, y, A):
    return np.sum((x @ y) * A)


def matmul_batch_broadcast(A, B):
    return np.sum(np.sin(np.matmul(A, B)))


def dot_vec_mat(x, B):
    return np.sum(np.dot(x, B) ** 2)


# ----------------------------------------------------------------- reshapes
def reshape_fn(x):
    return np.sum(np.reshape(x, (3, 2)) * np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))


def reshape_method_args(x):
    y = x.reshape(3, 2)
    return np.sum(np.sin(y) * np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))


def reshape_method_tuple(x):
    y = x.reshape((6,))
    return np.sum(y * y * np.arange(6.0))


def reshape_minus_one(x):
    y = x.reshape(-1)
    return np.sum(np.arange(1.0, 7.0) * np.exp(y * 0.5))


def reshape_roundtrip(x):
    y = np.reshape(x, (x.shape[0] * x.shape[1],))
    z = y.reshape(x.shape)
    return np.sum(z * x)


def reshape_3d(x):
    return np.sum(np.sum(x.reshape(2, 2, 3), axis=1) ** 2)


def transpose_fn(x):
    return np.sum(np.transpose(x) @ np.array([1.0, -2.0]))


def transpose_T(x):
    return np.sum((x.T * np.array([1.0, -2.0])) ** 2)


def transpose_axes(x):
    y = np.transpose(x, (1, 0, 2))
    return np.sum(y[0] * y[1] * y[2])


def transpose_negative_axes(x):
    return np.sum(np.transpose(x, (-1, 0, 1))[0] ** 2)


def transpose_T_matmul(x, y):
    return np.sum(x.T @ y)


# ------------------------------------------------------------ stack / concat
def stack_default(x, y):
    s = np.stack([x, y * 2.0, x * y])
    return np.sum(s * np.arange(9.0).reshape(3, 3))


def stack_axis1(x, y):
    s = np.stack([x, y], axis=1)
    return np.sum((s @ np.array([1.0, -3.0])) ** 2)


def stack_scalars(x, y):
    s = np.stack([x, y, x * y])
    return np.sum(s * s * np.array([1.0, 2.0, 3.0]))


def concat_loop_rows(x):
    # grow a matrix row by row with np.concatenate inside a loop
    M = x[None, :] * 1.0
    for i in range(1, 3):
        M = np.concatenate([M, x[None, :] * (i + 1.0)], axis=0)
    return np.sum(np.sin(M) * np.arange(M.shape[0] * M.shape[1]).reshape(M.shape))


def stack_axis_neg(x, y):
    return np.sum(np.stack([x, y], axis=-1) @ np.array([1.0, 2.0]))


def concat_axis_neg(x, y):
    return np.sum(np.concatenate([x, y], axis=-1) ** 3)


def concat_default(x, y):
    c = np.concatenate([x, y * y])
    return np.sum(c * np.arange(1.0, 6.0))


def concat_axis1(A, B):
    c = np.concatenate([A, B], axis=1)
    return np.sum(np.tanh(c) * np.arange(1.0, 8.0))


def concat_tuple_axis0(A, x):
    c = np.concatenate((A, x.reshape(1, 3)), axis=0)
    return np.sum(c ** 3)


def concat_same_twice(x):
    c = np.concatenate([x, x, x * 2.0])
    return np.sum(c * c)


CASES = [
    (dot_vv, (V3, U3), (0, 1)),
    (dot_mv, (A23, V3), (0, 1)),
    (dot_mm, (A23, B34), (0, 1)),
    (matmul_mm, (A23, B34), (0, 1)),
    (at_mm, (A23, B34), (0, 1)),
    (at_mv, (B34, V4), (0, 1)),
    (at_vm, (V3, B34), (0, 1)),
    (at_vv, (V3, U3), (0, 1)),
    (at_batched, (C234, D45), (0, 1)),
    (at_chain, (A23, B34, D45), (0, 1, 2)),
    (at_gram, (A23,), 0),
    (matmul_batch_broadcast, (RNG.normal(size=(1, 3, 4)), RNG.normal(size=(2, 4, 5))), (0, 1)),
    (dot_vec_mat, (V3, B34), (0, 1)),
    (transpose_negative_axes, (C234,), 0),
    (stack_axis_neg, (V3, U3), (0, 1)),
    (concat_axis_neg, (A23, RNG.normal(size=(2, 2))), (0, 1)),
    (quad_form, (V3, B34.T), (0, 1)),
    (linreg, (V3, X63, Y6), (0, 1, 2)),
    (mlp, (B34, V4, U4, X63), (0, 1, 2, 3)),
    (at_scalar_result_times_matrix, (V3, U3, A23), (0, 1, 2)),
    (reshape_fn, (A23,), 0),
    (reshape_method_args, (A23,), 0),
    (reshape_method_tuple, (A23,), 0),
    (reshape_minus_one, (A23,), 0),
    (reshape_roundtrip, (A23,), 0),
    (reshape_3d, (B34,), 0),
    (transpose_fn, (B34[:2],), 0),
    (transpose_T, (B34[:2],), 0),
    (transpose_axes, (RNG.normal(size=(2, 3, 4)),), 0),
    (transpose_T_matmul, (A23, RNG.normal(size=(2, 4))), (0, 1)),
    (stack_default, (V3, U3), (0, 1)),
    (stack_axis1, (V3, U3), (0, 1)),
    (stack_scalars, (0.7, -1.2), (0, 1)),
    (concat_loop_rows, (V3,), 0),
    (concat_default, (V2, V3), (0, 1)),
    (concat_axis1, (RNG.normal(size=(2, 3)), RNG.normal(size=(2, 4))), (0, 1)),
    (concat_tuple_axis0, (A23, V3), (0, 1)),
    (concat_same_twice, (V3,), 0),
]


@pytest.mark.parametrize(
    "f,args,wrt",
    [pytest.param(*c, id=f"{c[0].__name__}-{i}") for i, c in enumerate(CASES)],
)
def test_linalg_shapes(f, args, wrt):
    check_grad(f, args, wrt=wrt)


def test_linreg_analytic():
    w, X, y = V3, X63, Y6
    gw, gX, gy = diffc.grad(linreg, wrt=(0, 1, 2))(w, X, y)
    r = X @ w - y
    n = y.size
    np.testing.assert_allclose(gw, 2.0 / n * X.T @ r, rtol=1e-12)
    np.testing.assert_allclose(gX, 2.0 / n * np.outer(r, w), rtol=1e-12)
    np.testing.assert_allclose(gy, -2.0 / n * r, rtol=1e-12)


def test_quad_form_analytic():
    x, A = V3, B34.T
    g = diffc.grad(quad_form)(x, A)
    np.testing.assert_allclose(g, 2.0 * (A.T @ A) @ x, rtol=1e-12)


def test_concat_same_twice_analytic():
    # sum x^2 + x^2 + 4x^2 = 6 sum x^2 -> 12 x
    np.testing.assert_allclose(diffc.grad(concat_same_twice)(V3), 12.0 * V3, rtol=1e-12)
