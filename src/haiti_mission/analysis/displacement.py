"""Displacement: the national IDP series, change between rounds, metro vs provinces, departments."""
from __future__ import annotations

import re

import pandas as pd

from ..datapackage import vocabulary
from .provenance import with_sources

NATIONAL = "Haiti"
METRO = "Port-au-Prince metropolitan area"
PROVINCES = "Provinces"
_ROUND = re.compile(r"^R(\d+)\b")


def round_number(label) -> int | None:
    """Return the number of a national DTM round label such as "R7", or None for other labels."""
    if label is None or pd.isna(label):
        return None
    match = _ROUND.match(str(label))
    return int(match.group(1)) if match else None


def _ranked(rows: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Rows with their source details, sorted strongest candidate first."""
    out = with_sources(rows, sources)
    # IOM runs the DTM, so its own figure comes first; every other kind keeps its usual rank after it.
    out["source_rank"] = (out["source_kind"].astype("str") != "iom").astype("Int64") * (1 + out["source_rank"])
    out["qualifier_rank"] = out["qualifier"].astype("str").map(vocabulary.ranks("displacement", "qualifier"))
    return out.sort_values(["source_rank", "qualifier_rank", "source_published", "record_id"], na_position="last")


def idp_stocks(displacement: pd.DataFrame, area: str) -> pd.DataFrame:
    """Return the IDP stock rows (metric idps, measure stock) for one area."""
    d = displacement
    return d[(d["metric"] == "idps") & (d["measure"] == "stock") & (d["area"] == area)]


def national_series(displacement: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Return one national IDP figure per DTM round, chosen by a fixed rule.

    Candidates are stock rows of metric ``idps`` for area "Haiti". A row belongs to a round when
    its ``round`` names one ("R7"); a row without a round number enters only when IOM itself
    published it, and then stands for the month of its reference date ("2023-12"). Press figures
    without a round (a newspaper repeating an old number) never enter, nor do figures for the
    capital or a department. Among the candidates for a round the chosen row is, in order: IOM's
    own over other primary sources (UN, government), then wires, then other outlets; exact over
    rounded or bounded; the earliest published; the lowest record_id.

    Columns: round, date, value, qualifier, source_id, source_publisher, source_published,
    record_id, candidates (how many rows competed for that round).
    """
    columns = ["round", "date", "value", "qualifier", "source_id", "source_publisher", "source_published", "record_id", "candidates"]
    rows = _ranked(idp_stocks(displacement, NATIONAL), sources)
    numbers = rows["round"].map(round_number)
    month = rows["date"].dt.strftime("%Y-%m")
    rows["round_key"] = ["R" + str(int(n)) if n is not None and not pd.isna(n) else (m if k == "iom" else None)
                         for n, m, k in zip(numbers, month, rows["source_kind"].astype("str"))]
    rows = rows[rows["round_key"].notna()]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    counts = rows.groupby("round_key").size()
    best = rows.groupby("round_key", sort=False).head(1).copy()
    best["round"] = best["round_key"]
    best["candidates"] = best["round_key"].map(counts).astype("Int64")
    return best.sort_values(["date", "record_id"])[columns].reset_index(drop=True)


def round_changes(series: pd.DataFrame) -> pd.DataFrame:
    """Return the change from each round of ``national_series`` to the next.

    ``change`` is the difference in people, ``change_pct`` the relative change in percent (one
    decimal). ``both_exact`` is False when either figure was rounded or bounded by its source, in
    which case the change is only indicative.
    """
    s = series.reset_index(drop=True)
    out = pd.DataFrame({
        "from_round": s["round"].shift(1),
        "to_round": s["round"],
        "from_value": s["value"].shift(1),
        "to_value": s["value"],
    }).iloc[1:]
    out["change"] = (out["to_value"] - out["from_value"]).astype("Int64")
    out["change_pct"] = (100 * out["change"].astype("Float64") / out["from_value"].astype("Float64")).round(1)
    exact = s["qualifier"].astype("str") == "exact"
    out["both_exact"] = (exact & exact.shift(1, fill_value=False)).iloc[1:].to_numpy()
    return out.reset_index(drop=True)


def metro_vs_provinces(displacement: pd.DataFrame) -> pd.DataFrame:
    """Return, per round, the IDPs and shares published for the capital area and for the provinces.

    Only published figures appear; nothing is derived by subtraction. Columns: round, date, area,
    metric (idps or idps_share), value, unit, qualifier, source_id.
    """
    d = displacement
    keep = d["area"].isin([METRO, PROVINCES]) & d["metric"].isin(["idps", "idps_share"]) & (d["measure"] == "stock")
    rows = d[keep].copy()
    rows["round_number"] = rows["round"].map(round_number)
    rows = rows.sort_values(["date", "area", "metric", "record_id"])
    return rows[["round", "date", "area", "metric", "value", "unit", "qualifier", "source_id"]].reset_index(drop=True)


def department_figures(displacement: pd.DataFrame) -> pd.DataFrame:
    """Return the IDP stocks published for single departments: department by date, one column each."""
    d = displacement
    rows = d[(d["area_type"] == "department") & (d["metric"] == "idps") & (d["measure"] == "stock")]
    rows = rows.sort_values(["area", "date", "qualifier", "record_id"])
    return rows[["area", "date", "round", "value", "qualifier", "source_id"]].reset_index(drop=True)


def latest_known(series: pd.DataFrame) -> pd.Series | None:
    """Return the most recent round of a national series, or None when it is empty."""
    if series.empty:
        return None
    return series.sort_values("date").iloc[-1]
