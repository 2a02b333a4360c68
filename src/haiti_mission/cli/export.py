"""The ``export`` command: every dataset in an exchange format (HXL-tagged CSV, SQLite, Parquet)."""
from __future__ import annotations

import sys
from pathlib import Path

from .common import DATA_DIR_HELP, FAILED, OK, out_path

_WHAT = {"hxl": "HXL-tagged CSV", "sqlite": "SQLite table", "parquet": "Parquet"}


def _export(args) -> int:
    from ..datapackage.descriptor import read_package
    from ..errors import DataError
    from ..interop import export
    from ..interop.output import OutputError
    from ..paths import display_path

    try:
        package = read_package(args.data_dir)
        written = getattr(export, f"export_{args.format}")(package, Path(args.out))
    except DataError as exc:
        print(f"export refused: {exc}", file=sys.stderr)
        return FAILED
    except OutputError as exc:
        print(f"export refused: {exc}", file=sys.stderr)
        return FAILED
    except OSError as exc:
        print(f"haiti-mission export: cannot write to {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return FAILED
    for target, count in written:
        where = f"{display_path(Path(args.out))}: {target}" if args.format == "sqlite" else display_path(target)
        print(f"wrote {where} ({count} row{'s' if count != 1 else ''}, {_WHAT[args.format]})")
    return OK


def register(sub) -> None:
    p = sub.add_parser("export", help="write every dataset in an exchange format: HXL-tagged CSV, SQLite or Parquet")
    p.add_argument("--format", choices=["hxl", "sqlite", "parquet"], default="hxl",
                   help="hxl: CSV files with an HXL hashtag row under the header (default); sqlite: one database "
                        "file, a table per dataset; parquet: one typed file per dataset")
    p.add_argument("--out", type=out_path, required=True, metavar="PATH", help="folder to write into (hxl, parquet; created if missing), or the database file (sqlite)")
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
    p.set_defaults(func=_export)
