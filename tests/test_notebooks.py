"""The committed notebooks: strict nbval, nothing volatile in them, and an in-place refresh that changes nothing.

The main test run re-executes every notebook under strict nbval (``testpaths`` holds ``notebooks``).
These tests prove the rest: nbval passes a second time in a separate process, it fails when a data
value behind an output changes, and the committed files hold nothing that differs from run to run.
"""
from __future__ import annotations

import base64
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import matplotlib
import nbformat
import numpy
import pandas
import pytest
from conftest import DATA, ROOT

from haiti_mission.notebook.present import long_date

NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# Keys that papermill, nbclient and JupyterLab write and that change on every run.
VOLATILE_KEYS = {
    "start_time", "end_time", "duration", "exception", "status", "execution", "ExecuteTime",
    "iopub.execute_input", "iopub.status.busy", "iopub.status.idle", "shell.execute_reply",
    "shell.execute_reply.started", "input_path", "output_path", "environment_variables", "widgets",
}


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def outputs_of(nb):
    """Yield (cell index, output) for every output of every code cell."""
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            yield index, output


def text_outputs(nb) -> list[tuple[int, str, str]]:
    """Every textual output as (cell index, mime type or stream name, text); images left out."""
    found = []
    for index, output in outputs_of(nb):
        if output.output_type == "stream":
            found.append((index, output.name, output.text))
        elif output.output_type == "error":
            found.append((index, "error", "\n".join(output.traceback)))
        for mime, value in output.get("data", {}).items():
            if not mime.startswith("image/"):
                found.append((index, mime, value if isinstance(value, str) else "\n".join(value)))
    return found


def nbval_run(*args: str, cwd: Path, env_extra: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run strict nbval in a separate pytest process, isolated from this project's pytest settings.

    ``-c /dev/null`` and ``--rootdir`` keep pyproject's addopts (which already hold --nbval) from
    applying twice; ``-p no:cacheprovider`` keeps it from writing a cache next to the notebooks.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HAITI_MISSION_", "PYTEST_"))}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-c", os.devnull, "--rootdir", str(cwd), "-p", "no:cacheprovider",
         "--color=no", "--nbval", "--nbval-current-env", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
    )


GUIDES = ["start-here"]


def test_reports_and_guides_are_told_apart_by_the_notebooks_metadata():
    from haiti_mission.notebook.parameters import available_notebooks

    assert available_notebooks() == ["changes", "displacement", "pledges-and-funding", "security-and-humanitarian", "situation-report", "timeline"]
    assert available_notebooks(reports_only=False) == sorted(available_notebooks() + GUIDES) == [p.stem for p in NOTEBOOKS]
    for name in GUIDES:
        nb = read(NOTEBOOK_DIR / f"{name}.ipynb")
        assert nb.metadata["haiti_mission"] == {"report": False}, name
        assert not any("parameters" in c.metadata.get("tags", []) for c in nb.cells), f"{name}: a guide takes no parameters"
        cells = code_cells(nb)
        assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1)) and all(c.outputs for c in cells), name


def test_there_are_notebooks_and_each_is_committed_with_the_outputs_of_a_default_run():
    assert [p.stem for p in NOTEBOOKS if p.stem not in GUIDES] == ["changes", "displacement", "pledges-and-funding", "security-and-humanitarian", "situation-report", "timeline"]
    for path in (p for p in NOTEBOOKS if p.stem not in GUIDES):
        nb = read(path)
        cells = code_cells(nb)
        # nbval compares only cells that carry an execution count: every cell must, in run order.
        assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1)), f"{path.name}: not one clean top-to-bottom run"
        assert sum(len(c.outputs) for c in cells) >= 3, f"{path.name}: committed without its outputs"
        tags = [t for c in nb.cells for t in c.metadata.get("tags", [])]
        assert tags.count("parameters") == 1, path.name
        assert "injected-parameters" not in tags, f"{path.name}: committed from a run with non-default parameters"
        assert nb.metadata.kernelspec.name == "python3", path.name


