"""Exports of the validated data: HXL-tagged CSV for HDX, one SQLite database, Parquet files.

Only data that passes the package's checks leaves the package: an export is what other tools and
their users will rely on. Every export checks everything first and then writes atomically
(``output``): a refused or failed export leaves the previous files as they were.
"""
from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import pandas as pd

from ..datapackage.csvfile import decode
from ..datapackage.descriptor import Package
from ..datapackage.frames import to_frame
from ..datapackage.validation import check_tables
from ..errors import DataError, Problem
from ..paths import display_path
from .hxl import csv_text, tagged_rows
from .hxl_tags import package_tag_problems
from .output import check_target, write_file, write_files
from .sqlite import write_database

FORMATS = ("hxl", "sqlite", "parquet")


def read_rows(path: Path, where: str) -> list[list[str]]:
    """Return a CSV file's rows exactly as written (header first), each cell as its text."""
    text, problems = decode(path.read_bytes(), where)
    if text is None:
        raise DataError(problems)
    return list(csv.reader(io.StringIO(text, newline=""), strict=True))


def validated_frames(package: Package) -> dict[str, pd.DataFrame]:
    """Return every resource as ``load()`` types it, or raise DataError listing every problem."""
    tables, problems = check_tables(package, package.resource_names)
    if problems:
        raise DataError(problems)
    return {name: to_frame(tables[name]) for name in package.resource_names}


def export_hxl(package: Package, out: Path) -> list[tuple[Path, int]]:
    """Write every resource of ``package`` as an HXL-tagged CSV into folder ``out`` (created if
    missing). Returns (file written, data rows) per resource; raises DataError, writing nothing,
    when a tag is unusable or the data does not validate."""
    out = check_target(out, folder=True, package_folder=package.folder)
    problems = package_tag_problems(package)
    if not problems:
        problems = check_tables(package, package.resource_names)[1]
    if problems:
        raise DataError(problems)
    files, counts = {}, []
    for resource in package.resources:
        source = package.file_of(resource)
        rows = tagged_rows(package, resource, read_rows(source, display_path(source)), display_path(source))
        files[resource.path] = csv_text(rows).encode("utf-8")
        counts.append(len(rows) - 2)
    return list(zip(write_files(out, files), counts))


def export_sqlite(package: Package, out: Path) -> list[tuple[str, int]]:
    """Write every resource of ``package`` into one SQLite file ``out``. Returns (table, rows) per
    resource; raises DataError, writing nothing, when the data does not validate."""
    out = check_target(out, folder=False, package_folder=package.folder)
    frames = validated_frames(package)
    counts: dict[str, int] = {}

    def write(path: Path) -> None:
        path.unlink()  # sqlite3 writes a new database, not into an empty file
        try:
            counts.update(write_database(package, frames, path))
        except sqlite3.IntegrityError as exc:
            raise DataError([Problem(display_path(out), None, None, f"refused by the database: {exc}")]) from None

    write_file(out, write)
    return [(name, counts[name]) for name in package.resource_names]


def export_parquet(package: Package, out: Path) -> list[tuple[Path, int]]:
    """Write every resource of ``package`` as a Parquet file into folder ``out`` (created if
    missing). Returns (file written, rows) per resource; raises DataError, writing nothing, when
    the data does not validate."""
    from .parquet import parquet_bytes

    out = check_target(out, folder=True, package_folder=package.folder)
    frames = validated_frames(package)
    files = {f"{r.name}.parquet": parquet_bytes(package, r, frames[r.name]) for r in package.resources}
    return list(zip(write_files(out, files), (len(frames[r.name]) for r in package.resources)))

