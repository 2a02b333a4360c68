"""The ``summary`` command: a few lines on each dataset."""
from __future__ import annotations

import sys

from .common import DATA_DIR_HELP, FAILED, OK


def _summary(args) -> int:
    from ..errors import DataError
    from ..queries.summary import summary_text

    try:
        print(summary_text(data_dir=args.data_dir))
    except DataError as exc:
        print(exc, file=sys.stderr)
        return FAILED
    return OK


def register(sub) -> None:
    p = sub.add_parser("summary", help="print a summary of each dataset")
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
    p.set_defaults(func=_summary)
