"""Hostile content and hostile surroundings: data that carries HTML or JavaScript, paths that try to
leave their folder, and a machine without network.

Text from the data (titles, descriptions, notes, publisher names, area names) is shown as text,
never run: a copy of the data is filled with script payloads, the reports are built from it, and
headless Chromium opens every page to check that no payload ran. The reports are also built with
the network cut off (a network namespace holding only loopback, plus a guard in every Python
process that records any connection beyond it), and must come out exactly as committed.
"""
from __future__ import annotations

import csv
import html
import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from conftest import DATA, ROOT, report_snapshot, snapshot

from haiti_mission.datapackage.checksums import refresh_hashes

CLI = [sys.executable, "-m", "haiti_mission"]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HOSTILE_REPORTS = ["displacement", "pledges-and-funding", "situation-report", "timeline"]


def _marker(n: int) -> str:
    """JavaScript that, if it ever runs, adds <i id="hmpwnedN"> to the page. The id is assembled at
    run time, so the word never appears in the page unless the script ran."""
    return f"document.body.appendChild(Object.assign(document.createElement('i'),{{id:'hm'+'pwned'+'{n}'}}))"


PAYLOADS = {
    "script": f"<script>{_marker(1)}</script>",
    "img-onerror": f'<img src=x onerror="{_marker(2)}">',
    "attribute-breakout": f"\"'><svg onload=\"{_marker(3)}\"></svg>",
    "tag-breakout": f"</title></textarea></style></table><script>{_marker(4)}</script>",
}
EXECUTED = "hmpwned"  # only in a page where a payload ran


def _escaped(payload: str) -> str:
    """How a payload shown as text appears in HTML: <, > and & escaped (quotes may be either way)."""
    return html.escape(payload, quote=False)


def _raw_fragments() -> list[str]:
    return ["<script>document.body", "<img src=x onerror", "<svg onload", "</title></textarea>"]


# ---------------------------------------------------------------- a copy of the data, with payloads

def _rewrite(path: Path, change) -> None:
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    fields = list(rows[0])
    for i, row in enumerate(rows):
        change(i, row)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8"))


def _payload(i: int) -> str:
    values = list(PAYLOADS.values())
    return values[i % len(values)]


HOSTILE_AREA = PAYLOADS["img-onerror"] + " Léogâne"


def make_hostile_data(target: Path) -> Path:
    """Copy data/ to ``target`` with payloads in every title, description, note and publisher name,
    plus a displacement figure for an area whose name is a payload; record the edit's hashes."""
    shutil.copytree(DATA, target)

    def timeline(i, row):
        row["title"] = f"{_payload(i)} {row['title']}"
        row["description"] = f"{_payload(i + 1)} {row['description']}"
        row["note"] = _payload(i + 2)

    def sources(i, row):
        row["publisher"] = f"{_payload(i)} {row['publisher']}"
        row["title"] = f"{_payload(i + 1)} {row['title']}"
        row["note"] = _payload(i + 2)

    def notes(i, row):
        row["note"] = _payload(i)

    _rewrite(target / "timeline.csv", timeline)
    _rewrite(target / "sources.csv", sources)
    for name in ("displacement", "pledges", "funding"):
        _rewrite(target / f"{name}.csv", notes)
    # A figure for a hostile area: a copy of the last national stock under a new id and area.
    path = target / "displacement.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    template = next(r for r in reversed(rows) if r["area_type"] == "country" and r["measure"] == "stock" and r["metric"] == "idps")
    top = max(int(r["record_id"].split("-")[1]) for r in rows)
    extra = dict(template, record_id=f"dis-{top + 1:04d}", area=HOSTILE_AREA, area_type="commune")
    buf = io.StringIO()
    csv.DictWriter(buf, list(rows[0]), lineterminator="\n").writerow(extra)
    path.write_bytes(path.read_bytes() + buf.getvalue().encode("utf-8"))

    refresh_hashes(target)
    from haiti_mission import validate

    report = validate(target, use_frictionless=False)
    assert report.ok, str(report)  # hostile text is valid text: only its display could be unsafe
    return target


