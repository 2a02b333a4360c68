"""Warm kernels: report kernels forked from a process that has already imported what they import.

Most of a short report's time is its kernel's start: a fresh interpreter importing ipykernel,
pandas and matplotlib, then parsing the data. A run starts one fork server (zygote.py) that does
that once; each kernel is then forked from it, a copy of the same untouched state, as isolated from
the previous notebook as a fresh kernel is. The worker's kernel manager asks for the fork over a
socket of its own and watches the kernel through a pidfd; everything else (connection file, ports,
messages, shutdown) is jupyter_client's, unchanged.

Where this cannot work (not Linux, the ``python3`` kernel runs another interpreter or another
command, ``HAITI_MISSION_WARM_KERNELS=0``) the run uses ordinary kernels and says so once.
Plain papermill, nbval and JupyterLab never see any of this: they start the ``python3`` kernel.
"""
from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path

from ..errors import ReportError

ENV = "HAITI_MISSION_WARM_KERNELS"
_channel: socket.socket | None = None  # this worker's line to the fork server, or None


def unavailable() -> str | None:
    """Why warm kernels cannot be used here, or None."""
    if os.environ.get(ENV, "1").strip().lower() in ("0", "no", "off", "false"):
        return f"turned off by {ENV}={os.environ[ENV]}"
    if not sys.platform.startswith("linux") or not hasattr(os, "pidfd_open") or not hasattr(socket, "send_fds"):
        return "they need Linux (fork, pidfds)"
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        argv = KernelSpecManager().get_kernel_spec("python3").argv
    except Exception as exc:  # noqa: BLE001 - any failure means: do what papermill would do
        return f"the python3 kernel could not be looked up ({exc})"
    if argv[1:3] != ["-m", "ipykernel_launcher"] or not _same_python(argv[0]):
        return f"the python3 kernel runs {' '.join(argv[:3])}, not this Python's ipykernel"
    return None


def _same_python(command: str) -> bool:
    # jupyter_client runs sys.executable for a kernel command of "python", "python3", "python3.11".
    names = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}
    return command in names or Path(command).resolve() == Path(sys.executable).resolve()


class WarmKernels:
    """The run's fork server, started as early as possible so that its imports overlap the run's
    own; ``kernels(staging, jobs)`` then gives the build what its workers need. ``stop()`` ends it.
    Where warm kernels cannot work, nothing is started and the build is told so once."""

    def __init__(self, jobs: int, say=None):
        self.say = say or (lambda text: print(text, file=sys.stderr))
        self.why, self.proc, self.channels = unavailable(), None, []
        if self.why:
            return
        import tempfile

        pairs = [socket.socketpair() for _ in range(max(1, jobs))]
        theirs = [b.fileno() for _, b in pairs]
        # The server checks the run's data as it loads it, and says on this pipe whether it is valid.
        self._verdict, verdict = os.pipe()
        self.valid: bool | None = None
        env = dict(os.environ)
        # What ipykernel sets before any notebook code runs, set before the server imports
        # matplotlib, so that matplotlib's rcParams in a forked kernel are those of a fresh one.
        env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        fd, self.log = tempfile.mkstemp(prefix="hm-fork-server-", suffix=".log")
        with os.fdopen(fd, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "haiti_mission.pipeline.zygote", str(os.getpid()), str(verdict),
                                          *map(str, theirs)],
                                         pass_fds=[verdict, *theirs], env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         cwd=os.getcwd(), start_new_session=True)
        for _, b in pairs:
            b.close()
        os.close(verdict)
        self.channels = [a for a, _ in pairs]

    def data_valid(self) -> bool | None:
        """Wait for the server's verdict on the run's data: True (valid), False (not), or None
        (no server, or it ended without saying). Only True spares the run its own check."""
        if self.proc is not None and self.valid is None and self._verdict is not None:
            with open(self._verdict, "rb", closefd=True) as pipe:
                self._verdict = None
                self.valid = {b"valid\n": True, b"invalid\n": False}.get(pipe.readline())
        return self.valid

    @contextlib.contextmanager
    def __call__(self, staging: Path, jobs: int):
        from .staging import WORK, process_record, record_process

        if self.proc is None:
            self.say(f"warm kernels are off: {self.why}; using ordinary kernels")
            yield {}
            return
        record_process(process_record(staging), self.proc.pid)
        yield {"init": lambda k: _use(self.channels, k, staging / WORK / "warm-kernels-off"), "data_valid": self.data_valid}

    def stop(self) -> None:
        global _channel
        _channel = None
        for a in self.channels:
            a.close()
        if getattr(self, "_verdict", None) is not None:
            os.close(self._verdict)
            self._verdict = None
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            Path(self.log).unlink(missing_ok=True)
            self.proc = None


