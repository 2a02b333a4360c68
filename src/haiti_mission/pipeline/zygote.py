"""The kernel fork server of a report run: run as
``python -m haiti_mission.pipeline.zygote PARENT_PID VERDICT_FD CHANNEL_FD...``.

A fresh interpreter imports once what every report kernel imports (ipykernel, pandas, matplotlib,
haiti_mission's notebook side) and checks and loads the run's data (it tells the run on the
verdict pipe whether the data is valid, which spares the run the same check; on invalid data it
starts no kernel). Then it never runs any notebook code itself: it waits on one socket per worker
for a request to start a kernel, forks, and the child becomes exactly the kernel
``python -m ipykernel_launcher -f <connection file>`` would have been, with the environment,
working folder, arguments, standard streams and signal dispositions of the request and no file of
the server left open. Each kernel is a fresh fork of the same untouched
state, so nothing can carry from one notebook to the next. The reply carries the child's process
id and a pidfd (through the socket), with which the worker watches and signals it.

The server ends when its parent (the run) ends, and its kernels end with it.
"""
from __future__ import annotations

import ctypes
import gc
import json
import os
import select
import signal
import socket
import sys

PR_SET_PDEATHSIG = 1
# The analysis modules the report notebooks import (a test checks the list against them).
ANALYSIS_MODULES = ("displacement", "food", "funding", "personnel", "plans", "security", "situation", "timeline")


def _die_with_parent(parent: int) -> None:
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _preload() -> bool:
    """Import what report kernels import, and load the run's data (kernels then find it cached);
    return whether the data is valid."""
    import ipykernel.kernelapp  # noqa: F401
    # What a kernel imports as it starts (its debugger, IPython's history and inspector, ...).
    for name in ("ipykernel.ipkernel", "ipykernel.debugger", "IPython.core.debugger", "IPython.core.oinspect",
                 "IPython.core.completerlib", "IPython.extensions.storemagic", "sqlite3", "tornado.platform.asyncio",
                 "tornado.queues", "psutil", "pdb"):
        try:
            __import__(name)
        except ImportError:
            pass
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.backends.backend_svg  # noqa: F401
    import matplotlib.figure  # noqa: F401

    for name in ANALYSIS_MODULES:
        __import__(f"haiti_mission.analysis.{name}")
    import haiti_mission.queries.disagreements  # noqa: F401
    import haiti_mission.notebook

    # Through the package, as a notebook reaches them: importing a submodule directly would bind
    # its name in the package, where a notebook expects the lazily bound function.
    for name in ("start", "figures", "outcome_figures", "long_date"):
        getattr(haiti_mission.notebook, name)
    import pyarrow

    from haiti_mission.datapackage.frames import preload
    from haiti_mission.errors import DataError

    # Arrow's default allocator keeps what a load freed, and every kernel forked later would carry
    # it; the system's returns it (large data: 50 MB less in each process).
    pyarrow.set_memory_pool(pyarrow.system_memory_pool())
    try:
        valid = preload()  # on invalid data nothing is kept, and serve() starts no kernel
    except DataError:  # the descriptor itself
        valid = False
    gc.collect()
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # glibc's
    if trim is not None:
        trim(0)  # hand back what parsing freed, before any kernel is forked
    return valid


def _become_kernel(request: dict, base_path: list[str], set_by_imports: dict) -> None:
    """In the forked child: set up the process as a fresh kernel would be, then run ipykernel."""
    os.setsid()  # as jupyter_client starts kernels: a session of their own
    _die_with_parent(os.getppid())
    devnull = os.open(os.devnull, os.O_RDONLY)
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(devnull, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))  # nothing of the server stays open
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(request["env"])
    os.environ.update(set_by_imports)
    os.chdir(request["cwd"])
    # As ipykernel_launcher leaves them: its own path as argv[0], and the launch folder off sys.path
    # (IPython puts '' back in front).
    import ipykernel_launcher

    sys.argv = [ipykernel_launcher.__file__, *request["argv"][3:]]
    sys.path[:] = base_path
    import numpy

    numpy.random.seed()  # a fresh kernel's global generator is seeded anew; Python's random is reseeded at fork
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


def _read_request(sock: socket.socket) -> dict | None:
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    return json.loads(data)


def serve(channels: list[socket.socket], base_path: list[str], set_by_imports: dict, valid: bool = True) -> None:
    """Fork a kernel for each request; on invalid data, start none and say why."""
    open_channels = list(channels)
    while open_channels:
        try:
            ready, _, _ = select.select(open_channels, [], [], 1.0)
        except InterruptedError:
            continue
        while True:  # reap the kernels that ended
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        for sock in ready:
            request = _read_request(sock)
            if request is None:
                open_channels.remove(sock)
                sock.close()
                continue
            if not valid:
                sock.sendall(json.dumps({"refused": "the run's data is not valid"}).encode() + b"\n")
                continue
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                for channel in channels:
                    channel.detach()  # closed below by number; the objects must not close a reused fd later
                code = 1
                try:
                    _become_kernel(request, base_path, set_by_imports)
                    code = 0
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else 0
                except BaseException:  # noqa: BLE001 - reported in the kernel log
                    import traceback

                    traceback.print_exc()
                finally:
                    import atexit

                    atexit._run_exitfuncs()
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(code)
            pidfd = os.pidfd_open(pid)
            socket.send_fds(sock, [json.dumps({"pid": pid}).encode() + b"\n"], [pidfd])
            os.close(pidfd)


def main(argv: list[str]) -> int:
    """``argv``: the run's process id, the pipe to tell it the data's verdict, one socket per worker."""
    parent = int(argv[0])
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the run's to handle
    verdict = int(argv[1])
    channels = [socket.socket(fileno=int(fd)) for fd in argv[2:]]
    # The launch folder is sys.path[0] here as in a fresh kernel; ipykernel_launcher removes it.
    base_path = sys.path[1:]
    before = dict(os.environ)
    valid = _preload()
    # The run's check of its data: valid spares it its own; invalid, it checks again and says why.
    os.write(verdict, b"valid\n" if valid else b"invalid\n")
    os.close(verdict)
    # What the imports put in the environment (pydevd sets PYDEVD_USE_FRAME_EVAL, for one): a fresh
    # kernel gets it from the same imports, so a forked one gets it on top of its own environment.
    set_by_imports = {k: v for k, v in os.environ.items() if before.get(k) != v}
    import threading

    if threading.active_count() > 1:  # forking a process with threads is not safe: let the run fall back
        print(f"fork server: {threading.active_count()} threads after the imports; not forking kernels", file=sys.stderr)
        return 3
    serve(channels, base_path, set_by_imports, valid)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
