"""Where the package finds its data and notebooks, wherever it is run from.

Order of precedence for the data folder:
1. the ``HAITI_MISSION_DATA`` environment variable (a folder holding ``datapackage.json``);
2. a repository checkout this module sits in (editable install, or ``src`` on the path);
3. the copy bundled inside an installed wheel (``haiti_mission/data``).
The current working directory is never consulted.
"""
from __future__ import annotations

import os
from functools import cache
from pathlib import Path

DATA_ENV = "HAITI_MISSION_DATA"
NOTEBOOKS_ENV = "HAITI_MISSION_NOTEBOOKS"
DESCRIPTOR = "datapackage.json"
_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def _checkout_root() -> Path | None:
    """Return the repository root when this module runs from a source checkout."""
    for parent in _PACKAGE_DIR.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "data" / DESCRIPTOR).is_file():
            return parent
    return None


def project_root() -> Path | None:
    """Return the repository root, or None for an installed package."""
    return _checkout_root()


def data_dir() -> Path:
    """Return the folder holding ``datapackage.json`` and the CSV resources."""
    override = os.environ.get(DATA_ENV)
    if override:
        return Path(override).expanduser().resolve()
    root = _checkout_root()
    if root is not None:
        return root / "data"
    return _PACKAGE_DIR / "data"


def notebooks_dir() -> Path:
    """Return the folder holding the report notebooks (``HAITI_MISSION_NOTEBOOKS`` overrides it)."""
    override = os.environ.get(NOTEBOOKS_ENV)
    if override:
        return Path(override).expanduser().resolve()
    root = _checkout_root()
    if root is not None:
        return root / "notebooks"
    return _PACKAGE_DIR / "notebooks"


def display_path(path: Path) -> str:
    """Return ``path`` as a user would type it: relative to the working directory when inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
