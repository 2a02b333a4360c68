"""Plan a report run: which notebooks, with which parameters, all checked before any kernel starts.

Parameters come from the command line (``--as-of``), a YAML parameters file and each notebook's
declared defaults; every value is checked against the notebook's ``parameters`` cell here, so a
bad value is refused naming the notebook and the parameter before anything runs.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ReportError
from ..notebook.parameters import (
    ParameterError,
    available_notebooks,
    check_types,
    check_values,
    notebook_parameters,
    notebook_path,
)
from ..notebook.parameters_file import read_parameters_yaml
from ..paths import display_path, notebooks_dir


@dataclass
class Plan:
    """One report to produce: its notebook, the parameters asked for, and what they resolve to."""

    name: str
    given: dict
    resolved: dict = field(default_factory=dict)


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
    data = read_parameters_yaml(path)  # safe reading: size limit, no aliases, errors name the file
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


# The parameter a report's date (--as-of) sets, in order of preference.
DATE_PARAMETERS = ("as_of", "end", "until")


def requested_reports(only: list[str] | None = None, as_of: str | None = None, params_file: str | None = None) -> list[Plan]:
    """Which reports to run with which parameters asked, names and types checked (no data read).

    ``as_of`` sets the parameter ``as_of`` of every notebook that has one, ``end`` of those that
    have no ``as_of`` (the timeline then stops on that date), and ``until`` of those that have
    neither (the changes report then ends on that date). ``resolved`` is left empty.
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
            target = next((p for p in DATE_PARAMETERS if p in declared), None)
            if target:
                given[target] = as_of
        check_types(name, given)
        plans.append(Plan(name, given))
    return plans


def resolve(plans: list[Plan], *, today: dt.date | None = None) -> list[Plan]:
    """Check what each plan's parameters mean (dates, areas, ...) and fill in ``resolved``."""
    out = []
    for plan in plans:
        resolved = check_values(plan.name, check_types(plan.name, plan.given), today=today)
        out.append(Plan(plan.name, plan.given, {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in resolved.items()}))
    return out


def plan_reports(only: list[str] | None = None, as_of: str | None = None, params_file: str | None = None,
                 *, today: dt.date | None = None) -> list[Plan]:
    """Decide which reports to run with which parameters, and check them all (no kernel starts)."""
    return resolve(requested_reports(only, as_of, params_file), today=today)
