"""Files read and written with care: bounded reads of regular files only, and atomic writes.

``read_regular`` opens a path without blocking (a named pipe would block its reader until someone
writes), refuses anything but a regular file and anything larger than its limit, and reads at most
that many bytes. ``write_atomic`` writes a temporary file of a unique name beside the target and
renames it into place, so that a reader, a kill or a full disk sees the old file or the new one,
never half of one; it never writes through a symbolic link, never over a file it is told to
protect, and turns an OS error (read-only, permission, disk full) into one line naming the path.

The size limits (the README states them): a descriptor 8 MiB, a data file 64 MiB, a parameters
file 1 MiB. The real descriptor is about 130 KB, the largest data file at 100 times the real data
about 15 MB.
"""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .paths import display_path

MiB = 2**20
DESCRIPTOR_LIMIT = 8 * MiB
DATA_FILE_LIMIT = 64 * MiB
PARAMETERS_FILE_LIMIT = 1 * MiB


class FileRefused(ValueError):
    """A file that is not read; the message says why, without naming the path (callers do)."""


class WriteError(OSError):
    """A file that was not written; the message is one line naming the path and saying why."""


def size_text(size: int, *, exact: bool = False) -> str:
    """A size for a message: '64 MiB' (``exact``: a limit), '65.0 MiB', '12 KiB'."""
    if exact and size % MiB == 0:
        return f"{size // MiB} MiB"
    return f"{size / MiB:.1f} MiB" if size >= MiB / 10 else f"{max(1, round(size / 1024))} KiB"


_KINDS = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def _not_regular(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    kind = next((name for test, name in _KINDS if test(mode)), "not a plain file")
    return f"is not a regular file ({kind})"


def read_regular(path: Path | str, limit: int, what: str) -> bytes:
    """Return the bytes of the regular file ``path``, at most ``limit`` of them.

    Raises FileRefused when it is missing, not a regular file (a folder, a named pipe, a device),
    larger than ``limit`` (``what`` names the kind of file in the message) or unreadable.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise FileRefused("file not found") from None
    except PermissionError:
        raise FileRefused("cannot be read: permission denied") from None
    except OSError as exc:
        raise FileRefused(f"cannot be read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        why = _not_regular(info.st_mode)
        if why:
            raise FileRefused(why)
        too_large = f"larger than the limit of {size_text(limit, exact=True)} for a {what}"
        if info.st_size > limit:
            raise FileRefused(f"is {size_text(info.st_size)}, {too_large}")
        chunks, total = [], 0
        while chunk := os.read(fd, min(limit + 1 - total, MiB)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise FileRefused(f"grew while it was read, beyond the limit: {too_large}")
        return b"".join(chunks)
    except OSError as exc:
        raise FileRefused(f"cannot be read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def file_problem(path: Path | str) -> str | None:
    """Why ``path`` (symbolic links followed) is not a regular file, or None when it is one."""
    try:
        return _not_regular(os.stat(path).st_mode)
    except FileNotFoundError:
        return "file not found"
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"


def _new_file_mode() -> int:
    mask = os.umask(0)  # reading the umask means setting it; it is put back at once
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: Path | str, data: bytes, *, protected: dict[str, Path] | None = None) -> None:
    """Replace the file ``path`` with ``data``, all at once or not at all.

    Refuses (WriteError, nothing written) a target that is a symbolic link, a folder, or one of the
    ``protected`` paths ({what it is: path}, e.g. the data files). The new file keeps the old one's
    permissions (a new file gets the usual ones for the umask).
    """
    path = Path(path)
    where = display_path(path)
    if path.is_symlink():
        raise WriteError(f"{where}: is a symbolic link (to {os.readlink(path)}); refusing to write through it")
    if path.is_dir():
        raise WriteError(f"{where}: is a folder, not a file; nothing was written")
    for what, other in (protected or {}).items():
        if path.resolve() == Path(other).resolve():
            raise WriteError(f"{where}: is {what}; refusing to overwrite it")
    try:
        mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else _new_file_mode()
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise WriteError(f"cannot write {where}: {exc.strerror or exc}; nothing was written") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)  # atomic: a reader sees the old file or the new one
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise WriteError(f"cannot write {where}: {exc.strerror or exc}; nothing was written") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
