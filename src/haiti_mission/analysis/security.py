"""Security: BINUH's quarterly counts, who caused the casualties, gang control, the other UN series.

The UN's series are never mixed: BINUH's quarterly reports (calendar quarters, all perpetrators,
gang members counted where the source says so), the Secretary-General's homicide windows (which
are not calendar quarters) and OHCHR's cumulative statements each stay in their own table and on
their own line. Quarters are never added into a year: BINUH's annual totals are published (and
revised) on their own.
"""
from __future__ import annotations

import pandas as pd

from ..datapackage import vocabulary
from .provenance import with_sources

NATIONAL = "Haiti"
QUARTERLY = "binuh_quarterly"
QUARTER_METRICS = ("killed", "injured", "kidnapped")
_QUARTER_COLUMNS = ["quarter", "period_start", "period_end", "metric", "value", "qualifier", "gang_members", "source_id",
                    "source_publisher", "source_published", "record_id", "candidates"]


def quarter_label(start: pd.Timestamp) -> str:
    """'2024 Q3' for a window starting 1 July 2024."""
    return f"{start.year} Q{(start.month - 1) // 3 + 1}"


def is_calendar_quarter(start: pd.Series, end: pd.Series) -> pd.Series:
    """Whether each window [start, end] is one calendar quarter exactly."""
    quarter_start = start.dt.is_quarter_start & start.dt.month.isin([1, 4, 7, 10])
    return quarter_start & end.dt.is_quarter_end & (end.dt.to_period("Q") == start.dt.to_period("Q"))


