"""The headline figures as known on a date: one function per indicator, and all of them together.

Each indicator function takes the data as loaded for the date and returns one row (value, unit,
qualifier, the date the figure refers to, its source) or None when nothing had been published.
``INDICATORS`` lists them with the datasets each needs; ``known_headlines`` skips an indicator
whose datasets the package does not hold. The names are the situation report's.
"""
from __future__ import annotations

import pandas as pd

from ..analysis import displacement as dis
from ..analysis import food
from ..analysis import funding as fund
from ..analysis import personnel
from ..analysis import security as sec
from ..datapackage.frames import datasets, load

COLUMNS = ["indicator", "value", "unit", "qualifier", "date", "source_id"]


def _row(value, unit, qualifier, date, source_id) -> dict:
    return {"value": value, "unit": unit, "qualifier": qualifier, "date": date, "source_id": source_id}


def national_idps(data: dict) -> dict | None:
    """People internally displaced in Haiti: the latest national DTM figure (persons)."""
    latest = dis.latest_known(dis.national_series(data["displacement"], data["sources"]))
    if latest is None:
        return None
    return _row(latest["value"], "persons", latest["qualifier"], latest["date"], latest["source_id"])


def personnel_in_haiti(data: dict) -> dict | None:
    """Mission personnel in Haiti: the latest mission-wide count (persons)."""
    strength = personnel.strength_over_time(data["pledges"], data["sources"])
    if strength.empty:
        return None
    s = strength.iloc[-1]
    return _row(s["personnel"], "persons", s["qualifier"], s["date"], s["source_id"])


def trust_fund_deposited(data: dict) -> dict | None:
    """Money deposited in the mission's UN trust fund: the latest mission-wide figure (US dollars)."""
    t = fund.latest_trust_fund(data["funding"], "deposited")
    if t is None:
        return None
    return _row(t["amount"], "USD", t["qualifier"], t["date"], t["source_id"])


def quarterly_killings(data: dict) -> dict | None:
    """People killed in the latest quarter BINUH published (its quarterly series only; persons)."""
    quarters = sec.quarterly(data["security"], data["sources"], metrics=("killed",))
    if quarters.empty:
        return None
    q = quarters.iloc[-1]
    return _row(q["value"], "persons", q["qualifier"], q["period_end"], q["source_id"])


def ipc_phase3_plus(data: dict) -> dict | None:
    """People in IPC Phase 3 or worse: the current period of the latest analysis (persons)."""
    latest = food.latest_current(data["food_security"], data["sources"])
    if latest is None:
        return None
    return _row(latest["value"], "persons", latest["qualifier"], latest["period_end"], latest["source_id"])


# (indicator, datasets it needs besides sources, function), in the order the headlines show them.
INDICATORS = [
    ("People internally displaced (latest national DTM figure)", ("displacement",), national_idps),
    ("Personnel in Haiti (latest mission-wide count)", ("pledges",), personnel_in_haiti),
    ("Trust fund: deposited", ("funding",), trust_fund_deposited),
    ("People killed (latest BINUH quarter)", ("security",), quarterly_killings),
    ("People in IPC Phase 3+ (latest analysis, current period)", ("food_security",), ipc_phase3_plus),
]


def known_headlines(as_of, data_dir=None) -> pd.DataFrame:
    """Return the headline figures as a reader could know them on ``as_of``, one row per indicator
    whose datasets exist (value missing when nothing had been published by then).

    Columns: indicator, value (Int64), unit, qualifier, date (the figure's own date), source_id.
    """
    held = set(datasets(data_dir=data_dir))
    wanted = [(name, needs, fn) for name, needs, fn in INDICATORS if set(needs) <= held]
    names = sorted({n for _, needs, _ in wanted for n in needs})
    data = {n: load(n, as_of, data_dir=data_dir) for n in names}
    data["sources"] = load("sources", data_dir=data_dir)
    rows = []
    for name, _, fn in wanted:
        row = fn(data) or _row(pd.NA, "", "", pd.NaT, "")
        rows.append({"indicator": name, **row})
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["value"] = out["value"].astype("Int64")
    out["date"] = pd.to_datetime(out["date"])
    for column in ("unit", "qualifier", "source_id"):
        out[column] = out[column].astype("str")
    return out
