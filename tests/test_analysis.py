"""The analysis functions, the report helpers and the figures, each held to its documented rule.

Fast unit tests: small frames are written inline and cast to exactly the dtypes ``load()`` gives
(taken from the real datasets), so the functions meet what they meet in the notebooks. A few tests
at the end run on the real data, read-only.
"""
from __future__ import annotations

import functools
import html

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import haiti_mission as hm
from haiti_mission.analysis import displacement as dis
from haiti_mission.analysis import funding as fund
from haiti_mission.analysis import personnel, situation, timeline
from haiti_mission.datapackage import vocabulary
from haiti_mission.notebook import figures, present
from haiti_mission.notebook.style import render

# --- typed inline frames ----------------------------------------------------------------------


@functools.cache
def _template(name: str) -> pd.DataFrame:
    return hm.load(name).iloc[:0]


def typed(name: str, *rows: dict) -> pd.DataFrame:
    """Rows of dataset ``name`` (missing fields empty), with the dtypes ``load(name)`` gives."""
    template = _template(name)
    unknown = {k for r in rows for k in r} - set(template.columns)
    assert not unknown, f"not a column of {name}: {unknown}"
    raw = pd.DataFrame([{c: r.get(c) for c in template.columns} for r in rows], columns=template.columns, dtype="object")
    out = raw.astype(template.dtypes.to_dict())
    for column in template.columns:
        # A value outside an enumeration would silently become NaN: a typo in a test must fail.
        lost = out[column].isna() & raw[column].notna()
        assert not lost.any(), f"{name}.{column}: {raw.loc[lost, column].tolist()} not allowed"
    return out.reset_index(drop=True)


SOURCES = typed(
    "sources",
    {"source_id": "iom-a", "publisher": "IOM", "published": "2024-06-18", "published_precision": "day", "kind": "iom"},
    {"source_id": "iom-b", "publisher": "IOM DTM", "published": "2024-06-01", "published_precision": "day", "kind": "iom"},
    {"source_id": "un-a", "publisher": "OCHA", "published": "2024-06-02", "published_precision": "day", "kind": "un"},
    {"source_id": "gov-a", "publisher": "USAID", "published": "2024-06-03", "published_precision": "day", "kind": "government"},
    {"source_id": "wire-a", "publisher": "AFP", "published": "2024-05-30", "published_precision": "day", "kind": "wire"},
    {"source_id": "news-a", "publisher": "A paper", "published": "2024-05-29", "published_precision": "day", "kind": "news"},
)


def idp(record_id: str, date: str, value: int, source_id: str, round=None, qualifier="exact", area="Haiti",
        area_type="country", metric="idps", measure="stock", unit="persons") -> dict:
    return {"record_id": record_id, "date": date, "date_precision": "day", "area": area, "area_type": area_type,
            "measure": measure, "metric": metric, "value": value, "unit": unit, "qualifier": qualifier,
            "round": round, "source_id": source_id}


def pledge(record_id: str, date: str, measure: str, personnel_=None, country="Kenya", iso3="KEN", force="MSS",
           qualifier="exact", rotation=False, source_id="un-a", personnel_type="police", contingent=None, part_of=None) -> dict:
    return {"record_id": record_id, "date": date, "date_precision": "day", "force": force, "country": country,
            "iso3": iso3 if country else None, "measure": measure, "personnel": personnel_, "qualifier": qualifier,
            "personnel_type": personnel_type, "is_rotation": rotation, "contingent": contingent, "part_of": part_of,
            "source_id": source_id}


def money(record_id: str, date: str, donor, channel: str, stage: str, amount, unit="USD", force="MSS",
          qualifier="exact", source_id="un-a") -> dict:
    return {"record_id": record_id, "date": date, "date_precision": "day", "force": force, "donor": donor,
            "channel": channel, "stage": stage, "amount": amount, "unit": unit, "qualifier": qualifier, "source_id": source_id}


def event(event_id: str, date: str, category="political", milestone=None, title=None) -> dict:
    return {"event_id": event_id, "date": date, "date_precision": "day", "title": title or event_id,
            "description": "", "category": category, "milestone": milestone, "source_id": "un-a"}


# --- displacement: the national series --------------------------------------------------------

R7_CANDIDATES = [
    # The weakest source is the earliest published and has the lowest record id, so only the
    # source rank can put IOM first; IOM's own figure is rounded, so rank comes before exactness.
    idp("dis-0001", "2024-05-31", 580000, "news-a", round="R7"),
    idp("dis-0002", "2024-05-31", 578000, "wire-a", round="R7"),
    idp("dis-0003", "2024-05-31", 578070, "un-a", round="R7"),
    idp("dis-0004", "2024-05-31", 578100, "gov-a", round="R7", qualifier="approx"),
    idp("dis-0005", "2024-05-31", 570000, "iom-a", round="R7", qualifier="more_than"),
]


@pytest.mark.parametrize("dropped, chosen", [
    ((), "dis-0005"),                                  # IOM over every other source
    (("dis-0005",), "dis-0003"),                       # then UN/government (exact UN over rounded government)
    (("dis-0005", "dis-0003", "dis-0004"), "dis-0002"),  # then a wire
    (("dis-0005", "dis-0003", "dis-0004", "dis-0002"), "dis-0001"),  # then the press
])
def test_national_series_ranks_iom_then_un_then_wire_then_news(dropped, chosen):
    rows = typed("displacement", *[r for r in R7_CANDIDATES if r["record_id"] not in dropped])
    series = dis.national_series(rows, SOURCES)
    assert series["round"].tolist() == ["R7"]
    assert series["record_id"].tolist() == [chosen]
    assert series["candidates"].tolist() == [len(R7_CANDIDATES) - len(dropped)]


def test_national_series_prefers_exact_over_rounded_within_a_rank():
    rows = typed("displacement",
                 idp("dis-0001", "2024-05-31", 580000, "iom-b", round="R7", qualifier="approx"),
                 idp("dis-0002", "2024-05-31", 578000, "iom-b", round="R7", qualifier="more_than"),
                 idp("dis-0003", "2024-05-31", 578074, "iom-a", round="R7"))  # published later, higher id
    series = dis.national_series(rows, SOURCES)
    assert series[["record_id", "value", "qualifier"]].values.tolist() == [["dis-0003", 578074, "exact"]]


