"""Resolve the free names of a function: closure cells, module globals, builtins."""
import builtins

from ..backend.guards import MISSING, is_data


class Resolver:
    def __init__(self, fn, guards=None):
        self.fn = fn
        self.guards = guards   # where the build's assumptions about names are recorded
        self.globals = fn.__globals__
        cells = fn.__closure__ or ()
        self.cells = dict(zip(fn.__code__.co_freevars, cells))
        self.closure = {}
        for name, cell in self.cells.items():
            try:
                self.closure[name] = cell.cell_contents
            except ValueError:     # a free variable not assigned yet
                pass
        b = self.globals.get("__builtins__", builtins)
        self.builtins = b if isinstance(b, dict) else vars(b)

    def lookup(self, name):
        """The value ``name`` refers to outside the function, or ``MISSING``."""
        if name in self.closure:
            return self.closure[name]
        if name in self.globals:
            return self.globals[name]
        return self.builtins.get(name, MISSING)

    def where(self, name):
        """Where the value of ``name`` is read: ``(kind, container, key)`` for the guards
        (``kind`` is "cell" or "entry")."""
        if name in self.cells:
            return "cell", self.cells[name], None
        if name in self.globals:
            return "entry", self.globals, name
        return "entry", self.builtins, name

    def guard(self, name, obj, data_name=None):
        """Record what must stay true for ``name`` to keep meaning ``obj``. Data read under
        ``data_name`` in the generated module is refreshed at call time instead."""
        guards = self.guards
        if guards is None:
            return
        kind, container, key = self.where(name)
        if container is self.builtins and name not in self.cells:
            guards.entry(self.globals, name, MISSING)    # not shadowed by a global later
        if data_name is not None and is_data(obj):
            guards.data_read(kind, container, key, data_name)
        elif kind == "cell":
            guards.cell(container, obj)
        else:
            guards.entry(container, key, obj)

    def is_builtin(self, name, obj):
        return name not in self.closure and name not in self.globals and \
            getattr(builtins, name, MISSING) is obj
