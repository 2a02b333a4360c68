"""The report pipeline: parameters checked before any kernel, real papermill runs, all-or-nothing output."""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, report_snapshot, snapshot

from haiti_mission.errors import ReportError
from haiti_mission.notebook.parameters import (
    ParameterError,
    check_parameters,
    notebook_parameters,
)
from haiti_mission.pipeline.build import run_reports
from haiti_mission.pipeline.plan import plan_reports

CLI = [sys.executable, "-m", "haiti_mission"]
NOTEBOOKS = ["changes", "displacement", "pledges-and-funding", "security-and-humanitarian", "situation-report", "timeline"]


def cli(*args, cwd=None, env=None, timeout=300):
    return subprocess.run([*CLI, *args], cwd=cwd or ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def outputs(path: Path) -> list:
    """The outputs of every code cell, without execution counts (what a reader sees)."""
    nb = nbformat.read(path, as_version=4)
    return [[{k: v for k, v in o.items() if k != "execution_count"} for o in c.outputs] for c in nb.cells if c.cell_type == "code" and c.outputs]


def text_of(path: Path) -> str:
    """All plain-text outputs of an executed notebook, joined."""
    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            parts.append(o.get("data", {}).get("text/plain", "") if "data" in o else o.get("text", ""))
    return "\n".join(parts)


# ---------------------------------------------------------------- parameters, before any kernel

def test_every_notebook_declares_annotated_parameters_with_help():
    for name in NOTEBOOKS:
        params = notebook_parameters(name)
        assert params, name
        for p in params.values():
            assert p.help, f"{name}.{p.name} has no one-line comment"
            assert p.annotation in {"str", "list[str]"}


def test_defaults_plan_every_notebook():
    plans = plan_reports()
    assert [p.name for p in plans] == NOTEBOOKS
    situation = next(p for p in plans if p.name == "situation-report")
    assert situation.given == {}
    assert dt.date.fromisoformat(situation.resolved["as_of"]) <= dt.date.today()


@pytest.mark.parametrize("notebook,values,fragment", [
    ("timeline", {"colour": "red"}, "parameter 'colour': unknown parameter"),
    ("situation-report", {"as_of": 20240301}, "parameter 'as_of': expected str, got int"),
    ("situation-report", {"as_of": "2024-02-30"}, "parameter 'as_of': '2024-02-30' is not a calendar date"),
    ("situation-report", {"as_of": "2999-01-01"}, "parameter 'as_of': 2999-01-01 is in the future"),
    ("displacement", {"start": "2025-01-01", "end": "2024-01-01"}, "parameter 'start': start 2025-01-01 is after end 2024-01-01"),
    ("displacement", {"area": "Atlantis"}, "parameter 'area': unknown area 'Atlantis'"),
    ("pledges-and-funding", {"force": "UN"}, "parameter 'force': unknown force 'UN'"),
    ("timeline", {"categories": ["legal", "sports"]}, "parameter 'categories': unknown category 'sports'"),
])
def test_bad_parameters_are_refused_naming_notebook_and_parameter(notebook, values, fragment):
    with pytest.raises(ParameterError) as err:
        check_parameters(notebook, **values)
    assert f"notebook {notebook!r}" in str(err.value)
    assert fragment in str(err.value)


@pytest.mark.slow
def test_cli_refuses_bad_parameters_before_any_kernel_starts(tmp_path):
    out = tmp_path / "reports"
    started = time.monotonic()
    result = cli("reports", "--out", str(out), "--only", "timeline", "--as-of", "2024-13-01", "--quiet")
    assert result.returncode == 2
    assert "notebook 'timeline', parameter 'end'" in result.stderr
    assert not out.exists() and not list(tmp_path.iterdir())
    assert time.monotonic() - started < 30  # no kernel: a run would take longer and leave files


def test_cli_refuses_unknown_notebook_and_path_like_names(tmp_path):
    for name in ("weather", "../../etc/passwd"):
        result = cli("reports", "--out", str(tmp_path / "r"), "--only", name, "--quiet")
        assert result.returncode == 2, result.stderr
        assert "no such report notebook" in result.stderr
    assert not list(tmp_path.iterdir())


def test_params_file_keys_are_checked(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("as_of: 2024-03-01\ndisplacement:\n  area: Grand Sud\n", encoding="utf-8")
    plans = {p.name: p for p in plan_reports(params_file=str(good))}
    assert plans["situation-report"].given == {"as_of": "2024-03-01"}  # a YAML date stays text
    assert plans["displacement"].given == {"as_of": "2024-03-01", "area": "Grand Sud"}
    assert plans["timeline"].given == {}
    bad = tmp_path / "bad.yaml"
    bad.write_text("colour: red\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="'colour': is neither a report notebook nor a parameter"):
        plan_reports(params_file=str(bad))


# ---------------------------------------------------------------- real runs

@pytest.mark.slow
def test_committed_reports_are_exactly_what_the_pipeline_produces(tmp_path):
    """The README's main command reproduces reports/ byte for byte."""
    out = tmp_path / "reports"
    result = cli("reports", "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    assert report_snapshot(out) == report_snapshot(ROOT / "reports")
    for name in NOTEBOOKS:
        assert f"{name}: " in result.stdout
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{n}.html"' in index for n in NOTEBOOKS)


@pytest.mark.slow
def test_before_the_mission_existed_reports_say_so(tmp_path):
    out = tmp_path / "reports"
    result = cli("reports", "--out", str(out), "--as-of", "2023-06-01", "--quiet")
    assert result.returncode == 0, result.stderr
    situation = text_of(out / "situation-report.ipynb")
    assert "Report date: 1 June 2023" in situation
    assert "no deployment had happened yet" in situation
    assert "No country had offered personnel by the report date" in situation
    pledges = text_of(out / "pledges-and-funding.ipynb")
    assert "No country had offered personnel by this date." in pledges
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["reports"]["timeline"]["given"] == {"end": "2023-06-01"}
    assert "Events from 1 October 2022 to 1 June 2023" in text_of(out / "timeline.ipynb")


@pytest.mark.slow
def test_other_parameters_change_the_reports(tmp_path):
    params = tmp_path / "p.yaml"
    params.write_text(
        "displacement:\n  area: Centre\n  start: 2023-01-01\n"
        "pledges-and-funding:\n  force: GSF\n"
        "timeline:\n  categories: [legal, un_security_council]\n",
        encoding="utf-8",
    )
    out = tmp_path / "reports"
    result = cli("reports", "--out", str(out), "--params", str(params), "--only", "displacement", "pledges-and-funding", "timeline", "--quiet", "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert "Every figure for the selected area (Centre)" in text_of(out / "displacement.ipynb")
    assert "force: GSF" in text_of(out / "pledges-and-funding.ipynb")
    timeline = text_of(out / "timeline.ipynb")
    assert "categories: legal, un_security_council" in timeline
    table = timeline.split("Events in the window")[1]
    shown = set(re.findall(r"^\s*\d{4}-\d{2}-\d{2}\s+(?:day|month|year)\s+(\w+)", table, flags=re.M))
    assert shown == {"legal", "un_security_council"}
    assert not (out / "situation-report.html").exists()


@pytest.mark.slow
def test_plain_papermill_from_another_folder_gives_the_same_outputs(tmp_path):
    ours = tmp_path / "ours"
    result = cli("reports", "--out", str(ours), "--only", "situation-report", "--as-of", "2024-03-01", "--quiet")
    assert result.returncode == 0, result.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    papermill = Path(sys.executable).with_name("papermill")
    run = subprocess.run([str(papermill), str(ROOT / "notebooks" / "situation-report.ipynb"), "out.ipynb", "-p", "as_of", "2024-03-01", "--no-progress-bar"],
                         cwd=elsewhere, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    theirs = outputs(elsewhere / "out.ipynb")
    assert theirs == outputs(ours / "situation-report.ipynb")
    # What was known when Kenya and Haiti signed their agreement: IOM's "more than 310,000" of
    # January 2024, and the founding article's older "about 200,000" shown beside it.
    text = text_of(elsewhere / "out.ipynb")
    assert "Report date: 1 March 2024" in text
    assert "310,000" in text and "200,000" in text


def _failing_notebooks(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    shutil.copy(ROOT / "notebooks" / "timeline.ipynb", folder)
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells = [
        nbformat.v4.new_code_cell('when: str = "now"  # a parameter', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import time\ntime.sleep(1)\nraise RuntimeError('deliberate failure')"),
    ]
    nbformat.write(nb, folder / "zz-broken.ipynb")
    return folder


@pytest.mark.slow
def test_a_failing_notebook_leaves_previous_reports_byte_for_byte(tmp_path):
    out = tmp_path / "reports"
    shutil.copytree(ROOT / "reports", out)
    before = snapshot(out)
    env = dict(os.environ, HAITI_MISSION_NOTEBOOKS=str(_failing_notebooks(tmp_path)))
    result = cli("reports", "--out", str(out), "--quiet", "--jobs", "2", env=env)
    assert result.returncode == 1
    assert "notebook 'zz-broken' failed in cell 1" in result.stderr
    assert "RuntimeError: deliberate failure" in result.stderr
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notebooks", "reports"]  # no staging left


@pytest.mark.slow
def test_run_reports_api_raises_report_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HAITI_MISSION_NOTEBOOKS", str(_failing_notebooks(tmp_path)))
    plans = plan_reports(["zz-broken"])
    with pytest.raises(ReportError, match="zz-broken"):
        run_reports(plans, tmp_path / "out", jobs=1, progress=False)
    assert not (tmp_path / "out").exists()
