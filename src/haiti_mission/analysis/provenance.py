"""Attach source details to data rows, and rank sources by strength."""
from __future__ import annotations

import pandas as pd

# Primary sources first, then wires, then everything else (a lower rank is stronger).
SOURCE_RANK = {"iom": 0, "un": 0, "government": 0, "wire": 1, "research": 2, "ngo": 2, "news": 3, "other": 4}
PRIMARY_KINDS = ("iom", "un", "government")


def with_sources(rows: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Return ``rows`` with the publisher, kind, publication date and rank of each row's source."""
    info = sources[["source_id", "publisher", "kind", "published", "url"]].rename(
        columns={"publisher": "source_publisher", "kind": "source_kind", "published": "source_published", "url": "source_url"}
    )
    out = rows.merge(info, on="source_id", how="left", validate="many_to_one")
    out["source_rank"] = out["source_kind"].astype("str").map(SOURCE_RANK).astype("Int64")
    return out


def short_citation(publisher: str, published) -> str:
    """Return 'Publisher, 18 June 2024' (or 'Publisher, n.d.')."""
    if published is None or pd.isna(published):
        return f"{publisher}, n.d."
    ts = pd.Timestamp(published)
    return f"{publisher}, {ts.day} {ts:%B %Y}"


def source_ids(rows) -> set[str]:
    """Return the source ids behind ``rows``: a DataFrame with a source_id column, or a list of them."""
    frames = rows if isinstance(rows, (list, tuple)) else [rows]
    ids: set[str] = set()
    for frame in frames:
        ids.update(str(s) for s in frame["source_id"].dropna() if str(s))
    return ids


def source_list(rows, sources: pd.DataFrame, limit: int = 12) -> str:
    """Return the distinct sources behind ``rows`` as one line, strongest and oldest first.

    Beyond ``limit`` sources the line ends with how many more there are.
    """
    used = sources[sources["source_id"].isin(source_ids(rows))].copy()
    if used.empty:
        return "none (no data)"
    used["rank"] = used["kind"].astype("str").map(SOURCE_RANK)
    used = used.sort_values(["rank", "published", "source_id"], na_position="last")
    # Only the names shown are formatted: at scale a table rests on thousands of sources.
    names = [short_citation(p, d) for p, d in zip(used["publisher"].iloc[:limit], used["published"].iloc[:limit])]
    more = len(used) - limit
    return "; ".join(names) + (f"; and {more} more" if more > 0 else "")
