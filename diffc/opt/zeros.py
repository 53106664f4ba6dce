"""Known-zero adjoints: drop contributions of zero, turn first accumulations into assignments.

Adjoints start at zero. Walking the backward code forward, the pass tracks
which adjoints are certainly zero; a contribution that is linear in a zero
adjoint is dropped, and an accumulation into a zero adjoint becomes a plain
assignment::

    dx = dx + dy * 2.0        ==>    dx = dy * 2.0      (dx was zero)
    dz = dz + dw * x          ==>    (removed: dw is zero)

Adjoints updated in place (``index_vjp``) keep ``dx = dx + v`` so that they
never alias another array; their zero start value is inserted by ``init_zeros``.
"""
from ..ir.nodes import AddTo, Assign, AtomExpr, Const, For, If, Return, SeqLit, Var, While
from ..ir.visit import stmt_defs, walk

ZERO = Const(0.0, "0.0")


def _is_zero(value):
    return isinstance(value, AtomExpr) and isinstance(value.atom, Const) and value.atom.value == 0.0 \
        and not isinstance(value.atom.value, bool)


class KnownZeros:
    def __init__(self, inplace):
        self.inplace = inplace

    def run(self, stmts, zero):
        out, _ = self.block(stmts, set(zero))
        return out

    def block(self, stmts, z):
        out = []
        for s in stmts:
            new, z = self.stmt(s, z)
            out.extend(new)
        return out, z

    def stmt(self, s, z):
        if isinstance(s, AddTo):
            if s.g is not None and s.g in z:
                return [], z
            if s.target in z and s.index is None and s.target not in self.inplace \
                    and s.g not in self.inplace:
                return [Assign([Var(s.target)], s.value, s.loc, s.comment)], z - {s.target}
            return [s], z - {s.target}
        if isinstance(s, Assign):
            if s.linear_in is not None and s.linear_in in z:
                return [], z | stmt_defs(s)
            if len(s.targets) == 1 and _is_zero(s.value):
                t = s.target.name
                return ([] if t in z else [s]), z | {t}
            return [s], z - stmt_defs(s)
        if isinstance(s, Return):
            v = s.value
            if isinstance(v, Var) and v.name in z:
                return [Return(AtomExpr(ZERO), s.loc)], z
            if isinstance(v, SeqLit):
                elts = [ZERO if isinstance(e, Var) and e.name in z else e for e in v.elts]
                return [Return(SeqLit(v.kind, elts), s.loc)], z
            return [s], z
        if isinstance(s, If):
            body, z1 = self.block(s.body, z)
            orelse, z2 = self.block(s.orelse, z)
            return [If(s.test, body, orelse, s.loc, s.comment)], z1 & z2
        if isinstance(s, For):
            entry = z
            while True:
                _, end = self.block(s.body, entry)
                new_entry = (entry & end) - {s.target.name}
                if new_entry == entry:
                    break
                entry = new_entry
            body, _ = self.block(s.body, entry)
            return [For(s.target, s.start, s.stop, s.step, body, s.loc, s.comment, s.reverse)], entry
        if isinstance(s, While):
            raise TypeError("KnownZeros runs on backward code, which has no while loops")
        return [s], z - stmt_defs(s)


def init_zeros(stmts, adjoints, defined):
    """``d = 0.0`` at the top for every adjoint that may be read before it is written."""
    need = sorted(n for n in _maybe_undefined_reads(stmts, set(defined)) if n in adjoints)
    return [Assign([Var(n)], AtomExpr(ZERO)) for n in need] + stmts


def _maybe_undefined_reads(stmts, defined):
    from ..ir.visit import stmt_reads
    out = set()

    def block(stmts, d):
        for s in stmts:
            d = stmt(s, d)
        return d

    def stmt(s, d):
        out.update(stmt_reads(s) - d)
        if isinstance(s, If):
            return block(s.body, set(d)) & block(s.orelse, set(d))
        if isinstance(s, For):
            block(s.body, d | {s.target.name})
            return d
        return d | stmt_defs(s)

    block(stmts, defined)
    return out


__all__ = ["KnownZeros", "init_zeros", "walk"]
