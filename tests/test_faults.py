"""The fault suite: what users do to the data, the parameters and the runs, and what they get back.

Users edit the CSVs by hand, pass odd parameters and stop runs halfway. Every case here asserts a
clear error (naming file, row and field, or notebook and parameter) and that nothing was lost or
half-written: the data is byte for byte as the user left it, the output folder (pre-filled with a
copy of the committed reports/) is byte for byte as before, nothing is left beside it, and no
process of the run outlives it.

Faults that are refused before any kernel starts run the command line in-process (a few tens of
milliseconds each); interrupted runs, dying kernels and read-only folders run it as a real process.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat
import numpy as np
import pandas as pd
import psutil
import pytest
from conftest import ROOT, report_snapshot, snapshot

from haiti_mission.cli import main

REPORTS = ROOT / "reports"
CLI = [sys.executable, "-m", "haiti_mission"]


# ---------------------------------------------------------------- the workspace

@dataclass
class Workspace:
    """A data copy the package reads, and an output folder holding a copy of the committed reports."""

    root: Path
    data: Path
    out: Path

    def assert_nothing_lost(self, data_before: dict) -> None:
        """The data is as the user left it, the previous reports are intact, nothing lies beside them."""
        assert snapshot(self.data) == data_before, "the data files were changed"
        assert snapshot(self.out) == COMMITTED, "the previous reports were changed"
        assert sorted(p.name for p in self.out.parent.iterdir()) == [self.out.name], "something was left beside the output folder"


COMMITTED = snapshot(REPORTS)


@pytest.fixture
def ws(tmp_path, data_copy) -> Workspace:
    out = tmp_path / "site" / "reports"
    shutil.copytree(REPORTS, out)
    yield Workspace(tmp_path, data_copy, out)
    _end_leftovers(tmp_path)


def run_inprocess(capsys, *argv: str) -> tuple[int, str]:
    """Run the command line in this process; return its exit status and what it printed to stderr."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        code = main(list(argv))
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    return code, capsys.readouterr().err


def clean_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HAITI_MISSION_", "PYTEST_"))}
    env.update(extra)
    return env


# ---------------------------------------------------------------- processes

