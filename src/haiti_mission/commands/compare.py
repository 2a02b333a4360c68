"""Commands that set sources side by side: disagreements."""
from __future__ import annotations

import argparse
import datetime as dt
import sys

from .data import DATA_DIR_HELP

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


def _shown_date(date, precision) -> str:
    """A row's date as precisely as its source gave it: 2024-03-01, 2024-03 or 2024."""
    width = {"month": 7, "year": 4}.get(str(precision), 10)
    return f"{date:%Y-%m-%d}"[:width]


def _citation(publisher, published, precision) -> str:
    """'Publisher, 7 February 2025', 'Publisher, February 2025' (month only) or 'Publisher, n.d.'."""
    if not isinstance(publisher, str):
        return "source not in the sources table"
    if published is None or published != published:  # NaT compares unequal to itself
        return f"{publisher}, n.d."
    shown = {"month": f"{published:%B %Y}", "year": f"{published:%Y}"}.get(str(precision), f"{published.day} {published:%B %Y}")
    return f"{publisher}, {shown}"


def render_text(table, summary, *, window_days: int, as_of: str | None, notes: bool = False) -> str:
    """Return the groups of an ``all_disagreements`` table as text: one block per quantity.

    Each block is headed by the group id and the quantity, then one line per value (record,
    date, value, qualifier, source and its kind); ``notes`` adds each row's curator's note.
    ``summary`` (from ``summarise``) gives the closing counts.
    """
    when = f"as known on {as_of}" if as_of else "all data"
    lines = [f"Quantities reported by more than one source, dates within {window_days} days of each group's first row ({when}).", ""]
    for group_id, rows in table.groupby("group_id", sort=False):
        first = rows.iloc[0]
        spread = (f"values differ: {first['min_value']:,} to {first['max_value']:,}" if first["differs"]
                  else f"every source gives {first['min_value']:,}")
        lines.append(f"{group_id}  {first['quantity']}")
        lines.append(f"  {first['source_count']} sources; {spread}")
        width = max(len(f"{v:,}") for v in rows["value"])
        for row in rows.itertuples(index=False):
            cite = _citation(row.source_publisher, row.source_published, row.source_published_precision)
            qualifier = row.qualifier if isinstance(row.qualifier, str) else ""
            kind = f" ({row.source_kind})" if isinstance(row.source_kind, str) else ""
            lines.append(f"  {row.record_id}  {_shown_date(row.date, row.date_precision):<10}  {row.value:>{width},}  "
                         f"{qualifier:<9}  {cite}{kind}")
            if notes and isinstance(row.note, str) and row.note:
                lines.append(f"      note: {row.note}")
        lines.append("")
    if table.empty:
        lines.extend(["No quantity is reported by more than one source.", ""])
    for row in summary.itertuples(index=False):
        lines.append(f"{row.dataset}: {row.groups} group{'s' if row.groups != 1 else ''}, {row.differing} with differing values")
    return "\n".join(lines)


def _disagreements(args) -> int:
    from ..analysis.disagreements import DEFAULT_WINDOW_DAYS, QUANTITY_KEYS, all_disagreements, summarise
    from ..errors import DataError

    window = DEFAULT_WINDOW_DAYS if args.window is None else args.window
    names = list(dict.fromkeys(args.dataset or QUANTITY_KEYS))
    unknown = [n for n in names if n not in QUANTITY_KEYS]
    if unknown:
        print(f"{_PROG}: unknown dataset {', '.join(unknown)}; choose from {', '.join(QUANTITY_KEYS)}", file=sys.stderr)
        return 2
    try:
        table = all_disagreements(window, args.as_of, names, data_dir=args.data_dir)
    except DataError as exc:
        print(exc, file=sys.stderr)
        return 1
    summary = summarise(table, names)
    if args.only_differing:
        table = table[table["differs"].astype("bool")]
    if args.format == "csv":
        sys.stdout.write(table.to_csv(index=False, date_format="%Y-%m-%d", lineterminator="\n"))
    else:
        print(render_text(table, summary, window_days=window, as_of=args.as_of, notes=args.notes))
    return 0


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
