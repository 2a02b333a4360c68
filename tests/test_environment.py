"""environment.yml (for conda users), pyproject.toml (for pip) and requirements.lock agree.

The versions that shape notebook outputs are pinned exactly; a conda user and a pip user must get
the same ones, or the committed outputs stop matching what their notebooks print.
"""
from __future__ import annotations

import re
import tomllib

import yaml
from conftest import ROOT

# conda-forge names the packages we depend on exactly as PyPI does (after normalisation); a
# package whose conda name differs would be listed here as {pip name: conda name}.
CONDA_NAME = {}


def normalise(name: str) -> str:
    """Return a package name in PEP 503 normal form (lower case, runs of -_. as one dash)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_pins(specs: list[str], operator: str, where: str) -> dict[str, str]:
    """Return {normalised name: version} for requirement strings pinned with ``operator``."""
    pins = {}
    for spec in specs:
        match = re.fullmatch(rf"([A-Za-z0-9][A-Za-z0-9._-]*)\s*{re.escape(operator)}\s*([0-9][A-Za-z0-9.+!-]*)", spec.strip())
        assert match, f"{where}: {spec!r} is not pinned exactly as name{operator}version"
        name = normalise(match.group(1))
        assert name not in pins, f"{where}: {name} is listed twice"
        pins[name] = match.group(2)
    return pins


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))


def pip_sections() -> tuple[dict[str, str], dict[str, str]]:
    """Return pyproject's (runtime, test) pins."""
    project = pyproject()["project"]
    runtime = parse_pins(project["dependencies"], "==", "pyproject.toml dependencies")
    extras = project.get("optional-dependencies", {})
    assert set(extras) == {"test"}, f"pyproject.toml extras {sorted(extras)}: environment.yml only mirrors 'test'"
    test = parse_pins(extras["test"], "==", "pyproject.toml [test]")
    return runtime, test


def conda_sections() -> tuple[dict[str, str], dict[str, str], list[str], dict[str, str]]:
    """Return environment.yml's (conda pins, pip pins, other pip entries, base packages)."""
    conda_specs, pip_entries = [], None
    for entry in environment()["dependencies"]:
        if isinstance(entry, dict):
            assert set(entry) == {"pip"} and pip_entries is None, f"environment.yml: unexpected entry {entry!r}"
            pip_entries = entry["pip"]
        else:
            conda_specs.append(str(entry))
    assert pip_entries is not None, "environment.yml has no pip section (it must install the package itself)"
    base = {s.split("=")[0]: s.partition("=")[2] for s in conda_specs if s.split("=")[0] in ("python", "pip")}
    conda = parse_pins([s for s in conda_specs if s.split("=")[0] not in base], "=", "environment.yml conda dependencies")
    pip_pins = parse_pins([e for e in pip_entries if not e.startswith("-")], "==", "environment.yml pip section")
    return conda, pip_pins, [e for e in pip_entries if e.startswith("-")], base


def test_environment_yml_declares_the_same_packages_and_versions_as_pyproject():
    runtime, test = pip_sections()
    conda, pip_pins, _, _ = conda_sections()
    assert not set(runtime) & set(test), "a package is both a runtime and a test dependency"
    expected_conda = {CONDA_NAME.get(name, name): version for name, version in runtime.items()}
    assert conda == expected_conda, "environment.yml's conda dependencies differ from pyproject.toml's dependencies"
    assert pip_pins == test, "environment.yml's pip section differs from pyproject.toml's [test] extra"


def test_environment_yml_installs_this_package_and_the_right_python():
    _, _, other, base = conda_sections()
    assert other == ["-e ."], f"environment.yml's pip section must install the package itself with '-e .', found {other}"
    assert "pip" in base
    python = base.get("python")
    requires = pyproject()["project"]["requires-python"]
    assert requires == ">=3.11" and python == "3.11", f"python={python} in environment.yml, requires-python {requires!r}"
    assert f"Programming Language :: Python :: {python}" in pyproject()["project"]["classifiers"]


def test_requirements_lock_pins_the_same_versions():
    lock = parse_pins(
        [line for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")],
        "==", "requirements.lock",
    )
    runtime, test = pip_sections()
    for name, version in {**runtime, **test}.items():
        assert lock.get(name) == version, f"requirements.lock pins {name} to {lock.get(name)}, pyproject.toml to {version}"
    assert "haiti-mission" not in lock, "the package itself does not belong in the lock file"


def test_parse_pins_refuses_loose_requirements():
    # The checks above rest on this: a range or a bare name must not pass as a pin.
    for loose in ("pandas>=3", "pandas", "pandas==3.*"):
        try:
            parse_pins([loose], "==", "here")
        except AssertionError as err:
            assert loose in str(err)
        else:
            raise AssertionError(f"{loose!r} was accepted as a pin")


def test_the_running_environment_has_the_pinned_versions():
    # The committed outputs were produced with these versions; a stale venv would fail nbval for no
    # reason a reader could see, so say which package is off.
    from importlib.metadata import PackageNotFoundError, version

    runtime, test = pip_sections()
    wrong = {}
    for name, pinned in {**runtime, **test}.items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if installed != pinned:
            wrong[name] = (pinned, installed)
    assert not wrong, "installed versions differ from the pins (pinned, installed): " + repr(wrong) + "; run `make setup`"