def processes_mentioning(folder: Path) -> list[psutil.Process]:
    """Live processes whose command line names something under ``folder`` (the run, its workers,
    ordinary kernels: their connection files live in the run's staging folder), or that hold a file
    under it open (warm kernels and their fork server: their logs live there too)."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE or proc.pid == os.getpid():
                continue
            if any(str(folder) in arg for arg in proc.info["cmdline"] or ()) or any(
                    f.path.startswith(str(folder) + os.sep) for f in proc.open_files()):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def assert_no_process_left(folder: Path, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while (left := processes_mentioning(folder)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"processes outlived the run: {[(p.pid, ' '.join(p.cmdline())[:120]) for p in left]}"


def _end_leftovers(folder: Path) -> None:
    """After a test, end what a failed assertion may have left running (only this test's processes)."""
    for proc in processes_mentioning(folder):
        try:
            proc.kill()
        except psutil.Error:
            pass


# ---------------------------------------------------------------- breaking the data

def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def csv_bytes(rows: list[list[str]], delimiter: str = ",") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


def set_cell(data: Path, name: str, row: int, field: str, value: str) -> None:
    path = data / f"{name}.csv"
    rows = read_rows(path)
    rows[row - 1][rows[0].index(field)] = value
    path.write_bytes(csv_bytes(rows))


def edit_descriptor(data: Path, change: Callable[[dict], None]) -> None:
    path = data / "datapackage.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def resource(raw: dict, name: str) -> dict:
    return next(r for r in raw["resources"] if r["name"] == name)


def field(raw: dict, name: str, fld: str) -> dict:
    return next(f for f in resource(raw, name)["schema"]["fields"] if f["name"] == fld)


def truncate_mid_row(data: Path) -> None:
    """The file ends in the middle of its last row: three cells of eleven, no line end."""
    rows = read_rows(data / "timeline.csv")
    (data / "timeline.csv").write_bytes(csv_bytes(rows[:-1]) + ",".join(rows[-1][:3]).encode("utf-8"))


def truncate_in_quoted_cell(data: Path) -> None:
    """The file ends inside a quoted cell (a copy or a download cut short)."""
    rows = read_rows(data / "timeline.csv")
    last = rows[-1]
    cut = ",".join(last[:4]) + ',"' + last[4][: len(last[4]) // 2]
    (data / "timeline.csv").write_bytes(csv_bytes(rows[:-1]) + cut.encode("utf-8"))


def semicolons(data: Path) -> None:
    rows = read_rows(data / "pledges.csv")
    (data / "pledges.csv").write_bytes(csv_bytes(rows, delimiter=";"))


def byte_order_mark(data: Path) -> None:
    path = data / "funding.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())


def latin1_cell(data: Path) -> None:
    """One cell typed in Latin-1 into an otherwise UTF-8 file (a spreadsheet's export)."""
    path = data / "displacement.csv"
    rows = read_rows(path)
    rows[ROW - 1][rows[0].index("area")] = "@@"
    path.write_bytes(csv_bytes(rows).replace(b"@@", "Léogâne".encode("latin-1")))


def extra_column(data: Path) -> None:
    path = data / "timeline.csv"
    path.write_bytes(csv_bytes([r + (["comment"] if i == 0 else ["checked"]) for i, r in enumerate(read_rows(path))]))


def reordered_columns(data: Path) -> None:
    path = data / "timeline.csv"
    path.write_bytes(csv_bytes([[r[1], r[0], *r[2:]] for r in read_rows(path)]))


def duplicated_column(data: Path) -> None:
    path = data / "timeline.csv"
    rows = read_rows(path)
    rows[0][rows[0].index("location")] = "actors"
    path.write_bytes(csv_bytes(rows))


def repeated_header_row(data: Path) -> None:
    """Two exports pasted one after the other: the header comes back as a data row."""
    path = data / "pledges.csv"
    rows = read_rows(path)
    path.write_bytes(csv_bytes(rows[:ROW - 1] + [rows[0]] + rows[ROW - 1:]))


def nan_in_number(data: Path) -> None:
    """A number column (the descriptor made funding.amount a `number`) holding NaN."""
    edit_descriptor(data, lambda raw: field(raw, "funding", "amount").update(type="number"))
    set_cell(data, "funding", ROW, "amount", "NaN")


def overflow_in_number(data: Path) -> None:
    edit_descriptor(data, lambda raw: field(raw, "funding", "amount").update(type="number"))
    set_cell(data, "funding", ROW, "amount", "1e999")  # parses to infinity


def resource_symlink_outside(data: Path) -> None:
    """timeline.csv replaced by a link to a (valid) copy outside the data folder."""
    outside = data.parent / "elsewhere.csv"
    shutil.copy(data / "timeline.csv", outside)
    (data / "timeline.csv").unlink()
    (data / "timeline.csv").symlink_to(outside)


ROW = 4  # the third data row (the header is row 1)


@dataclass(frozen=True)
class DataFault:
    id: str
    breaker: Callable[[Path], None]
    where: str  # the start of the message line: 'file, row N, field "x"'
    says: str  # what the message says


def _last_row(name: str) -> int:
    return len(read_rows(ROOT / "data" / f"{name}.csv"))


DATA_FAULTS = [
    DataFault("truncated-mid-row", truncate_mid_row, f"timeline.csv, row {_last_row('timeline')}:", "has 3 cells, expected 11"),
    DataFault("truncated-in-quoted-cell", truncate_in_quoted_cell, f"timeline.csv, row {_last_row('timeline')}:", "malformed CSV (unclosed quote or truncated file?)"),
    DataFault("wrong-delimiter", semicolons, "pledges.csv, row 1:", "seems to use another delimiter than a comma"),
    DataFault("byte-order-mark", byte_order_mark, "funding.csv, row 1:", "byte-order mark (BOM)"),
    DataFault("mixed-encodings", latin1_cell, f'displacement.csv, row {ROW}, field "area":', "not valid UTF-8"),
    DataFault("extra-column", extra_column, 'timeline.csv, row 1, field "comment":', "unexpected column"),
    DataFault("reordered-columns", reordered_columns, "timeline.csv, row 1:", "columns are out of order"),
    DataFault("duplicated-column", duplicated_column, 'timeline.csv, row 1, field "actors":', "column appears more than once in the header"),
    DataFault("duplicated-header-row", repeated_header_row, f"pledges.csv, row {ROW}:", "repeats the header row"),
    DataFault("nan-in-number", nan_in_number, f'funding.csv, row {ROW}, field "amount":', "'NaN' is not a finite number"),
    DataFault("inf-in-number", overflow_in_number, f'funding.csv, row {ROW}, field "amount":', "'1e999' is not a finite number"),
    DataFault("nan-in-integer", lambda d: set_cell(d, "displacement", ROW, "value", "nan"), f'displacement.csv, row {ROW}, field "value":', "'nan' is not a whole number"),
    DataFault("inf-in-integer", lambda d: set_cell(d, "pledges", ROW, "personnel", "inf"), f'pledges.csv, row {ROW}, field "personnel":', "'inf' is not a whole number"),
    DataFault("impossible-date", lambda d: set_cell(d, "timeline", ROW, "date", "2024-02-30"), f'timeline.csv, row {ROW}, field "date":', "'2024-02-30' is not a calendar date (February 2024 has 29 days)"),
    DataFault("invalid-descriptor-json", lambda d: (d / "datapackage.json").write_text('{"name": "haiti-mission", "resources": [', encoding="utf-8"),
              "datapackage.json:", "not valid JSON: Expecting value at line 1"),
    DataFault("descriptor-not-an-object", lambda d: (d / "datapackage.json").write_text("[]\n", encoding="utf-8"), "datapackage.json:", "must be a JSON object"),
    DataFault("descriptor-field-not-an-object", lambda d: edit_descriptor(d, lambda raw: resource(raw, "sources")["schema"]["fields"].__setitem__(0, "source_id")),
              "datapackage.json (resource 'sources'):", "a field must be an object with a name and a type, not 'source_id'"),
    DataFault("descriptor-pattern-not-a-regex", lambda d: edit_descriptor(d, lambda raw: field(raw, "timeline", "event_id")["constraints"].update(pattern="^[a-z")),
              "datapackage.json (resource 'timeline'), field \"event_id\":", "constraint pattern '^[a-z' is not a valid regular expression"),
    DataFault("unknown-field-type", lambda d: edit_descriptor(d, lambda raw: field(raw, "funding", "amount").update(type="decimal")),
              "datapackage.json (resource 'funding'), field \"amount\":", "unknown field type 'decimal'"),
    DataFault("resource-path-outside-data", lambda d: edit_descriptor(d, lambda raw: resource(raw, "timeline").update(path="../../etc/passwd")),
              "datapackage.json (resource 'timeline'):", "resource path '../../etc/passwd' must be a relative file name inside the data folder"),
    DataFault("resource-path-absolute", lambda d: edit_descriptor(d, lambda raw: resource(raw, "sources").update(path="/etc/passwd")),
              "datapackage.json (resource 'sources'):", "resource path '/etc/passwd' must be a relative file name inside the data folder"),
    DataFault("resource-symlink-outside-data", resource_symlink_outside, "timeline.csv:", "leads outside the data folder"),
    # What validates must load: values beyond what the column types hold are refused by validation.
    DataFault("integer-beyond-int64", lambda d: set_cell(d, "pledges", ROW, "personnel", str(2**63)),
              f'pledges.csv, row {ROW}, field "personnel":', f"'{2**63}' is too large"),
    DataFault("integer-of-5000-digits", lambda d: set_cell(d, "displacement", ROW, "value", "9" * 5000),
              f'displacement.csv, row {ROW}, field "value":', "is too large"),
    DataFault("date-before-datetime64", lambda d: set_cell(d, "timeline", ROW, "date", "1200-01-01"),
              f'timeline.csv, row {ROW}, field "date":', "'1200-01-01' is outside the dates the package can hold"),
    DataFault("source-date-before-datetime64", lambda d: set_cell(d, "sources", ROW, "published", "0001-01-01"),
              f'sources.csv, row {ROW}, field "published":', "'0001-01-01' is outside the dates the package can hold"),
    # Text fields: no control characters, no stray spaces, nothing a spreadsheet would run.
    DataFault("escape-sequence-in-text", lambda d: set_cell(d, "timeline", ROW, "title", "Council \x1b[2J meets"),
              f'timeline.csv, row {ROW}, field "title":', "holds a control character (U+001B)"),
    DataFault("tab-in-text", lambda d: set_cell(d, "timeline", ROW, "title", "Council\tmeets"),
              f'timeline.csv, row {ROW}, field "title":', "holds a control character (U+0009, a tab)"),
    DataFault("line-break-in-one-line-text", lambda d: set_cell(d, "timeline", ROW, "note", "first line\nsecond line"),
              f'timeline.csv, row {ROW}, field "note":', "holds a line break"),
    DataFault("bidi-override-in-text", lambda d: set_cell(d, "sources", ROW, "publisher", "Reuters\u202e"),
              f'sources.csv, row {ROW}, field "publisher":', "holds a control character (U+202E"),
    DataFault("stray-whitespace", lambda d: set_cell(d, "timeline", ROW, "title", " Council meets"),
              f'timeline.csv, row {ROW}, field "title":', "starts or ends with a space"),
    DataFault("formula-cell", lambda d: set_cell(d, "timeline", ROW, "note", "=HYPERLINK(\"http://example.org\",\"x\")"),
              f'timeline.csv, row {ROW}, field "note":', "starts with '=', which a spreadsheet would run as a formula"),
    DataFault("two-names-for-one-iso-code", lambda d: set_cell(d, "pledges", 7, "country", "Republic of Kenya"),
              'pledges.csv, row 7, field "country":', "'Republic of Kenya', but row 2 gives 'Kenya' for iso3 'KEN'"),
    DataFault("cell-of-200-kb", lambda d: set_cell(d, "timeline", ROW, "note", "x" * 200_000),
              f'timeline.csv, row {ROW}, field "note":', "is 200,000 characters long: too long"),
    # Nothing named in the descriptor is fetched: URLs are refused when the descriptor is read.
    DataFault("package-profile-url", lambda d: edit_descriptor(d, lambda raw: raw.update(profile="https://example.org/profile.json")),
              "datapackage.json:", "profile 'https://example.org/profile.json' is not fetched"),
    DataFault("resource-schema-url", lambda d: edit_descriptor(d, lambda raw: resource(raw, "timeline").update(schema="https://example.org/schema.json")),
              "datapackage.json (resource 'timeline'):", "schema 'https://example.org/schema.json' is not fetched"),
    DataFault("resource-dialect-url", lambda d: edit_descriptor(d, lambda raw: resource(raw, "sources").update(dialect="https://example.org/dialect.json")),
              "datapackage.json (resource 'sources'):", "dialect 'https://example.org/dialect.json' is not fetched"),
    DataFault("resource-path-url", lambda d: edit_descriptor(d, lambda raw: resource(raw, "timeline").update(path="https://example.org/timeline.csv")),
              "datapackage.json (resource 'timeline'):", "resource path 'https://example.org/timeline.csv' is a URL: nothing is fetched"),
    DataFault("resource-dialect-semicolons", lambda d: edit_descriptor(d, lambda raw: resource(raw, "funding").update(dialect={"delimiter": ";"})),
              "datapackage.json (resource 'funding'):", "dialect delimiter ';' is not supported"),
    DataFault("resource-encoding-latin1", lambda d: edit_descriptor(d, lambda raw: resource(raw, "funding").update(encoding="latin-1")),
              "datapackage.json (resource 'funding'):", "encoding 'latin-1' is not supported"),
    # Constraints that do not fit their field, and descriptor text that is not text.
    DataFault("integer-minimum-with-a-fraction", lambda d: edit_descriptor(d, lambda raw: field(raw, "pledges", "personnel")["constraints"].update(minimum=0.5)),
              'datapackage.json (resource \'pledges\'), field "personnel":', "constraint minimum of an integer field must be a whole number"),
    DataFault("enum-value-breaking-max-length", lambda d: edit_descriptor(d, lambda raw: field(raw, "sources", "kind")["constraints"].update(maxLength=3)),
              'datapackage.json (resource \'sources\'), field "kind":', "enum value 'government' breaks the field's own constraints"),
    DataFault("description-not-text", lambda d: edit_descriptor(d, lambda raw: field(raw, "timeline", "title").update(description=12)),
              'datapackage.json (resource \'timeline\'), field "title":', "description must be text"),
    DataFault("sources-published-not-a-date", lambda d: edit_descriptor(d, lambda raw: field(raw, "sources", "published").update(type="string")),
              'datapackage.json (resource \'sources\'), field "published":', "must be a date field"),
    DataFault("date-field-not-a-date", lambda d: edit_descriptor(d, lambda raw: field(raw, "timeline", "date").update(type="string")),
              'datapackage.json (resource \'timeline\'), field "date":', "must be a date field"),
    # Size limits: a file beyond them is refused before it is read.
    DataFault("data-file-too-large", lambda d: os.truncate(d / "timeline.csv", 65 * 2**20),
              "timeline.csv:", "is 65.0 MiB, larger than the limit of 64 MiB for a data file"),
    DataFault("descriptor-too-large", lambda d: os.truncate(d / "datapackage.json", 9 * 2**20),
              "datapackage.json:", "is 9.0 MiB, larger than the limit of 8 MiB for a descriptor"),
]


@pytest.mark.parametrize("fault", DATA_FAULTS, ids=[f.id for f in DATA_FAULTS])
def test_bad_data_is_refused_by_reports_and_validate(ws, capsys, fault):
    fault.breaker(ws.data)
    before = snapshot(ws.data)

    code, err = run_inprocess(capsys, "reports", "--out", str(ws.out), "--only", "timeline", "--quiet")
    assert code == 1, err
    lines = err.splitlines()
    assert any(fault.where in line and fault.says in line for line in lines), err
    assert "nothing was written; previous reports are unchanged" in err
    ws.assert_nothing_lost(before)


@pytest.mark.parametrize("fault", DATA_FAULTS, ids=[f.id for f in DATA_FAULTS])
def test_validate_names_the_same_place(ws, capsys, fault):
    fault.breaker(ws.data)
    before = snapshot(ws.data)
    assert main(["validate", "--fast"]) == 1
    out = capsys.readouterr().out
    assert "INVALID" in out
    assert any(fault.where in line and fault.says in line for line in out.splitlines()), out
    assert snapshot(ws.data) == before


# ---------------------------------------------------------------- report parameters

@dataclass(frozen=True)
class ParamFault:
    id: str
    args: tuple[str, ...]
    params: str | None  # YAML parameters file content
    says: str


PARAM_FAULTS = [
    ParamFault("unknown-name", ("--only", "timeline"), "timeline:\n  colour: red\n", "notebook 'timeline', parameter 'colour': unknown parameter"),
    ParamFault("unknown-name-top-level", (), "colour: red\n", "parameter 'colour': is neither a report notebook nor a parameter of any"),
    ParamFault("wrong-type-date-as-number", ("--only", "situation-report"), "situation-report:\n  as_of: 20240301\n",
               "notebook 'situation-report', parameter 'as_of': expected str, got int 20240301"),
    ParamFault("wrong-type-list", ("--only", "timeline"), "timeline:\n  categories: {legal: true}\n", "notebook 'timeline', parameter 'categories': expected list[str], got dict"),
    ParamFault("start-after-end", ("--only", "displacement"), "displacement:\n  start: 2025-01-01\n  end: 2024-01-01\n",
               "notebook 'displacement', parameter 'start': start 2025-01-01 is after end 2024-01-01"),
    ParamFault("unknown-area", ("--only", "displacement"), "displacement:\n  area: Atlantis\n", "notebook 'displacement', parameter 'area': unknown area 'Atlantis'"),
    ParamFault("unknown-force", ("--only", "pledges-and-funding"), "pledges-and-funding:\n  force: UN\n", "notebook 'pledges-and-funding', parameter 'force': unknown force 'UN'"),
    ParamFault("unknown-category", ("--only", "timeline"), "timeline:\n  categories: [legal, sports]\n", "notebook 'timeline', parameter 'categories': unknown category 'sports'"),
    ParamFault("as-of-in-the-future", ("--only", "situation-report", "--as-of", "2999-01-01"), None,
               "notebook 'situation-report', parameter 'as_of': 2999-01-01 is in the future"),
    ParamFault("impossible-date", ("--only", "timeline", "--as-of", "2024-02-30"), None, "notebook 'timeline', parameter 'end': '2024-02-30' is not a calendar date"),
    ParamFault("date-in-another-form", ("--only", "timeline", "--as-of", "20240301"), None,
               "notebook 'timeline', parameter 'end': '20240301' is not a date in the form YYYY-MM-DD"),
    ParamFault("report-name-leaving-the-folder", ("--only", "../../etc/passwd"), None, "notebook '../../etc/passwd': no such report notebook"),
    ParamFault("missing-notebook", ("--only", "weather"), None, "notebook 'weather': no such report notebook; available: changes, displacement, pledges-and-funding"),
    ParamFault("parameters-file-not-yaml", (), "as_of: [2024-03-01\n", "parameters file '{params}': not valid YAML"),
    ParamFault("unknown-name-named-in-its-file", (), "colour: red\n", "parameters file '{params}', parameter 'colour'"),
    ParamFault("yaml-alias", (), "as_of: &day '2024-03-01'\nsituation-report:\n  as_of: *day\n",
               "parameters file '{params}': line 3: YAML aliases (*day) are not allowed"),
    ParamFault("key-given-twice", (), "as_of: '2024-03-01'\nas_of: '2024-04-01'\n",
               "parameters file '{params}', parameter 'as_of': line 2: given twice"),
    ParamFault("not-a-mapping", (), "- as_of\n- '2024-03-01'\n", "parameters file '{params}': must be a mapping of names to values"),
    ParamFault("nested-too-deeply", (), "timeline:\n  categories: " + "[" * 50_000 + "\n", "parameters file '{params}': line 2: nested too deeply"),
    ParamFault("parameters-file-too-large", (), "# padding\n" * 200_000,
               "parameters file '{params}': is 1.9 MiB, larger than the limit of 1 MiB for a parameters file"),
    ParamFault("huge-value-is-not-echoed", ("--only", "timeline"), "timeline:\n  start: '" + "9" * 100_000 + "'\n",
               "notebook 'timeline', parameter 'start': '999999999999"),
]


@pytest.mark.parametrize("fault", PARAM_FAULTS, ids=[f.id for f in PARAM_FAULTS])
def test_bad_parameters_are_refused_before_any_kernel(ws, capsys, fault):
    before = snapshot(ws.data)
    args = list(fault.args)
    if fault.params is not None:
        params = ws.root / "params.yaml"
        params.write_text(fault.params, encoding="utf-8")
        args += ["--params", str(params)]
    started = time.monotonic()
    code, err = run_inprocess(capsys, "reports", "--out", str(ws.out), "--quiet", *args)
    assert code == 2, err
    assert fault.says.format(params=ws.root / "params.yaml") in err
    assert "nothing was written; previous reports are unchanged" in err
    assert max(len(line) for line in err.splitlines()) < 600, "a message echoed an unbounded value"
    assert time.monotonic() - started < 10  # refused while planning: no kernel started
    ws.assert_nothing_lost(before)


def test_missing_parameters_file_is_named(ws, capsys):
    before = snapshot(ws.data)
    code, err = run_inprocess(capsys, "reports", "--out", str(ws.out), "--quiet", "--params", str(ws.root / "nowhere.yaml"))
    assert code == 2
    assert f"parameters file '{ws.root / 'nowhere.yaml'}': file not found" in err
    ws.assert_nothing_lost(before)


# ---------------------------------------------------------------- output folders that are not one

def test_an_output_folder_holding_the_data_is_refused(ws, capsys):
    """The run replaces its output folder as a whole: a folder holding the data is never one."""
    before = snapshot(ws.data)
    code, err = run_inprocess(capsys, "reports", "--out", str(ws.root), "--only", "timeline", "--quiet")
    assert code == 1
    assert f"refusing to write reports to {ws.root}: it is or holds the data" in err
    ws.assert_nothing_lost(before)
    assert sorted(p.name for p in ws.root.iterdir()) == ["data", "site"]
    assert sorted(p.name for p in ws.root.parent.iterdir() if p.name.startswith(f".{ws.root.name}.")) == []


def test_an_output_path_that_is_a_file_is_refused(ws, capsys):
    before = snapshot(ws.data)
    target = ws.out.parent / "notes.txt"
    target.write_text("mine\n", encoding="utf-8")
    code, err = run_inprocess(capsys, "reports", "--out", str(target), "--only", "timeline", "--quiet")
    assert code == 1
    assert f"output folder {target} is a file, not a folder" in err
    assert target.read_text(encoding="utf-8") == "mine\n"
    target.unlink()
    ws.assert_nothing_lost(before)


def test_an_empty_notebooks_folder_is_refused(ws, capsys, monkeypatch):
    monkeypatch.setenv("HAITI_MISSION_NOTEBOOKS", str(ws.root / "no-notebooks-here"))
    before = snapshot(ws.data)
    code, err = run_inprocess(capsys, "reports", "--out", str(ws.out), "--quiet")
    assert code == 1
    assert f"no report notebooks in {ws.root / 'no-notebooks-here'}; nothing to run" in err
    ws.assert_nothing_lost(before)


def test_a_manifest_naming_files_outside_the_output_folder_is_not_trusted(tmp_path):
    """The previous manifest is data from disk: its entries may only name their own report's files."""
    from haiti_mission.pipeline.reuse import previous_entries as _previous_entries

    folder = tmp_path / "reports"
    shutil.copytree(REPORTS, folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert set(_previous_entries(folder)) == set(manifest["reports"])
    manifest["reports"]["timeline"]["html"] = "../../etc/passwd"
    manifest["reports"]["displacement"]["figures"].append("../../../etc/shadow")
    manifest["reports"]["../evil"] = dict(manifest["reports"]["situation-report"], name="../evil")
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert set(_previous_entries(folder)) == set(manifest["reports"]) - {"timeline", "displacement", "../evil"}


# ---------------------------------------------------------------- runs that fail or are stopped

def _notebook(folder: Path, name: str, body: str) -> None:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells = [
        nbformat.v4.new_code_cell('seconds: str = "60"  # how long the slow part lasts', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(body),
    ]
    nbformat.write(nb, folder / f"{name}.ipynb")


def start_cli(ws: Workspace, *args: str, notebooks: Path | None = None, env: dict | None = None) -> subprocess.Popen:
    """Start the command line in its own process group; its output goes to files (not pipes, which a
    process outliving the run would hold open)."""
    env = clean_env(HAITI_MISSION_DATA=str(ws.data), **(env or {}))
    if notebooks is not None:
        env["HAITI_MISSION_NOTEBOOKS"] = str(notebooks)
    with open(ws.root / "cli.stdout", "wb") as stdout, open(ws.root / "cli.stderr", "wb") as stderr:
        return subprocess.Popen([*CLI, "reports", "--out", str(ws.out), "--quiet", *args], cwd=ws.root, env=env,
                                stdout=stdout, stderr=stderr, start_new_session=True)


def finish(ws: Workspace, proc: subprocess.Popen, timeout: float = 120) -> str:
    """Wait for the command line to end; return what it printed to stderr."""
    proc.wait(timeout)
    return (ws.root / "cli.stderr").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_notebook_whose_kernel_dies(ws):
    notebooks = ws.root / "notebooks"
    notebooks.mkdir()
    _notebook(notebooks, "zz-dies", "import os\nos._exit(3)  # the kernel process ends abruptly, as on a segfault or the OOM killer")
    before = snapshot(ws.data)
    proc = start_cli(ws, notebooks=notebooks)
    err = finish(ws, proc)
    assert proc.returncode == 1, err
    assert "haiti-mission reports: notebook 'zz-dies' failed: its kernel died" in err
    assert "Traceback" not in err
    assert "nothing was written; previous reports are unchanged" in err
    ws.assert_nothing_lost(before)
    assert_no_process_left(ws.root)


def _slow_notebooks(ws: Workspace) -> Path:
    """A real report (timeline) and one that sleeps, so a run can be caught halfway."""
    notebooks = ws.root / "notebooks"
    notebooks.mkdir()
    shutil.copy(ROOT / "notebooks" / "timeline.ipynb", notebooks)
    _notebook(notebooks, "zz-slow", "import time\ntime.sleep(float(seconds))")
    return notebooks


def _catch_halfway(ws: Workspace, proc: subprocess.Popen, timeout: float = 90, kernel_of: str = "zz-slow") -> Path:
    """Wait until the run is halfway: its staging folder holds a new timeline report (different
    from the committed one: the run asks for another date) while the slow notebook's kernel runs."""
    deadline = time.monotonic() + timeout
    committed = (REPORTS / "timeline.html").read_bytes()
    while time.monotonic() < deadline:
        assert proc.poll() is None, (ws.root / "cli.stderr").read_text(encoding="utf-8")
        staging = ws.out.parent / f".{ws.out.name}.staging-{proc.pid}"
        new_timeline = staging / "timeline.html"
        kernels = processes_mentioning(staging / ".hm-work" / kernel_of)
        try:
            written = new_timeline.read_bytes() != committed
        except FileNotFoundError:
            written = False
        if written and kernels:
            return staging
        time.sleep(0.1)
    raise AssertionError("the run did not reach its halfway point in time")


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "jobs"), [(signal.SIGINT, "2"), (signal.SIGTERM, "1")], ids=["SIGINT-workers", "SIGTERM-in-process"])
def test_a_run_stopped_halfway(ws, sig, jobs):
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) or SIGTERM (a scheduler)."""
    before = snapshot(ws.data)
    proc = start_cli(ws, "--as-of", "2024-03-01", "--jobs", jobs, notebooks=_slow_notebooks(ws))
    try:
        _catch_halfway(ws, proc)
        if sig == signal.SIGINT:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        err = finish(ws, proc, timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "haiti-mission reports: interrupted; previous reports are unchanged" in err
    assert "Traceback" not in err
    ws.assert_nothing_lost(before)  # the new timeline never reached the output folder
    assert_no_process_left(ws.root)


@pytest.mark.slow
def test_a_run_killed_halfway_then_the_next_run(ws):
    """SIGKILL (no clean-up at all): the previous reports stay intact, the run's workers and kernels
    do not outlive it, and the next run removes what it left and publishes normally."""
    before = snapshot(ws.data)
    proc = start_cli(ws, "--as-of", "2024-03-01", "--jobs", "2", notebooks=_slow_notebooks(ws))
    try:
        staging = _catch_halfway(ws, proc)
        proc.kill()
        proc.wait(30)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(ws.out) == COMMITTED
    assert staging.is_dir()  # what a killed run leaves: only its staging folder, beside the output
    # A killed run leaves its staging folder and its lock file (free: a lock ends with its process), which the next run removes.
    assert sorted(p.name for p in ws.out.parent.iterdir()) == sorted([ws.out.name, staging.name, f".{ws.out.name}.lock"])
    assert_no_process_left(ws.root)  # workers die with their parent; kernels notice within a second

    again = subprocess.run([*CLI, "reports", "--out", str(ws.out), "--only", "timeline", "--quiet"], cwd=ws.root,
                           env=clean_env(HAITI_MISSION_DATA=str(ws.data)), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert snapshot(ws.data) == before
    assert report_snapshot(ws.out, inputs=False) == report_snapshot(REPORTS, inputs=False)  # the default timeline, byte for byte
    assert sorted(p.name for p in ws.out.parent.iterdir()) == [ws.out.name]
    assert_no_process_left(ws.root)


def _stuck_notebooks(ws: Workspace) -> Path:
    """A real report and one whose kernel does not notice its run died: it disables ipykernel's
    parent poller (which ends a kernel whose parent is gone), as a kernel stuck in C code would."""
    notebooks = _slow_notebooks(ws)
    _notebook(notebooks, "zz-stuck", "import os, time\nos._exit = lambda code: None  # the parent poller calls this\ntime.sleep(float(seconds))")
    (notebooks / "zz-slow.ipynb").unlink()
    return notebooks


def _gone(proc: psutil.Process) -> bool:
    try:
        return not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _recorded_kernel(staging: Path, name: str, timeout: float = 60) -> psutil.Process:
    from haiti_mission.pipeline.staging import process_record, recorded_processes

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in recorded_processes(process_record(staging)):
            try:
                if any(f"{os.sep}{name}{os.sep}kernel-" in arg for arg in proc.cmdline()):
                    return proc
            except psutil.Error:
                continue
        time.sleep(0.1)
    raise AssertionError(f"no kernel of {name} was recorded in {staging}")


@pytest.mark.slow
def test_the_next_run_ends_a_killed_runs_kernels_and_nothing_else(ws):
    """Only the processes the killed run recorded are ended: a `tail -f` on a file of its staging
    folder (a user reading a kernel log) survives; a kernel that outlived the run does not."""
    proc = start_cli(ws, "--as-of", "2024-03-01", "--jobs", "2", notebooks=_stuck_notebooks(ws),
                     env={"HAITI_MISSION_WARM_KERNELS": "0"})
    reader = None
    try:
        staging = _catch_halfway(ws, proc, kernel_of="zz-stuck")
        kernel = _recorded_kernel(staging, "zz-stuck")
        log = staging / ".hm-work" / "zz-stuck" / "kernel.log"
        reader = subprocess.Popen(["tail", "-f", str(log)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        proc.kill()
        proc.wait(30)
        time.sleep(2.5)  # longer than the parent poller's interval: the kernel really outlived its run
        assert kernel.is_running() and kernel.status() != psutil.STATUS_ZOMBIE
        again = subprocess.run([*CLI, "reports", "--out", str(ws.out), "--only", "timeline", "--quiet"], cwd=ws.root,
                               env=clean_env(HAITI_MISSION_DATA=str(ws.data)), capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stderr
        assert not staging.exists()
        assert _gone(kernel), "the killed run's kernel was not ended"
        assert reader.poll() is None, "the clean-up ended a process the run did not start"
    finally:
        proc.kill()
        if reader is not None:
            reader.kill()
            reader.wait()


def test_a_recorded_process_id_taken_by_another_process_is_left_alone(tmp_path):
    """Process ids are reused: a record ends a process only if its start time matches too."""
    from haiti_mission.pipeline.staging import end_recorded_processes, process_record

    staging = tmp_path / ".reports.staging-1"
    (staging / ".hm-work").mkdir(parents=True)
    other = subprocess.Popen(["sleep", "60"])
    mine = subprocess.Popen(["sleep", "60"])
    try:
        created = psutil.Process(mine.pid).create_time()
        process_record(staging).write_text(f"{other.pid} {psutil.Process(other.pid).create_time() - 5!r}\n{mine.pid} {created!r}\n", encoding="ascii")
        end_recorded_processes(staging, grace=2)
        assert mine.poll() is not None, "the recorded process was not ended"
        assert other.poll() is None, "a process with a recorded id but another start time was ended"
    finally:
        other.kill()
        mine.kill()
        other.wait()
        mine.wait()


@pytest.mark.slow
def test_a_worker_that_dies_is_named_in_one_line(ws):
    """A worker killed under a notebook (here by the notebook's own kernel) stops the run with one
    line naming the notebook; nothing is published and no process outlives the run."""
    notebooks = ws.root / "notebooks"
    notebooks.mkdir()
    shutil.copy(ROOT / "notebooks" / "timeline.ipynb", notebooks)
    _notebook(notebooks, "zz-kills-worker", "import os, signal\nos.kill(int(os.environ['JPY_PARENT_PID']), signal.SIGKILL)")
    before = snapshot(ws.data)
    proc = start_cli(ws, "--jobs", "2", "--as-of", "2024-03-01", notebooks=notebooks)  # both notebooks run
    err = finish(ws, proc)
    assert proc.returncode == 1, err
    assert "haiti-mission reports: notebook 'zz-kills-worker' failed: its worker process was killed by signal SIGKILL\n" in err
    assert "Traceback" not in err
    ws.assert_nothing_lost(before)
    assert_no_process_left(ws.root)


# ---------------------------------------------------------------- read-only output folders

def _unprivileged() -> list[str]:
    """A command prefix under which permission bits apply: root ignores them, so as root the
    capabilities that let it (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) are dropped with setpriv."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permission bits cannot be made to apply")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--"]


@pytest.mark.parametrize(("read_only", "says"), [
    ("out", "output folder {out} is read-only: permission denied"),
    ("out/figures/timeline", "output folder {out} is read-only (its subfolder figures/timeline is read-only): permission denied"),
    ("parent", "cannot write reports to {out}: cannot create a file in {parent} (Permission denied)"),
], ids=["output-folder", "a-subfolder", "the-folder-around-it"])
@pytest.mark.slow
def test_a_read_only_output_folder(ws, read_only, says):
    prefix = _unprivileged()
    folder = {"out": ws.out, "out/figures/timeline": ws.out / "figures" / "timeline", "parent": ws.out.parent}[read_only]
    before = snapshot(ws.data)
    folder.chmod(0o555)
    try:
        # The control: under this prefix the folder really cannot be written to.
        probe = subprocess.run([*prefix, sys.executable, "-c", f"open({str(folder / 'probe')!r}, 'w')"], capture_output=True, text=True)
        assert probe.returncode != 0 and "Permission denied" in probe.stderr
        # --force: with nothing changed, a run writes nothing, and a read-only folder is no obstacle.
        result = subprocess.run([*prefix, *CLI, "reports", "--out", str(ws.out), "--only", "timeline", "--quiet", "--force"], cwd=ws.root,
                                env=clean_env(HAITI_MISSION_DATA=str(ws.data)), capture_output=True, text=True, timeout=120)
    finally:
        folder.chmod(0o755)
    assert result.returncode == 1, result.stderr
    assert f"haiti-mission reports: {says.format(out=ws.out, parent=ws.out.parent)}" in result.stderr
    assert "nothing was written; previous reports are unchanged" in result.stderr
    ws.assert_nothing_lost(before)


# ---------------------------------------------------------------- nothing hangs: what is not a regular file

def _run_cli(ws: Workspace, *args: str, timeout: float = 60, prefix: list[str] | None = None, **popen) -> subprocess.CompletedProcess:
    """The command line as a real process (a hang is a timeout, not a stuck suite)."""
    return subprocess.run([*(prefix or []), *CLI, *args], cwd=ws.root, env=clean_env(HAITI_MISSION_DATA=str(ws.data)),
                          capture_output=True, text=True, timeout=timeout, **popen)


@pytest.mark.parametrize("which", ["timeline.csv", "datapackage.json"])
def test_a_named_pipe_in_place_of_a_file_is_refused_at_once(ws, which):
    """A FIFO blocks whoever opens it for reading until someone writes: it must be refused, not read."""
    (ws.data / which).unlink()
    os.mkfifo(ws.data / which)
    result = _run_cli(ws, "validate", "--fast", timeout=30)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{which}: is not a regular file (a named pipe); a data package holds plain files" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_a_named_pipe_as_parameters_file_is_refused_at_once(ws):
    fifo = ws.root / "params.yaml"
    os.mkfifo(fifo)
    result = _run_cli(ws, "reports", "--out", str(ws.out), "--quiet", "--params", str(fifo), timeout=30)
    assert result.returncode == 2, result.stderr
    assert f"parameters file '{fifo}': is not a regular file (a named pipe)" in result.stderr
    ws.assert_nothing_lost(snapshot(ws.data))


def test_a_yaml_alias_bomb_is_refused_at_once(ws):
    """Nine levels of nine aliases: a billion strings if expanded, and printing it never ends."""
    lines = ['l0: &l0 ["boom", "boom", "boom", "boom", "boom", "boom", "boom", "boom", "boom"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 9)]
    lines.append("as_of: *l8")
    params = ws.root / "params.yaml"
    params.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.monotonic()
    result = _run_cli(ws, "reports", "--out", str(ws.out), "--quiet", "--params", str(params), timeout=60)
    assert result.returncode == 2, result.stderr
    assert f"parameters file '{params}': line 2: YAML aliases (*l0) are not allowed" in result.stderr
    assert time.monotonic() - started < 20
    ws.assert_nothing_lost(snapshot(ws.data))


# ---------------------------------------------------------------- the hash check means what it says

def _replace_by_folder(data: Path) -> None:
    (data / "timeline.csv").unlink()
    (data / "timeline.csv").mkdir()


@pytest.mark.parametrize(("change", "says"), [
    (lambda d: (d / "timeline.csv").unlink(), "timeline.csv: file not found (the descriptor lists it as a resource)"),
    (_replace_by_folder, "timeline.csv: is a folder, not a file"),
    (resource_symlink_outside, "timeline.csv: leads outside the data folder"),
], ids=["deleted", "replaced-by-a-folder", "replaced-by-a-link-leading-out"])
def test_hashes_check_fails_for_a_file_that_is_not_there(ws, capsys, change, says):
    change(ws.data)
    code, err = run_inprocess(capsys, "hashes", "--check")
    assert code == 1, err
    assert says in err
    assert "timeline.csv: matches" not in err


# ---------------------------------------------------------------- commands that write: dictionary, hashes --update

def _deliberate_edit(data: Path) -> None:
    path = data / "timeline.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Port-au-Prince", "Port-au-Princf", 1), encoding="utf-8")


