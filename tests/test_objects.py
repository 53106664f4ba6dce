"""NamedTuples and dataclasses of arrays as arguments in wrt: the gradient comes back as
the same kind of object (as JAX's pytrees do), tangents are given as one; fields read in
the function are differentiated in both modes."""
import dataclasses
import re
import types
from typing import NamedTuple

import numpy as np
import pytest

import diffc
from tests.fdcheck import check_both_modes, numeric_grad

X4 = np.array([0.3, -0.5, 0.9, 1.3])


class Params(NamedTuple):
    w: np.ndarray
    b: float


@dataclasses.dataclass(frozen=True)
class FrozenParams:
    w: np.ndarray
    b: float


@dataclasses.dataclass
class MutableParams:
    w: np.ndarray
    b: float


def loss(p, x):
    h = np.tanh(p.w * x + p.b)
    return np.sum(h ** 2) + p.b * p.w[0]


def _reference(cls, p):
    e = 1e-6
    gb = (loss(cls(p.w, p.b + e), X4) - loss(cls(p.w, p.b - e), X4)) / (2 * e)
    gw = numeric_grad(lambda w: loss(cls(w, p.b), X4), [p.w.copy()])
    return gw, gb


@pytest.mark.parametrize("cls", [Params, FrozenParams, MutableParams])
def test_gradient_is_the_same_kind_of_object(cls):
    p = cls(np.array([1.0, -2.0, 0.5, 0.3]), 0.7)
    g = diffc.grad(loss)(p, X4)
    assert type(g) is cls and isinstance(g.b, float) and g.w.shape == (4,)
    gw, gb = _reference(cls, p)
    np.testing.assert_allclose(g.w, gw, rtol=1e-6)
    assert g.b == pytest.approx(gb, rel=1e-6)
    np.testing.assert_array_equal(p.w, [1.0, -2.0, 0.5, 0.3])     # not modified


@pytest.mark.parametrize("cls", [Params, FrozenParams])
def test_forward_mode_takes_a_tangent_of_the_same_kind(cls):
    p = cls(np.array([1.0, -2.0, 0.5, 0.3]), 0.7)
    t = cls(np.array([0.1, 0.2, -0.3, 0.5]), 0.4)
    value, tangent = diffc.jvp(loss)(p, X4, t)
    gw, gb = _reference(cls, p)
    assert tangent == pytest.approx(gw @ t.w + gb * t.b, rel=1e-6)
    assert value == pytest.approx(loss(p, X4))


# ------------------------------------------------------------------ objects made in the function

class Point(NamedTuple):
    x: float
    y: float = 2.0


@dataclasses.dataclass
class State:
    pos: np.ndarray
    vel: np.ndarray
    energy: float = 0.0


class Bag:
    """A plain class: instances start empty, the function sets attributes."""


@dataclasses.dataclass
class WithProperty:
    a: np.ndarray

    @property
    def sq(self):
        return self.a ** 2


class Custom:
    def __init__(self, v):
        self.v = v * 2.0


def simulate_with_a_dataclass(x):
    s = State(x * 1.0, np.zeros(4))
    for _ in range(3):
        s.vel = s.vel - 0.1 * np.sin(s.pos)
        s.pos = s.pos + 0.1 * s.vel
        s.energy += np.sum(s.vel ** 2)
    return np.sum(s.pos ** 2) + s.energy


def named_tuple_by_name_index_and_unpacking(x):
    p = Point(x[0] * x[1], y=np.sum(x))
    a, b = p
    q = Point(x[2])                   # y takes its default
    return p.x * p[1] + a * b ** 2 + q.x * q.y + q[1]


def plain_object_attributes(x):
    o = Bag()
    o.h = np.tanh(x)
    o.total = 0.0
    for t in range(3):
        o.h = np.tanh(o.h * 0.5 + x * (t + 1.0))
        o.total += np.sum(o.h) * t
    a = o.total
    o.total = a * a
    return o.total + a


def namespace_fields(x):
    cfg = types.SimpleNamespace(scale=np.sum(x), shift=1.5)
    cfg.shift *= x[0]
    return cfg.scale * cfg.shift


def objects_in_a_list(x):
    pts = [Point(x[i], x[i + 1] ** 2) for i in range(3)]
    return sum(p.x * p.y for p in pts)


MADE = [simulate_with_a_dataclass, named_tuple_by_name_index_and_unpacking,
        plain_object_attributes, namespace_fields, objects_in_a_list]


@pytest.mark.parametrize("f", MADE, ids=[f.__name__ for f in MADE])
def test_objects_made_in_the_function_all_modes(f):
    check_both_modes(f, X4)


def writes_into_its_argument(s, k):
    s.pos = s.pos * k
    s.energy = np.sum(s.pos * s.vel)
    return s.energy + np.sum(s.vel) * k


