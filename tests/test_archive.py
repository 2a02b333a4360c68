"""The archive: the reports as known on each date, incremental by date, all or nothing."""
from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from conftest import DATA, ROOT, report_snapshot, snapshot

from haiti_mission.datapackage.checksums import refresh_hashes
from haiti_mission.errors import ParameterError
from haiti_mission.pipeline.archive import archive_dates
from haiti_mission.queries.headlines import INDICATORS, known_headlines

DATES = ["2025-04-30", "2025-05-31"]
ONLY = ["situation-report", "timeline"]


def test_archive_dates():
    assert archive_dates("2024-01-15", "2024-04-30") == ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"]
    assert archive_dates("2024-01-01", "2024-12-30", "quarter") == ["2024-03-31", "2024-06-30", "2024-09-30"]
    assert archive_dates("2024-01-01", "2024-01-21", "week") == ["2024-01-07", "2024-01-14", "2024-01-21"]
    for args, fragment in [(("2024-05-01", "2024-01-01"), "parameter 'start': start 2024-05-01 is after end"),
                           (("2024-02-30", "2024-03-31"), "parameter 'start': '2024-02-30' is not a date"),
                           (("2024-01-01", "2024-01-20"), "parameter 'end': no month ends between"),
                           (("2024-01-01", "2024-03-31", "year"), "parameter 'every': unknown period 'year'")]:
        with pytest.raises(ParameterError, match=fragment):
            archive_dates(*args)


def test_known_headlines_match_the_situation_report():
    from haiti_mission import load, sources
    from haiti_mission.analysis.situation import headline_figures

    day = "2025-06-30"
    ours = known_headlines(day).set_index("indicator")
    data = {n: load(n, as_of=day) for n in ("displacement", "pledges", "funding", "security", "food_security", "humanitarian_plans")}
    theirs = headline_figures(data["displacement"], data["pledges"], data["funding"], sources(), outcomes=data, as_of=day).set_index("indicator")
    assert list(ours.columns) == ["value", "unit", "qualifier", "date", "source_id"]
    for name in ours.index:
        assert ours.loc[name, "value"] == theirs.loc[name, "value"], name
        assert ours.loc[name, "source_id"] == theirs.loc[name, "source_id"], name
    before = known_headlines("2021-01-01")  # before any source of the package
    assert before["value"].isna().all() and len(before) == len(INDICATORS)


def add_source_and_event(data, published: str) -> None:
    """A source published on ``published`` and a timeline event it reports, the day before."""
    def append(name, change):
        path = data / name
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
        row = dict(zip(rows[0], rows[1]))
        change(row)
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows + [[row[k] for k in rows[0]]])
        path.write_text(buf.getvalue(), encoding="utf-8")

    append("sources.csv", lambda r: r.update(source_id="test-new-source", url="https://example.org/new", published=published,
                                             published_precision="day", title="A new report"))
    day_before = (pd.Timestamp(published) - pd.Timedelta(days=1)).date().isoformat()
    append("timeline.csv", lambda r: r.update(event_id="test-new-event", date=day_before, date_precision="day", milestone="",
                                              title="An event reported later", source_id="test-new-source"))
    refresh_hashes(data)


@pytest.mark.slow
def test_an_archive_rebuilds_only_the_dates_a_new_source_can_change(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("HAITI_MISSION_", "PYTEST_"))}
    env["HAITI_MISSION_DATA"] = str(data)
    out = tmp_path / "archive"

    def archive(*extra, target=out):
        cmd = [sys.executable, "-m", "haiti_mission", "archive", "--start", DATES[0], "--end", DATES[-1], "--only", *ONLY,
               "--out", str(target), "--jobs", "2", "--quiet", *extra]
        return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)

    first = archive()
    assert first.returncode == 0, first.stderr
    assert f"2 dates from {DATES[0]} to {DATES[-1]}, 4 reports (4 executed)" in first.stdout
    index = (out / "index.html").read_text(encoding="utf-8")
    for day in DATES:
        assert f'href="{day}/situation-report.html"' in index and f'href="{day}/timeline.html"' in index
        manifest = json.loads((out / day / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["reports"]["situation-report"]["resolved"] == {"as_of": day}
        assert manifest["reports"]["timeline"]["given"] == {"end": day}
    assert index.count("People internally displaced") == 1 and "figures/headlines.svg" in index
    assert (out / "figures" / "headlines.svg").stat().st_size > 1000

    add_source_and_event(data, "2025-05-10")
    second = archive()
    assert second.returncode == 0, second.stderr
    runs = {(day, name): json.loads((out / day / "manifest.json").read_text(encoding="utf-8"))["reports"][name]["build"]
            for day in DATES for name in ONLY}
    for day in DATES[:1]:  # before the source was published: the data as known then did not change
        assert {runs[day, n]["run"] for n in ONLY} == {"re-rendered"}, runs  # only the data version in the footer
    for name in ONLY:
        assert runs[DATES[1], name] == {"run": "executed", "why": "data files sources.csv, timeline.csv changed (as known on 2025-05-31)"}
    assert "An event reported later" in (out / DATES[1] / "timeline.html").read_text(encoding="utf-8")

    forced = archive("--force", target=tmp_path / "forced")
    assert forced.returncode == 0, forced.stderr
    assert report_snapshot(out) == report_snapshot(tmp_path / "forced")  # byte for byte, every date and the index

    # A failed run keeps the previous archive as it was.
    before = snapshot(out)
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(ROOT / "notebooks" / "timeline.ipynb", notebooks)
    nb = json.loads((ROOT / "notebooks" / "situation-report.ipynb").read_text(encoding="utf-8"))
    nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "boom", "metadata": {}, "outputs": [],
                        "source": "raise RuntimeError('deliberate failure')"})
    (notebooks / "situation-report.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    env["HAITI_MISSION_NOTEBOOKS"] = str(notebooks)
    failed = archive()
    assert failed.returncode == 1
    assert "notebook 'situation-report' failed in cell" in failed.stderr and "(report for 2025-0" in failed.stderr
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["archive", "data", "forced", "notebooks"]
