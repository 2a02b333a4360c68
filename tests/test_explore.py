"""`haiti-mission explore`: a real Datasette server on the SQLite export, read in headless Chromium.

The server runs as a user runs it (the installed command, in a process of its own). Chromium
resolves no name and sends everything but 127.0.0.1 to a closed proxy, so a page that needed the
internet would show failed requests. Which tables the pages come from is read from the descriptor
and the generated metadata, so the test covers whatever resources the package holds.

Loopback only: in a network namespace of its own (``unshare``), holding the loopback interface and
a second address (192.0.2.1, a documentation address, on that interface), the server started with
the defaults answers on 127.0.0.1 and not on 192.0.2.1; started with ``--host 192.0.2.1`` it
answers there. No packet leaves the namespace.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from conftest import DATA
from test_browser import Chromium

import haiti_mission as hm
from haiti_mission.datapackage.descriptor import read_package
from haiti_mission.interop.datasette import DATABASE, metadata

CLI = Path(sys.executable).with_name("haiti-mission")
# Loopback is reached directly; every other address goes to a closed port, and no name resolves.
LOCAL_ONLY = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1"]
OTHER_ADDRESS = "192.0.2.1"  # TEST-NET-1 (RFC 5737), only ever inside the test's own namespace


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAITI_MISSION_")}
    env["TMPDIR"] = str(tmp)
    return env


def wait_until_serving(proc: subprocess.Popen, url: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"explore exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise AssertionError(f"explore did not answer at {url} within {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("explore")
    port, log = free_port(), tmp / "explore.log"
    proc = subprocess.Popen([str(CLI), "explore", "--port", str(port)], cwd=tmp, env=clean_env(tmp),
                            stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(proc, f"{base}/-/versions.json", log)
        yield base, proc, tmp
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # Ctrl-C, as a user stops it
            proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it (`make browser`)")
    chromium = Chromium(binary, tmp_path_factory.mktemp("chromium-explore"), LOCAL_ONLY)
    yield chromium
    chromium.close()


def assert_local_and_clean(page: dict, base: str) -> None:
    assert not page["failed"], f"requests failed: {page['failed']}"
    assert not page["errors"], f"page errors: {page['errors']}"
    assert all(url.startswith((base, "data:")) for url in page["requests"]), [u for u in page["requests"] if not u.startswith(base)]


@pytest.mark.slow
def test_table_facet_and_row_pages_show_descriptions_facets_and_source_links(server, browser):
    base, proc, tmp = server
    package = read_package(DATA)
    tables = metadata(package)["databases"][DATABASE]["tables"]
    linked = next(r for r in package.resources if r.foreign_keys)
    source_table = package.resource(linked.foreign_keys[0].resource)
    sources = hm.load(source_table.name)

    # A table page: title, description, licence, every column's description, sources as links.
    page = browser.open(f"{base}/{DATABASE}/{linked.name}")
    assert_local_and_clean(page, base)
    text = " ".join(page["text"].split())
    assert linked.title in page["h1"] and " ".join(linked.description.split()) in text
    assert f"Data license: {tables[linked.name]['license']}" in text
    for column, description in tables[linked.name]["columns"].items():
        assert f"{column} {description}" in text, column
    key = linked.foreign_keys[0].fields[0]
    first = hm.load(linked.name).sort_values(linked.primary_key[0]).iloc[0]
    assert f"/{DATABASE}/{source_table.name}/{first[key]}" in page["links"]

    # A filtered facet view: the facets are counted on the filtered rows, as load() counts them.
    faceted = next(r for r in package.resources if tables[r.name].get("facets") and len(tables[r.name]["facets"]) >= 2)
    facet, other = tables[faceted.name]["facets"][:2]
    frame = hm.load(faceted.name)
    value = frame[other].dropna().astype(str).mode().iloc[0]
    page = browser.open(f"{base}/{DATABASE}/{faceted.name}?{other}={value}")
    assert_local_and_clean(page, base)
    chosen = frame[frame[other].astype(str) == value]
    assert f'{len(chosen)} rows where {other} = "{value}"' in page["text"]
    top = chosen[facet].dropna().astype(str).value_counts()
    counts = browser.send("Runtime.evaluate", {"expression": f"""[...document.querySelectorAll('.facet-{DATABASE}-{faceted.name}-{facet} li')]
        .map(li => li.innerText.trim())""", "returnByValue": True}, session=True)["result"]["value"]
    assert f"{top.index[0]} {top.iloc[0]}" in counts, counts

    # One row: its source is a link to the source's row, labelled with the source's title.
    page = browser.open(f"{base}/{DATABASE}/{linked.name}/{first[linked.primary_key[0]]}")
    assert_local_and_clean(page, base)
    source = sources.set_index(source_table.primary_key[0]).loc[first[key]]
    anchor = browser.send("Runtime.evaluate", {"expression": f"""(() => {{
        const a = document.querySelector('td.col-{key} a'); return a && [a.getAttribute('href'), a.innerText]; }})()""",
                                               "returnByValue": True}, session=True)["result"]["value"]
    assert anchor == [f"/{DATABASE}/{source_table.name}/{first[key]}", source["title"]]

    # The source's own row links out to the document.
    page = browser.open(f"{base}/{DATABASE}/{source_table.name}/{first[key]}")
    assert source["url"] in page["links"]

    # Full-text search over the indexed prose.
    searchable = next(r for r in package.resources if "fts_table" in tables[r.name])
    word = hm.load(searchable.name)["title"].iloc[0].split()[0]
    page = browser.open(f"{base}/{DATABASE}/{searchable.name}?_search={word}")
    assert_local_and_clean(page, base)
    assert page["tables"] and page["tables"][0] >= 1 and "search" in page["text"].lower()


@pytest.mark.slow
def test_the_database_is_served_read_only(server):
    base, _, _ = server
    db = requests.get(f"{base}/-/databases.json", timeout=10).json()
    assert [(d["name"], d["is_mutable"]) for d in db] == [(DATABASE, False)]
    answer = requests.get(f"{base}/{DATABASE}.json", params={"sql": "delete from meta_package"}, timeout=10)
    assert answer.status_code == 400 and "Statement must be a SELECT" in answer.text


# Runs inside the namespace: the server on the defaults, then with --host, probed on both addresses.
NAMESPACE_PROBE = r"""
import json, signal, socket, subprocess, sys, time
ip, cli, port, other = sys.argv[1:5]
subprocess.run([ip, "link", "set", "lo", "up"], check=True)
subprocess.run([ip, "addr", "add", f"{other}/32", "dev", "lo"], check=True)

