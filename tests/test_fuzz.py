"""Property-based tests (hypothesis) of the three readers a user feeds: the strict CSV reader, the
descriptor reader and the report parameters.

Each case is generated together with what a correct reader must answer: valid input loads equal to
a reference reading made here; broken input (a broken cell, row, header, file, descriptor entry or
parameter, each put in on purpose) is refused with problems naming exactly the file, row and field
that were broken. Never a traceback, never a hang (a watchdog fails a case that takes 10 s).

The profile (tests/conftest.py) sets the number of cases: 10,000 in CI (3,000 tables, 4,000
descriptors, 3,000 parameters files), the same ones on every run; `--hypothesis-profile=long`
searches 100,000 random ones, `quick` (make check) runs 1,000.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import math
import signal
import string

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from haiti_mission.datapackage.cells import CELL_LIMIT, DATE_RANGE, INTEGER_RANGE
from haiti_mission.datapackage.csvfile import _parse
from haiti_mission.datapackage.descriptor import Resource, decode_descriptor, parse_descriptor
from haiti_mission.datapackage.fields import Field
from haiti_mission.datapackage.frames import to_frame
from haiti_mission.errors import DataError, ParameterError
from haiti_mission.notebook.parameters import (
    available_notebooks,
    check_types,
    check_values,
    latest_publication,
    notebook_parameters,
)
from haiti_mission.notebook.parameters_file import parse_parameters_yaml

WHERE = "fuzz.csv"
# Cases per target, in units of the profile's max_examples (CI: 1,000): 10,000 cases in all.
SHARES = {"csv": 3, "descriptor": 3, "descriptor bytes": 1, "parameters": 3}
RAN = dict.fromkeys(SHARES, 0)


def cases(target: str) -> settings:
    """The settings that give ``target`` its share of the profile's cases."""
    return settings(max_examples=SHARES[target] * settings.default.max_examples)


@contextlib.contextmanager
def watchdog(seconds: float = 10.0):
    """Fail (TimeoutError) a case that runs longer than ``seconds``: a hang is a failure, not a stuck run."""
    def expired(*_):
        raise TimeoutError(f"a case took more than {seconds} s")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ================================================================ 1. the strict CSV reader

# Words a valid text cell is made of: letters, digits, punctuation a CSV must quote, non-ASCII.
WORDS = ["Haiti", "MSS", "1,000", '"quoted"', "l'été", "—", "Léogâne", "a;b", "(approx.)", "ünd", "«x»", "42", "x/y", "?!"]
BAD_CHARS = ["\x1b", "\t", "\x07", "\x7f", "\x85", "\u202e", "\u200b", "\u2028", "\ufeff", "\r"]
PATTERN = "[a-z]+(-[0-9]+)?"
# Strategies are built once: building one per draw costs more than the reading under test.
NAMES = st.lists(st.sampled_from(["a", "b", "c", "area", "count", "note", "kind", "x_1", "value", "when", "ok", "title"]),
                 min_size=1, max_size=5, unique=True)
TYPES = st.sampled_from(["string", "integer", "number", "date", "boolean"])
STRING_KINDS = st.sampled_from(["free", "enum", "pattern", "length"])
ENUMS = st.lists(st.sampled_from(["un", "iom", "ngo", "news", "day", "month", "x", "wire"]), min_size=1, max_size=4, unique=True)
MINIMA, MAXIMA = st.none() | st.integers(-1000, 0), st.none() | st.integers(1, 10**6)
INTS, FLOATS = st.integers(INTEGER_RANGE[0], INTEGER_RANGE[1]), st.floats(-1e300, 1e300, allow_nan=False)
DATES = st.dates(*DATE_RANGE)
WORD = st.text(string.ascii_lowercase, min_size=1, max_size=5)
PATTERN_TEXT = st.builds(lambda w, n: w if n is None else f"{w}-{n}", WORD, st.none() | st.integers(0, 999))
FREE_TEXT = {multiline: st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(("\n" if multiline else " ").join)
             for multiline in (False, True)}
