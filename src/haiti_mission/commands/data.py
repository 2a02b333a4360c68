"""Commands about the data package itself: validate, summary."""
from __future__ import annotations

import sys

DATA_DIR_HELP = "folder holding datapackage.json (default: the package's own data)"


def _validate(args) -> int:
    from ..validation import validate

    report = validate(args.data_dir, use_frictionless=not args.fast)
    print(report)
    return 0 if report.ok else 1


def _summary(args) -> int:
    from ..errors import DataError
    from ..summary import summary_text

    try:
        print(summary_text(data_dir=args.data_dir))
    except DataError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def register(sub) -> None:
    p = sub.add_parser("validate", help="check the data package; exit 1 on any problem")
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
    p.add_argument("--fast", action="store_true", help="skip Frictionless's own validation (the package's checks still run)")
    p.set_defaults(func=_validate)

    p = sub.add_parser("summary", help="print a summary of each dataset")
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
    p.set_defaults(func=_summary)
