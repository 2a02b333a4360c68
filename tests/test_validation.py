"""Validation of the data package: the descriptor itself, the real data, and bad input.

Every broken file is made in a temporary copy of data/ (the `data_copy` fixture); the real data/
is only read. Each kind of bad input must be refused by `haiti_mission.load()` (DataError) and by
`haiti-mission validate --data-dir X` (non-zero exit), with a message naming the file, the row
(header = row 1) and the field, and without any file being written or changed.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from conftest import DATA, snapshot

import haiti_mission as hm

BIN = Path(sys.executable).parent  # the venv's bin/: haiti-mission and frictionless live here
CLI = BIN / "haiti-mission"
DESCRIPTOR = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
RESOURCES = {r["name"]: r for r in DESCRIPTOR["resources"]}
FIELD_TYPES = {"string", "integer", "number", "date", "boolean"}
# An HXL hashtag with attributes: #tag+attribute+attribute, lower case.
HXL_TAG = re.compile(r"#[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*")


@pytest.fixture(autouse=True)
def _real_data_by_default(monkeypatch):
    """Tests read the repository's data unless they ask for a copy (data_copy sets the variable)."""
    monkeypatch.delenv("HAITI_MISSION_DATA", raising=False)


def fields_of(resource: dict):
    return resource["schema"]["fields"]


def all_fields():
    return [(r["name"], f) for r in DESCRIPTOR["resources"] for f in fields_of(r)]


def field_ids():
    return [f"{name}.{f['name']}" for name, f in all_fields()]


# --- the descriptor -------------------------------------------------------------------------------

@pytest.mark.parametrize(("resource", "fld"), all_fields(), ids=field_ids())
def test_every_field_is_typed_described_and_tagged(resource, fld):
    assert fld.get("type") in FIELD_TYPES, f"{resource}.{fld['name']}: give an explicit type"
    assert isinstance(fld.get("description"), str) and fld["description"].strip(), f"{resource}.{fld['name']}: no description"
    assert HXL_TAG.fullmatch(fld.get("hxl") or ""), f"{resource}.{fld['name']}: no valid hxl tag ({fld.get('hxl')!r})"
    if fld["type"] == "date":
        assert fld.get("format") == "%Y-%m-%d"


@pytest.mark.parametrize(
    ("resource", "fld"),
    [(name, f) for name, f in all_fields() if "enum" in f.get("constraints", {})],
    ids=[i for i, (_, f) in zip(field_ids(), all_fields()) if "enum" in f.get("constraints", {})],
)
def test_every_enum_value_is_described(resource, fld):
    enum = fld["constraints"]["enum"]
    described = fld.get("enumDescriptions", {})
    assert set(described) == set(enum), (
        f"{resource}.{fld['name']}: enumDescriptions must describe exactly the enum values; "
        f"missing {sorted(set(enum) - set(described))}, extra {sorted(set(described) - set(enum))}"
    )
    assert all(isinstance(text, str) and text.strip() for text in described.values())


@pytest.mark.parametrize("name", list(RESOURCES))
def test_every_resource_has_a_valid_primary_key(name):
    schema = RESOURCES[name]["schema"]
    names = [f["name"] for f in schema["fields"]]
    assert len(names) == len(set(names)), "a field is defined twice"
    key = schema.get("primaryKey")
    assert key, f"{name} has no primaryKey"
    key = [key] if isinstance(key, str) else key
    for part in key:
        assert part in names
        constraints = next(f for f in schema["fields"] if f["name"] == part).get("constraints", {})
        assert constraints.get("required") is True
        if len(key) == 1:
            assert constraints.get("unique") is True


@pytest.mark.parametrize("name", [n for n in RESOURCES if n != "sources"])
def test_every_table_but_sources_points_to_sources(name):
    schema = RESOURCES[name]["schema"]
    references = [
        (fk["fields"], fk["reference"]["resource"], fk["reference"]["fields"]) for fk in schema.get("foreignKeys", [])
    ]
    assert ("source_id", "sources", "source_id") in references
    source_id = next(f for f in schema["fields"] if f["name"] == "source_id")
    assert source_id["constraints"].get("required") is True
    assert RESOURCES["sources"]["schema"]["primaryKey"] == ["source_id"]