SMALL = st.integers(0, 11)
INVALID = {
    "integer": ["1.5", "1,000", "one", str(2**63), str(-(2**63) - 1), "9" * 30, " 5", "0x10"],
    "number": ["nan", "inf", "-Infinity", "1e999", "1,5", "abc", "1.2.3"],
    "date": ["2024-02-30", "2023-02-29", "2024-3-1", "1500-01-01", "2300-01-01", "01/03/2024", "2024-13-01"],
    "boolean": ["True", "FALSE", "1", "yes", "t"],
}


@st.composite
def schema_fields(draw) -> list[Field]:
    out = []
    for name in draw(NAMES):
        ftype = draw(TYPES)
        kw: dict = {"required": draw(st.booleans()), "unique": ftype != "boolean" and draw(SMALL) < 2}
        if ftype == "string":
            kind = draw(STRING_KINDS)
            if kind == "enum":
                kw["enum"] = tuple(draw(ENUMS))
            elif kind == "pattern":
                kw["pattern"] = PATTERN
            elif kind == "length":
                kw["max_length"] = 1 + draw(SMALL)
            kw["multiline"] = kind == "free" and draw(st.booleans())
        elif ftype in ("integer", "number"):
            kw["minimum"], kw["maximum"] = draw(MINIMA), draw(MAXIMA)
        out.append(Field(name=name, type=ftype, **kw))
    return out


def valid_cell(draw, fld: Field) -> tuple[str, object]:
    """(text, the value a correct reader gives it)."""
    if not fld.required and draw(SMALL) < 2:
        return "", None
    if fld.type == "string":
        if fld.enum:
            text = fld.enum[draw(SMALL) % len(fld.enum)]
        elif fld.pattern:
            text = draw(PATTERN_TEXT)
        else:
            text = draw(FREE_TEXT[fld.multiline])[: fld.max_length or 40].strip() or "t"
        return text, text
    if fld.type == "integer":
        lo = INTEGER_RANGE[0] if fld.minimum is None else fld.minimum
        hi = INTEGER_RANGE[1] if fld.maximum is None else fld.maximum
        value = lo + draw(INTS) % (hi - lo + 1)
        form = draw(SMALL) % 3
        text = str(value) if form == 0 or value < 0 else ("+" if form == 1 else "00") + str(value)
        return text, value
    if fld.type == "number":
        value = draw(FLOATS)
        if fld.minimum is not None:
            value = max(value, float(fld.minimum))
        if fld.maximum is not None:
            value = min(value, float(fld.maximum))
        return repr(value), value
    if fld.type == "date":
        value = draw(DATES)
        return value.isoformat(), value
    value = draw(st.booleans())
    return ("true" if value else "false"), value


def invalid_cell(draw, fld: Field) -> str:
    """A text the field must refuse."""
    if fld.type == "string":
        options = ["control", "space", "formula"] + (["line break"] if not fld.multiline else []) \
            + (["not in enum"] if fld.enum else []) + (["no match"] if fld.pattern else []) + (["too long for the field"] if fld.max_length else [])
    else:
        options = list(INVALID[fld.type])
    if fld.required:
        options.append("")
    if draw(st.integers(0, 60)) == 0:
        options = ["longer than any cell"]
    choice = options[draw(st.integers(0, len(options) - 1))]
    base = draw(WORD)
    if choice == "control":
        at = draw(SMALL) % (len(base) + 1)
        return base[:at] + BAD_CHARS[draw(SMALL) % len(BAD_CHARS)] + base[at:] + "x"
    return {
        "space": " " + base, "formula": "=+-@"[draw(SMALL) % 4] + base, "line break": base + "\n" + base,
        "not in enum": base + "_not_listed", "no match": base.upper() + "-x", "longer than any cell": "y" * (CELL_LIMIT + 1),
        "too long for the field": "z" * ((fld.max_length or 0) + 1 + len(base)),
    }.get(choice, choice)


def _csv(rows: list[list[str]], terminator: str = "\n") -> bytes:
    """CSV as a careful writer makes it. (csv.writer leaves a lone carriage return unquoted when
    lines end in \n, and a reader then ends the row there.)"""
    def cell(text: str, alone: bool) -> str:  # a row of one empty cell is written "" (else it is a blank line)
        return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\r\n') or (text == "" and alone) else text
    return "".join(",".join(cell(c, len(row) == 1) for c in row) + terminator for row in rows).encode("utf-8")


WHOLE_FILE = ("bom", "missing column", "latin-1", "empty file")  # nothing past the fault is read


