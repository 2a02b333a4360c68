"""HXL hashtags as the descriptor gives them, checked against the HXL core dictionary.

Each field carries one tag in its ``hxl`` property. A field whose values mean different things
row by row (a count of IDPs in one row, a share in the next; an amount in dollars or in vehicles)
also carries ``hxlSplit``: in the HXL export its column becomes several, one per meaning, decided
by another field of the same row::

    "hxlSplit": {"by": "metric", "columns": [
        {"name": "value_idps", "hxl": "#affected+idps", "values": ["idps"]}, ...]}

A row whose ``by`` value is listed goes to that column; every other row keeps the field's own
column and tag. Only hashtags of the HXL core dictionary are allowed (attributes may be custom),
numbers go under hashtags HXL treats as numbers, and ``#currency`` holds ISO 4217 codes only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..datapackage.descriptor import Package, Resource
from ..errors import Problem
from ..paths import DESCRIPTOR

# A hashtag and its attributes, lower case only: HXL tools compare them case-insensitively, and
# one spelling keeps the descriptor, the export and the data dictionary identical.
TAG_PATTERN = re.compile(r"#[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*")

# The HXL core hashtags (HXL standard 1.1, status Released); #delivery was rejected.
CORE_HASHTAGS = frozenset("""
    access activity adm1 adm2 adm3 adm4 adm5 affected beneficiary capacity cause channel contact
    country crisis currency date description event frequency geo group impact indicator inneed
    item loc meta modality need operations org output population reached region respondee sector
    service severity status subsector targeted value
""".split())
# Deprecated attributes: +label, and language codes, which +i_xx replaced.
DEPRECATED_ATTRIBUTES = frozenset("label en fr es ar ru zh pt ht".split())
# Hashtags whose values HXL treats as numbers: people counts, population, monetary values.
NUMBER_HASHTAGS = frozenset({"affected", "inneed", "targeted", "reached", "population", "value"})
# #indicator is a number only with one of these attributes.
NUMBER_ATTRIBUTES = frozenset({"num", "pct"})
NUMBER_TYPES = frozenset({"integer", "number"})
ISO_4217 = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class SplitColumn:
    """One extra export column of a split field: its header, tag and the ``by`` values it takes."""

    name: str
    hxl: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Split:
    """How a field's column is split in the HXL export (see the module docstring)."""

    field: str
    by: str
    columns: tuple[SplitColumn, ...]

    def column_for(self, by_value: str) -> SplitColumn | None:
        return next((c for c in self.columns if by_value in c.values), None)


def hashtag(tag: str) -> str:
    return tag.split("+")[0][1:]


def attributes(tag: str) -> list[str]:
    return tag.split("+")[1:]


def is_number_tag(tag: str) -> bool:
    """Whether HXL treats the values under ``tag`` as numbers."""
    name = hashtag(tag)
    return name in NUMBER_HASHTAGS or (name == "indicator" and bool(NUMBER_ATTRIBUTES & set(attributes(tag))))


def _where(resource: Resource) -> str:
    return f"{DESCRIPTOR} (resource {resource.name!r})"


def splits(package: Package, resource: Resource) -> tuple[list[Split], list[Problem]]:
    """Return the ``hxlSplit`` rules of ``resource``'s fields, read from the descriptor, and their problems."""
    where = _where(resource)
    spec = next((r for r in package.raw.get("resources", []) if isinstance(r, dict) and r.get("name") == resource.name), {})
    found, problems = [], []
    for raw in spec.get("schema", {}).get("fields", []):
        rule = raw.get("hxlSplit") if isinstance(raw, dict) else None
        if rule is None:
            continue
        name = raw["name"]
        by, columns = (rule.get("by"), rule.get("columns")) if isinstance(rule, dict) else (None, None)
        if by not in resource.field_names or not isinstance(columns, list) or not columns:
            problems.append(Problem(where, None, name, "hxlSplit must name a field of this table as 'by' and list 'columns'"))
            continue
        parsed = []
        for col in columns:
            ok = isinstance(col, dict) and isinstance(col.get("name"), str) and isinstance(col.get("hxl"), str) \
                and isinstance(col.get("values"), list) and col["values"] and all(isinstance(v, str) for v in col["values"])
            if not ok:
                problems.append(Problem(where, None, name, f"hxlSplit column {col!r} needs a name, an hxl tag and a list of values"))
                continue
            parsed.append(SplitColumn(col["name"], col["hxl"], tuple(col["values"])))
        allowed = resource.field(by).enum
        seen: dict[str, str] = {}
        for col in parsed:
            for value in col.values:
                if allowed is not None and value not in allowed:
                    problems.append(Problem(where, None, name, f"hxlSplit column {col.name!r} lists {value!r}, which is not a value of {by}"))
                if seen.setdefault(value, col.name) != col.name:
                    problems.append(Problem(where, None, name, f"hxlSplit lists {value!r} in both {seen[value]!r} and {col.name!r}"))
        found.append(Split(name, by, tuple(parsed)))
    return found, problems


