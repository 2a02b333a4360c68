"""The locks of a report run: its output folder's and its staging folder's.

Both are ``flock`` locks, which end with the process that holds them however it ends (a killed
run's lock is free again at once, even when its process id has been reused).
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from ..errors import ReportError


def lock_folder(folder: Path) -> int:
    """Lock ``folder`` for this run; the lock ends with the process, however it ends."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def in_use(folder: Path) -> bool:
    """Whether a running process (a run, or one of its workers) holds ``folder``'s lock."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


class RunLocks:
    """The locks a run holds: the output folder's (from before it is copied until after the swap,
    so two runs into one folder can never lose each other's work) and its staging folder's."""

    def __init__(self, out_lock: tuple[int, Path] | None, *fds: int):
        self.out_lock, self.fds = out_lock, list(fds)

    def close(self) -> None:
        if self.out_lock is not None:
            fd, path = self.out_lock
            path.unlink(missing_ok=True)  # removed while still held: a run waiting on it sees it gone
            os.close(fd)
            self.out_lock = None
        for fd in self.fds:
            os.close(fd)
        self.fds = []


def lock_path(out: Path) -> Path:
    """The output folder's lock file: ``.<out>.lock`` beside it."""
    return out.parent / f".{out.name}.lock"


def lock_output(out: Path) -> int:
    """Take the output folder's lock (``.<out>.lock`` beside it, removed when the run ends), or
    refuse naming the run that holds it. The lock ends with the process, however it ends."""
    path = lock_path(out)
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise ReportError(f"cannot write reports to {out}: cannot create a file in {out.parent} ({exc.strerror or exc})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "another process"
            os.close(fd)
            raise ReportError(f"another run (process {holder}) is writing to {out}; wait for it to end, or give this run "
                              "another --out") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path, follow_symlinks=False).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the run before removed the file as it ended: take the new one
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd


def remove_stale_lock(out: Path) -> None:
    """Remove the output folder's lock file when no run holds it (a killed run left it)."""
    path = lock_path(out)
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        path.unlink(missing_ok=True)  # held while removed, as a finishing run does
    except BlockingIOError:
        pass  # a live run holds it
    finally:
        os.close(fd)
