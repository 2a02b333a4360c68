"""The ``archive`` command: the reports as they read on each date of a series, and their index."""
from __future__ import annotations

import signal
import sys
from pathlib import Path

from .common import FAILED, INTERRUPTED, OK, USAGE, add_jobs, out_path


def _default_out() -> str:
    from ..paths import project_root

    root = project_root()
    return str(root / "reports" / "archive") if root is not None else str(Path("reports") / "archive")


def _archive(args) -> int:
    from ..errors import DataError, ParameterError, ReportError
    from ..notebook.parameters import latest_publication
    from ..paths import display_path
    from ..pipeline.archive import archive_dates, run_archive
    from ..pipeline.kernels import warm_kernels

    # As `reports` does: SIGTERM and SIGHUP stop the run like Ctrl-C, and the staging folder goes.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGHUP, signal.default_int_handler)
    out = Path(args.out or _default_out())
    try:
        with warm_kernels(args.jobs) as kernels:
            latest = latest_publication() if args.end == "latest" else None
            dates = archive_dates(args.start, args.end, args.every, latest=latest)
            entries = run_archive(dates, out, args.only, jobs=args.jobs, progress=not args.quiet, force=args.force, kernels=kernels)
    except (ParameterError, DataError, ReportError) as exc:
        print(f"haiti-mission archive: {exc}", file=sys.stderr)
        print("nothing was written; the previous archive is unchanged", file=sys.stderr)
        return USAGE if isinstance(exc, ParameterError) else FAILED
    except KeyboardInterrupt:
        print("haiti-mission archive: interrupted; the previous archive is unchanged", file=sys.stderr)
        return INTERRUPTED
    runs = [e["build"]["run"] for e in entries]
    counts = ", ".join(f"{runs.count(k)} {k}" for k in ("executed", "re-rendered", "reused") if runs.count(k))
    print(f"{len(dates)} dates from {dates[0]} to {dates[-1]}, {len(entries)} reports ({counts})")
    print(f"index: {display_path(out / 'index.html')}")
    return OK


def register(sub) -> None:
    p = sub.add_parser("archive", help="build the reports as known on each date of a series (month, quarter or week ends), with an index of the headline figures")
    p.add_argument("--start", required=True, metavar="DATE", help="first day of the series (YYYY-MM-DD)")
    p.add_argument("--end", required=True, metavar="DATE", help='last day of the series (YYYY-MM-DD, or "latest": the newest source\'s date)')
    p.add_argument("--every", default="month", metavar="PERIOD", help="month (default), quarter or week: a report date at the end of each")
    p.add_argument("--only", nargs="+", metavar="NAME", help="only these report notebooks")
    p.add_argument("--out", type=out_path, metavar="DIR", help="output folder (default: reports/archive in the project)")
    add_jobs(p)
    p.add_argument("--force", action="store_true", help="execute every report, even those whose inputs are unchanged")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_archive)
