"""A real JupyterLab server on the notebooks, as `make lab` starts it: listing, opening, executing, stopping.

The server runs on 127.0.0.1 on a free port behind a token, with its configuration, runtime and
IPython folders in a temporary directory, so the test neither reads nor leaves anything in the
user's Jupyter set-up. A notebook is executed cell by cell through a kernel that the server itself
started, over the server's websocket, and its outputs must equal the committed ones.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import psutil
import pytest
import requests
import websocket
from conftest import ROOT, snapshot

NOTEBOOK_DIR = ROOT / "notebooks"
JUPYTER = Path(sys.executable).with_name("jupyter")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Lab:
    """A running `jupyter lab` process and the means to talk to it."""

    def __init__(self, proc: subprocess.Popen, port: int, token: str, log: Path, runtime: Path):
        self.proc, self.port, self.token, self.log, self.runtime = proc, port, token, log, runtime
        self.url = f"http://127.0.0.1:{port}"

    def get(self, path: str, token: bool = True, **kw) -> requests.Response:
        return requests.get(self.url + path, headers=self._headers(token), timeout=30, **kw)

    def post(self, path: str, body: dict | None = None) -> requests.Response:
        return requests.post(self.url + path, headers=self._headers(True), json=body, timeout=30)

    def _headers(self, token: bool) -> dict:
        return {"Authorization": f"token {self.token}"} if token else {}

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]


def start_lab(tmp: Path) -> Lab:
    """Start `jupyter lab notebooks/start-here.ipynb` from the repository root, as `make lab` does,
    and wait until it answers."""
    port, token = free_port(), secrets.token_hex(24)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HAITI_MISSION_", "JUPYTER", "IPYTHONDIR"))}
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        env[name] = str(tmp / name.lower())
    args = [str(JUPYTER), "lab", "notebooks/start-here.ipynb", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:
        args.append("--allow-root")  # jupyter refuses to run as root otherwise (CI containers do)
    log = tmp / "lab.log"
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    lab = Lab(proc, port, token, log, tmp / "jupyter_runtime_dir")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"jupyter lab exited with {proc.returncode}:\n{lab.log_text()}"
        try:
            if lab.get("/api/contents").status_code == 200:
                return lab
        except requests.ConnectionError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"jupyter lab did not answer within 60 s:\n{lab.log_text()}")


def stop(proc: subprocess.Popen) -> None:
    """Last resort after a failed test: end the server we started and everything it started."""
    if proc.poll() is not None:
        return
    try:
        family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    for p in family:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    proc.wait(timeout=10)


def execute(ws: websocket.WebSocket, code: str, timeout: float = 120) -> list[dict]:
    """Run ``code`` in the kernel behind ``ws``; return its outputs in nbformat's shape."""
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test", "session": uuid.uuid4().hex,
                   "date": "", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False,
                    "stop_on_error": True},
    }))
    outputs, reply, idle = [], None, False
    deadline = time.monotonic() + timeout
    while not (reply and idle):
        ws.settimeout(max(0.1, deadline - time.monotonic()))
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if msg["channel"] == "shell" and kind == "execute_reply":
            reply = content
        elif kind == "status":
            idle = content["execution_state"] == "idle"
        elif kind in ("display_data", "execute_result"):
            outputs.append({"output_type": kind, "data": content["data"]})
        elif kind == "stream":
            outputs.append({"output_type": "stream", "name": content["name"], "text": content["text"]})
        elif kind == "error":
            outputs.append({"output_type": "error", "ename": content["ename"], "evalue": content["evalue"]})
    assert reply["status"] == "ok", f"cell failed: {outputs}"
    return outputs


def committed_outputs(cell) -> list[dict]:
    shown = []
    for o in cell.outputs:
        if o.output_type == "stream":
            shown.append({"output_type": "stream", "name": o.name, "text": o.text})
        else:
            shown.append({"output_type": o.output_type, "data": dict(o.data)})
    return shown


def kernel_processes(server_pid: int, kernel_id: str) -> list[psutil.Process]:
    found = []
    for p in psutil.Process(server_pid).children(recursive=True):
        try:
            if any(f"kernel-{kernel_id}.json" in part for part in p.cmdline()):
                found.append(p)
        except psutil.NoSuchProcess:
            pass
    return found


