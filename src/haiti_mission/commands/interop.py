"""Commands for sharing and citing the data: export (HXL for HDX), dictionary, sources."""
from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from .data import DATA_DIR_HELP

SOURCES = "sources"


def _read_rows(path: Path, where: str) -> list[list[str]]:
    """Return a CSV file's rows exactly as written (header first), each cell as its text."""
    from ..errors import DataError
    from ..tables import decode

    text, problems = decode(path.read_bytes(), where)
    if text is None:
        raise DataError(problems)
    return list(csv.reader(io.StringIO(text, newline=""), strict=True))


def _export(args) -> int:
    from ..errors import DataError
    from ..hxl import csv_text, package_tag_problems, tagged_rows
    from ..paths import display_path
    from ..schema import read_package
    from ..validation import check_tables

    try:
        package = read_package(args.data_dir)
        problems = package_tag_problems(package)
        if not problems:
            # Only valid data leaves the package: the export is what HDX users will rely on.
            problems = check_tables(package, package.resource_names)[1]
        if problems:
            raise DataError(problems)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for resource in package.resources:
            source = package.file_of(resource)
            rows = tagged_rows(resource, _read_rows(source, display_path(source)), display_path(source))
            target = out / resource.path
            target.write_bytes(csv_text(rows).encode("utf-8"))
            count = len(rows) - 2
            print(f"wrote {display_path(target)} ({count} row{'s' if count != 1 else ''}, HXL-tagged)")
    except DataError as exc:
        print(f"export refused: {exc}", file=sys.stderr)
        return 1
    return 0


def _dictionary(args) -> int:
    from ..dictionary import COMMAND, readme_path, render_dictionary
    from ..errors import DataError
    from ..paths import display_path
    from ..schema import read_package

    try:
        package = read_package(args.data_dir)
    except DataError as exc:
        print(exc, file=sys.stderr)
        return 1
    text = render_dictionary(package).encode("utf-8")
    target = readme_path(package)
    if args.check:
        current = target.read_bytes() if target.is_file() else None
        if current != text:
            state = "is missing" if current is None else "is out of date with the descriptor"
            print(f"{display_path(target)} {state}; run `{COMMAND}` to regenerate it", file=sys.stderr)
            return 1
        print(f"{display_path(target)} is up to date")
        return 0
    target.write_bytes(text)
    print(f"wrote {display_path(target)}")
    return 0


def _sources_check(package) -> int:
    from ..source_check import SourceURL, check_sources, format_check
    from ..tables import read_table

    tables, other = {}, []
    for resource in package.resources:
        table, problems = read_table(package, resource)
        unreadable = [p for p in problems if p.row in (None, 1)]
        if unreadable:
            for p in unreadable:
                print(p, file=sys.stderr)
            return 1
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
    result = check_sources(src.file, urls, citations)
    print(format_check(result))
    if other:
        print(f"note: the tables have {len(other)} validation problem(s) in all; run `haiti-mission validate` to list them")
    return 0 if result.ok else 1


def _sources(args) -> int:
    from ..errors import DataError
    from ..schema import read_package

    try:
        package = read_package(args.data_dir)
        if args.check:
            return _sources_check(package)
        import pandas as pd

        from ..loading import sources

        frame = sources(data_dir=args.data_dir)
    except DataError as exc:
        print(exc, file=sys.stderr)
        return 1
    for row in frame.itertuples(index=False):
        published = "n.d." if pd.isna(row.published) else f"{row.published:%Y-%m-%d}"
        print(f"{row.source_id}  {published}  {row.kind}  {row.url}")
    print(f"{len(frame)} sources")
    return 0


def register(sub) -> None:
    p = sub.add_parser("export", help="write every dataset in an exchange format (HXL-tagged CSV for HDX)")
    p.add_argument("--format", choices=["hxl"], default="hxl", help="hxl: CSV with an HXL hashtag row under the header (default)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the files to (created if missing)")
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
    p.set_defaults(func=_export)

    p = sub.add_parser("dictionary", help="write the data dictionary (README.md beside datapackage.json)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 when the dictionary is missing or out of date")
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
    p.set_defaults(func=_dictionary)

    p = sub.add_parser("sources", help="list the sources; --check also checks their URLs and counts the rows citing each")
    p.add_argument("--check", action="store_true", help="report malformed or duplicated URLs (exit 1), rows per source and unused sources")
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
    p.set_defaults(func=_sources)
