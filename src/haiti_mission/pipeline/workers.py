"""Run a function over items in worker processes this module owns, stopping at the first failure.

Each worker is a forked ``multiprocessing.Process`` with a pipe of its own: the parent hands it
one item at a time and so always knows which item each worker is on. A worker that raises sends
the exception back; a worker that dies (killed, segfault, out of memory) becomes a one-line
ReportError naming the item it was running. Either way every other worker is stopped at once.
"""
from __future__ import annotations

import os
import signal
import sys
import time
import traceback
from multiprocessing import get_context
from multiprocessing.connection import wait

from ..errors import ReportError


def _orphan_guard(parent: int) -> None:
    """End this process when ``parent`` ends, however it ends (Linux: PR_SET_PDEATHSIG)."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above ran
        os._exit(1)


def _worker(conn, func, items, parent: int, init, index: int) -> None:
    # Ctrl-C goes to the parent, which stops the workers and cleans up; the parent's SIGTERM ends
    # a worker at once (the inherited handler would only interrupt the current item).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    # A worker must not outlive its parent: an orphan would keep its kernel alive and go on
    # writing into a staging folder that the next run removes.
    _orphan_guard(parent)
    if init is not None:
        init(index)
    while True:
        try:
            i = conn.recv()
        except EOFError:
            return
        if i is None:
            return
        try:
            conn.send(("ok", i, func(items[i])))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
            try:
                conn.send(("error", i, exc))
            except Exception:  # an exception that cannot be pickled: send its text
                conn.send(("error", i, ReportError(f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}")))


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"was killed by signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"was killed by signal {-exitcode}"
    return f"exited with status {exitcode}"


def stop_processes(processes: list, grace: float = 5.0) -> None:
    """Terminate processes (multiprocessing or Popen); kill those still running after ``grace``."""
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    deadline = time.monotonic() + grace
    for proc in processes:
        proc.join(max(0.0, deadline - time.monotonic()))
    for proc in processes:
        if proc.is_alive():
            proc.kill()
            proc.join(1.0)


def progress_bar(total: int, enabled: bool, desc: str, unit: str = "notebook"):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, file=sys.stderr, leave=False)


def parallel_map(func, items: list, jobs: int, progress: bool = False, desc: str = "notebooks", *,
                 label=None, init=None, on_start=None, bar=None) -> list:
    """Return ``[func(item) for item in items]``, computed by up to ``jobs`` worker processes.

    Workers are forked, so they share what the parent already imported. ``label(item)`` names an
    item in the message about a worker that died (default: ``str``); ``init(k)`` runs first in
    worker ``k`` (and in this process when it runs the items itself, ``jobs`` = 1); ``on_start(pid)``
    is told each worker's process id as it starts. The first failure stops every worker and is
    raised here. ``bar`` is a progress bar to update instead of a new one.
    """
    label = label or str
    own_bar = bar is None
    bar = bar if bar is not None else progress_bar(len(items), progress, desc)
    try:
        if jobs <= 1 or len(items) <= 1:
            if init is not None:
                init(0)
            results = []
            for item in items:
                results.append(func(item))
                bar.update(1)
            return results
        return _in_workers(func, items, min(jobs, len(items)), label, init, on_start, bar)
    finally:
        if own_bar:
            bar.close()


def _in_workers(func, items, jobs, label, init, on_start, bar) -> list:
    ctx = get_context("fork")
    workers, results, todo = [], {}, list(range(len(items)))
    try:
        for k in range(jobs):
            mine, theirs = ctx.Pipe()
            proc = ctx.Process(target=_worker, args=(theirs, func, items, os.getpid(), init, k), daemon=True)
            proc.start()
            theirs.close()
            if on_start is not None:
                on_start(proc.pid)
            workers.append({"proc": proc, "conn": mine, "item": None})
        for w in workers:
            if todo:
                w["item"] = todo.pop(0)
                w["conn"].send(w["item"])
        while any(w["item"] is not None for w in workers):
            busy = [w for w in workers if w["item"] is not None]
            ready = wait([w["conn"] for w in busy] + [w["proc"].sentinel for w in busy])
            for w in busy:
                if w["conn"] in ready:
                    try:
                        status, i, value = w["conn"].recv()
                    except EOFError:  # the worker died while sending
                        status, i, value = "died", w["item"], None
                elif w["proc"].sentinel in ready and not w["conn"].poll():
                    status, i, value = "died", w["item"], None
                else:
                    continue
                if status == "died":
                    w["proc"].join(1.0)
                    raise ReportError(f"{label(items[i])} failed: its worker process {_death(w['proc'].exitcode)}")
                if status == "error":
                    raise value
                results[i] = value
                bar.update(1)
                w["item"] = todo.pop(0) if todo else None
                if w["item"] is not None:
                    w["conn"].send(w["item"])
        for w in workers:
            w["conn"].send(None)
        for w in workers:
            w["proc"].join(5.0)
    finally:
        stop_processes([w["proc"] for w in workers])
        for w in workers:
            w["conn"].close()
    return [results[i] for i in range(len(items))]
