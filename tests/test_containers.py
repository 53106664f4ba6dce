"""Dicts and lists as storage and as arguments: dict displays, entries read and
written (`hs[t] = ...`, `hs[-1] = np.copy(h)`), list items written, writes into
arrays held in them, dict arguments in wrt (a dict of gradients comes back) —
reverse mode, forward mode and second order against finite differences."""
import dataclasses

import numpy as np
import pytest

import diffc
from tests.fdcheck import check_both_modes, check_value_and_grad, numeric_grad

X4 = np.array([0.3, -0.5, 0.9, 1.3])


def entries_written_and_rewritten(x):
    d = {"a": x * 2.0, "b": np.sin(x)}
    d["c"] = d["a"] * d["b"]
    d["a"] = d["c"] + 1.0
    return np.sum(d["a"] * d["c"]) + np.sum(d["b"])


def states_keyed_by_step(x):
    hs = {}
    hs[-1] = np.zeros(4)
    for t in range(3):
        hs[t] = np.tanh(hs[t - 1] * 0.5 + x * (t + 1.0))
    return np.sum(hs[2] ** 2) + np.sum(hs[0])


def one_hot_entries(x):
    xs, hs = {}, {}
    hs[-1] = x * 0.1
    for t in range(3):
        xs[t] = np.zeros(4)
        xs[t][t] = 1.0                    # a write into an array held in a dict
        hs[t] = np.tanh(hs[t - 1] + xs[t] * x)
    return np.sum(hs[2]) * x[3]


def loops_over_items_values_and_keys(x):
    params = {"a": x[0] * 2.0, "b": x[1:3], "c": np.sin(x[3])}
    total = 0.0
    for name, v in params.items():
        total = total + np.sum(v ** 2) * len(name)
    for v in params.values():
        total = total + np.sum(v)
    for k in params.keys():
        total = total + np.sum(params[k]) * x[0]
    return total


PROGRAMS = [entries_written_and_rewritten, states_keyed_by_step, one_hot_entries,
            loops_over_items_values_and_keys]


@pytest.mark.parametrize("f", PROGRAMS, ids=[f.__name__ for f in PROGRAMS])
def test_all_modes(f):
    check_both_modes(f, X4)


def params_in_a_dict(p, x):
    return np.sum(np.tanh(p["w"] * x) ** 2) + p["b"] ** 2 * np.sum(x)


def test_dict_argument_gets_a_dict_of_gradients():
    p = {"w": np.array([1.0, -2.0, 0.5, 0.3]), "b": 0.7}
    before = {k: np.copy(v) for k, v in p.items()}
    g = diffc.grad(params_in_a_dict)(p, X4)
    assert set(g) == {"w", "b"} and np.shape(g["w"]) == (4,) and isinstance(g["b"], float)
    for k in p:
        np.testing.assert_array_equal(p[k], before[k])
        e = np.zeros_like(np.asarray(p[k], dtype=float))
        num = np.zeros(np.shape(p[k]))
        for i in np.ndindex(*np.shape(p[k])):
            e[...] = 0.0
            e[i] = 1e-6
            up = dict(p, **{k: p[k] + e if np.ndim(p[k]) else p[k] + 1e-6})
            dn = dict(p, **{k: p[k] - e if np.ndim(p[k]) else p[k] - 1e-6})
            num[i] = (params_in_a_dict(up, X4) - params_in_a_dict(dn, X4)) / 2e-6
        np.testing.assert_allclose(g[k], num, rtol=1e-6, atol=1e-9)


VOCAB, HIDDEN = 5, 4


