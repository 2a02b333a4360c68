"""HXL (Humanitarian Exchange Language) tagging: a table's rows with a hashtag row under the header.

The tags come from each field's ``hxl`` property in the descriptor. The canonical CSVs keep one
header row; the tagged row exists only in exports, because a second header row breaks ordinary
CSV tools.
"""
from __future__ import annotations

import re

from ..datapackage.descriptor import Package, Resource
from ..errors import DataError, Problem
from ..paths import DESCRIPTOR

# A hashtag and its attributes, lower case only: HXL tools compare them case-insensitively, and
# one spelling keeps the descriptor, the export and the data dictionary identical.
TAG_PATTERN = re.compile(r"#[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*")


def tag_problems(resource: Resource) -> list[Problem]:
    """Return the problems with one resource's tags: missing, malformed or repeated."""
    where = f"{DESCRIPTOR} (resource {resource.name!r})"
    problems = []
    first: dict[str, str] = {}
    for fld in resource.fields:
        if not fld.hxl:
            problems.append(Problem(where, None, fld.name, "field has no hxl tag"))
        elif not TAG_PATTERN.fullmatch(fld.hxl):
            problems.append(Problem(where, None, fld.name, f"hxl tag {fld.hxl!r} is not a lower-case HXL hashtag such as #affected+idps"))
        elif first.setdefault(fld.hxl, fld.name) != fld.name:
            problems.append(Problem(where, None, fld.name, f"hxl tag {fld.hxl!r} is also used by field {first[fld.hxl]!r}; tags must tell columns apart"))
    return problems


def hxl_tags(resource: Resource) -> list[str]:
    """Return the HXL tag of each field of ``resource``, in column order; raise DataError if any is unusable."""
    problems = tag_problems(resource)
    if problems:
        raise DataError(problems)
    return [fld.hxl for fld in resource.fields]


def tagged_rows(resource: Resource, rows: list[list[str]], where: str) -> list[list[str]]:
    """Return ``rows`` (header first, cells as raw CSV text) with the tag row inserted after the header.

    Cells pass through untouched, so the export holds exactly what the canonical CSV holds.
    ``where`` names the file the rows came from, for errors.
    """
    tags = hxl_tags(resource)
    if not rows or rows[0] != resource.field_names:
        raise DataError([Problem(where, 1, None, f"header does not match the descriptor; expected: {', '.join(resource.field_names)}")])
    for number, cells in enumerate(rows[1:], start=2):
        if len(cells) != len(tags):
            raise DataError([Problem(where, number, None, f"has {len(cells)} cells, expected {len(tags)}")])
    return [rows[0], tags, *rows[1:]]


def package_tag_problems(package: Package) -> list[Problem]:
    """Return the tag problems of every resource of the package."""
    return [p for r in package.resources for p in tag_problems(r)]


_NEEDS_QUOTES = (",", '"', "\n", "\r")


def _csv_cell(text: str) -> str:
    # csv.writer leaves a lone carriage return unquoted when lines end in \n, and readers then
    # split the row there; quoting by hand keeps every value intact.
    if any(ch in text for ch in _NEEDS_QUOTES):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_text(rows: list[list[str]]) -> str:
    """Return rows as CSV text in the package's conventions: comma, ``\\n`` line ends, minimal quoting."""
    return "".join(",".join(_csv_cell(cell) for cell in row) + "\n" for row in rows)
