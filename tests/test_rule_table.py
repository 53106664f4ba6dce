"""The derivative-rule table itself, without the compiler.

Each rule's return expression for one parameter is evaluated as plain Python in the
rule module's globals, as the compiler inlines it (``g`` the tangent of that parameter
in a JVP rule, the output's adjoint in a VJP rule):

* each JVP rule against central finite differences of its primal (float64), one
  differentiable argument at a time, and its tangent's shape against the output's;
* each JVP/VJP pair for adjointness: ``<vjp_p(gbar), t_p> == <gbar, jvp_p(t_p)>``;
* the table's structure: both directions for every callable, the same parameters,
  the JVP rule right after the VJP rule in the source, and JVP expressions that can be
  differentiated again (they only call operations that have rules in both directions,
  or piecewise-constant ones declared with ``defnondiff``).

No expected value is written by hand: finite differences and adjointness derive them.
"""
import ast
import builtins
import copy
import inspect
import math
import operator
from dataclasses import dataclass, field

import numpy as np
import pytest

from diffc.backend import checks
from diffc.backend import runtime as rt
from diffc.backend import containers, dynamic
from diffc.backend import writes as wr
from diffc.ir.nodes import MethodRef
from diffc.rules import numpy_rules, registry

H = 1e-6          # central finite-difference step
RTOL = 1e-6


def exempt_from_cases(key):
    """Rules of the runtime's API-layer helpers (tangent checks, finalize) are the API's
    business: the structural tests cover them, the numerical cases cover the math."""
    return (getattr(key, "__module__", None) in (rt.__name__, checks.__name__,
                                                 containers.__name__, dynamic.__name__)
            and key not in (rt.broadcast, rt.keep_array))


# --------------------------------------------------------------------------- argument makers

def U(shape=(), lo=-2.0, hi=2.0):
    """A uniform float64 array (shape None: a Python float)."""
    def make(rng):
        if shape is None:
            return float(rng.uniform(lo, hi))
        return rng.uniform(lo, hi, shape)
    return make


def P(shape=()):
    return U(shape, 0.5, 2.0)


def N(shape=()):
    """Values of both signs bounded away from 0 (kinks of abs, poles of 1/x)."""
    def make(rng):
        v = U(shape, 0.3, 2.0)(rng)
        s = rng.choice([-1.0, 1.0], size=np.shape(v))
        return float(v * s) if shape is None else v * s
    return make


def C(value):
    """A fixed (non-random) argument: an option, a dtype, a condition..."""
    return lambda rng: value


def seq(*makers, kind=list):
    return lambda rng: kind(m(rng) for m in makers)


@dataclass
class Case:
    id: str
    fn: object
    args: tuple                      # makers, one per positional argument
    kwargs: dict = field(default_factory=dict)
    fd: bool = True                  # False where finite differences do not apply (ties)
    wrt: tuple = None                # differentiable parameters to test (default: all)
    rtol: float = RTOL

    def make(self, seed):
        rng = np.random.default_rng(seed)
        return tuple(m(rng) for m in self.args), dict(self.kwargs)


def call_primal(fn, args, kwargs):
    if isinstance(fn, MethodRef):
        return getattr(args[0], fn.name)(*args[1:], **kwargs)
    return fn(*args, **kwargs)


def fname(fn):
    if isinstance(fn, MethodRef):
        return f".{fn.name}"
    mod = getattr(fn, "__module__", None) or ""
    return f"{mod.split('.')[0] or 'np'}.{getattr(fn, '__name__', repr(fn))}"


CASES = []


def add(fns, shapes_args, **kw):
    """One case per callable in fns and per argument list in shapes_args."""
    for fn in fns:
        for i, args in enumerate(shapes_args):
            CASES.append(Case(f"{fname(fn)}-{i}", fn, tuple(args), **kw))


# --------------------------------------------------------------------------- the cases

ARRAYS1 = [(U(()),), (U((3,)),), (U((2, 3)),)]
SCALAR1 = [(U(None),)]