@st.composite
def csv_cases(draw):
    """A table (header and rows), its bytes, and what the reader must say: the problems' places and,
    when there are none, every column's values."""
    fields = draw(schema_fields())
    names = [f.name for f in fields]
    header = list(names)
    records, faults = [], set()  # records: (cells, values or None); faults: {(row, field)}
    for row in range(2, 2 + draw(SMALL) % 7):
        cells, values = [], []
        for fld in fields:
            if draw(SMALL) == 0:
                cells.append(invalid_cell(draw, fld))
                values.append(None)
                faults.add((row, fld.name))
            else:
                text, value = valid_cell(draw, fld)
                cells.append(text)
                values.append(value)
        records.append([cells, values])
    terminator = draw(st.sampled_from(["\n", "\r\n"]))
    mutation = draw(st.sampled_from([None] * 6 + ["short row", "blank line", "bom", "missing column", "unclosed quote",
                                                  "latin-1", "empty file", "repeated header"]))
    rows = [header] + [cells for cells, _ in records]
    structural: set = set()
    applied = None  # the mutation, when the table allowed it
    if mutation == "short row" and records and len(names) > 1:
        applied = mutation
        k = draw(st.integers(0, len(records) - 1))
        rows[k + 1] = rows[k + 1][:-1]
        structural.add((k + 2, None))
        faults = {f for f in faults if f[0] != k + 2}
        records[k][1] = None
    elif mutation == "repeated header" and records:
        applied = mutation
        k = draw(st.integers(0, len(records) - 1))
        rows.insert(k + 1, list(header))
        records.insert(k, [list(header), None])
        structural.add((k + 2, None))
        faults = {(r + 1 if r >= k + 2 else r, f) for r, f in faults}
    data = _csv(rows, terminator)
    if mutation == "blank line" and records:
        lines = data.split(terminator.encode())
        # Only between records that hold no line break of their own, so a line is a record.
        if all("\n" not in c and "\r" not in c for cells, _ in records for c in cells):
            applied = mutation
            k = draw(st.integers(1, len(records)))
            lines.insert(k, b"")
            data = terminator.encode().join(lines)
            structural.add((k + 1, None))
            faults = {(r + 1 if r >= k + 1 else r, f) for r, f in faults}
            records.insert(k - 1, [None, None])
    if mutation == "bom":
        applied = mutation
        data, faults, structural = b"\xef\xbb\xbf" + data, set(), {(1, None)}
    elif mutation == "missing column" and len(names) > 1:
        applied = mutation
        gone = draw(st.sampled_from(names))
        data = _csv([[h for h in header if h != gone]] + rows[1:], terminator)
        faults, structural = set(), {(1, gone)}
    elif mutation == "unclosed quote":
        applied = mutation
        data += b'"unfinished, cell'
        structural.add((len(records) + 2, None))
    elif mutation == "latin-1" and records and records[-1][1] is not None:
        applied = mutation
        col = draw(st.integers(0, len(names) - 1))
        rows[-1][col] = "@@"
        data = _csv(rows, terminator).replace(b"@@", "é".encode("latin-1"))
        faults, structural = set(), {(len(rows), names[col] if rows[-1].count("@@") == 1 else None)}
    elif mutation == "empty file":
        applied = mutation
        data, faults, structural = b"", set(), {(None, None)}
    # A free text that happens to equal the header makes its row a repeated header.
    for i, (cells, values) in enumerate(records):
        if cells == header and values is not None and applied not in WHOLE_FILE:
            structural.add((i + 2, None))
            faults = {f for f in faults if f[0] != i + 2}
            records[i][1] = None
    unique_faults = _duplicates(fields, records) if applied not in WHOLE_FILE else set()
    return fields, data, faults | unique_faults | structural, records


def _duplicates(fields: list[Field], records: list) -> set:
    """(row, field) of each later repeat of a value in a unique field, valid values only."""
    found = set()
    for j, fld in enumerate(fields):
        if not fld.unique:
            continue
        seen = set()
        for row, (_, values) in enumerate(records, start=2):
            if values is None or values[j] is None:
                continue
            if values[j] in seen:
                found.add((row, fld.name))
            seen.add(values[j])
    return found


