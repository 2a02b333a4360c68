"""Disagreements across the datasets, loaded as known on a date, and as text for the terminal."""
from __future__ import annotations

from ..analysis.disagreements import (
    DEFAULT_WINDOW_DAYS,
    QUANTITY_KEYS,
    across_datasets,
    quantity_key,
)
from ..datapackage import dates
from ..datapackage.frames import load, sources
from ..interop.citation import short_citation


def all_disagreements(window_days: int = DEFAULT_WINDOW_DAYS, as_of=None, datasets=None, *, data_dir=None):
    """Return ``analysis.disagreements.disagreements`` for every numeric dataset (or those named),
    loaded with ``as_of``, in one table with a ``dataset`` column first.

    ``as_of`` limits the rows to what was public on that day, as ``load`` does.
    """
    names = list(QUANTITY_KEYS) if datasets is None else list(dict.fromkeys(datasets))
    for name in names:
        quantity_key(name)  # unknown names fail before anything is loaded
    frames = {name: load(name, as_of, data_dir=data_dir) for name in names}
    return across_datasets(frames, sources(data_dir=data_dir), window_days)


def render_text(table, summary, *, window_days: int, as_of: str | None, notes: bool = False) -> str:
    """Return the groups of an ``all_disagreements`` table as text: one block per quantity.

    Each block is headed by the group id and the quantity, then one line per value (record,
    date, value, qualifier, source and its kind); ``notes`` adds each row's curator's note.
    ``summary`` (from ``summarise``) gives the closing counts.
    """
    when = f"as known on {as_of}" if as_of else "all data"
    lines = [f"Quantities reported by more than one source, dates within {window_days} days of each group's first row ({when}).", ""]
    for group_id, rows in table.groupby("group_id", sort=False):
        first = rows.iloc[0]
        spread = (f"values differ: {first['min_value']:,} to {first['max_value']:,}" if first["differs"]
                  else f"every source gives {first['min_value']:,}")
        lines.append(f"{group_id}  {first['quantity']}")
        lines.append(f"  {first['source_count']} sources; {spread}")
        width = max(len(f"{v:,}") for v in rows["value"])
        for row in rows.itertuples(index=False):
            cite = short_citation(row.source_publisher, row.source_published, row.source_published_precision)
            qualifier = row.qualifier if isinstance(row.qualifier, str) else ""
            kind = f" ({row.source_kind})" if isinstance(row.source_kind, str) else ""
            lines.append(f"  {row.record_id}  {dates.iso_text(row.date, row.date_precision):<10}  {row.value:>{width},}  "
                         f"{qualifier:<9}  {cite}{kind}")
            if notes and isinstance(row.note, str) and row.note:
                lines.append(f"      note: {row.note}")
        lines.append("")
    if table.empty:
        lines.extend(["No quantity is reported by more than one source.", ""])
    for row in summary.itertuples(index=False):
        lines.append(f"{row.dataset}: {row.groups} group{'s' if row.groups != 1 else ''}, {row.differing} with differing values")
    return "\n".join(lines)
