"""Disagreements: quantities reported by more than one source, listed side by side.

Fast unit tests build small frames inline; the integration tests add rows to a temporary copy of
the data (never the real files) and run the command line in a subprocess.
"""
from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from haiti_mission.analysis.disagreements import (
    DATE_COLUMN,
    DEFAULT_WINDOW_DAYS,
    QUANTITY_KEYS,
    disagreements,
    quantity_key,
    summarise,
    window_groups,
)
from haiti_mission.cli.disagreements import WINDOW_HELP_DEFAULT
from haiti_mission.datapackage.descriptor import read_package
from haiti_mission.queries.disagreements import all_disagreements

CLI = Path(sys.executable).parent / "haiti-mission"

SOURCES = pd.DataFrame({
    "source_id": ["src-a", "src-b", "src-c"],
    "publisher": ["Agency A", "Outlet B", "Ministry C"],
    "kind": ["wire", "news", "government"],
    "published": pd.to_datetime(["2025-02-07", "2025-02-01", "2025-02-10"]),
    "published_precision": ["day", "month", "day"],
    "url": ["https://example.org/a", "https://example.org/b", "https://example.org/c"],
})

# One valid-looking row per numeric dataset; tests override only what they are about.
BASE = {
    "displacement": {"date_precision": "day", "period_start": None, "area": "Haiti", "area_type": "country", "measure": "stock",
                     "metric": "idps", "value": 700000, "unit": "persons", "qualifier": "exact"},
    "pledges": {"date_precision": "day", "force": "MSS", "country": "Kenya", "iso3": "KEN", "measure": "arrived",
                "personnel": 144, "qualifier": "exact", "personnel_type": "police", "is_rotation": False,
                "contingent": None, "part_of": None},
    "funding": {"date_precision": "day", "force": "MSS", "donor": "United States", "iso3": "USA",
                "channel": "bilateral", "stage": "released", "amount": 95000000, "unit": "USD", "qualifier": "exact"},
}
VALUE = {"displacement": "value", "pledges": "personnel", "funding": "amount"}


def frame(dataset: str, *rows: dict) -> pd.DataFrame:
    """Rows of ``dataset`` from (record_id, date, source_id, overrides...) dictionaries, typed as load() types them."""
    records = [{**BASE[dataset], "note": "", **row} for row in rows]
    out = pd.DataFrame(records)
    out["date"] = pd.to_datetime(out["date"])
    if "period_start" in out:
        out["period_start"] = pd.to_datetime(out["period_start"])
    out[VALUE[dataset]] = out[VALUE[dataset]].astype("Int64")
    if "is_rotation" in out:
        out["is_rotation"] = out["is_rotation"].astype("boolean")
    return out


def row(record_id: str, date: str, source_id: str, **fields) -> dict:
    return {"record_id": record_id, "date": date, "source_id": source_id, **fields}


def ids(result: pd.DataFrame) -> list[str]:
    return result["record_id"].tolist()


# --- the grouping rule -------------------------------------------------------------------------

@pytest.mark.parametrize("second_date, grouped", [("2025-02-06", True), ("2025-02-13", True), ("2025-02-14", False)])
def test_window_includes_its_last_day_and_no_more(second_date, grouped):
    pledges = frame("pledges", row("pl-0001", "2025-02-06", "src-a"), row("pl-0002", second_date, "src-b", personnel=200))
    result = disagreements(pledges, "pledges", SOURCES, window_days=7)
    assert ids(result) == (["pl-0001", "pl-0002"] if grouped else [])


def test_window_is_anchored_on_the_first_row_of_a_group():
    # Day 0, 5 and 10 with a 7-day window: day 10 is 5 days after day 5 but 10 after day 0, so it
    # starts its own group (and, alone, is not listed). Chaining on the previous row would keep it.
    pledges = frame("pledges", row("pl-0001", "2025-02-01", "src-a"), row("pl-0002", "2025-02-06", "src-b"),
                    row("pl-0003", "2025-02-11", "src-c"))
    assert window_groups(pledges, quantity_key("pledges"), 7) == [1, 1, 2]
    assert ids(disagreements(pledges, "pledges", SOURCES, window_days=7)) == ["pl-0001", "pl-0002"]


