"""Read one CSV resource strictly against its schema.

Every cell is parsed by the type its field declares and checked against the field's constraints
(``cells.cell_reader``); nothing is coerced. The result is a dict of parsed columns plus the problems found, each naming the
file, the row (the header is row 1) and the field.
"""
from __future__ import annotations

import contextlib
import csv
import gc
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem
from ..files import DATA_FILE_LIMIT, FileRefused, read_regular
from ..paths import display_path
from .descriptor import Package, Resource
from .fields import Field
from .cells import CELL_LIMIT, all_plain_text, cell_reader

_BOM = b"\xef\xbb\xbf"
# The csv module's own cap (128 KiB a cell by default) would call a long cell "malformed CSV"; with
# it raised to the file limit, cells are measured against CELL_LIMIT here and named "too long".
csv.field_size_limit(max(csv.field_size_limit(), DATA_FILE_LIMIT))
_UNDECODABLE = re.compile("[\udc80-\udcff]")


@dataclass
class Table:
    """A parsed table: its resource, the file it came from, and one list of values per field."""

    resource: Resource
    file: str
    columns: dict[str, list]
    row_numbers: list[int]
    digest: bytes = b""  # blake2b (16 bytes) of the file's bytes, when it could be read

    @property
    def row_count(self) -> int:
        return len(self.row_numbers)


def _check_header(header: list[str], resource: Resource, where: str) -> list[Problem]:
    expected = resource.field_names
    if header == expected:
        return []
    problems = []
    for name in sorted({h for h in header if header.count(h) > 1}):
        problems.append(Problem(where, 1, name, "column appears more than once in the header"))
    for name in expected:
        if name not in header:
            problems.append(Problem(where, 1, name, "column is missing from the header"))
    for name in header:
        if name not in expected:
            problems.append(Problem(where, 1, name, f"unexpected column; this table's columns are: {', '.join(expected)}"))
    if not problems:
        problems.append(Problem(where, 1, None, f"columns are out of order; expected: {', '.join(expected)}"))
    return problems


def decode(raw: bytes, where: str) -> tuple[str | None, list[Problem]]:
    """Decode a resource's bytes as strict UTF-8 without byte-order mark."""
    if not raw.strip():
        return None, [Problem(where, None, None, "file is empty; it needs at least a header row")]
    if raw.startswith(_BOM):
        return None, [Problem(where, 1, None, "file starts with a byte-order mark (BOM); save it as UTF-8 without BOM")]
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        row, column = _locate_undecodable(raw)
        return None, [Problem(where, row, column, f"file is not valid UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start} ({exc.reason}); save it as UTF-8")]


def _locate_undecodable(raw: bytes) -> tuple[int, str | None]:
    """Return the CSV row (header = row 1) and, below the header, the column of the first byte
    that is not UTF-8. Rows are CSV records, not lines: a quoted cell may span several lines."""
    # surrogateescape turns each undecodable byte into a lone surrogate, which valid text never holds.
    text = raw.decode("utf-8", errors="surrogateescape")
    header: list[str] | None = None
    try:
        for row, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            header = cells if header is None else header
            for col, cell in enumerate(cells):
                if _UNDECODABLE.search(cell):
                    return row, header[col] if row > 1 and col < len(header) else None
    except csv.Error:
        pass
    return text[: _UNDECODABLE.search(text).start()].count("\n") + 1, None


_parsed: dict[tuple, tuple[Table, list[Problem]]] = {}


def content_digest(raw: bytes) -> bytes:
    """The digest by which a file's parse is known (``Table.digest``)."""
    return hashlib.blake2b(raw, digest_size=16).digest()


