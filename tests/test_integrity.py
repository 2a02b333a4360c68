"""Tamper evidence: every resource records its file's size and SHA-256 in datapackage.json.

validate() reports a file changed without its descriptor, naming it and the command that records a
deliberate edit (`haiti-mission hashes --update`); Frictionless reads the same records and agrees.
load() does not check them, so a curator can still load a file while editing it.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA, snapshot

import haiti_mission as hm
from haiti_mission.cli import main
from haiti_mission.datapackage.checksums import refresh_hashes

DESCRIPTOR = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
NAMES = [r["name"] for r in DESCRIPTOR["resources"]]
CHANGED = "file changed without its descriptor"


@pytest.fixture(autouse=True)
def _real_data_by_default(monkeypatch):
    monkeypatch.delenv("HAITI_MISSION_DATA", raising=False)


def descriptor(folder: Path) -> dict:
    return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))


def spec(raw: dict, name: str) -> dict:
    return next(r for r in raw["resources"] if r["name"] == name)


def edit_note(folder: Path, name: str, old: str, new: str) -> None:
    """A deliberate, valid edit: change text in a file (the data stays valid)."""
    path = folder / f"{name}.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ---------------------------------------------------------------- the committed descriptor

@pytest.mark.parametrize("name", NAMES)
def test_every_resource_records_its_files_size_and_sha256(name):
    record = spec(DESCRIPTOR, name)
    content = (DATA / record["path"]).read_bytes()
    assert record["bytes"] == len(content)
    assert record["hash"] == "sha256:" + hashlib.sha256(content).hexdigest()
    keys = list(record)
    assert keys[keys.index("path") + 1: keys.index("path") + 3] == ["bytes", "hash"]


def test_the_committed_descriptor_is_current():
    result = subprocess.run([str(Path(sys.executable).parent / "haiti-mission"), "hashes", "--check"], capture_output=True, text=True, timeout=60,
                            env={k: v for k, v in os.environ.items() if k != "HAITI_MISSION_DATA"})
    assert result.returncode == 0, result.stderr
    assert all(f"{n}.csv: matches sha256:" in result.stdout for n in NAMES)


# ---------------------------------------------------------------- a file changed without its descriptor

@pytest.mark.slow
def test_validate_reports_a_changed_file_and_how_to_record_it(data_copy):
    """Same size, other content: only the hash can tell. Full validation, Frictionless included,
    says it once, in the package's own words."""
    path = data_copy / "timeline.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Port-au-Prince", "Port-au-Princf", 1), encoding="utf-8")
    assert path.stat().st_size == spec(DESCRIPTOR, "timeline")["bytes"]
    before = snapshot(data_copy)
    report = hm.validate(data_copy)
    assert not report.ok
    [problem] = report.problems
    assert (Path(problem.file).name, problem.row, problem.field) == ("timeline.csv", None, None)
    assert problem.message.startswith(f"{CHANGED}: datapackage.json records {spec(DESCRIPTOR, 'timeline')['bytes']} bytes and sha256:")
    assert problem.message.endswith("if the change was deliberate, run `haiti-mission hashes --update`")
    assert snapshot(data_copy) == before


def test_a_changed_size_is_reported_with_both_sizes(data_copy):
    edit_note(data_copy, "funding", "First US money promise", "The first US money promise")
    report = hm.validate(data_copy, use_frictionless=False)
    [problem] = report.problems
    size = spec(DESCRIPTOR, "funding")["bytes"]
    assert f"records {size} bytes and sha256:" in problem.message and f"the file has {size + 4} bytes" in problem.message


def test_the_refresh_command_names_the_folder_when_it_is_not_the_default(data_copy, monkeypatch):
    monkeypatch.delenv("HAITI_MISSION_DATA")
    edit_note(data_copy, "funding", "First US money promise", "The first US money promise")
    [problem] = hm.validate(data_copy, use_frictionless=False).problems
    assert f"run `haiti-mission hashes --update --data-dir {data_copy}`" in problem.message


@pytest.mark.slow
def test_frictionless_reads_the_same_records(data_copy):
    """The records are in the form Frictionless expects: on its own it sees the change too."""
    import frictionless

    assert frictionless.validate(str(data_copy / "datapackage.json")).valid
    edit_note(data_copy, "sources", "https://", "http://")
    report = frictionless.validate(str(data_copy / "datapackage.json"))
    errors = {(task.name, e.type) for task in report.tasks for e in task.errors}
    assert ("sources", "hash-count") in errors and ("sources", "byte-count") in errors


def test_load_does_not_check_the_records(data_copy):
    """A decision: hand-editing stays easy. load() reads what the file says; validate() tells."""
    edit_note(data_copy, "funding", "First US money promise", "The first US money promise")
    assert hm.load("funding")["note"].iloc[0].startswith("The first US money promise")


