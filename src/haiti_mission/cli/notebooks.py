"""The ``notebooks`` command: re-execute the committed notebooks in place."""
from __future__ import annotations

import sys

from .common import FAILED, INTERRUPTED, OK, USAGE, add_jobs


def _notebooks(args) -> int:
    from ..errors import DataError, ParameterError, ReportError
    from ..paths import display_path
    from ..pipeline.execute import NotebookFailed
    from ..pipeline.refresh import refresh_notebooks

    try:
        changed = refresh_notebooks(args.only, jobs=args.jobs, progress=not args.quiet)
    except (NotebookFailed, ParameterError, DataError, ReportError) as exc:
        print(f"haiti-mission notebooks: {exc}\nno notebook was rewritten", file=sys.stderr)
        return USAGE if isinstance(exc, ParameterError) else FAILED
    except KeyboardInterrupt:
        print("haiti-mission notebooks: interrupted; no notebook was rewritten", file=sys.stderr)
        return INTERRUPTED
    for path in changed:
        print(f"updated {display_path(path)}")
    if not changed:
        print("all notebooks already up to date")
    return OK


def register(sub) -> None:
    p = sub.add_parser("notebooks", help="re-execute the committed notebooks in place (after a data change)")
    p.add_argument("--only", nargs="+", metavar="NAME", help="only these notebooks")
    add_jobs(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_notebooks)