add([np.negative, np.positive, np.copy, np.exp, np.exp2, np.expm1, np.sin, np.cos,
     np.arctan, np.sinh, np.cosh, np.tanh, np.square],
    ARRAYS1 + SCALAR1)
add([operator.neg, operator.pos, math.exp, math.sin, math.cos, math.atan, math.sinh,
     math.cosh, math.tanh, math.expm1], SCALAR1)
add([operator.neg, operator.pos], [(U((2, 3)),)])
add([np.cbrt, np.reciprocal, np.abs, np.absolute], [(N(()),), (N((3,)),), (N((2, 3)),)])
add([builtins.abs, math.fabs], [(N(None),)])
add([builtins.abs], [(N((2, 3)),)])
add([np.log, np.log2, np.log10, np.sqrt], [(P(()),), (P((4,)),), (P((2, 3)),), (P(None),)])
add([math.log, math.log2, math.log10, math.sqrt], [(P(None),)])
add([np.log1p, math.log1p], [(U(None, -0.5, 2.0),)])
add([np.log1p], [(U((2, 3), -0.5, 2.0),)])
add([np.tan, math.tan], [(U(None, -1.2, 1.2),)])
add([np.tan], [(U((2, 3), -1.2, 1.2),)])
add([np.arcsin, np.arccos, math.asin, math.acos], [(U(None, -0.9, 0.9),)])
add([np.arcsin, np.arccos], [(U((2, 3), -0.9, 0.9),), (U((), -0.9, 0.9),)])
for _n in ("asin", "acos", "atan"):
    if hasattr(np, _n):
        add([getattr(np, _n)], [(U((3,), -0.9, 0.9),)])
add([float], [(U(()),), (U(None),), (lambda rng: np.float64(rng.uniform(-2, 2)),)])
add([MethodRef("copy")], [(U((2, 3)),), (U(()),)])
add([MethodRef("item")], [(U(()),), (U((1, 1)),), (U((1,)),)])

# two arguments: same shapes, broadcasting both ways, Python and 0-d scalars
BIN = [(U((3, 4)), U((3, 4))), (U((3, 1)), U((4,))), (U((4,)), U((3, 1))),
       (U(None), U((2, 3))), (U((2, 3)), U(None)), (U(()), U((3,))), (U(None), U(None))]
# divisors bounded away from 0
BIN_POS2 = [(U((3, 4)), U((3, 4), 0.7, 1.6)), (U((3, 1)), U((4,), 0.7, 1.6)),
            (U((4,)), U((3, 1), 0.7, 1.6)), (U(None), U((2, 3), 0.7, 1.6)),
            (U((2, 3)), U(None, 0.7, 1.6)), (U(()), U((3,), 0.7, 1.6)),
            (U(None), U(None, 0.7, 1.6)), (U((2, 3)), U((2, 3), -1.6, -0.7))]
add([np.add, np.subtract, np.multiply, operator.add, operator.sub, operator.mul,
     np.maximum, np.minimum, np.fmax, np.fmin, np.arctan2, np.hypot], BIN)
add([np.true_divide, np.divide, operator.truediv, np.remainder, np.mod, operator.mod, np.fmod],
    BIN_POS2)
add([builtins.max, builtins.min, math.atan2, math.hypot], [(U(None), U(None))])
add([math.fmod], [(U(None), U(None, 0.7, 1.6))])
# power: a positive base (both derivatives), a negative base with an integer exponent
# (the base's derivative), exponents 0 and 1 at base 0
POW = [(P((3, 4)), U((3, 4))), (P((3, 1)), U((4,))), (P(None), U((2, 3))),
       (P((2, 3)), U(None)), (P(None), U(None))]
add([np.power, operator.pow, builtins.pow], POW)
add([math.pow], POW[-1:])
if hasattr(np, "pow"):
    add([np.pow], POW[:1])
