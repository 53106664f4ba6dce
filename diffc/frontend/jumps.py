"""Remove ``break``, ``continue`` and early ``return``.

Reverse mode needs structured control flow: every loop iteration runs its body
to the end and a function leaves through one ``return``. Jumps become flags;
the statements after a possible jump are guarded by them, and loops that may
stop early become ``while`` loops that test the flag::

    for i in range(n):                  i_range = range(n)
        if x > 10:                      i_count = len(i_range)
            break              ==>      i_next = 0
        x = x * 2                       broke = False
                                        while not broke and i_next < i_count:
                                            i = i_range[i_next]
                                            i_next = i_next + 1
                                            if x > 10:
                                                broke = True
                                            if not broke:
                                                x = x * 2

    if x < 0:                           returned = False
        return -x              ==>      if x < 0:
    return x                                result = -x
                                            returned = True
                                        if not returned:
                                            result = x
                                            returned = True
                                        return result
"""
import gast

from .templates import quote, quote_expr


def _name(id_):
    return gast.Name(id=id_, ctx=gast.Load(), annotation=None, type_comment=None)


def _has(nodes, types, loops=True):
    """Does any statement in ``nodes`` (not looking into nested loops unless
    ``loops``) have a node of ``types``?"""
    for s in nodes:
        stack = [s]
        while stack:
            n = stack.pop()
            if isinstance(n, types):
                return True
            if not loops and isinstance(n, (gast.For, gast.While)) and n is not s:
                continue
            if isinstance(n, (gast.FunctionDef, gast.Lambda)):
                continue
            stack.extend(gast.iter_child_nodes(n))
    return False


class RemoveJumps:
    def __init__(self, names):
        self.names = names
        self.returned = self.result = None

    def run(self, fdef):
        body = fdef.body
        early = _has(body[:-1], gast.Return) or (
            body and not isinstance(body[-1], gast.Return) and _has(body[-1:], gast.Return))
        if early:
            self.returned = self.names.fresh("returned")
            self.result = self.names.fresh("result")
        new, _ = self.block(body, loop=None)
        if early:
            end = body[-1] if body else fdef
            new = quote(f"{self.returned} = False\n{self.result} = None", fdef) + new \
                + quote(f"return {self.result}", end)
        fdef.body = new
        return fdef

    # Each method returns (statements, jumps) where jumps is the set of flag
    # names that may be set when control leaves the statements.
    def block(self, stmts, loop):
        out = []
        for i, s in enumerate(stmts):
            new, jumps = self.stmt(s, loop)
            out.extend(new)
            if jumps:
                rest, rest_jumps = self.block(stmts[i + 1:], loop)
                if rest:
                    test = " or ".join(sorted(jumps))
                    guard = quote(f"if not ({test}): pass", stmts[i + 1])[0]
                    guard.body = rest
                    out.append(guard)
                return out, jumps | rest_jumps
        return out, set()

    def stmt(self, s, loop):
        if isinstance(s, gast.Return):
            if self.returned is None:
                return [s], set()
            value = s.value or gast.Constant(value=None, kind=None)
            new = quote(f"{self.result} = v\n{self.returned} = True", s, v=value)
            return new, {self.returned}
        if isinstance(s, gast.Break):
            return quote(f"{loop['break']} = True", s), {loop["break"]}
        if isinstance(s, gast.Continue):
            return quote(f"{loop['continue']} = True", s), {loop["continue"]}
        if isinstance(s, gast.If):
            body, j1 = self.block(s.body, loop)
            orelse, j2 = self.block(s.orelse, loop)
            s.body, s.orelse = body or [gast.Pass()], orelse
            return [s], j1 | j2
        if isinstance(s, (gast.For, gast.While)):
            return self.loop(s, loop)
        return [s], set()

    def loop(self, s, outer):
        flags = {"break": None, "continue": None}
        if _has(s.body, gast.Break, loops=False):
            flags["break"] = self.names.fresh("broke")
        if _has(s.body, gast.Continue, loops=False):
            flags["continue"] = self.names.fresh("skip")
        body, jumps = self.block(s.body, flags)
        stops = sorted(j for j in jumps if j != flags["continue"])  # break or return
        before = []
        if flags["break"]:
            before += quote(f"{flags['break']} = False", s)
        if flags["continue"]:
            body = quote(f"{flags['continue']} = False", s) + body
        if stops:
            guard = " and ".join(f"not {j}" for j in stops)
            if isinstance(s, gast.For):
                before, s = before + self._counted(s, body, guard), None
            else:
                s.test = quote_expr(f"{guard} and (t)", s, t=s.test)
        if s is not None:
            s.body = body
            orelse = s.orelse
            s.orelse = []
            loop_stmts = [s]
        else:
            loop_stmts = []
            orelse = self._orelse
        out_jumps = {j for j in jumps if j == self.returned}
        if orelse:
            orelse_new, j3 = self.block(orelse, outer)
            out_jumps |= j3
            if stops:
                test = " or ".join(stops)
                guard = quote(f"if not ({test}): pass", orelse[0])[0]
                guard.body = orelse_new
                orelse_new = [guard]
            loop_stmts += orelse_new
        return before + loop_stmts, out_jumps

    def _counted(self, s, body, guard):
        """``for i in range(...)`` that may stop early, as a ``while`` loop."""
        target = s.target.id
        rng = self.names.fresh(f"{target}_range")
        count = self.names.fresh(f"{target}_count")
        pos = self.names.fresh(f"{target}_next")
        self._orelse = s.orelse
        stmts = quote(f"{rng} = r\n{count} = len({rng})\n{pos} = 0\n"
                      f"while {guard} and {pos} < {count}:\n"
                      f"    {target} = {rng}[{pos}]\n"
                      f"    {pos} = {pos} + 1", s, r=s.iter)
        stmts[-1].body += body
        return stmts
