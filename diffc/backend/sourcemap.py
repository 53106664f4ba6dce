"""Generated modules' sources and source maps: tracebacks that point at the user's code.

Every generated module is registered under its file name (``<diffc-3:mod.loss>``):
its source goes to ``linecache`` (tracebacks and ``pdb`` show generated lines
and their ``# line N:`` comments), and its source map, from generated line
numbers to the ``Loc`` of the user's statement each line derives from, stays
here. When an exception leaves a derivative, ``annotate_exception`` adds a note
naming the user's line behind every generated frame::

    Traceback (most recent call last):
      ...
      File "<diffc-3:model.loss>", line 41, in loss_bwd
        dx = dx + g / x
    ZeroDivisionError: float division by zero
    diffc: the generated frames above come from these lines of your code:
      File "model.py", line 12, in loss (loss_bwd, generated line 41)
        y = np.log(x) * w

``release_module`` forgets both when the derivative is rebuilt or freed.
"""
import linecache

_maps = {}    # generated file name -> {generated line: Loc}


def register_module(filename, source, source_map):
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    _maps[filename] = source_map


def release_module(filename):
    linecache.cache.pop(filename, None)
    _maps.pop(filename, None)


def module_map(filename):
    """The source map of a registered generated module ({} if unknown)."""
    return _maps.get(filename, {})


def locate(filename, lineno):
    """The Loc of the user's statement behind a generated line, or None."""
    m = _maps.get(filename)
    return m.get(lineno) if m else None


def annotate_exception(e):
    """Add a note (PEP 678; ``__notes__`` on Python 3.10) to an exception raised in
    generated code, naming the user's line behind each generated frame. Once per
    exception."""
    if getattr(e, "_diffc_noted", False):
        return
    lines = []
    tb = e.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        loc = locate(code.co_filename, tb.tb_lineno)
        if loc is not None:
            lines.append(f'  File "{loc.filename}", line {loc.lineno} '
                         f'({code.co_name}, generated line {tb.tb_lineno})')
            if loc.text:
                lines.append("    " + loc.text.strip())
        tb = tb.tb_next
    if not lines:
        return
    note = "diffc: the generated frames above come from these lines of your code:\n" + \
        "\n".join(lines)
    try:
        e._diffc_noted = True
        if hasattr(e, "add_note"):
            e.add_note(note)
        else:                                   # Python 3.10
            e.__notes__ = list(getattr(e, "__notes__", [])) + [note]
    except (AttributeError, TypeError):
        pass


__all__ = ["register_module", "release_module", "module_map", "locate", "annotate_exception"]
