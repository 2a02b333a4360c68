"""Report parameters: read from each notebook's ``parameters`` cell, checked before anything runs.

A notebook's parameters cell is the single place its parameters are declared: one annotated
literal per line (``as_of: str = "latest"  # what it means``). The runner reads it to refuse
unknown names and wrong types before a kernel starts; the notebook calls ``check_parameters``
right after papermill's injected cell, so a plain ``papermill`` run is checked the same way.
A YAML parameters file is read by ``parameters_file``.
"""
from __future__ import annotations

import ast
import datetime as dt
import io
import json
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

from ..errors import ParameterError, brief
from ..paths import notebooks_dir

LATEST = "latest"
DEFAULT_SINCE = "default"  # the since parameter's value for "30 days before until"
ANNOTATIONS = {"str", "int", "float", "bool", "list[str]"}
ALL_FORCES = "all"  # the force parameter's value for "every force"


@dataclass(frozen=True)
class Parameter:
    """One declared parameter: its name, annotation, default value and one-line description."""

    name: str
    annotation: str
    default: object
    help: str


# A report's name becomes file and folder names in the output: plain names only (no hidden files,
# no separators, nothing a shell or a browser would read differently).
REPORT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


_reports: dict[tuple, bool] = {}


def is_report(path: Path) -> bool:
    """Whether the notebook at ``path`` is a report: every notebook is, unless its metadata says
    ``"haiti_mission": {"report": false}`` (a guide such as start-here, run and checked like the
    reports but never published as one). A file that cannot be read counts as a report, so the
    run that uses it says what is wrong with it. Known per file version (path, mtime, size):
    a notebook is megabytes of JSON, and every parameter check asks."""
    try:
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        if key not in _reports:
            meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
            _reports[key] = meta.get("haiti_mission", {}).get("report", True) is not False
        return _reports[key]
    except (OSError, ValueError, AttributeError):
        return True


def available_notebooks(*, reports_only: bool = True) -> list[str]:
    """Return the names of the report notebooks (file names without .ipynb), sorted; with
    ``reports_only=False``, of every committed notebook, guides included.

    Files whose names are not plain report names (hidden files, editor backups) are not notebooks
    of the package at all.
    """
    paths = [p for p in notebooks_dir().glob("*.ipynb") if REPORT_NAME.fullmatch(p.stem) and p.is_file()]
    return sorted(p.stem for p in paths if not reports_only or is_report(p))


def notebook_path(name: str, *, reports_only: bool = True) -> Path:
    """Return the path of report notebook ``name`` (with ``reports_only=False``: of any committed
    notebook), refusing names that are not plain report names."""
    known = available_notebooks(reports_only=reports_only)
    if name not in known:
        listed = ", ".join(known) or f"none (no notebooks in {notebooks_dir()})"
        raise ParameterError(name, None, f"no such report notebook; available: {listed}")
    return notebooks_dir() / f"{name}.ipynb"


def _comments(source: str) -> dict[int, str]:
    out = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            out[tok.start[0]] = tok.string.lstrip("#").strip()
    return out


