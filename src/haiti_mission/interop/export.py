"""Exports of the validated data in exchange formats: HXL-tagged CSV for HDX.

Only data that passes the package's checks leaves the package: an export is what other tools and
their users will rely on.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from ..datapackage.csvfile import decode
from ..datapackage.descriptor import Package
from ..datapackage.validation import check_tables
from ..errors import DataError
from ..paths import display_path
from .hxl import csv_text, package_tag_problems, tagged_rows


def read_rows(path: Path, where: str) -> list[list[str]]:
    """Return a CSV file's rows exactly as written (header first), each cell as its text."""
    text, problems = decode(path.read_bytes(), where)
    if text is None:
        raise DataError(problems)
    return list(csv.reader(io.StringIO(text, newline=""), strict=True))


def export_hxl(package: Package, out: Path) -> list[tuple[Path, int]]:
    """Write every resource of ``package`` as an HXL-tagged CSV into folder ``out`` (created if
    missing). Returns (file written, data rows) per resource; raises DataError, writing nothing,
    when a tag is unusable or the data does not validate."""
    problems = package_tag_problems(package)
    if not problems:
        problems = check_tables(package, package.resource_names)[1]
    if problems:
        raise DataError(problems)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for resource in package.resources:
        source = package.file_of(resource)
        rows = tagged_rows(resource, read_rows(source, display_path(source)), display_path(source))
        target = out / resource.path
        target.write_bytes(csv_text(rows).encode("utf-8"))
        written.append((target, len(rows) - 2))
    return written