add([np.power], [(U((2, 3)), C(3))], wrt=("x1",))
add([np.power, operator.pow], [(U((2, 3)), C(2.0)), (U(None), C(2))], wrt=("x1",))
add([np.power], [(C(np.array([0.0, 0.0, 2.0])), C(np.array([0.0, 1.0, 0.0]))),
                 (C(np.array([0.0, 1.5, 0.5])), U((3,), 1.0, 2.0))], fd=False)
add([np.power], [(C(np.array([0.0, 1.5, 0.5])), U((3,), 1.0, 2.0))], wrt=("x2",))
add([np.power], [(C(np.array([0.0, 1.5, -0.5])), C(np.array([2.0, 2.0, 3.0])))], wrt=("x1",))
add([np.where], [(C(np.array([[True], [False], [True]])), U((4,)), U(())),
                 (C(np.array([True, False, True, True])), U((3, 4)), U(None)),
                 (C(np.array([[True, False], [False, True]])), U((2, 2)), U((2, 2))),
                 (C(True), U((3,)), U((2, 3)))])
add([np.clip], [(U((3, 4)), C(-0.5), C(0.7)), (U((4,)), C(np.array([[-1.0], [0.0], [0.5]])),
                                                C(1.0)),
                (U((2, 3)), C(None), C(0.3)), (U((2, 3)), C(-0.3), C(None))])
# ties: forward and reverse agree (adjointness); finite differences do not apply
add([np.maximum, np.minimum, np.fmax, np.fmin],
    [(C(np.array([1.0, 2.0, 3.0])), C(np.array([1.0, 0.0, 3.0])))], fd=False)
add([builtins.max, builtins.min], [(C(1.5), C(1.5))], fd=False)

add([np.matmul, operator.matmul],
    [(U((3, 4)), U((4, 2))), (U((4,)), U((4, 2))), (U((3, 4)), U((4,))), (U((4,)), U((4,))),
     (U((2, 3, 4)), U((4, 5))), (U((2, 1, 3, 4)), U((5, 4, 2)))])
add([np.dot], [(U((3, 4)), U((4, 2))), (U((4,)), U((4,))), (U(None), U((3,))),
               (U((2, 3)), U(())), (U((2, 3, 4)), U((4,))), (U((2, 3, 4)), U((5, 4, 2))),
               (U((4,)), U((4, 2)))])
add([np.outer], [(U((3,)), U((4,))), (U((2, 2)), U((3,))), (U(None), U((2,)))])

# reductions: every axis form, keepdims, Python scalars, lists
RED_SHAPE = (2, 3, 4)
RED_KW = [{}, {"axis": 0}, {"axis": 1}, {"axis": -1}, {"axis": (0, 2)}, {"axis": None},
          {"keepdims": True}, {"axis": 1, "keepdims": True}, {"axis": (0, 2), "keepdims": True}]
LIST3 = seq(U(None), U(None), U(None))
for _kw in RED_KW:
    add([np.sum, np.mean, np.max, np.amax, np.min, np.amin, np.var, np.std],
        [(U(RED_SHAPE),)], kwargs=_kw)
    add([np.prod], [(U(RED_SHAPE, 0.5, 1.5),)], kwargs=_kw)
add([np.sum, np.mean, np.prod, np.max, np.min, np.var, np.std],
    [(U((5,)),), (LIST3,), (seq(U((3,)), U((3,))),)])
add([np.sum, np.mean, np.prod, np.max, np.min], [(U(None),), (U(()),)])
add([np.sum, np.mean, np.max, np.var], [(seq(U((3,)), U((3,))),)], kwargs={"axis": 0})
add([np.var, np.std], [(U((3, 4)),)], kwargs={"ddof": 1})
add([np.var, np.std], [(U((3, 4)),)], kwargs={"axis": 0, "ddof": 1, "keepdims": True})


def _with_zeros(shape, where):
    def make(rng):
        a = rng.uniform(0.5, 1.5, shape)
        for idx in where:
            a[idx] = 0.0
        return a
    return make


