"""Run a function over items in worker processes, stopping everything at the first failure."""
from __future__ import annotations

import signal
import sys
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from multiprocessing import get_context


def _ignore_sigint() -> None:
    # Workers leave Ctrl-C to the parent, which stops them and cleans up.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


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
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork"), initializer=_ignore_sigint)
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
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
        raise
    pool.shutdown(wait=True)
    bar.close()
    return [results[i] for i in range(len(items))]
