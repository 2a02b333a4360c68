"""Warm kernels are as isolated as fresh ones: nothing carries from one notebook to the next.

Two notebooks run one after the other on one worker: the first changes everything a notebook can
change in its process (variables, environment, working folder, matplotlib's rcParams, a patched
module, an open file, the random generator's state); the second describes its own process. Its
description is the same with warm kernels as with ordinary ones, and shows none of the changes.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import nbformat
import pytest
from conftest import ROOT

from haiti_mission.pipeline.kernels import unavailable

MUTATE = '''
import os, colorsys, matplotlib, random, numpy, pandas
leaked_variable = 42
os.environ["HM_LEAKED"] = "yes"
os.chdir("/")
matplotlib.rcParams["lines.linewidth"] = 9.5
colorsys.rgb_to_hsv = lambda *a: "patched"
pandas.DataFrame.patched = True
kept_open = open(os.path.join(os.environ["HM_PROBE_DIR"], "kept-open.txt"), "w")
numpy.random.seed(1)
random.seed(1)
'''
PROBE = '''
import os, sys, json, signal, warnings, matplotlib, numpy, random, colorsys, pandas
def _fds():
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("/") and not target.startswith(("/dev/", "/proc/")):
            found.append(target)
    return sorted(found)
state = {
    "globals": sorted(k for k in globals() if not k.startswith("_")),
    "env": {k: v for k, v in os.environ.items() if k != "JPY_PARENT_PID"},
    "cwd": os.getcwd(),
    "rcParams": {k: repr(v) for k, v in matplotlib.rcParams.items()},
    "patched": [colorsys.rgb_to_hsv(1, 0, 0), hasattr(pandas.DataFrame, "patched")],
    "open files": [os.path.basename(f) for f in _fds() if not f.endswith((".sqlite", ".sqlite-journal"))],
    "sys.path": sys.path,
    "argv": [os.path.basename(sys.argv[0]), sys.argv[1], os.path.basename(os.path.dirname(sys.argv[2]))],
    "signals": {s.name: str(signal.getsignal(s)) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGPIPE)},
    # As a set: the imports that add filters run in another order in the fork server.
    "warnings": sorted(str(f) for f in warnings.filters),
    "umask": os.umask(0o022),
    "ppid is init": os.getppid() == 1,
}
print("STATE " + json.dumps(state, sort_keys=True, default=str))
print("RANDOM " + json.dumps([numpy.random.random(), random.random()]))
'''


def _notebook(folder, name: str, body: str) -> None:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell('note: str = ""  # unused', metadata={"tags": ["parameters"]}), nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, folder / f"{name}.ipynb")


def _run(tmp_path, mode: str) -> tuple[dict, list, str]:
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir(exist_ok=True)
    _notebook(notebooks, "a-mutate", MUTATE)
    _notebook(notebooks, "b-probe", PROBE)
    probe_dir = tmp_path / f"probe-{mode}"
    probe_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HAITI_MISSION_", "PYTEST_"))}
    env.update(HAITI_MISSION_NOTEBOOKS=str(notebooks), HAITI_MISSION_WARM_KERNELS=mode, HM_PROBE_DIR=str(probe_dir))
    out = tmp_path / f"out-{mode}"
    result = subprocess.run([sys.executable, "-m", "haiti_mission", "reports", "--out", str(out), "--jobs", "1", "--quiet"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    text = "".join(o.get("text", "") for c in nbformat.read(out / "b-probe.ipynb", as_version=4).cells for o in c.get("outputs", []))
    state = json.loads(text.split("STATE ", 1)[1].split("\n", 1)[0])
    randoms = json.loads(text.split("RANDOM ", 1)[1].split("\n", 1)[0])
    return state, randoms, result.stderr


@pytest.mark.slow
def test_nothing_carries_from_one_notebook_to_the_next(tmp_path):
    warm, warm_random, warm_err = _run(tmp_path, "1")
    fresh, fresh_random, fresh_err = _run(tmp_path, "0")
    assert "warm kernels are off" not in warm_err
    assert fresh_err.count("warm kernels are off: turned off by HAITI_MISSION_WARM_KERNELS=0; using ordinary kernels") == 1
    # The second notebook sees none of the first one's changes ...
    assert "leaked_variable" not in warm["globals"] and "HM_LEAKED" not in warm["env"]
    assert warm["cwd"] == str(ROOT / "notebooks") or warm["cwd"] == fresh["cwd"]
    assert warm["rcParams"]["lines.linewidth"] == "1.5" and warm["patched"] == [[0.0, 1.0, 1.0], False]
    assert not [f for f in warm["open files"] if f.endswith("kept-open.txt")]
    assert warm_random != [0.417022004702574, 0.13436424411240122]  # the first notebook's seed 1
    # ... and its process is described exactly as a fresh kernel's is.
    for key in fresh:
        if key == "env":
            # What the two runs were told differently: the switch itself, and their own folders.
            differ = ("HM_PROBE_DIR", "HAITI_MISSION_WARM_KERNELS", "HAITI_MISSION_READS")
            assert {k: v for k, v in warm[key].items() if k not in differ} == {k: v for k, v in fresh[key].items() if k not in differ}
        else:
            assert warm[key] == fresh[key], key
    assert warm_random != fresh_random


def test_a_python3_kernel_of_another_interpreter_means_ordinary_kernels(tmp_path, monkeypatch):
    spec = tmp_path / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({"argv": ["/opt/other/bin/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                                                  "display_name": "Python 3", "language": "python"}), encoding="utf-8")
    monkeypatch.delenv("HAITI_MISSION_WARM_KERNELS", raising=False)
    assert unavailable() is None
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    assert "the python3 kernel runs /opt/other/bin/python3 -m ipykernel_launcher" in unavailable()


def test_the_fork_server_imports_every_analysis_module_a_report_imports():
    import re

    from haiti_mission.pipeline import zygote

    imported = set()
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            for names in re.findall(r"from haiti_mission\.analysis import ([\w, ]+)", cell.source if cell.cell_type == "code" else ""):
                imported.update(n.strip() for n in names.split(","))
    assert imported and imported <= set(zygote.ANALYSIS_MODULES), sorted(imported - set(zygote.ANALYSIS_MODULES))


def test_report_kernels_use_the_client_that_does_not_wait_out_a_silent_iopub(tmp_path):
    # jupyter_client's own client waits 0.2 s of IOPub silence per kernel start; the run's
    # manager must hand out the one that does not (a class attribute alone would not: the
    # manager builds clients from its client_factory).
    from jupyter_client.asynchronous import AsyncKernelClient

    from haiti_mission.pipeline.execute import _kernel_manager

    client = _kernel_manager(tmp_path)().client()
    assert isinstance(client, AsyncKernelClient) and type(client).__name__ == "QuickStartClient"
    assert type(client).wait_for_ready is not AsyncKernelClient.wait_for_ready
    # Its sockets retry a refused connection after 10 ms, not ZMQ's 100 ms: a forked kernel binds
    # its ports some 60 ms after it exists, and the client connects at once.
    import zmq

    sock = client.context.socket(zmq.DEALER)
    try:
        assert sock.getsockopt(zmq.RECONNECT_IVL) == 10
    finally:
        sock.close(0)


def test_a_forked_kernel_s_end_is_seen_as_it_happens(tmp_path):
    # jupyter_client polls a killed kernel every 0.1 s; the manager awaits the pidfd instead.
    import asyncio
    import signal

    from haiti_mission.pipeline.kernels import ForkedKernel

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    kernel = ForkedKernel(child.pid, os.pidfd_open(child.pid))

    async def end() -> int | None:
        assert kernel.poll() is None
        waiting = asyncio.ensure_future(kernel.exited())
        await asyncio.sleep(0.05)
        assert not waiting.done()  # it waits while the process lives
        kernel.send_signal(signal.SIGKILL)
        await asyncio.wait_for(waiting, timeout=5)
        return kernel.poll()

    try:
        assert asyncio.run(end()) is not None
    finally:
        child.kill()
        child.wait()
