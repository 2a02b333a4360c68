"""The ``docs`` command: write the browsable reference (Python API and data dictionary) as HTML."""
from __future__ import annotations

import sys
from pathlib import Path

from .common import DATA_DIR_HELP, FAILED, OK, USAGE, out_path


def _default_out() -> Path | None:
    from ..paths import project_root

    root = project_root()
    return root / "reports" / "reference" if root is not None else None


def _docs(args) -> int:
    from ..datapackage.descriptor import read_package
    from ..errors import DataError
    from ..interop.output import OutputError, check_target, write_files
    from ..paths import display_path
    from ..pipeline.reference import INDEX_PAGE, reference_files

    out = Path(args.out) if args.out else _default_out()
    if out is None:
        print("haiti-mission docs: give --out DIR (outside a checkout there is no reports/ folder)", file=sys.stderr)
        return USAGE
    try:
        package = read_package(args.data_dir)
        out = check_target(out, folder=True, package_folder=package.folder)
        written = write_files(out, reference_files(package))
    except (DataError, OutputError) as exc:
        print(f"haiti-mission docs: {exc}", file=sys.stderr)
        return FAILED
    print(f"wrote {len(written)} files; open {display_path(out / INDEX_PAGE)}")
    return OK


def register(sub) -> None:
    p = sub.add_parser("docs", help="write the reference (Python API from the docstrings, data dictionary) as static HTML")
    p.add_argument("--out", type=out_path, metavar="DIR", help="folder to write into (default: reports/reference/ in the project)")
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
    p.set_defaults(func=_docs)
