"""Hunger: IPC acute food insecurity analyses, current and projected periods kept apart.

Phase 3+ already includes Phases 4 and 5, so phases are never added; shares are of the analysed
population, not of Haiti's. An analysis has a current period and a projection; a later update
may replace the projection for the same season: it is labelled as such and never read as the
next step of a series.
"""
from __future__ import annotations

import pandas as pd

from ..datapackage import vocabulary
from .provenance import with_sources

NATIONAL = "Haiti"
_COLUMNS = ["analysis", "period_kind", "period_start", "period_end", "phase", "metric", "value", "unit", "qualifier",
            "source_id", "source_publisher", "source_published", "record_id", "candidates"]


def _best(rows: pd.DataFrame, sources: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One row per ``by`` group: strongest source kind, exact over rounded, earliest published."""
    ranked = with_sources(rows, sources)
    ranked["qualifier_rank"] = ranked["qualifier"].astype("str").map(vocabulary.ranks("food_security", "qualifier"))
    ranked = ranked.sort_values([*by, "source_rank", "qualifier_rank", "source_published", "record_id"], na_position="last", kind="stable")
    counts = ranked.groupby(by, observed=True, sort=False).size().rename("candidates")
    best = ranked.groupby(by, observed=True, sort=False).head(1).join(counts, on=by)
    best["candidates"] = best["candidates"].astype("Int64")
    return best


def national_phases(food: pd.DataFrame, sources: pd.DataFrame, phases=("3+", "4", "5"), metric: str = "people") -> pd.DataFrame:
    """Return the national figure of each analysis, period kind and phase (``metric``: people or
    share), one per combination, the strongest source standing where several give one.

    Columns: analysis, period_kind, period_start, period_end, phase, metric, value, unit,
    qualifier, source_id, source_publisher, source_published, record_id, candidates; ordered by
    period, then period kind (current, projected, projection update), then phase.
    """
    f = food
    rows = f[(f["area"] == NATIONAL) & f["phase"].isin(list(phases)) & (f["metric"] == metric)]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in _COLUMNS})
    best = _best(rows, sources, ["analysis", "period_kind", "phase"])
    kinds = list(vocabulary.values("food_security", "period_kind"))
    best["kind_order"] = best["period_kind"].astype("str").map(kinds.index)
    best = best.sort_values(["period_start", "kind_order", "phase", "analysis"])
    for column in ("period_kind", "phase", "metric", "unit", "qualifier"):
        best[column] = best[column].astype("str")
    return best[_COLUMNS].reset_index(drop=True)


def phase_table(food: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """One row per analysis period (national): period, kind, Phase 3+ and Phase 4 people, and the
    Phase 3+ share of the analysed population, as published."""
    people = national_phases(food, sources, phases=("3+", "4"))
    shares = national_phases(food, sources, phases=("3+",), metric="share")
    key = ["analysis", "period_kind", "period_start", "period_end"]
    if people.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in [*key, "phase_3plus", "phase_4", "phase_3plus_share"]})
    wide = people.pivot_table(index=key, columns="phase", values="value", aggfunc="first").reset_index()
    wide.columns.name = None
    wide = wide.rename(columns={"3+": "phase_3plus", "4": "phase_4"})
    share = shares.set_index(key)["value"].rename("phase_3plus_share")
    out = wide.join(share, on=key)
    kinds = list(vocabulary.values("food_security", "period_kind"))
    out["kind_order"] = out["period_kind"].map(kinds.index)
    out = out.sort_values(["period_start", "kind_order"]).drop(columns="kind_order")
    return out.reindex(columns=[*key, "phase_3plus", "phase_4", "phase_3plus_share"]).reset_index(drop=True)


def latest_current(food: pd.DataFrame, sources: pd.DataFrame, phase: str = "3+") -> pd.Series | None:
    """The national figure of ``phase`` (people) for the current period of the latest analysis."""
    rows = national_phases(food, sources, phases=(phase,))
    rows = rows[rows["period_kind"] == "current"]
    return rows.sort_values("period_start").iloc[-1] if len(rows) else None


def phase5_pockets(food: pd.DataFrame) -> pd.DataFrame:
    """Every published Phase 5 (Catastrophe) figure, national or for a commune or a group of
    people: analysis, period_kind, period_start, period_end, area, metric, value, unit, qualifier, source_id."""
    f = food
    rows = f[f["phase"] == "5"].sort_values(["period_start", "area", "metric", "record_id"])
    return rows[["analysis", "period_kind", "period_start", "period_end", "area", "metric", "value", "unit", "qualifier", "source_id", "record_id"]].reset_index(drop=True)