def test_national_series_then_earliest_published_then_lowest_record_id():
    later, earlier = "iom-a", "iom-b"  # 18 June and 1 June
    rows = typed("displacement",
                 idp("dis-0001", "2024-05-31", 578074, later, round="R7"),
                 idp("dis-0002", "2024-05-31", 578075, earlier, round="R7"))
    assert dis.national_series(rows, SOURCES)["record_id"].tolist() == ["dis-0002"]
    same = typed("displacement",
                 idp("dis-0010", "2024-05-31", 578074, earlier, round="R7"),
                 idp("dis-0009", "2024-05-31", 578075, earlier, round="R7"),
                 idp("dis-0011", "2024-05-31", 578076, earlier, round="R7"))
    assert dis.national_series(same, SOURCES)["record_id"].tolist() == ["dis-0009"]


def test_national_series_keeps_national_idp_stocks_only():
    rows = typed("displacement",
                 idp("dis-0001", "2024-05-31", 500000, "wire-a", round="R7"),
                 # Stronger candidates for the same round that are not a national IDP stock:
                 idp("dis-0002", "2024-05-31", 300000, "iom-a", round="R7", area="Port-au-Prince metropolitan area", area_type="metro"),
                 idp("dis-0003", "2024-05-31", 40000, "iom-a", round="R7", area="Centre", area_type="department"),
                 idp("dis-0004", "2024-05-31", 150000, "iom-a", round="R7", metric="households", unit="households"),
                 idp("dis-0005", "2024-05-31", 90000, "iom-a", round="R7", measure="flow"),
                 # A round that exists only for the capital gives no national row.
                 idp("dis-0006", "2022-11-01", 155000, "iom-a", round="R2", area="Port-au-Prince metropolitan area", area_type="metro"))
    series = dis.national_series(rows, SOURCES)
    assert series[["round", "record_id", "candidates"]].values.tolist() == [["R7", "dis-0001", 1]]


def test_national_series_leaves_out_press_repeats_and_keeps_iom_figures_by_month():
    rows = typed("displacement",
                 idp("dis-0001", "2023-12-15", 310000, "iom-a", qualifier="more_than"),  # IOM, no round
                 idp("dis-0002", "2023-12-01", 315000, "wire-a"),   # a wire repeating a number, no round
                 idp("dis-0003", "2024-03-01", 200000, "news-a", qualifier="approx"),  # an old number repeated
                 idp("dis-0004", "2023-11-01", 200000, "gov-a", qualifier="approx"),   # primary, but not IOM
                 idp("dis-0005", "2024-05-31", 578074, "news-a", round="R7"))  # press with a round label counts
    series = dis.national_series(rows, SOURCES)
    assert series["round"].tolist() == ["2023-12", "R7"]
    assert series["record_id"].tolist() == ["dis-0001", "dis-0005"]
    assert series["candidates"].tolist() == [1, 1]


def test_national_series_reads_round_numbers_and_orders_by_date():
    rows = typed("displacement",
                 idp("dis-0001", "2024-12-30", 1041229, "un-a", round="R9"),
                 idp("dis-0002", "2024-03-01", 362551, "iom-a", round="R6"),
                 idp("dis-0003", "2024-05-31", 578074, "iom-a", round="R7 (national)"),
                 idp("dis-0004", "2024-09-01", 702973, "iom-a", round="R10x"))  # not a round label: IOM's, so its month
    series = dis.national_series(rows, SOURCES)
    assert series["round"].tolist() == ["R6", "R7", "2024-09", "R9"]
    assert series["date"].is_monotonic_increasing
    assert list(series.columns) == ["round", "date", "value", "qualifier", "source_id", "source_publisher",
                                    "source_published", "record_id", "candidates"]
    assert series.loc[0, "source_publisher"] == "IOM" and series.loc[0, "source_published"] == pd.Timestamp("2024-06-18")


def test_round_number():
    assert [dis.round_number(x) for x in ["R7", "R10", "R1 (sites)", "Centre R1", "FMS #2", None, pd.NA, "r7"]] == [7, 10, 1, None, None, None, None, None]


def test_national_series_of_nothing_has_the_documented_columns():
    series = dis.national_series(_template("displacement"), SOURCES)
    assert series.empty and list(series.columns) == ["round", "date", "value", "qualifier", "source_id", "source_publisher",
                                                     "source_published", "record_id", "candidates"]
    assert dis.latest_known(series) is None
    assert dis.round_changes(series).empty


def _series(*rows) -> pd.DataFrame:
    return pd.DataFrame({
        "round": [r[0] for r in rows],
        "date": pd.to_datetime([r[1] for r in rows]),
        "value": pd.array([r[2] for r in rows], dtype="Int64"),
        "qualifier": pd.Categorical([r[3] for r in rows], categories=["exact", "approx", "more_than"]),
    })


def test_round_changes_gives_change_percent_and_whether_both_were_exact():
    series = _series(("R1", "2024-01-01", 300000, "exact"), ("R2", "2024-04-01", 400000, "exact"),
                     ("R3", "2024-07-01", 350000, "more_than"), ("R4", "2024-10-01", 700000, "exact"),
                     ("R5", "2025-01-01", 707000, "exact"))
    out = dis.round_changes(series)
    assert out[["from_round", "to_round"]].values.tolist() == [["R1", "R2"], ["R2", "R3"], ["R3", "R4"], ["R4", "R5"]]
    assert out["from_value"].tolist() == [300000, 400000, 350000, 700000]
    assert out["to_value"].tolist() == [400000, 350000, 700000, 707000]
    assert out["change"].tolist() == [100000, -50000, 350000, 7000]
    assert out["change_pct"].tolist() == [33.3, -12.5, 100.0, 1.0]
    assert out["both_exact"].tolist() == [True, False, False, True]


def test_round_changes_of_one_round_is_empty():
    assert dis.round_changes(_series(("R1", "2024-01-01", 300000, "exact"))).empty


def test_latest_known_is_the_latest_date_whatever_the_order():
    series = _series(("R2", "2024-04-01", 400000, "exact"), ("R3", "2024-07-01", 350000, "exact"), ("R1", "2024-01-01", 1, "exact"))
    assert dis.latest_known(series)["round"] == "R3"


