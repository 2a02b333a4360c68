"""The ``dictionary`` command: write, or check, the data dictionary (data/README.md)."""
from __future__ import annotations

import sys

from .common import DATA_DIR_HELP, FAILED, OK


def _dictionary(args) -> int:
    from ..datapackage.descriptor import read_package
    from ..errors import DataError
    from ..interop.dictionary import COMMAND, readme_path, render_dictionary
    from ..paths import display_path

    try:
        package = read_package(args.data_dir)
    except DataError as exc:
        print(exc, file=sys.stderr)
        return FAILED
    text = render_dictionary(package).encode("utf-8")
    target = readme_path(package)
    if args.check:
        current = target.read_bytes() if target.is_file() else None
        if current != text:
            state = "is missing" if current is None else "is out of date with the descriptor"
            print(f"{display_path(target)} {state}; run `{COMMAND}` to regenerate it", file=sys.stderr)
            return FAILED
        print(f"{display_path(target)} is up to date")
        return OK
    try:
        target.write_bytes(text)
    except OSError as exc:
        print(f"haiti-mission dictionary: cannot write {display_path(target)}: {exc.strerror or exc}", file=sys.stderr)
        return FAILED
    print(f"wrote {display_path(target)}")
    return OK


def register(sub) -> None:
    p = sub.add_parser("dictionary", help="write the data dictionary (README.md beside datapackage.json)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 when the dictionary is missing or out of date")
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
    p.set_defaults(func=_dictionary)