# prod with zeros: multilinear, so central differences stay exact across the zero
add([np.prod], [(_with_zeros((5,), [2]),), (_with_zeros((5,), [1, 3]),),
                (_with_zeros((3, 4), [(0, 1), (2, 2), (2, 3)]),)])
add([np.prod], [(_with_zeros((3, 4), [(0, 1), (2, 2), (2, 3)]),)], kwargs={"axis": 1})
add([np.prod], [(_with_zeros((3, 4), [(0, 1), (1, 1)]),)], kwargs={"axis": 0, "keepdims": True})
add([np.prod], [(seq(C(0.0), U(None), U(None)),)])
# max/min with ties (and a NaN): equal shares, as in the VJP
TIES = C(np.array([[1.0, 3.0, 3.0, 0.5], [2.0, 2.0, -1.0, 2.0], [0.0, 0.0, 0.0, 0.0]]))
for _kw in [{}, {"axis": 1}, {"axis": 0, "keepdims": True}]:
    add([np.max, np.min], [(TIES,)], kwargs=_kw, fd=False)
add([np.max, np.min], [(C(np.array([1.0, np.nan, 2.0])),)], fd=False)

add([np.reshape], [(U((2, 3, 4)), C((6, 4))), (U((2, 3)), C(-1)), (U(()), C((1, 1))),
                   (U((6,)), C((3, -1)))])
add([np.ravel], [(U((2, 3)),), (U((2, 3)), C("F")), (lambda rng: np.asfortranarray(
    rng.uniform(-1, 1, (3, 4))), C("A")), (lambda rng: np.asfortranarray(
        rng.uniform(-1, 1, (3, 4))), C("K")), (U((2, 3)), C("K"))])
add([np.squeeze], [(U((1, 3, 1)),), (U((1, 3, 1)), C(0)), (U((1, 3, 1)), C((0, 2))),
                   (U((1, 1)),)])
add([np.expand_dims], [(U((3, 2)), C(0)), (U((3, 2)), C(-1)), (U((3,)), C((0, 2))),
                       (U(()), C(0))])
add([np.transpose], [(U((2, 3)),), (U((2, 3, 4)), C((1, 0, 2))), (U((2, 3, 4)), C((-1, 0, 1))),
                     (U((2, 3, 4)),)])
add([np.stack], [(seq(U((2, 3)), U((2, 3)), U((2, 3))),),
                 (seq(U((2, 3)), U((2, 3)), kind=tuple), C(1)),
                 (seq(U((2, 3)), U((2, 3))), C(-1)), (seq(U(None), U(None), U(())),)])
_CONCAT = [(seq(U((2, 3)), U((4, 3))),), (seq(U((2, 3)), U((2, 1)), kind=tuple), C(1)),
           (seq(U((2, 3)), U((4,))), C(None)), (seq(U((3,)), U((2,)), U((1,))), C(-1))]
add([np.concatenate], _CONCAT)
if hasattr(np, "concat") and np.concat is not np.concatenate:
    add([np.concat], _CONCAT[:2])
add([np.array, np.asarray, np.asarray_chkfinite],
    [(seq(U(None), U(None), U(None)),), (seq(U((3,)), U((3,))),), (U((2, 3)),),
     (seq(U(None), U(()), kind=tuple),)])
add([MethodRef("astype")], [(U((2, 3)), C(np.float64)), (U((2, 3)), C("float64")),
                            (U(()), C(float)), (U((2, 3)), C(np.int64)),
                            (U((2, 3)), C(bool))])
add([MethodRef("astype")], [(U((2, 3)), C(np.float32))], fd=False)
add([rt.keep_array], [(C(np.array(1.0)), U(None)), (C(np.array(1.0)), U(())),
                      (C(2.0), U((3,)))], wrt=("new",))
add([rt.broadcast], [(U((4,)), C(np.zeros((3, 4)))), (U(None), C(np.zeros((2, 3)))),
                     (U((2, 3)), C(np.zeros((2, 3))))], wrt=("t",))