def test_metro_vs_provinces_lists_published_figures_only():
    metro, prov = dis.METRO, dis.PROVINCES
    rows = typed("displacement",
                 idp("dis-0001", "2024-05-31", 578074, "iom-a", round="R7"),
                 idp("dis-0002", "2024-05-31", 160000, "iom-a", round="R7", area=metro, area_type="metro"),
                 idp("dis-0003", "2024-05-31", 72, "iom-a", round="R7", area=prov, area_type="region", metric="idps_share", unit="percent"),
                 idp("dis-0004", "2024-05-31", 28, "iom-a", round="R7", area=metro, area_type="metro", metric="idps_share", unit="percent"),
                 idp("dis-0005", "2024-05-31", 200000, "iom-a", round="R7", area="Grand Sud", area_type="region"),
                 idp("dis-0006", "2024-05-31", 40000, "iom-a", round="R7", area=metro, area_type="metro", measure="flow"),
                 idp("dis-0007", "2024-05-31", 90000, "iom-a", round="R7", area=metro, area_type="metro", metric="idps_in_sites"),
                 idp("dis-0008", "2022-11-01", 155000, "iom-a", round="R2", area=metro, area_type="metro"))
    out = dis.metro_vs_provinces(rows)
    assert list(out.columns) == ["round", "date", "area", "metric", "value", "unit", "qualifier", "source_id"]
    assert out[["round", "area", "metric", "value"]].values.tolist() == [
        ["R2", metro, "idps", 155000],
        ["R7", metro, "idps", 160000],
        ["R7", metro, "idps_share", 28],
        ["R7", prov, "idps_share", 72],
    ]
    # No provinces head count although national minus metro would give one.
    assert not ((out["area"] == prov) & (out["metric"] == "idps")).any()


def test_department_figures_are_department_idp_stocks_by_department_and_date():
    rows = typed("displacement",
                 idp("dis-0001", "2025-06-03", 250000, "iom-a", round="R10", area="Centre", area_type="department"),
                 idp("dis-0002", "2024-12-30", 150000, "iom-a", round="R9", area="Centre", area_type="department"),
                 idp("dis-0003", "2024-12-30", 60000, "iom-a", round="R9", area="Artibonite", area_type="department"),
                 idp("dis-0004", "2024-12-30", 30000, "iom-a", round="R9", area="Centre", area_type="department", metric="households", unit="households"),
                 idp("dis-0005", "2024-12-30", 9000, "iom-a", round="R9", area="Centre", area_type="department", measure="flow"),
                 idp("dis-0006", "2024-12-30", 700000, "iom-a", round="R9", area="Grand Sud", area_type="region"),
                 idp("dis-0007", "2024-12-30", 5000, "iom-a", round="R9", area="Petite Rivière", area_type="commune"))
    out = dis.department_figures(rows)
    assert list(out.columns) == ["area", "date", "round", "value", "qualifier", "source_id"]
    assert out[["area", "round", "value"]].values.tolist() == [["Artibonite", "R9", 60000], ["Centre", "R9", 150000], ["Centre", "R10", 250000]]


# --- personnel --------------------------------------------------------------------------------

PLEDGES = typed(
    "pledges",
    pledge("pl-01", "2023-07-29", "pledged", 1000),
    pledge("pl-02", "2024-10-11", "notified", 600),             # later but smaller: a tranche
    pledge("pl-03", "2024-06-25", "arrived", 200, source_id="wire-a", contingent="ken-1"),
    pledge("pl-04", "2024-06-26", "arrived", 216, contingent="ken-1"),  # same landing, a stronger source: 216 counts once
    pledge("pl-05", "2024-07-16", "arrived", 200, contingent="ken-2"),
    pledge("pl-06", "2025-01-15", "arrived", 144, rotation=True, contingent="ken-3"),  # a rotation adds nobody
    pledge("pl-07", "2024-09-01", "in_country", 400),
    pledge("pl-08", "2024-12-01", "in_country", 380),
    pledge("pl-09", "2026-02-06", "withdrawn"),
    pledge("pl-10", "2024-02-28", "pledged", 2000, country="Benin", iso3="BEN", personnel_type="military"),
    pledge("pl-11", "2024-02-29", "notified", 1500, country="Benin", iso3="BEN", personnel_type="military"),
    pledge("pl-12", "2024-09-01", "paused", country="Benin", iso3="BEN", personnel_type="military"),
    pledge("pl-13", "2024-05-01", "announced", 50, country="Belize", iso3="BLZ"),
    pledge("pl-14", "2024-09-20", "arrived", 2, country="Belize", iso3="BLZ", contingent="blz-1"),
    pledge("pl-15", "2024-10-01", "in_country", 5, country="Belize", iso3="BLZ"),  # more serving than ever arrived
    pledge("pl-16", "2024-03-01", "announced", None, country="Barbados", iso3="BRB"),
    pledge("pl-17", "2025-01-01", "withdrawn", country="Barbados", iso3="BRB"),
    pledge("pl-18", "2025-10-06", "pledged", 150, country="Guatemala", iso3="GTM", force="GSF", personnel_type="military"),
    pledge("pl-19", "2024-10-01", "arrived", 75, country="Guatemala", iso3="GTM", personnel_type="military", contingent="gtm-1"),
    pledge("pl-20", "2025-02-01", "arrived", 75, country="Guatemala", iso3="GTM", personnel_type="military", source_id="wire-a",
           contingent="gtm-2"),
    # Mission-wide rows (no country).
    pledge("pl-21", "2024-12-01", "in_country", 400, country=None),
    pledge("pl-22", "2024-12-01", "in_country", 420, country=None, source_id="wire-a"),
    pledge("pl-23", "2025-06-01", "in_country", 990, country=None, qualifier="approx"),
    pledge("pl-24", "2024-08-01", "in_country", 600, country=None, force="MSS"),
    pledge("pl-25", "2025-03-01", "in_country", None, country=None),
    pledge("pl-26", "2024-07-16", "arrived", 5000, country=None),
)


def _per_country() -> pd.DataFrame:
    return personnel.by_country(PLEDGES, SOURCES).set_index("country")


def test_by_country_counts_a_landing_once_and_leaves_rotations_out():
    per = _per_country()
    assert per.loc["Kenya", "arrived"] == 216 + 200
    assert per.loc["Guatemala", "arrived"] == 150  # two contingents on two dates both count
    assert per.loc["Kenya", ["in_country_latest", "net", "gap"]].tolist() == [380, 416, 416 - 380]
    assert per.loc["Kenya", "served_max"] == 416
    assert per.loc["Belize", "served_max"] == 5   # the larger of arrived (2) and in country (5)
    assert per.loc["Benin", "arrived"] == 0 and per.loc["Benin", "served_max"] == 0