def export_columns(package: Package, resource: Resource) -> list[tuple[str, str, str]]:
    """Return the HXL export's columns of ``resource`` as (header, tag, field it takes values from).

    Each field keeps its column; a split field's extra columns follow it, in the order listed.
    """
    rules = {s.field: s for s in splits(package, resource)[0]}
    out = []
    for fld in resource.fields:
        out.append((fld.name, fld.hxl or "", fld.name))
        for col in rules[fld.name].columns if fld.name in rules else ():
            out.append((col.name, col.hxl, fld.name))
    return out


def _tag_problem(tag: object, numeric: bool | None) -> str | None:
    """Why ``tag`` is not usable, or None. ``numeric``: whether the column holds numbers."""
    if not isinstance(tag, str) or not TAG_PATTERN.fullmatch(tag):
        return f"hxl tag {tag!r} is not a lower-case HXL hashtag such as #affected+idps"
    if hashtag(tag) not in CORE_HASHTAGS:
        return f"#{hashtag(tag)} is not an HXL core hashtag; use one of the core list (attributes may be your own)"
    old = DEPRECATED_ATTRIBUTES & set(attributes(tag))
    if old:
        return f"+{sorted(old)[0]} is a deprecated HXL attribute (for a language, use +i_xx)"
    if numeric and not is_number_tag(tag) and hashtag(tag) != "date":  # a year is a date, written as a number
        return f"{tag} holds numbers, so its hashtag must be one HXL reads as numbers (#affected, #inneed, #targeted, #reached, #population, #value, or #indicator with +num or +pct)"
    if numeric is False and is_number_tag(tag):
        return f"{tag} is a hashtag HXL reads as numbers, but the column holds text"
    return None


def tag_problems(package: Package, resource: Resource) -> list[Problem]:
    """Return the problems with one resource's tags: missing, malformed, not core, numbers under a
    text hashtag (or the reverse), a #currency that can hold more than ISO 4217 codes, repeats."""
    where = _where(resource)
    rules, problems = splits(package, resource)
    rule_of = {s.field: s for s in rules}
    first: dict[str, str] = {}
    for fld in resource.fields:
        if not fld.hxl:
            problems.append(Problem(where, None, fld.name, "field has no hxl tag"))
            continue
        numeric = fld.type in NUMBER_TYPES
        tags = [(fld.name, fld.hxl)] + [(c.name, c.hxl) for c in (rule_of[fld.name].columns if fld.name in rule_of else ())]
        for column, tag in tags:
            why = _tag_problem(tag, numeric)
            if why:
                problems.append(Problem(where, None, fld.name, why if column == fld.name else f"hxlSplit column {column!r}: {why}"))
            elif first.setdefault(tag, column) != column:
                problems.append(Problem(where, None, fld.name, f"hxl tag {tag!r} is also used by {first[tag]!r}; tags must tell columns apart"))
        if hashtag(fld.hxl) == "currency" and fld.enum is not None:
            moved = {v for c in (rule_of[fld.name].columns if fld.name in rule_of else ()) for v in c.values}
            codes = [v for v in fld.enum if v not in moved and not ISO_4217.fullmatch(v)]
            if codes:
                problems.append(Problem(where, None, fld.name, f"#currency holds ISO 4217 codes only, but {', '.join(codes)} would go under it; move them to another column with hxlSplit"))
    return problems


def package_tag_problems(package: Package) -> list[Problem]:
    """Return the tag problems of every resource of the package."""
    return [p for r in package.resources for p in tag_problems(package, r)]
