"""Dates as a reader should see them, at the precision their source gave: the one date formatter.

A date known only to the month is stored as the 1st with precision ``month``; shown, it is
"October 2022" (or "2022-10"), never "1 October 2022". Citations, captions, tables and the
command line all format dates here.
"""
from __future__ import annotations

import pandas as pd

# Fixed English month names: strftime("%B") follows the process locale, and a citation must not.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
PRECISIONS = ("day", "month", "year")


def is_missing(value) -> bool:
    """Whether ``value`` is None, NaN, NaT or pandas' NA."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _precision(precision) -> str:
    text = "day" if is_missing(precision) else str(precision)
    if text not in PRECISIONS:
        raise ValueError(f"date precision must be one of {', '.join(PRECISIONS)}, not {text!r}")
    return text


def date_text(value, precision="day", missing: str = "n.d.") -> str:
    """Return a date in words at its precision: '2 October 2024', 'October 2024', '2024'
    (``missing``, by default 'n.d.', when there is no date)."""
    if is_missing(value):
        return missing
    ts, precision = pd.Timestamp(value), _precision(precision)
    if precision == "year":
        return f"{ts.year}"
    if precision == "month":
        return f"{MONTHS[ts.month - 1]} {ts.year}"
    return f"{ts.day} {MONTHS[ts.month - 1]} {ts.year}"


def iso_text(value, precision="day", missing: str = "") -> str:
    """Return a date in ISO 8601 form at its precision: '2024-10-02', '2024-10' or '2024'."""
    if is_missing(value):
        return missing
    width = {"day": 10, "month": 7, "year": 4}[_precision(precision)]
    return pd.Timestamp(value).strftime("%Y-%m-%d")[:width]