def test_by_country_largest_and_latest_pledge():
    per = _per_country()
    assert per.loc["Kenya", ["pledged_max", "pledged_latest"]].tolist() == [1000, 600]
    assert per.loc["Kenya", "pledged_date"] == pd.Timestamp("2024-10-11")
    assert per.loc["Benin", ["pledged_max", "pledged_latest"]].tolist() == [2000, 1500]
    assert per.loc["Belize", "pledged_max"] == 50  # an announcement with a number counts
    assert pd.isna(per.loc["Barbados", "pledged_max"]) and pd.isna(per.loc["Barbados", "pledged_date"])


def test_by_country_status_is_the_latest_pause_or_withdrawal_with_its_date():
    per = _per_country()
    assert per["status"].to_dict() == {"Kenya": "withdrawn (2026-02-06)", "Guatemala": "", "Belize": "",
                                       "Benin": "paused (2024-09-01)", "Barbados": "withdrawn (2025-01-01)"}
    later = typed("pledges", pledge("pl-30", "2025-03-01", "withdrawn", country="Benin", iso3="BEN"))
    assert personnel.by_country(pd.concat([PLEDGES, later]), SOURCES).set_index("country").loc["Benin", "status"] == "withdrawn (2025-03-01)"


def test_by_country_leaves_mission_wide_rows_out_and_orders_by_what_served():
    out = personnel.by_country(PLEDGES, SOURCES)
    assert out["country"].tolist() == ["Kenya", "Guatemala", "Belize", "Benin", "Barbados"]
    assert out.set_index("country").loc["Guatemala", "force"] == "GSF, MSS"
    assert out.set_index("country").loc["Benin", "iso3"] == "BEN"
    assert out["arrived"].sum() == 416 + 150 + 2  # the mission-wide 5,000 belongs to no country


def test_by_country_of_nothing_has_the_documented_columns():
    columns = ["country", "iso3", "force", "pledged_max", "pledged_latest", "pledged_date", "arrived", "departed", "net",
               "in_country_latest", "in_country_date", "gap", "served_max", "status"]
    for empty in (_template("pledges"), PLEDGES[PLEDGES["country"].isna()]):
        out = personnel.by_country(empty, SOURCES)
        assert out.empty and list(out.columns) == columns
        assert str(out["arrived"].dtype) == "Int64" and str(out["pledged_date"].dtype).startswith("datetime64")


def test_strength_over_time_is_mission_wide_and_takes_the_strongest_source_of_a_date():
    """The defect: the largest figure of a date won; the strongest source stands, as for displacement."""
    out = personnel.strength_over_time(PLEDGES, SOURCES)
    assert list(out.columns) == ["date", "force", "personnel", "qualifier", "source_id"]
    assert out["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-08-01", "2024-12-01", "2025-06-01"]
    assert out["personnel"].tolist() == [600, 400, 990]  # OCHA's 400, not the wire's 420
    assert out["source_id"].tolist() == ["un-a", "un-a", "un-a"]


TARGETS = typed(
    "pledges",
    pledge("pl-40", "2024-04-26", "planned", 2000, country=None, qualifier="approx"),
    pledge("pl-41", "2024-09-26", "planned", 2600, country=None),
    pledge("pl-42", "2024-11-19", "planned", 2500, country=None, qualifier="at_most"),  # latest, though smaller
    pledge("pl-43", "2025-09-30", "authorised", 50, country=None, force="GSF", personnel_type="civilian"),
    pledge("pl-44", "2025-09-30", "authorised", 5500, country=None, force="GSF", personnel_type="mixed"),
    pledge("pl-45", "2025-09-30", "authorised", 5550, country=None, force="GSF", personnel_type="unspecified"),
    pledge("pl-46", "2025-01-01", "authorised", 9000, country=None, force="GSF"),  # an older ceiling
    pledge("pl-47", "2024-05-01", "pledged", 1000),            # a country's pledge is no target
    pledge("pl-48", "2024-05-01", "planned", 3000),           # nor a country's plan
)


def test_strength_targets_lists_mission_wide_plans_and_ceilings_in_date_order():
    out = personnel.strength_targets(TARGETS)
    assert out["personnel"].tolist()[:4] == [2000, 2600, 2500, 9000]
    assert sorted(out["personnel"].tolist()[4:]) == [50, 5500, 5550]  # one ceiling in three parts
    assert out["date"].is_monotonic_increasing
    assert list(out.columns) == ["date", "force", "measure", "personnel", "qualifier", "personnel_type", "source_id"]


def test_current_targets_takes_the_whole_ceiling_of_the_latest_date():
    out = personnel.current_targets(personnel.strength_targets(TARGETS))
    assert out[["measure", "force", "personnel"]].values.tolist() == [["planned", "MSS", 2500], ["authorised", "GSF", 5550]]
    assert personnel.current_targets(personnel.strength_targets(_template("pledges"))).empty


def test_headline_adds_largest_pledges_and_arrivals_and_takes_the_latest_snapshot():
    head = personnel.headline(PLEDGES, SOURCES)
    assert head == {
        "countries_pledging": 5,
        "countries_with_number": 4,
        "pledged": 1000 + 2000 + 50 + 150,
        "arrived": 416 + 150 + 2,
        "countries_arrived": 3,
        "in_country": 990,
        "in_country_qualifier": "approx",
        "in_country_date": pd.Timestamp("2025-06-01"),
    }
    empty = personnel.headline(_template("pledges"), SOURCES)
    assert empty["pledged"] is None and empty["in_country"] is None and empty["arrived"] == 0


# --- funding ----------------------------------------------------------------------------------

