"""Deterministic fresh names drawn from the user's names."""
import builtins
import keyword
import re

# never shadow a builtin: a local named `sum` hides the builtin in the whole function
_BUILTINS = frozenset(dir(builtins))


class NameGen:
    """Hands out names not in ``taken``; the same requests give the same names."""

    def __init__(self, taken=(), also_taken=None, handed=None):
        self.taken = set(taken)
        self.user = frozenset(taken)    # the names of the user's own code
        self.also_taken = also_taken if also_taken is not None else ()  # e.g. module globals
        self.handed = handed    # a set told of every name handed out (globals bound later avoid it)

    def reserve(self, name):
        self.taken.add(name)

    def fresh(self, hint):
        base = re.sub(r"\W", "_", hint).strip("_") or "t"
        if base[0].isdigit():
            base = "t" + base
        if len(base) > 24:
            base = base[:24].rstrip("_")
        name = base
        n = 2
        while name in self.taken or name in self.also_taken or name in _BUILTINS \
                or keyword.iskeyword(name):
            name = f"{base}_{n}"
            n += 1
        self.taken.add(name)
        if self.handed is not None:
            self.handed.add(name)
        return name
