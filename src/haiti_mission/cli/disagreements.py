"""The ``disagreements`` command: every quantity more than one source reports, side by side."""
from __future__ import annotations

import argparse
import datetime as dt
import sys

from .common import DATA_DIR_HELP, FAILED, OK, USAGE

_PROG = "haiti-mission disagreements"
# Shown in --help only; the value used is the analysis's DEFAULT_WINDOW_DAYS (a test keeps them equal).
WINDOW_HELP_DEFAULT = 7


def _window(text: str) -> int:
    """argparse type: a whole number of days, zero or more."""
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of days: {text!r}") from None
    if days < 0:
        raise argparse.ArgumentTypeError(f"must be zero or more, got {days}")
    return days


def _date(text: str) -> str:
    """argparse type: a YYYY-MM-DD date, checked here so a typo fails before any data is read."""
    try:
        return dt.date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {text!r}") from None


def _disagreements(args) -> int:
    from ..analysis.disagreements import DEFAULT_WINDOW_DAYS, QUANTITY_KEYS, summarise
    from ..errors import DataError
    from ..queries.disagreements import all_disagreements, render_text

    window = DEFAULT_WINDOW_DAYS if args.window is None else args.window
    names = list(dict.fromkeys(args.dataset or QUANTITY_KEYS))
    unknown = [n for n in names if n not in QUANTITY_KEYS]
    if unknown:
        print(f"{_PROG}: unknown dataset {', '.join(unknown)}; choose from {', '.join(QUANTITY_KEYS)}", file=sys.stderr)
        return USAGE
    try:
        table = all_disagreements(window, args.as_of, names, data_dir=args.data_dir)
    except DataError as exc:
        print(exc, file=sys.stderr)
        return FAILED
    summary = summarise(table, names)
    if args.only_differing:
        table = table[table["differs"].astype("bool")]
    if args.format == "csv":
        sys.stdout.write(table.to_csv(index=False, date_format="%Y-%m-%d", lineterminator="\n"))
    else:
        print(render_text(table, summary, window_days=window, as_of=args.as_of, notes=args.notes))
    return OK


def register(sub) -> None:
    # Nothing from the analysis is imported here: building the parser must not load pandas.
    p = sub.add_parser("disagreements", help="list every value of each quantity that more than one source reports, side by side")
    p.add_argument("--dataset", nargs="+", metavar="NAME", help="only these datasets (default: every dataset that holds numbers)")
    p.add_argument("--window", type=_window, metavar="DAYS",
                   help=f"rows of one quantity dated at most DAYS after a group's first row are compared (default: {WINDOW_HELP_DEFAULT})")
    p.add_argument("--as-of", dest="as_of", type=_date, metavar="DATE", help="only what was public on DATE (YYYY-MM-DD)")
    p.add_argument("--only-differing", action="store_true", help="leave out groups whose sources all give the same value")
    p.add_argument("--notes", action="store_true", help="text format: print each row's curator's note under it")
    p.add_argument("--format", choices=["text", "csv"], default="text", help="text: one block per quantity (default); csv: one row per value")
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
    p.set_defaults(func=_disagreements)