FUNDING = typed(
    "funding",
    money("fu-01", "2023-09-22", "United States", "bilateral", "pledged", 100_000_000),
    money("fu-02", "2024-07-01", "United States", "bilateral", "pledged", 300_000_000),  # a restatement, not more money
    money("fu-03", "2024-08-01", "United States", "in_kind", "delivered", 24, unit="vehicles"),
    money("fu-04", "2024-02-01", "Canada", "trust_fund", "pledged", 80_500_000, unit="CAD"),
    money("fu-05", "2024-03-01", "Canada", "trust_fund", "deposited", 60_000_000, unit="CAD"),
    money("fu-06", "2024-01-01", "Canada", "bilateral", "pledged", 10_000_000, unit="CAD"),
    money("fu-07", "2024-04-01", "France", "trust_fund", "pledged", 3_000_000, unit="EUR"),
    money("fu-08", "2024-09-01", "France", "trust_fund", "pledged", None, unit=None),   # a pledge without a figure
    money("fu-09", "2024-02-29", None, "trust_fund", "pledged", 78_000_000),
    money("fu-10", "2024-09-25", None, "trust_fund", "deposited", 85_000_000),
    money("fu-11", "2024-12-31", None, "trust_fund", "pledged", 110_300_000),
    money("fu-12", "2024-12-31", None, "trust_fund", "deposited", 96_800_000),
    money("fu-13", "2025-01-01", None, "trust_fund", "spent", None, unit=None),
    money("fu-14", "2025-02-01", None, "bilateral", "pledged", 600_000_000),
    money("fu-15", "2025-03-01", None, "trust_fund", "pledged", 1_000_000_000, unit="KES"),
)


@pytest.mark.parametrize("keep, column", [
    (["fu-04", "fu-07"], "unit"),       # CAD and EUR
    (["fu-01", "fu-04"], "unit"),       # USD and CAD
    (["fu-09", "fu-14"], "channel"),    # trust fund and bilateral, both USD pledges
    (["fu-11", "fu-12"], "stage"),      # pledged and deposited, both USD trust fund
])
def test_total_refuses_to_add_across_currencies_channels_and_stages(keep, column):
    rows = FUNDING[FUNDING["record_id"].isin(keep)]
    with pytest.raises(fund.MixedAmountsError, match=f"across {column}"):
        fund.total(rows)
    assert issubclass(fund.MixedAmountsError, ValueError)


def test_total_adds_within_one_currency_channel_and_stage():
    assert fund.total(FUNDING[FUNDING["record_id"].isin(["fu-09", "fu-11"])]) == 78_000_000 + 110_300_000
    assert fund.total(FUNDING[FUNDING["record_id"].isin(["fu-04"])]) == 80_500_000
    assert fund.total(FUNDING.iloc[:0]) == 0


def test_latest_by_donor_keeps_the_latest_figure_and_never_sums():
    out = fund.latest_by_donor(FUNDING)
    assert list(out.columns) == ["donor", "channel", "stage", "unit", "date", "force", "amount", "qualifier", "source_id", "rows"]
    got = {(d, str(c), str(s), None if pd.isna(u) else str(u)): (None if pd.isna(a) else int(a), int(n))
           for d, c, s, u, a, n in out[["donor", "channel", "stage", "unit", "amount", "rows"]].itertuples(index=False)}
    assert got == {
        ("Canada", "bilateral", "pledged", "CAD"): (10_000_000, 1),
        ("Canada", "trust_fund", "deposited", "CAD"): (60_000_000, 1),
        ("Canada", "trust_fund", "pledged", "CAD"): (80_500_000, 1),
        ("France", "trust_fund", "pledged", "EUR"): (3_000_000, 1),
        ("France", "trust_fund", "pledged", None): (None, 1),
        ("United States", "bilateral", "pledged", "USD"): (300_000_000, 2),
        ("United States", "in_kind", "delivered", "vehicles"): (24, 1),
    }
    assert out["donor"].tolist() == sorted(out["donor"])  # donor order
    assert fund.latest_by_donor(FUNDING.iloc[:0]).empty


def test_latest_by_donor_takes_the_latest_date_not_the_latest_row():
    shuffled = FUNDING.iloc[::-1]
    us = fund.latest_by_donor(shuffled).set_index(["donor", "channel"]).loc[("United States", "bilateral")]
    assert us["amount"] == 300_000_000 and us["date"] == pd.Timestamp("2024-07-01")


def test_trust_fund_snapshots_are_mission_wide_trust_fund_amounts():
    out = fund.trust_fund_snapshots(FUNDING)
    assert list(out.columns) == ["date", "force", "stage", "amount", "unit", "qualifier", "source_id"]
    assert out["amount"].tolist() == [78_000_000, 85_000_000, 110_300_000, 96_800_000, 1_000_000_000]
    assert out["stage"].astype(str).tolist() == ["pledged", "deposited", "pledged", "deposited", "pledged"]
    assert out["unit"].astype(str).tolist() == ["USD"] * 4 + ["KES"]


def test_latest_trust_fund_per_stage_and_unit():
    assert fund.latest_trust_fund(FUNDING, "pledged")["amount"] == 110_300_000
    assert fund.latest_trust_fund(FUNDING, "deposited")["amount"] == 96_800_000
    assert fund.latest_trust_fund(FUNDING, "pledged", unit="KES")["amount"] == 1_000_000_000
    assert fund.latest_trust_fund(FUNDING, "spent") is None
    assert fund.latest_trust_fund(FUNDING.iloc[:0], "pledged") is None


# --- timeline ---------------------------------------------------------------------------------

TIMELINE = typed(
    "timeline",
    event("unsc-res-2793", "2025-09-30", "un_security_council", "gsf_transition"),
    event("first-kenyan-contingent", "2024-06-25", "deployment", "first_deployment"),
    event("kenya-haiti-agreement", "2024-03-01", "diplomatic", "reciprocal_agreement"),
    event("unsc-res-2699", "2023-10-02", "un_security_council", "authorisation"),
    event("kenya-offers", "2023-07-29", "diplomatic", "kenya_pledge"),
    event("high-court-ruling", "2024-01-26", "legal"),
    event("clashes", "2024-02-29", "security"),
    event("b-parliament-vote", "2023-11-16", "political"),
    event("a-cabinet-approval", "2023-11-16", "political"),
)


