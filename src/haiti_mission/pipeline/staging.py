"""Replace an output folder all at once, or not at all.

A run writes into a staging folder beside the output folder (``.<out>.staging-<pid>``), holding
a lock on it for as long as the run lives, and swaps it into place with two renames only when
everything succeeded. A run that is killed leaves its staging folder behind; the next run's
``recover`` removes it, and restores a folder caught between the two renames of a swap.
"""
from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

from ..errors import ReportError
from ..paths import data_dir, notebooks_dir, project_root
from .locks import RunLocks, in_use, lock_folder, lock_output, lock_path, remove_stale_lock


def _staging_name(out: Path, kind: str, pid: int) -> Path:
    return out.parent / f".{out.name}.{kind}-{pid}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_tree(path: Path) -> None:
    """Remove a folder tree we created, even where a read-only subfolder is in the way."""
    def retry(func, name, _exc):
        try:
            os.chmod(os.path.dirname(name), 0o700)
            func(name)
        except OSError:
            pass

    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path, **({"onexc": retry} if sys.version_info >= (3, 12) else {"onerror": retry}))


# Inside a staging folder: the run's work folder (kernel logs and connection files, never
# published), and in it the record of every process the run started.
WORK = ".hm-work"
PROCESSES = "processes"


def process_record(staging: Path) -> Path:
    """The file listing the processes a run started (workers, kernels), one per line."""
    return staging / WORK / PROCESSES


def record_process(record: Path, pid: int) -> None:
    """Append ``pid`` and its start time to ``record``, so that a later clean-up ends exactly this
    process and never another that happens to get the same id once it is gone."""
    import psutil

    try:
        created = psutil.Process(pid).create_time()
    except psutil.Error:
        return
    fd = os.open(record, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{pid} {created!r}\n".encode("ascii"))  # one short write: lines never interleave
    finally:
        os.close(fd)


def recorded_processes(record: Path) -> list:
    """The processes listed in ``record`` that still run (same id and same start time)."""
    import psutil

    try:
        lines = record.read_text(encoding="ascii", errors="replace").splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        try:
            pid, created = int(line.split()[0]), float(line.split()[1])
        except (IndexError, ValueError):
            continue
        try:
            proc = psutil.Process(pid)
            if pid != os.getpid() and abs(proc.create_time() - created) < 0.01:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def end_recorded_processes(staging: Path, grace: float = 3.0) -> None:
    """End the processes a run recorded in its staging folder: the workers and kernels of a run
    that was stopped. Nothing else is touched, even a process that has a file of the folder open."""
    import psutil

    found = recorded_processes(process_record(staging))
    for proc in found:
        try:
            proc.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(found, timeout=grace)
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=1.0)


def discard(staging: Path) -> None:
    """Remove a staging folder after the processes its run started are gone."""
    end_recorded_processes(staging)
    remove_tree(staging)


def recover(out: Path) -> None:
    """Clean up after a run that was killed: restore a half-swapped folder, remove stale staging.

    A staging folder is stale when no process holds its lock any more (a killed run's lock ends
    with it, even when its process id has been reused); a half-swapped folder, when its run's
    process is gone.
    """
    remove_stale_lock(out)
    for kind in ("previous", "staging"):
        # By exact prefix, not glob: a folder name with glob characters ("re[p]orts") must not
        # match, and adopt, another folder's staging or backup.
        prefix = f".{out.name}.{kind}-"
        siblings = sorted(p for p in out.parent.iterdir() if p.name.startswith(prefix)) if out.parent.is_dir() else []
        for stale in siblings:
            try:
                pid = int(stale.name.rsplit("-", 1)[1])
            except ValueError:
                continue
            if pid == os.getpid():
                continue
            if kind == "staging" and in_use(stale):
                continue
            if kind == "previous" and _pid_alive(pid):
                continue
            if kind == "previous" and not out.exists():
                stale.rename(out)  # killed between the two renames of a swap
            else:
                discard(stale)