def test_window_zero_compares_same_day_rows_only():
    pledges = frame("pledges", row("pl-0001", "2025-02-06", "src-a"), row("pl-0002", "2025-02-07", "src-b"),
                    row("pl-0003", "2025-02-06", "src-c", personnel=200))
    assert ids(disagreements(pledges, "pledges", SOURCES, window_days=0)) == ["pl-0001", "pl-0003"]


@pytest.mark.parametrize("change", [
    {"country": "Jamaica", "iso3": "JAM"},
    {"country": None, "iso3": None},          # mission-wide is its own quantity
    {"measure": "in_country"},
    {"personnel_type": "military"},           # a breakdown part, not a rival figure
    {"force": "GSF"},
    {"is_rotation": True},
])
def test_rows_of_different_quantities_are_not_compared(change):
    pledges = frame("pledges", row("pl-0001", "2025-02-06", "src-a"), row("pl-0002", "2025-02-06", "src-b", personnel=200, **change))
    assert disagreements(pledges, "pledges", SOURCES).empty
    # Control: the same two rows with the same key are compared, so the empty result above is the key's doing.
    same = frame("pledges", row("pl-0001", "2025-02-06", "src-a", **change), row("pl-0002", "2025-02-06", "src-b", personnel=200, **change))
    assert ids(disagreements(same, "pledges", SOURCES)) == ["pl-0001", "pl-0002"]


def test_one_source_restating_itself_is_not_a_disagreement():
    pledges = frame("pledges", row("pl-0001", "2025-02-06", "src-a"), row("pl-0002", "2025-02-07", "src-a", personnel=200))
    assert disagreements(pledges, "pledges", SOURCES).empty
    # A second source brings the whole group in, the first source's two rows included.
    pledges = pd.concat([pledges, frame("pledges", row("pl-0003", "2025-02-06", "src-b", personnel=168))], ignore_index=True)
    result = disagreements(pledges, "pledges", SOURCES)
    assert ids(result) == ["pl-0001", "pl-0003", "pl-0002"]
    assert result["source_count"].tolist() == [2, 2, 2]


def test_rows_without_a_number_are_ignored():
    pledges = frame("pledges", row("pl-0001", "2025-02-06", "src-a"),
                    row("pl-0002", "2025-02-06", "src-b", personnel=None, qualifier=None))
    assert disagreements(pledges, "pledges", SOURCES).empty
    pledges = pd.concat([pledges, frame("pledges", row("pl-0003", "2025-02-06", "src-c", personnel=200))], ignore_index=True)
    assert ids(disagreements(pledges, "pledges", SOURCES)) == ["pl-0001", "pl-0003"]


def test_differs_and_spread_are_per_group():
    pledges = frame("pledges",
                    row("pl-0001", "2025-02-06", "src-a", personnel=144), row("pl-0002", "2025-02-06", "src-b", personnel=200),
                    row("pl-0003", "2025-05-01", "src-a", personnel=75, country="Guatemala", iso3="GTM"),
                    row("pl-0004", "2025-05-02", "src-c", personnel=75, country="Guatemala", iso3="GTM", qualifier="approx"))
    result = disagreements(pledges, "pledges", SOURCES)
    by_group = result.groupby("group_id").agg(differs=("differs", "first"), low=("min_value", "first"), high=("max_value", "first"),
                                              rows=("record_id", "size"))
    assert by_group.loc["pledges-001"].tolist() == [False, 75, 75, 2]   # Guatemala sorts before Kenya
    assert by_group.loc["pledges-002"].tolist() == [True, 144, 200, 2]
    assert result.loc[result["record_id"] == "pl-0002", "value"].item() == 200


