"""The derivative-rule table: both directions of every rule.

A rule is a tiny Python function whose body is one ``return`` of one
expression per differentiable argument. In a VJP rule (reverse mode) ``g`` is
the adjoint of the output and ``ans`` the output itself; each expression is
the vector-Jacobian product for its argument::

    @defvjp(np.multiply)
    def _(g, ans, x1, x2):
        return unbroadcast(g * x2, x1), unbroadcast(g * x1, x2)

In a JVP rule (forward mode) ``g`` stands for the tangent of the argument in
whose position the expression stands; the output's tangent is the sum of the
expressions of the arguments that have tangents::

    @defjvp(np.multiply)
    def _(g, ans, x1, x2):
        return g * x2, x1 * g

``broadcast(t, ans)`` in a JVP rule widens a tangent to the output's shape
(``x + y`` with a scalar ``x``), as ``unbroadcast`` narrows an adjoint.

The compiler never calls rules: it inlines their return expressions into the
generated code, substituting the call's operands for the parameters. Parameters
with defaults (``axis=None``) are options, not differentiable; ``nondiff``
names further non-differentiable parameters.
"""
import ast
import inspect
import textwrap

_EMPTY = inspect.Parameter.empty


class Rule:
    def __init__(self, fn, params, defaults, diff, exprs, globals_, uses_ans, refused=(),
                 template=None):
        self.template = template      # the rule as a callable (for tests of the table itself)
        self.refused = refused    # parameters the rule cannot handle (``out=``: mutation)
        self.fn = fn
        self.params = params          # names after (g, ans), in call order
        self.defaults = defaults      # name -> default value
        self.diff = diff              # names of differentiable parameters
        self.exprs = exprs            # name -> ast.expr (the VJP template)
        self.globals = globals_       # the rule module's globals, for its free names
        self.uses_ans = uses_ans

    def bind(self, args, kwargs):
        """Map the rule's parameters to call arguments; None if they do not fit."""
        if len(args) > len(self.params):
            return None
        bound = dict(zip(self.params, args))
        for k, v in kwargs.items():
            if k not in self.params or k in bound:
                return None
            bound[k] = v
        for p in self.params:
            if p not in bound and p not in self.defaults:
                return None
        return bound


VJPS = {}       # primal callable (or MethodRef) -> Rule (reverse mode)
JVPS = {}       # primal callable (or MethodRef) -> Rule (forward mode)
NONDIFF = set()  # callables whose outputs have zero derivative (or are not numbers)


def _key(fn):
    try:
        hash(fn)
        return fn
    except TypeError:
        return id(fn)


def defvjp(*fns, nondiff=(), refused=(), diff=()):
    """Register the decorated template as the VJP rule of every callable in ``fns``.

    Parameters follow the primal's own order, so positional calls bind right;
    ``refused`` parameters (such as ``out``) make the call an error when given;
    ``diff`` names parameters with a default that are differentiable where a call
    gives them (``sum(xs, start)``)."""
    return _define(VJPS, "VJP", fns, nondiff, refused, diff)


def defjvp(*fns, nondiff=(), refused=(), diff=()):
    """Register the decorated template as the JVP rule of every callable in ``fns``
    (same conventions as ``defvjp``; ``g`` is the tangent of each argument)."""
    return _define(JVPS, "JVP", fns, nondiff, refused, diff)


def _define(table, kind, fns, nondiff, refused, diff_given=()):
    def deco(template):
        sig = inspect.signature(template)
        names = list(sig.parameters)
        if names[:2] != ["g", "ans"]:
            raise TypeError(f"a {kind} rule's first parameters are (g, ans)")
        params = names[2:]
        defaults = {p: sig.parameters[p].default for p in params
                    if sig.parameters[p].default is not _EMPTY}
        diff = [p for p in params if (p not in defaults or p in diff_given)
                and p not in nondiff]
        fdef = ast.parse(textwrap.dedent(inspect.getsource(template))).body[0]
        body = [s for s in fdef.body if not (isinstance(s, ast.Expr) and
                                             isinstance(s.value, ast.Constant))]
        if len(body) != 1 or not isinstance(body[0], ast.Return):
            raise TypeError(f"rule {template.__name__}: the body must be one return")
        value = body[0].value
        values = value.elts if len(diff) > 1 else [value]
        if len(values) != len(diff):
            raise TypeError(f"rule {template.__name__}: returns {len(values)} {kind}s for "
                            f"{len(diff)} differentiable parameters {diff}")
        uses_ans = any(isinstance(n, ast.Name) and n.id == "ans" for n in ast.walk(value))
        rule = Rule(fns[0], params, defaults, diff, dict(zip(diff, values)),
                    template.__globals__, uses_ans, tuple(refused), template)
        for fn in fns:
            table[_key(fn)] = rule
        return template
    return deco


def defnondiff(*fns):
    """Declare callables whose outputs do not depend differentiably on inputs."""
    for fn in fns:
        NONDIFF.add(_key(fn))


def alias(fn, *others):
    """Give ``others`` the rule of ``fn`` (``math.sin`` behaves as ``np.sin``)."""
    for o in others:
        VJPS[_key(o)] = VJPS[_key(fn)]
        if _key(fn) in JVPS:
            JVPS[_key(o)] = JVPS[_key(fn)]


def lookup(fn):
    return VJPS.get(_key(fn))


def lookup_jvp(fn):
    return JVPS.get(_key(fn))


def is_nondiff(fn):
    return _key(fn) in NONDIFF
