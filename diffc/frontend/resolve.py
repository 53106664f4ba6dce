"""Resolve the free names of a function: closure cells, module globals, builtins."""
import builtins

MISSING = object()


class Resolver:
    def __init__(self, fn):
        self.fn = fn
        self.globals = fn.__globals__
        cells = fn.__closure__ or ()
        self.closure = dict(zip(fn.__code__.co_freevars, (c.cell_contents for c in cells)))

    def lookup(self, name):
        """The value ``name`` refers to outside the function, or ``MISSING``."""
        if name in self.closure:
            return self.closure[name]
        if name in self.globals:
            return self.globals[name]
        b = self.globals.get("__builtins__", builtins)
        b = b if isinstance(b, dict) else vars(b)
        return b.get(name, MISSING)

    def dependency(self, name):
        """What must stay the same for ``name`` to keep meaning what it means now:
        ``(mapping, key, value)`` for globals and builtins (value MISSING: the name
        must stay unbound in the module), ``(cell, None, value)`` for closures."""
        if name in self.closure:
            idx = self.fn.__code__.co_freevars.index(name)
            return (self.fn.__closure__[idx], None, self.closure[name])
        return (self.globals, name, self.globals.get(name, MISSING))

    def is_builtin(self, name, obj):
        return name not in self.closure and name not in self.globals and \
            getattr(builtins, name, MISSING) is obj
