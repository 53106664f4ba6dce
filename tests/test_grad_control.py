"""if/elif/else, for (range, arrays, lists, enumerate, zip), while, nested
loops, break/continue/loop-else, early and multiple returns."""

import numpy as np
import pytest

import diffc
from fdcheck import check_grad

V4 = np.array([0.7, -1.3, 0.4, 1.1])
W4 = np.array([0.5, 0.9, -0.6, 0.2])
X34 = np.array([[0.3, -0.5, 1.2, 0.1], [0.8, 0.1, -0.9, 0.4], [-0.2, 0.6, 0.5, -1.1]])
COEFFS = [0.5, -1.0, 2.0, 0.25]


# ------------------------------------------------------------------- if/elif
def piecewise(x):
    if x < -1.0:
        y = -x * x
    elif x < 0.5:
        y = np.sin(x) * 2.0
    elif x < 2.0:
        y = x ** 3
    else:
        y = np.exp(x) / 3.0
    return y * x


def if_no_else(x, y):
    z = x * y
    if z > 0.5:
        z = z * z
    return z + x


def if_one_branch_defines(x, y):
    a = y
    if x > 0.0:
        a = x * y * 3.0
        b = a * a
    else:
        b = y
    return a + b


def nested_if(x, y):
    if x > 0.0:
        if y > 0.0:
            r = x * y
        else:
            r = x - y * y
    else:
        if y > x:
            r = x * x * y
        else:
            r = np.sin(x + y)
    return r


def if_on_array_stat(x, w):
    s = np.sum(x * w)
    if s > 0.0:
        out = np.sum(x * x)
    elif np.max(x) > 1.0:
        out = np.sum(np.sin(x)) * s
    else:
        out = s * s
    return out


def if_on_int_arg(x, n):
    if n % 2 == 0:
        return x * x
    return x * 3.0


# ------------------------------------------------------------------ for range
def for_range_runtime(x, y, n):
    for i in range(n):
        x = x * y + i * 0.1
    return x


def for_range_start_stop(x, a, b):
    s = x
    for i in range(a, b):
        s = s * 0.9 + x * i
    return s


def for_range_step(x, a, b, step):
    s = 0.0
    for i in range(a, b, step):
        s = s + x ** 2 * i + np.sin(x * i)
    return s


def for_range_negative_step(x, n):
    s = x
    for i in range(n, 0, -1):
        s = s * x + i
    return s


def for_range_shape(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i] * w[i] * (i + 1)
    return s


