"""The global namespace of a generated module."""

from ..frontend.resolve import MISSING as _RESOLVE_MISSING

_MISSING = object()
_MISSING_DEP = object()


class Namespace:
    """Names generated code reads from its module globals, and their objects.

    ``bind`` keeps the user's name for an object when it can, and picks a new
    one when the name is taken by another object or by a local variable.
    """

    def __init__(self):
        self.objs = {}
        self.avoid = set()
        self.deps = {}   # (id(container), key) -> (container, key, value) the build relied on

    def depend(self, dep):
        container, key, _ = dep
        self.deps.setdefault((id(container), key), dep)

    def stale(self):
        """Has any name the generated code was built from been rebound since?"""
        for container, key, value in self.deps.values():
            current = container.get(key, _MISSING_DEP) if key is not None else \
                container.cell_contents
            if current is not value and not (current is _MISSING_DEP and value is _RESOLVE_MISSING):
                return True
        return False

    def bind(self, name, obj):
        if self.objs.get(name, _MISSING) is obj:
            return name
        candidate, n = name, 2
        while candidate in self.avoid or (candidate in self.objs and self.objs[candidate] is not obj):
            candidate = f"{name}_{n}"
            n += 1
        self.objs[candidate] = obj
        return candidate