@pytest.fixture(scope="module")
def hostile_reports(tmp_path_factory) -> Path:
    """The reports built from the hostile data (every notebook, the hostile area selected)."""
    base = tmp_path_factory.mktemp("hostile")
    data = make_hostile_data(base / "data")
    params = base / "params.yaml"
    params.write_text(f"displacement:\n  area: {json.dumps(HOSTILE_AREA)}\n", encoding="utf-8")
    out = base / "reports"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HAITI_MISSION_", "PYTEST_"))}
    env["HAITI_MISSION_DATA"] = str(data)
    result = subprocess.run([*CLI, "reports", "--out", str(out), "--quiet", "--jobs", "2", "--params", str(params)],
                            cwd=base, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return out


def dump_dom(page: Path, profile: Path) -> str:
    """The page's DOM after its scripts ran (Chromium headless), as HTML."""
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=3000",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "</html>" in result.stdout, result.stderr
    return result.stdout


def dump_all(pages: list[Path], tmp: Path) -> dict[str, str]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        doms = pool.map(lambda p: dump_dom(p, tmp / f"profile-{p.stem}"), pages)
        return {p.name: dom for p, dom in zip(pages, doms)}


needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it)")


@pytest.mark.slow
@needs_chromium
def test_the_browser_check_catches_a_payload_that_runs(tmp_path):
    """The control: the same payloads put into a page unescaped do run, and are seen."""
    page = tmp_path / "control.html"
    page.write_text("<!DOCTYPE html><html><head><title>control</title></head><body>\n"
                    + "\n".join(f"<div>{p}</div>" for p in PAYLOADS.values()) + "\n</body></html>\n", encoding="utf-8")
    dom = dump_dom(page, tmp_path / "profile")
    for n in range(1, len(PAYLOADS) + 1):
        assert f'id="{EXECUTED}{n}"' in dom, f"payload {n} did not run in the control page:\n{dom[-2000:]}"


@pytest.mark.slow
@needs_chromium
def test_no_injected_script_runs_in_any_report_page(hostile_reports, tmp_path):
    pages = [hostile_reports / f"{name}.html" for name in HOSTILE_REPORTS] + [hostile_reports / "index.html"]
    doms = dump_all(pages, tmp_path)
    for name, dom in doms.items():
        assert EXECUTED not in dom, f"an injected script ran in {name}"
    # ...while the payloads are on the pages, shown as text.
    for label, payload in PAYLOADS.items():
        assert any(_escaped(payload) in dom for dom in doms.values()), f"payload {label} is not shown as text on any page"
    timeline = doms["timeline.html"]
    assert all(_escaped(p) in timeline for p in PAYLOADS.values())  # titles and descriptions
    assert _escaped(HOSTILE_AREA) in doms["displacement.html"]  # the area's own table caption
    assert _escaped(json.dumps(HOSTILE_AREA, ensure_ascii=False)) in doms["index.html"]  # the parameters asked for


@pytest.mark.slow
def test_notebook_outputs_hold_payloads_only_as_escaped_text(hostile_reports):
    for name in HOSTILE_REPORTS:
        nb = nbformat.read(hostile_reports / f"{name}.ipynb", as_version=4)
        rich = []
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                for mime in ("text/html", "image/svg+xml"):
                    value = output.get("data", {}).get(mime)
                    if value is not None:
                        rich.append(value if isinstance(value, str) else "".join(value))
        text = "\n".join(rich)
        for fragment in _raw_fragments():
            assert fragment not in text, f"{name}.ipynb: {fragment!r} reached an HTML or SVG output unescaped"
        assert any(html.escape(p) in text for p in PAYLOADS.values()), f"{name}.ipynb: the payloads did not reach its outputs"


# ---------------------------------------------------------------- paths from data and parameters