def test_milestones_in_their_natural_order_with_labels():
    out = timeline.milestones(TIMELINE)
    assert out["milestone"].astype(str).tolist() == list(vocabulary.values("timeline", "milestone"))
    # The labels are the descriptor's enumLabels of timeline.milestone.
    assert out["label"].tolist() == ["Kenya's pledge", "Resolution 2699", "Reciprocal agreement",
                                     "First deployment", "Gang Suppression Force"]
    assert out["event_id"].tolist()[0] == "kenya-offers"
    partial = timeline.milestones(TIMELINE[TIMELINE["milestone"].isin(["first_deployment", "authorisation"])])
    assert partial["milestone"].astype(str).tolist() == ["authorisation", "first_deployment"]
    # The order is the mission's sequence, not the dates: a misdated row shows up as a negative interval.
    misdated = TIMELINE.assign(date=TIMELINE["date"].where(TIMELINE["milestone"] != "first_deployment", pd.Timestamp("2023-01-01")))
    assert timeline.milestones(misdated)["milestone"].astype(str).tolist() == list(vocabulary.values("timeline", "milestone"))


def test_milestone_intervals_in_days():
    out = timeline.milestone_intervals(TIMELINE)
    assert list(out.columns) == ["label", "date", "days_since_previous", "days_since_kenya_pledge"]
    assert out["days_since_previous"].tolist()[1:] == [65, 151, 116, 462]
    assert pd.isna(out["days_since_previous"].iloc[0])
    assert out["days_since_kenya_pledge"].tolist() == [0, 65, 216, 332, 794]
    without_pledge = timeline.milestone_intervals(TIMELINE[TIMELINE["milestone"] != "kenya_pledge"])
    assert without_pledge["days_since_kenya_pledge"].isna().all() and without_pledge["days_since_previous"].tolist()[1:] == [151, 116, 462]


def test_events_in_window_includes_both_bounds():
    ids = lambda frame: frame["event_id"].tolist()  # noqa: E731
    assert ids(timeline.events_in_window(TIMELINE, "2023-11-16", "2024-03-01")) == [
        "a-cabinet-approval", "b-parliament-vote", "high-court-ruling", "clashes", "kenya-haiti-agreement"]
    assert ids(timeline.events_in_window(TIMELINE, "2023-11-17", "2024-02-29")) == ["high-court-ruling", "clashes"]
    assert ids(timeline.events_in_window(TIMELINE, end="2023-10-02")) == ["kenya-offers", "unsc-res-2699"]
    assert ids(timeline.events_in_window(TIMELINE, start=pd.Timestamp("2024-06-25"))) == ["first-kenyan-contingent", "unsc-res-2793"]
    assert len(timeline.events_in_window(TIMELINE)) == len(TIMELINE)


def test_events_in_window_limits_categories():
    out = timeline.events_in_window(TIMELINE, "2023-01-01", "2025-12-31", categories=["political", "legal"])
    assert out["event_id"].tolist() == ["a-cabinet-approval", "b-parliament-vote", "high-court-ruling"]
    assert timeline.events_in_window(TIMELINE, categories=("un_security_council",))["event_id"].tolist() == ["unsc-res-2699", "unsc-res-2793"]
    assert timeline.events_in_window(TIMELINE, categories=["funding"]).empty


def test_recent_events_newest_first():
    assert timeline.recent_events(TIMELINE, 3)["event_id"].tolist() == ["unsc-res-2793", "first-kenyan-contingent", "kenya-haiti-agreement"]
    out = timeline.recent_events(TIMELINE)
    assert len(out) == 8 and out["event_id"].tolist()[-2:] == ["b-parliament-vote", "unsc-res-2699"]
    # Same day: event id order.
    assert timeline.recent_events(TIMELINE[TIMELINE["date"] == "2023-11-16"])["event_id"].tolist() == ["a-cabinet-approval", "b-parliament-vote"]


# --- situation --------------------------------------------------------------------------------

INDICATORS = [
    "People internally displaced (latest national DTM figure)",
    "Personnel pledged (largest pledge of each country, added)",
    "Personnel arrived in Haiti (contingents, rotations excluded)",
    "Personnel in Haiti (latest mission-wide count)",
    "Trust fund: pledged",
    "Trust fund: deposited",
]


def test_headline_figures_from_small_frames():
    displacement = typed("displacement", *R7_CANDIDATES, idp("dis-0009", "2024-03-01", 362551, "iom-a", round="R6"))
    out = situation.headline_figures(displacement, PLEDGES, FUNDING, SOURCES)
    assert list(out.columns) == ["indicator", "value", "unit", "qualifier", "date", "source_id", "comment"]
    assert out["indicator"].tolist() == INDICATORS
    assert out["value"].tolist() == [570000, 3200, 568, 990, 110_300_000, 96_800_000]
    assert out.loc[0, "comment"] == "round R7" and out.loc[0, "qualifier"] == "more_than"
    assert out.loc[1, "comment"] == "4 of 5 countries gave a number"
    assert out.loc[2, "comment"] == "from 3 countries; departures not subtracted"
    assert out.loc[3, "date"] == pd.Timestamp("2025-06-01")


def test_headline_figures_before_the_mission_say_nothing_had_happened():
    data = {n: hm.load(n, as_of="2023-06-01") for n in ("displacement", "pledges", "funding")}
    out = situation.headline_figures(data["displacement"], data["pledges"], data["funding"], hm.sources("2023-06-01")).set_index("indicator")
    assert out.index.tolist() == INDICATORS
    assert out["value"].isna().all()
    assert out.loc["Personnel arrived in Haiti (contingents, rotations excluded)", "comment"] == "no deployment had happened yet"
    assert out.loc["Personnel in Haiti (latest mission-wide count)", "comment"] == "no deployment had happened yet"
    assert out.loc["Personnel pledged (largest pledge of each country, added)", "comment"] == "no country had pledged a number yet"


def test_headline_figures_after_the_pledge_before_the_deployment():
    day = "2024-03-01"
    data = {n: hm.load(n, as_of=day) for n in ("displacement", "pledges", "funding")}
    out = situation.headline_figures(data["displacement"], data["pledges"], data["funding"], hm.sources(day)).set_index("indicator")
    assert out.loc[INDICATORS[0], "value"] > 0 and out.loc[INDICATORS[0], "date"] <= pd.Timestamp(day)
    assert out.loc[INDICATORS[1], "value"] >= 1000  # Kenya's 1,000 at least
    assert pd.isna(out.loc[INDICATORS[2], "value"]) and out.loc[INDICATORS[2], "comment"] == "no deployment had happened yet"


