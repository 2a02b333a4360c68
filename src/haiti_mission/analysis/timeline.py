"""Timeline: the mission's milestones, the time between them, and events in a window."""
from __future__ import annotations

import pandas as pd

from ..datapackage import vocabulary


def milestones(timeline: pd.DataFrame) -> pd.DataFrame:
    """Return the milestone events present in ``timeline`` in the descriptor's order of the
    milestones, each with its label (the descriptor's ``enumLabels``)."""
    order = vocabulary.values("timeline", "milestone")
    t = timeline[timeline["milestone"].notna()].copy()
    t["label"] = t["milestone"].astype("str").map(vocabulary.labels("timeline", "milestone"))
    t["order"] = t["milestone"].astype("str").map(order.index)
    return t.sort_values("order")[["milestone", "label", "date", "date_precision", "event_id", "title", "source_id"]].reset_index(drop=True)


def milestone_intervals(timeline: pd.DataFrame) -> pd.DataFrame:
    """Return the days from each milestone to the next, and from Kenya's pledge to each one."""
    m = milestones(timeline)
    out = m[["label", "date"]].copy()
    out["days_since_previous"] = m["date"].diff().dt.days.astype("Int64")
    first = m.loc[m["milestone"] == "kenya_pledge", "date"]
    out["days_since_kenya_pledge"] = (m["date"] - first.iloc[0]).dt.days.astype("Int64") if len(first) else pd.array([pd.NA] * len(m), dtype="Int64")
    return out.reset_index(drop=True)


def events_in_window(timeline: pd.DataFrame, start=None, end=None, categories=None) -> pd.DataFrame:
    """Return events dated from ``start`` to ``end`` (inclusive; None leaves a side open), optionally
    limited to some ``categories``, in date order."""
    t = timeline
    keep = pd.Series(True, index=t.index)
    if start is not None:
        keep &= t["date"] >= pd.Timestamp(start)
    if end is not None:
        keep &= t["date"] <= pd.Timestamp(end)
    if categories:
        keep &= t["category"].isin(list(categories))
    return t[keep].sort_values(["date", "event_id"]).reset_index(drop=True)


def recent_events(timeline: pd.DataFrame, count: int = 8) -> pd.DataFrame:
    """Return the ``count`` most recent events, newest first."""
    return timeline.sort_values(["date", "event_id"], ascending=[False, True]).head(count).reset_index(drop=True)
