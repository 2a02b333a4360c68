"""The outcome datasets (security, food_security, humanitarian_plans, health) and the rules on them.

Every new rule refuses a row that breaks it, in load() and validate() alike, naming file, row and
field; each case breaks one cell of a temporary copy of the real data.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd
import pytest

import haiti_mission as hm
from haiti_mission.analysis import funding as fund

OUTCOMES = ["security", "food_security", "humanitarian_plans", "health"]


def read_rows(folder: Path, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO((folder / f"{name}.csv").read_text(encoding="utf-8"), newline="")))


def write_rows(folder: Path, name: str, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    (folder / f"{name}.csv").write_text(buf.getvalue(), encoding="utf-8")


@pytest.mark.parametrize("name", OUTCOMES)
def test_each_outcome_dataset_loads_typed_and_sourced(name):
    frame = hm.load(name)
    assert len(frame) > 30
    assert pd.api.types.is_float_dtype(frame["value"]) and str(frame["value"].dtype) == "Float64"
    dates = [c for c in frame.columns if c in ("period_start", "period_end", "date")]
    assert dates and all(str(frame[c].dtype) == "datetime64[ns]" for c in dates)
    assert isinstance(frame["qualifier"].dtype, pd.CategoricalDtype)
    assert frame["source_id"].isin(hm.sources()["source_id"]).all()


@pytest.mark.parametrize("name", OUTCOMES)
def test_point_in_time_applies_to_the_outcome_datasets(name):
    early = hm.load(name, as_of="2024-03-01")
    known = hm.sources().set_index("source_id")
    published = known.loc[early["source_id"], "published"]
    assert (published <= pd.Timestamp("2024-03-31")).all()  # month-dated sources count from the month's end
    assert len(early) < len(hm.load(name))


@dataclass(frozen=True)
class Case:
    id: str
    resource: str
    when: Callable[[dict], bool]  # picks the first row to break
    field: str
    value: str
    message: str


CASES = [
    Case("security-window-reversed", "security", lambda r: r["period_start"] < r["period_end"], "period_start", "2026-11-30", "cannot come after period_end"),
    Case("security-share-in-persons", "security", lambda r: r["metric"].endswith("_share"), "unit", "persons", "unit is 'percent' is required"),
    Case("security-percent-over-100", "security", lambda r: r["unit"] == "percent", "value", "140", "at most 100"),
    Case("security-count-in-percent", "security", lambda r: r["metric"] == "killed", "unit", "percent", "unit is 'persons' is required"),
    Case("security-statement-without-speaker", "security", lambda r: r["metric"] == "gang_control_share", "speaker", "", "speaker is filled in"),
    Case("food-share-in-persons", "food_security", lambda r: r["metric"] == "share", "unit", "persons", "unit is 'percent' is required"),
    Case("food-people-without-phase", "food_security", lambda r: r["metric"] == "people", "phase", "", "phase is filled in"),
    Case("food-update-label", "food_security", lambda r: r["period_kind"] == "projection_update", "analysis", "2022-09", "analysis is matches '-update$'"),
    Case("plans-coverage-at-launch", "humanitarian_plans", lambda r: r["metric"] == "funded_share", "stage", "launch", "stage is 'as_at' is required"),
    Case("plans-requirement-in-persons", "humanitarian_plans", lambda r: r["metric"] == "requirement", "unit", "persons", "unit is 'USD' is required"),
    Case("health-cases-as-malnutrition", "health", lambda r: r["metric"] == "confirmed_cases", "topic", "malnutrition", "topic is 'cholera' is required"),
    Case("month-date-not-the-first", "health", lambda r: r["date_precision"] == "month", "date", "2023-05-17", "matches '-01$'"),
    Case("arrival-without-contingent", "pledges", lambda r: r["measure"] == "arrived" and r["country"], "contingent", "", "contingent is filled in"),
    Case("part-of-a-missing-row", "pledges", lambda r: True, "part_of", "pl-9999", "'pl-9999' does not exist in pledges"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_rule_refuses_a_row_that_breaks_it(data_copy, case):
    rows = read_rows(data_copy, case.resource)
    header = rows[0]
    index = next(i for i, r in enumerate(rows[1:], start=1) if case.when(dict(zip(header, r))))
    rows[index][header.index(case.field)] = case.value
    write_rows(data_copy, case.resource, rows)
    with pytest.raises(hm.DataError) as caught:
        hm.load(case.resource)
    found = [p for p in caught.value.problems if p.row == index + 1 and p.field == case.field]
    assert found and case.message in found[0].message, str(caught.value)
    assert Path(found[0].file).name == f"{case.resource}.csv"
    report = hm.validate(data_copy, use_frictionless=False)
    assert any(p.row == index + 1 and p.field == case.field and case.message in p.message for p in report.problems)


def test_humanitarian_money_is_never_added_to_mission_money():
    """Plans are humanitarian appeals, funding.csv is mission money: funding.total refuses plans."""
    plans = hm.load("humanitarian_plans")
    with pytest.raises(fund.MixedAmountsError, match="humanitarian"):
        fund.total(plans)
    mixed = pd.concat([hm.load("funding"), plans.rename(columns={"value": "amount"})], ignore_index=True)
    with pytest.raises(fund.MixedAmountsError):
        fund.total(mixed)