def read_table(package: Package, resource: Resource) -> tuple[Table, list[Problem]]:
    """Parse and check one resource's CSV; return the table and every problem found.

    Parsing is cached by the file's content and the resource's schema, so loading every dataset
    reads sources.csv once, not once per dataset. Callers must not modify the returned table.
    """
    path: Path = package.file_of(resource)
    where = display_path(path)
    if not package.holds(path):
        # The descriptor's path is a plain relative name, so only a symbolic link can lead here.
        return _empty(resource, where), [Problem(where, None, None, "leads outside the data folder (a symbolic link?); a resource must be a file inside it")]
    try:
        raw = read_regular(path, DATA_FILE_LIMIT, "data file")
    except FileRefused as exc:
        return _empty(resource, where), [Problem(where, None, None, refusal_text(str(exc)))]
    key = (content_digest(raw), where, resource.fields, resource.primary_key)
    if key not in _parsed:
        if len(_parsed) > 64:
            _parsed.clear()
        with _collector_paused():
            table, problems = _parse(raw, resource, where)
        table.digest = key[0]
        _parsed[key] = table, problems
    table, problems = _parsed[key]
    return table, list(problems)


@contextlib.contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector: a parse makes a million cells and rows, none in a
    cycle, and the collector would walk them again and again (a sixth of the parse at 100x)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def forget_parsed() -> None:
    """Let go of the parsed tables ``read_table`` keeps (they take more memory than frames)."""
    _parsed.clear()


def refusal_text(reason: str) -> str:
    """What to say about a data file that ``read_regular`` refused."""
    if reason == "file not found":
        return reason + " (the descriptor lists it as a resource)"
    if reason.startswith("is not a regular file"):
        return reason + "; a data package holds plain files"
    return reason


def _empty(resource: Resource, where: str) -> Table:
    return Table(resource, where, {f.name: [] for f in resource.fields}, [])


def _has_duplicates(values: list) -> bool:
    present = [v for v in values if v is not None]
    return len(set(present)) != len(present)


def _too_long(text: str) -> str:
    return f"is {len(text):,} characters long: too long (a cell holds at most {CELL_LIMIT:,} characters)"


def _parse_column(texts: list[str], rows: list[int], fld: Field, resource: Resource, where: str) -> tuple[list, list[tuple]]:
    """Parse one column; return its values and its problems as (row, sub-order, Problem)."""
    problems: list[tuple] = []
    distinct = set(texts) - {""}
    if fld.type == "string" and fld.enum is None and all_plain_text(distinct, fld):
        # Each text is its own value (free text, checked all at once), one object per distinct text.
        value_of = dict(zip(distinct, distinct))
        value_of[""] = None
        values = list(map(value_of.__getitem__, texts))
        if fld.required and "" in texts:
            problems.extend((row, 0, Problem(where, row, fld.name, "a value is required")) for row, text in zip(rows, texts) if text == "")
        return _unique_problems(values, rows, fld, resource, where, problems)
    reader = cell_reader(fld)
    # Each distinct text is parsed once: a column repeats the same dates, codes and ids.
    parsed = {text: reader(text) if len(text) <= CELL_LIMIT else (None, _too_long(text)) for text in distinct}
    parsed[""] = (None, "a value is required" if fld.required and "" in texts else None)
    value_of = {text: value for text, (value, _) in parsed.items()}
    values = list(map(value_of.__getitem__, texts))
    bad = {text for text, (_, why) in parsed.items() if why is not None}
    if bad:
        problems.extend((row, 0, Problem(where, row, fld.name, parsed[text][1])) for row, text in zip(rows, texts) if text in bad)
    return _unique_problems(values, rows, fld, resource, where, problems)


def _unique_problems(values: list, rows: list[int], fld: Field, resource: Resource, where: str, problems: list[tuple]) -> tuple[list, list[tuple]]:
    """``values`` and ``problems``, with the duplicates of a unique field added to the problems."""
    if fld.unique and _has_duplicates(values):
        # An empty cell, or one that did not parse, takes no part in uniqueness (it has no value).
        seen: dict = {}
        what = "primary key" if resource.primary_key == (fld.name,) else "value"
        for row, value in zip(rows, values):
            if value is None:
                continue
            first = seen.setdefault(value, row)
            if first != row:
                problems.append((row, 1, Problem(where, row, fld.name, f"duplicate {what} {value!r} (first at row {first})")))
    return values, problems


def _reader(lines: list[bytes]):
    # The lines of valid UTF-8 bytes, split where io.StringIO(newline="") splits text (at \n, \r
    # and \r\n) and decoded one at a time: no line break byte occurs inside a UTF-8 sequence, and
    # a StringIO of the whole text would hold four bytes a character.
    return csv.reader(map(bytes.decode, lines), strict=True)