def _best(rows: pd.DataFrame, sources: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One row per ``by`` group: the strongest source, then exact over rounded, then the earliest
    published, then the lowest record id; ``candidates`` says how many rows competed."""
    ranked = with_sources(rows, sources)
    ranked["qualifier_rank"] = ranked["qualifier"].astype("str").map(vocabulary.ranks("security", "qualifier"))
    ranked = ranked.sort_values([*by, "source_rank", "qualifier_rank", "source_published", "record_id"], na_position="last", kind="stable")
    counts = ranked.groupby(by, observed=True, sort=False).size().rename("candidates")
    best = ranked.groupby(by, observed=True, sort=False).head(1).join(counts, on=by)
    best["candidates"] = best["candidates"].astype("Int64")
    return best


def quarterly(security: pd.DataFrame, sources: pd.DataFrame, metrics=QUARTER_METRICS) -> pd.DataFrame:
    """Return BINUH's national quarterly counts (series ``binuh_quarterly`` only), one figure per
    quarter and metric (killed, injured, kidnapped by default), all perpetrators.

    Where several sources give a quarter's figure, the strongest source stands (see ``_best``);
    ``candidates`` says how many there were. Columns: quarter ("2024 Q3"), period_start,
    period_end, metric, value, qualifier, gang_members, source_id, source_publisher,
    source_published, record_id, candidates; in date order.
    """
    s = security
    keep = ((s["series"] == QUARTERLY) & (s["area"] == NATIONAL) & (s["perpetrator"] == "all")
            & s["metric"].isin(list(metrics)) & is_calendar_quarter(s["period_start"], s["period_end"]))
    rows = s[keep]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in _QUARTER_COLUMNS})
    best = _best(rows, sources, ["period_start", "metric"])
    best["quarter"] = best["period_start"].map(quarter_label)
    best["metric"] = best["metric"].astype("str")
    return best.sort_values(["period_start", "metric"])[_QUARTER_COLUMNS].reset_index(drop=True)


def quarterly_wide(series: pd.DataFrame) -> pd.DataFrame:
    """Return ``quarterly`` output as one row per quarter with a column per metric (values only)."""
    if series.empty:
        return pd.DataFrame({"quarter": pd.Series(dtype="str"), "period_end": pd.Series(dtype="datetime64[ns]")})
    wide = series.pivot_table(index=["quarter", "period_start", "period_end"], columns="metric", values="value", aggfunc="first")
    wide = wide.reset_index().sort_values("period_start").drop(columns="period_start")
    wide.columns.name = None
    for metric in [c for c in wide.columns if c not in ("quarter", "period_end")]:
        values = wide[metric].dropna()
        if (values == values.round()).all():
            wide[metric] = wide[metric].round().astype("Int64")  # counts of people read as whole numbers
    return wide.reset_index(drop=True)


def year_on_year(series: pd.DataFrame, metric: str) -> pd.DataFrame:
    """For the latest quarter of ``metric``, its figure beside the same quarter a year before.

    Returns one row (quarter, value, qualifier, source_id, previous_quarter, previous_value,
    previous_qualifier, previous_source_id, change, change_pct), or no row when the metric has
    no quarter. ``change`` is empty when the year-before quarter is not published; with a
    bounded figure ("at least") on either side it is only indicative.
    """
    rows = series[series["metric"] == metric].sort_values("period_start")
    columns = ["quarter", "value", "qualifier", "source_id", "previous_quarter", "previous_value", "previous_qualifier",
               "previous_source_id", "change", "change_pct"]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    latest = rows.iloc[-1]
    before = rows[rows["period_start"] == latest["period_start"] - pd.DateOffset(years=1)]
    prev = before.iloc[0] if len(before) else None
    change = latest["value"] - prev["value"] if prev is not None else pd.NA
    out = {
        "quarter": latest["quarter"], "value": latest["value"], "qualifier": latest["qualifier"], "source_id": latest["source_id"],
        "previous_quarter": prev["quarter"] if prev is not None else None,
        "previous_value": prev["value"] if prev is not None else pd.NA,
        "previous_qualifier": prev["qualifier"] if prev is not None else None,
        "previous_source_id": prev["source_id"] if prev is not None else None,
        "change": change,
        "change_pct": round(100 * change / prev["value"], 1) if prev is not None and prev["value"] else pd.NA,
    }
    return pd.DataFrame([out], columns=columns)


def perpetrator_shares(security: pd.DataFrame) -> pd.DataFrame:
    """Return the published shares of a quarter's victims by perpetrator (BINUH's quarterly series,
    national): quarter, metric (which victims the share is of), perpetrator, value (percent),
    qualifier, source_id. Shares are kept as published: never turned into counts."""
    s = security
    keep = ((s["series"] == QUARTERLY) & (s["area"] == NATIONAL) & s["metric"].astype("str").str.endswith("_share")
            & (s["perpetrator"] != "all") & is_calendar_quarter(s["period_start"], s["period_end"]))
    rows = s[keep].sort_values(["period_start", "metric", "perpetrator", "record_id"]).copy()
    rows["quarter"] = rows["period_start"].map(quarter_label)
    return rows[["quarter", "period_start", "metric", "perpetrator", "value", "qualifier", "source_id", "record_id"]].reset_index(drop=True)


def gang_control(security: pd.DataFrame) -> pd.DataFrame:
    """Return every statement of the share of an area under gang control: date, area, value
    (percent), qualifier, speaker, series, source_id. Statements, not measurements: who said it
    and when is part of the figure."""
    s = security
    rows = s[s["metric"] == "gang_control_share"].sort_values(["period_end", "record_id"])
    out = rows[["period_end", "area", "value", "qualifier", "speaker", "series", "source_id", "record_id"]]
    return out.rename(columns={"period_end": "date"}).reset_index(drop=True)


def other_series(security: pd.DataFrame, series: str, metrics=("homicides", "killed", "killed_or_injured", "kidnapped")) -> pd.DataFrame:
    """Return one other UN series' national figures (``sg_report`` windows, ``ohchr_statement``
    cumulative counts), each with its own window: period_start, period_end, metric, value,
    qualifier, source_id. Never to be drawn on the same line as BINUH's quarters."""
    s = security
    keep = (s["series"] == series) & (s["area"] == NATIONAL) & (s["perpetrator"] == "all") & s["metric"].isin(list(metrics))
    rows = s[keep].sort_values(["period_end", "period_start", "metric", "record_id"])
    return rows[["series", "period_start", "period_end", "metric", "value", "qualifier", "gang_members", "source_id", "record_id"]].reset_index(drop=True)


def annual_totals(security: pd.DataFrame) -> pd.DataFrame:
    """Return the published calendar-year national totals (any series), each revision a row of
    its own: year, series, metric, value, qualifier, source_id. Never a sum of quarters."""
    s = security
    year = s["period_start"].dt.is_year_start & s["period_end"].dt.is_year_end & (s["period_start"].dt.year == s["period_end"].dt.year)
    keep = year & (s["area"] == NATIONAL) & (s["perpetrator"] == "all") & s["metric"].isin(["killed", "injured", "kidnapped", "homicides"])
    rows = s[keep].copy()
    rows["year"] = rows["period_start"].dt.year.astype("Int64")
    rows = rows.sort_values(["year", "metric", "series", "record_id"])
    return rows[["year", "series", "metric", "value", "qualifier", "source_id", "record_id"]].reset_index(drop=True)
