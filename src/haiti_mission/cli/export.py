"""The ``export`` command: every dataset in an exchange format (HXL-tagged CSV for HDX)."""
from __future__ import annotations

import sys
from pathlib import Path

from .common import DATA_DIR_HELP, FAILED, OK


def _export(args) -> int:
    from ..datapackage.descriptor import read_package
    from ..errors import DataError
    from ..interop.export import export_hxl
    from ..paths import display_path

    try:
        written = export_hxl(read_package(args.data_dir), Path(args.out))
    except DataError as exc:
        print(f"export refused: {exc}", file=sys.stderr)
        return FAILED
    except OSError as exc:
        print(f"haiti-mission export: cannot write to {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return FAILED
    for target, count in written:
        print(f"wrote {display_path(target)} ({count} row{'s' if count != 1 else ''}, HXL-tagged)")
    return OK


def register(sub) -> None:
    p = sub.add_parser("export", help="write every dataset in an exchange format (HXL-tagged CSV for HDX)")
    p.add_argument("--format", choices=["hxl"], default="hxl", help="hxl: CSV with an HXL hashtag row under the header (default)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the files to (created if missing)")
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
    p.set_defaults(func=_export)
