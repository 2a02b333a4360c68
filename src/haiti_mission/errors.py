"""The errors every layer shares: problems in the data, a failed report run, a bad report parameter."""
from __future__ import annotations

from dataclasses import dataclass


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
            where.append(f'field "{self.field}"')
        return f"{', '.join(where)}: {self.message}"


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
    """A report parameter is unknown, of the wrong type, or has a value that makes no sense."""

    def __init__(self, notebook: str, parameter: str | None, message: str):
        self.notebook, self.parameter = notebook, parameter
        where = f"notebook {notebook!r}" + (f", parameter {parameter!r}" if parameter else "")
        super().__init__(f"{where}: {message}")
