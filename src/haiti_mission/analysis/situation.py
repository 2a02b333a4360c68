"""The situation report's headline: what a reader could know on a given date, on the mission and on
what it exists to change."""
from __future__ import annotations

import pandas as pd

from . import displacement as dis
from . import food
from . import funding as fund
from . import personnel
from . import plans as hplans
from . import security as sec
from .disagreements import plain_number

_COLUMNS = ["indicator", "value", "unit", "qualifier", "date", "source_id", "comment"]


def _row(indicator, value, unit, qualifier, date, source_id, comment=""):
    return {"indicator": indicator, "value": value, "unit": unit, "qualifier": qualifier, "date": date, "source_id": source_id, "comment": comment}


def mission_figures(displacement: pd.DataFrame, pledges: pd.DataFrame, funding: pd.DataFrame, sources: pd.DataFrame) -> list[dict]:
    """The headline rows on displacement and the mission: people displaced (latest national DTM
    figure), personnel pledged (each country's largest pledge, added), personnel arrived
    (contingents that landed, added), personnel in the country (latest mission-wide count), trust
    fund pledged and deposited (latest mission-wide figures, US dollars)."""
    rows = []
    series = dis.national_series(displacement, sources)
    latest = dis.latest_known(series)
    if latest is not None:
        rows.append(_row("People internally displaced (latest national DTM figure)", latest["value"], "persons", latest["qualifier"], latest["date"], latest["source_id"], f"round {latest['round']}"))
    else:
        rows.append(_row("People internally displaced (latest national DTM figure)", pd.NA, "persons", "", pd.NaT, "", "no national figure published yet"))

    head = personnel.headline(pledges, sources)
    if head["pledged"] is not None:
        comment = f"{head['countries_with_number']} of {head['countries_pledging']} countries gave a number"
        rows.append(_row("Personnel pledged (largest pledge of each country, added)", head["pledged"], "persons", "", pd.NaT, "", comment))
    else:
        rows.append(_row("Personnel pledged (largest pledge of each country, added)", pd.NA, "persons", "", pd.NaT, "", "no country had pledged a number yet"))
    if head["arrived"]:
        rows.append(_row("Personnel arrived in Haiti (contingents, rotations excluded)", head["arrived"], "persons", "", pd.NaT, "", f"from {head['countries_arrived']} countries; departures not subtracted"))
    else:
        rows.append(_row("Personnel arrived in Haiti (contingents, rotations excluded)", pd.NA, "persons", "", pd.NaT, "", "no deployment had happened yet"))
    strength = personnel.strength_over_time(pledges, sources)
    if len(strength):
        s = strength.iloc[-1]
        rows.append(_row("Personnel in Haiti (latest mission-wide count)", s["personnel"], "persons", s["qualifier"], s["date"], s["source_id"], str(s["force"])))
    else:
        rows.append(_row("Personnel in Haiti (latest mission-wide count)", pd.NA, "persons", "", pd.NaT, "", "no deployment had happened yet"))

    trust = {stage: fund.latest_trust_fund(funding, stage) for stage in ("pledged", "deposited")}
    dated = {stage: t["date"] for stage, t in trust.items() if t is not None}
    # Figures of different dates are never set side by side as if comparable: say so on both.
    apart = len(dated) == 2 and dated["pledged"] != dated["deposited"]
    for stage, t in trust.items():
        label = f"Trust fund: {stage}"
        if t is None:
            rows.append(_row(label, pd.NA, "USD", "", pd.NaT, "", "no figure published yet"))
            continue
        comment = str(t["force"])
        if apart:
            comment += (f"; pledged and deposited are of different dates ({dated['pledged']:%Y-%m-%d} and {dated['deposited']:%Y-%m-%d}): "
                        "money deposited after the pledged total was last published can exceed it")
        rows.append(_row(label, t["amount"], "USD", t["qualifier"], t["date"], t["source_id"], comment))
    return rows


