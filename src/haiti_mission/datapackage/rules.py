"""Checks that span fields or tables, which a Table Schema cannot express.

Each rule takes parsed tables and returns problems naming file, row and field.
"""
from __future__ import annotations

from datetime import date

from ..errors import Problem
from .csvfile import Table

# (resource, field, partner): when one of the two fields has a value, the other must too.
PAIRED_FIELDS = (
    ("sources", "published", "published_precision"),
    ("pledges", "personnel", "qualifier"),
    ("pledges", "country", "iso3"),
    ("funding", "amount", "unit"),
    ("funding", "amount", "qualifier"),
)


def _rows(table: Table, *names: str):
    cols = [table.columns[n] for n in names]
    return zip(table.row_numbers, *cols)


def paired_fields(tables: dict[str, Table]) -> list[Problem]:
    """Fields that go together: a value in one needs a value in the other."""
    problems = []
    for resource, a, b in PAIRED_FIELDS:
        table = tables.get(resource)
        if table is None:
            continue
        for row, va, vb in _rows(table, a, b):
            if (va is None) != (vb is None):
                have, missing = (a, b) if va is not None else (b, a)
                problems.append(Problem(table.file, row, missing, f"must be filled in when {have} is, and left empty when it is not"))
    return problems


def foreign_keys(tables: dict[str, Table]) -> list[Problem]:
    """Every foreign key value must exist in the table it refers to."""
    problems = []
    for table in tables.values():
        for fk in table.resource.foreign_keys:
            target = tables.get(fk.resource)
            if target is None:
                continue
            known = set(zip(*(target.columns[f] for f in fk.reference_fields)))
            missing = set(zip(*(table.columns[f] for f in fk.fields))) - known
            missing.discard((None,) * len(fk.fields))
            if not missing:
                continue  # every value exists: no need to look row by row
            for row, *values in _rows(table, *fk.fields):
                key = tuple(values)
                if all(v is None for v in key):
                    continue
                if key not in known:
                    shown = key[0] if len(key) == 1 else key
                    problems.append(Problem(table.file, row, ",".join(fk.fields), f"{shown!r} does not exist in {fk.resource} ({target.file})"))
    return problems


def no_future_dates(tables: dict[str, Table], today: date) -> list[Problem]:
    """No date may lie after ``today``: the data records what has happened or been published."""
    problems = []
    for table in tables.values():
        for fld in table.resource.fields:
            if fld.type != "date":
                continue
            for row, value in _rows(table, fld.name):
                if value is not None and value > today:
                    problems.append(Problem(table.file, row, fld.name, f"{value.isoformat()} is in the future (today is {today.isoformat()})"))
    return problems


def ordered_dates(tables: dict[str, Table]) -> list[Problem]:
    """A period cannot start after it ends."""
    problems = []
    table = tables.get("displacement")
    if table is not None:
        for row, start, end in _rows(table, "period_start", "date"):
            if start is not None and end is not None and start > end:
                problems.append(Problem(table.file, row, "period_start", f"{start.isoformat()} is after the reference date {end.isoformat()}"))
    return problems


def estimates_go_together(tables: dict[str, Table]) -> list[Problem]:
    """The estimate channel and the estimated_cost stage only occur together."""
    problems = []
    table = tables.get("funding")
    if table is not None:
        for row, channel, stage in _rows(table, "channel", "stage"):
            if (channel == "estimate") != (stage == "estimated_cost"):
                problems.append(Problem(table.file, row, "stage", "channel 'estimate' goes with stage 'estimated_cost', and only with it"))
    return problems


def cross_checks(tables: dict[str, Table], today: date) -> list[Problem]:
    """Run every rule over the tables given (rules whose tables are absent are skipped)."""
    return (
        paired_fields(tables)
        + foreign_keys(tables)
        + no_future_dates(tables, today)
        + ordered_dates(tables)
        + estimates_go_together(tables)
    )
