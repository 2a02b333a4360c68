"""Run one notebook with papermill, quietly, and turn failures into clear messages."""
from __future__ import annotations

import tempfile
from pathlib import Path

KERNEL = "python3"


class NotebookFailed(RuntimeError):
    """A notebook did not run to the end; the message names the notebook and, where known, the cell."""


def _kernel_manager(log_path: Path):
    """A kernel manager whose kernel writes its own log to ``log_path`` instead of our terminal."""
    from jupyter_client.manager import AsyncKernelManager

    class LoggingKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            # Kernel start-up warnings belong in a log, not in the user's terminal.
            log = open(log_path, "ab")  # noqa: SIM115 - the kernel process owns it until it exits
            kw.setdefault("stdout", log)
            kw.setdefault("stderr", log)
            return await super()._async_launch_kernel(kernel_cmd, **kw)

    return LoggingKernelManager


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except FileNotFoundError:
        return ""
    return "\n".join(text[-lines:])


def failure_message(name: str, exc: BaseException, kernel_log: Path | None = None) -> str:
    """Return one clear sentence about why notebook ``name`` failed."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return f"notebook {name!r} failed in cell {exc.cell_index} (execution count {exc.exec_count}): {exc.ename}: {exc.evalue}"
    if type(exc).__name__ == "DeadKernelError":
        log = _tail(kernel_log) if kernel_log else ""
        return f"notebook {name!r} failed: its kernel died" + (f"; kernel log ends with:\n{log}" if log else "")
    return f"notebook {name!r} failed: {type(exc).__name__}: {exc}"


def run_notebook(path: Path, parameters: dict, cwd: Path, name: str | None = None):
    """Execute the notebook at ``path`` with ``parameters`` (papermill, kernel python3).

    Returns the executed notebook node; raises NotebookFailed with the cell and error on failure.
    """
    import papermill

    name = name or path.stem
    with tempfile.TemporaryDirectory(prefix="hm-kernel-") as tmp:
        log = Path(tmp) / "kernel.log"
        try:
            return papermill.execute_notebook(
                str(path), None, parameters=parameters, kernel_name=KERNEL, progress_bar=False,
                log_output=False, request_save_on_cell_execute=False, cwd=str(cwd),
                kernel_manager_class=_kernel_manager(log),
            )
        except Exception as exc:
            raise NotebookFailed(failure_message(name, exc, log)) from None