def test_headline_figures_on_all_the_data_have_every_indicator():
    out = situation.headline_figures(hm.load("displacement"), hm.load("pledges"), hm.load("funding"), hm.sources())
    assert out["indicator"].tolist() == INDICATORS
    assert out["value"].notna().all() and (out["value"] > 0).all()


def test_national_figures_reported_in_the_days_up_to_as_of():
    rows = typed("displacement",
                 idp("dis-0001", "2024-05-31", 578074, "iom-a", round="R7"),     # published 18 June
                 idp("dis-0002", "2024-05-31", 578000, "un-a", round="R7"),      # 2 June
                 idp("dis-0003", "2023-12-01", 315000, "wire-a"),                # 30 May, no round: still listed
                 idp("dis-0004", "2024-03-01", 200000, "news-a", qualifier="approx"),  # 29 May
                 idp("dis-0005", "2024-05-31", 160000, "iom-b", round="R7", area=dis.METRO, area_type="metro"))
    listed = lambda as_of, days: situation.national_figures_reported(rows, SOURCES, as_of, days)["source_id"].tolist()  # noqa: E731
    assert listed("2024-06-18", 20) == ["iom-a", "un-a", "wire-a"]  # 29 May is 20 days back: outside
    assert listed("2024-06-18", 21) == ["iom-a", "un-a", "wire-a", "news-a"]
    assert listed("2024-06-17", 180) == ["un-a", "wire-a", "news-a"]  # published the next day: not yet
    out = situation.national_figures_reported(rows, SOURCES, "2024-06-18")
    assert list(out.columns) == ["date", "value", "qualifier", "round", "source_publisher", "source_published", "source_id"]


# --- presentation -----------------------------------------------------------------------------

@pytest.mark.parametrize("value, text", [
    (1234567, "1,234,567"),
    (np.int64(362551), "362,551"),
    (pd.array([578074], dtype="Int64")[0], "578,074"),
    (0, "0"),
    (1234.56, "1,234.6"),
    (59.44, "59.4"),
    (None, "–"), (float("nan"), "–"), (pd.NA, "–"), (pd.NaT, "–"),
    (pd.Timestamp("2024-03-01"), "2024-03-01"),
    (np.datetime64("2024-03-01T00:00:00.000000000"), "2024-03-01"),
    (True, "yes"), (False, "no"), (np.bool_(True), "yes"),
    ("R7", "R7"),
])
def test_format_value(value, text):
    assert present.format_value(value) == text


def test_format_frame_formats_every_cell_of_load_dtypes():
    frame = pd.DataFrame({
        "people_count": pd.array([1000, None], dtype="Int64"),
        "plain_int": np.array([1234567, 5], dtype="int64"),
        "change_pct": pd.array([12.34, None], dtype="Float64"),
        "ref_date": pd.to_datetime(["2024-03-01", None]),
        "both_exact": [True, False],
        "round": pd.array(["R7", None], dtype="str"),
    })
    out = present.format_frame(frame)
    assert list(out.columns) == ["people count", "plain int", "change pct", "ref date", "both exact", "round"]
    assert out.values.tolist() == [["1,000", "1,234,567", "12.3", "2024-03-01", "yes", "R7"],
                                   ["–", "5", "–", "–", "no", "–"]]


@pytest.fixture
def shown(monkeypatch):
    bundles: list[dict] = []
    monkeypatch.setattr(present, "_display", bundles.append)
    return bundles


def test_table_caps_rows_with_a_note_and_escapes_text(shown):
    report = present.Report(SOURCES)
    hostile = "<script>alert(1)</script>"
    frame = pd.DataFrame({"name": [hostile] + [f"row {i}" for i in range(1, present.MAX_ROWS + 5)],
                          "value": pd.array(range(present.MAX_ROWS + 5), dtype="Int64")})
    report.table(frame, "Caption & <b>more</b>.", rows=typed("displacement", idp("dis-0001", "2024-05-31", 1, "iom-a")))
    bundle = shown[-1]
    note = f"The first {present.MAX_ROWS} of {present.MAX_ROWS + 5} rows are shown."
    assert f"Table 1. Caption & <b>more</b>. {note}" in bundle["text/plain"]
    assert "Sources: IOM, 18 June 2024." in bundle["text/plain"]
    rich = bundle["text/html"]
    assert "<script>" not in rich and "<b>" not in rich
    assert html.escape(hostile) in rich and "Caption &amp; &lt;b&gt;more&lt;/b&gt;." in rich
    assert rich.count("<tr") == present.MAX_ROWS + 1  # header and the first MAX_ROWS rows
    assert f"row {present.MAX_ROWS - 1}<" in rich and f"row {present.MAX_ROWS}<" not in rich


def test_table_at_the_cap_has_no_note_and_tables_are_numbered(shown):
    report = present.Report(SOURCES)
    report.table(pd.DataFrame({"value": range(present.MAX_ROWS)}), "Full.")
    report.table(pd.DataFrame({"value": []}), "Nothing.", empty="No <rows>.")
    assert "rows are shown" not in shown[0]["text/plain"]
    assert shown[0]["text/html"].count("<tr") == present.MAX_ROWS + 1
    assert shown[1]["text/plain"].startswith("Table 2. Nothing.")
    assert "No &lt;rows&gt;." in shown[1]["text/html"]
    small = present.Report(SOURCES)
    small.table(pd.DataFrame({"value": range(5)}), "Short.", max_rows=3)
    assert "The first 3 of 5 rows are shown." in shown[-1]["text/plain"]


def test_text_escapes_values_but_renders_the_templates_bold(shown):
    report = present.Report(SOURCES)
    report.text("Displaced: **{n}** as of {day}; note {note}.", n=np.int64(1287593), day=pd.Timestamp("2025-06-03"),
                note="<img src=x onerror=alert(1)> **not bold**")
    bundle = shown[-1]
    assert bundle["text/html"] == ("<p>Displaced: <strong>1,287,593</strong> as of 2025-06-03; note "
                                   "&lt;img src=x onerror=alert(1)&gt; **not bold**.</p>")
    assert bundle["text/plain"] == "Displaced: 1,287,593 as of 2025-06-03; note <img src=x onerror=alert(1)> **not bold**."