add([MethodRef("tolist")], [(U((2, 3)),), (U(()),), (U((3,)),)])
add([builtins.list, builtins.tuple], [(seq(U(None), U(None), U(None)),), (U((3,)),),
                                      (U((2, 3)),)])
add([builtins.sorted], [(seq(U(None), U(None), U(None)),), (U((4,)),)])
add([builtins.sorted], [(U((4,)),)], kwargs={"reverse": True})
add([builtins.sum], [(seq(U(None), U(None), U(None)),), (U((3,)),), (U((2, 3)),),
                     (seq(U((2,)), U((2,))), U((2,))), (seq(U(None), U(None)), U(None))])
# the helpers of writes into arrays (x[i] = v), differentiated again for higher order
add([wr.copy_arg], [(U((2, 3)),), (U(None),), (seq(U((2,)), U((2,))),)])
add([wr.disown], [(U((2, 3)),), (U(None),)])
add([wr.copy_item], [(U((4,)), C(1)), (U((2, 3)), C((slice(0, 2), 1))), (U((4,)), C(slice(1, 3)))])
add([wr.writable], [(U((4,)), C(np.zeros(4))), (U(None), C(np.zeros((2, 3)))),
                    (U((3,)), C(np.zeros((2, 3))))], wrt=("d",))
add([wr.writable_items], [(seq(U((2,)), U((2,))), C([0.0, 0.0])),
                          (seq(U(None), U(None), U(None)), C([1.0, 2.0, 3.0]))], wrt=("d",))
add([wr.written], [(U(None), C(np.zeros(4))), (U((2,)), C(np.zeros(4)))], wrt=("dv",))
add([wr.setitem_grad], [(U((4,)), C(1), C(0.0), C(np.zeros(4))),
                        (U((2, 3)), C((slice(None), 1)), C(np.zeros(2)), C(np.zeros((2, 3)))),
                        (U((2, 3)), C(slice(0, 1)), C(np.zeros(3)), C(np.zeros((2, 3))))],
    wrt=("dx",))


# --------------------------------------------------------------------------- machinery

def rand_like(v, rng):
    """A random tangent/cotangent shaped like v (a list for a list, a float for a float)."""
    if isinstance(v, (list, tuple)):
        return type(v)(rand_like(x, rng) for x in v)
    if isinstance(v, (float, int, np.floating)) and not isinstance(v, np.ndarray):
        return float(rng.standard_normal())
    return rng.standard_normal(np.shape(v))


def axpy(a, t, x):
    """x + a * t, item by item for sequences, keeping Python floats Python floats."""
    if isinstance(x, (list, tuple)):
        return type(x)(axpy(a, ti, xi) for ti, xi in zip(t, x))
    if type(x) is float:
        return x + a * t
    if isinstance(x, np.floating):
        return type(x)(x + a * t)
    out = np.array(x, dtype=np.float64, order="K")   # keeps x's memory layout (np.ravel "A")
    out += a * t
    return out


def inner(u, v):
    """<u, v>, item by item for sequences (whose items may differ in shape)."""
    if isinstance(v, (list, tuple)) and not isinstance(u, (int, float)):
        return sum(inner(u[i], vi) for i, vi in enumerate(v))
    if isinstance(u, (list, tuple)):
        u = np.asarray(u, dtype=np.float64)
    return float(np.sum(np.asarray(u, dtype=np.float64) * np.asarray(v, dtype=np.float64)))


def as_array(v):
    return np.asarray(v, dtype=np.float64)


def contribution(rule, g, ans, bound, p):
    """The rule's expression for parameter p, evaluated with ``g`` (the template's own
    return expression, run in the template's globals). One expression at a time, as the
    compiler inlines it: calling the whole template would evaluate the other parameters'
    expressions with this g, whose shape need not fit them (np.matmul(x1, g))."""
    env = dict(rule.defaults)
    env.update(bound)
    env["g"], env["ans"] = g, ans
    code = compile(ast.fix_missing_locations(ast.Expression(copy.deepcopy(rule.exprs[p]))),
                   f"<rule {fname(rule.fn)}, {p}>", "eval")
    return eval(code, rule.globals, env)


