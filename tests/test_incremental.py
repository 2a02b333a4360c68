"""Incremental builds: each input changed in turn re-runs exactly the reports that depend on it.

One real build of every report (data and notebooks copied, so they can be changed) records what
each kernel read. Then each input is changed in turn and the build's own decisions are read
without running anything (the --dry-run path: same code as a build); two changes are built for
real and compared byte for byte with a forced build.
"""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import DATA, ROOT, report_snapshot

from haiti_mission.datapackage.checksums import refresh_hashes
from haiti_mission.pipeline import inputs
from haiti_mission.pipeline.build import Target, dry_run, run_reports
from haiti_mission.pipeline.plan import plan_reports
from haiti_mission.pipeline.reuse import decide

ALL = {"changes", "displacement", "pledges-and-funding", "security-and-humanitarian", "situation-report", "timeline"}
# What each data file feeds, by the notebooks' own code (sources: every report cites them; the
# situation report and the changes report read every dataset).
EVERYTHING = {"changes", "situation-report"}
READERS = {
    "displacement.csv": {"displacement", *EVERYTHING},
    "pledges.csv": {"pledges-and-funding", "security-and-humanitarian", *EVERYTHING},
    "funding.csv": {"pledges-and-funding", *EVERYTHING},
    "timeline.csv": {"displacement", "pledges-and-funding", "security-and-humanitarian", "timeline", *EVERYTHING},
    "security.csv": {"security-and-humanitarian", *EVERYTHING},
    "food_security.csv": {"security-and-humanitarian", *EVERYTHING},
    "humanitarian_plans.csv": {"security-and-humanitarian", *EVERYTHING},
    "health.csv": EVERYTHING,
    "sources.csv": ALL,
}


def edit_note(path, text=" (checked)") -> None:
    """Change one data cell (the first row's note), keeping the file valid."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    rows[1][rows[0].index("note")] += text
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def edit_notebook(path, change) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    change(nb["cells"])
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def first(cells, kind: str, skip_parameters: bool = True) -> dict:
    return next(c for c in cells if c["cell_type"] == kind and not (skip_parameters and "parameters" in c["metadata"].get("tags", [])))


def append_to_source(cell: dict, text: str) -> None:
    cell["source"] = ("".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]) + text


def executed(out, **plan_args) -> set[str]:
    return {t.plan.name for t, action, _ in dry_run([Target(p) for p in plan_reports(**plan_args)], out) if action == "executed"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Data, notebooks and a full build of every report, made once for the module."""
    root = tmp_path_factory.mktemp("incremental")
    shutil.copytree(DATA, root / "data")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    mp = pytest.MonkeyPatch()
    mp.setenv("HAITI_MISSION_DATA", str(root / "data"))
    mp.setenv("HAITI_MISSION_NOTEBOOKS", str(root / "notebooks"))
    run_reports(plan_reports(), root / "reports", jobs=2, progress=False)
    yield root
    mp.undo()