def test_dictionary_never_writes_through_a_symlinked_readme(ws, capsys):
    outside = ws.root / "elsewhere.md"
    outside.write_text("someone else's file\n", encoding="utf-8")
    (ws.data / "README.md").unlink()
    (ws.data / "README.md").symlink_to(outside)
    code, err = run_inprocess(capsys, "dictionary")
    assert code == 1
    assert f"{ws.data / 'README.md'}: is a symbolic link (to {outside}); refusing to write through it" in err
    assert outside.read_text(encoding="utf-8") == "someone else's file\n"
    assert (ws.data / "README.md").is_symlink()


def test_dictionary_refuses_a_readme_that_is_a_folder(ws, capsys):
    (ws.data / "README.md").unlink()
    (ws.data / "README.md").mkdir()
    (ws.data / "README.md" / "keep.txt").write_text("mine\n", encoding="utf-8")
    code, err = run_inprocess(capsys, "dictionary")
    assert code == 1
    assert f"{ws.data / 'README.md'}: is a folder, not a file; nothing was written" in err
    assert (ws.data / "README.md" / "keep.txt").read_text(encoding="utf-8") == "mine\n"


def test_dictionary_never_overwrites_a_data_file(ws, capsys):
    """A descriptor naming README.md as a resource: the dictionary would overwrite the data."""
    (ws.data / "README.md").unlink()
    shutil.move(ws.data / "timeline.csv", ws.data / "README.md")
    edit_descriptor(ws.data, lambda raw: resource(raw, "timeline").update(path="README.md"))
    before = snapshot(ws.data)
    code, err = run_inprocess(capsys, "dictionary")
    assert code == 1
    assert f"{ws.data / 'README.md'}: is the data file of resource 'timeline'; refusing to overwrite it" in err
    assert snapshot(ws.data) == before