def _same(value, expected) -> bool:
    if expected is None:
        return value is None or (not isinstance(value, str) and pd.isna(value))
    if isinstance(expected, float):
        return value == expected or (math.isnan(value) and math.isnan(expected))
    if isinstance(expected, dt.date):
        return pd.Timestamp(value) == pd.Timestamp(expected)
    return value == expected and type(value) is type(expected)


@cases("csv")
@given(csv_cases())
def test_the_csv_reader_loads_what_is_valid_and_names_what_is_not(case):
    fields, data, expected, records = case
    resource = Resource(name="fuzz", path=WHERE, title="", description="", fields=tuple(fields), primary_key=(), foreign_keys=())
    with watchdog():
        table, problems = _parse(data, resource, WHERE)
    RAN["csv"] += 1
    assert all(p.file == WHERE and isinstance(p.message, str) and 0 < len(p.message) < 600 for p in problems)
    assert {(p.row, p.field) for p in problems} == expected, [str(p) for p in problems]
    if expected:
        return
    # Valid: the reference reading, cell by cell, and load()'s typed frame builds without a crash.
    kept = [values for _, values in records]
    assert table.row_numbers == list(range(2, 2 + len(kept)))
    for j, fld in enumerate(fields):
        assert all(_same(v, values[j]) for v, values in zip(table.columns[fld.name], kept)), fld
    frame = to_frame(table)
    for j, fld in enumerate(fields):
        assert all(_same(None if pd.isna(v) else v, values[j]) for v, values in zip(frame[fld.name].tolist(), kept)), fld


# ================================================================ 2. the descriptor reader

DESCRIPTOR = "datapackage.json"
DATA_WHERE = f"{DESCRIPTOR} (resource 'data')"


def _field_spec(fld: Field) -> dict:
    c = {k: v for k, v in (("required", fld.required), ("unique", fld.unique), ("enum", list(fld.enum) if fld.enum else None),
                           ("minimum", fld.minimum), ("maximum", fld.maximum), ("maxLength", fld.max_length),
                           ("pattern", fld.pattern)) if v is not None and v is not False}
    spec = {"name": fld.name, "type": fld.type, "description": f"the {fld.name}"}
    if fld.multiline:
        spec["multiline"] = True
    return spec | ({"constraints": c} if c else {})


def _descriptor(fields: list[Field]) -> dict:
    sources = {"name": "sources", "path": "sources.csv", "schema": {"primaryKey": "source_id", "fields": [
        {"name": "source_id", "type": "string", "constraints": {"required": True, "unique": True}},
        {"name": "published", "type": "date"},
        {"name": "published_precision", "type": "string", "constraints": {"enum": ["day", "month", "year"]}}]}}
    data = {"name": "data", "path": "data.csv", "profile": "tabular-data-resource", "encoding": "utf-8",
            "dialect": {"delimiter": ",", "header": True},
            "schema": {"fields": [{"name": "source_id", "type": "string"}] + [_field_spec(f) for f in fields if f.name != "source_id"],
                       "foreignKeys": [{"fields": "source_id", "reference": {"resource": "sources", "fields": "source_id"}}]}}
    return {"name": "fuzz", "profile": "tabular-data-package", "resources": [sources, data]}


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)