def test_make_lab_serves_the_notebooks_folder_and_opens_start_here():
    # The test below starts the server exactly as `make lab` does: a notebook as the argument makes
    # its folder the server's root and the page the browser opens.
    assert re.search(r"^lab:.*\n\t\$\(BIN\)/jupyter lab notebooks/start-here\.ipynb$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)


@pytest.mark.slow
def test_jupyterlab_lists_opens_and_executes_the_notebooks_then_stops_cleanly(tmp_path):
    before = snapshot(NOTEBOOK_DIR)
    lab = start_lab(tmp_path)
    try:
        # Authentication is on: without the token the server refuses.
        assert lab.get("/api/contents", token=False).status_code in (401, 403)

        # Every notebook is listed...
        listing = lab.get("/api/contents", params={"content": 1}).json()
        listed = sorted(item["name"] for item in listing["content"] if item["type"] == "notebook")
        assert listed == sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb")) and len(listed) >= 5
        # ...and the page a browser is sent to is the start-here guide.
        opens = list(lab.runtime.glob("jpserver-*-open.html"))
        assert opens and any("/lab/tree/start-here.ipynb" in p.read_text(encoding="utf-8") for p in opens), opens

        # ...opens through the contents API with its committed cells and outputs...
        for name in listed:
            model = lab.get(f"/api/contents/{name}", params={"type": "notebook", "content": 1}).json()
            assert model["type"] == "notebook" and model["format"] == "json", name
            served = nbformat.from_dict(model["content"])
            committed = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
            assert [(c.cell_type, c.source, c.get("outputs")) for c in served.cells] == \
                   [(c.cell_type, c.source, c.get("outputs")) for c in committed.cells], name
        # ...and in the JupyterLab application itself.
        page = lab.get("/lab/tree/timeline.ipynb")
        assert page.status_code == 200 and "jupyter-config-data" in page.text

        # A kernel the server starts runs the timeline notebook and prints what was committed. A
        # session is what JupyterLab creates when a notebook is opened: its kernel runs in the
        # notebook's folder.
        session = lab.post("/api/sessions", {"path": "timeline.ipynb", "name": "timeline.ipynb", "type": "notebook",
                                             "kernel": {"name": "python3"}}).json()
        kernel = session["kernel"]
        assert kernel["name"] == "python3"
        assert kernel["id"] in [k["id"] for k in lab.get("/api/kernels").json()]
        kernels = kernel_processes(lab.proc.pid, kernel["id"])
        assert len(kernels) == 1, "the kernel is not a child of the server"
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{lab.port}/api/kernels/{kernel['id']}/channels?session_id={uuid.uuid4().hex}",
            header=[f"Authorization: token {lab.token}"], timeout=60,
        )
        try:
            cwd = execute(ws, "import os\nprint(os.getcwd())")
            assert cwd == [{"output_type": "stream", "name": "stdout", "text": f"{NOTEBOOK_DIR}\n"}]
            notebook = nbformat.read(NOTEBOOK_DIR / "timeline.ipynb", as_version=4)
            cells = [c for c in notebook.cells if c.cell_type == "code"]
            for cell in cells:
                assert execute(ws, cell.source) == committed_outputs(cell), f"timeline.ipynb cell {cell.execution_count} differs"
        finally:
            ws.close()
        assert any("Events from 1 October 2022" in o["data"]["text/plain"] for o in committed_outputs(cells[1]))

        # Shutting the server down stops it and its kernel; nothing is left behind.
        family = [psutil.Process(lab.proc.pid), *kernels]
        assert lab.post("/api/shutdown").status_code == 200
        _, alive = psutil.wait_procs(family, timeout=30)
        assert not alive, f"still running after shutdown: {[p.pid for p in alive]}"
        assert lab.proc.wait(timeout=5) == 0, lab.log_text()
        assert not list(lab.runtime.glob("jpserver-*")) and not list(lab.runtime.glob("kernel-*.json")), \
            f"runtime files left behind: {sorted(p.name for p in lab.runtime.iterdir())}"
    finally:
        stop(lab.proc)
    assert snapshot(NOTEBOOK_DIR) == before, "the server or its kernel wrote into notebooks/"