def test_hashes_update_never_writes_through_a_symlinked_descriptor(ws, capsys):
    outside = ws.root / "descriptor-elsewhere.json"
    shutil.move(ws.data / "datapackage.json", outside)
    (ws.data / "datapackage.json").symlink_to(outside)
    _deliberate_edit(ws.data)
    before = outside.read_bytes()
    code, err = run_inprocess(capsys, "hashes", "--update")
    assert code == 1
    assert f"{ws.data / 'datapackage.json'}: is a symbolic link (to {outside}); refusing to write through it" in err
    assert outside.read_bytes() == before


def test_hashes_update_takes_a_temporary_name_of_its_own(ws, capsys):
    """The old fixed name (.datapackage.json.tmp-<pid>) could be a link planted by someone else."""
    victim = ws.root / "victim.txt"
    victim.write_text("untouched\n", encoding="utf-8")
    planted = ws.data / f".datapackage.json.tmp-{os.getpid()}"
    planted.symlink_to(victim)
    _deliberate_edit(ws.data)
    code, err = run_inprocess(capsys, "hashes", "--update")
    assert code == 0, err
    assert victim.read_text(encoding="utf-8") == "untouched\n"
    assert planted.is_symlink()
    planted.unlink()
    assert main(["validate", "--fast"]) == 0
    assert sorted(p.name for p in ws.data.iterdir() if p.name.startswith(".")) == []


