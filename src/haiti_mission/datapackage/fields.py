"""One field of a table as the descriptor defines it: its type, constraints and vocabulary.

Every constraint the descriptor gives is one the package enforces (``cells.cell_reader``); a
constraint or property the package cannot enforce, or one that does not fit the field's type, is
refused here, when the descriptor is read, so that ``load()`` and ``validate()`` never disagree
about what a valid value is.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from ..errors import CONTROL, Problem, brief
from .cells import INTEGER_RANGE, cell_reader

SUPPORTED_TYPES = {"string", "integer", "number", "date", "boolean"}
# Which constraints each type takes (Table Schema names). Anything else is refused.
CONSTRAINTS = {
    "string": {"required", "unique", "enum", "pattern", "minLength", "maxLength"},
    "integer": {"required", "unique", "minimum", "maximum"},
    "number": {"required", "unique", "minimum", "maximum"},
    "date": {"required", "unique"},
    "boolean": {"required"},
}
# Field properties that change how a cell is read: the package reads one convention only, so each
# may only state that convention (which tells Frictionless to read it the same way).
_CONVENTION = {"trueValues": ["true"], "falseValues": ["false"], "missingValues": [""], "bareNumber": True,
               "decimalChar": ".", "groupChar": ""}
_DATE_FORMATS = (None, "default", "%Y-%m-%d")


@dataclass(frozen=True)
class Field:
    """One column of a table, as the descriptor defines it."""

    name: str
    type: str
    description: str = ""
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    unit: str | None = None
    hxl: str | None = None
    multiline: bool = False  # "multiline": true lets a text cell hold line breaks
    enum_descriptions: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    # The descriptor's vocabulary for enum values: short labels, ranks (lower is stronger) and
    # named groups of values (e.g. which units are currencies).
    enum_labels: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    enum_ranks: dict[str, int] = field(default_factory=dict, compare=False, hash=False)
    enum_groups: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_number(self) -> bool:
        return self.type in ("integer", "number")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _constraint_problems(name: str, ftype: str, c: dict, where: str) -> list[Problem]:
    """Why the constraints ``c`` of a field cannot be enforced as given (empty when they can)."""
    out = []
    for key in c:
        if key not in CONSTRAINTS[ftype]:
            takes = ", ".join(sorted(CONSTRAINTS[ftype]))
            out.append(Problem(where, None, name, f"constraint {key!r} is not supported on a {ftype} field (it takes: {takes})"))
    for key in ("required", "unique"):
        if key in c and not isinstance(c[key], bool):
            out.append(Problem(where, None, name, f"constraint {key} must be true or false, not {brief(c[key])}"))
    if "enum" in c and not (isinstance(c["enum"], list) and c["enum"] and all(isinstance(v, str) and v for v in c["enum"])
                            and len(set(c["enum"])) == len(c["enum"])):
        out.append(Problem(where, None, name, "constraint enum must be a list of distinct, non-empty text values"))
    for key in ("minimum", "maximum"):
        if key in c and not _is_number(c[key]):
            out.append(Problem(where, None, name, f"constraint {key} must be a finite number, not {brief(c[key])}"))
        elif key in c and ftype == "integer" and not (float(c[key]).is_integer() and INTEGER_RANGE[0] <= c[key] <= INTEGER_RANGE[1]):
            out.append(Problem(where, None, name, f"constraint {key} of an integer field must be a whole number "
                                                  f"(in 64 bits), not {brief(c[key])}"))
    for key in ("minLength", "maxLength"):
        if key in c and not _is_count(c[key]):
            out.append(Problem(where, None, name, f"constraint {key} must be a whole number, zero or more, not {brief(c[key])}"))
    if _is_number(c.get("minimum")) and _is_number(c.get("maximum")) and c["minimum"] > c["maximum"]:
        out.append(Problem(where, None, name, f"constraint minimum {c['minimum']} is above maximum {c['maximum']}"))
    if _is_count(c.get("minLength")) and _is_count(c.get("maxLength")) and c["minLength"] > c["maxLength"]:
        out.append(Problem(where, None, name, f"constraint minLength {c['minLength']} is above maxLength {c['maxLength']}"))
    if "pattern" in c:
        try:
            re.compile(c["pattern"])
        except (re.error, TypeError) as exc:
            out.append(Problem(where, None, name, f"constraint pattern {brief(c['pattern'])} is not a valid regular expression ({exc})"))
    return out


def _vocabulary(spec: dict, name: str, enum, where: str, problems: list[Problem]) -> tuple[dict, dict, dict, dict]:
    """The enum vocabulary of a field (descriptions, labels, ranks, groups), each key an enum value."""
    out = []
    for key, check, what in (
        ("enumDescriptions", lambda v: isinstance(v, str), "text"),
        ("enumLabels", lambda v: isinstance(v, str) and v.strip(), "non-empty text"),
        ("enumRanks", lambda v: isinstance(v, int) and not isinstance(v, bool), "whole numbers"),
        ("enumGroups", lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v), "lists of values"),
    ):
        value = spec.get(key, {})
        if not isinstance(value, dict) or not all(check(v) for v in value.values()):
            problems.append(Problem(where, None, name, f"{key} must map values to {what}"))
            out.append({})
            continue
        if value and enum is None:
            problems.append(Problem(where, None, name, f"{key} needs an enum constraint to describe"))
        members = [m for group in value.values() for m in group] if key == "enumGroups" else list(value)
        unknown = [m for m in members if enum is not None and m not in enum]
        if unknown:
            problems.append(Problem(where, None, name, f"{key} names {unknown[0]!r}, which is not one of the field's enum values"))
        out.append(dict(value) if key != "enumGroups" else {k: tuple(v) for k, v in value.items()})
    return tuple(out)


_TEXT_PROPERTIES = ("description", "title", "unit", "hxl", "format")


def _property_problems(spec: dict, name: str, ftype: str, where: str) -> list[Problem]:
    """Properties that are not what the package can show or use: text that is not text, a
    multiline flag that is not true or false, or one on a field that holds no text."""
    out = [Problem(where, None, name, f"{key} must be text, not {brief(spec[key])}")
           for key in _TEXT_PROPERTIES if key in spec and not isinstance(spec[key], str)]
    if "multiline" in spec and (not isinstance(spec["multiline"], bool) or ftype != "string"):
        out.append(Problem(where, None, name, "multiline must be true or false, and only on a string field"))
    return out


def _enum_problems(fld: Field, where: str) -> list[Problem]:
    """An enum value the field itself would refuse (its pattern, lengths or the text rule) can
    never be written: the constraints do not fit each other."""
    read = cell_reader(fld)
    for value in fld.enum or ():
        why = read(value)[1]
        if why:
            return [Problem(where, None, fld.name, f"enum value {brief(value)} breaks the field's own constraints: {why}")]
    return []


def parse_field(spec: dict, where: str, problems: list[Problem]) -> Field | None:
    """Turn one field object of the descriptor into a Field; on a problem, add it and return None."""
    if not isinstance(spec, dict):
        problems.append(Problem(where, None, None, f"a field must be an object with a name and a type, not {spec!r}"[:300]))
        return None
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        problems.append(Problem(where, None, None, "a field has no name"))
        return None
    if CONTROL.search(name) or name != name.strip() or len(name) > 200:
        problems.append(Problem(where, None, None, f"field name {brief(name)} must be plain text: no control characters, "
                                                   "no spaces at either end, at most 200 characters"))
        return None
    ftype = spec.get("type", "string")
    if not isinstance(ftype, str) or ftype not in SUPPORTED_TYPES:
        problems.append(Problem(where, None, name, f"unknown field type {brief(ftype)}; expected one of {', '.join(sorted(SUPPORTED_TYPES))}"))
        return None
    found = [Problem(where, None, name, f"{key} {spec[key]!r} is not supported: the package reads one convention only "
                                        f"({key} {value!r}: true/false, plain digits, empty cells for missing values)")
             for key, value in _CONVENTION.items() if key in spec and spec[key] != value]
    if ftype == "date" and spec.get("format") not in _DATE_FORMATS:
        found.append(Problem(where, None, name, f"date format {spec.get('format')!r} is not supported; dates are YYYY-MM-DD (format %Y-%m-%d)"))
    found += _property_problems(spec, name, ftype, where)
    c = spec.get("constraints", {})
    if not isinstance(c, dict):
        found.append(Problem(where, None, name, "constraints must be an object"))
        c = {}
    found += _constraint_problems(name, ftype, c, where)
    descriptions, labels, ranks, groups = _vocabulary(spec, name, c.get("enum") if isinstance(c.get("enum"), list) else None, where, found)
    if found:
        problems.extend(found)
        return None
    fld = Field(
        name=name,
        type=ftype,
        description=spec.get("description", ""),
        required=c.get("required", False),
        unique=c.get("unique", False),
        enum=tuple(c["enum"]) if "enum" in c else None,
        minimum=c.get("minimum"),
        maximum=c.get("maximum"),
        min_length=c.get("minLength"),
        max_length=c.get("maxLength"),
        pattern=c.get("pattern"),
        unit=spec.get("unit"),
        hxl=spec.get("hxl"),
        enum_descriptions=descriptions,
        enum_labels=labels,
        enum_ranks=ranks,
        enum_groups=groups,
        multiline=spec.get("multiline", False),
    )
    enum_problems = _enum_problems(fld, where)
    problems.extend(enum_problems)
    return None if enum_problems else fld