def test_figure_captions_are_numbered_and_escaped(shown):
    report = present.Report(SOURCES)
    fig, ax = figures.new_figure(2, 1)
    report.figure(fig, "A <i>figure</i>.")
    assert shown[0]["image/svg+xml"].startswith("<?xml") and shown[0]["text/plain"] == "[Figure 1. A <i>figure</i>.]"
    assert "<i>" not in shown[1]["text/html"] and "Figure 1. A &lt;i&gt;figure&lt;/i&gt;." in shown[1]["text/html"]


def test_render_is_byte_stable_and_carries_no_date_or_software():
    def draw():
        fig, ax = figures.new_figure(3, 2)
        ax.plot([0, 1, 2], [3, 1, 2])
        ax.set_title("stable")
        return fig
    fig = draw()
    svg, png = render(fig)
    assert render(fig) == (svg, png)
    assert render(draw()) == (svg, png)
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg
    assert png.startswith(b"\x89PNG") and b"Software" not in png and b"matplotlib" not in png.lower()


# --- figures ----------------------------------------------------------------------------------

def _real(name: str) -> pd.DataFrame:
    return hm.load(name)


def test_each_figure_returns_a_figure_for_data_and_for_nothing():
    series = dis.national_series(_real("displacement"), hm.sources())
    marks = timeline.milestones(_real("timeline"))
    per = personnel.by_country(PLEDGES, SOURCES)
    targets = personnel.strength_targets(TARGETS)
    cases = [
        (figures.displacement_curve, (series, marks), (series.iloc[:0], marks.iloc[:0])),
        (figures.pledged_vs_arrived, (per,), (per.iloc[:0],)),
        (figures.strength_vs_target, (personnel.strength_over_time(PLEDGES, SOURCES), targets), (personnel.strength_over_time(PLEDGES, SOURCES).iloc[:0], targets.iloc[:0])),
        (figures.funding_by_donor, (fund.latest_by_donor(FUNDING),), (fund.latest_by_donor(FUNDING).iloc[:0],)),
        (figures.event_timeline, (TIMELINE,), (TIMELINE.iloc[:0],)),
    ]
    for function, full, empty in cases:
        fig = function(*full)
        assert isinstance(fig, Figure), function.__name__
        assert any(ax.lines or ax.collections or ax.patches for ax in fig.axes), function.__name__
        nothing = function(*empty)
        assert isinstance(nothing, Figure), function.__name__
        assert not any(ax.lines or ax.collections or ax.patches for ax in nothing.axes), function.__name__
        assert any(t.get_text().startswith("No ") for ax in nothing.axes for t in ax.texts), function.__name__


def test_strength_vs_target_draws_the_current_ceilings():
    fig = figures.strength_vs_target(personnel.strength_over_time(PLEDGES, SOURCES), personnel.current_targets(personnel.strength_targets(TARGETS)))
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert sorted(labels) == ["authorised (GSF, from Sep 2025): 5,550", "in Haiti (mission-wide counts)", "planned (MSS, from Nov 2024): 2,500"]


def test_funding_figure_has_one_panel_per_currency():
    fig = figures.funding_by_donor(fund.latest_by_donor(FUNDING))
    assert sorted(ax.get_xlabel() for ax in fig.axes) == ["million CAD", "million EUR", "million USD"]


def test_funding_figure_caps_the_bars_in_all_rank_by_rank_across_currencies():
    # 60 donors in USD, 5 in CAD, 1 in EUR: 66 figures, more than the figure shows.
    rows = [money(f"fu-{i:02d}", "2024-05-01", f"Donor {i:02d}", "bilateral", "pledged", 1_000_000 * (100 - i)) for i in range(60)]
    rows += [money(f"fu-{60 + i}", "2024-05-01", f"Donor {60 + i}", "bilateral", "pledged", 1_000_000 * (10 - i), unit="CAD") for i in range(5)]
    rows += [money("fu-99", "2024-05-01", "Donor 99", "bilateral", "pledged", 5_000, unit="EUR")]
    fig = figures.funding_by_donor(fund.latest_by_donor(typed("funding", *rows)))
    shown = {ax.get_xlabel(): [t.get_text().split(" · ")[0] for t in ax.get_yticklabels()] for ax in fig.axes}
    assert sum(map(len, shown.values())) == figures.MAX_FUNDING_BARS
    # Every currency keeps every figure the rank-by-rank budget reaches: the small ones are not crowded out.
    assert shown["million EUR"] == ["Donor 99"] and sorted(shown["million CAD"]) == [f"Donor {60 + i}" for i in range(5)]
    usd = figures.MAX_FUNDING_BARS - 6
    assert sorted(shown["million USD"]) == [f"Donor {i:02d}" for i in range(usd)]  # the largest USD figures
    assert f"({66 - figures.MAX_FUNDING_BARS} smaller figures not shown)" in fig.texts[0].get_text()


def _countries(n: int) -> pd.DataFrame:
    rows = [pledge(f"pl-{i:03d}", "2024-05-01", "pledged", 1000 - i, country=f"Country {i:02d}", iso3="XXX") for i in range(n)]
    return personnel.by_country(typed("pledges", *rows), SOURCES)


def test_pledged_vs_arrived_caps_the_bars_and_says_how_many_are_hidden():
    fig = figures.pledged_vs_arrived(_countries(figures.MAX_BARS + 7))
    ax = fig.axes[0]
    shown_names = [t.get_text() for t in ax.get_yticklabels()]
    assert len(shown_names) == figures.MAX_BARS and "Country 00" in shown_names and f"Country {figures.MAX_BARS:02d}" not in shown_names
    assert len(ax.patches) == 2 * figures.MAX_BARS
    assert ax.get_title(loc="right").startswith("7 more countries")
    full = figures.pledged_vs_arrived(_countries(figures.MAX_BARS)).axes[0]
    assert len(full.get_yticklabels()) == figures.MAX_BARS and full.get_title(loc="right") == ""


# --- the real data ----------------------------------------------------------------------------

def test_real_national_series_has_one_row_per_round_in_date_order():
    series = dis.national_series(_real("displacement"), hm.sources())
    assert len(series) >= 5
    assert series["round"].is_unique
    assert series["date"].is_monotonic_increasing and series["date"].diff().dropna().gt(pd.Timedelta(0)).all()
    assert (series["candidates"] >= 1).all()
    chosen = _real("displacement").set_index("record_id").loc[series["record_id"]]
    assert (chosen["area"] == "Haiti").all() and (chosen["metric"] == "idps").all() and (chosen["measure"] == "stock").all()
