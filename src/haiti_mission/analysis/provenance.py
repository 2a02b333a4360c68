"""Attach source details to data rows, and rank the sources behind rows by strength.

How strong a kind of source is (a UN body against a newspaper) is the descriptor's
``enumRanks`` of the sources' ``kind`` field, read through ``datapackage.vocabulary``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..datapackage import vocabulary


def source_ranks() -> dict[str, int]:
    """{source kind: rank}, lower is stronger (primary sources first, then wires, then the rest)."""
    return vocabulary.ranks("sources", "kind")


def primary_kinds() -> tuple[str, ...]:
    """The kinds of source that are primary for this package (UN bodies, IOM, governments)."""
    return vocabulary.group("sources", "kind", "primary")


def _ranks_of(kinds: pd.Series) -> np.ndarray:
    """The rank of each of ``kinds`` (source kinds, a categorical), NaN where unknown or missing."""
    ranks = source_ranks()
    kinds = kinds.astype(pd.CategoricalDtype(vocabulary.values("sources", "kind"))) if not isinstance(kinds.dtype, pd.CategoricalDtype) else kinds
    # By code: one lookup per kind, not one per row.
    by_code = np.array([ranks.get(str(c), np.nan) for c in kinds.cat.categories] + [np.nan], dtype=float)
    return by_code[kinds.cat.codes.to_numpy()]


def with_sources(rows: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Return ``rows`` with the publisher, kind, publication date (and its precision), URL and rank
    of each row's source (columns ``source_publisher``, ``source_kind``, ``source_published``,
    ``source_published_precision``, ``source_url``, ``source_rank``)."""
    info = sources[["source_id", "publisher", "kind", "published", "published_precision", "url"]].rename(columns={
        "publisher": "source_publisher", "kind": "source_kind", "published": "source_published",
        "published_precision": "source_published_precision", "url": "source_url"})
    # A left join on a unique key, as a lookup: each row's source by its position in ``sources``
    # (reindex refuses a key that is not unique, as the join's many_to_one check would).
    looked = info.set_index("source_id").reindex(pd.Index(rows["source_id"], dtype=info["source_id"].dtype)).reset_index(drop=True)
    out = rows.reset_index(drop=True)
    out = pd.concat([out, looked], axis=1)
    out["source_rank"] = pd.array(_ranks_of(out["source_kind"]), dtype="Float64").astype("Int64")
    return out


def source_ids(rows) -> set[str]:
    """Return the source ids behind ``rows``: a DataFrame with a source_id column, or a list of them."""
    frames = rows if isinstance(rows, (list, tuple)) else [rows]
    ids: set[str] = set()
    for frame in frames:
        ids.update(frame["source_id"].dropna().astype("str").unique())
    ids.discard("")
    return ids


def _strongest_first(sources: pd.DataFrame) -> pd.DataFrame:
    ranked = sources.assign(rank=_ranks_of(sources["kind"]))
    # Source ids are unique, so no two rows tie and the order is the same for any subset.
    return ranked.sort_values(["rank", "published", "source_id"], na_position="last").drop(columns="rank").reset_index(drop=True)


def sources_behind(rows, sources: pd.DataFrame) -> pd.DataFrame:
    """Return the rows of ``sources`` that ``rows`` (a frame or a list of frames) rest on, strongest
    kind first, then oldest, then by id."""
    # As objects: a str column's isin makes an Arrow scalar of each id sought (slow for thousands).
    return _strongest_first(sources[sources["source_id"].astype(object).isin(source_ids(rows))])


class RankedSources:
    """The sources in the order of ``sources_behind``, sorted once, for a report that asks for the
    sources behind many tables and figures: ``behind(rows, limit)`` gives the first ``limit`` of
    ``sources_behind(rows, sources)`` and how many there are in all."""

    def __init__(self, sources: pd.DataFrame):
        self.ordered = _strongest_first(sources)
        self._position = dict(zip(self.ordered["source_id"].astype(object), range(len(self.ordered))))

    def behind(self, rows, limit: int | None = None) -> tuple[pd.DataFrame, int]:
        at = sorted(self._position[i] for i in source_ids(rows) if i in self._position)
        return self.ordered.iloc[at[:limit]].reset_index(drop=True), len(at)
