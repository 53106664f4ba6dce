"""The global namespace of a generated module."""

_MISSING = object()


class Namespace:
    """Names generated code reads from its module globals, and their objects.

    ``bind`` keeps the user's name for an object when it can, and picks a new
    one when the name is taken by another object or by a local variable.
    """

    def __init__(self):
        self.objs = {}
        self.avoid = set()

    def bind(self, name, obj):
        if self.objs.get(name, _MISSING) is obj:
            return name
        candidate, n = name, 2
        while candidate in self.avoid or (candidate in self.objs and self.objs[candidate] is not obj):
            candidate = f"{name}_{n}"
            n += 1
        self.objs[candidate] = obj
        return candidate