def test_contribution_is_the_template():
    """The per-expression evaluation above is the template's own result."""
    x1, x2, g = np.array([1.0, 2.0]), np.array([3.0, -1.0]), np.array([0.5, 0.25])
    for table in (registry.VJPS, registry.JVPS):
        rule = table[np.multiply]
        bound = rule.bind((x1, x2), {})
        whole = rule.template(g, x1 * x2, x1, x2)
        for i, p in enumerate(rule.diff):
            np.testing.assert_array_equal(contribution(rule, g, x1 * x2, bound, p), whole[i])


def diff_params(case, rule, bound):
    ps = [p for p in rule.diff if p in bound]
    if case.wrt is not None:
        ps = [p for p in ps if p in case.wrt]
    return ps


def case_params():
    out = []
    for k, case in enumerate(CASES):
        out.append(pytest.param(case, k, id=f"{case.id}-{k}"))
    return out


def setup_case(case, seed):
    args, kwargs = case.make(seed)
    jvp = registry.lookup_jvp(case.fn)
    vjp = registry.lookup(case.fn)
    assert jvp is not None and vjp is not None, case.id
    bound = jvp.bind(args, kwargs)
    assert bound is not None, f"{case.id}: the JVP rule does not bind these arguments"
    assert vjp.bind(args, kwargs) == bound
    with np.errstate(all="ignore"):
        ans = call_primal(case.fn, args, kwargs)
    return args, kwargs, jvp, vjp, bound, ans


# --------------------------------------------------------------------------- tests

@pytest.mark.parametrize("case,k", case_params())
def test_jvp_matches_finite_differences(case, k):
    if not case.fd:
        pytest.skip("not differentiable here (ties, zeros of the base): adjointness only")
    args, kwargs, jvp, _, bound, ans = setup_case(case, 1000 + k)
    rng = np.random.default_rng(k)
    params = diff_params(case, jvp, bound)
    assert params, f"{case.id}: no differentiable argument"
    for p in params:
        t = rand_like(bound[p], rng)
        with np.errstate(all="ignore"):
            got = contribution(jvp, t, ans, bound, p)
        assert np.shape(got) == np.shape(ans), \
            f"{case.id}: the tangent w.r.t. {p} has shape {np.shape(got)}, output {np.shape(ans)}"
        i = jvp.params.index(p)
        plus, minus = list(args), list(args)
        kw_plus, kw_minus = dict(kwargs), dict(kwargs)
        if i < len(args):
            plus[i], minus[i] = axpy(H, t, args[i]), axpy(-H, t, args[i])
        else:
            kw_plus[p], kw_minus[p] = axpy(H, t, kwargs[p]), axpy(-H, t, kwargs[p])
        fd = (as_array(call_primal(case.fn, plus, kw_plus))
              - as_array(call_primal(case.fn, minus, kw_minus))) / (2 * H)
        scale = 1.0 + float(np.max(np.abs(as_array(ans)), initial=0.0))
        np.testing.assert_allclose(as_array(got), fd, rtol=case.rtol, atol=1e-7 * scale,
                                   err_msg=f"{case.id}: JVP w.r.t. {p}")


@pytest.mark.parametrize("case,k", case_params())
def test_jvp_vjp_adjoint(case, k):
    _, _, jvp, vjp, bound, ans = setup_case(case, 2000 + k)
    rng = np.random.default_rng(10_000 + k)
    gbar = rand_like(ans if not isinstance(ans, list) else np.asarray(ans), rng)
    for p in diff_params(case, jvp, bound):
        t = rand_like(bound[p], rng)
        with np.errstate(all="ignore"):
            forward = contribution(jvp, t, ans, bound, p)
            backward = contribution(vjp, gbar, ans, bound, p)
        assert np.shape(forward) == np.shape(ans), case.id
        lhs, rhs = inner(backward, t), inner(gbar, forward)
        assert np.isfinite(lhs) and np.isfinite(rhs), f"{case.id}: w.r.t. {p}: {lhs}, {rhs}"
        assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-10), \
            f"{case.id}: <vjp(g), t> = {lhs} but <g, jvp(t)> = {rhs} w.r.t. {p}"


