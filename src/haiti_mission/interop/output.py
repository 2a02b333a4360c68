"""Where exports may be written, and writing them atomically.

Each file is written under a unique temporary name beside its target and renamed into place, so a
reader sees the old file or the new one, never half of one; a failed or interrupted export leaves
the previous files as they were. The data and notebooks folders, the project root and the home
folder are refused as targets: an export never lands among the curated files by accident.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..paths import data_dir, notebooks_dir, project_root


class OutputError(OSError):
    """An export target that is refused, or that cannot be written."""


def _protected(package_folder: Path | None) -> dict[str, Path]:
    found = {"the data folder": data_dir(), "the notebooks folder": notebooks_dir()}
    if package_folder is not None:
        found["the data folder"] = package_folder
        found["the package's data folder"] = data_dir()
    return {what: p.resolve() for what, p in found.items()}


def check_target(target: Path, *, folder: bool, package_folder: Path | None = None) -> Path:
    """Return ``target`` made absolute, or raise OutputError when it is refused.

    Refused: a target that is or lies inside the data or notebooks folder (symbolic links
    followed), the project root or the home folder itself, a folder where a file is asked for
    and the reverse.
    """
    target = Path(target).expanduser().absolute()
    resolved = target.resolve()
    for what, place in _protected(package_folder).items():
        if resolved == place or resolved.is_relative_to(place):
            raise OutputError(f"refusing to write {target}: it is or lies inside {what} ({place})")
    for what, place in {"the project root": project_root(), "your home folder": Path.home()}.items():
        if place is not None and resolved == place.resolve():
            raise OutputError(f"refusing to write {target}: it is {what}; give the export a {'folder' if folder else 'file'} of its own")
    if folder and target.exists() and not target.is_dir():
        raise OutputError(f"cannot write into {target}: it is a file, not a folder")
    if not folder and target.is_dir():
        raise OutputError(f"cannot write {target}: it is a folder; give a file name")
    return target


def _temporary(target: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    return Path(name)


def write_file(target: Path, write: Callable[[Path], None]) -> Path:
    """Write one file atomically: ``write(path)`` fills a temporary file beside ``target``, which
    then replaces ``target``. On any failure the temporary file goes and ``target`` is untouched."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary(target)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def write_files(folder: Path, files: dict[str, bytes]) -> list[Path]:
    """Write several files into ``folder`` (created if missing): all are written under temporary
    names first, then each is renamed into place, so a failure while writing changes nothing.
    Other files in the folder are left alone."""
    folder.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for name, data in files.items():
            target = folder / name
            if target.resolve().parent != folder.resolve():
                raise OutputError(f"refusing to write {target}: it lies outside {folder}")
            tmp = _temporary(target)
            staged.append((tmp, target))
            tmp.write_bytes(data)
            os.chmod(tmp, 0o644)
        for tmp, target in staged:
            os.replace(tmp, target)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
    return [target for _, target in staged]