@contextlib.contextmanager
def warm_kernels(jobs: int):
    """Start the fork server for a run of up to ``jobs`` workers; stop it when the run ends."""
    server = WarmKernels(jobs)
    try:
        yield server
    finally:
        server.stop()


def _use(channels: list[socket.socket], k: int, note: Path) -> None:
    """In worker ``k``: keep its own channel to the fork server, close the others' copies."""
    global _channel, _note
    _channel, _note = channels[k], note
    if os.getpid() != _parent_pid:
        for i, other in enumerate(channels):
            if i != k:
                other.close()


_parent_pid = os.getpid()
_note: Path | None = None  # created by the first worker that falls back, so the run says it once


def _say_once(text: str) -> None:
    try:
        os.close(os.open(_note, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except (OSError, TypeError):
        return
    print(text, file=sys.stderr)


class ForkedKernel:
    """A kernel process forked by the fork server, as jupyter_client's provisioner sees a Popen."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, pidfd: int):
        self.pid, self._pidfd, self.returncode = pid, pidfd, None

    def poll(self):
        if self.returncode is None and select.select([self._pidfd], [], [], 0)[0]:
            self.returncode = -1  # not our child: its exit status is the server's to collect
        return self.returncode

    def wait(self, timeout=None):
        if self.returncode is None and not select.select([self._pidfd], [], [], timeout)[0]:
            raise subprocess.TimeoutExpired(["kernel"], timeout)
        return self.poll()

    async def exited(self) -> None:
        """Wait, without blocking the event loop, until the kernel has ended."""
        import asyncio

        if self.poll() is not None:
            return
        loop = asyncio.get_running_loop()
        gone = loop.create_future()
        loop.add_reader(self._pidfd, lambda: gone.done() or gone.set_result(None))
        try:
            await gone
        finally:
            loop.remove_reader(self._pidfd)

    def send_signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(self._pidfd, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)
        # jupyter_client polls a killed kernel every 0.1 s; it is gone within a millisecond or two.
        select.select([self._pidfd], [], [], 0.05)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def __del__(self):
        with contextlib.suppress(OSError):
            os.close(self._pidfd)


def fork_kernel(kernel_cmd: list[str], env: dict, cwd: str, log: Path) -> ForkedKernel | None:
    """Have the fork server start the kernel ``kernel_cmd`` would start; None when this worker
    has no server (ordinary kernels) or the server is gone."""
    global _channel
    if _channel is None or kernel_cmd[1:3] != ["-m", "ipykernel_launcher"] or not _same_python(kernel_cmd[0]):
        return None
    # What jupyter_client's launcher adds for a kernel it starts itself.
    env = {**env, "JPY_PARENT_PID": str(os.getpid())}
    request = {"argv": kernel_cmd, "env": env, "cwd": str(cwd), "log": str(log)}
    try:
        _channel.sendall(json.dumps(request).encode() + b"\n")
        message, fds, _, _ = socket.recv_fds(_channel, 4096, 1)
    except OSError:
        message, fds = b"", []
    if message and not fds:
        reply = json.loads(message)
        if "refused" in reply:
            raise ReportError(f"the fork server started no kernel: {reply['refused']}")
    if not message or not fds:
        _channel = None
        _say_once("warm kernels are off: the fork server is gone; using ordinary kernels")
        return None
    return ForkedKernel(json.loads(message)["pid"], fds[0])
