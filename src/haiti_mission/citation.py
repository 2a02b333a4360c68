"""Citations for sources and rows, in a plain author-date style."""
from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .loading import load

_ID_FIELDS = ("record_id", "event_id")


def _date_text(published, precision) -> str:
    if published is None or pd.isna(published):
        return "n.d."
    ts = pd.Timestamp(published)
    if precision == "year":
        return f"{ts.year}"
    if precision == "month":
        return ts.strftime("%B %Y")
    return f"{ts.day} {ts.strftime('%B %Y')}"


def format_source(source: Mapping) -> str:
    """Return one source row as 'Publisher (date). Title. URL'."""
    return f"{source['publisher']} ({_date_text(source['published'], source['published_precision'])}). {source['title']}. {source['url']}"


def cite(item, *, data_dir=None) -> str:
    """Return a formatted citation for a source id, a source row, or any data row.

    ``item`` may be a ``source_id`` string, or a row (a pandas Series or a mapping) from any
    dataset: the row's own identifier is named, then the source it rests on.
    """
    table = load("sources", data_dir=data_dir).set_index("source_id", drop=False)
    if isinstance(item, str):
        source_id, prefix = item, ""
    elif isinstance(item, (pd.Series, Mapping)):
        source_id = item["source_id"]
        ident = next((item[f] for f in _ID_FIELDS if f in item), None)
        prefix = f"[{ident}] " if ident is not None else ""
    else:
        raise TypeError(f"cite() takes a source_id or a data row, not {type(item).__name__}")
    if source_id not in table.index:
        raise KeyError(f"unknown source_id {source_id!r}")
    return prefix + format_source(table.loc[source_id])