def test_output_carries_key_value_and_source_details():
    pledges = frame("pledges", row("pl-0001", "2025-02-06", "src-a"), row("pl-0002", "2025-02-06", "src-b", personnel=200))
    result = disagreements(pledges, "pledges", SOURCES)
    first = result.iloc[1]
    assert first["quantity"] == "MSS · Kenya · arrived · police"
    assert (first["country"], first["measure"], first["personnel_type"]) == ("Kenya", "arrived", "police")
    assert (first["source_publisher"], first["source_kind"], first["source_published_precision"]) == ("Outlet B", "news", "month")
    assert first["source_published"] == pd.Timestamp("2025-02-01")
    assert "personnel" not in result.columns and result["value"].dtype == "Int64"
    mission_wide = frame("pledges", row("pl-0001", "2025-02-06", "src-a", country=None, iso3=None, is_rotation=True),
                         row("pl-0002", "2025-02-06", "src-b", country=None, iso3=None, is_rotation=True))
    assert disagreements(mission_wide, "pledges", SOURCES)["quantity"].iloc[0] == "MSS · mission-wide · arrived · police · is_rotation"


def test_output_is_deterministic_whatever_the_input_order():
    pledges = frame("pledges",
                    row("pl-0001", "2025-02-06", "src-a", personnel=144), row("pl-0002", "2025-02-06", "src-b", personnel=200),
                    row("pl-0003", "2025-02-08", "src-c", personnel=168), row("pl-0004", "2024-06-25", "src-a", personnel=200),
                    row("pl-0005", "2024-06-25", "src-b", personnel=400), row("pl-0006", "2024-06-25", "src-c", country=None, iso3=None),
                    row("pl-0007", "2024-06-26", "src-b", country=None, iso3=None, personnel=210))
    expected = disagreements(pledges, "pledges", SOURCES)
    assert expected["group_id"].unique().tolist() == ["pledges-001", "pledges-002", "pledges-003"]
    assert ids(expected) == ["pl-0004", "pl-0005", "pl-0001", "pl-0002", "pl-0003", "pl-0006", "pl-0007"]
    for seed in range(5):
        shuffled = pledges.sample(frac=1, random_state=seed).reset_index(drop=True)
        pd.testing.assert_frame_equal(disagreements(shuffled, "pledges", SOURCES), expected)


@pytest.mark.parametrize("dataset, same, other", [
    ("displacement", {"value": 702973}, {"area": "Port-au-Prince metropolitan area", "area_type": "metro"}),
    ("displacement", {"value": 702973}, {"unit": "percent", "metric": "idps"}),
    ("funding", {"amount": 109000000}, {"stage": "pledged"}),
    ("funding", {"amount": 109000000}, {"unit": "CAD"}),
])
def test_other_datasets_group_by_their_own_key(dataset, same, other):
    prefix = {"displacement": "dis", "funding": "fu"}[dataset]
    rows = frame(dataset, row(f"{prefix}-0001", "2024-09-01", "src-a"), row(f"{prefix}-0002", "2024-09-01", "src-b", **same))
    result = disagreements(rows, dataset, SOURCES)
    assert ids(result) == [f"{prefix}-0001", f"{prefix}-0002"] and result["differs"].all()
    assert list(QUANTITY_KEYS[dataset]) == [c for c in result.columns if c in QUANTITY_KEYS[dataset]]
    rows = frame(dataset, row(f"{prefix}-0001", "2024-09-01", "src-a"), row(f"{prefix}-0002", "2024-09-01", "src-b", **same, **other))
    assert disagreements(rows, dataset, SOURCES).empty


def test_nothing_to_compare_gives_an_empty_table_with_the_same_columns():
    one = frame("pledges", row("pl-0001", "2025-02-06", "src-a"))
    two = frame("pledges", row("pl-0001", "2025-02-06", "src-a"), row("pl-0002", "2025-02-06", "src-b"))
    empty, full = disagreements(one, "pledges", SOURCES), disagreements(two, "pledges", SOURCES)
    assert empty.empty and len(full) == 2
    assert empty.columns.tolist() == full.columns.tolist()


def test_bad_arguments_are_refused():
    pledges = frame("pledges", row("pl-0001", "2025-02-06", "src-a"))
    with pytest.raises(ValueError, match="disagreements cover"):
        disagreements(pledges, "timeline", SOURCES)
    with pytest.raises(ValueError, match="zero or more"):
        disagreements(pledges, "pledges", SOURCES, window_days=-1)


