"""A report run validates the data once and hands the typed tables to its kernels.

A kernel takes a shared table only when it is signed with the run's key and was built from the
exact bytes of the data files on disk; otherwise it parses and validates the files itself.
"""
from __future__ import annotations

import datetime as dt
import os
import stat

import pandas as pd
import pytest

import haiti_mission as hm
from haiti_mission.datapackage import frames as loading
from haiti_mission.datapackage.frames import SHARED_ENV, SHARED_KEY_ENV, known_by, share_tables
from haiti_mission.notebook.parameters import latest_publication
from haiti_mission.pipeline.build import run_reports
from haiti_mission.pipeline.plan import plan_reports


@pytest.fixture
def shared(data_copy, tmp_path, monkeypatch):
    """Tables shared from a copy of the data; this process then loads as a kernel would."""
    env = share_tables(tmp_path / "tables")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    loading._cache.clear()
    yield tmp_path / "tables"
    loading._cache.clear()


def _fresh(name: str) -> pd.DataFrame:
    loading._cache.clear()
    return hm.load(name)


def test_share_tables_writes_one_private_file_per_dataset(shared):
    assert stat.S_IMODE(shared.stat().st_mode) == 0o700
    files = sorted(p.name for p in shared.iterdir())
    assert files == sorted(f"{n}.tables" for n in hm.datasets())
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in shared.iterdir())
    assert set(os.environ[SHARED_KEY_ENV]) <= set("0123456789abcdef") and len(os.environ[SHARED_KEY_ENV]) == 64


@pytest.mark.parametrize("name", ["sources", "displacement", "pledges", "funding", "timeline"])
def test_a_kernel_gets_the_same_tables_from_the_run(shared, name, monkeypatch):
    package = loading.read_package()
    assert loading._from_shared(package, name, dt.date.today()) is not None
    from_run = hm.load(name)
    as_of = hm.load(name, as_of="2024-09-01")
    monkeypatch.delenv(SHARED_ENV)
    pd.testing.assert_frame_equal(from_run, _fresh(name), check_exact=True)
    pd.testing.assert_frame_equal(as_of, hm.load(name, as_of="2024-09-01"), check_exact=True)


def test_a_tampered_file_is_ignored(shared):
    package = loading.read_package()
    path = shared / "pledges.tables"
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 1
    path.write_bytes(bytes(blob))
    assert loading._from_shared(package, "pledges", dt.date.today()) is None
    assert len(_fresh("pledges")) > 0  # parsed from the CSV instead


def test_another_key_is_refused(shared, monkeypatch):
    monkeypatch.setenv(SHARED_KEY_ENV, "00" * 32)
    assert loading._from_shared(loading.read_package(), "sources", dt.date.today()) is None
    monkeypatch.setenv(SHARED_KEY_ENV, "not hex")
    assert loading._from_shared(loading.read_package(), "sources", dt.date.today()) is None


def test_data_changed_after_the_run_validated_it_is_read_again(shared, data_copy):
    package = loading.read_package()
    funding = data_copy / "funding.csv"
    funding.write_bytes(funding.read_bytes().replace(b"\n", b"\r\n", 1))  # same rows, other bytes
    assert loading._from_shared(package, "funding", dt.date.today()) is None
    # sources.csv is part of every dataset's key: changing it invalidates them all.
    sources = data_copy / "sources.csv"
    sources.write_bytes(sources.read_bytes() + b"\n")
    assert all(loading._from_shared(package, n, dt.date.today()) is None for n in hm.datasets())


def test_another_day_is_not_served_from_the_run(shared):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    assert loading._from_shared(loading.read_package(), "timeline", tomorrow) is None


def test_a_report_run_leaves_no_shared_tables_behind(data_copy, tmp_path):
    out = tmp_path / "reports"
    run_reports(plan_reports(["timeline"]), out, jobs=1, progress=False)
    assert (out / "timeline.html").is_file()
    assert not list(tmp_path.rglob("*.tables"))


def test_latest_publication_follows_the_known_by_rule():
    sources = hm.sources()
    expected = max(known_by(p.date(), str(q)) for p, q in zip(sources["published"], sources["published_precision"]) if not pd.isna(p))
    assert latest_publication() == expected


def test_dates_out_of_the_nanosecond_range_are_refused_as_before():
    with pytest.raises(pd.errors.OutOfBoundsDatetime):
        loading._dates([dt.date(1, 1, 1), None])
    assert loading._dates([dt.date(2024, 2, 29), None]).tolist()[0] == pd.Timestamp("2024-02-29")
    assert pd.isna(loading._dates([None]).iloc[0]) and str(loading._dates([]).dtype) == "datetime64[ns]"
