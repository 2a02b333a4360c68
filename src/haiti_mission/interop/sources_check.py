"""Check the sources list: malformed and duplicated URLs, rows resting on each source, unused sources.

``check_sources`` works on plain values (source ids, URLs, row numbers, the source ids each table
cites), so it can run on data that does not yet pass validation: a malformed URL is one of the
things it reports. ``check_package`` gathers those values from a data package.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

SOURCES = "sources"


@dataclass(frozen=True)
class SourceURL:
    """One row of the sources table: where it is, its identifier and its URL (None when empty)."""

    row: int
    source_id: str | None
    url: str | None


@dataclass(frozen=True)
class Malformed:
    row: int
    source_id: str | None
    url: str | None
    reason: str


@dataclass(frozen=True)
class Duplicate:
    """One normalised URL that two or more source ids share, with the rows they sit on."""

    url: str
    source_ids: tuple[str, ...]
    rows: tuple[int, ...]


@dataclass
class SourceCheck:
    """What the check found. ``ok`` is False when any URL is malformed or duplicated."""

    file: str
    malformed: list[Malformed] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    # source_id -> {table: rows citing it}; every listed source appears, unused ones with {}.
    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    unused: list[str] = field(default_factory=list)
    # Cited source ids missing from the sources table (validation reports these as errors too).
    unknown: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.malformed and not self.duplicates


def url_problem(url: str | None) -> str | None:
    """Return why ``url`` is not a usable web address (not http(s), whitespace, no host), or None."""
    if url is None or url == "":
        return "URL is empty"
    if any(ch.isspace() for ch in url):
        return "URL contains whitespace"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as exc:
        return f"URL cannot be parsed ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return f"URL scheme is {parts.scheme!r}, not http or https" if parts.scheme else "URL has no scheme (http:// or https://)"
    if not parts.hostname:
        return "URL has no host"
    return None


def normalise_url(url: str) -> str:
    """Return ``url`` with scheme and host in lower case and no trailing slash on the path.

    Two URLs that normalise alike point to the same document.
    """
    parts = urlsplit(url.strip())
    host = parts.netloc
    # Lower-case the host but not any user:password part in front of it.
    userinfo, at, hostport = host.rpartition("@")
    netloc = f"{userinfo}{at}{hostport.lower()}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), parts.query, parts.fragment))


def check_sources(file: str, sources: Iterable[SourceURL], citations: Mapping[str, Iterable[str | None]]) -> SourceCheck:
    """Check the sources table and count the rows that cite each source.

    ``file`` names the sources file for the report; ``sources`` are its rows; ``citations`` maps
    each table's name to the source_id of each of its rows.
    """
    sources = list(sources)
    result = SourceCheck(file)
    by_url: dict[str, list[SourceURL]] = {}
    for src in sources:
        reason = url_problem(src.url)
        if reason:
            result.malformed.append(Malformed(src.row, src.source_id, src.url, reason))
            continue
        by_url.setdefault(normalise_url(src.url), []).append(src)
    for url in sorted(by_url):
        holders = by_url[url]
        ids = sorted({s.source_id or "" for s in holders})
        if len(ids) > 1:
            result.duplicates.append(Duplicate(url, tuple(ids), tuple(sorted(s.row for s in holders))))

    known = sorted({s.source_id for s in sources if s.source_id})
    counts: dict[str, Counter] = {sid: Counter() for sid in known}
    unknown: dict[str, Counter] = {}
    for table in sorted(citations):
        for sid in citations[table]:
            if sid is None:
                continue
            (counts if sid in counts else unknown).setdefault(sid, Counter())[table] += 1
    result.rows = {sid: dict(sorted(counts[sid].items())) for sid in known}
    result.unused = [sid for sid in known if not counts[sid]]
    result.unknown = {sid: dict(sorted(unknown[sid].items())) for sid in sorted(unknown)}
    return result


def _per_table(counts: Mapping[str, int]) -> str:
    total = sum(counts.values())
    detail = ", ".join(f"{table} {n}" for table, n in counts.items())
    return f"{total} row{'s' if total != 1 else ''}" + (f" ({detail})" if detail else "")


def format_check(result: SourceCheck) -> str:
    """Return the check as text: problems first, then the rows per source, then unused sources."""
    lines = []
    for m in result.malformed:
        lines.append(f"{result.file}, row {m.row}, field \"url\": malformed URL for {m.source_id!r}: {m.reason}: {m.url!r}")
    for d in result.duplicates:
        rows = ", ".join(str(r) for r in d.rows)
        lines.append(f"{result.file}, rows {rows}, field \"url\": the same URL is listed for {', '.join(d.source_ids)}: {d.url}")
    for sid, counts in result.unknown.items():
        lines.append(f"cited but not in {result.file}: {sid!r}, {_per_table(counts)}")
    lines.append(f"rows per source ({len(result.rows)} sources):")
    width = max((len(s) for s in result.rows), default=0)
    lines.extend(f"  {sid:<{width}}  {_per_table(counts)}" for sid, counts in result.rows.items())
    lines.append(f"sources no row uses: {len(result.unused)}")
    lines.extend(f"  {sid}" for sid in result.unused)
    if result.ok:
        lines.append("sources check: no malformed or duplicated URLs")
    else:
        lines.append(f"sources check FAILED: {len(result.malformed)} malformed URL(s), {len(result.duplicates)} duplicated URL(s)")
    return "\n".join(lines)


def check_package(package) -> tuple[SourceCheck, int]:
    """Check the sources of a data package (a ``datapackage.descriptor.Package``).

    Returns the check and the number of other validation problems the tables have. Raises
    DataError when a table cannot be read at all (its file or header is broken).
    """
    from ..datapackage.csvfile import read_table
    from ..errors import DataError

    tables, other = {}, []
    for resource in package.resources:
        table, problems = read_table(package, resource)
        unreadable = [p for p in problems if p.row in (None, 1)]
        if unreadable:
            raise DataError(unreadable)
        tables[resource.name] = table
        other += problems
    src = tables[SOURCES]
    # The field a table cites sources through is its foreign key to the sources table.
    citations = {
        name: tables[name].columns[fk.fields[0]]
        for name in package.resource_names
        for fk in package.resource(name).foreign_keys
        if fk.resource == SOURCES and len(fk.fields) == 1
    }
    urls = [SourceURL(row, sid, url) for row, sid, url in zip(src.row_numbers, src.columns["source_id"], src.columns["url"])]
    return check_sources(src.file, urls, citations), len(other)
