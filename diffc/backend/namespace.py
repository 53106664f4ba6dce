"""The global namespace of a generated module."""
from .guards import Guards

_MISSING = object()


class Namespace:
    """Names generated code reads from its module globals, and their objects.

    ``bind`` keeps the user's name for an object when it can, and picks a new
    one when the name is taken by another object or by a local variable.
    ``bind_data`` gives data read from a global or closure (a number, an
    array...) a name of its own, refreshed from where it was read before each
    call (see ``guards.py``). ``guards`` records what the build assumed.
    """

    def __init__(self):
        self.objs = {}
        self.avoid = set()
        self.guards = Guards()
        self.data_names = {}   # (id(container), key) -> the generated name refreshed from it
        self._data = set()     # those names

    def _free(self, name, obj):
        candidate, n = name, 2
        while candidate in self.avoid or (candidate in self.objs and (
                self.objs[candidate] is not obj or candidate in self._data)):
            candidate = f"{name}_{n}"
            n += 1
        return candidate

    def bind(self, name, obj):
        if self.objs.get(name, _MISSING) is obj and name not in self._data:
            return name
        candidate = self._free(name, obj)
        self.objs[candidate] = obj
        return candidate

    def bind_data(self, name, container, key, value):
        """The generated name of data read from ``container`` (a dict or a cell) at ``key``."""
        k = (id(container), key)
        if k not in self.data_names:
            candidate = self._free(name, _MISSING)
            self.objs[candidate] = value
            self.data_names[k] = candidate
            self._data.add(candidate)
        return self.data_names[k]
