"""The reference (`haiti-mission docs`): committed, current, offline, and readable in Chromium."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA, ROOT
from test_browser import OFFLINE_FLAGS, Chromium

import haiti_mission as hm
from haiti_mission.datapackage.descriptor import read_package
from haiti_mission.pipeline.reference import API_PAGE, DICTIONARY_PAGE, INDEX_PAGE, reference_files

REFERENCE = ROOT / "reports" / "reference"


def test_the_committed_reference_is_current():
    files = reference_files(read_package(DATA))
    assert sorted(p.name for p in REFERENCE.iterdir()) == sorted(files), "run `make docs`"
    for name, data in files.items():
        assert (REFERENCE / name).read_bytes() == data, f"reports/reference/{name} is out of date: run `make docs`"


def test_the_reports_index_links_to_the_reference():
    assert 'href="reference/index.html"' in (ROOT / "reports" / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_docs_command_writes_the_same_files_elsewhere_and_refuses_the_data_folder(tmp_path):
    cli = Path(sys.executable).with_name("haiti-mission")
    done = subprocess.run([str(cli), "docs", "--out", str(tmp_path / "ref")], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert {p.name: p.read_bytes() for p in (tmp_path / "ref").iterdir()} == {p.name: p.read_bytes() for p in REFERENCE.iterdir()}
    refused = subprocess.run([str(cli), "docs", "--out", str(DATA)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "refusing" in refused.stderr


@pytest.mark.slow
def test_the_reference_reads_in_chromium_offline(tmp_path):
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it (`make browser`)")
    browser = Chromium(binary, tmp_path / "profile", OFFLINE_FLAGS)
    try:
        pages = {name: browser.open((REFERENCE / name).as_uri()) for name in (INDEX_PAGE, API_PAGE, DICTIONARY_PAGE)}
    finally:
        browser.close()
    for name, page in pages.items():
        assert not page["failed"] and not page["errors"], (name, page["failed"], page["errors"])
        assert all(u.startswith(("file:", "data:")) for u in page["requests"]), (name, page["requests"])
    assert {API_PAGE, DICTIONARY_PAGE} <= set(pages[INDEX_PAGE]["links"])
    api = pages[API_PAGE]["text"]
    for name in hm.__all__:
        assert name in api, name
    # Each public function shows its signature and the first line of its docstring.
    for name in ("load", "cite"):
        assert getattr(hm, name).__doc__.split("\n")[0].split("``")[0].strip() in api, name
    dictionary = pages[DICTIONARY_PAGE]
    package = read_package(DATA)
    assert [r.name for r in package.resources] == [h for h in dictionary["h2"] if h in package.resource_names]
    assert len(dictionary["tables"]) >= len(package.resources) + 1


def test_the_changelog_names_the_current_version_as_its_latest_release():
    import re
    import tomllib

    import yaml

    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, re.M)
    released = [h.split()[0] for h in headings if h != "Unreleased"]
    assert released, "CHANGELOG.md lists no released version"
    assert headings[0].split()[0] in ("Unreleased", released[0]) and released == sorted(released, key=lambda v: [int(x) for x in v.split(".")], reverse=True)
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert released[0] == version == str(cff["version"]) == hm.__version__ == read_package(DATA).version
    # A released heading may carry its date, "## 0.2.0 (2026-12-02)": the citation's release date.
    dated = re.fullmatch(r"\S+ \((\d{4}-\d{2}-\d{2})\)", headings[0])
    if dated and "date-released" in cff:
        assert dated[1] == str(cff["date-released"])