def _writable(folder: Path) -> bool:
    if os.access in os.supports_effective_ids:
        return os.access(folder, os.W_OK | os.X_OK, effective_ids=True)
    return os.access(folder, os.W_OK | os.X_OK)


def check_output_folder(out: Path) -> None:
    """Refuse an output folder that is not one: a file, the project's own folders, a read-only tree."""
    if out.exists() and not out.is_dir():
        raise ReportError(f"output folder {out} is a file, not a folder")
    protected = {"the data": data_dir(), "the notebooks": notebooks_dir(), "the project": project_root(), "your home folder": Path.home()}
    for what, folder in protected.items():
        if folder is not None and folder.resolve().is_relative_to(out):
            raise ReportError(f"refusing to write reports to {out}: it is or holds {what} ({folder}); the run replaces the whole folder, so give it a folder of its own")
    if out.parent == out:
        raise ReportError(f"refusing to write reports to {out}: choose a folder of its own")
    if out == Path.cwd().resolve():
        raise ReportError(f"refusing to write reports to {out}: it is the current folder, which the run would replace as a whole; "
                          "give it a folder of its own (e.g. --out reports)")
    if out.exists():
        for folder, _, _ in os.walk(out):
            if not _writable(Path(folder)):
                which = "" if Path(folder) == out else f" (its subfolder {Path(folder).relative_to(out)} is read-only)"
                raise ReportError(f"output folder {out} is read-only{which}: permission denied")


def _link_or_copy(src: str, dst: str) -> None:
    # A hard link costs nothing, and is safe because a run never writes into a file it did not
    # create: write_file always writes a new file and renames it over the old name.
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)


def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` under a temporary name, then rename it into place: the old file
    (which may be a hard link to the published one) is never written to."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def prepare_staging(out: Path) -> tuple[Path, RunLocks]:
    """Take the output folder's lock, then create this run's staging folder beside ``out``,
    locked, holding a copy of ``out`` (hard links).

    Returns the folder and the locks (``RunLocks.close`` releases them, after the swap).
    """
    out_lock = (lock_output(out), lock_path(out))
    staging = _staging_name(out, "staging", os.getpid())
    remove_tree(staging)
    try:
        staging.mkdir(parents=True)
    except OSError as exc:
        RunLocks(out_lock).close()
        raise ReportError(f"cannot write reports to {out}: cannot create a folder in {out.parent} ({exc.strerror or exc})") from None
    lock = RunLocks(out_lock, lock_folder(staging))
    try:
        if out.exists():
            shutil.copytree(out, staging, symlinks=True, dirs_exist_ok=True, copy_function=_link_or_copy)
        probe = staging / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        remove_tree(staging)
        lock.close()
        raise ReportError(f"cannot write reports to {out}: {exc.strerror or exc}") from None
    return staging, lock


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def swap_into_place(staging: Path, out: Path) -> None:
    """Replace ``out`` by ``staging`` with two renames, which Ctrl-C, SIGTERM and SIGHUP cannot
    split (a signal between them would leave no output folder while the message said it was
    unchanged): during the swap their handlers only note them. A stop signal that came in is said
    afterwards: the new reports are in place by then, so the run ends as it succeeded."""
    previous = _staging_name(out, "previous", os.getpid())
    caught: list[int] = []
    try:
        held = {sig: signal.signal(sig, lambda number, _frame: caught.append(number)) for sig in _STOP_SIGNALS}
    except ValueError:  # not the main thread, where Python runs signal handlers: nothing to hold
        held = {}
    try:
        if out.exists():
            out.rename(previous)
        try:
            staging.rename(out)
        except BaseException:
            if previous.exists() and not out.exists():
                previous.rename(out)
            raise
    finally:
        for sig, handler in held.items():
            signal.signal(sig, handler)
    for number in caught:
        print(f"{signal.Signals(number).name} came during the final swap of {out}: the new reports are in place", file=sys.stderr)
    remove_tree(previous)