def _limited_file_size(limit: int):
    """A child process that may write files of at most ``limit`` bytes: a disk that fills up
    midway (writing past it fails with EFBIG; Python ignores SIGXFSZ, so it is an OSError)."""
    import resource as rlimit

    def apply():
        rlimit.setrlimit(rlimit.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize(("args", "target", "prepare"), [
    (("dictionary",), "README.md", lambda d: (d / "README.md").write_text("old dictionary\n", encoding="utf-8")),
    (("hashes", "--update"), "datapackage.json", _deliberate_edit),
], ids=["dictionary", "hashes-update"])
def test_a_disk_that_fills_up_leaves_the_old_file_whole(ws, args, target, prepare):
    prepare(ws.data)
    before = snapshot(ws.data)
    result = _run_cli(ws, *args, preexec_fn=_limited_file_size(16 * 1024))
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1] == f"cannot write data/{target}: File too large; nothing was written"
    assert "Traceback" not in result.stderr
    assert snapshot(ws.data) == before  # the old file whole, and no temporary file left


@pytest.mark.parametrize(("args", "target", "prepare"), [
    (("dictionary",), "README.md", lambda d: (d / "README.md").write_text("old dictionary\n", encoding="utf-8")),
    (("hashes", "--update"), "datapackage.json", _deliberate_edit),
], ids=["dictionary", "hashes-update"])
def test_a_read_only_data_folder_gets_one_line(ws, args, target, prepare):
    prefix = _unprivileged()
    prepare(ws.data)
    before = snapshot(ws.data)
    ws.data.chmod(0o555)
    try:
        result = _run_cli(ws, *args, prefix=prefix)
    finally:
        ws.data.chmod(0o755)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1] == f"cannot write data/{target}: Permission denied; nothing was written"
    assert snapshot(ws.data) == before


