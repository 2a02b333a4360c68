"""Run one notebook with papermill, quietly, and turn failures into clear messages."""
from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from pathlib import Path

KERNEL = "python3"


class NotebookFailed(RuntimeError):
    """A notebook did not run to the end; the message names the notebook and, where known, the cell."""


def _kernel_manager(work_dir: Path, env: dict[str, str] | None = None, record: Path | None = None):
    """A kernel manager whose kernel keeps its files in ``work_dir``: its log (instead of our
    terminal) and its connection file (instead of the system's temporary folder), so that a run
    that is killed leaves nothing behind that the next run's clean-up does not remove. ``env``
    adds variables to the kernel's environment; the kernel's process id goes to ``record``."""
    import uuid

    from jupyter_client.manager import AsyncKernelManager

    log_path = work_dir / "kernel.log"

    class WorkDirKernelManager(AsyncKernelManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.client_factory = _quick_start_client()
            if not self.connection_file:
                self.connection_file = str(work_dir / f"kernel-{uuid.uuid4().hex}.json")

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            from .kernels import fork_kernel

            if env:
                kw["env"] = {**(kw.get("env") or os.environ), **env}
            # A warm kernel when the run has a fork server (kernels.py), else an ordinary one.
            forked = fork_kernel(kernel_cmd, kw.get("env") or dict(os.environ), kw.get("cwd") or os.getcwd(), log_path)
            if forked is not None:
                provisioner = self.provisioner
                provisioner.process, provisioner.pid, provisioner.pgid = forked, forked.pid, forked.pid
                provisioner.cwd = kw.get("cwd")
                self._reconcile_connection_info(provisioner.connection_info)
            else:
                # Kernel start-up warnings belong in a log, not in the user's terminal.
                log = open(log_path, "ab")  # noqa: SIM115 - the kernel process owns it until it exits
                kw.setdefault("stdout", log)
                kw.setdefault("stderr", log)
                await super()._async_launch_kernel(kernel_cmd, **kw)
            if record is not None:
                from .staging import record_process

                record_process(record, self.provisioner.pid)

        async def _async_wait(self, pollinterval: float = 0.1) -> None:
            # jupyter_client looks every 0.1 s whether a killed kernel has gone, which costs most
            # reports 0.1 s; a forked kernel's pidfd says so the moment it has.
            from .kernels import ForkedKernel

            process = getattr(self.provisioner, "process", None)
            if isinstance(process, ForkedKernel):
                await process.exited()
            await super()._async_wait(pollinterval)

    return WorkDirKernelManager


@functools.cache
def _quick_start_client():
    from jupyter_client.asynchronous import AsyncKernelClient

    class QuickStartClient(AsyncKernelClient):
        """A kernel client that is ready as soon as the kernel answers.

        jupyter_client's wait_for_ready ends by draining IOPub until 0.2 s pass without a message:
        0.2 s of idle time for every report, a sixth of an archive's time on 2 cores. Messages
        left on IOPub answer requests other than the notebook's cells, and nbclient ignores
        those (it keeps only replies to its own requests), so a short drain is enough.
        """

        def _context_default(self):
            import zmq

            context = super()._context_default()
            # The client connects as soon as the kernel process exists, usually before the kernel
            # has bound its ports; ZMQ then tries again after RECONNECT_IVL, 0.1 s by default.
            context.setsockopt(zmq.RECONNECT_IVL, 10)
            return context

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            import time
            from queue import Empty

            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                self.kernel_info()
                try:
                    msg = await self.shell_channel.get_msg(timeout=1)
                except Empty:
                    pass
                else:
                    if msg["msg_type"] == "kernel_info_reply":
                        try:  # IOPub connected: the kernel's status for this request arrives
                            await self.iopub_channel.get_msg(timeout=0.2)
                        except Empty:
                            pass
                        else:
                            self._handle_kernel_info_reply(msg)
                            break
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
            while True:
                try:
                    await self.iopub_channel.get_msg(timeout=0.01)
                except Empty:
                    break

    return QuickStartClient


# Printed by every kernel at start-up; it says nothing about why one died.
_LOG_NOISE = ("Kernel is running over TCP without encryption",)


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except FileNotFoundError:
        return ""
    return "\n".join([line for line in text if not any(n in line for n in _LOG_NOISE)][-lines:])


def failure_message(name: str, exc: BaseException, kernel_log: Path | None = None) -> str:
    """Return one clear sentence about why notebook ``name`` failed."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return f"notebook {name!r} failed in cell {exc.cell_index} (execution count {exc.exec_count}): {exc.ename}: {exc.evalue}"
    if type(exc).__name__ == "DeadKernelError":
        log = _tail(kernel_log) if kernel_log else ""
        return f"notebook {name!r} failed: its kernel died" + (f"; kernel log ends with:\n{log}" if log else "")
    return f"notebook {name!r} failed: {type(exc).__name__}: {exc}"


def run_notebook(path: Path, parameters: dict, cwd: Path, name: str | None = None, work_dir: Path | None = None,
                 env: dict[str, str] | None = None, record: Path | None = None):
    """Execute the notebook at ``path`` with ``parameters`` (papermill, kernel python3).

    The kernel's log and connection file go to ``work_dir`` (default: a temporary folder removed
    afterwards); ``env`` adds variables to the kernel's environment; the kernel's process id is
    appended to ``record`` (staging.record_process). Returns the executed notebook
    node; raises NotebookFailed with the cell and error on failure.
    """
    import papermill

    name = name or path.stem
    with tempfile.TemporaryDirectory(prefix="hm-kernel-") if work_dir is None else contextlib.nullcontext(work_dir) as folder:
        folder = Path(folder)
        try:
            return papermill.execute_notebook(
                str(path), None, parameters=parameters, kernel_name=KERNEL, progress_bar=False,
                log_output=False, request_save_on_cell_execute=False, cwd=str(cwd),
                kernel_manager_class=_kernel_manager(folder, env, record), shutdown_kernel="immediate",
            )
        except Exception as exc:
            raise NotebookFailed(failure_message(name, exc, folder / "kernel.log")) from None


def with_stored_outputs(path: Path, parameters: dict, executed):
    """The notebook at ``path`` as papermill prepares it with ``parameters``, given the outputs of
    ``executed`` (an earlier run of the same code): what executing it again would give, without a
    kernel. Used when only the notebook's prose, tags or comments changed.

    Raises ValueError when the code cells of the two do not pair up one to one.
    """
    import papermill

    nb = papermill.execute_notebook(str(path), None, parameters=parameters, kernel_name=KERNEL, prepare_only=True,
                                    progress_bar=False, log_output=False)
    fresh = [c for c in nb.cells if c.cell_type == "code"]
    stored = [c for c in executed.cells if c.cell_type == "code"]
    if len(fresh) != len(stored):
        raise ValueError(f"{path.name}: {len(fresh)} code cells now, {len(stored)} in the stored notebook")
    for cell, old in zip(fresh, stored):
        cell.outputs = old.get("outputs", [])
        cell.execution_count = old.get("execution_count")
    if "language_info" in executed.metadata:
        nb.metadata["language_info"] = executed.metadata["language_info"]
    return nb
