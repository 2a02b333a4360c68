"""Load curated datasets as typed pandas DataFrames, optionally as known on a given date."""
from __future__ import annotations

import calendar
import functools
import datetime as dt
import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, brief
from . import dates
from .cells import DATE_RANGE, parse_date_text
from .csvfile import Table, forget_parsed
from .descriptor import Field, Package, read_package
from .validation import check_tables

# (frame, known dates) per data files (path, modification time, size), dataset and day.
_cache: dict[tuple, tuple[pd.DataFrame, pd.Series]] = {}
# A program that wants to know which data files a process read (the report pipeline, to rebuild
# only what changed) names a file in this variable: every load appends to it one line per file
# the dataset rests on, "<sha256>  <path>" as sha256sum writes them.
READS_ENV = "HAITI_MISSION_READS"
_sha256: dict[tuple, str] = {}

def parse_as_of(value) -> dt.date:
    """Return ``value`` (a date, a datetime, a Timestamp, a datetime64 or a 'YYYY-MM-DD' string) as
    a date; raise ValueError, saying what is wrong, for anything else (NaT, NaN, other forms)."""
    if value is None:
        raise ValueError("as_of is None: leave it out, or give a date such as '2024-03-01'")
    if dates.is_missing(value):
        shown = "NaN" if isinstance(value, float) else "<NA>" if value is pd.NA else "NaT"
        raise ValueError(f"as_of is {shown} (no date): give a date such as '2024-03-01', or leave as_of out to keep every row")
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, dt.datetime):  # a Timestamp is one too
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return parse_date_text(value.strip(), bounded=False)
        except ValueError as exc:
            raise ValueError(f"as_of {brief(value)} {exc}") from None
    raise ValueError(f"as_of must be a date or a 'YYYY-MM-DD' string, not {type(value).__name__} {brief(value)}")


def _cutoff(day: dt.date) -> pd.Timestamp:
    """``day`` as a Timestamp to compare the data with: the data's dates lie in DATE_RANGE, so a day
    outside it compares like the range's end."""
    return pd.Timestamp(min(max(day, DATE_RANGE[0]), DATE_RANGE[1]))


def known_by(published: dt.date | None, precision: str | None) -> dt.date | None:
    """Return the first day on which a document is certainly public.

    A document dated only by month (or year) may have appeared on its last day, so it counts as
    known from the end of that month (or year). Unknown dates give None.
    """
    if published is None:
        return None
    if precision == "month":
        return published.replace(day=calendar.monthrange(published.year, published.month)[1])
    if precision == "year":
        return published.replace(month=12, day=31)
    return published


@functools.cache
def _category_dtype(values: tuple[str, ...]) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(list(values))


@functools.cache
def _enum_codes(values: tuple[str, ...]) -> dict:
    codes: dict = {v: i for i, v in enumerate(values)}
    codes[None] = -1
    return codes


def _column(values: list, fld: Field) -> pd.Series | pd.api.extensions.ExtensionArray:
    if fld.type == "integer":
        return pd.array(values, dtype="Int64")
    if fld.type == "number":
        return pd.array(values, dtype="Float64")
    if fld.type == "boolean":
        return pd.array(values, dtype="boolean")
    if fld.type == "date":
        return _dates(values)
    if fld.enum is not None:
        # From codes: the values are known to be enum members (or None), and building a Categorical
        # from the values themselves costs most of a load.
        dtype = _category_dtype(fld.enum)
        codes = np.fromiter(map(_enum_codes(fld.enum).__getitem__, values), dtype=np.int32, count=len(values))
        return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)
    return pd.array(values, dtype="str")


_EPOCH = dt.date(1970, 1, 1).toordinal()
_NAT = np.iinfo(np.int64).min
# The dates datetime64[ns] can hold; a date beyond them takes pandas' own path, which refuses it.
_NS_RANGE = (np.datetime64("1677-09-22", "D"), np.datetime64("2262-04-11", "D"))


def _dates(values: list) -> pd.Series:
    """Dates (or None) as a datetime64[ns] Series, None becoming NaT (from day numbers: fast)."""
    days = np.array([v.toordinal() - _EPOCH if v is not None else _NAT for v in values], dtype=np.int64).view("datetime64[D]")
    valid = days[~np.isnat(days)]
    if valid.size and (valid.min() < _NS_RANGE[0] or valid.max() > _NS_RANGE[1]):
        return pd.to_datetime(pd.Series([v.isoformat() if v is not None else None for v in values], dtype="object"), format="%Y-%m-%d").astype("datetime64[ns]")
    return pd.Series(days.astype("datetime64[ns]"))


def to_frame(table: Table) -> pd.DataFrame:
    """Build a typed DataFrame from a parsed table, with dtypes taken from the descriptor."""
    data = {f.name: _column(table.columns[f.name], f) for f in table.resource.fields}
    return pd.DataFrame(data, index=pd.RangeIndex(table.row_count))


def _known_dates(tables: dict[str, Table], name: str) -> pd.Series:
    """For each row of ``name``, the date its source became public (NaT when unknown)."""
    sources = tables["sources"].columns
    # known_by for every source at once: a month-precision date counts from its month's last day,
    # a year-precision date from 31 December.
    published = _dates(sources["published"]).to_numpy()
    precision = np.array(sources["published_precision"], dtype=object)
    day = published.astype("datetime64[D]")
    month_end = ((day.astype("datetime64[M]") + 1).astype("datetime64[D]") - 1).astype("datetime64[ns]")
    year_end = ((day.astype("datetime64[Y]") + 1).astype("datetime64[D]") - 1).astype("datetime64[ns]")
    known = np.where(precision == "month", month_end, np.where(precision == "year", year_end, published))
    if name == "sources":
        return pd.Series(known)
    # Every source id of a valid table is in sources (a foreign key), and source ids are unique.
    at = pd.Index(sources["source_id"]).get_indexer(tables[name].columns["source_id"])
    return pd.Series(np.where(at >= 0, known[at], np.datetime64("NaT", "ns")))