# Breaks of one field: (what to change in its spec, whether the field must be named).
FIELD_BREAKS = [
    lambda s: s.update(type="decimal"), lambda s: s.update(type=5),
    lambda s: s.setdefault("constraints", {}).update(exclusiveMinimum=0),
    lambda s: s.setdefault("constraints", {}).update(required="yes"),
    lambda s: s.setdefault("constraints", {}).update(minLength=-1) if s["type"] == "string" else s.update(type="text"),
    lambda s: s.setdefault("constraints", {}).update(minimum=float("nan")) if s["type"] in ("integer", "number") else s.update(trueValues=["y"]),
    lambda s: s.setdefault("constraints", {}).update(minimum=5, maximum=1) if s["type"] in ("integer", "number") else s.update(type="datetime"),
    lambda s: s.setdefault("constraints", {}).update(minimum=0.5) if s["type"] == "integer" else s.update(description=7),
    lambda s: s.setdefault("constraints", {}).update(enum=["ok", "ok"]) if s["type"] == "string" else s.update(multiline=True),
    lambda s: s.setdefault("constraints", {}).update(enum=[" padded"]) if s["type"] == "string" else s.update(unit=3),
    lambda s: s.setdefault("constraints", {}).update(enum=["ABC"], pattern="[a-z]+") if s["type"] == "string" else s.update(hxl=[]),
    lambda s: s.setdefault("constraints", {}).update(pattern="(") if s["type"] == "string" else s.update(missingValues=["NA"]),
]
# Breaks of the data resource (named in the problem's file) and of the package (the file only).
RESOURCE_BREAKS = [
    lambda r: r.update(schema="https://example.org/schema.json"), lambda r: r.update(dialect="http://example.org/d.json"),
    lambda r: r.update(dialect={"delimiter": ";"}), lambda r: r.update(encoding="latin-1"), lambda r: r.update(path="https://x.org/d.csv"),
    lambda r: r.update(path="/etc/passwd"), lambda r: r.update(path="../outside.csv"), lambda r: r.update(profile="https://x.org/p.json"),
    lambda r: r.update({"$schema": "https://x.org/s.json"}), lambda r: r.update(data=[]), lambda r: r.update(compression="zip"),
    lambda r: r["schema"].update(missingValues=["NA"]), lambda r: r["schema"].update(primaryKey=["nope"]),
    lambda r: r["schema"]["foreignKeys"].append({"fields": "source_id", "reference": {"resource": "elsewhere", "fields": "id"}}),
    lambda r: r["schema"].update(rules=[{"kind": "sometimes"}]), lambda r: r["schema"]["fields"].append(dict(r["schema"]["fields"][-1])),
    lambda r: r["schema"].update(foreignKeys=[]),
]
PACKAGE_BREAKS = [
    lambda d: d.update(profile="https://example.org/profile.json"), lambda d: d.update({"$schema": "https://x.org/s.json"}),
    lambda d: d.update(title=5), lambda d: d["resources"].pop(0),
]


@st.composite
def descriptor_cases(draw):
    fields = draw(schema_fields())
    raw = _descriptor(fields)
    data = raw["resources"][1]
    kind = draw(st.sampled_from(["valid", "valid", "field", "resource", "package", "junk"]))
    target = None
    if kind == "field":
        target = draw(st.sampled_from(data["schema"]["fields"][1:]))
        draw(st.sampled_from(FIELD_BREAKS))(target)
    elif kind == "resource":
        draw(st.sampled_from(RESOURCE_BREAKS))(data)
    elif kind == "package":
        draw(st.sampled_from(PACKAGE_BREAKS))(raw)
    elif kind == "junk":
        where = draw(st.sampled_from(["field", "constraints", "resource", "schema", "resources", "rules", "foreignKeys", "primaryKey"]))
        junk = draw(JSON)
        if where == "field":
            data["schema"]["fields"][-1] = junk
        elif where == "constraints":
            data["schema"]["fields"][-1]["constraints"] = junk
        elif where == "resource":
            raw["resources"][1] = junk
        elif where == "schema":
            data["schema"] = junk
        elif where in ("rules", "foreignKeys", "primaryKey"):
            data["schema"][where] = junk
        else:
            raw["resources"] = junk
    return fields, raw, kind, target["name"] if target else None


@cases("descriptor")
@given(descriptor_cases())
def test_the_descriptor_reader_takes_what_it_can_enforce_and_names_what_it_cannot(case):
    fields, raw, kind, field_name = case
    with watchdog():
        try:
            package = parse_descriptor(raw, None, DESCRIPTOR)
        except DataError as exc:
            problems = exc.problems
        else:
            problems = None
    RAN["descriptor"] += 1
    if kind == "valid":
        assert problems is None
        parsed = {f.name: f for f in package.resource("data").fields}
        for fld in fields:
            if fld.name != "source_id":
                got = parsed[fld.name]
                assert (got.type, got.required, got.unique, got.enum, got.minimum, got.maximum, got.max_length, got.pattern, got.multiline) == \
                       (fld.type, fld.required, fld.unique, fld.enum, fld.minimum, fld.maximum, fld.max_length, fld.pattern, fld.multiline)
        return
    if kind == "junk" and problems is None:
        return  # the junk happened to be a valid descriptor
    assert problems, "a broken descriptor was accepted"
    assert all(p.file.startswith(DESCRIPTOR) and p.row is None and 0 < len(str(p)) < 800 for p in problems), [str(p) for p in problems]
    if kind == "field":
        assert any(p.file == DATA_WHERE and p.field == field_name for p in problems), [str(p) for p in problems]
    elif kind == "resource":
        assert any(p.file == DATA_WHERE for p in problems), [str(p) for p in problems]