def for_range_len(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + (x[i + 1] - x[i]) ** 2
    return s


def for_zero_trips(x, n):
    y = x * 2.0
    for i in range(n):
        y = y * 100.0
    return y * x


def loop_var_after_loop(x, n):
    for i in range(n):
        t = x * i
    return t * x


def long_loop(x):
    for i in range(500):
        x = x + 0.002 * np.sin(x)
    return x


def long_loop_array(x):
    for i in range(200):
        x = x + 0.01 * np.tanh(x)
    return np.sum(x * x)


# --------------------------------------------------------- for arrays / lists
def for_rows(X, w):
    s = 0.0
    for row in X:
        s = s + np.sum(row * w) ** 2
    return s


def for_rows_accumulate_zeros(X, w):
    acc = np.zeros(X.shape[1])
    for row in X:
        acc += row * w
        acc = np.tanh(acc)
    return np.sum(acc * acc)


def for_elements(x):
    s = 1.0
    for v in x:
        s = s * (1.0 + v * v)
    return s


def for_list_const(x, coeffs):
    acc = 0.0
    for c in coeffs:
        acc = acc * x + c
    return acc


def for_list_active(x):
    s = 0.0
    for v in [x, x * x, np.sin(x)]:
        s = s + v * 2.0
        s = s * v
    return s


def for_tuple_active(x, y):
    s = 1.0
    for v in (x, y, x * y):
        s = s * v + 1.0
    return s


def for_enumerate_list(x, coeffs):
    s = 0.0
    for i, c in enumerate(coeffs):
        s = s + c * x ** i
    return s


def for_enumerate_rows(X, w):
    s = 0.0
    for i, row in enumerate(X):
        s = s + (i + 1.0) * np.sum(row * row * w)
    return s


def for_enumerate_start(x):
    s = 0.0
    for i, v in enumerate(x, 1):
        s = s + i * v * v
    return s


def for_zip_arrays(x, y):
    s = 0.0
    for a, b in zip(x, y):
        s = s + a * b + a * a * b
    return s


def for_zip_list_rows(X, coeffs):
    s = 0.0
    for c, row in zip(coeffs, X):
        s = s + c * np.sum(np.exp(row * 0.5))
    return s


def for_zip_enumerate(x, y):
    s = 0.0
    for i, (a, b) in enumerate(zip(x, y)):
        s = s + i * a * b - a
    return s


def build_list_then_index(x):
    # a list display of active values, iterated and indexed
    vals = [x[0] * 1.0, x[1] * 2.0, x[2] * 3.0, x[-1] * x[0]]
    s = 0.0
    for v in vals:
        s = s + v * v
    return s + vals[1] * vals[-1]


def int_accumulator(x):
    s = 0                      # starts as a Python int, becomes active
    for v in x:
        s += v * v
    return s


def inactive_then_active(x, n):
    s = 1.0
    for i in range(n):
        if i > 2:
            s = s * x
    return s


def cond_assign_in_loop(x):
    best = x * 0.0
    for i in range(5):
        v = np.sin(x * i)
        if v > 0.5:
            best = v * x
    return best


def shape_unpack_reverse_range(x):
    n, m = x.shape
    s = 0.0
    for i in range(n):
        for j in range(m - 1, -1, -1):
            s = s * 0.5 + x[i, j] * (i - j)
    return s * np.sum(x)


# ---------------------------------------------------------------------- while
def while_grow(x):
    while x < 10.0:
        x = x * 1.5
    return x


def while_counter(x, n):
    i = 0
    while i < n:
        x = np.sin(x) + x
        i += 1
    return x


def while_array_cond(x):
    while np.sum(x) < 20.0:
        x = x * 1.3 + 0.5
    return np.sum(x * x)


def while_two_vars(x, y):
    while x * y < 30.0:
        x, y = x + y, y * 1.2
    return x - y * y


def while_newton_sqrt(a):
    # Newton iteration for sqrt(a), data dependent number of steps
    x = a
    while abs(x * x - a) > 1e-12 * a:
        x = 0.5 * (x + a / x)
    return x


def while_continue_counter(x):
    i = 0
    while i < 6:
        i += 1
        if i % 3 == 0:
            continue
        x = np.sin(x) + x * 0.5
    return x


def while_and_cond(x):
    i = 0
    while i < 20 and np.sum(x) < 10.0:
        x = x * 1.2
        i += 1
    return np.sum(x * x)


def while_break_continue(x):
    i = 0
    s = 0.0
    while True:
        i += 1
        if i % 2 == 0:
            continue
        s = s + x * i
        x = x * 1.1
        if s > 12.0:
            break
    return s * x


# --------------------------------------------------------------- nested loops
def nested_range(A, x):
    s = 0.0
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            s = s + A[i, j] * x[j] * x[j] * (i + 1)
    return s


def nested_triangular(x):
    s = 0.0
    n = x.shape[0]
    for i in range(n):
        for j in range(i):
            s = s + x[i] * x[j] * (i - j)
    return s


def nested_inner_break(x, y):
    s = 0.0
    for i in range(4):
        t = x
        for j in range(10):
            t = t * y
            if t > 3.0:
                break
        s = s + t + i * x
    return s


def nested_while_for(x):
    k = 0
    while x < 50.0:
        for j in range(3):
            x = x * 1.1 + 0.1
        k += 1
    return x


def loop_in_branch(x, y):
    if x > y:
        for i in range(3):
            x = x * y
    else:
        for i in range(2):
            y = y * x + 1.0
    return x + y


# ---------------------------------------------------------- break / continue
def for_break(x):
    for i in range(100):
        x = x * 1.1 + 0.05
        if x > 5.0:
            break
    return x * x


def for_continue(x, y):
    s = 0.0
    for i in range(8):
        if i % 3 == 0:
            continue
        s = s + x ** 2 * i - y
        s = s * 0.9
    return s


def for_break_continue_rows(X, w):
    s = 0.0
    for row in X:
        t = np.sum(row * w)
        if t < -0.5:
            continue
        s = s + t * t
        if s > 1.0:
            break
    return s


# ------------------------------------------------------------------ loop else
def for_else(x, lim):
    for i in range(3):
        if x > lim:
            break
        x = x * 2.0
    else:
        x = x * x + 100.0
    return x


def return_in_for_else(x, n):
    for i in range(n):
        x = x * 1.5
        if x > 100.0:
            break
    else:
        return x * 2.0
    return x


def while_else(x):
    i = 0
    while i < 4:
        x = x * 1.5
        if x > 20.0:
            break
        i += 1
    else:
        x = np.sin(x) + x
    return x


# ---------------------------------------------------------------- returns
def multi_return(x, y):
    if x > 0.0:
        return x * x * y
    if y > 0.0:
        return x * y * 4.0
    return x - y


def early_return_loop(x, y):
    for i in range(10):
        x = x * 1.3
        if x > 4.0:
            return x * y
    return x + y


def early_return_while(x):
    while True:
        x = x * x + 0.5
        if x > 2.0:
            return x * 3.0


def early_return_nested(X, w):
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            if X[i, j] * w[j] > 0.5:
                return X[i, j] * np.sum(w) * (i + j + 1)
    return np.sum(X)


def return_inactive(x):
    if x > 0.0:
        return 1.0
    return x


CASES = [
    (piecewise, (-1.5,), 0),
    (piecewise, (-0.3,), 0),
    (piecewise, (1.2,), 0),
    (piecewise, (2.3,), 0),
    (if_no_else, (1.2, 0.7), (0, 1)),
    (if_no_else, (0.2, 0.7), (0, 1)),
    (if_one_branch_defines, (0.4, 1.3), (0, 1)),
    (if_one_branch_defines, (-0.4, 1.3), (0, 1)),
    (nested_if, (0.4, 1.3), (0, 1)),
    (nested_if, (0.4, -1.3), (0, 1)),
    (nested_if, (-0.4, 1.3), (0, 1)),
    (nested_if, (-0.4, -1.3), (0, 1)),
    (if_on_array_stat, (V4, W4), (0, 1)),
    (if_on_array_stat, (-V4 * 0.5, W4), (0, 1)),
    (if_on_array_stat, (np.array([0.5, -0.5, -2.0, 0.3]), np.array([0.1, 1.0, 0.5, 0.2])), (0, 1)),
    (for_range_runtime, (0.9, 1.1, 5), (0, 1)),
    (for_range_runtime, (0.9, 1.1, 0), (0, 1)),
    (for_range_start_stop, (0.7, 2, 6), 0),
    (for_range_start_stop, (0.7, -3, 2), 0),
    (for_range_step, (0.7, 1, 10, 3), 0),
    (for_range_step, (0.7, 10, -4, -3), 0),
    (for_range_step, (0.7, 5, 5, 1), 0),
    (for_range_negative_step, (0.8, 4), 0),
    (for_range_negative_step, (0.8, 0), 0),
    (for_range_shape, (V4, W4), (0, 1)),
    (for_range_len, (V4,), 0),
    (for_zero_trips, (0.9, 0), 0),
    (for_zero_trips, (0.9, 2), 0),
    (loop_var_after_loop, (0.9, 4), 0),
    (long_loop, (0.4,), 0),
    (long_loop_array, (V4,), 0),
    (for_rows, (X34, W4), (0, 1)),
    (for_rows_accumulate_zeros, (X34, W4), (0, 1)),
    (for_elements, (V4,), 0),
    (for_list_const, (0.7, COEFFS), 0),
    (for_list_active, (0.7,), 0),
    (for_tuple_active, (0.7, -1.2), (0, 1)),
    (for_enumerate_list, (1.3, COEFFS), 0),
    (for_enumerate_rows, (X34, W4), (0, 1)),
    (for_enumerate_start, (V4,), 0),
    (for_zip_arrays, (V4, W4), (0, 1)),
    (for_zip_list_rows, (X34, COEFFS[:3]), 0),
    (for_zip_enumerate, (V4, W4), (0, 1)),
    (build_list_then_index, (V4,), 0),
    (int_accumulator, (V4,), 0),
    (inactive_then_active, (1.3, 6), 0),
    (inactive_then_active, (1.3, 2), 0),
    (cond_assign_in_loop, (0.7,), 0),
    (shape_unpack_reverse_range, (X34,), 0),
    (while_continue_counter, (0.4,), 0),
    (while_and_cond, (np.array([0.5, 0.7]),), 0),
    (while_and_cond, (np.array([6.0, 5.0]),), 0),
    (return_in_for_else, (0.7, 3), 0),
    (return_in_for_else, (70.0, 3), 0),
    (while_grow, (1.2,), 0),
    (while_grow, (2.5,), 0),
    (while_grow, (0.5,), 0),
    (while_grow, (12.0,), 0),
    (while_counter, (0.3, 4), 0),
    (while_array_cond, (np.array([0.5, 1.0, 0.2]),), 0),
    (while_two_vars, (1.0, 1.5), (0, 1)),
    (while_newton_sqrt, (2.0,), 0),
    (while_newton_sqrt, (7.3,), 0),
    (while_break_continue, (0.9,), 0),
    (nested_range, (X34, W4), (0, 1)),
    (nested_triangular, (V4,), 0),
    (nested_inner_break, (0.7, 1.3), (0, 1)),
    (nested_while_for, (0.9,), 0),
    (loop_in_branch, (1.3, 0.8), (0, 1)),
    (loop_in_branch, (0.8, 1.3), (0, 1)),
    (for_break, (0.7,), 0),
    (for_break, (20.0,), 0),
    (for_continue, (0.7, 0.4), (0, 1)),
    (for_break_continue_rows, (X34, W4), (0, 1)),
    (for_break_continue_rows, (X34 * 0.3, W4), (0, 1)),
    (for_else, (0.3, 5.0), 0),
    (for_else, (0.9, 2.0), 0),
    (while_else, (0.5,), 0),
    (while_else, (7.0,), 0),
    (multi_return, (0.6, 1.1), (0, 1)),
    (multi_return, (-0.6, 1.1), (0, 1)),
    (multi_return, (-0.6, -1.1), (0, 1)),
    (early_return_loop, (0.7, 1.7), (0, 1)),
    (early_return_loop, (0.01, 1.7), (0, 1)),
    (early_return_while, (0.5,), 0),
    (early_return_nested, (X34, W4), (0, 1)),
    (early_return_nested, (X34 * 0.1, W4), (0, 1)),
]


@pytest.mark.parametrize(
    "f,args,wrt",
    [pytest.param(*c, id=f"{c[0].__name__}-{i}") for i, c in enumerate(CASES)],
)
def test_control_flow(f, args, wrt):
    check_grad(f, args, wrt=wrt)


# ------------------------------------------------------- analytic cross-checks
@pytest.mark.parametrize("x0", [1.2, 2.5, 0.5, 7.0, 12.0])
def test_while_grow_analytic(x0):
    # each iteration multiplies by 1.5: gradient is 1.5**k, k = #iterations
    k, x = 0, x0
    while x < 10.0:
        x *= 1.5
        k += 1
    g = diffc.grad(while_grow)(x0)
    assert g == pytest.approx(1.5 ** k, rel=1e-12)


def test_while_grow_repeated_calls_differ():
    g = diffc.grad(while_grow)
    # different trip counts through the same gradient function
    assert g(1.2) == pytest.approx(1.5 ** 6, rel=1e-12)
    assert g(7.0) == pytest.approx(1.5, rel=1e-12)
    assert g(1.2) == pytest.approx(1.5 ** 6, rel=1e-12)


def test_newton_sqrt_analytic():
    a = 7.3
    assert diffc.grad(while_newton_sqrt)(a) == pytest.approx(0.5 / np.sqrt(a), rel=1e-6)


def test_if_on_int_arg():
    g = diffc.grad(if_on_int_arg)
    assert g(1.25, 4) == pytest.approx(2.5)
    assert g(1.25, 3) == pytest.approx(3.0)


def test_return_inactive_branch_gives_zero():
    g = diffc.grad(return_inactive)
    assert g(0.5) == 0.0
    assert g(-0.5) == 1.0


def test_for_zero_trips_analytic():
    # y = 2x, no loop: 2x^2 -> 4x
    assert diffc.grad(for_zero_trips)(0.9, 0) == pytest.approx(3.6)
    # two trips: 2*10^4 x^2 -> 4e4 x
    assert diffc.grad(for_zero_trips)(0.9, 2) == pytest.approx(4e4 * 0.9)


def test_for_list_const_horner_analytic():
    x = 0.7
    c = COEFFS
    # p(x) = c0 x^3 + c1 x^2 + c2 x + c3
    expected = 3 * c[0] * x ** 2 + 2 * c[1] * x + c[2]
    assert diffc.grad(for_list_const)(x, c) == pytest.approx(expected, rel=1e-12)
