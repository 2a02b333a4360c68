"""Run a function over items in worker processes, stopping everything at the first failure."""
from __future__ import annotations

import os
import signal
import sys
import time
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from multiprocessing import get_context


def _worker_init(parent: int) -> None:
    # Workers leave Ctrl-C to the parent, which stops them and cleans up; the parent's SIGTERM
    # ends a worker at once (the parent's own handler would only interrupt the current item).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # A worker must not outlive its parent: if the parent is killed (SIGKILL, no clean-up), an
    # orphaned worker would keep its kernel alive and go on writing into a staging folder the
    # next run removes. Linux ends it when the parent ends, however that happens.
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above ran
        os._exit(1)


def _stop(processes: list, grace: float = 5.0) -> None:
    """Terminate worker processes; kill those still running after ``grace`` seconds."""
    for proc in processes:
        proc.terminate()
    deadline = time.monotonic() + grace
    for proc in processes:
        proc.join(max(0.0, deadline - time.monotonic()))
    for proc in processes:
        if proc.is_alive():
            proc.kill()
            proc.join(1.0)


def progress_bar(total: int, enabled: bool, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="notebook", disable=not enabled, file=sys.stderr, leave=False)


def parallel_map(func, items: list, jobs: int, progress: bool = False, desc: str = "notebooks") -> list:
    """Return ``[func(item) for item in items]``, computed by up to ``jobs`` processes.

    Workers are forked, so they share what the parent already imported (papermill, nbconvert)
    instead of importing it again. The first exception stops the other workers and is re-raised.
    """
    bar = progress_bar(len(items), progress, desc)
    if jobs <= 1 or len(items) <= 1:
        results = []
        for item in items:
            results.append(func(item))
            bar.update(1)
        bar.close()
        return results
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork"), initializer=_worker_init, initargs=(os.getpid(),))
    results: dict[int, object] = {}
    try:
        futures = {pool.submit(func, item): i for i, item in enumerate(items)}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                results[futures[future]] = future.result()  # re-raises the worker's exception
                bar.update(1)
    except BaseException:
        _stop(list((getattr(pool, "_processes", None) or {}).values()))
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
        raise
    pool.shutdown(wait=True)
    bar.close()
    return [results[i] for i in range(len(items))]