# ---------------------------------------------------------------- nothing is fetched

def test_validation_fetches_no_url_named_in_the_descriptor(ws, capsys):
    """A local server counts requests; the descriptor points profiles, a dialect, a schema and a
    resource at it. Full validation (Frictionless included) must refuse them and ask for nothing."""
    import http.server
    import threading

    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        for change in (
            lambda raw: raw.update(profile=f"{base}/package-profile.json"),
            lambda raw: raw.update({"$schema": f"{base}/package-schema.json"}),
            lambda raw: resource(raw, "sources").update(profile=f"{base}/resource-profile.json"),
            lambda raw: resource(raw, "sources").update(dialect=f"{base}/dialect.json"),
            lambda raw: resource(raw, "timeline").update(schema=f"{base}/schema.json"),
            lambda raw: resource(raw, "timeline").update(path=f"{base}/timeline.csv"),
        ):
            shutil.copy(ROOT / "data" / "datapackage.json", ws.data / "datapackage.json")
            edit_descriptor(ws.data, change)
            assert main(["validate"]) == 1
            out = capsys.readouterr().out
            assert "is not fetched" in out or "nothing is fetched" in out, out
    finally:
        server.shutdown()
        server.server_close()
    assert hits == []


# ---------------------------------------------------------------- the API refuses what is not a value

