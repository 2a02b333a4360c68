"""The ``validate`` command: check the whole data package."""
from __future__ import annotations

from .common import DATA_DIR_HELP, FAILED, OK


def _validate(args) -> int:
    from ..datapackage.validation import validate

    report = validate(args.data_dir, use_frictionless=not args.fast)
    print(report)
    return OK if report.ok else FAILED


def register(sub) -> None:
    p = sub.add_parser("validate", help="check the data package; exit 1 on any problem")
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
    p.add_argument("--fast", action="store_true", help="skip Frictionless's own validation (the package's checks still run)")
    p.set_defaults(func=_validate)