@pytest.mark.parametrize("name", list(RESOURCES))
def test_resources_follow_the_package_conventions(name):
    resource = RESOURCES[name]
    assert re.fullmatch(r"[a-z][a-z0-9_]*", name)
    assert resource["path"] == f"{name}.csv"
    assert resource["encoding"] == "utf-8"
    assert resource["dialect"] == {"delimiter": ",", "header": True}
    assert resource["schema"]["missingValues"] == [""]
    assert resource.get("description", "").strip() and resource.get("licenses")
    header = (DATA / resource["path"]).read_text(encoding="utf-8").split("\n", 1)[0]
    assert header.split(",") == [f["name"] for f in fields_of(resource)]


# --- the real data --------------------------------------------------------------------------------

def test_real_data_passes_validate():
    report = hm.validate()
    assert report.ok, str(report)
    assert set(report.rows) == set(RESOURCES)
    assert all(count > 0 for count in report.rows.values())
    assert "valid: no problems found" in str(report)
    report.raise_if_invalid()


@pytest.mark.slow
def test_frictionless_cli_validates_the_descriptor():
    result = subprocess.run(
        [str(BIN / "frictionless"), "validate", str(DATA / "datapackage.json")],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for name in RESOURCES:
        assert re.search(rf"{name}\s.*VALID", result.stdout), result.stdout
    assert "INVALID" not in result.stdout


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the installed `haiti-mission` script, without HAITI_MISSION_DATA so --data-dir must work."""
    env = {k: v for k, v in os.environ.items() if k != "HAITI_MISSION_DATA"}
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, env=env, cwd=cwd or Path.cwd(), timeout=120)


def test_cli_validate_passes_on_real_data():
    # --fast: Frictionless's view of the real data is covered in-process and by its own CLI above.
    result = run_cli("validate", "--fast", "--data-dir", str(DATA))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid: no problems found" in result.stdout
    for name in RESOURCES:
        assert re.search(rf"^{name}: [1-9][0-9]* rows$", result.stdout, re.M)


def test_frictionless_part_of_validate_runs(data_copy):
    # A package name Frictionless rejects and the package's own checks do not look at.
    raw = json.loads((data_copy / "datapackage.json").read_text(encoding="utf-8"))
    raw["name"] = "Haiti Mission!"
    (data_copy / "datapackage.json").write_text(json.dumps(raw, indent=2), encoding="utf-8")
    assert hm.validate(data_copy, use_frictionless=False).ok
    report = hm.validate(data_copy)
    assert not report.ok
    assert [Path(p.file).name for p in report.problems] == ["datapackage.json"]
    assert "frictionless" in report.problems[0].message and "name" in report.problems[0].message


def test_broken_descriptor_is_refused(data_copy):
    (data_copy / "datapackage.json").write_text('{"name": "haiti-mission", "resources": [', encoding="utf-8")
    before = snapshot(data_copy)
    report = hm.validate(data_copy)
    assert not report.ok
    assert Path(report.problems[0].file).name == "datapackage.json"
    assert "not valid JSON" in report.problems[0].message and "line 1" in report.problems[0].message
    with pytest.raises(hm.DataError, match="datapackage.json: not valid JSON"):
        hm.load("displacement")
    assert snapshot(data_copy) == before


# --- bad input --------------------------------------------------------------------------------------

ROW = 4  # the third data row: the header is row 1


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def csv_text(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def write_rows(path: Path, rows: list[list[str]]) -> None:
    path.write_bytes(csv_text(rows).encode("utf-8"))


def set_cell(folder: Path, name: str, row: int, field: str, value: str) -> None:
    path = folder / f"{name}.csv"
    rows = read_rows(path)
    rows[row - 1][rows[0].index(field)] = value
    write_rows(path, rows)


def drop_column(folder: Path, name: str, field: str) -> None:
    path = folder / f"{name}.csv"
    rows = read_rows(path)
    j = rows[0].index(field)
    write_rows(path, [r[:j] + r[j + 1:] for r in rows])


def copy_key(folder: Path, name: str, field: str, from_row: int, to_row: int) -> None:
    rows = read_rows(folder / f"{name}.csv")
    set_cell(folder, name, to_row, field, rows[from_row - 1][rows[0].index(field)])


def latin1_cell(folder: Path, name: str, row: int, field: str, multiline_before: bool = False) -> None:
    """Write one cell in Latin-1 into an otherwise UTF-8 file (the classic spreadsheet export)."""
    path = folder / f"{name}.csv"
    rows = read_rows(path)
    if multiline_before:  # a quoted cell spanning lines: rows are CSV records, not lines
        rows[1][rows[0].index("note")] = "first line\nsecond line\nthird line"
    rows[row - 1][rows[0].index(field)] = "@@LATIN1@@"
    raw = csv_text(rows).encode("utf-8").replace(b"@@LATIN1@@", "Léogâne".encode("latin-1"))
    path.write_bytes(raw)


@dataclass(frozen=True)
class Case:
    id: str
    breaker: Callable[[Path], None]
    resource: str  # the file the message must name
    row: int | None
    field: str | None
    load: str | None = None  # the dataset whose load must fail (default: resource)


CASES = [
    Case("missing-column", lambda d: drop_column(d, "pledges", "personnel_type"), "pledges", 1, "personnel_type"),
    Case("unknown-enum-value", lambda d: set_cell(d, "timeline", ROW, "category", "military"), "timeline", ROW, "category"),
    Case("non-numeric-number", lambda d: set_cell(d, "funding", ROW, "amount", "5.7 million"), "funding", ROW, "amount"),
    Case("thousands-separator", lambda d: set_cell(d, "displacement", ROW, "value", "700,000"), "displacement", ROW, "value"),
    Case("negative-count", lambda d: set_cell(d, "pledges", ROW, "personnel", "-200"), "pledges", ROW, "personnel"),
    Case("duplicate-primary-key", lambda d: copy_key(d, "timeline", "event_id", 3, ROW + 1), "timeline", ROW + 1, "event_id"),
    Case("dangling-source-id", lambda d: set_cell(d, "funding", ROW, "source_id", "nobody-20240101-not-a-source"), "funding", ROW, "source_id"),
    Case("impossible-date", lambda d: set_cell(d, "displacement", ROW, "date", "2024-02-30"), "displacement", ROW, "date"),
    Case("malformed-date", lambda d: set_cell(d, "displacement", ROW, "period_start", "March 2024"), "displacement", ROW, "period_start"),
    Case("impossible-publication-date", lambda d: set_cell(d, "sources", ROW, "published", "2024-13-01"), "sources", ROW, "published", "displacement"),
    Case("future-date", lambda d: set_cell(d, "pledges", ROW, "date", "2999-01-01"), "pledges", ROW, "date"),
    Case("empty-file", lambda d: (d / "timeline.csv").write_bytes(b""), "timeline", None, None),
    Case("not-utf8", lambda d: latin1_cell(d, "sources", ROW, "publisher"), "sources", ROW, "publisher", "pledges"),
    Case("not-utf8-after-multiline-cell", lambda d: latin1_cell(d, "displacement", ROW, "area", True), "displacement", ROW, "area"),
    Case("missing-file", lambda d: (d / "funding.csv").unlink(), "funding", None, None),
]


def location(case: Case) -> str:
    """The start of the message line: 'file.csv, row N, field "x": ' or 'file.csv: '."""
    text = f"{case.resource}.csv"
    if case.row is not None:
        text += f", row {case.row}"
    if case.field is not None:
        text += f', field "{case.field}"'
    return text + ": "


# Each case below breaks a copy of a file on purpose, so validate() also says that the file no
# longer matches the size and hash its descriptor records; that notice is tested in
# test_integrity.py and left out here.
CHANGED = "file changed without its descriptor"


def table_problems(problems):
    return [p for p in problems if CHANGED not in p.message]


def matching(problems, case: Case):
    return [
        p for p in problems
        if Path(p.file).name == f"{case.resource}.csv" and p.row == case.row and p.field == case.field
    ]


def test_helpers_alone_keep_the_data_valid(data_copy):
    """Rewriting every file through the helpers changes nothing that matters, so each case below
    fails because of its own breakage."""
    for name in RESOURCES:
        write_rows(data_copy / f"{name}.csv", read_rows(data_copy / f"{name}.csv"))
    report = hm.validate(data_copy, use_frictionless=False)
    assert report.ok, str(report)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_load_refuses_bad_input(data_copy, case):
    case.breaker(data_copy)
    before = snapshot(data_copy)
    with pytest.raises(hm.DataError) as caught:
        hm.load(case.load or case.resource)
    assert matching(caught.value.problems, case), caught.value.problems
    message = str(caught.value)
    assert location(case) in message
    assert snapshot(data_copy) == before


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_validate_report_names_every_problem_precisely(data_copy, case):
    """Full validation (Frictionless included) reports the problem once, in the same place, and
    adds no message that lacks the row or field the package's own checks give."""
    case.breaker(data_copy)
    before = snapshot(data_copy)
    report = hm.validate(data_copy)
    assert not report.ok
    problems = table_problems(report.problems)
    assert problems == matching(problems, case), str(report)
    assert snapshot(data_copy) == before


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_cli_refuses_bad_input_with_the_same_message(data_copy, case):
    case.breaker(data_copy)
    before = snapshot(data_copy)
    with pytest.raises(hm.DataError) as caught:
        hm.load(case.load or case.resource)
    # --fast: the package's own checks, which are what name rows and fields; the full CLI (with
    # Frictionless, two seconds per run) is exercised below and on the real data above.
    result = run_cli("validate", "--fast", "--data-dir", str(data_copy))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "INVALID" in result.stdout
    lines = result.stdout.splitlines()
    assert any(location(case) in line for line in lines), result.stdout
    for problem in caught.value.problems:  # load's message is the CLI's message
        assert f"  - {problem}" in lines
    assert snapshot(data_copy) == before


@pytest.mark.slow
def test_full_cli_refuses_dangling_source_with_row_and_field(data_copy):
    set_cell(data_copy, "displacement", ROW, "source_id", "nobody-20240101-not-a-source")
    before = snapshot(data_copy)
    result = run_cli("validate", "--data-dir", str(data_copy))
    assert result.returncode == 1
    problems = [line for line in result.stdout.splitlines() if line.startswith("  - ") and CHANGED not in line]
    assert len(problems) == 1, result.stdout
    assert f'displacement.csv, row {ROW}, field "source_id": ' in problems[0]
    assert snapshot(data_copy) == before


def test_validate_locates_what_only_frictionless_sees(data_copy):
    """With a bad cell in one row, the package's cross-table rules wait; Frictionless still reports
    the dangling source two rows further down, and names its row and field too."""
    set_cell(data_copy, "displacement", ROW, "measure", "stocks")
    set_cell(data_copy, "displacement", ROW + 2, "source_id", "nobody-20240101-not-a-source")
    report = hm.validate(data_copy)
    problems = table_problems(report.problems)
    located = [(Path(p.file).name, p.row, p.field) for p in problems]
    assert located == [("displacement.csv", ROW, "measure"), ("displacement.csv", ROW + 2, "source_id")], str(report)
    assert "frictionless foreign-key" in problems[1].message


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("value", " 1000"), ("value", "1000.0"), ("value", "1e3"), ("value", "1 000"), ("value", "one"),
        ("date", "2024-3-1"), ("date", "2024-03-01T00:00:00"), ("date", "01/03/2024"), ("date", "2023-02-29"),
        ("measure", "Stock"), ("measure", "stock "), ("area_type", "Country"),
        ("record_id", "DIS-0001"),
    ],
)
def test_nothing_is_coerced_silently(data_copy, field, text):
    set_cell(data_copy, "displacement", ROW, field, text)
    with pytest.raises(hm.DataError) as caught:
        hm.load("displacement")
    [problem] = caught.value.problems
    assert (Path(problem.file).name, problem.row, problem.field) == ("displacement.csv", ROW, field)
    assert repr(text) in problem.message or text.strip() in problem.message


