"""The report run as the command line starts it: a no-op when nothing changed, a build otherwise.

Before anything heavy is imported, the run compares what was asked (notebooks and parameters)
and every input file (notebooks, package, lockfile, descriptor, data) with what the output
folder's manifest records: when nothing changed, the reports there are the answer and nothing is
rewritten. Otherwise the parameters are checked against the data and the build decides, report by
report, what to execute, re-render or reuse.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..notebook.parameters import notebook_path
from . import inputs
from .plan import Plan, requested_reports, resolve
from .reuse import fast_path_entries


def current_digests(names: list[str]) -> dict:
    """The digests the fast path compares, computed without pandas."""
    from ..datapackage.checksums import data_version
    from .build import descriptor_digest

    return {
        "notebooks": {n: inputs.notebook_digest(notebook_path(n)) for n in names},
        "package": inputs.package_digest(), "lockfile": inputs.lockfile_digest(),
        "data_version": data_version(), "descriptor": descriptor_digest(),
    }


def unchanged(plans: list[Plan], folder: Path) -> list[dict] | None:
    """The entries of ``folder`` when every plan's report is there and nothing it rests on changed.

    What a killed run left beside the folder is cleaned up first, as any run does.
    """
    from ..datapackage.descriptor import read_package
    from .staging import recover

    if not (folder / "manifest.json").is_file():
        return None
    recover(folder)
    package = read_package()
    # Same bytes are not enough: a data file that became a link to a copy elsewhere is refused by
    # the checks, so such a run takes the long way.
    if not all(package.file_of(r).is_file() and package.holds(package.file_of(r)) for r in package.resources):
        return None
    try:
        digests = current_digests([p.name for p in plans])
    except (OSError, ValueError):
        return None  # a file the checks will refuse (too large, not a regular file): the long way says which
    entries = fast_path_entries(folder, [(p.name, p.given) for p in plans], digests)
    if entries is None:
        return None
    return [dict(e, build={"run": "reused", "why": "inputs unchanged"}) for e in entries]


def run_reports_command(only: list[str] | None, as_of: str | None, params_file: str | None, out: Path,
                        jobs: int | None = None, progress: bool = True, force: bool = False,
                        dry_run: bool = False) -> tuple[list[dict], bool]:
    """Bring the reports in ``out`` up to date. Returns their entries, and whether nothing changed.

    ``dry_run``: only say what would be done; the entries then hold name and build alone.
    """
    from .build import Target, run_reports
    from .kernels import warm_kernels

    requested = requested_reports(only, as_of, params_file)
    if not force:
        entries = unchanged(requested, Path(out).resolve())
        if entries is not None:
            return entries, True
    if dry_run:
        from .build import dry_run as decisions

        plans = resolve(requested)
        return [{"name": t.plan.name, "build": {"run": a, "why": w}} for t, a, w in decisions([Target(p) for p in plans], out, force)], False
    with warm_kernels(jobs or os.cpu_count() or 1) as kernels:  # its imports overlap the checks below
        plans = resolve(requested)
        return run_reports(plans, out, jobs, progress, force=force, kernels=kernels), False
