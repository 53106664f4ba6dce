"""Errors diffc raises for the user.

Every error that concerns the user's code names the original file, line and
column, shows the offending line, and says what the user can do about it.
"""


class DiffcError(Exception):
    """A problem with the function being differentiated, or with its inputs."""

    def __init__(self, message, loc=None, hint=None):
        self.message = message
        self.loc = loc
        self.hint = hint
        super().__init__(self._format())

    def _format(self):
        parts = []
        if self.loc is not None:
            parts.append(f"{self.loc.position()}: {self.message}")
            if self.loc.text:
                parts.append("    " + self.loc.text.rstrip())
                parts.append("    " + " " * self.loc.col + "^")
        else:
            parts.append(self.message)
        if self.hint:
            parts.append("hint: " + self.hint)
        return "\n".join(parts)


class UnsupportedError(DiffcError):
    """A Python construct diffc cannot differentiate (yet)."""


class NoRuleError(DiffcError):
    """A call to a function that has no derivative rule."""


class NameResolutionError(DiffcError):
    """A name that cannot be resolved when the derivative is built."""
