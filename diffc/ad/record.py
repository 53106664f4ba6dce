"""To-be-recorded: keep only the saves whose overwritten values backward code reads.

Reverse mode puts a ``Save`` before every assignment and a matching
``Restore`` in the backward code. A pair is needed only if the backward code
reads the variable and the variable may hold a value when it is overwritten;
needed pairs become a push onto the variable's stack and a pop::

    for i in range(n):                        for i in range(n):
        Save(x)                    ==>            x_stack.append(x)
        x = x * np.sin(x)                         x = x * np.sin(x)
    ...                                       ...
        Restore(x)                                x = x_stack.pop()

A variable that may be undefined at a kept push (first defined inside a
loop) starts as ``None`` so the push is always valid.
"""
from ..ir.nodes import Assign, AtomExpr, For, If, Pop, Push, Restore, Save, Var, While, const
from ..ir.visit import all_defs, atom_reads, rewrite, stmt_defs, stmt_reads


def record(fwd, bwd, params, names):
    """Returns (forward, backward, stack names, names to start as None)."""
    live = _needed_restores(bwd)
    at = {}
    end_md, end_dd = _defined(fwd, set(params), set(params), at)
    keep = {i for i, (var, md, dd) in at.items() if i in live and var in md}
    stacks = {}
    for i in sorted(keep):
        var = at[i][0]
        if var not in stacks:
            stacks[var] = names.fresh(f"{var}_stack")
    none_init = {at[i][0] for i in keep if at[i][0] not in at[i][2]}
    fwd = _replace(fwd, lambda s: [Push(stacks[s.var], s.var, s.loc)] if s.id in keep else [])
    bwd = _replace(bwd, lambda s: [Pop(s.var, stacks[s.var], s.loc)] if s.id in keep else [])
    return fwd, bwd, stacks, none_init, end_dd


def _needed_restores(bwd):
    """Ids of the restores whose value the backward code reads.

    Dropping an unneeded restore can empty a branch whose test was the only
    read of another recorded value (``if cond: restore(broke)``), so the
    analysis repeats on the pruned code until nothing more goes."""
    import copy
    from ..opt.dce import drop_empty
    code = copy.deepcopy(bwd)
    while True:
        needed = set()
        _live(code, set(), needed)
        pruned = drop_empty(_replace(copy.deepcopy(code),
                                     lambda s, needed=needed: [s] if s.id in needed else []))
        if _count_restores(pruned) == _count_restores(code):
            return needed
        code = pruned


def _count_restores(stmts):
    from ..ir.visit import walk
    return sum(isinstance(s, Restore) for s in walk(stmts))


def _live(stmts, live, needed):
    """Backward liveness where every ``Restore`` writes its variable; collects the
    ids of the restores whose variable is read before being written again."""
    for s in reversed(stmts):
        if isinstance(s, Restore):
            if s.var in live:
                needed.add(s.id)
            live = live - {s.var}
        elif isinstance(s, If):
            live = _live(s.body, set(live), needed) | _live(s.orelse, set(live), needed) \
                | atom_reads(s.test)
        elif isinstance(s, For):
            end = set(live)
            while True:
                start = _live(s.body, set(end), set())
                new_end = end | (start - {s.target.name})
                if new_end == end:
                    break
                end = new_end
            start = _live(s.body, set(end), needed)
            live = live | (start - {s.target.name}) | stmt_reads(s)
        else:
            live = (live - stmt_defs(s)) | stmt_reads(s)
    return live


def _defined(stmts, md, dd, at):
    """Maybe- and definitely-defined names after ``stmts``; records them at saves."""
    for s in stmts:
        if isinstance(s, Save):
            at[s.id] = (s.var, set(md), set(dd))
        elif isinstance(s, If):
            m1, d1 = _defined(s.body, set(md), set(dd), at)
            m2, d2 = _defined(s.orelse, set(md), set(dd), at)
            md, dd = m1 | m2, d1 & d2
        elif isinstance(s, For):
            md = md | all_defs(s.body) | {s.target.name}
            _defined(s.body, set(md), dd | {s.target.name}, at)
        elif isinstance(s, While):
            md = md | all_defs(s.test_body) | all_defs(s.body)
            _, dd = _defined(s.test_body, set(md), set(dd), at)
            _defined(s.body, set(md), set(dd), at)
        else:
            md, dd = md | stmt_defs(s), dd | stmt_defs(s)
    return md, dd


def _replace(stmts, fn):
    """Replace every save/restore marker ``s`` by ``fn(s)``."""
    return rewrite(stmts, lambda s: fn(s) if isinstance(s, (Save, Restore)) else [s])


def none_inits(names):
    return [Assign([Var(n)], AtomExpr(const(None))) for n in sorted(names)]