# --------------------------------------------------------------------------- the table

def builtin(table):
    """The table's built-in rules (other tests and the docs register rules of their own,
    such as VJP-only rules of user functions)."""
    return {k: r for k, r in table.items() if r.template.__module__ == numpy_rules.__name__}


def rules_of(table):
    """(Rule object, the set of keys mapping to it) for the table's built-in rules."""
    out = {}
    for key, rule in builtin(table).items():
        out.setdefault(id(rule), (rule, set()))[1].add(key)
    return out.values()


def test_every_vjp_has_a_jvp_and_back():
    vjps, jvps = builtin(registry.VJPS), builtin(registry.JVPS)
    assert len(vjps) > 90
    assert set(vjps) - set(jvps) == set()
    assert set(jvps) - set(vjps) == set()


def test_both_directions_share_callables_and_parameters():
    jvps = builtin(registry.JVPS)
    for vrule, keys in rules_of(registry.VJPS):
        jrules = {id(jvps[k]) for k in keys}
        assert len(jrules) == 1, f"{vrule.fn!r}: aliases of one VJP rule get different JVP rules"
        jrule = jvps[next(iter(keys))]
        jkeys = {k for k, r in jvps.items() if r is jrule}
        assert jkeys == keys, f"{vrule.fn!r}: the JVP rule has other callables"
        assert jrule.params == vrule.params, vrule.fn
        assert jrule.diff == vrule.diff, vrule.fn
        assert jrule.defaults == vrule.defaults, vrule.fn
        assert jrule.refused == vrule.refused, vrule.fn


def test_jvp_rule_follows_its_vjp_rule_in_the_source():
    mine = [r for r, _ in list(rules_of(registry.VJPS)) + list(rules_of(registry.JVPS))
            if r.template.__module__ == numpy_rules.__name__]
    mine.sort(key=lambda r: r.template.__code__.co_firstlineno)
    vjps = {id(r) for r in registry.VJPS.values()}
    kinds = ["VJP" if id(r) in vjps else "JVP" for r in mine]
    assert kinds == ["VJP", "JVP"] * (len(mine) // 2), kinds
    for v, j in zip(mine[::2], mine[1::2]):
        assert registry.JVPS[registry._key(v.fn)] is j, (v.fn, j.fn)


def test_every_callable_has_a_numerical_case():
    tested = {registry._key(c.fn) for c in CASES}
    missing = [k for k in builtin(registry.JVPS) if k not in tested and not exempt_from_cases(k)]
    assert not missing, missing


_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow, ast.Mod: operator.mod,
           ast.MatMult: operator.matmul, ast.FloorDiv: operator.floordiv}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}


def _resolve(node, globals_):
    if isinstance(node, ast.Name):
        if node.id in globals_:
            return globals_[node.id]
        return getattr(builtins, node.id)
    if isinstance(node, ast.Attribute):
        if isinstance(node.value, ast.Name) and node.value.id in globals_ and \
                inspect.ismodule(globals_[node.value.id]):
            return getattr(globals_[node.value.id], node.attr)
        return MethodRef(node.attr)
    raise AssertionError(f"cannot resolve {ast.dump(node)}")


