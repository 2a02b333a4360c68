"""HXL (Humanitarian Exchange Language) export rows: a table with a hashtag row under the header.

The tags come from the descriptor (``hxl_tags``). The canonical CSVs keep one header row; the
tagged row exists only in exports, because a second header row breaks ordinary CSV tools. Cells
pass through as the canonical CSV writes them; a split field's cell moves, unchanged, to the
column its row's meaning calls for (``hxlSplit``).
"""
from __future__ import annotations

from ..datapackage.descriptor import Package, Resource
from ..errors import DataError, Problem
from .hxl_tags import ISO_4217, export_columns, hashtag, splits, tag_problems


def tagged_rows(package: Package, resource: Resource, rows: list[list[str]], where: str) -> list[list[str]]:
    """Return ``rows`` (header first, cells as raw CSV text) as the HXL export's rows: the export
    header, the tag row, then one row per data row. ``where`` names the file, for errors."""
    problems = tag_problems(package, resource)
    if problems:
        raise DataError(problems)
    if not rows or rows[0] != resource.field_names:
        raise DataError([Problem(where, 1, None, f"header does not match the descriptor; expected: {', '.join(resource.field_names)}")])
    columns = export_columns(package, resource)
    rules = {s.field: s for s in splits(package, resource)[0]}
    position = {name: i for i, name in enumerate(resource.field_names)}
    out = [[c[0] for c in columns], [c[1] for c in columns]]
    for number, cells in enumerate(rows[1:], start=2):
        if len(cells) != len(position):
            raise DataError([Problem(where, number, None, f"has {len(cells)} cells, expected {len(position)}")])
        row = []
        for header, tag, source in columns:
            rule = rules.get(source)
            target = rule.column_for(cells[position[rule.by]]) if rule else None
            # The cell sits in the split column its row's meaning names, or else in its own.
            here = (target.name if target else source) == header
            value = cells[position[source]] if here else ""
            if value and hashtag(tag) == "currency" and not ISO_4217.fullmatch(value):
                raise DataError([Problem(where, number, source, f"{value!r} would go under #currency, which holds ISO 4217 codes only")])
            row.append(value)
        out.append(row)
    return out


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
