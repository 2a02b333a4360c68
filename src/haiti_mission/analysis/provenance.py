"""Attach source details to data rows, and rank the sources behind rows by strength.

How strong a kind of source is (a UN body against a newspaper) is the descriptor's
``enumRanks`` of the sources' ``kind`` field, read through ``datapackage.vocabulary``.
"""
from __future__ import annotations

import pandas as pd

from ..datapackage import vocabulary


def source_ranks() -> dict[str, int]:
    """{source kind: rank}, lower is stronger (primary sources first, then wires, then the rest)."""
    return vocabulary.ranks("sources", "kind")


def primary_kinds() -> tuple[str, ...]:
    """The kinds of source that are primary for this package (UN bodies, IOM, governments)."""
    return vocabulary.group("sources", "kind", "primary")


def with_sources(rows: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Return ``rows`` with the publisher, kind, publication date (and its precision), URL and rank
    of each row's source (columns ``source_publisher``, ``source_kind``, ``source_published``,
    ``source_published_precision``, ``source_url``, ``source_rank``)."""
    info = sources[["source_id", "publisher", "kind", "published", "published_precision", "url"]].rename(columns={
        "publisher": "source_publisher", "kind": "source_kind", "published": "source_published",
        "published_precision": "source_published_precision", "url": "source_url"})
    out = rows.merge(info, on="source_id", how="left", validate="many_to_one")
    out["source_rank"] = out["source_kind"].astype("str").map(source_ranks()).astype("Int64")
    return out


def source_ids(rows) -> set[str]:
    """Return the source ids behind ``rows``: a DataFrame with a source_id column, or a list of them."""
    frames = rows if isinstance(rows, (list, tuple)) else [rows]
    ids: set[str] = set()
    for frame in frames:
        ids.update(str(s) for s in frame["source_id"].dropna() if str(s))
    return ids


def sources_behind(rows, sources: pd.DataFrame) -> pd.DataFrame:
    """Return the rows of ``sources`` that ``rows`` (a frame or a list of frames) rest on, strongest
    kind first, then oldest, then by id."""
    used = sources[sources["source_id"].isin(source_ids(rows))].copy()
    used["rank"] = used["kind"].astype("str").map(source_ranks())
    return used.sort_values(["rank", "published", "source_id"], na_position="last").drop(columns="rank").reset_index(drop=True)