@pytest.mark.parametrize(("change", "says"), [
    (lambda r: r.pop("hash"), "datapackage.json records no hash for this file (resource 'pledges')"),
    (lambda r: (r.pop("hash"), r.pop("bytes")), "datapackage.json records no hash and bytes for this file (resource 'pledges')"),
    (lambda r: r.update(hash="md5:" + "0" * 32), "records hash 'md5:00000000000000000000000000000000' for resource 'pledges'; it must be 'sha256:'"),
    (lambda r: r.update(hash=r["hash"].upper()), "it must be 'sha256:' followed by 64 lower-case hex digits"),
    (lambda r: r.update(bytes="25360"), "records bytes '25360' for resource 'pledges'; it must be a whole number of bytes"),
], ids=["no-hash", "no-record", "other-algorithm", "upper-case", "bytes-as-text"])
def test_a_missing_or_malformed_record_is_reported(data_copy, change, says):
    raw = descriptor(data_copy)
    change(spec(raw, "pledges"))
    (data_copy / "datapackage.json").write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    problems = [p for p in hm.validate(data_copy, use_frictionless=False).problems]
    assert [(Path(p.file).name, p.row, p.field) for p in problems] == [("pledges.csv", None, None)]
    assert says in problems[0].message and "run `haiti-mission hashes --update`" in problems[0].message
    assert len(hm.load("pledges")) > 0  # loading is not affected


# ---------------------------------------------------------------- recording a deliberate edit

def test_hashes_update_records_a_deliberate_edit(data_copy, capsys):
    before = descriptor(data_copy)
    edit_note(data_copy, "funding", "First US money promise", "The first US money promise")
    csvs = {n: (data_copy / f"{n}.csv").read_bytes() for n in NAMES}

    code, out, err = cli(capsys, "hashes", "--check")
    assert code == 1 and f"funding.csv: {CHANGED}" in err

    code, out, _ = cli(capsys, "hashes", "--update")
    assert code == 0
    assert "recorded the new size and hash of funding in" in out
    after = descriptor(data_copy)
    content = csvs["funding"]
    assert spec(after, "funding")["hash"] == "sha256:" + hashlib.sha256(content).hexdigest()
    assert spec(after, "funding")["bytes"] == len(content)
    # Nothing else in the descriptor changed, and it is written the way the project keeps it.
    for r in (before, after):
        spec(r, "funding").pop("hash"), spec(r, "funding").pop("bytes")
    assert after == before
    text = (data_copy / "datapackage.json").read_text(encoding="utf-8")
    assert text == json.dumps(descriptor(data_copy), indent=2, ensure_ascii=False) + "\n"
    assert {n: (data_copy / f"{n}.csv").read_bytes() for n in NAMES} == csvs  # the data is untouched
    assert hm.validate(data_copy, use_frictionless=False).ok
    assert not [p.name for p in data_copy.iterdir() if p.name.startswith(".")]  # no temporary file left

    stamp = (data_copy / "datapackage.json").stat().st_mtime_ns
    code, out, _ = cli(capsys, "hashes", "--update")
    assert code == 0 and "already records every file's size and hash" in out
    assert (data_copy / "datapackage.json").stat().st_mtime_ns == stamp  # not rewritten
    assert cli(capsys, "hashes", "--check")[0] == 0


def test_hashes_update_adds_a_missing_record_after_path(data_copy):
    raw = descriptor(data_copy)
    for r in raw["resources"]:
        r.pop("hash"), r.pop("bytes")
    (data_copy / "datapackage.json").write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert refresh_hashes(data_copy) == NAMES
    assert (data_copy / "datapackage.json").read_bytes() == (DATA / "datapackage.json").read_bytes()


def test_hashes_update_refuses_while_the_data_is_invalid(data_copy, capsys):
    """Only a state that passes validation is recorded as the curated one."""
    edit_note(data_copy, "timeline", ",diplomatic,", ",diplomacy,")
    before = snapshot(data_copy)
    code, _, err = cli(capsys, "hashes", "--update")
    assert code == 1
    assert re.search(r'timeline\.csv, row \d+, field "category": unknown value \'diplomacy\'', err), err
    assert "fix these first; datapackage.json was not changed" in err
    assert snapshot(data_copy) == before


def test_hashes_update_refuses_a_missing_file(data_copy, capsys):
    (data_copy / "pledges.csv").unlink()
    before = snapshot(data_copy)
    code, _, err = cli(capsys, "hashes", "--update")
    assert code == 1 and "pledges.csv: file not found" in err
    assert snapshot(data_copy) == before
    with pytest.raises(hm.DataError, match="pledges.csv: file not found"):
        refresh_hashes(data_copy)
    assert snapshot(data_copy) == before
