"""The HTML reports in a real browser: Debian's headless Chromium, with the network blocked.

One Chromium process serves every page; the test drives it over the DevTools protocol (the same
websocket interface Playwright and Puppeteer use), so it can read the rendered DOM, see every
request the page makes and take screenshots. DNS resolves nothing and every request goes to a
proxy on a closed port: a page that needed the internet would show failed requests.
"""
from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import numpy
import pytest
import websocket
from conftest import ROOT
from PIL import Image

REPORTS = ROOT / "reports"
MANIFEST = json.loads((REPORTS / "manifest.json").read_text(encoding="utf-8"))
PAGES = ["index", *sorted(MANIFEST["reports"])]
WIDTH, HEIGHT = 1200, 1600
# The figure palette (style.PALETTE): a figure that rendered shows these colours.
PALETTE = [(0x00, 0x72, 0xB2), (0xE6, 0x9F, 0x00), (0x00, 0x9E, 0x73), (0xD5, 0x5E, 0x00), (0xCC, 0x79, 0xA7), (0x56, 0xB4, 0xE9)]
OFFLINE_FLAGS = ["--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]

FACTS = """(() => {
  const text = e => e.textContent.replace(/\\u00b6/g, '').trim();
  return {
    title: document.title,
    h1: [...document.querySelectorAll('h1')].map(text),
    h2: [...document.querySelectorAll('h2')].map(text),
    tables: [...document.querySelectorAll('table')].map(t => t.querySelectorAll('tbody tr').length),
    images: [...document.querySelectorAll('img')].map(i => {
      const r = i.getBoundingClientRect();
      return {complete: i.complete, width: i.naturalWidth, height: i.naturalHeight, src: i.src.slice(0, 30),
              x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height};
    }),
    links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
    text: document.body.innerText,
    resources: performance.getEntriesByType('resource').map(e => e.name),
    height: Math.ceil(document.documentElement.scrollHeight),
  };
})()"""


class Chromium:
    """A headless Chromium and one page in it, driven over the DevTools protocol."""

    def __init__(self, binary: str, profile: Path, extra: list[str]):
        args = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions", "--hide-scrollbars",
                f"--user-data-dir={profile}", "--remote-debugging-port=0", *extra, "about:blank"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().split()) == 2):
            assert self.proc.poll() is None and time.monotonic() < deadline, "chromium did not start its DevTools endpoint"
            time.sleep(0.1)
        port, path = port_file.read_text().split()
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=60, suppress_origin=True)
        self.next_id, self.events = 0, []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=True)
        self.send("Emulation.setDeviceMetricsOverride", {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False}, session=True)

    def send(self, method: str, params: dict | None = None, session: bool = False) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                assert "error" not in reply, f"{method}: {reply['error']}"
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(i)
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            self.events.append(json.loads(self.ws.recv()))

    def open(self, url: str) -> dict:
        """Load ``url``; return the page's facts and a record of what happened while loading."""
        self.events.clear()
        self.send("Page.navigate", {"url": url}, session=True)
        self.wait_for("Page.loadEventFired")
        facts = self.send("Runtime.evaluate", {"expression": FACTS, "returnByValue": True}, session=True)["result"]["value"]
        shot = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                     "clip": {"x": 0, "y": 0, "width": WIDTH, "height": facts["height"], "scale": 1}}, session=True)
        self.send("Runtime.evaluate", {"expression": "0"}, session=True)  # flush events raised while loading
        facts["screenshot"] = Image.open(io.BytesIO(base64.b64decode(shot["data"]))).convert("RGB")
        facts["requests"] = [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]
        facts["failed"] = [e["params"] for e in self.events if e.get("method") == "Network.loadingFailed"]
        facts["errors"] = [e["params"] for e in self.events if e.get("method") == "Runtime.exceptionThrown"
                           or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")]
        return facts

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.ws.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it (`make browser`)")
    chromium = Chromium(binary, tmp_path_factory.mktemp("chromium-profile"), OFFLINE_FLAGS)
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def rendered(browser):
    """Every page as the offline browser rendered it, loaded once."""
    return {name: browser.open((REPORTS / f"{name}.html").as_uri()) for name in PAGES}


def non_white(image: Image.Image) -> float:
    """Return the share of pixels that are not (nearly) white."""
    grey = numpy.asarray(image.convert("L"))
    return float((grey < 240).mean())


def palette_pixels(image: Image.Image) -> int:
    """Return how many pixels are (nearly) one of the figure palette's colours."""
    pixels = numpy.asarray(image, dtype=numpy.int16)
    near = [numpy.abs(pixels - numpy.array(colour)).sum(axis=2) < 30 for colour in PALETTE]
    return int(numpy.logical_or.reduce(near).sum())


def expected(name: str) -> dict:
    """What a report page must show, read from the report's notebook and the manifest."""
    nb = nbformat.read(REPORTS / f"{name}.ipynb", as_version=4)
    html = [o.data["text/html"] for c in nb.cells for o in c.get("outputs", []) if "text/html" in o.get("data", {})]
    headings = [line[3:].strip() for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines() if line.startswith("## ")]
    captions = re.findall(r"^((?:Table|Figure) \d+\.)", "\n".join(
        o.data.get("text/plain", "") for c in nb.cells for o in c.get("outputs", []) if "data" in o), re.M)
    return {
        "title": MANIFEST["reports"][name]["title"],
        "h2": headings,
        "tables": sum(h.count("<table") for h in html),
        "figures": sum(1 for f in MANIFEST["reports"][name]["figures"] if f.endswith(".svg")),
        "captions": sorted(set(captions)),
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", [p for p in PAGES if p != "index"])
def test_report_page_shows_its_title_tables_and_figures(rendered, name):
    page, want = rendered[name], expected(name)
    assert page["title"] == want["title"]
    assert page["h1"] == [want["title"]]
    assert page["h2"] == want["h2"]
    assert len(page["tables"]) == want["tables"] and all(rows > 0 for rows in page["tables"]), page["tables"]
    for caption in want["captions"]:
        assert caption in page["text"], f"{name}: {caption} is not shown"
    assert f"Generated by haiti-mission from notebook {name}.ipynb" in page["text"]
    assert "import haiti_mission" not in page["text"], "the page shows code"
    # Every figure decoded as an image of its own size, and its pixels are a drawn chart.
    assert len(page["images"]) == want["figures"]  # the changes report has tables only
    shot = page["screenshot"]
    for number, img in enumerate(page["images"], 1):
        assert img["complete"] and img["width"] > 300 and img["height"] > 150, f"{name}: figure {number} did not decode: {img}"
        assert img["src"].startswith("data:image/svg+xml"), img["src"]
        box = shot.crop((int(img["x"]), int(img["y"]), int(img["x"] + img["w"]), int(img["y"] + img["h"])))
        assert box.width > 300 and box.height > 150, f"{name}: figure {number} is not on the page ({img})"
        assert non_white(box) > 0.02, f"{name}: figure {number} is blank on screen"
        assert palette_pixels(box) > 50, f"{name}: figure {number} shows none of the palette's colours"
    assert 0.01 < non_white(shot.crop((0, 0, WIDTH, HEIGHT))) < 0.6, "the top of the page looks blank or broken"


@pytest.mark.slow
def test_index_lists_every_report(rendered):
    page = rendered["index"]
    assert page["title"] == page["h1"][0] == "haiti-mission reports"
    assert page["tables"] == [len(MANIFEST["reports"])]
    for name, entry in MANIFEST["reports"].items():
        assert entry["title"] in page["text"]
        assert entry["html"] in page["links"] and entry["notebook"] in page["links"]
    for link in page["links"]:
        assert (REPORTS / link).is_file(), f"index links to {link}, which does not exist"
    assert not page["images"]
    assert 0.01 < non_white(page["screenshot"]) < 0.6


@pytest.mark.slow
@pytest.mark.parametrize("name", PAGES)
def test_page_renders_offline_with_nothing_fetched(rendered, name):
    page = rendered[name]
    fetched = [u for u in page["requests"] + page["resources"] if not u.startswith(("file:", "data:"))]
    assert not fetched, f"{name}.html fetches {fetched}"
    assert not page["failed"], f"{name}.html: requests failed: {page['failed']}"
    assert not page["errors"], f"{name}.html: errors in the console: {page['errors']}"


@pytest.mark.slow
def test_the_blocked_browser_would_notice_a_page_that_needs_the_internet(browser, tmp_path):
    """The check above can fail: a page with one remote image shows a blocked request."""
    page = tmp_path / "remote.html"
    page.write_text('<!DOCTYPE html><title>t</title><h1>t</h1><img src="https://example.org/logo.png">', encoding="utf-8")
    facts = browser.open(page.as_uri())
    assert "https://example.org/logo.png" in facts["requests"]
    assert [f for f in facts["failed"] if f["errorText"].startswith("net::ERR_")], facts["failed"]
    assert facts["images"][0]["width"] == 0


# ---------------------------------------------------------------- the HTML itself

class References(HTMLParser):
    """Collects every URL a page would load by itself (not the links a reader may follow)."""

    LOADING = {"src", "srcset", "poster", "data", "xlink:href", "background", "action", "formaction"}

    def __init__(self):
        super().__init__()
        self.loads: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if value is None:
                continue
            if key in self.LOADING or (key == "href" and tag != "a"):
                self.loads.append(value)
            if key == "style":
                self.styles.append(value)
        self._in_style = tag == "style"

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def remote_references(html: str) -> list[str]:
    """Every http(s) or protocol-relative URL the page, its CSS or its inline SVG figures would load."""
    parser = References()
    parser.feed(html)
    urls = list(parser.loads)
    for css in parser.styles:
        urls += re.findall(r"url\(\s*['\"]?([^'\")]+)", css)
        urls += re.findall(r"@import\s+['\"]([^'\"]+)", css)
    for url in list(urls):
        if url.startswith("data:image/svg+xml;base64,"):
            urls += remote_references(base64.b64decode(url.split(",", 1)[1]).decode("utf-8"))
    return [u for u in urls if re.match(r"\s*(https?:)?//", u, re.I)]


@pytest.mark.parametrize("name", PAGES)
def test_html_loads_nothing_from_the_internet(name):
    html = (REPORTS / f"{name}.html").read_text(encoding="utf-8")
    assert not remote_references(html), f"{name}.html loads {remote_references(html)}"
    assert "<script src" not in html


def test_remote_references_finds_what_it_must():
    page = ('<a href="https://example.org/source">a source is fine</a><script src="https://cdn.example/x.js"></script>'
            '<link rel="stylesheet" href="//cdn.example/x.css"><style>@import "https://f.example/a.css"; b{background:url(http://i.example/b.png)}</style>'
            '<img src="data:image/svg+xml;base64,' + base64.b64encode(b'<svg><image href="https://i.example/c.png"/></svg>').decode() + '">')
    assert remote_references(page) == ["https://cdn.example/x.js", "//cdn.example/x.css", "http://i.example/b.png",
                                       "https://f.example/a.css", "https://i.example/c.png"]