def char_rnn_loss(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((VOCAB, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys[t] = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
        loss += -np.log(ps[t][targets[t], 0])
    return loss


def test_classic_char_rnn_written_with_dicts():
    rng = np.random.default_rng(3)
    args = [[0, 2, 4, 1], [2, 4, 1, 3], rng.normal(0, 0.5, (HIDDEN, 1)),
            rng.normal(0, 0.5, (HIDDEN, VOCAB)), rng.normal(0, 0.5, (HIDDEN, HIDDEN)),
            rng.normal(0, 0.5, (VOCAB, HIDDEN)), rng.normal(0, 0.1, (HIDDEN, 1)),
            rng.normal(0, 0.1, (VOCAB, 1))]
    check_value_and_grad(char_rnn_loss, args, wrt=(2, 3, 4, 5, 6, 7))


def dict_alias_written(x):
    d = {"a": x}
    d2 = d
    d["a"] = 3.0 * x
    return np.sum(d2["a"])


def dict_in_a_list_written(x):
    d = {"a": x}
    held = [d]
    d["a"] = 3.0 * x
    return np.sum(held[0]["a"])


@pytest.mark.parametrize("f", [dict_alias_written, dict_in_a_list_written])
def test_writes_into_a_dict_shared_with_a_later_read_are_refused(f):
    # was a silently wrong gradient (1.0 instead of 3.0 per item): the write into d was
    # not checked for other variables holding the same dict
    for run in (lambda: diffc.grad(f)(X4.copy()), lambda: diffc.jvp(f)(X4.copy(), np.ones(4))):
        with pytest.raises(diffc.DiffcError, match="changes `(d2|held)` too"):
            run()


# ------------------------------------------------------------------ joining lists, dict methods

def lists_joined_and_repeated(x):
    a = [x[0]]
    a += [x[1] * x[2]]                    # extends the list in place
    a = a + [np.sin(x[3])] * 2
    t = (x[0],) * 2 + (x[1] ** 2,)
    b = 2 * [x[2]]
    return a[1] * a[3] + t[2] * t[0] + sum(b) * a[0] + len(a)


def list_turned_into_an_array(x):
    h = [x[0], x[1] * x[2]]
    h = np.array(h)                       # the same name, now an array: `+` adds
    return np.sum((h + x[3]) ** 2)


def dict_methods_as_values(x):
    d = {"a": x[0] * 2.0, "b": np.sin(x[1]), "c": x[2:] * x[0]}
    total = d.get("a", 0.0) * d.get("z", x[3]) + np.sum(d.get("c"))
    for k in d:                           # a local dict: its keys
        total = total + np.sum(d[k]) * len(k)
    vals = list(d.values())
    return total + np.sum(vals[2]) * vals[1] + len(d.keys())


JOINED = [lists_joined_and_repeated, list_turned_into_an_array, dict_methods_as_values]


@pytest.mark.parametrize("f", JOINED, ids=[f.__name__ for f in JOINED])
def test_joined_lists_and_dict_methods_all_modes(f):
    test_all_modes(f)


def over_a_dict_argument(p, x):
    total = 0.0
    for name in p:                        # a dict parameter: its keys
        total = total + np.sum(p[name] * x) * len(name)
    return total


def over_a_list_argument(ws, x):
    total = 0.0
    for w in ws:                          # a list parameter: its items
        total = total + np.sum(np.tanh(w * x))
    return total


def test_loops_over_dict_and_list_arguments():
    p = {"w": np.array([0.5, -1.0, 2.0, 0.1]), "bias": np.array([0.3])}
    g = diffc.grad(over_a_dict_argument)(p, X4.copy())
    assert set(g) == {"w", "bias"}
    for k in p:
        ref = numeric_grad(lambda v: over_a_dict_argument({**p, k: v}, X4.copy()), [p[k].copy()])
        np.testing.assert_allclose(g[k], ref, rtol=1e-6)
    gx = diffc.grad(over_a_dict_argument, wrt=1)(p, X4.copy())
    np.testing.assert_allclose(gx, numeric_grad(lambda x: over_a_dict_argument(p, x),
                                                [X4.copy()]), rtol=1e-6)
    _, t = diffc.jvp(over_a_dict_argument, wrt=1)(p, X4.copy(), np.ones(4))
    assert t == pytest.approx(np.sum(gx), rel=1e-9)
    ws = [np.array([0.5, -1.0, 2.0, 0.1]), np.array([1.5, 0.2, -0.3, 0.7])]
    gw = diffc.grad(over_a_list_argument)(ws, X4.copy())
    for i in range(2):
        ref = numeric_grad(lambda v: over_a_list_argument(
            [v if j == i else ws[j] for j in range(2)], X4.copy()), [ws[i].copy()])
        np.testing.assert_allclose(gw[i], ref, rtol=1e-6)
    h = diffc.hessian(over_a_dict_argument, wrt=1)(p, X4.copy())
    grad_x = diffc.grad(over_a_dict_argument, wrt=1)
    ref = np.array([numeric_grad(lambda y: grad_x(p, y)[j], [X4.copy()]) for j in range(4)])
    np.testing.assert_allclose(h, ref, rtol=1e-5, atol=1e-6)


def joins_a_list_and_an_array(x):
    h = [x[0]]
    h = h + x[1:]                          # list + array: NumPy adds, diffc refuses
    return np.sum(h)


def test_joining_a_list_and_an_array_is_refused():
    with pytest.raises(diffc.DiffcError, match="joining lists or tuples, but it adds a list "
                                               "and a ndarray"):
        diffc.grad(joins_a_list_and_an_array)(X4.copy())


def list_edited_in_the_middle(x):
    ls = [x[0], x[1] * 2.0, np.sin(x[2]), x[3] ** 2]
    first = ls.pop(0)
    ls.insert(1, first * x[3])
    ls.insert(-1, x[1])
    ls.insert(10, x[2] * x[0])             # past the end: appended, as Python does
    mid = ls.pop(-2)
    ls.remove(ls[0])
    return sum(v * (i + 1.0) for i, v in enumerate(ls)) * mid + len(ls)


def test_list_pop_insert_remove_all_modes():
    test_all_modes(list_edited_in_the_middle)


def pops_out_of_range(x):
    ls = [x[0]]
    return ls.pop(3)


def test_list_pop_out_of_range_raises_pythons_error():
    with pytest.raises(IndexError, match="pop index out of range"):
        diffc.grad(pops_out_of_range)(X4.copy())


# ------------------------------------------------------------------ found by the --containers tester

def mean_of_a_list_of_dicts(ps):
    return sum(np.mean(u["w"]) * u["b"] for u in ps)


def test_list_of_dicts_in_wrt_gets_a_list_of_dicts():
    # crashed in finalize / check_tangent (a list of dicts taken for a list of numbers)
    ps = [{"w": np.array([0.8, -0.2]), "b": -0.7}, {"w": np.array([0.3, 0.1]), "b": 1.1}]
    g = diffc.grad(mean_of_a_list_of_dicts)(ps)
    assert isinstance(g, list) and [set(d) for d in g] == [{"w", "b"}] * 2
    for i in range(2):
        for k in ("w", "b"):
            def part(v, i=i, k=k):
                q = [dict(d) for d in ps]
                q[i][k] = v
                return mean_of_a_list_of_dicts(q)
            ref = numeric_grad(part, [np.array(ps[i][k], dtype=float)])
            np.testing.assert_allclose(g[i][k], ref, rtol=1e-6)
    t = [{"w": np.array([0.4, 0.5]), "b": -0.1}, {"w": np.array([1.0, 0.0]), "b": 0.2}]
    _, tangent = diffc.jvp(mean_of_a_list_of_dicts)(ps, t)
    expected = sum(np.sum(g[i]["w"] * t[i]["w"]) + g[i]["b"] * t[i]["b"] for i in range(2))
    assert tangent == pytest.approx(expected, rel=1e-9)


def ignores_its_argument(ps):
    return 1.0


def test_unread_list_of_dicts_gets_dicts_of_zeros():
    # was one number per dict (array([0., 0.]))
    ps = [{"w": np.array([0.3]), "b": 0.1}, {"w": np.array([0.5]), "b": -0.2}]
    g = diffc.grad(ignores_its_argument)(ps)
    assert isinstance(g, list) and len(g) == 2
    assert all(set(d) == {"w", "b"} and d["b"] == 0.0 and np.array_equal(d["w"], [0.0])
               for d in g)


def takes_a_dict(p, c=0.87):
    return c * p["c"]


def dict_display_named_like_a_helper(x):
    small = 3
    d = {2: small, 3: x}
    zero = takes_a_dict({"w": x, "c": 0.5, 0: 0.5}, 0)
    return d[2] * x[0] + takes_a_dict({"c": x[1]}) + zero


def constants_stored_in_containers(x):
    hs = {}
    hs[-1] = np.ones(4)
    hs[0] = x @ hs[-1]
    ls = [x * 2.0]
    ls.append(np.ones(4))
    ls.append(x[0])
    return np.sum(hs[0]) + np.sum(np.stack([ls[0], ls[1]])) * ls[2]


@pytest.mark.parametrize("f", [dict_display_named_like_a_helper, constants_stored_in_containers])
def test_forward_mode_crashes_found_by_the_tester(f):
    # jvp crashed: a temporary named `entries` hid the helper of the same name bound later;
    # constants stored in a list or dict had a scalar zero tangent instead of zeros
    test_all_modes(f)


# ------------------------------------------------------------------ writes into nested parts

@dataclasses.dataclass
class Holder:
    a: np.ndarray


def list_in_a_dict_written(x):
    d = {"y": [x, 2.0 * x]}
    d["y"][1] = 3.0 * x
    return np.sum(d["y"][1] * d["y"][0])


def dicts_in_a_list_written(x):
    ls = [{"w": x}, {"w": x * x}]
    ls[1]["w"] = 5.0 * x
    ls[0]["w"] += x
    return np.sum(ls[1]["w"] * ls[0]["w"])


def rows_written_by_two_subscripts(x):
    A = np.outer(x, x)
    A[1][2] = 7.0 * x[0]
    A[0][1] += x[2]
    return np.sum(A ** 2)


def array_field_written(x):
    h = Holder(x * 1.0)
    h.a[0] = 3.0 * x[1]
    h.a[1] += h.a[0]
    return np.sum(h.a ** 2)


def three_levels(x):
    t = [[x, x * 2.0], [x * 3.0]]
    t[0][1][2] = x[0] ** 2
    return np.sum(t[0][1] * t[1][0])


NESTED = [list_in_a_dict_written, dicts_in_a_list_written, rows_written_by_two_subscripts,
          array_field_written, three_levels]


@pytest.mark.parametrize("f", NESTED, ids=[f.__name__ for f in NESTED])
def test_writes_into_nested_parts_both_modes(f):
    # once refused ("changes `d` too"): the part is written, then stored back
    check_both_modes(f, X4, second_order=False)


@pytest.mark.parametrize("f", [list_in_a_dict_written, rows_written_by_two_subscripts,
                               three_levels])
def test_writes_into_nested_parts_second_order(f):
    test_all_modes(f)


# ------------------------------------------------------------------ helpers and their local lists

def rebinds_an_item_of_its_list(a, b):
    ls = [a[0], b]
    ls[1] = b * 2.0             # a write into the local list, not into `b` or `a`
    return ls[0] + ls[1]


def appends_to_a_list_holding_a_view(c):
    hs = [c[:2]]
    hs.append(np.tanh(hs[-1]))  # the list grows; c is left alone
    return np.sum(hs[-1])


def calls_helpers_with_local_lists(x):
    return rebinds_an_item_of_its_list(x, x[1] * 1.0) * appends_to_a_list_holding_a_view(x * 1.0)


def test_helpers_writing_into_their_own_lists_are_differentiated():
    # were refused as writes into the arguments the lists hold (found by --containers)
    test_all_modes(calls_helpers_with_local_lists)


def writes_through_an_item_of_its_list(c):
    hs = [c[:2]]
    hs[0][0] = 5.0              # writes into c's memory through the item
    return 0.0


def writes_through_a_loop_over_its_list(c):
    for v in [c]:
        v[0] = 1.0
    return 0.0


def calls_a_helper_writing_through_items(x):
    y = x * 1.0
    writes_through_an_item_of_its_list(y)
    return np.sum(y)


def calls_a_helper_writing_through_a_loop(x):
    y = x * 1.0
    writes_through_a_loop_over_its_list(y)
    return np.sum(y)


@pytest.mark.parametrize("f", [calls_a_helper_writing_through_items,
                               calls_a_helper_writing_through_a_loop])
def test_helpers_writing_through_items_of_their_lists_are_still_refused(f):
    with pytest.raises(diffc.UnsupportedError, match="may write into `y`"):
        diffc.grad(f)(X4.copy())


def slice_of_a_list_then_written(x):
    ls1 = [x * 1.0, x * 2.0, np.sin(x)]
    ls2 = ls1[:]
    ls2[0] = np.full(4, 0.5)
    tail = ls1[1:]
    return np.sum(ls2) + np.sum(tail[1] * tail[0])


def test_adjoint_through_a_slice_of_a_list():
    # crashed in index_vjp (a slice of a list of arrays; found by --containers)
    test_all_modes(slice_of_a_list_then_written)


def inserts_values_read_from_the_list(x):
    ls = [x[0], 2.0 * x[1]]
    ls.insert(0, ls[0])                         # the value reads the list being changed
    ls.insert(1, sum(ls))
    ls.insert(-1, sorted(ls, reverse=True)[0])
    v = ls.pop(len(ls) - 2)
    ls.remove(ls[-1])
    return sum(ls) * v + len(ls)


def test_list_edit_arguments_are_evaluated_before_the_list_changes():
    # was a silently wrong value and gradient (the inserted value was read after the
    # tail had been popped; found by --objects, seed 724148)
    check_both_modes(inserts_values_read_from_the_list, X4)