@pytest.mark.parametrize("text", ["True", "1", "yes", ""])
def test_booleans_are_true_or_false_only(data_copy, text):
    set_cell(data_copy, "pledges", ROW, "is_rotation", text)
    with pytest.raises(hm.DataError) as caught:
        hm.load("pledges")
    [problem] = caught.value.problems
    assert (Path(problem.file).name, problem.row, problem.field) == ("pledges.csv", ROW, "is_rotation")


def test_a_broken_table_does_not_block_the_others(data_copy):
    """load() checks the table asked for and the sources it cites, nothing else."""
    set_cell(data_copy, "timeline", ROW, "category", "military")
    assert len(hm.load("displacement")) > 0
    with pytest.raises(hm.DataError):
        hm.load("timeline")


def test_load_sees_a_repair_after_a_refusal(data_copy):
    """The loader caches by file state: fixing the file makes the next load succeed."""
    rows = read_rows(data_copy / "timeline.csv")
    good = rows[ROW - 1][rows[0].index("category")]
    set_cell(data_copy, "timeline", ROW, "category", "military")
    with pytest.raises(hm.DataError):
        hm.load("timeline")
    set_cell(data_copy, "timeline", ROW, "category", good)
    assert hm.load("timeline")["category"].iloc[ROW - 2] == good
