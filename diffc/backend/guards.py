"""What a built derivative assumed about the program, checked before every call.

A derivative is built from what names meant when it was built. Two kinds of
assumption are recorded while the frontend resolves names:

* **static** — what the code calls or resolves at build time: a function, a
  module, a class, ``np.sin`` (each step of a dotted chain), a function's
  ``__code__``, ``__defaults__`` and ``__kwdefaults__``. If one of them is
  rebound (``np.sin = np.tanh`` under ``mock.patch``, IPython's autoreload
  assigning ``f.__code__``), the derivative is rebuilt, as Python itself would
  see the new object.
* **data** — numbers, arrays, strings and containers read from globals or
  closures. The generated code reads them at call time: ``refresh`` copies
  their current values into the generated module's globals, and rebinding
  ``lr`` between calls costs a dictionary store, not a rebuild. Only a change
  of the value's kind rebuilds (the build relied on it: a scalar constant
  lets reverse mode drop ``unbroadcast``); real numbers (Python or NumPy) are
  one kind, anything else its type.

::

    guards = Guards()
    guards.entry(module_globals, "np", np)           # static: the name np
    guards.attr(np, "sin", np.sin)                    # static: the attribute np.sin
    guards.data_entry(module_globals, "lr", "lr")     # data: refreshed into generated `lr`
    ...
    if guards.check(generated_globals):               # before each call
        rebuild()

Guards of generated code that is differentiated again (higher derivatives)
are included by the outer build: the inner ones are checked (and their data
refreshed) first.
"""
import types

import numpy as np

MISSING = object()
_EMPTY_CELL = object()

DATA_TYPES = (bool, int, float, complex, str, bytes, type(None), np.ndarray, np.generic, list,
              tuple, dict, set, frozenset, range, slice)


_REAL = (bool, int, float, np.integer, np.floating, np.bool_)


def kind_of(value):
    """What a build may assume about data: real numbers are one kind (a learning rate may
    become a NumPy float), anything else its type (an array stays an array)."""
    return "real" if isinstance(value, _REAL) else type(value)


def is_data(value):
    """Values generated code reads at call time (never called or resolved statically)."""
    return isinstance(value, DATA_TYPES)


def _cell(cell):
    try:
        return cell.cell_contents
    except ValueError:
        return _EMPTY_CELL


def _get(kind, container, key):
    if kind == "entry":
        return container.get(key, MISSING)
    if kind == "cell":
        return _cell(container)
    return getattr(container, key, MISSING)


def _same(current, value):
    """``current is value``, except that bound methods are made afresh at every attribute
    read (``obj.method``): they are the same if they bind the same function to the same
    object."""
    if current is value:
        return True
    if type(current) is not type(value):
        return False
    if isinstance(current, types.MethodType):
        return current.__self__ is value.__self__ and current.__func__ is value.__func__
    if isinstance(current, types.BuiltinMethodType) and not isinstance(current.__self__,
                                                                        types.ModuleType):
        return current.__self__ is value.__self__ and current.__name__ == value.__name__
    return False


class Guards:
    def __init__(self):
        self.static = {}     # (kind, id(container), key) -> (kind, container, key, value)
        self.kwdefaults = {}  # id(fn) -> (fn, snapshot of fn.__kwdefaults__)
        self.data = {}       # (kind, id(container), key) -> (kind, container, key, name, type)
        self.children = []   # guards of generated code this build differentiated again
        self.module = None   # the generated module's globals (set when compiled)

    # ------------------------------------------------------------ recording
    def _static(self, kind, container, key, value):
        self.static.setdefault((kind, id(container), key), (kind, container, key, value))

    def entry(self, mapping, key, value):
        """``mapping[key]`` (module globals, builtins) must stay ``value`` (or unbound,
        for MISSING)."""
        self._static("entry", mapping, key, value)

    def cell(self, cell, value):
        self._static("cell", cell, None, value)

    def attr(self, obj, name, value):
        self._static("attr", obj, name, value)

    def function(self, fn):
        """A function diffc read the source of: its code and defaults must stay."""
        self.attr(fn, "__code__", fn.__code__)
        self.attr(fn, "__defaults__", fn.__defaults__)
        kw = fn.__kwdefaults__
        self.kwdefaults.setdefault(id(fn), (fn, None if kw is None else tuple(kw.items())))

    def data_read(self, kind, container, key, name):
        """Data read by generated code under global ``name`` (None: the generated code reads
        it live, e.g. ``cfg.lr``): refreshed before each call; its type must stay."""
        value = _get(kind, container, key)
        self.data.setdefault((kind, id(container), key),
                             (kind, container, key, name, kind_of(value)))

    def include(self, other):
        if other is not self and other not in self.children:
            self.children.append(other)

    # ------------------------------------------------------------ checking
    def check(self):
        """True if the derivative must be rebuilt; otherwise copy current data values into
        the generated module's globals."""
        for child in self.children:
            if child.check():
                return True
        for kind, container, key, value in self.static.values():
            current = _get(kind, container, key)
            if current is not value and not _same(current, value):
                return True
        for fn, snapshot in self.kwdefaults.values():
            kw = fn.__kwdefaults__
            if kw is None or snapshot is None:
                if kw is not snapshot:
                    return True
            elif len(kw) != len(snapshot) or any(kw.get(k, MISSING) is not v
                                                 for k, v in snapshot):
                return True
        module = self.module
        for kind, container, key, name, typ in self.data.values():
            current = _get(kind, container, key)
            if type(current) is not typ and kind_of(current) != typ:
                return True
            if name is not None and module is not None:
                module[name] = current
        return False
