"""The report pipeline: run the parameterised notebooks with papermill and publish them together.

A run plans every report and checks every parameter before any kernel starts, executes the
notebooks in parallel, renders each (clean notebook, HTML without code, figures) into a staging
folder beside the output folder, and swaps that folder into place only when every report
succeeded. A failed or interrupted run leaves the previous reports exactly as they were.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from .parallel import parallel_map
from .params import ParameterError, available_notebooks, check_types, check_values, notebook_parameters, notebook_path
from .paths import notebooks_dir

MANIFEST = "manifest.json"


class ReportError(RuntimeError):
    """A report run failed; the message names the notebook and, where known, the cell."""


@dataclass
class Plan:
    """One report to produce: its notebook, the parameters asked for, and what they resolve to."""

    name: str
    given: dict
    resolved: dict = field(default_factory=dict)


# ---------------------------------------------------------------- planning

def _yaml_without_dates(text: str):
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    # Dates stay strings: the notebooks take "YYYY-MM-DD" text, never date objects.
    Loader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return yaml.load(text, Loader=Loader)


def read_params_file(path: str | Path, names: list[str]) -> dict[str, dict]:
    """Read a YAML parameters file into {notebook: {parameter: value}}.

    Top-level keys that are parameter names apply to every notebook that declares them; top-level
    keys that are notebook names hold parameters for that notebook only.
    """
    path = Path(path)
    try:
        data = _yaml_without_dates(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParameterError(str(path), None, "parameters file not found") from None
    except Exception as exc:  # yaml errors carry their own position
        raise ParameterError(str(path), None, f"not a valid YAML parameters file: {exc}") from None
    if data is None:
        return {n: {} for n in names}
    if not isinstance(data, dict):
        raise ParameterError(str(path), None, "a parameters file must be a mapping of names to values")
    declared = {n: notebook_parameters(n) for n in available_notebooks()}
    out: dict[str, dict] = {n: {} for n in names}
    for key, value in data.items():
        if key in declared:
            if not isinstance(value, dict):
                raise ParameterError(key, None, f"in {path.name}, the section for notebook {key!r} must be a mapping of parameters")
            if key in out:
                out[key].update(value)
        elif any(key in params for params in declared.values()):
            for n in names:
                if key in declared[n]:
                    out[n].setdefault(key, value)
        else:
            raise ParameterError(str(path), str(key), "is neither a report notebook nor a parameter of any; notebooks: " + ", ".join(declared))
    return out


def plan_reports(only: list[str] | None = None, as_of: str | None = None, params_file: str | None = None,
                 *, today: dt.date | None = None) -> list[Plan]:
    """Decide which reports to run with which parameters, and check them all (no kernel starts).

    ``as_of`` sets the parameter ``as_of`` of every notebook that has one, and ``end`` of those that
    have no ``as_of`` (the timeline then stops on that date).
    """
    names = list(dict.fromkeys(only)) if only else available_notebooks()
    for name in names:
        notebook_path(name)  # refuses unknown names and anything path-like
    from_file = read_params_file(params_file, names) if params_file else {n: {} for n in names}
    plans = []
    for name in names:
        declared = notebook_parameters(name)
        given = dict(from_file.get(name, {}))
        if as_of is not None:
            target = "as_of" if "as_of" in declared else ("end" if "end" in declared else None)
            if target:
                given[target] = as_of
        typed = check_types(name, given)
        resolved = check_values(name, typed, today=today)
        plans.append(Plan(name, given, {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in resolved.items()}))
    return plans


# ---------------------------------------------------------------- executing one report

def build_report(plan: Plan, *, staging: str, data_version: str) -> dict:
    """Execute one notebook and write its notebook, HTML and figures into ``staging``.

    Returns the report's index entry. Raises ReportError naming the notebook and cell on failure.
    """
    from . import render
    from .execute import NotebookFailed, run_notebook

    try:
        nb = run_notebook(notebook_path(plan.name), plan.given, notebooks_dir(), plan.name)
    except NotebookFailed as exc:
        raise ReportError(str(exc)) from None
    out = Path(staging)
    nb = render.clean_notebook(nb, plan.given)
    title = render.notebook_title(nb, plan.name)
    (out / f"{plan.name}.ipynb").write_bytes(render.notebook_bytes(nb))
    fig_dir = out / "figures" / plan.name
    shutil.rmtree(fig_dir, ignore_errors=True)
    figures = render.figures_of(nb)
    if figures:
        fig_dir.mkdir(parents=True)
    for file_name, data in figures:
        (fig_dir / file_name).write_bytes(data)
    params = ", ".join(f"{k} = {v}" for k, v in sorted(plan.resolved.items())) or "defaults"
    footer = f"Generated by haiti-mission from notebook {plan.name}.ipynb with {params}; data version {data_version}."
    (out / f"{plan.name}.html").write_bytes(render.to_html(nb, title, footer))
    return {
        "name": plan.name, "title": title, "html": f"{plan.name}.html", "notebook": f"{plan.name}.ipynb",
        "figures": [f"figures/{plan.name}/{f}" for f, _ in figures],
        "given": plan.given, "resolved": plan.resolved, "data_version": data_version,
    }


# ---------------------------------------------------------------- publishing atomically

def _staging_name(out: Path, kind: str, pid: int) -> Path:
    return out.parent / f".{out.name}.{kind}-{pid}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(out: Path) -> None:
    """Clean up after a run that was killed: restore a half-swapped folder, remove stale staging."""
    for kind in ("previous", "staging"):
        for stale in sorted(out.parent.glob(f".{out.name}.{kind}-*")):
            try:
                pid = int(stale.name.rsplit("-", 1)[1])
            except ValueError:
                continue
            if pid == os.getpid() or _pid_alive(pid):
                continue
            if kind == "previous" and not out.exists():
                stale.rename(out)  # killed between the two renames of a swap
            else:
                shutil.rmtree(stale, ignore_errors=True)


def _prepare_staging(out: Path) -> Path:
    staging = _staging_name(out, "staging", os.getpid())
    shutil.rmtree(staging, ignore_errors=True)
    try:
        if out.exists():
            shutil.copytree(out, staging, symlinks=True)
        else:
            staging.mkdir(parents=True)
        probe = staging / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ReportError(f"cannot write reports next to {out}: {exc.strerror or exc}") from None
    if not os.access(out.parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        shutil.rmtree(staging, ignore_errors=True)
        raise ReportError(f"output folder {out} is not writable")
    return staging


def _swap_into_place(staging: Path, out: Path) -> None:
    previous = _staging_name(out, "previous", os.getpid())
    if out.exists():
        out.rename(previous)
    staging.rename(out)
    shutil.rmtree(previous, ignore_errors=True)


def _read_manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {"reports": {}}


def _write_index(staging: Path, entries: dict, data_version: str) -> None:
    from . import __version__, render

    manifest = {"data_version": data_version, "reports": dict(sorted(entries.items()))}
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    (staging / "index.html").write_bytes(render.index_html(list(entries.values()), data_version, __version__))


# ---------------------------------------------------------------- the run

def run_reports(plans: list[Plan], out: str | Path, jobs: int | None = None, progress: bool = True) -> list[dict]:
    """Produce every planned report into ``out``, all or nothing. Returns their index entries."""
    from .integrity import data_version
    from .loading import load
    from .schema import read_package

    out = Path(out).resolve()
    for name in read_package().resource_names:
        load(name)  # refuse invalid data before a kernel starts
    version = data_version()
    recover(out)
    staging = _prepare_staging(out)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(plans)))
    try:
        _preload()
        built = parallel_map(partial(build_report, staging=str(staging), data_version=version), plans, jobs, progress, "reports")
        entries = {e["name"]: e for e in built}
        kept = {k: v for k, v in _read_manifest(staging)["reports"].items() if (staging / v["html"]).exists()}
        kept.update(entries)
        _write_index(staging, kept, version)
        _swap_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [entries[p.name] for p in plans]


def _preload() -> None:
    """Import the heavy parts once, before workers fork, so no worker imports them again."""
    import nbconvert  # noqa: F401
    import papermill  # noqa: F401

    from . import render

    render._exporter()
