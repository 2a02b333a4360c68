"""The report pipeline: run the parameterised notebooks with papermill and publish them together.

A run plans every report and checks every parameter before any kernel starts, executes the
notebooks in parallel, renders each (clean notebook, HTML without code, figures) into a staging
folder beside the output folder, and swaps that folder into place only when every report
succeeded. A failed or interrupted run leaves the previous reports exactly as they were; a run
that is killed leaves only its staging folder (with its kernels' files), which the next run removes.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from .parallel import parallel_map
from .params import REPORT_NAME, ParameterError, available_notebooks, check_types, check_values, notebook_parameters, notebook_path
from .paths import display_path, notebooks_dir

MANIFEST = "manifest.json"
# Inside the staging folder: each notebook's kernel log and connection file; never published.
WORK = ".hm-work"
REPORT_FIGURE = re.compile(r"figures/[A-Za-z0-9][A-Za-z0-9_-]*/figure-[0-9]+\.(svg|png)")


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
    _remove(fig_dir)
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


def _remove(path: Path) -> None:
    """Remove a folder tree we created, even where a read-only subfolder is in the way."""
    def retry(func, name, _exc):
        try:
            os.chmod(os.path.dirname(name), 0o700)
            func(name)
        except OSError:
            pass

    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path, **({"onexc": retry} if sys.version_info >= (3, 12) else {"onerror": retry}))


def _lock(folder: Path) -> int:
    """Lock ``folder`` for this run; the lock ends with the process, however it ends."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def _in_use(folder: Path) -> bool:
    """Whether a running process (a run, or one of its workers) holds ``folder``'s lock."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def end_processes_using(folder: Path, grace: float = 3.0) -> None:
    """End the processes whose command line names a file in ``folder``: the kernels of a run that
    was stopped (their connection files live in its work folder). A kernel that outlived its run
    could otherwise write into the folder while it is being removed."""
    try:
        import psutil  # installed with ipykernel
    except ImportError:
        return
    marker = str(folder) + os.sep
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if proc.pid != os.getpid() and any(marker in arg for arg in proc.info["cmdline"] or ()):
                found.append(proc)
        except psutil.Error:
            continue
    for proc in found:
        try:
            proc.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(found, timeout=grace)
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=1.0)


def _discard(staging: Path) -> None:
    """Remove a staging folder after its kernels are gone."""
    end_processes_using(staging)
    _remove(staging)


def recover(out: Path) -> None:
    """Clean up after a run that was killed: restore a half-swapped folder, remove stale staging.

    A staging folder is stale when no process holds its lock any more (a killed run's lock ends
    with it, even when its process id has been reused); a half-swapped folder, when its run's
    process is gone.
    """
    for kind in ("previous", "staging"):
        for stale in sorted(out.parent.glob(f".{out.name}.{kind}-*")):
            try:
                pid = int(stale.name.rsplit("-", 1)[1])
            except ValueError:
                continue
            if pid == os.getpid():
                continue
            if kind == "staging" and _in_use(stale):
                continue
            if kind == "previous" and _pid_alive(pid):
                continue
            if kind == "previous" and not out.exists():
                stale.rename(out)  # killed between the two renames of a swap
            else:
                _discard(stale)


def _writable(folder: Path) -> bool:
    if os.access in os.supports_effective_ids:
        return os.access(folder, os.W_OK | os.X_OK, effective_ids=True)
    return os.access(folder, os.W_OK | os.X_OK)


def check_output_folder(out: Path) -> None:
    """Refuse an output folder that is not one: a file, the project's own folders, a read-only tree."""
    from .paths import data_dir, project_root

    if out.exists() and not out.is_dir():
        raise ReportError(f"output folder {out} is a file, not a folder")
    protected = {"the data": data_dir(), "the notebooks": notebooks_dir(), "the project": project_root(), "your home folder": Path.home()}
    for what, folder in protected.items():
        if folder is not None and folder.resolve().is_relative_to(out):
            raise ReportError(f"refusing to write reports to {out}: it is or holds {what} ({folder}); the run replaces the whole folder, so give it a folder of its own")
    if out.parent == out:
        raise ReportError(f"refusing to write reports to {out}: choose a folder of its own")
    if out.exists():
        for folder, _, _ in os.walk(out):
            if not _writable(Path(folder)):
                which = "" if Path(folder) == out else f" (its subfolder {Path(folder).relative_to(out)} is read-only)"
                raise ReportError(f"output folder {out} is read-only{which}: permission denied")


def _prepare_staging(out: Path) -> tuple[Path, int]:
    """Create this run's staging folder beside ``out``, locked, holding a copy of ``out``.

    Returns the folder and the lock's file descriptor.
    """
    staging = _staging_name(out, "staging", os.getpid())
    _remove(staging)
    try:
        staging.mkdir(parents=True)
    except OSError as exc:
        raise ReportError(f"cannot write reports to {out}: cannot create a folder in {out.parent} ({exc.strerror or exc})") from None
    lock = _lock(staging)
    try:
        if out.exists():
            shutil.copytree(out, staging, symlinks=True, dirs_exist_ok=True)
        probe = staging / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        _remove(staging)
        os.close(lock)
        raise ReportError(f"cannot write reports to {out}: {exc.strerror or exc}") from None
    return staging, lock


def _swap_into_place(staging: Path, out: Path) -> None:
    previous = _staging_name(out, "previous", os.getpid())
    if out.exists():
        out.rename(previous)
    try:
        staging.rename(out)
    except BaseException:
        if previous.exists() and not out.exists():
            previous.rename(out)
        raise
    _remove(previous)


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
    staging, lock = _prepare_staging(out)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(plans)))
    try:
        # Kernels take the tables validated above instead of parsing the CSV files again.
        (staging / WORK).mkdir(exist_ok=True)
        kernel_env = share_tables(staging / WORK / "tables")
        _preload()
        built = parallel_map(partial(build_report, staging=str(staging), data_version=version, kernel_env=kernel_env),
                             plans, jobs, progress, "reports")
        _remove(staging / WORK)
        entries = {e["name"]: e for e in built}
        kept = _previous_entries(staging)
        kept.update(entries)
        _write_index(staging, kept, version)
        _swap_into_place(staging, out)
    except OSError as exc:
        _discard(staging)
        raise ReportError(f"could not write the reports: {exc}") from None
    except BaseException:
        _discard(staging)
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