def answers(host):
    try:
        with socket.create_connection((host, int(port)), timeout=2) as s:
            s.sendall(b"GET /-/versions.json HTTP/1.0\r\n\r\n")
            return s.recv(12).decode()
    except OSError as exc:
        return type(exc).__name__

result = {}
for label, extra, probe in (("default", [], "127.0.0.1"), ("asked", ["--host", other], other)):
    proc = subprocess.Popen([cli, "explore", "--port", port, *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not answers(probe).startswith("HTTP/") and time.monotonic() < deadline:
        time.sleep(0.2)
    result[label] = {"127.0.0.1": answers("127.0.0.1"), other: answers(other)}
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
print(json.dumps(result))
"""


@pytest.mark.slow
def test_nothing_answers_on_another_address_unless_asked_with_host(tmp_path):
    unshare, ip = shutil.which("unshare"), shutil.which("ip") or "/usr/sbin/ip"
    if unshare is None or not Path(ip).exists():
        pytest.skip("needs util-linux unshare and iproute2 ip to make a network namespace")
    port = "8001"  # the default port: inside the namespace nothing else holds it
    done = subprocess.run([unshare, "--map-root-user", "--net", sys.executable, "-c", NAMESPACE_PROBE, ip, str(CLI), port, OTHER_ADDRESS],
                          cwd=tmp_path, env=clean_env(tmp_path), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["default"]["127.0.0.1"].startswith("HTTP/1.1 200"), result
    assert result["default"][OTHER_ADDRESS] == "ConnectionRefusedError", result
    assert result["asked"][OTHER_ADDRESS].startswith("HTTP/1.1 200"), result
    assert result["asked"]["127.0.0.1"] == "ConnectionRefusedError", result
    assert not list(tmp_path.glob("hm-explore-*")), "explore left its temporary database behind"


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_explore_stops_on_ctrl_c_or_sigterm_and_removes_its_temporary_database(stop, tmp_path):
    port, log = free_port(), tmp_path / "explore.log"
    proc = subprocess.Popen([str(CLI), "explore", "--port", str(port)], cwd=tmp_path, env=clean_env(tmp_path),
                            stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_serving(proc, f"http://127.0.0.1:{port}/{DATABASE}", log)
        assert len(list(tmp_path.glob("hm-explore-*"))) == 1
    finally:
        proc.send_signal(stop)
        assert proc.wait(timeout=30) == 0, log.read_text()[-2000:]
    assert not list(tmp_path.glob("hm-explore-*"))
    assert f"serving http://127.0.0.1:{port}/{DATABASE} (read-only)" in log.read_text()