def test_only_plain_notebook_names_are_reports(tmp_path, monkeypatch):
    """Notebook file names become output file and folder names: odd ones are not reports at all."""
    from haiti_mission.notebook.parameters import (
        ParameterError,
        available_notebooks,
        notebook_path,
    )

    for name in ("ok", ".hidden", ".", "a b", "x;rm -rf", "ok.backup"):
        (tmp_path / f"{name}.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "folder.ipynb").mkdir()
    monkeypatch.setenv("HAITI_MISSION_NOTEBOOKS", str(tmp_path))
    assert available_notebooks() == ["ok"]
    for name in ("../../etc/passwd", ".hidden", "/etc/passwd", "ok.backup"):
        with pytest.raises(ParameterError, match="no such report notebook; available: ok"):
            notebook_path(name)


def test_report_files_are_written_only_inside_the_staging_folder(tmp_path):
    from haiti_mission.errors import ReportError
    from haiti_mission.pipeline.build import _inside

    assert _inside(tmp_path, "figures", "timeline") == tmp_path / "figures" / "timeline"
    for parts in (("..", "escape.html"), ("/etc/passwd",), ("figures", "..", "..", "x")):
        with pytest.raises(ReportError, match="lies outside"):
            _inside(tmp_path, *parts)
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    (tmp_path / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ReportError, match="lies outside"):
        _inside(tmp_path, "link", "timeline.html")


# ---------------------------------------------------------------- no network at run time

GUARD = textwrap.dedent('''
    """Loaded by every Python process of the run (PYTHONPATH): record and refuse any connection or
    name lookup beyond this machine's loopback."""
    import errno, ipaddress, os, socket, sys

    _LOG = os.environ["HM_NETWORK_LOG"]

    def _note(line):
        with open(_LOG, "a", encoding="utf-8") as log:
            log.write(line + "\\n")

    _note(f"loaded {os.getpid()} {' '.join(sys.orig_argv[1:])[:300]}")

    def _local(host):
        host = str(host)
        if host in ("localhost", ""):
            return True
        try:
            return ipaddress.ip_address(host.split("%")[0]).is_loopback
        except ValueError:
            return False

    def _guard(original):
        def guarded(self, address, *args):
            if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
                _note(f"BLOCKED connect {address!r} from {' '.join(sys.argv)[:200]}")
                raise OSError(errno.ENETUNREACH, "network blocked by the test")
            return original(self, address, *args)
        return guarded

    socket.socket.connect = _guard(socket.socket.connect)
    socket.socket.connect_ex = _guard(socket.socket.connect_ex)
    _getaddrinfo = socket.getaddrinfo

    def _literal(host):
        try:
            ipaddress.ip_address(host.split("%")[0])
            return True
        except ValueError:
            return False

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        # An address written out needs no lookup (connect() checks it); a name other than
        # localhost would need DNS.
        if name is not None and not _literal(name) and not _local(name):
            _note(f"BLOCKED lookup {name!r} from {' '.join(sys.argv)[:200]}")
            raise socket.gaierror(socket.EAI_NONAME, "name lookup blocked by the test")
        return _getaddrinfo(host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo
''')


def _offline_prefix() -> list[str]:
    """A command prefix that runs a command in a new network namespace holding only loopback (up,
    for the kernels' local sockets), or [] where this machine does not allow one."""
    unshare, ip = shutil.which("unshare"), shutil.which("ip")
    if unshare is None or ip is None:
        return []
    prefix = [unshare, "--net", "--", "sh", "-c", f'{ip} link set lo up && exec "$@"', "sh"]
    probe = subprocess.run([*prefix, "true"], capture_output=True)
    return prefix if probe.returncode == 0 else []


@pytest.mark.slow
def test_reports_run_without_network(tmp_path):
    guard_dir = tmp_path / "guard"
    guard_dir.mkdir()
    (guard_dir / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    log = tmp_path / "network.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HAITI_MISSION_", "PYTEST_"))}
    env.update(PYTHONPATH=str(guard_dir), HM_NETWORK_LOG=str(log))
    prefix = _offline_prefix()

    # The controls: a connection beyond loopback is refused and recorded, and in the namespace the
    # outside world is unreachable even without the guard.
    reach = "import socket; socket.create_connection(('93.184.215.14', 80), timeout=5)"
    control = subprocess.run([*prefix, sys.executable, "-c", reach], env=env, capture_output=True, text=True, timeout=60)
    assert control.returncode != 0 and "BLOCKED connect ('93.184.215.14', 80)" in log.read_text(encoding="utf-8")
    if prefix:
        bare = {k: v for k, v in env.items() if k != "PYTHONPATH"}
        isolated = subprocess.run([*prefix, sys.executable, "-c", reach], env=bare, capture_output=True, text=True, timeout=60)
        assert isolated.returncode != 0 and "unreachable" in isolated.stderr, isolated.stderr
    log.unlink()

    out = tmp_path / "reports"
    result = subprocess.run([*prefix, *CLI, "reports", "--out", str(out), "--quiet", "--jobs", "2"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    lines = log.read_text(encoding="utf-8").splitlines()
    assert not [line for line in lines if line.startswith("BLOCKED")], "\n".join(lines)
    # Warm kernels are forked from the run's fork server (`python -m haiti_mission.pipeline.zygote`),
    # so the guard loaded there is in every kernel; no ordinary kernel was started.
    kernels = [line for line in lines if line.startswith("loaded") and "ipykernel_launcher" in line]
    servers = [line for line in lines if line.startswith("loaded") and "-m haiti_mission.pipeline.zygote" in line]
    assert len(servers) == 1 and not kernels, lines
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [e["build"]["run"] for e in manifest["reports"].values()] == ["executed"] * len(manifest["reports"])
    assert report_snapshot(out) == report_snapshot(ROOT / "reports")  # offline, the reports are exactly the committed ones