@pytest.mark.parametrize(("as_of", "says"), [
    (None, None),
    ("2024-03-01", None),
    (dt.date(2024, 3, 1), None),
    (np.datetime64("2024-03-01"), None),
    (pd.NaT, "as_of is NaT (no date)"),
    (float("nan"), "as_of is NaN (no date)"),
    (np.datetime64("NaT"), "as_of is NaT (no date)"),
    (pd.NA, "as_of is <NA> (no date)"),
    ("", "as_of '' is not a date"),
    ("NaT", "as_of 'NaT' is not a date in the form YYYY-MM-DD"),
    ("20240301", "as_of '20240301' is not a date in the form YYYY-MM-DD"),
    ("2024-W10-1", "as_of '2024-W10-1' is not a date in the form YYYY-MM-DD"),
    ("2024-02-30", "as_of '2024-02-30' is not a calendar date"),
    (True, "as_of must be a date or a 'YYYY-MM-DD' string, not bool True"),
    (20240301, "as_of must be a date or a 'YYYY-MM-DD' string, not int 20240301"),
    ("9" * 10_000, "as_of '9999999999"),
], ids=["None", "str", "date", "datetime64", "NaT", "NaN", "datetime64-NaT", "NA", "empty", "NaT-text", "basic-form",
        "week-date", "impossible", "bool", "int", "huge"])
