"""The ``reports`` command: regenerate the HTML reports, executed notebooks and figures."""
from __future__ import annotations

import signal
import sys
from pathlib import Path

from .common import FAILED, INTERRUPTED, OK, USAGE, add_jobs, out_path


def _default_out() -> str:
    from ..paths import project_root

    root = project_root()
    return str(root / "reports") if root is not None else "reports"


def _reports(args) -> int:
    from ..errors import DataError, ParameterError, ReportError
    from ..paths import display_path
    from ..pipeline.run import run_reports_command

    # SIGTERM (kill, a scheduler's timeout) and SIGHUP (the terminal closed) are handled like
    # Ctrl-C, so the staging folder is cleaned up either way.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGHUP, signal.default_int_handler)
    try:
        out = Path(args.out or _default_out())
        entries, unchanged = run_reports_command(args.only, args.as_of, args.params, out, jobs=args.jobs,
                                                 progress=not args.quiet, force=args.force, dry_run=args.dry_run)
    except (ParameterError, DataError, ReportError) as exc:
        print(f"haiti-mission reports: {exc}", file=sys.stderr)
        print("nothing was written; previous reports are unchanged", file=sys.stderr)
        return USAGE if isinstance(exc, ParameterError) else FAILED
    except KeyboardInterrupt:
        print("haiti-mission reports: interrupted; previous reports are unchanged", file=sys.stderr)
        return INTERRUPTED
    if args.dry_run:
        for entry in entries:
            print(f"{entry['name']}: would be {entry['build']['run']}: {entry['build']['why']}")
        return OK
    for entry in entries:
        build = entry["build"]
        print(f"{entry['name']}: {display_path(out / entry['html'])} (+ {entry['notebook']}, {len(entry['figures'])} figure files); "
              f"{build['run']}: {build['why']}")
    print(f"index: {display_path(out / 'index.html')}" + ("; nothing changed, nothing was rewritten" if unchanged else ""))
    return OK


def register(sub) -> None:
    p = sub.add_parser("reports", help="regenerate the reports (HTML, executed notebooks, figures)")
    p.add_argument("--as-of", dest="as_of", metavar="DATE", help="date the reports describe (YYYY-MM-DD); sets as_of, or end for the timeline, until for the changes report")
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these report notebooks (others stay as they are)")
    p.add_argument("--out", type=out_path, metavar="DIR", help="output folder (default: reports/ in the project)")
    add_jobs(p)
    p.add_argument("--params", metavar="FILE.yaml", help="YAML file of parameters: top-level keys apply to every notebook declaring them, a notebook's name holds its own")
    p.add_argument("--force", action="store_true", help="execute every report, even those whose inputs are unchanged")
    p.add_argument("--dry-run", action="store_true", help="write nothing; say which reports would be executed, re-rendered or reused, and why")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_reports)
