"""Quantities that more than one source reports: every value side by side, disagreements flagged.

Two rows report the same quantity when they share the dataset's quantity key (``QUANTITY_KEYS``)
and their dates lie close together. Nothing is averaged or chosen here: each row keeps its value,
qualifier and source, so a reader sees what the record holds and who said what.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .provenance import with_sources

# What makes two rows "the same quantity". An analysis choice, so written here, not in the descriptor.
# - displacement: unit is kept although metric mostly implies it, so a share never meets a count;
#   a flow is counted over a period, so two flows are one quantity only over the same period
#   (``flow_period``: the flow's period_start; a flow without one is compared with nothing).
# - pledges: personnel_type keeps breakdowns apart; is_rotation keeps a relief team apart from a
#   reinforcement; contingent keeps two landings of the same week apart while two reports of one
#   landing meet; force keeps the MSS and the GSF apart, because around the change both are
#   reported on the same days.
# - funding: channel, stage and unit are never mixed anywhere in the package; force as for pledges.
# - security: one publication series, metric, place, perpetrator and window (period_start and
#   period_end); the UN's series are never compared with one another.
# - food_security: one analysis, period kind, place, phase and metric (its window follows).
# - humanitarian_plans: one plan of one year, metric and stage; health: topic, metric, measure,
#   place and the window's start.
# An empty country or donor means a mission-wide figure; mission-wide rows form their own quantity.
# A row that is part of another (part_of) is neither its whole's rival nor its sister parts': parts
# are left out.
QUANTITY_KEYS: dict[str, tuple[str, ...]] = {
    "displacement": ("metric", "area", "measure", "unit", "flow_period"),
    "pledges": ("force", "country", "measure", "personnel_type", "is_rotation", "contingent"),
    "funding": ("force", "donor", "channel", "stage", "unit"),
    "security": ("series", "metric", "area", "perpetrator", "unit", "period_start", "period_end"),
    "food_security": ("analysis", "period_kind", "area", "phase", "metric", "unit", "period_start", "period_end"),
    "humanitarian_plans": ("plan_year", "plan", "metric", "stage", "unit"),
    "health": ("topic", "metric", "measure", "area", "unit", "period_start"),
}
# The date a row stands at, where it is not the ``date`` column.
DATE_COLUMN = {"security": "period_end", "food_security": "period_end"}
DEFAULT_WINDOW_DAYS = 7
MISSION_WIDE = "mission-wide"

# Carried from each row unchanged; the value and record columns are renamed (see _descriptor_columns).
_ROW_COLUMNS = ["date", "date_precision", "value", "qualifier", "source_id",
                "source_publisher", "source_kind", "source_published", "source_published_precision", "record_id"]
_GROUP_COLUMNS = ["differs", "min_value", "max_value", "source_count"]


def quantity_key(dataset: str) -> tuple[str, ...]:
    """Return the columns that identify one quantity in ``dataset``; ValueError for other datasets."""
    try:
        return QUANTITY_KEYS[dataset]
    except KeyError:
        known = ", ".join(QUANTITY_KEYS)
        raise ValueError(f"no quantity key for dataset {dataset!r}; disagreements cover: {known}") from None


def _value_column(frame: pd.DataFrame) -> str:
    """Return the dataset's value column: ``value``, or else its one numeric column (booleans are
    not numbers here)."""
    if "value" in frame.columns:
        return "value"
    numeric = [c for c in frame.columns
               if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
    if len(numeric) != 1:
        raise ValueError(f"a dataset for disagreements needs exactly one numeric column, found {numeric}")
    return numeric[0]


def _hashable(value):
    """Key values as plain Python objects, with every kind of missing value the same None."""
    return None if pd.isna(value) else value


def window_groups(rows: pd.DataFrame, key: tuple[str, ...] | list[str], window_days: int) -> list[int]:
    """Return a group number (1, 2, ...) for each row of ``rows``, which must be sorted by key, then date.

    The rule: walking the rows in that order, a row joins the current group when it has the same
    key and its date is at most ``window_days`` days after the date of the group's *first* row;
    otherwise it starts a new group. Anchoring on the first row (not the previous one) keeps a
    group from creeping along a series of weekly reports: no group spans more than
    ``window_days`` days. Rows on the same day always share a group.
    """
    labels: list[int] = []
    current, anchor, previous = 0, None, None
    keys = zip(*(rows[c].tolist() for c in key)) if key else iter([()] * len(rows))
    for values, date in zip(keys, rows["date"].tolist()):
        values = tuple(_hashable(v) for v in values)
        if current == 0 or values != previous or (date - anchor).days > window_days:
            current += 1
            anchor, previous = date, values
        labels.append(current)
    return labels


def quantity_label(row: pd.Series, key: tuple[str, ...] | list[str]) -> str:
    """Return the key values of ``row`` as one readable line: 'MSS · Kenya · arrived · police'.

    An empty key value (no country or donor) reads 'mission-wide'; a true boolean reads as its
    column name ('is_rotation') and a false one is left out; a window reads
    '2024-10-01 to 2024-12-31'; an empty detail (contingent, unit, period) is left out.
    """
    parts = []
    for column in key:
        value = row[column]
        if column == "period_end" and "period_start" in key:
            continue  # shown with period_start
        if column == "period_start" and "period_end" in key and not pd.isna(value):
            end = row["period_end"]
            parts.append(f"{value:%Y-%m-%d} to {end:%Y-%m-%d}" if not pd.isna(end) else f"from {value:%Y-%m-%d}")
        elif column in ("flow_period", "period_start", "contingent", "unit", "plan_year"):
            if not pd.isna(value):
                if column == "flow_period":
                    if str(value)[:2] in ("19", "20"):  # a date; a flow without a start is keyed by its record
                        parts.append(f"from {value}")
                else:
                    parts.append(f"from {value:%Y-%m-%d}" if isinstance(value, pd.Timestamp) else str(value))
        elif pd.isna(value):
            parts.append(MISSION_WIDE)
        elif isinstance(value, (bool, np.bool_)):
            if value:
                parts.append(column)
        else:
            parts.append(str(value))
    return " · ".join(parts)


def disagreements(frame: pd.DataFrame, dataset: str, sources: pd.DataFrame,
                  window_days: int = DEFAULT_WINDOW_DAYS) -> pd.DataFrame:
    """Return every value of each quantity that two or more sources report, one row per value.

    ``frame`` is a numeric dataset as ``haiti_mission.load`` gives it (displacement, pledges or
    funding), ``sources`` the sources table. Rows without a number are ignored. Rows are grouped
    by ``quantity_key(dataset)`` and date (see ``window_groups`` for the exact rule); only groups
    whose rows come from at least two distinct sources are kept, so one source restating itself
    is not a disagreement.

    Columns: ``group_id`` ("pledges-001"), ``quantity`` (readable key), the key columns, ``date``,
    ``date_precision``, ``value`` (the dataset's number: people for pledges, in ``unit`` for the
    others), ``qualifier``, ``source_id``, ``source_publisher``, ``source_kind``,
    ``source_published`` and ``source_published_precision``, ``record_id``; then per group
    ``differs`` (the values are not all equal; qualifiers are not compared), ``min_value``,
    ``max_value``, ``source_count`` (distinct sources); last the row's ``note``. Groups are
    ordered by key then first date, rows within a group by date then record id.

    A group is a candidate for the reader, not a verdict: two contingents landing on consecutive
    days, or a total and its parts recorded under one key, also meet the rule; the notes say which.
    """
    if window_days < 0:
        raise ValueError(f"window_days must be zero or more, got {window_days}")
    key = list(quantity_key(dataset))
    value_column = _value_column(frame)
    rows = frame[frame[value_column].notna()]
    if "part_of" in rows.columns:
        rows = rows[rows["part_of"].isna()]
    rows = rows.rename(columns={value_column: "value"})
    if dataset in DATE_COLUMN:
        rows = rows.assign(date=rows[DATE_COLUMN[dataset]])
    if dataset == "displacement":
        flows = rows["measure"].astype("str") == "flow"
        # A flow without a start is keyed by its own record: it has no rival.
        period = rows["period_start"].dt.strftime("%Y-%m-%d").where(rows["period_start"].notna(), rows["record_id"])
        rows = rows.assign(flow_period=period.where(flows, None))
    for column in (*key, "date_precision", "note"):
        if column not in rows.columns:
            rows = rows.assign(**{column: pd.NA})
    # The precision travels with the publication date: a month-dated source is not "published on the 1st".
    rows = with_sources(rows, sources)
    # A stable sort on a unique record id makes the order, and so the group numbers, deterministic.
    rows = rows.sort_values([*key, "date", "record_id"], na_position="last", kind="stable").reset_index(drop=True)
    rows["group"] = window_groups(rows, key, window_days)
    by_group = rows.groupby("group")
    rows["source_count"] = by_group["source_id"].transform("nunique").astype("Int64")
    rows = rows[rows["source_count"] >= 2].copy()
    by_group = rows.groupby("group")
    rows["min_value"] = by_group["value"].transform("min")
    rows["max_value"] = by_group["value"].transform("max")
    rows["differs"] = (rows["min_value"] != rows["max_value"]).astype("bool")
    # Number the kept groups 1, 2, ... in output order, so ids do not depend on the dropped ones.
    numbers = {g: i for i, g in enumerate(dict.fromkeys(rows["group"].tolist()), start=1)}
    rows["group_id"] = [f"{dataset}-{numbers[g]:03d}" for g in rows["group"]]
    rows["quantity"] = [quantity_label(r, key) for _, r in rows[key].iterrows()]
    columns = ["group_id", "quantity", *key, *_ROW_COLUMNS, *_GROUP_COLUMNS, "note"]
    return rows[columns].reset_index(drop=True)


def summarise(table: pd.DataFrame, datasets=None) -> pd.DataFrame:
    """Return, per dataset of an ``all_disagreements`` table, the number of groups and of differing ones.

    ``datasets`` lists the rows wanted, in order (default: those in ``table``); a dataset without
    any group gets zeros.
    """
    groups = table.drop_duplicates("group_id")
    names = list(dict.fromkeys(groups["dataset"])) if datasets is None else list(datasets)
    counts = {
        name: (int((groups["dataset"] == name).sum()), int(((groups["dataset"] == name) & groups["differs"].astype("bool")).sum()))
        for name in names
    }
    return pd.DataFrame({"dataset": names, "groups": [counts[n][0] for n in names], "differing": [counts[n][1] for n in names]})


def across_datasets(frames: dict[str, pd.DataFrame], sources: pd.DataFrame,
                    window_days: int = DEFAULT_WINDOW_DAYS) -> pd.DataFrame:
    """Return ``disagreements`` for each dataset of ``frames`` ({name: frame}), in one table.

    A ``dataset`` column comes first; key columns of the other datasets are empty.
    """
    names = list(frames)
    for name in names:
        quantity_key(name)  # unknown names fail before anything is computed
    parts = [disagreements(frames[name], name, sources, window_days).assign(dataset=name) for name in names]
    keys = list(dict.fromkeys(c for name in names for c in QUANTITY_KEYS[name]))
    columns = ["dataset", "group_id", "quantity", *keys, *_ROW_COLUMNS, *_GROUP_COLUMNS, "note"]
    non_empty = [p for p in parts if len(p)]
    if not non_empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    # Categoricals of different datasets hold different categories; as text they concatenate cleanly.
    non_empty = [p.astype({c: "str" for c in p.columns if isinstance(p[c].dtype, pd.CategoricalDtype)}) for p in non_empty]
    out = pd.concat(non_empty, ignore_index=True).reindex(columns=columns)
    # Counts of some datasets and decimals of others share a column: each value keeps its own kind
    # (a whole number stays 2, never 2.0).
    for column in ("value", "min_value", "max_value"):
        out[column] = pd.Series([plain_number(v) for v in out[column]], dtype="object")
    return out


def plain_number(value):
    """A number as the source gave it: a whole number as int, any other as float (None if missing)."""
    if pd.isna(value):
        return None
    return int(value) if float(value).is_integer() else float(value)