def test_load_as_of_refuses_what_is_not_a_date(ws, as_of, says):
    import haiti_mission as hm

    if says is None:
        assert len(hm.load("timeline", as_of=as_of)) == len(hm.load("timeline", as_of=None if as_of is None else "2024-03-01"))
        return
    with pytest.raises(ValueError) as caught:
        hm.load("timeline", as_of=as_of)
    assert str(caught.value).startswith(says), str(caught.value)
    assert len(str(caught.value)) < 300


def test_as_of_far_outside_the_data_loads_nothing_or_everything(ws):
    import haiti_mission as hm

    assert len(hm.load("timeline", as_of=dt.date(1, 1, 1))) == 0
    assert len(hm.load("timeline", as_of=dt.date(9999, 12, 31))) == len(hm.load("timeline", as_of=dt.date.today()))


def test_cite_escapes_what_it_puts_into_markdown(ws):
    from haiti_mission.interop.citation import format_source

    source = {"publisher": "A *bold* [link](javascript:x) | pipe", "title": "<b>Title</b> & `code` ~~gone~~ #1 !",
              "url": "https://example.org/a>b<script>x y", "published": None, "published_precision": None}
    text = format_source(source, "markdown")
    assert text == (r"A \*bold\* \[link\]\(javascript:x\) \| pipe (n.d.). *\<b\>Title\</b\> \& \`code\` \~\~gone\~\~ \#1 \!* "
                    "<https://example.org/a%3Eb%3Cscript%3Ex%20y>")


@pytest.mark.parametrize("url", ['https://example.org/a"onmouseover="x', "https://example.org/<script>", "https://example.org/a'b",
                                 "https://example.org/`x`", "https://example.org/a\\b", "https://example.org/{x}"])
def test_the_url_rule_admits_nothing_that_breaks_out_of_markup(ws, capsys, url):
    set_cell(ws.data, "sources", ROW, "url", url)
    assert main(["validate", "--fast"]) == 1
    assert f'sources.csv, row {ROW}, field "url": {url!r} does not match the pattern' in capsys.readouterr().out


# ---------------------------------------------------------------- a command never prints control characters raw

def test_messages_show_control_characters_escaped(ws, capsys):
    path = ws.data / "timeline.csv"
    rows = read_rows(path)
    rows[0][rows[0].index("note")] = "note\x1b[2J\x07"
    path.write_bytes(csv_bytes(rows))
    assert main(["validate", "--fast"]) == 1
    out = capsys.readouterr().out
    assert 'field "note\\x1b[2J\\x07": unexpected column' in out
    assert "\x1b" not in out and "\x07" not in out
