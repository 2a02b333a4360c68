"""The errors every layer shares: problems in the data, a failed report run, a bad report parameter,
and the two rules every message follows: control characters are shown escaped, never raw (a
terminal would run them), and a value quoted in a message is cut to a bounded length."""
from __future__ import annotations

import re
import reprlib
from dataclasses import dataclass

# C0 and C1 controls, DEL, and the invisible characters that reorder or hide text (bidirectional
# overrides and isolates, zero-width characters, line and paragraph separators, the BOM).
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
QUOTED_MAX = 60  # characters of a value quoted in a message


def printable(text: str, *, lines: bool = False) -> str:
    """``text`` with every control character written as an escape (``\\x1b``, ``\\u202e``);
    with ``lines``, line breaks are kept (text of several lines, each made printable)."""
    if lines:
        return "\n".join(printable(line) for line in str(text).split("\n"))
    return CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


_SHORT = reprlib.Repr()  # Python 3.11's Repr takes no arguments
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother = 2, QUOTED_MAX, QUOTED_MAX
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 6


def brief(value, limit: int = QUOTED_MAX) -> str:
    """``repr(value)`` for a message: control characters escaped, at most about ``limit``
    characters (a long text is cut and its length given; containers show their first items)."""
    if isinstance(value, str):
        text = repr(value) if len(value) <= limit else f"{value[:limit]!r}… ({len(value):,} characters)"
    else:
        text = _SHORT.repr(value)
    return printable(text)


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in one place: a file, and where known the row (header = row 1) and field."""

    file: str
    row: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f'field "{brief(self.field)[1:-1] if len(self.field) > QUOTED_MAX else self.field}"')
        return printable(f"{', '.join(where)}: {self.message}")


class DataError(ValueError):
    """Raised when data or its descriptor is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:20])
        more = len(self.problems) - 20
        if more > 0:
            shown += f"\n  ... and {more} more"
        count = len(self.problems)
        super().__init__(f"invalid data ({count} problem{'s' if count != 1 else ''}):\n{shown}")


class ReportError(RuntimeError):
    """A report run failed; the message names the notebook and, where known, the cell."""


class ParameterError(ValueError):
    """A report parameter is unknown, of the wrong type, or has a value that makes no sense.

    The message names the notebook, or (``in_file=True``) the parameters file, and the parameter.
    """

    def __init__(self, notebook: str, parameter: str | None, message: str, *, in_file: bool = False):
        self.notebook, self.parameter = notebook, parameter
        where = f"{'parameters file' if in_file else 'notebook'} {brief(str(notebook), 200)}"
        where += f", parameter {brief(parameter)}" if parameter else ""
        super().__init__(printable(f"{where}: {message}"))