def test_quantity_keys_name_fields_of_the_descriptor():
    package = read_package()
    derived = {"flow_period"}  # computed from period_start and measure
    for dataset, key in QUANTITY_KEYS.items():
        fields = package.resource(dataset).field_names
        assert set(key) - derived <= set(fields), dataset
        assert DATE_COLUMN.get(dataset, "date") in fields and "source_id" in fields and "qualifier" in fields


def test_help_shows_the_default_window_the_analysis_uses():
    assert WINDOW_HELP_DEFAULT == DEFAULT_WINDOW_DAYS


# --- the real data, on a temporary copy --------------------------------------------------------

# Two sources already in sources.csv: KBC published 5 February 2025, The Star 13 May 2025.
ADDED_PLEDGES = (
    "pl-0990,2025-03-10,day,MSS,Belize,BLZ,in_country,2,exact,military,false,,,kbc-20250205-monica-juma,test row\n"
    "pl-0991,2025-03-12,day,MSS,Belize,BLZ,in_country,3,approx,military,false,,,the-star-20250513-kenya-refunded,test row\n"
)


@pytest.fixture
def with_added_rows(data_copy: Path) -> Path:
    path = data_copy / "pledges.csv"
    path.write_bytes(path.read_bytes() + ADDED_PLEDGES.encode("utf-8"))
    return data_copy


def test_real_data_known_disagreements(data_copy):
    table = all_disagreements()
    assert set(table["dataset"]) == set(QUANTITY_KEYS)
    groups = table.groupby("group_id")
    kenya = {tuple(sorted(g["value"].tolist())) for _, g in groups if {"pl-0064", "pl-0065"} <= set(g["record_id"])}
    assert kenya == {(144, 200)}
    r8 = [g for _, g in groups if {"dis-0086", "dis-0091"} <= set(g["record_id"])]
    assert len(r8) == 1 and {700000, 702973} <= set(r8[0]["value"]) and r8[0]["differs"].all()
    # Every listed group has two sources at least, and one quantity key.
    for _, g in groups:
        assert g["source_id"].nunique() >= 2
        assert g["quantity"].nunique() == 1
    nothing = all_disagreements(as_of="2021-06-01")  # before any figure had a second source
    assert nothing.empty and nothing.columns.tolist() == table.columns.tolist()
    assert summarise(nothing, list(QUANTITY_KEYS))["groups"].tolist() == [0] * len(QUANTITY_KEYS)
    counts = summarise(table, list(QUANTITY_KEYS))
    assert counts["dataset"].tolist() == list(QUANTITY_KEYS)
    assert (counts["differing"] <= counts["groups"]).all() and counts["groups"].sum() == table["group_id"].nunique()


def test_added_rows_are_listed_side_by_side(with_added_rows):
    before_path = with_added_rows / "pledges.csv"
    table = all_disagreements(datasets=["pledges"])
    belize = table[table["record_id"].isin(["pl-0990", "pl-0991"])]
    assert len(belize) == 2 and belize["group_id"].nunique() == 1
    assert belize["quantity"].iloc[0] == "MSS · Belize · in_country · military"
    assert belize["value"].tolist() == [2, 3] and belize["differs"].all()
    assert belize["source_publisher"].tolist() == ["KBC (Kenya Broadcasting Corporation)", "The Star (Kenya)"]
    # As known on 1 April 2025 The Star's report was not yet out: nothing left to compare.
    early = all_disagreements(datasets=["pledges"], as_of="2025-04-01")
    assert not early["record_id"].isin(["pl-0990", "pl-0991"]).any()
    assert before_path.read_bytes().endswith(ADDED_PLEDGES.encode("utf-8"))  # read, never rewritten


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CLI), "disagreements", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.slow
def test_cli_text_shows_the_added_group_as_one_block(with_added_rows):
    done = _run("--dataset", "pledges", "--only-differing")
    assert done.returncode == 0, done.stderr
    blocks = done.stdout.split("\n\n")
    belize = [b for b in blocks if "MSS · Belize · in_country · military" in b]
    assert len(belize) == 1
    block = belize[0]
    assert "values differ: 2 to 3" in block and "pl-0990" in block and "pl-0991" in block
    assert "KBC (Kenya Broadcasting Corporation), 5 February 2025 (news)" in block
    assert "pledges-" in block and "displacement-" not in done.stdout
    assert "every source gives" not in done.stdout  # --only-differing left the agreeing groups out
    assert done.stdout.rstrip().splitlines()[-1].startswith("pledges: ")