def parse_parameters_cell(source: str, notebook: str) -> dict[str, Parameter]:
    """Parse a parameters cell made only of annotated literals into Parameters."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ParameterError(notebook, None, f"the parameters cell is not valid Python: {exc.msg} (line {exc.lineno})") from None
    comments = _comments(source)
    params: dict[str, Parameter] = {}
    for node in tree.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None):
            raise ParameterError(notebook, None, f"line {node.lineno} of the parameters cell is not an annotated literal like `name: str = \"value\"`")
        name = node.target.id
        annotation = ast.unparse(node.annotation)
        if annotation not in ANNOTATIONS:
            raise ParameterError(notebook, name, f"annotation {annotation!r} is not one of {', '.join(sorted(ANNOTATIONS))}")
        try:
            default = ast.literal_eval(node.value)
        except ValueError:
            raise ParameterError(notebook, name, "default value must be a literal") from None
        params[name] = Parameter(name, annotation, default, comments.get(node.lineno, ""))
    return params


_declared: dict[tuple, dict[str, Parameter]] = {}


def notebook_parameters(name: str) -> dict[str, Parameter]:
    """Return the parameters declared in the ``parameters`` cell of report notebook ``name``.

    Read once per version of the file (a notebook with its outputs is hundreds of KB of JSON)."""
    path = notebook_path(name)
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _declared:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cell = next((c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])), None)
        if cell is None:
            raise ParameterError(name, None, "the notebook has no cell tagged 'parameters'")
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        _declared[key] = parse_parameters_cell(source, name)
    return dict(_declared[key])


def _check_type(notebook: str, param: Parameter, value):
    ann = param.annotation
    ok = {
        "str": isinstance(value, str),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "list[str]": isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value),
    }[ann]
    if ann == "list[str]" and isinstance(value, str):
        # A comma-separated string is accepted so that `papermill -p categories a,b` works.
        return [v.strip() for v in value.split(",") if v.strip()]
    if not ok:
        hint = " (write dates as quoted strings, e.g. \"2024-03-01\")" if ann == "str" and isinstance(value, (int, dt.date)) else ""
        raise ParameterError(notebook, param.name, f"expected {ann}, got {type(value).__name__} {brief(value)}{hint}")
    return list(value) if ann == "list[str]" else value


def check_types(notebook: str, values: dict) -> dict:
    """Check names and types of ``values`` against the notebook's declared parameters.

    Returns the values with defaults filled in. Unknown names and wrong types raise ParameterError.
    """
    declared = notebook_parameters(notebook)
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise ParameterError(notebook, unknown[0], f"unknown parameter; this notebook's parameters are: {', '.join(declared)}")
    out = {}
    for name, param in declared.items():
        out[name] = _check_type(notebook, param, values[name]) if name in values else param.default
    return out


def _parse_date(notebook: str, name: str, value: str) -> dt.date:
    from ..datapackage.cells import DATE_RANGE, parse_date_text

    word = DEFAULT_SINCE if name == "since" else LATEST
    try:
        day = parse_date_text(value.strip(), bounded=False)
    except ValueError as exc:
        raise ParameterError(notebook, name, f"{brief(value)} {exc} (or {word!r})") from None
    if day < DATE_RANGE[0]:  # a date after today is refused as in the future
        raise ParameterError(notebook, name, f"{day.isoformat()} is before the dates the package can hold (from {DATE_RANGE[0].isoformat()})")
    return day


def latest_publication(data_dir=None) -> dt.date:
    """What "latest" means: ``datapackage.frames.latest_publication`` (imported when needed)."""
    from ..datapackage.frames import latest_publication as latest

    return latest(data_dir)


def check_values(notebook: str, values: dict, *, today: dt.date | None = None, data_dir=None) -> dict:
    """Check what the values mean (dates, areas, forces, categories); return them resolved.

    Date parameters become ``datetime.date`` ("latest" becomes the date of the newest source).
    """
    from ..datapackage.descriptor import read_package
    from ..datapackage.frames import load

    today = today or dt.date.today()
    out = dict(values)
    for name in ("as_of", "start", "end", "until", "since"):
        if name not in out:
            continue
        value = out[name]
        if name == "since" and value == DEFAULT_SINCE:
            # Thirty days before until (what hm.changes does by default).
            out[name] = out.get("until", latest_publication(data_dir)) - dt.timedelta(days=30)
            continue
        date = latest_publication(data_dir) if value == LATEST and name != "since" else _parse_date(notebook, name, value)
        if date > today:
            raise ParameterError(notebook, name, f"{date.isoformat()} is in the future (today is {today.isoformat()}); reports can only show what was known")
        out[name] = date
    for first, last in (("start", "end"), ("since", "until")):
        if first in out and last in out and out[first] > out[last]:
            raise ParameterError(notebook, first, f"{first} {out[first].isoformat()} is after {last} {out[last].isoformat()}")
    if "area" in out:
        areas = sorted(load("displacement", data_dir=data_dir)["area"].dropna().unique())
        if out["area"] not in areas:
            raise ParameterError(notebook, "area", f"unknown area {brief(out['area'])}; areas in the data: {', '.join(areas)}")
    if "force" in out:
        forces = (*read_package(data_dir).resource("pledges").field("force").enum, ALL_FORCES)
        if out["force"] not in forces:
            raise ParameterError(notebook, "force", f"unknown force {brief(out['force'])}; choose one of {', '.join(forces)}")
    if "categories" in out:
        allowed = read_package(data_dir).resource("timeline").field("category").enum
        bad = [c for c in out["categories"] if c not in allowed]
        if bad:
            raise ParameterError(notebook, "categories", f"unknown category {brief(bad[0])}; choose from {', '.join(allowed)}")
    return out


def check_parameters(notebook: str, *, today: dt.date | None = None, data_dir=None, **values) -> dict:
    """Check a report's parameter values (names, types, meaning) and return them resolved.

    Called in each notebook right after its parameters cell; raises ParameterError naming the
    notebook and the parameter on the first bad value.
    """
    return check_values(notebook, check_types(notebook, values), today=today, data_dir=data_dir)