@pytest.fixture
def ws(built, tmp_path, monkeypatch):
    """A fresh copy of the built state for one test to change."""
    for part in ("data", "notebooks", "reports"):
        shutil.copytree(built / part, tmp_path / part)
    monkeypatch.setenv("HAITI_MISSION_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("HAITI_MISSION_NOTEBOOKS", str(tmp_path / "notebooks"))
    return tmp_path


@pytest.mark.slow
def test_each_data_file_re_runs_exactly_its_readers(ws):
    manifest = json.loads((ws / "reports" / "manifest.json").read_text(encoding="utf-8"))
    read = {name: set(entry["inputs"]["data"]) for name, entry in manifest["reports"].items()}
    # The loader recorded what each kernel read: the descriptor and the tables the notebook loads.
    for name in ALL:
        assert read[name] == {"datapackage.json", *(f for f, readers in READERS.items() if name in readers)}, name
    assert executed(ws / "reports") == set()
    for file_name, readers in READERS.items():
        original = (ws / "data" / file_name).read_bytes()
        edit_note(ws / "data" / file_name)
        refresh_hashes(ws / "data")  # a deliberate edit: the descriptor records the new hash
        assert executed(ws / "reports") == readers, file_name
        (ws / "data" / file_name).write_bytes(original)
        refresh_hashes(ws / "data")
    assert executed(ws / "reports") == set()


@pytest.mark.slow
def test_new_modification_times_change_nothing(ws):
    """As in a fresh clone: every file rewritten with the same content, at another time."""
    from haiti_mission.pipeline.run import unchanged

    for path in ws.rglob("*"):
        if path.is_file():
            path.write_bytes(path.read_bytes())
            os.utime(path, (1e9, 1e9))
    assert executed(ws / "reports") == set()
    assert unchanged(plan_reports(), ws / "reports") is not None


@pytest.mark.slow
def test_code_parameters_descriptor_package_and_lockfile(ws, monkeypatch):
    out = ws / "reports"
    timeline = ws / "notebooks" / "timeline.ipynb"
    original = timeline.read_bytes()
    edit_notebook(timeline, lambda cells: append_to_source(first(cells, "code"), "\nassert True"))
    assert executed(out) == {"timeline"}
    timeline.write_bytes(original)
    edit_notebook(timeline, lambda cells: append_to_source(first(cells, "code"), "  # a comment changes nothing"))
    assert executed(out) == set()
    timeline.write_bytes(original)

    params = ws / "p.yaml"
    params.write_text("displacement:\n  area: Centre\n", encoding="utf-8")
    assert executed(out, params_file=str(params)) == {"displacement"}
    assert executed(out, as_of="2024-03-01") == ALL

    descriptor = ws / "data" / "datapackage.json"
    raw = json.loads(descriptor.read_text(encoding="utf-8"))
    pledges = next(r for r in raw["resources"] if r["name"] == "pledges")
    pledges["schema"]["fields"][-1]["description"] += " Edited."
    descriptor.write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert executed(out) == READERS["pledges.csv"]

    monkeypatch.setattr(inputs, "package_digest", lambda: "another package")
    assert executed(out) == ALL
    monkeypatch.undo()
    monkeypatch.setattr(inputs, "lockfile_digest", lambda: "another lockfile")
    assert executed(out) == ALL


def test_why_names_what_changed():
    before = {"given": {}, "resolved": {"as_of": "2025-01-31"}, "data_version": "v1",
              "inputs": {"code": "c", "notebook": "n", "package": "p", "lockfile": "l", "data_as_known_on": None,
                         "data": {"datapackage.json": "d", "pledges.csv": "x", "sources.csv": "s"}}}
    now = json.loads(json.dumps(before))
    assert decide(before, now) == ("reused", "inputs unchanged")
    now["inputs"]["data"]["pledges.csv"] = "y"
    now["resolved"]["as_of"] = "2025-02-28"
    now["inputs"]["lockfile"] = "m"
    assert decide(before, now) == ("executed", "parameter as_of changed; data file pledges.csv changed; the lockfile changed")
    assert decide(before, before, force=True) == ("executed", "--force")
    assert decide(None, before) == ("executed", "no earlier report in the output folder")
    prose = json.loads(json.dumps(before))
    prose["inputs"]["notebook"] = "n2"
    assert decide(before, prose)[0] == "re-rendered"
    version = dict(before, data_version="v2")
    assert decide(before, version) == ("re-rendered", "the data version changed, not the data it read")


@pytest.mark.slow
def test_a_prose_edit_re_renders_and_a_data_edit_re_runs_byte_for_byte_like_a_forced_build(ws):
    edit_notebook(ws / "notebooks" / "timeline.ipynb", lambda cells: append_to_source(first(cells, "markdown"), "\n\nEdited prose."))
    edit_note(ws / "data" / "pledges.csv")
    refresh_hashes(ws / "data")
    cli = [sys.executable, "-m", "haiti_mission", "reports", "--out", str(ws / "reports"), "--quiet", "--jobs", "2"]
    result = subprocess.run(cli, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((ws / "reports" / "manifest.json").read_text(encoding="utf-8"))
    runs = {name: entry["build"]["run"] for name, entry in manifest["reports"].items()}
    assert runs == {"pledges-and-funding": "executed", "situation-report": "executed", "security-and-humanitarian": "executed",
                    "changes": "executed", "timeline": "re-rendered", "displacement": "re-rendered"}
    assert manifest["reports"]["pledges-and-funding"]["build"]["why"] == "data file pledges.csv changed"
    assert "Edited prose." in (ws / "reports" / "timeline.html").read_text(encoding="utf-8")
    forced_cli = [str(ws / "forced") if a == str(ws / "reports") else a for a in cli]
    forced = subprocess.run([*forced_cli, "--force"], capture_output=True, text=True, timeout=300)
    assert forced.returncode == 0, forced.stderr
    assert report_snapshot(ws / "reports") == report_snapshot(ws / "forced")
    again = subprocess.run(cli, capture_output=True, text=True, timeout=300)
    assert "nothing changed, nothing was rewritten" in again.stdout