@pytest.mark.slow
def test_cli_csv_is_the_table(with_added_rows):
    done = _run("--format", "csv", "--window", "3")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    expected = all_disagreements(window_days=3)
    assert [r["record_id"] for r in rows] == expected["record_id"].tolist()
    assert list(rows[0]) == expected.columns.tolist()
    belize = [r for r in rows if r["record_id"] in ("pl-0990", "pl-0991")]
    assert [(r["date"], r["value"], r["qualifier"], r["differs"]) for r in belize] == [
        ("2025-03-10", "2", "exact", "True"), ("2025-03-12", "3", "approx", "True")]


@pytest.mark.slow
@pytest.mark.parametrize("args", [("--dataset", "timeline"), ("--window", "-1"), ("--as-of", "2025-13-01")])
def test_cli_refuses_bad_usage(args):
    done = _run(*args)
    assert done.returncode == 2 and done.stdout == "" and done.stderr


# --- what is not a disagreement (the defects: parts, separate landings, flows of other periods) -----

def test_a_part_is_not_set_against_its_whole_nor_its_sister_parts():
    funding = frame("funding", row("fu-0001", "2024-06-20", "src-a", amount=300000000),
                    row("fu-0002", "2024-06-20", "src-b", amount=200000000, part_of="fu-0001"),
                    row("fu-0003", "2024-06-20", "src-c", amount=100000000, part_of="fu-0001"))
    assert disagreements(funding, "funding", SOURCES).empty
    rival = pd.concat([funding, frame("funding", row("fu-0004", "2024-06-21", "src-b", amount=290000000))], ignore_index=True)
    assert ids(disagreements(rival, "funding", SOURCES)) == ["fu-0001", "fu-0004"]  # a real rival of the whole still shows


def test_two_landings_in_one_week_are_two_quantities_and_two_reports_of_one_landing_one():
    pledges = frame("pledges", row("pl-0001", "2025-01-03", "src-a", personnel=75, contingent="gtm-1"),
                    row("pl-0002", "2025-01-04", "src-b", personnel=75, contingent="gtm-2"))
    assert disagreements(pledges, "pledges", SOURCES).empty
    same = frame("pledges", row("pl-0001", "2025-02-06", "src-a", personnel=144, contingent="ken-4"),
                 row("pl-0002", "2025-02-07", "src-b", personnel=200, contingent="ken-4"))
    assert ids(disagreements(same, "pledges", SOURCES)) == ["pl-0001", "pl-0002"]


def test_flows_are_compared_only_over_the_same_period():
    flow = {"measure": "flow", "metric": "movements_out_of_capital", "area": "Port-au-Prince metropolitan area", "area_type": "metro"}
    rows = frame("displacement", row("dis-0001", "2024-04-09", "src-a", value=53125, period_start="2024-03-08", **flow),
                 row("dis-0002", "2024-04-09", "src-b", value=94821, period_start="2024-03-01", **flow))
    assert disagreements(rows, "displacement", SOURCES).empty
    same = frame("displacement", row("dis-0001", "2024-04-09", "src-a", value=53125, period_start="2024-03-08", **flow),
                 row("dis-0002", "2024-04-10", "src-b", value=53000, period_start="2024-03-08", **flow))
    assert ids(disagreements(same, "displacement", SOURCES)) == ["dis-0001", "dis-0002"]
    undated = frame("displacement", row("dis-0001", "2024-04-09", "src-a", value=53125, **flow),
                    row("dis-0002", "2024-04-09", "src-b", value=53000, **flow))
    assert disagreements(undated, "displacement", SOURCES).empty  # a flow without a start has no rival