def _records(reader, lines: list[bytes], header: list[str], where: str) -> tuple[list[list[str]], list[int], list[tuple], Problem | None]:
    """The data rows of a CSV text below its header (``reader`` has read the header): (rows, their
    row numbers, the problems of rows that are not data rows as (row, -1, 0, Problem), the problem
    that ended the reading)."""
    width = len(header)
    try:
        records = list(reader)
    except csv.Error:
        records = None
    # Most files are whole, read in one go; any other is read again row by row to name each bad row.
    if records is not None and all(len(cells) == width for cells in records) and header not in records:
        return records, list(range(2, len(records) + 2)), [], None
    records, row_numbers, found = [], [], []
    row_number = 1
    reader = _reader(lines)
    next(reader)
    try:
        for cells in reader:
            row_number += 1
            if len(cells) == width and cells != header:
                records.append(cells)
                row_numbers.append(row_number)
            elif not cells:
                found.append((row_number, -1, 0, Problem(where, row_number, None, "blank line; remove it")))
            elif cells == header:
                found.append((row_number, -1, 0, Problem(where, row_number, None, "repeats the header row (two files pasted together?); remove it")))
            else:
                found.append((row_number, -1, 0, Problem(where, row_number, None, f"has {len(cells)} cells, expected {width} (a truncated line, a stray comma, or another delimiter)")))
    except csv.Error as exc:
        return records, row_numbers, found, Problem(where, row_number + 1, None, f"malformed CSV (unclosed quote or truncated file?): {exc}")
    return records, row_numbers, found, None


def _parse(raw: bytes, resource: Resource, where: str) -> tuple[Table, list[Problem]]:
    empty = _empty(resource, where)
    text, problems = decode(raw, where)
    if text is None:
        return empty, problems
    del text  # checked; the reader decodes line by line
    lines = raw.splitlines(keepends=True)
    reader = _reader(lines)
    try:
        header = next(reader)
    except csv.Error as exc:
        return empty, [Problem(where, 1, None, f"malformed CSV header: {exc}")]
    header_problems = _check_header(header, resource, where)
    if header_problems:
        if len(header) == 1 and len(resource.fields) > 1 and any(sep in header[0] for sep in ";\t|"):
            header_problems.insert(0, Problem(where, 1, None, "the header is a single column: the file seems to use another delimiter than a comma"))
        return empty, header_problems

    fields = resource.fields
    width = len(fields)
    # First the records: which rows are data rows, and the problems of whole rows. Then each
    # column at once. Problems come out in the order of a row-by-row reading: by row, then field.
    records, row_numbers, found, broken = _records(reader, lines, header, where)
    del lines
    columns: dict[str, list] = {}
    texts_by_field = list(zip(*records)) if records else [() for _ in fields]
    del records
    for index, (fld, texts) in enumerate(zip(fields, texts_by_field)):
        values, column_problems = _parse_column(list(texts), row_numbers, fld, resource, where)
        columns[fld.name] = values
        found.extend((row, index, sub, problem) for row, sub, problem in column_problems)
    if resource.primary_key and len(resource.primary_key) > 1:
        pk_seen: dict[tuple, int] = {}
        for row, *key in zip(row_numbers, *(columns[k] for k in resource.primary_key)):
            key = tuple(key)
            first = pk_seen.setdefault(key, row)
            if first != row:
                found.append((row, width, 0, Problem(where, row, ",".join(resource.primary_key), f"duplicate primary key {key!r} (first at row {first})")))
    found.sort(key=lambda item: item[:3])
    problems.extend(item[3] for item in found)
    if broken is not None:
        problems.append(broken)
    # A single-field primary key is checked like a unique field.
    if len(resource.primary_key) == 1:
        pk = resource.primary_key[0]
        if not resource.field(pk).unique:
            firsts: dict = {}
            for row, v in zip(row_numbers, columns[pk]):
                first = firsts.setdefault(v, row)
                if first != row and v is not None:
                    problems.append(Problem(where, row, pk, f"duplicate primary key {v!r} (first at row {first})"))
    return Table(resource, where, columns, row_numbers), problems
