"""What entered the public record between two dates: new rows, new events, and the headline
figures as known on each date, side by side.

A row enters the record on the day its source became public (the package's point-in-time rule:
a source dated only by month counts from the month's last day). Rows whose source has no known
publication date never enter: nobody can say when they became known.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from ..analysis.disagreements import QUANTITY_KEYS, plain_number, quantity_label
from ..datapackage.descriptor import read_package
from ..datapackage.frames import known_dates, latest_publication, load, parse_as_of
from .headlines import known_headlines

DEFAULT_DAYS = 30
COLUMNS = ["kind", "dataset", "id", "what", "date", "value", "unit", "qualifier", "source_id", "known_from",
           "value_before", "date_before", "source_id_before"]


def window(since=None, until=None, *, data_dir=None) -> tuple[dt.date, dt.date]:
    """The dates compared: ``until`` defaults to the newest source's publication day, ``since`` to
    30 days before ``until``. Refuses ``since`` after ``until`` and malformed dates."""
    end = latest_publication(data_dir) if until is None else parse_as_of(until)
    start = end - dt.timedelta(days=DEFAULT_DAYS) if since is None else parse_as_of(since)
    if start > end:
        raise ValueError(f"since {start.isoformat()} is after until {end.isoformat()}")
    return start, end


def _value_and_unit(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    for column in ("value", "personnel", "amount"):
        if column in frame:
            unit = frame["unit"].astype("object") if "unit" in frame else pd.Series("persons", index=frame.index, dtype="object")
            return frame[column].astype("object"), unit.where(frame[column].notna(), None)
    empty = pd.Series(None, index=frame.index, dtype="object")
    return empty, empty


def new_rows(name: str, since: dt.date, until: dt.date, *, data_dir=None) -> pd.DataFrame:
    """The rows of dataset ``name`` that became known after ``since`` and by ``until``."""
    frame = load(name, until, data_dir=data_dir)
    known = known_dates(name, data_dir=data_dir)
    full = load(name, data_dir=data_dir)
    # load(as_of) keeps rows in file order; match them to their known dates by their key.
    key = read_package(data_dir).resource(name).primary_key[0]
    known_by_key = pd.Series(known.to_numpy(), index=full[key].astype("str"))
    frame = frame.assign(known_from=frame[key].astype("str").map(known_by_key))
    frame = frame[frame["known_from"] > pd.Timestamp(since)]
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
    value, unit = _value_and_unit(frame)
    if name == "timeline":
        what = frame["title"].astype("str")
    elif name in QUANTITY_KEYS:
        shown = [c for c in QUANTITY_KEYS[name] if c in frame]
        what = pd.Series([quantity_label(r, shown) for _, r in frame[shown].iterrows()], index=frame.index)
    else:
        what = frame.get("title", pd.Series("", index=frame.index)).astype("str")
    date = frame["date"] if "date" in frame else frame.get("period_end", frame.get("published"))
    out = pd.DataFrame({
        "kind": "new event" if name == "timeline" else "new row", "dataset": name, "id": frame[key].astype("str"), "what": what,
        "date": date, "value": [plain_number(v) for v in value], "unit": unit, "qualifier": frame["qualifier"].astype("object") if "qualifier" in frame else None,
        "source_id": frame["source_id"] if "source_id" in frame else frame[key], "known_from": frame["known_from"],
    })
    return out.reindex(columns=COLUMNS).sort_values(["known_from", "id"]).reset_index(drop=True)


def headline_changes(since: dt.date, until: dt.date, *, data_dir=None) -> pd.DataFrame:
    """The headline figures as known on ``until`` beside the same as known on ``since``."""
    before, after = known_headlines(since, data_dir), known_headlines(until, data_dir)
    merged = after.merge(before, on="indicator", how="left", suffixes=("", "_before"))
    return pd.DataFrame({
        "kind": "headline", "dataset": None, "id": merged["indicator"], "what": None, "date": merged["date"],
        "value": merged["value"], "unit": merged["unit"], "qualifier": merged["qualifier"], "source_id": merged["source_id"],
        "known_from": pd.NaT, "value_before": merged["value_before"], "date_before": merged["date_before"],
        "source_id_before": merged["source_id_before"],
    }).reindex(columns=COLUMNS)


def changes(since=None, until=None, *, data_dir=None) -> pd.DataFrame:
    """Return what entered the public record after ``since`` and by ``until``, as one tidy table.

    ``since`` and ``until`` are dates (or "YYYY-MM-DD"); by default ``until`` is the newest
    source's publication day and ``since`` 30 days before it. One row per new data row (``kind``
    "new row") or new timeline event ("new event"), with its dataset, id, a short description
    (``what``), its date, value, unit, qualifier, source and the day it became known
    (``known_from``); then one row per headline figure ("headline": national IDPs, personnel in
    Haiti, trust fund deposited, the latest quarterly killings, IPC Phase 3+) as known on
    ``until``, with ``value_before``, ``date_before`` and ``source_id_before`` as known on
    ``since``. Nothing here says why a figure moved.
    """
    start, end = window(since, until, data_dir=data_dir)
    parts = [new_rows(name, start, end, data_dir=data_dir) for name in read_package(data_dir).resource_names if name != "sources"]
    parts.append(headline_changes(start, end, data_dir=data_dir))
    parts = [p for p in parts if len(p)]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
    out.attrs = {"since": start.isoformat(), "until": end.isoformat()}
    return out