def test_strict_nbval_is_part_of_the_test_command():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    addopts = config["addopts"].split()
    assert "--nbval" in addopts and "--nbval-lax" not in addopts
    assert "--nbval-current-env" in addopts
    assert "notebooks" in config["testpaths"]
    # The recipe may run other checks first (lint-imports); pytest itself runs with no extra options.
    assert re.search(r"^test:.*\n(?:\t.*\n)*\t\$\(BIN\)/python -m pytest$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)
    # Strict means every output is compared: no cell opts out by a comment or a tag.
    for path in NOTEBOOKS:
        for cell in code_cells(read(path)):
            assert not re.search(r"#\s*NBVAL_", cell.source), f"{path.name}: a cell opts out of nbval"
            assert not {"nbval-ignore-output", "nbval-skip", "raises-exception"} & set(cell.metadata.get("tags", [])), path.name


def test_a_sanitize_file_if_any_is_wired_in_and_explains_every_pattern():
    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]["addopts"]
    sanitize = NOTEBOOK_DIR / "nbval-sanitize.cfg"
    if not sanitize.exists():
        assert "--nbval-sanitize-with" not in addopts, "addopts name a sanitize file that does not exist"
        return
    assert f"--nbval-sanitize-with {sanitize.relative_to(ROOT)}" in addopts
    lines = sanitize.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("regex:"):
            assert i > 0 and lines[i - 1].startswith("#"), f"{sanitize.name}, line {i + 1}: pattern without a comment saying why"
            assert lines[i + 1].startswith("replace:"), f"{sanitize.name}, line {i + 1}: regex without replace"


def test_committed_notebooks_hold_no_volatile_metadata():
    for path in NOTEBOOKS:
        nb = read(path)
        papermill = nb.metadata.get("papermill", {})
        assert set(papermill) <= {"parameters"}, f"{path.name}: papermill run metadata {sorted(papermill)}"
        places = [("notebook", nb.metadata)] + [(f"cell {i}", c.metadata) for i, c in enumerate(nb.cells)]
        for where, metadata in places:
            found = set(_all_keys(metadata)) & VOLATILE_KEYS
            assert not found, f"{path.name}, {where}: volatile metadata {sorted(found)}"
            if where != "notebook":
                assert "papermill" not in metadata, f"{path.name}, {where}: papermill cell metadata"


