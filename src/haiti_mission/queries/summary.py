"""A short text summary of each dataset, for the terminal."""
from __future__ import annotations

import pandas as pd

from ..datapackage.frames import datasets, load

# The column whose values best describe what a dataset holds.
_BREAKDOWN = {"displacement": "metric", "pledges": "measure", "funding": "stage", "timeline": "category", "sources": "kind"}


def summarise(name: str, frame: pd.DataFrame) -> str:
    """Return a few lines describing one dataset: rows, dates, sources and a breakdown."""
    lines = [f"{name}: {len(frame)} rows"]
    if "date" in frame and len(frame):
        lines.append(f"  dates {frame['date'].min():%Y-%m-%d} to {frame['date'].max():%Y-%m-%d}")
    if "source_id" in frame and name != "sources":
        lines.append(f"  {frame['source_id'].nunique()} sources")
    column = _BREAKDOWN.get(name)
    if column in frame:
        counts = frame[column].value_counts(sort=True)
        counts = counts[counts > 0]
        lines.append("  by " + column + ": " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return "\n".join(lines)


def summary_text(*, data_dir=None) -> str:
    """Return the summary of every dataset."""
    return "\n".join(summarise(n, load(n, data_dir=data_dir)) for n in datasets(data_dir=data_dir))