def outcome_figures(security: pd.DataFrame, food_insecurity: pd.DataFrame, plans: pd.DataFrame, sources: pd.DataFrame, as_of) -> list[dict]:
    """The headline rows on what the mission exists to change: people killed and kidnapped in the
    latest BINUH quarter (with the same quarter a year before when both exist), the people in IPC
    Phase 3+ in the current period of the latest analysis, and the current humanitarian plan's
    requirement and latest coverage."""
    rows = []
    quarters = sec.quarterly(security, sources)
    for metric in ("killed", "kidnapped"):
        label = f"People {metric} (latest BINUH quarter)"
        yoy = sec.year_on_year(quarters, metric)
        if yoy.empty:
            rows.append(_row(label, pd.NA, "persons", "", pd.NaT, "", "no quarterly figure published yet"))
            continue
        y = yoy.iloc[0]
        end = quarters.loc[(quarters["metric"] == metric) & (quarters["quarter"] == y["quarter"]), "period_end"].iloc[0]
        if pd.isna(y["change"]):
            comment = f"{y['quarter']}; no figure for the same quarter a year before"
        else:
            exact = str(y["qualifier"]) == "exact" and str(y["previous_qualifier"]) == "exact"
            bounded = "" if exact else " (indicative: a figure is rounded or a bound)"
            comment = f"{y['quarter']}; {y['previous_quarter']}: {int(y['previous_value']):,}, change {int(y['change']):+,} ({y['change_pct']:+.1f}%){bounded}"
        rows.append(_row(label, y["value"], "persons", y["qualifier"], end, y["source_id"], comment))
    ipc = food.latest_current(food_insecurity, sources)
    if ipc is not None:
        comment = f"analysis {ipc['analysis']}, current period {ipc['period_start']:%Y-%m} to {ipc['period_end']:%Y-%m}"
        rows.append(_row("People in IPC Phase 3+ (latest analysis, current period)", ipc["value"], "persons", ipc["qualifier"], ipc["period_end"], ipc["source_id"], comment))
    else:
        rows.append(_row("People in IPC Phase 3+ (latest analysis, current period)", pd.NA, "persons", "", pd.NaT, "", "no analysis published yet"))
    plan = hplans.current_plan(plans, as_of)
    if plan is None:
        rows.append(_row("Humanitarian plan: requirement", pd.NA, "USD", "", pd.NaT, "", "no plan published yet"))
    else:
        name = f"{plan['plan_year']} {plan['plan'].upper()}"
        for key, label, unit in (("requirement", f"Humanitarian plan {name}: requirement", "USD"), ("coverage", f"Humanitarian plan {name}: funded", "percent")):
            r = plan[key]
            if r is None:
                rows.append(_row(label, pd.NA, unit, "", pd.NaT, "", "no figure published yet"))
            else:
                rows.append(_row(label, r["value"], unit, r["qualifier"], r["date"], r["source_id"], str(r["stage"]) if key == "requirement" else "share of the requirement, at that date"))
    return rows


def headline_figures(displacement: pd.DataFrame, pledges: pd.DataFrame, funding: pd.DataFrame, sources: pd.DataFrame,
                     outcomes: dict | None = None, as_of=None) -> pd.DataFrame:
    """Return one row per headline indicator, from data already cut to a date (``load(..., as_of=)``).

    The mission rows (``mission_figures``) always; with ``outcomes`` ({"security", "food_security",
    "humanitarian_plans": frames}) and ``as_of``, the outcome rows too (``outcome_figures``). A
    value is missing when nothing had been published; ``comment`` says so. Columns: indicator,
    value (as published: a count, US dollars or a percentage, by ``unit``), unit, qualifier, date
    (the day the figure stands at), source_id, comment.
    """
    rows = mission_figures(displacement, pledges, funding, sources)
    if outcomes is not None:
        rows += outcome_figures(outcomes["security"], outcomes["food_security"], outcomes["humanitarian_plans"], sources, as_of)
    out = pd.DataFrame(rows, columns=_COLUMNS)
    out["value"] = pd.Series([plain_number(v) for v in out["value"]], dtype="object")
    out["date"] = pd.to_datetime(out["date"])
    return out


def national_figures_reported(displacement: pd.DataFrame, sources: pd.DataFrame, as_of, days: int = 180) -> pd.DataFrame:
    """Return every national IDP stock figure whose source was published in the ``days`` up to
    ``as_of``, whatever its round, so press figures appear beside IOM's own (newest first)."""
    from .provenance import with_sources

    end = pd.Timestamp(as_of)
    rows = with_sources(dis.idp_stocks(displacement, dis.NATIONAL), sources)
    rows = rows[(rows["source_published"] > end - pd.Timedelta(days=days)) & (rows["source_published"] <= end)]
    return rows.sort_values(["source_published", "record_id"], ascending=[False, True])[
        ["date", "value", "qualifier", "round", "source_publisher", "source_published", "source_id"]
    ].reset_index(drop=True)


def headline_rows(headline: pd.DataFrame, pledges: pd.DataFrame) -> list[pd.DataFrame]:
    """Return the data rows the headline figures rest on (for naming their sources): the rows
    that carry one source, and the pledges rows the added personnel figures come from."""
    numbered = pledges[pledges["personnel"].notna() & pledges["measure"].isin([*personnel.measures("pledge"), "arrived", "in_country"])]
    return [headline[headline["source_id"].astype("str") != ""], numbered]
