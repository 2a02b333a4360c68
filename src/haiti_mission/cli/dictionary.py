"""The ``dictionary`` command: write, or check, the data dictionary (data/README.md)."""
from __future__ import annotations

import sys

from .common import DATA_DIR_HELP, FAILED, OK


def _dictionary(args) -> int:
    from ..datapackage.descriptor import read_package
    from ..errors import DataError
    from ..files import (
        DESCRIPTOR_LIMIT,
        FileRefused,
        WriteError,
        read_regular,
        write_atomic,
    )
    from ..interop.dictionary import COMMAND, readme_path, render_dictionary
    from ..paths import DESCRIPTOR, display_path, project_root

    try:
        package = read_package(args.data_dir)
    except DataError as exc:
        print(exc, file=sys.stderr)
        return FAILED
    text = render_dictionary(package).encode("utf-8")
    target = readme_path(package)
    if args.check:
        state = "is out of date with the descriptor"
        try:
            current = read_regular(target, DESCRIPTOR_LIMIT, "data dictionary")
        except FileRefused as exc:
            current, state = None, "is missing" if str(exc) == "file not found" else str(exc)
        if current != text:
            print(f"{display_path(target)} {state}; run `{COMMAND}` to regenerate it", file=sys.stderr)
            return FAILED
        print(f"{display_path(target)} is up to date")
        return OK
    # The dictionary sits beside the data: never over a data file, the descriptor, or (a data
    # folder given as the project's own) the project's README.
    protected = {f"the data file of resource {r.name!r}": package.file_of(r) for r in package.resources}
    protected["the descriptor"] = package.folder / DESCRIPTOR
    if project_root() is not None:
        protected["the project's README"] = project_root() / "README.md"
    try:
        write_atomic(target, text, protected=protected)
    except WriteError as exc:
        print(exc, file=sys.stderr)
        return FAILED
    print(f"wrote {display_path(target)}")
    return OK


def register(sub) -> None:
    p = sub.add_parser("dictionary", help="write the data dictionary (README.md beside datapackage.json)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 when the dictionary is missing or out of date")
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
    p.set_defaults(func=_dictionary)