def known_dates(name: str, *, data_dir: str | Path | None = None) -> pd.Series:
    """For each row of dataset ``name`` (as ``load`` returns it), the date its source became public."""
    package = read_package(data_dir)
    package.resource(name)
    return _load_checked(package, name, dt.date.today())[1].copy()


def _stamp(package: Package, names: list[str]) -> tuple:
    files = [package.folder / "datapackage.json"] + [package.file_of(package.resource(n)) for n in names]
    stamp = []
    for f in files:
        try:
            s = f.stat()
            stamp.append((str(f), s.st_mtime_ns, s.st_size))
        except FileNotFoundError:
            stamp.append((str(f), None, None))
    return tuple(stamp)


def _needed(name: str) -> list[str]:
    return [name, "sources"] if name != "sources" else ["sources"]


def _record_reads(stamp: tuple) -> None:
    target = os.environ.get(READS_ENV)
    if not target:
        return
    lines = []
    for entry in stamp:
        if entry[1] is None:
            continue
        if entry not in _sha256:
            _sha256[entry] = hashlib.sha256(Path(entry[0]).read_bytes()).hexdigest()
        lines.append(f"{_sha256[entry]}  {entry[0]}\n")
    with open(target, "a", encoding="utf-8") as fh:
        fh.write("".join(lines))


def _load_checked(package: Package, name: str, today: dt.date) -> tuple[pd.DataFrame, pd.Series]:
    needed = _needed(name)
    stamp = _stamp(package, needed)
    _record_reads(stamp)
    key = (stamp, name, today)
    if key not in _cache:
        tables, problems = check_tables(package, needed, today)
        if problems:
            raise DataError(problems)
        _cache[key] = (to_frame(tables[name]), _known_dates(tables, name))
    return _cache[key]


def preload(*, data_dir: str | Path | None = None) -> bool:
    """Check every dataset at once and keep each one's frame where ``load`` finds it, with the
    SHA-256 of its files; return whether the data is valid. When it is not, nothing is kept and
    each ``load`` meets the problems itself.

    What a process that serves many loads does first (the report run's kernel fork server): each
    file is read and checked once, and the parsed tables are let go once their frames are built.
    """
    package = read_package(data_dir)
    today = dt.date.today()
    names = package.resource_names
    stamps = {name: _stamp(package, _needed(name)) for name in names}  # before reading, as _load_checked
    try:
        tables, problems = check_tables(package, names, today)
    finally:
        forget_parsed()  # the frames below are what is kept
    if problems:
        return False
    # As load() keys them, in the same order as _load_checked: sources last, since each dataset's
    # known dates are looked up in it.
    for name in sorted(names, key=lambda n: n == "sources"):
        stamp = stamps[name]
        _cache[(stamp, name, today)] = (to_frame(tables[name]), _known_dates(tables, name))
        for entry in stamp:
            if entry[1] is not None and entry not in _sha256:
                _sha256[entry] = hashlib.sha256(Path(entry[0]).read_bytes()).hexdigest()
        if name != "sources":
            del tables[name]
    return True


def latest_publication(data_dir=None) -> dt.date:
    """Return the last day on which a source of the package became public (the day a source dated
    only by month or year counts from): what a report's "latest" means."""
    known = known_dates("sources", data_dir=data_dir).dropna()
    if known.empty:
        raise ValueError("no source has a publication date")
    return known.max().date()


def load(name: str, as_of=None, *, data_dir: str | Path | None = None) -> pd.DataFrame:
    """Return the dataset ``name`` as a typed, validated DataFrame.

    Dates are ``datetime64``, counts nullable ``Int64``, enumerations categoricals, text ``str``;
    the descriptor decides which is which. Invalid data raises ``DataError`` naming file, row and
    field; nothing is coerced.

    ``as_of`` (a date or "YYYY-MM-DD") gives the dataset as a reader could have known it that day:
    only rows whose source was public on or before ``as_of`` and whose own date is not later. A
    source dated only by month counts as public from the last day of that month. Rows whose source
    has no known publication date are left out of every ``as_of`` view (and kept when ``as_of`` is
    None), because nobody can say when they became known.
    """
    package = read_package(data_dir)
    package.resource(name)  # unknown names fail here, listing the known ones
    frame, known = _load_checked(package, name, dt.date.today())
    frame = frame.copy()
    day = None if as_of is None else parse_as_of(as_of)
    if day is not None:
        cutoff = _cutoff(day)
        keep = known <= cutoff
        if "date" in frame:
            keep &= frame["date"] <= cutoff
        frame = frame.loc[keep.to_numpy()].reset_index(drop=True)
    frame.attrs = {"dataset": name, "as_of": None if day is None else day.isoformat()}
    return frame


def sources(as_of=None, *, data_dir: str | Path | None = None) -> pd.DataFrame:
    """Return the sources table (publisher, title, URL, publication date, kind) as a DataFrame."""
    return load("sources", as_of, data_dir=data_dir)


def datasets(*, data_dir: str | Path | None = None) -> list[str]:
    """Return the names of the datasets the package holds."""
    return read_package(data_dir).resource_names
