"""What every command shares: the --data-dir option and the exit statuses.

Exit statuses, the same for every command:
  0  success;
  1  the data, a check or a run failed (invalid data, a stale file, a notebook that failed, a
     folder that cannot be written): the message says what and where;
  2  wrong usage: an unknown command, option, report name or parameter, or a value that makes no
     sense (argparse uses 2 for its own refusals too);
  130  interrupted (Ctrl-C, SIGTERM, SIGHUP).
"""
from __future__ import annotations

import argparse
import os

OK, FAILED, USAGE, INTERRUPTED = 0, 1, 2, 130

DATA_DIR_HELP = "folder holding datapackage.json (default: the package's own data)"


def jobs(text: str) -> int:
    """argparse type of --jobs: a whole number of processes, one or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def out_path(text: str) -> str:
    """argparse type of --out: a path, never an empty one (which would mean the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty; give a folder (or file) of its own, e.g. --out reports")
    return text


def add_jobs(parser, what: str = "notebooks run in parallel") -> None:
    parser.add_argument("--jobs", type=jobs, default=os.cpu_count() or 1, metavar="N", help=f"{what} (default: number of CPUs)")
