"""Re-execute the committed notebooks in place, with their default parameters.

Used after a data change: the notebooks in ``notebooks/`` keep their outputs so that they read as
results anywhere, and nbval checks those outputs. Volatile metadata is stripped, so with unchanged
data the files come out byte for byte the same. Nothing is written unless every notebook ran.
"""
from __future__ import annotations

import os
from functools import partial
from pathlib import Path

from ..notebook.parameters import available_notebooks, notebook_path
from ..paths import notebooks_dir
from .workers import parallel_map


def temporary_name(path: Path) -> Path:
    """Where a notebook is written before it replaces ``path``: beside it, unique to this run."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def _execute(name: str) -> tuple[str, bytes]:
    from . import pages
    from .execute import run_notebook

    nb = run_notebook(notebook_path(name, reports_only=False), {}, notebooks_dir(), name)
    return name, pages.notebook_bytes(pages.clean_notebook(nb, {}))


def refresh_notebooks(names: list[str] | None = None, jobs: int | None = None, progress: bool = False) -> list[Path]:
    """Execute the named notebooks (default: all, the start-here guide included) and rewrite them
    with their new outputs.

    Returns the paths whose content changed. Raises NotebookFailed, writing nothing, if one fails.
    """
    from ..datapackage.validation import refuse_invalid

    names = names or available_notebooks(reports_only=False)
    for name in names:
        notebook_path(name, reports_only=False)
    refuse_invalid()  # before a kernel starts, as `reports` does
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(names)))
    import papermill  # noqa: F401  (imported before workers fork)

    results = parallel_map(partial(_execute), names, jobs, progress, "notebooks", label=lambda n: f"notebook {n!r}")
    changed = []
    for name, data in results:
        path = notebook_path(name, reports_only=False)
        if path.read_bytes() != data:
            tmp = temporary_name(path)
            try:
                tmp.write_bytes(data)
                os.replace(tmp, path)  # atomic: a reader never sees half a notebook
            finally:
                tmp.unlink(missing_ok=True)
            changed.append(path)
    return changed
