"""The ``sources`` command: list the sources; ``--check`` checks their URLs and counts their rows."""
from __future__ import annotations

import sys

from .common import DATA_DIR_HELP, FAILED, OK


def _sources(args) -> int:
    from ..datapackage.descriptor import read_package
    from ..errors import DataError, printable

    try:
        package = read_package(args.data_dir)
        if args.check:
            from ..interop.sources_check import check_package, format_check

            result, other = check_package(package)
            print(printable(format_check(result), lines=True))  # the check runs on data that may not validate
            if other:
                print(f"note: the tables have {other} validation problem(s) in all; run `haiti-mission validate` to list them")
            return OK if result.ok else FAILED
        import pandas as pd

        from ..datapackage.frames import sources

        frame = sources(data_dir=args.data_dir)
    except DataError as exc:
        print(exc, file=sys.stderr)
        return FAILED
    for row in frame.itertuples(index=False):
        published = "n.d." if pd.isna(row.published) else f"{row.published:%Y-%m-%d}"
        print(f"{row.source_id}  {published}  {row.kind}  {row.url}")
    print(f"{len(frame)} sources")
    return OK


def register(sub) -> None:
    p = sub.add_parser("sources", help="list the sources; --check also checks their URLs and counts the rows citing each")
    p.add_argument("--check", action="store_true", help="report malformed or duplicated URLs (exit 1), rows per source and unused sources")
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
    p.set_defaults(func=_sources)