@cases("descriptor bytes")
@given(st.one_of(st.binary(max_size=200), JSON.map(lambda v: repr(v).encode()), st.text(max_size=100).map(str.encode),
                 st.builds(lambda d, cut: yaml.safe_dump(d).encode()[:cut], JSON, st.integers(0, 100))))
def test_any_bytes_as_descriptor_are_read_or_refused_naming_the_file(data):
    RAN["descriptor bytes"] += 1
    with watchdog():
        try:
            raw = decode_descriptor(data, DESCRIPTOR)
            parse_descriptor(raw, None, DESCRIPTOR)
        except DataError as exc:
            assert all(p.file.startswith(DESCRIPTOR) for p in exc.problems)


# ================================================================ 3. the report parameters

NOTEBOOKS = available_notebooks()
DECLARED = {n: notebook_parameters(n) for n in NOTEBOOKS}
LATEST = latest_publication()
TODAY = dt.date.today()
AREAS = ["Haiti", "Artibonite", "Grand Sud"]
FORCES = ["MSS", "GSF", "all"]
CATEGORIES = ["diplomatic", "legal", "security"]


def _date_values(word: str = "latest"):
    """Date parameter values: (text, resolved, valid). ``word``: the name a notebook gives its
    default ("latest"; "default" for since, resolved by _expected)."""
    good = st.dates(dt.date(1700, 1, 1), TODAY).map(lambda d: (d.isoformat(), d)) | st.just((word, LATEST if word == "latest" else word))
    bad = st.sampled_from(["2024-02-30", "20240301", "2024-3-1", "soon", "", "1500-01-01", "2999-01-01"]) | \
        st.integers() | st.lists(st.just("2024-01-01"), max_size=2) | st.text(max_size=6) \
        | st.builds(lambda c, n: c * n, st.sampled_from(["9", "x", "é", "\x1b", "2024-01-01"]), st.integers(300, 3000))  # long values
    return good.map(lambda t: (t[0], t[1], True)) | bad.map(lambda v: (v, None, False))


VALUES = {
    "as_of": _date_values(), "start": _date_values(), "end": _date_values(), "until": _date_values(), "since": _date_values("default"),
    "area": st.sampled_from(AREAS).map(lambda a: (a, a, True)) | st.sampled_from(["Atlantis", 5, ["Haiti"]]).map(lambda v: (v, None, False)),
    "force": st.sampled_from(FORCES).map(lambda f: (f, f, True)) | st.sampled_from(["UN", True, None]).map(lambda v: (v, None, False)),
    "categories": st.lists(st.sampled_from(CATEGORIES), max_size=3).map(lambda c: (c, c, True))
    | st.sampled_from([["sports"], [1], {"legal": True}, "legal,sports"]).map(lambda v: (v, None, False)),
}


