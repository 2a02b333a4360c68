"""The shortcuts that make loading large data cheap give the verdicts and values of the plain path.

- A text column is checked all at once (``cells.all_plain_text``): the same verdict as checking
  each text, on texts built from every character the text rule treats specially.
- A CSV is read line by line from its bytes: rows, values and row numbers are those of the csv
  module reading the whole text, whatever the line endings and whatever a quoted cell holds.
- ``frames.preload`` (the report run's fork server) gives the frames ``load`` builds, keeps no
  parsed table, and keeps nothing when the data is invalid.
- The fork server tells the run whether the data is valid, and the run still refuses invalid data
  with the problems named.
"""
from __future__ import annotations

import csv
import io
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from haiti_mission.datapackage import csvfile, frames
from haiti_mission.datapackage.cells import CELL_LIMIT, all_plain_text, cell_reader
from haiti_mission.datapackage.descriptor import read_package
from haiti_mission.datapackage.fields import Field
from haiti_mission.errors import DataError

# Characters the text rule treats specially (controls, blanks, formula starts, separators that
# str.splitlines would break at), with plain ones.
SPECIAL = "\x00\x01\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\xa0\u2000\u2028\u2029\u200b\u202e\u2066\ufeff\u3000 =+-@"
CHARS = st.sampled_from(list(SPECIAL) + list("ab,\"é1"))
FIELDS = [
    Field("text", "string"),
    Field("text", "string", multiline=True),
    Field("text", "string", min_length=2, max_length=4),
    Field("text", "string", pattern="[a-z ]+"),
    Field("text", "string", pattern="^[ab]+$"),
]


@settings(max_examples=3000, deadline=None)
@given(texts=st.sets(st.text(CHARS, min_size=1, max_size=5), min_size=1, max_size=4), which=st.integers(0, len(FIELDS) - 1))
def test_a_text_column_checked_at_once_gets_the_verdict_of_each_text_checked(texts, which):
    fld = FIELDS[which]
    each = all(cell_reader(fld)(text)[1] is None for text in texts)
    assert all_plain_text(texts, fld) == each


def test_a_text_column_with_a_cell_over_the_limit_is_not_passed():
    fld = Field("text", "string")
    assert all_plain_text({"a" * CELL_LIMIT}, fld)
    assert not all_plain_text({"a" * (CELL_LIMIT + 1)}, fld)


