"""Citations for the package, its sources and its rows, in a plain author-date style.

``cite(source_id)`` gives "Publisher (date). Title. URL"; ``cite(row)`` gives the row's source
followed by where the row sits, e.g. "[haiti-mission 0.1.0, displacement dis-0001]"; ``cite()``
gives the package itself.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

import pandas as pd

from ..datapackage import dates
from ..errors import brief
from ..datapackage.descriptor import Package, Resource, read_package
from ..datapackage.frames import load

STYLES = ("text", "markdown")

# Markdown: every character that opens or closes markup anywhere in a line is escaped with a
# backslash; a URL goes into an autolink <...>, where no escape works, so whatever could end it or
# is not a URL character is percent-encoded instead.
_MARKDOWN_SPECIAL = "\\`*_{}[]()<>#!|~&"
_LINE_START = re.compile(r"^([+=-]|[0-9]+(?=[.)]))")  # a list item, a heading underline
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


def date_text(published, precision) -> str:
    """Return a publication date as cited: '2 October 2024', 'October 2024', '2024' or 'n.d.'."""
    return dates.date_text(published, precision)


def short_citation(publisher, published, precision) -> str:
    """Return 'Publisher, 2 October 2024' ('Publisher, October 2024' for a month-dated source,
    'Publisher, n.d.' without a date)."""
    if dates.is_missing(publisher):
        return "source not in the sources table"
    return f"{publisher}, {dates.date_text(published, precision)}"


def _md(text: str, *, line_start: bool = False) -> str:
    """``text`` for Markdown: markup characters escaped, and at the start of a line (``line_start``)
    what would make it a list item or a heading underline."""
    escaped = "".join(f"\\{c}" if c in _MARKDOWN_SPECIAL else c for c in str(text))
    if line_start:
        escaped = _LINE_START.sub(lambda m: m.group() + "\\" if m.group()[0].isdigit() else "\\" + m.group(), escaped, count=1)
    return escaped


def _md_url(url: str) -> str:
    return quote(str(url), safe=_URL_SAFE)


def format_source(source: Mapping, style: str = "text") -> str:
    """Return one source row as 'Publisher (date). Title. URL' (title in italics for Markdown)."""
    when = date_text(source["published"], source["published_precision"])
    publisher, title, url = str(source["publisher"]), str(source["title"]).strip(), str(source["url"])
    end = "" if title.endswith((".", "?", "!")) else "."
    if style == "markdown":
        return f"{_md(publisher, line_start=True)} ({when}). *{_md(title)}*{end} <{_md_url(url)}>"
    return f"{publisher} ({when}). {title}{end} {url}"


def format_package(package: Package, style: str = "text") -> str:
    """Return the citation of the data package itself: name, version, title and license."""
    licenses = ", ".join(lic.get("name") or lic.get("title", "") for lic in package.licenses)
    if style == "markdown":
        text = f"{_md(package.name, line_start=True)} {_md(package.version)}. *{_md(package.title)}*."
        return text + (f" Data licensed {_md(licenses)}." if licenses else "")
    text = f"{package.name} {package.version}. {package.title}."
    return text + (f" Data licensed {licenses}." if licenses else "")


def row_dataset(row: Mapping, package: Package) -> Resource | None:
    """Return the dataset a row comes from, judged by its identifier field and value, or None.

    A row's own key (``record_id``, ``event_id``, ...) decides; a ``source_id`` that is only a
    foreign key to the sources table does not make the row a source.
    """
    candidates = []
    for resource in package.resources:
        if len(resource.primary_key) != 1 or resource.primary_key[0] not in row:
            continue
        key = resource.field(resource.primary_key[0])
        value = row[key.name]
        if dates.is_missing(value):
            continue
        if key.pattern and not re.fullmatch(key.pattern, str(value)):
            continue
        candidates.append(resource)
    referenced = {
        (fk.resource, fk.reference_fields)
        for c in candidates for fk in c.foreign_keys if fk.fields == fk.reference_fields
    }
    candidates = [c for c in candidates if (c.name, c.primary_key) not in referenced]
    if len(candidates) > 1:
        # A row holding every column of one dataset belongs to that dataset.
        complete = [c for c in candidates if all(f in row for f in c.field_names)]
        candidates = complete if len(complete) == 1 else candidates
    return candidates[0] if len(candidates) == 1 else None


def _as_mapping(item) -> Mapping | None:
    if isinstance(item, pd.Series):
        return item
    if isinstance(item, Mapping):
        return item
    if hasattr(item, "_asdict"):  # a row from DataFrame.itertuples()
        return item._asdict()
    return None


def cite(item=None, *, data_dir=None, style: str = "text") -> str:
    """Return a formatted citation for a source id, a source row, any data row, or the package.

    ``item`` may be a ``source_id`` string, or a row (a pandas Series, a mapping or an
    ``itertuples`` row) from any dataset: the row's source is cited, followed by where the row
    sits in this package, e.g. ``[haiti-mission 0.1.0, displacement dis-0001]``. With no ``item``,
    the package itself is cited. ``style`` is "text" or "markdown" (title in italics, URL as a link).
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}, not {style!r}")
    package = read_package(data_dir)
    if item is None:
        return format_package(package, style)
    suffix = ""
    if isinstance(item, str):
        source_id = item
    else:
        row = _as_mapping(item)
        if row is None:
            raise TypeError(f"cite() takes a source_id or a data row, not {type(item).__name__}")
        if "source_id" not in row or dates.is_missing(row["source_id"]):
            raise ValueError("the row has no source_id to cite; select the source_id column too")
        source_id = str(row["source_id"])
        dataset = row_dataset(row, package)
        esc = _md if style == "markdown" else str
        if dataset is not None and dataset.name != "sources":
            suffix = f" [{esc(package.name)} {esc(package.version)}, {esc(dataset.name)} {esc(row[dataset.primary_key[0]])}]"
        elif dataset is None:
            # Any dataset's own key will do, but not a key other tables point to (source_id).
            pointed_to = {fk.reference_fields for r in package.resources for fk in r.foreign_keys}
            keys = [r.primary_key[0] for r in package.resources if len(r.primary_key) == 1 and r.primary_key not in pointed_to]
            ident = next((row[k] for k in keys if k in row and not dates.is_missing(row[k])), None)
            suffix = f" [{esc(package.name)} {esc(package.version)}, {esc(ident)}]" if ident is not None else ""
    table = load("sources", data_dir=data_dir).set_index("source_id", drop=False)
    if source_id not in table.index:
        where = package.resource("sources").path
        raise KeyError(f"unknown source_id {brief(source_id)}: it has no row in {where}")
    return format_source(table.loc[source_id], style) + suffix