def _all_keys(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _all_keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _all_keys(item)


def _version_pattern(version: str) -> str:
    return rf"(?<![\d.]){re.escape(version)}(?![\d.])"


def test_outputs_hold_no_addresses_paths_versions_or_todays_date():
    today = dt.date.today()
    data_text = "".join(p.read_text(encoding="utf-8") for p in DATA.glob("*.csv"))
    patterns = {
        "a memory address": r"\b0x[0-9a-fA-F]{4,}|object at ",
        "a random id": r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
        "a timing": r"Wall time|CPU times|\d+(\.\d+)?\s?(ms|µs)\b",
        "an absolute path": "|".join(re.escape(str(p)) for p in {ROOT, Path.home(), Path(sys.prefix), Path(tempfile.gettempdir())})
        + r"|(?:^|[\s'\"(=])/(?:tmp|root|home|usr|opt|var|work|srv|mnt)/|[A-Za-z]:\\",
        "a library or Python version": "|".join(_version_pattern(v) for v in {
            pandas.__version__, numpy.__version__, matplotlib.__version__, sys.version.split()[0],
        }) + r"|Python \d+\.\d+",
    }
    # The data may legitimately hold today's date (a source published today); otherwise it must not show.
    if today.isoformat() not in data_text:
        patterns["today's date"] = "|".join(re.escape(s) for s in {today.isoformat(), long_date(today), today.strftime("%B %d, %Y")})
    for path in NOTEBOOKS:
        for index, kind, text in text_outputs(read(path)):
            assert kind not in ("stderr", "error"), f"{path.name}, cell {index}: {kind} output: {text[:300]}"
            for what, pattern in patterns.items():
                match = re.search(pattern, text, re.M)
                assert not match, f"{path.name}, cell {index} ({kind}) shows {what}: {text[max(0, match.start() - 60):match.end() + 60]!r}"


def png_chunks(png: bytes) -> list[str]:
    """Return the chunk types of a PNG file, in order."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n"), "not a PNG"
    types, at = [], 8
    while at < len(png):
        length = int.from_bytes(png[at:at + 4], "big")
        types.append(png[at + 4:at + 8].decode("ascii"))
        at += 12 + length
    return types


def test_figures_carry_no_date_software_or_version():
    figures = 0
    for path in NOTEBOOKS:
        for index, output in outputs_of(read(path)):
            data = output.get("data", {})
            if "image/svg+xml" in data:
                figures += 1
                svg = data["image/svg+xml"]
                for marker in ("<dc:date", "<dc:creator", "Matplotlib v", "matplotlib.org", matplotlib.__version__):
                    assert marker not in svg, f"{path.name}, cell {index}: SVG holds {marker!r}"
                assert "image/png" in data, f"{path.name}, cell {index}: figure without its PNG"
                png = base64.b64decode(data["image/png"])
                chunks = png_chunks(png)
                assert not {"tEXt", "iTXt", "zTXt", "tIME"} & set(chunks), f"{path.name}, cell {index}: PNG chunks {chunks}"
    assert figures >= 4


@pytest.mark.slow
def test_nbval_passes_again_in_a_separate_process():
    """With the main run's own nbval pass, the committed notebooks pass strict nbval twice in a row."""
    result = nbval_run(*(str(p.relative_to(ROOT)) for p in NOTEBOOKS), cwd=ROOT)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    expected = sum(len(code_cells(read(p))) for p in NOTEBOOKS)
    assert re.search(rf"\b{expected} passed\b", summary) and "failed" not in summary and "skipped" not in summary, summary


@pytest.mark.slow
def test_nbval_reports_an_output_that_no_longer_matches_the_data(tmp_path):
    """Change one displacement figure in a copy of the data: nbval fails that cell and shows both values."""
    shutil.copytree(DATA, tmp_path / "data")
    (tmp_path / "notebooks").mkdir()
    shutil.copy(NOTEBOOK_DIR / "displacement.ipynb", tmp_path / "notebooks")
    csv = tmp_path / "data" / "displacement.csv"
    # IOM's Artibonite round 2 count, shown only in the table of department figures.
    row = re.compile(r"^(dis-0022,2023-06-19,[^\n]*?,idps,)22440(,persons,)", re.M)
    text, replaced = row.subn(r"\g<1>22441\g<2>", csv.read_text(encoding="utf-8"))
    assert replaced == 1, "the record this test changes is gone: pick another figure that a notebook shows"
    csv.write_text(text, encoding="utf-8")
    assert "22,440" in nbformat.writes(read(NOTEBOOK_DIR / "displacement.ipynb"))

    result = nbval_run("notebooks/displacement.ipynb", cwd=tmp_path, env_extra={"HAITI_MISSION_DATA": str(tmp_path / "data")})
    out = ANSI.sub("", result.stdout)
    assert result.returncode == 1, out[-3000:] + result.stderr[-2000:]
    failed = re.findall(r"^FAILED (.+?::Cell \d+)", out, re.M)
    table_cell = next(i for i, c in enumerate(code_cells(read(NOTEBOOK_DIR / "displacement.ipynb"))) if "department_figures" in c.source)
    assert failed == [f"notebooks/displacement.ipynb::Cell {table_cell}"], out[-3000:]
    assert "Cell outputs differ" in out
    assert re.search(r"^\s*[-+].*22,441", out, re.M) and re.search(r"^\s*[-+].*22,440", out, re.M), out[-3000:]


@pytest.mark.slow
def test_refreshing_the_notebooks_in_place_changes_no_byte(tmp_path):
    """`haiti-mission notebooks` on a copy: an emptied notebook gets its outputs back, byte for byte."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for path in NOTEBOOKS:
        shutil.copy(path, folder)
    emptied = folder / "timeline.ipynb"
    nb = read(emptied)
    for cell in code_cells(nb):
        cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, emptied)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAITI_MISSION_")}
    env["HAITI_MISSION_NOTEBOOKS"] = str(folder)
    cli = Path(sys.executable).with_name("haiti-mission")
    result = subprocess.run([str(cli), "notebooks", "--quiet", "--jobs", "2"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["updated notebooks/timeline.ipynb"], result.stdout
    for path in NOTEBOOKS:
        assert (folder / path.name).read_bytes() == path.read_bytes(), f"{path.name} changed when re-executed in place"
    assert sorted(p.name for p in folder.iterdir()) == [p.name for p in NOTEBOOKS], "refresh left files behind"
