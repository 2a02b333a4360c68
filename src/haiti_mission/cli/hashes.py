"""The ``hashes`` command: check, or after a deliberate edit record, each data file's size and hash."""
from __future__ import annotations

import sys

from .common import DATA_DIR_HELP, FAILED, OK

_PROG = "haiti-mission hashes"


def _check(package) -> int:
    from ..datapackage.checksums import hash_problems
    from ..paths import display_path

    problems = hash_problems(package, absent_too=True)
    for problem in problems:
        print(problem, file=sys.stderr)
    failed = {p.file for p in problems}
    for resource in package.resources:
        where = display_path(package.file_of(resource))
        if where not in failed:
            print(f"{where}: matches {resource.hash}")
    return FAILED if problems else OK


def _update(package) -> int:
    from ..datapackage.checksums import refresh_hashes
    from ..datapackage.validation import check_tables
    from ..errors import DataError
    from ..paths import DESCRIPTOR, display_path

    # Only a state that passes the package's checks is recorded as the curated one.
    problems = check_tables(package, package.resource_names)[1]
    if problems:
        print(DataError(problems), file=sys.stderr)
        print(f"{_PROG}: fix these first; {DESCRIPTOR} was not changed", file=sys.stderr)
        return FAILED
    changed = refresh_hashes(package.folder)
    descriptor = display_path(package.folder / DESCRIPTOR)
    if changed:
        print(f"recorded the new size and hash of {', '.join(changed)} in {descriptor}")
    else:
        print(f"{descriptor} already records every file's size and hash")
    return OK


def _hashes(args) -> int:
    from ..datapackage.descriptor import read_package
    from ..errors import DataError
    from ..files import WriteError

    try:
        package = read_package(args.data_dir)
        return _update(package) if args.update else _check(package)
    except (DataError, WriteError, OSError) as exc:
        print(exc, file=sys.stderr)
        return FAILED


def register(sub) -> None:
    p = sub.add_parser(
        "hashes",
        help="check that each data file matches the size and sha256 hash datapackage.json records; --update records them after a deliberate edit",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="report every file that changed without its descriptor; exit 1 if any (the default)")
    mode.add_argument("--update", action="store_true", help="record each file's current size and hash in datapackage.json (refused while the data has problems)")
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
    p.set_defaults(func=_hashes)
