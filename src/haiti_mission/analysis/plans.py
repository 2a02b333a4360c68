"""The humanitarian response: each plan's people in need, people targeted, requirement, and its
coverage over the year.

Humanitarian money is not mission money: nothing here meets the ``funding`` dataset. A plan's
figures set at launch and revised later are separate rows; a coverage figure always stands at a
date, and moves all year and after it.
"""
from __future__ import annotations

import pandas as pd


def plan_figures(plans: pd.DataFrame) -> pd.DataFrame:
    """Return each plan's people in need, people targeted and requirement, at launch and as
    revised: plan_year, plan, metric, stage, date, value, unit, qualifier, source_id (in order)."""
    p = plans
    rows = p[p["metric"].isin(["people_in_need", "people_targeted", "requirement"])]
    rows = rows.sort_values(["plan_year", "plan", "metric", "date", "record_id"])
    return rows[["plan_year", "plan", "metric", "stage", "date", "value", "unit", "qualifier", "source_id", "record_id"]].reset_index(drop=True)


def coverage(plans: pd.DataFrame) -> pd.DataFrame:
    """Return every dated coverage figure (funded share in percent, funded in US dollars):
    plan_year, plan, date, metric, value, unit, qualifier, source_id, in date order."""
    p = plans
    rows = p[p["metric"].isin(["funded", "funded_share"])].sort_values(["plan_year", "plan", "date", "metric", "record_id"])
    return rows[["plan_year", "plan", "date", "metric", "value", "unit", "qualifier", "source_id", "record_id"]].reset_index(drop=True)


def current_plan(plans: pd.DataFrame, as_of) -> dict | None:
    """The plan of the latest year launched by ``as_of`` (humanitarian response plans and needs
    plans, not flash appeals): its latest requirement and its latest coverage share, with dates
    and sources. None when no plan is known."""
    p = plans[(plans["plan"] != "flash_appeal") & (plans["date"] <= pd.Timestamp(as_of))]
    if p.empty:
        return None
    year = int(p["plan_year"].max())
    mine = p[p["plan_year"] == year].sort_values(["date", "record_id"])
    requirement = mine[mine["metric"] == "requirement"]
    share = mine[mine["metric"] == "funded_share"]
    req, cov = (requirement.iloc[-1] if len(requirement) else None), (share.iloc[-1] if len(share) else None)
    return {"plan_year": year, "plan": str(mine["plan"].iloc[-1]), "requirement": req, "coverage": cov}
