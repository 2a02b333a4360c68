"""Shared fixtures: the real data folder, and temporary copies of it to break on purpose; the
hypothesis profiles of the property-based tests (tests/test_fuzz.py)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"

# Profiles for tests/test_fuzz.py, whose targets each run a share of 10 x max_examples cases:
#   ci     the default (make test, CI): 10,000 cases, the same on every run, nothing stored;
#   quick  make check: 1,000;
#   long   a local search for new failures: 100,000 random cases, failures kept in .hypothesis/.
# Choose with `pytest --hypothesis-profile=NAME` or HAITI_MISSION_FUZZ_PROFILE=NAME.
_RELAXED = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("ci", max_examples=1000, deadline=None, database=None, derandomize=True, suppress_health_check=_RELAXED)
settings.register_profile("quick", settings.get_profile("ci"), max_examples=100)
settings.register_profile("long", max_examples=10_000, deadline=None, suppress_health_check=_RELAXED)
settings.load_profile(os.environ.get("HAITI_MISSION_FUZZ_PROFILE", "ci"))


@pytest.fixture
def data_copy(tmp_path, monkeypatch) -> Path:
    """A fresh copy of data/ that the package reads instead of the real one (HAITI_MISSION_DATA)."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    monkeypatch.setenv("HAITI_MISSION_DATA", str(target))
    return target


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes, to prove nothing was written or changed."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def report_snapshot(folder: Path, inputs: bool = True) -> dict:
    """The reports in ``folder`` as a build produces them: every file's bytes, except that the
    manifest is compared without what it says of how each report was obtained (executed here,
    reused there), and a built archive (reports/archive, never committed) and the reference
    (reports/reference, written by `haiti-mission docs`, not by a reports run) are left out.
    ``inputs=False`` leaves out the recorded inputs too (they name the package's code)."""
    import json

    files = {k: v for k, v in snapshot(folder).items() if not k.startswith(("archive/", "reference/"))}
    for name in [k for k in files if k == "manifest.json" or k.endswith("/manifest.json")]:
        manifest = json.loads(files[name])
        for entry in manifest.get("reports", {}).values():
            entry.pop("build", None)
            if not inputs:
                entry.pop("inputs", None)
        files[name] = manifest
    return files