def _rows_as_text_reader_sees_them(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8"), newline=""), strict=True))


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("inside", ["plain", "line break", "\x1c", "\x0b", "\u2028", "\x85"])
def test_a_csv_read_from_its_bytes_gives_the_rows_of_the_whole_text(data_copy, ending, inside):
    package = read_package(data_copy)
    resource = package.resource("timeline")
    path = package.file_of(resource)
    rows = _rows_as_text_reader_sees_them(path.read_bytes())
    notes = rows[0].index("notes") if "notes" in rows[0] else len(rows[0]) - 1
    cell = {"plain": "a note", "line break": "two\nlines"}.get(inside, f"odd{inside}char")
    rows[3][notes] = cell
    out = io.StringIO(newline="")
    # A line break is written inside quotes (the writer quotes only what holds its own line end).
    csv.writer(out, lineterminator=ending, quoting=csv.QUOTE_ALL if inside == "line break" else csv.QUOTE_MINIMAL).writerows(rows)
    raw = out.getvalue().encode("utf-8")
    path.write_bytes(raw)
    table, problems = csvfile.read_table(package, resource)
    expected = _rows_as_text_reader_sees_them(raw)
    assert table.row_count == len(expected) - 1 == len(rows) - 1
    name = rows[0][notes]
    if inside == "plain" or (inside == "line break" and resource.field(name).multiline):
        assert not problems
        assert table.columns[name][2] == cell
    else:
        # The bad cell is named at its own row (the header is row 1), whatever splits the lines.
        assert [(p.row, p.field) for p in problems] == [(4, name)], problems
    for index, fld in enumerate(resource.fields):
        if fld.type == "string" and not problems:
            assert [v or "" for v in table.columns[fld.name]] == [r[index] for r in expected[1:]]


def test_preload_gives_the_frames_load_builds_and_keeps_no_parsed_table(data_copy):
    frames._cache.clear()
    csvfile.forget_parsed()
    names = frames.datasets()
    loaded = {name: frames.load(name) for name in names}
    known = {name: frames.known_dates(name) for name in names}
    dated = {name: frames.load(name, "2024-06-30") for name in names}
    frames._cache.clear()
    csvfile.forget_parsed()
    assert frames.preload() is True
    assert not csvfile._parsed
    for name in names:
        pd.testing.assert_frame_equal(frames.load(name), loaded[name])
        pd.testing.assert_series_equal(frames.known_dates(name), known[name])
        pd.testing.assert_frame_equal(frames.load(name, "2024-06-30"), dated[name])
    assert not csvfile._parsed  # every load above was served from what preload kept


def test_preload_of_invalid_data_keeps_nothing_and_load_names_the_problem(data_copy):
    frames._cache.clear()
    path = data_copy / "pledges.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = next(csv.reader([lines[0]]))
    cells = next(csv.reader([lines[2]]))
    cells[header.index("date")] = "2024-02-30"
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerow(cells)
    lines[2] = out.getvalue()
    path.write_text("".join(lines), encoding="utf-8")
    assert frames.preload() is False
    assert not frames._cache and not csvfile._parsed
    with pytest.raises(DataError) as caught:
        frames.load("pledges")
    assert any(p.row == 3 and p.field == "date" and "calendar date" in p.message for p in caught.value.problems)


VERDICT = """
import sys
from haiti_mission.pipeline.kernels import WarmKernels
server = WarmKernels(1)
print(server.data_valid(), server.data_valid())
server.stop()
"""


def test_the_fork_server_tells_the_run_whether_the_data_is_valid(data_copy, tmp_path):
    def verdict() -> str:
        done = subprocess.run([sys.executable, "-c", VERDICT], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert verdict() == "True True"
    path = data_copy / "security.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", ";", 1), encoding="utf-8")
    assert verdict() == "False False"


def test_a_run_on_invalid_data_is_refused_with_the_problem_named(data_copy, tmp_path):
    path = data_copy / "sources.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("https://", "=https://", 1), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "haiti_mission", "reports", "--out", str(tmp_path / "out"), "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "sources.csv" in done.stderr and "url" in done.stderr and "formula" in done.stderr, done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["pledges", "security", "food_security"])
def test_with_sources_is_the_left_join_on_the_source_id(name):
    from haiti_mission.analysis.provenance import source_ranks, sources_behind, with_sources

    sources = frames.load("sources")
    rows = frames.load(name).iloc[::2].copy()
    rows.loc[rows.index[0], "source_id"] = "no-such-source"
    info = sources[["source_id", "publisher", "kind", "published", "published_precision", "url"]].rename(
        columns=lambda c: c if c == "source_id" else f"source_{c}")
    joined = rows.merge(info, on="source_id", how="left", validate="many_to_one")
    joined["source_rank"] = joined["source_kind"].astype("str").map(source_ranks()).astype("Int64")
    pd.testing.assert_frame_equal(with_sources(rows, sources), joined)
    assert with_sources(rows, sources)["source_publisher"].isna().sum() == 1
    behind = sources_behind(rows, sources)
    assert set(behind["source_id"]) == set(rows["source_id"]) - {"no-such-source"}
    ranks = behind["kind"].astype("str").map(source_ranks()).tolist()
    assert ranks == sorted(ranks)


@pytest.mark.parametrize("name", ["displacement", "pledges", "funding", "security", "timeline"])
def test_sources_sorted_once_give_the_sources_behind_any_rows(name):
    from haiti_mission.analysis.provenance import RankedSources, sources_behind

    sources = frames.load("sources")
    ranked = RankedSources(sources)
    rows = frames.load(name)
    for part in (rows, rows.iloc[::7], rows.iloc[:0], [rows.iloc[:5], frames.load("sources").iloc[:3]]):
        expected = sources_behind(part, sources)
        for limit in (None, 3, 12):
            shown, count = ranked.behind(part, limit)
            assert count == len(expected)
            pd.testing.assert_frame_equal(shown, expected.head(limit) if limit else expected)
