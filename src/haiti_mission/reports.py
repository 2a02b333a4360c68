"""The report pipeline: run the parameterised notebooks with papermill and publish them together.

A run plans every report and checks every parameter before any kernel starts, executes the
notebooks in parallel, renders each (clean notebook, HTML without code, figures) into a staging
folder beside the output folder, and swaps that folder into place only when every report
succeeded (publish.py). A failed or interrupted run leaves the previous reports exactly as they
were; a run that is killed leaves only its staging folder, which the next run removes.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from .errors import ReportError
from .parallel import parallel_map
from .publish import check_output_folder, discard, prepare_staging, recover, remove_tree, swap_into_place
from .params import REPORT_NAME, ParameterError, available_notebooks, check_types, check_values, notebook_parameters, notebook_path
from .paths import display_path, notebooks_dir

MANIFEST = "manifest.json"
# Inside the staging folder: each notebook's kernel log and connection file; never published.
WORK = ".hm-work"
REPORT_FIGURE = re.compile(r"figures/[A-Za-z0-9][A-Za-z0-9_-]*/figure-[0-9]+\.(svg|png)")


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
    if not names:
        raise ReportError(f"no report notebooks in {display_path(notebooks_dir())}; nothing to run")
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

def _inside(base: Path, *parts: str) -> Path:
    """Return ``base / parts``, refusing any result that would lie outside ``base``."""
    path = base.joinpath(*parts)
    if not path.resolve().is_relative_to(base.resolve()):
        raise ReportError(f"refusing to write {path}: it lies outside {base}")
    return path


def build_report(plan: Plan, *, staging: str, data_version: str, kernel_env: dict[str, str] | None = None) -> dict:
    """Execute one notebook and write its notebook, HTML and figures into ``staging``.

    Returns the report's index entry. Raises ReportError naming the notebook and cell on failure.
    Nothing is written outside ``staging``; kernel logs go to its work folder. ``kernel_env`` adds
    variables to the kernel's environment (the validated tables of the run).
    """
    from . import render
    from .execute import NotebookFailed, run_notebook

    out = Path(staging)
    # No parents=True anywhere below: if the staging folder is gone (the run was stopped), this
    # fails instead of bringing it back.
    work = _inside(out, WORK, plan.name)
    work.parent.mkdir(exist_ok=True)
    work.mkdir(exist_ok=True)
    try:
        nb = run_notebook(notebook_path(plan.name), plan.given, notebooks_dir(), plan.name, work_dir=work, env=kernel_env)
    except NotebookFailed as exc:
        raise ReportError(str(exc)) from None
    nb = render.clean_notebook(nb, plan.given)
    title = render.notebook_title(nb, plan.name)
    _inside(out, f"{plan.name}.ipynb").write_bytes(render.notebook_bytes(nb))
    fig_dir = _inside(out, "figures", plan.name)
    remove_tree(fig_dir)
    figures = render.figures_of(nb)
    if figures:
        fig_dir.parent.mkdir(exist_ok=True)
        fig_dir.mkdir()
    for file_name, data in figures:
        _inside(fig_dir, file_name).write_bytes(data)
    params = ", ".join(f"{k} = {v}" for k, v in sorted(plan.resolved.items())) or "defaults"
    footer = f"Generated by haiti-mission from notebook {plan.name}.ipynb with {params}; data version {data_version}."
    _inside(out, f"{plan.name}.html").write_bytes(render.to_html(nb, title, footer))
    return {
        "name": plan.name, "title": title, "html": f"{plan.name}.html", "notebook": f"{plan.name}.ipynb",
        "figures": [f"figures/{plan.name}/{f}" for f, _ in figures],
        "given": plan.given, "resolved": plan.resolved, "data_version": data_version,
    }


def _previous_entries(folder: Path) -> dict:
    """The index entries of the reports already in ``folder`` whose files are still there.

    The manifest is data from disk like any other: an entry that is malformed or names files other
    than its own report's is dropped rather than trusted.
    """
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    reports = manifest.get("reports") if isinstance(manifest, dict) else None
    if not isinstance(reports, dict):
        return {}
    kept = {}
    for name, entry in reports.items():
        if not (isinstance(name, str) and REPORT_NAME.fullmatch(name) and isinstance(entry, dict)):
            continue
        figures = entry.get("figures")
        well_formed = (
            entry.get("name") == name and entry.get("html") == f"{name}.html" and entry.get("notebook") == f"{name}.ipynb"
            and isinstance(entry.get("title"), str) and isinstance(entry.get("data_version"), str)
            and isinstance(entry.get("given"), dict) and isinstance(entry.get("resolved"), dict)
            and isinstance(figures, list) and all(isinstance(f, str) and REPORT_FIGURE.fullmatch(f) and f.startswith(f"figures/{name}/") for f in figures)
        )
        if well_formed and (folder / entry["html"]).is_file():
            kept[name] = entry
    return kept


def _write_index(staging: Path, entries: dict, data_version: str) -> None:
    from . import __version__, render

    manifest = {"data_version": data_version, "reports": dict(sorted(entries.items()))}
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    (staging / "index.html").write_bytes(render.index_html(list(entries.values()), data_version, __version__))


# ---------------------------------------------------------------- the run

def run_reports(plans: list[Plan], out: str | Path, jobs: int | None = None, progress: bool = True) -> list[dict]:
    """Produce every planned report into ``out``, all or nothing. Returns their index entries."""
    from .integrity import data_version
    from .loading import load, share_tables
    from .schema import read_package

    out = Path(out).resolve()
    for name in read_package().resource_names:
        load(name)  # refuse invalid data before a kernel starts
    version = data_version()
    check_output_folder(out)
    recover(out)
    staging, lock = prepare_staging(out)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(plans)))
    try:
        # Kernels take the tables validated above instead of parsing the CSV files again.
        (staging / WORK).mkdir(exist_ok=True)
        kernel_env = share_tables(staging / WORK / "tables")
        _preload()
        built = parallel_map(partial(build_report, staging=str(staging), data_version=version, kernel_env=kernel_env),
                             plans, jobs, progress, "reports")
        remove_tree(staging / WORK)
        entries = {e["name"]: e for e in built}
        kept = _previous_entries(staging)
        kept.update(entries)
        _write_index(staging, kept, version)
        swap_into_place(staging, out)
    except OSError as exc:
        discard(staging)
        raise ReportError(f"could not write the reports: {exc}") from None
    except BaseException:
        discard(staging)
        raise
    finally:
        os.close(lock)
    return [entries[p.name] for p in plans]


def _preload() -> None:
    """Import the heavy parts once, before workers fork, so no worker imports them again."""
    import nbconvert  # noqa: F401
    import papermill  # noqa: F401

    from . import render

    render._exporter()