class _NoAliases(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    def ignore_aliases(self, data):  # a value drawn twice is written out twice, not as an alias
        return True


TOP_NAMES = st.lists(st.sampled_from(list(VALUES)), max_size=3, unique=True)
SECTIONS = st.lists(st.sampled_from(NOTEBOOKS), max_size=2, unique=True)
SECTION_NAMES = {n: st.lists(st.sampled_from([*DECLARED[n], "colour"]), max_size=3, unique=True) for n in NOTEBOOKS}
VALUES_AND_UNKNOWN = VALUES | {"colour": st.just(("red", None, False))}
BROKEN = st.sampled_from([None] * 8 + ["alias", "twice", "deep", "unknown", "not yaml", "not a mapping", "not utf-8"])


@st.composite
def parameter_cases(draw):
    """A parameters file (top-level names and notebook sections), as YAML text, maybe broken."""
    top = {name: draw(VALUES[name]) for name in draw(TOP_NAMES)}
    sections = {n: {name: draw(VALUES_AND_UNKNOWN[name]) for name in draw(SECTION_NAMES[n])} for n in draw(SECTIONS)}
    doc = {k: v[0] for k, v in top.items()} | {n: {k: v[0] for k, v in s.items()} for n, s in sections.items()}
    text = yaml.dump(doc, Dumper=_NoAliases, allow_unicode=True, sort_keys=False)
    broken = draw(BROKEN)
    if broken == "alias":
        text = "x: &anchor '2024-01-01'\nas_of: *anchor\n"
    elif broken == "twice":
        text = "as_of: '2024-01-01'\n" + text + "as_of: '2024-02-01'\n"
    elif broken == "deep":
        text = "timeline:\n  categories: " + "[" * draw(st.integers(5, 5000)) + "\n"
    elif broken == "unknown":
        text += "weather: sunny\n"
    elif broken == "not yaml":
        text += "as_of: [unclosed\n"
    elif broken == "not a mapping":
        text = "- as_of\n- latest\n"
    checked = draw(st.sampled_from(NOTEBOOKS))  # one notebook checked per case: checking reads the data
    return text.encode("utf-8") + (b"\xff\xfe" if broken == "not utf-8" else b""), top, sections, broken, checked


def _expected(notebook: str, top: dict, sections: dict):
    """What checking one notebook's parameters must give: ("ok", resolved) or ("refused", names)."""
    declared = DECLARED[notebook]
    given = {k: v for k, v in top.items() if k in declared} | sections.get(notebook, {})
    bad = {k for k, v in given.items() if k not in declared or not v[2]}
    resolved = {k: p.default for k, p in declared.items()} | {k: v[1] for k, v in given.items()}
    for name in ("as_of", "start", "end", "until"):
        if resolved.get(name) == "latest":
            resolved[name] = LATEST
        elif isinstance(resolved.get(name), str):
            resolved[name] = dt.date.fromisoformat(resolved[name])
    if resolved.get("since") == "default" and "until" not in bad:
        resolved["since"] = resolved["until"] - dt.timedelta(days=30)
    elif isinstance(resolved.get("since"), str) and resolved["since"] != "default":
        resolved["since"] = dt.date.fromisoformat(resolved["since"])
    for first, last in (("start", "end"), ("since", "until")):
        if first in resolved and not bad & {first, last} and resolved[first] > resolved[last]:
            bad.add(first)  # checked before the area, so it may be the one named
    return ("refused", bad) if bad else ("ok", resolved)


PARAMS_FILE = "params.yaml"  # the file's bytes are parsed as read_parameters_yaml parses them (tests/test_faults.py reads real files)


@cases("parameters")
@given(case=parameter_cases())
def test_report_parameters_resolve_or_are_refused_naming_file_notebook_and_parameter(case):
    data, top, sections, broken, notebook = case
    with watchdog():
        try:
            read = parse_parameters_yaml(data, PARAMS_FILE)
        except ParameterError as exc:
            read, refusal = None, str(exc)
    RAN["parameters"] += 1
    if broken is not None:
        assert read is None, f"a broken parameters file ({broken}) was accepted"
        assert refusal.startswith(f"parameters file {PARAMS_FILE!r}") and len(refusal) < 600, refusal
        return
    assert read is not None, refusal
    outcome, detail = _expected(notebook, top, sections)
    given = {k: v for k, v in read.items() if k in DECLARED[notebook]} | read.get(notebook, {})
    with watchdog():
        try:
            resolved = check_values(notebook, check_types(notebook, given), today=TODAY)
        except ParameterError as exc:
            assert outcome == "refused", f"{notebook}: {exc}"
            assert exc.notebook == notebook and exc.parameter in detail, (str(exc), detail)
            assert str(exc).startswith(f"notebook {notebook!r}, parameter {exc.parameter!r}: ") and len(str(exc)) < 600
            return
    assert outcome == "ok", f"{notebook}: accepted {given}, expected a refusal of {detail}"
    assert resolved == detail


# ================================================================ how many cases ran

def test_the_fuzzing_ran_its_cases():
    """Each target ran at least its share of the profile's cases (CI: 10,000 in all), when all ran."""
    if 0 in RAN.values():
        pytest.skip("not every fuzz target ran in this session")
    assert all(RAN[t] >= SHARES[t] * settings.default.max_examples for t in SHARES), RAN
    print(f"fuzz cases run: {RAN} ({sum(RAN.values()):,} in all)")
