"""Validate the data package: every resource against its schema, the cross-table rules, the size
and hash the descriptor records for each file, and Frictionless Data's own validation of the
descriptor and files."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..errors import DataError, Problem
from ..files import DATA_FILE_LIMIT
from ..paths import DESCRIPTOR, display_path
from .checksums import file_problems, hash_problems
from .csvfile import Table, forget_parsed, read_table
from .descriptor import Package, read_package
from .rules import check_rows


@dataclass
class ValidationReport:
    """What validation found: the problems, and the rows checked per resource."""

    problems: list[Problem] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        lines = [f"{name}: {count} rows" for name, count in self.rows.items()]
        if self.ok:
            lines.append("valid: no problems found")
        else:
            lines.append(f"INVALID: {len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}")
            lines.extend(f"  - {p}" for p in self.problems)
        return "\n".join(lines)

    def raise_if_invalid(self) -> None:
        if self.problems:
            raise DataError(self.problems)


def tables_needed(package: Package, names: list[str]) -> list[str]:
    """The resources a check of ``names`` reads: those, plus what their foreign keys point to."""
    wanted = list(names)
    for name in names:
        for fk in package.resource(name).foreign_keys:
            if fk.resource not in wanted:
                wanted.append(fk.resource)
    return wanted


def check_tables(package: Package, names: list[str], today: date | None = None) -> tuple[dict[str, Table], list[Problem]]:
    """Read the named resources (plus what their foreign keys point to) and check them all."""
    wanted = tables_needed(package, names)
    tables: dict[str, Table] = {}
    problems: list[Problem] = []
    for name in wanted:
        table, found = read_table(package, package.resource(name))
        tables[name] = table
        problems.extend(found)
    # Cross-table rules are only meaningful once each table parsed cleanly.
    if not problems:
        problems.extend(check_rows(tables, today or date.today()))
    return tables, problems


def refuse_invalid(folder=None, today: date | None = None) -> None:
    """Raise DataError naming every problem ``load()`` would meet in any dataset of the package.

    The same checks as loading every dataset, without building the frames (a report run needs
    only the verdict before its kernels start, and they load what they use).
    """
    package = read_package(folder)
    try:
        _, problems = check_tables(package, package.resource_names, today)
    finally:
        forget_parsed()  # a report run forks its workers next: they would carry the tables
    if problems:
        raise DataError(problems)


def _frictionless_problems(package: Package) -> list[tuple[str, Problem]]:
    """Run Frictionless validation; return its errors as (error type, Problem) pairs."""
    import frictionless  # heavy: imported only when a full validation is asked for

    descriptor = package.folder / DESCRIPTOR
    where = display_path(descriptor)
    try:
        report = frictionless.validate(str(descriptor))
    except Exception as exc:  # Frictionless's own failure must not hide what ours found
        return [("frictionless-failed", Problem(where, None, None, f"frictionless could not validate the package: {exc}"))]
    problems = []
    for error in report.errors:
        problems.append((error.type, Problem(where, None, None, f"frictionless: {error.message}")))
    for task in report.tasks:
        file = display_path(package.folder / task.name) if not task.place else display_path(package.folder / task.place)
        for error in task.errors:
            row = getattr(error, "row_number", None)
            # Cell errors name one field; foreign-key errors name theirs as a list.
            fld = getattr(error, "field_name", None) or ",".join(getattr(error, "field_names", None) or []) or None
            problems.append((error.type, Problem(file, row, fld, f"frictionless {error.type}: {error.note or error.message}")))
    return problems


# Frictionless's own size and hash checks: ours say the same with the fix, so theirs is dropped
# for a file ours already reported.
_FRICTIONLESS_RECORD_ERRORS = {"hash-count", "byte-count"}


def validate(folder=None, *, today: date | None = None, use_frictionless: bool = True) -> ValidationReport:
    """Check the whole package and return a ValidationReport (raises nothing).

    ``folder`` is a data folder holding ``datapackage.json`` (default: the package's own data).
    ``today`` is the date after which no date may lie (default: the real today).
    """
    report = ValidationReport()
    try:
        package = read_package(folder)
    except DataError as exc:
        report.problems.extend(exc.problems)
        return report
    tables, problems = check_tables(package, package.resource_names, today)
    report.rows = {name: tables[name].row_count for name in package.resource_names}
    report.problems.extend(problems)
    recorded = hash_problems(package)
    report.problems.extend(recorded)
    # A file that leads outside the data folder, is not a regular file (a named pipe would block
    # its reader) or is beyond the size limit is opened by no one, Frictionless included.
    unread = file_problems(package) or any(package.file_of(r).stat().st_size > DATA_FILE_LIMIT for r in package.resources)
    if use_frictionless and not unread:
        changed = {p.file for p in recorded}
        ours = {(p.file, p.row, p.field) for p in problems}
        ours_rows = {(p.file, p.row) for p in problems}
        ours_files = {p.file for p in problems if p.row is None or p.row == 1}
        files_with_problems = {p.file for p in problems}
        # Frictionless reads a table's foreign-key targets while checking it and blames the table
        # for the target's faults: once ours found a target broken, that is noise.
        dependants = {
            display_path(package.file_of(r)) for r in package.resources
            if any(display_path(package.file_of(package.resource(fk.resource))) in files_with_problems for fk in r.foreign_keys)
        }
        for kind, p in _frictionless_problems(package):
            if kind in _FRICTIONLESS_RECORD_ERRORS and p.file in changed:
                continue
            if p.file in dependants:
                continue
            # Keep Frictionless's view only where ours said nothing about the same place: a row
            # (Frictionless often names no field) or, for its file-level errors, the file.
            if (p.file, p.row, p.field) in ours or p.file in ours_files or (p.file, p.row) in ours_rows:
                continue
            if p.row is None and p.file in files_with_problems:
                continue
            report.problems.append(p)
    report.problems.sort(key=lambda p: (p.file, p.row or 0, p.field or "", p.message))
    return report