def test_attribute_writes_into_an_argument_work_on_a_copy():
    s = State(np.array([1.0, -2.0, 0.5, 0.3]), np.array([0.2, 0.1, -0.4, 1.0]), 5.0)
    g = diffc.grad(writes_into_its_argument)(s, 1.7)
    assert type(g) is State
    assert s.energy == 5.0 and s.pos[1] == -2.0            # the caller's object is unchanged
    ref_pos = numeric_grad(lambda p: writes_into_its_argument(State(p, s.vel.copy(), 5.0), 1.7),
                           [s.pos.copy()])
    ref_vel = numeric_grad(lambda v: writes_into_its_argument(State(s.pos.copy(), v, 5.0), 1.7),
                           [s.vel.copy()])
    np.testing.assert_allclose(g.pos, ref_pos, rtol=1e-6)
    np.testing.assert_allclose(g.vel, ref_vel, rtol=1e-6)
    assert g.energy == 0.0          # overwritten before it is read
    gk = diffc.grad(writes_into_its_argument, wrt=1)(s, 1.7)
    e = 1e-6
    ref_k = (writes_into_its_argument(State(s.pos.copy(), s.vel.copy()), 1.7 + e) -
             writes_into_its_argument(State(s.pos.copy(), s.vel.copy()), 1.7 - e)) / (2 * e)
    assert gk == pytest.approx(ref_k, rel=1e-6)
    assert s.energy == 5.0


def property_of_a_dataclass(x):
    w = WithProperty(x * 2.0)
    return np.sum(w.sq)


def custom_constructor(x):
    c = Custom(x)
    return np.sum(c.v)


def alias_written(x):
    o = Bag()
    o.v = x
    p = o
    o.v = x * 2.0
    return np.sum(p.v)


def attribute_of_a_helper_result(x):
    o = Bag() if x[0] > 10 else make_bag()
    o.v = x
    return np.sum(o.v)


def make_bag():
    return Bag()


@pytest.mark.parametrize("f, message", [
    (property_of_a_dataclass, "`.sq`: it is not a field of the WithProperty"),
    (custom_constructor, "constructing a `Custom`"),
    (alias_written, "changes `p` too"),
    (attribute_of_a_helper_result, "`o` may hold another one here"),
])
def test_objects_diffc_cannot_follow_are_refused_in_both_modes(f, message):
    for run in (lambda: diffc.grad(f)(X4.copy()),
                lambda: diffc.jvp(f)(X4.copy(), np.ones(4))):
        with pytest.raises(diffc.DiffcError, match=re.escape(message)):
            run()


def object_held_in_a_list_written(x):
    o = Bag()
    o.v = x
    held = [o]
    o.v = x * 2.0                 # changes held[0].v too
    return np.sum(held[0].v)


def old_field_value_read_after_a_write(x):
    o = Bag()
    o.v = x
    track = [o.v]                 # the old value, not the object
    o.v = x * 2.0                 # rebinds the field: track[0] is left as it was
    return np.sum(track[0] * o.v)


def test_field_writes_are_checked_against_what_holds_the_object():
    with pytest.raises(diffc.DiffcError, match="changes `held` too"):
        diffc.grad(object_held_in_a_list_written)(X4.copy())
    g = diffc.grad(old_field_value_read_after_a_write)(X4.copy())
    np.testing.assert_allclose(g, numeric_grad(old_field_value_read_after_a_write,
                                               [X4.copy()]), rtol=1e-6)


@dataclasses.dataclass
class Particle:
    x: np.ndarray
    v: np.ndarray


def particles_updated_in_a_loop(x):
    ps = [Particle(x * (i + 1.0), np.zeros(4)) for i in range(3)]
    for _ in range(4):
        for p in ps:                    # p is an object the list holds
            p.v = p.v + 0.1 * np.sin(p.x)
            p.x = p.x + 0.1 * p.v
    return sum(np.sum(p.x ** 2) for p in ps)


def test_objects_of_a_list_updated_through_a_loop_variable():
    # each write into p is stored back into the list (ps[k] = p, the same object); during
    # development a version without it gave a silently zero gradient
    check_both_modes(particles_updated_in_a_loop, X4, second_order=False)


def particle_replaced_before_the_write(x):
    ps = [Particle(x * 1.0, np.zeros(4)), Particle(x * 2.0, np.zeros(4))]
    for k in range(2):
        p = ps[k]
        ps[k] = Particle(x * 3.0, np.ones(4))     # the list no longer holds p
        p.v = p.x * 2.0                           # so p is not stored back
    return sum(np.sum(q.x * q.v) for q in ps) + np.sum(p.v)


def test_an_object_the_list_no_longer_holds_is_not_stored_back():
    check_both_modes(particle_replaced_before_the_write, X4, second_order=False)