def _mentions(node, names):
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def redifferentiation_problems(rule):
    """Operations a JVP expression applies to a varying value (g, ans or a differentiable
    parameter) that have no rule in both directions binding the call's arguments and are
    not declared non-differentiable."""
    varying = {"g", "ans", *rule.diff}
    problems = []
    for p, expr in rule.exprs.items():
        for node in ast.walk(expr):
            if isinstance(node, ast.Call):
                fn = _resolve(node.func, rule.globals)
                operands = node.args + [k.value for k in node.keywords]
                if isinstance(fn, MethodRef):
                    operands = [node.func.value] + operands
            elif isinstance(node, ast.BinOp):
                fn, operands = _BINOPS[type(node.op)], [node.left, node.right]
            elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
                fn, operands = _UNARY[type(node.op)], [node.operand]
            else:
                continue
            if not any(_mentions(o, varying) for o in operands) or registry.is_nondiff(fn):
                continue
            where = f"{fname(rule.fn)}, w.r.t. {p}: {ast.unparse(node)}"
            v, j = registry.lookup(fn), registry.lookup_jvp(fn)
            if v is None or j is None:
                problems.append(f"{where}: no rules for {fname(fn)}")
            elif isinstance(node, ast.Call):
                nargs = len(node.args) + isinstance(fn, MethodRef)
                kws = {k.arg: 0 for k in node.keywords}
                if j.bind(list(range(nargs)), kws) is None or \
                        v.bind(list(range(nargs)), kws) is None:
                    problems.append(f"{where}: the rules of {fname(fn)} do not bind the call")
    return problems


@pytest.mark.parametrize("rule", [r for r, _ in rules_of(registry.JVPS)],
                         ids=lambda r: fname(r.fn))
def test_jvp_expressions_differentiate_again(rule):
    assert redifferentiation_problems(rule) == []


def test_redifferentiation_check_catches_reverse_helpers_and_bad_calls():
    table = {}
    key = object()

    def bad1(g, ans, x):
        return numpy_rules.unbroadcast(g, x)

    def bad2(g, ans, x):
        return np.sum(g, initial=0.0) * np.argmax(x)     # np.sum's rules take no `initial`

    def good(g, ans, x):
        return g * np.cos(x) + np.sign(x) * np.log(2.0)

    results = {}
    for t in (bad1, bad2, good):
        registry._define(table, "JVP", (key,), (), ())(t)
        results[t.__name__] = redifferentiation_problems(table[key])
    assert len(results["bad1"]) == 1 and "no rules" in results["bad1"][0]
    assert len(results["bad2"]) == 1 and "bind" in results["bad2"][0]
    assert results["good"] == []


def test_new_runtime_helpers_are_nondiff():
    assert registry.is_nondiff(rt.minmax_weights)
    assert registry.is_nondiff(rt.ravel_order)


def test_minmax_weights_split_ties_like_minmax_vjp():
    rng = np.random.default_rng(7)
    x = np.round(rng.uniform(0, 3, (4, 5)))          # many ties
    for axis, keepdims in [(None, False), (0, False), (1, True), ((0, 1), False)]:
        for red in (np.max, np.min):
            ans = red(x, axis=axis, keepdims=keepdims)
            g = rng.standard_normal(np.shape(ans))
            w = rt.minmax_weights(ans, x, axis, keepdims)
            np.testing.assert_allclose(rt.minmax_vjp(g, ans, x, axis, keepdims),
                                       np.broadcast_to(
                                           np.expand_dims(g, axis) if axis is not None and
                                           not keepdims else g, x.shape) * w)
            np.testing.assert_allclose(np.sum(w, axis=axis, keepdims=keepdims),
                                       np.ones(np.shape(ans)))


def test_ravel_order_follows_the_primal_layout():
    c = np.zeros((2, 3))
    f = np.asfortranarray(c)
    assert rt.ravel_order(c, "A") == "C" and rt.ravel_order(f, "A") == "F"
    assert rt.ravel_order(c, "K") == "C" and rt.ravel_order(f, "K") == "F"
    assert rt.ravel_order(f, "C") == "C" and rt.ravel_order(c, "F") == "F"
    with pytest.raises(rt.DiffcError):
        rt.ravel_order(np.zeros((4, 4))[::2, ::2], "K")
