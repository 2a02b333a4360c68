"""What a descriptor may say beyond its fields: nothing that would be fetched, the one way the
package reads a file, and the structure ``load()`` relies on.

- Nothing is fetched. Frictionless would open a URL (or another file) given as a profile, a
  ``$schema``, a dialect, a schema or a resource path; validation refuses each, so neither the
  package nor Frictionless ever reads the network or a file the descriptor points at.
- One way of reading. The package reads comma-separated UTF-8 files with one header row and
  ``""`` as the only missing value; a dialect, encoding, format or ``missingValues`` that says
  otherwise would make Frictionless read the file differently, so it is refused.
- The structure ``load()`` relies on: a ``sources`` table (``source_id``, a ``published`` date and
  its ``published_precision``) that dates every row of every other table through a ``source_id``
  foreign key, and a ``date`` field, where a table has one, of type date.
"""
from __future__ import annotations

import re

from ..errors import Problem, brief
from ..paths import DESCRIPTOR

SOURCES = "sources"
PRECISIONS = ("day", "month", "year")
PACKAGE_PROFILES = ("data-package", "tabular-data-package")
RESOURCE_PROFILES = ("data-resource", "tabular-data-resource")
# Keys Frictionless resolves by reading something else (a URL or a file), or data the package
# would not read: refused wherever they appear.
_FETCHED = {"$schema": "a JSON Schema", "profiles": "profiles"}
_NOT_READ = {
    "url": "a URL to read the data from: nothing is fetched; the data is the file at path",
    "data": "inline data: a resource is a CSV file in the data folder",
    "extrapaths": "more files for one resource: a resource is one CSV file",
    "innerpath": "a file inside an archive: a resource is a plain CSV file",
    "compression": "compression: a resource is a plain CSV file",
}
# The CSV dialect the package reads; a dialect may restate it, never change it.
_DIALECT = {"delimiter": (",",), "header": (True,), "quoteChar": ('"',), "doubleQuote": (True,), "skipInitialSpace": (False,),
            "lineTerminator": ("\n", "\r\n"), "headerRowCount": (1,)}
_DIALECT_OPTIONAL = {"csvddfVersion"}
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")  # anything with a scheme: https:, file:, s3:, c:


def is_url(value) -> bool:
    return isinstance(value, str) and bool(_URL.match(value))


def _not_fetched(key: str, value, fix: str) -> str:
    return f"{key} {brief(value)} is not fetched: {fix}"


def _text_problems(spec: dict, where: str) -> list[Problem]:
    return [Problem(where, None, None, f"{key} must be text, not {brief(spec[key])}")
            for key in ("name", "title", "description", "version") if key in spec and not isinstance(spec[key], str)]


def package_problems(raw: dict, where: str) -> list[Problem]:
    """The top level of the descriptor: its profile and its text."""
    out = _text_problems(raw, where)
    profile = raw.get("profile")
    if profile is not None and profile not in PACKAGE_PROFILES:
        out.append(Problem(where, None, None, _not_fetched("profile", profile, f"the package takes the profile names {' or '.join(PACKAGE_PROFILES)} only")))
    for key, what in _FETCHED.items():
        if key in raw:
            out.append(Problem(where, None, None, _not_fetched(key, raw[key], f"{what} named in the descriptor is never read; remove it")))
    return out


def resource_problems(spec: dict, where: str) -> list[Problem]:
    """One resource: what would be fetched or read some other way than the package reads it."""
    out = _text_problems({k: v for k, v in spec.items() if k != "name"}, where)
    profile = spec.get("profile")
    if profile is not None and profile not in RESOURCE_PROFILES:
        out.append(Problem(where, None, None, _not_fetched("profile", profile, f"a resource takes the profile names {' or '.join(RESOURCE_PROFILES)} only")))
    for key, what in _FETCHED.items():
        if key in spec:
            out.append(Problem(where, None, None, _not_fetched(key, spec[key], f"{what} named in the descriptor is never read; remove it")))
    for key, what in _NOT_READ.items():
        if key in spec:
            out.append(Problem(where, None, None, f"{key} is not supported: {what}"))
    schema = spec.get("schema")
    if isinstance(schema, str):
        out.append(Problem(where, None, None, _not_fetched("schema", schema, "write the schema inline, as an object with a fields list")))
    elif isinstance(schema, dict):
        if "$schema" in schema or "profile" in schema:
            out.append(Problem(where, None, None, "the schema's $schema or profile is not fetched; remove it"))
        if schema.get("missingValues", [""]) != [""]:
            out.append(Problem(where, None, None, f"missingValues {brief(schema['missingValues'])} is not supported: an empty cell is the only missing value"))
    dialect = spec.get("dialect")
    if isinstance(dialect, str):
        out.append(Problem(where, None, None, _not_fetched("dialect", dialect, "write the dialect inline, or leave it out")))
    elif isinstance(dialect, dict):
        for key, value in dialect.items():
            if key in _DIALECT_OPTIONAL:
                continue
            if key not in _DIALECT or value not in _DIALECT[key] or isinstance(value, bool) != isinstance(_DIALECT[key][0], bool):
                out.append(Problem(where, None, None, f"dialect {key} {brief(value)} is not supported: the package reads "
                                                      "comma-separated files with one header row and double quotes"))
    elif dialect is not None:
        out.append(Problem(where, None, None, "dialect must be an object"))
    encoding = spec.get("encoding")
    if encoding is not None and (not isinstance(encoding, str) or encoding.lower().replace("-", "") != "utf8"):
        out.append(Problem(where, None, None, f"encoding {brief(encoding)} is not supported: the package reads UTF-8 files only"))
    for key, allowed in (("format", "csv"), ("mediatype", "text/csv"), ("scheme", "file")):
        if key in spec and spec[key] != allowed:
            out.append(Problem(where, None, None, f"{key} {brief(spec[key])} is not supported: resources are CSV files ({key} {allowed!r})"))
    return out


def path_problem(path) -> str | None:
    """Why a resource path is not a plain file name inside the data folder, or None."""
    if is_url(path):
        return f"resource path {brief(path)} is a URL: nothing is fetched; a resource must be a file inside the data folder"
    if not isinstance(path, str) or not path or path.startswith("/") or "\\" in path or ".." in path.split("/"):
        return f"resource path {brief(path)} must be a relative file name inside the data folder"
    if path == DESCRIPTOR:
        return f"resource path {path!r} is the descriptor itself"
    return None


def structure_problems(resources: list, where: str) -> list[Problem]:
    """What ``load()`` relies on: a sources table that dates every row (see the module docstring)."""
    out = []
    by_name = {r.name: r for r in resources}
    sources = by_name.get(SOURCES)
    if sources is None:
        return [Problem(where, None, None, f"the package needs a resource named {SOURCES!r}: every row is dated by its source")]
    swhere = f"{where} (resource {SOURCES!r})"
    wanted = {"source_id": "string", "published": "date", "published_precision": "string"}
    fields = {f.name: f for f in sources.fields}
    for name, ftype in wanted.items():
        if name not in fields or fields[name].type != ftype:
            out.append(Problem(swhere, None, name, f"must be a{'n' if ftype[0] in 'aeiou' else ''} {ftype} field: load() dates every row by it"))
    if sources.primary_key != ("source_id",):
        out.append(Problem(swhere, None, "source_id", "must be the primary key of sources"))
    for resource in resources:
        rwhere = f"{where} (resource {resource.name!r})"
        names = {f.name: f for f in resource.fields}
        for name in ("published_precision", "date_precision"):
            fld = names.get(name)
            if fld is not None and (fld.enum is None or not set(fld.enum) <= set(PRECISIONS)):
                out.append(Problem(rwhere, None, name, f"must be an enum of {', '.join(PRECISIONS)}: dates are shown at these precisions"))
        if "date" in names and names["date"].type != "date":
            out.append(Problem(rwhere, None, "date", "must be a date field: load(as_of=...) compares it with a date"))
        if resource.name == SOURCES:
            continue
        links = [fk for fk in resource.foreign_keys if fk.fields == ("source_id",) and fk.resource == SOURCES and fk.reference_fields == ("source_id",)]
        if "source_id" not in names or not links:
            out.append(Problem(rwhere, None, "source_id", "every dataset needs a source_id field with a foreign key to sources.source_id: "
                                                          "load() dates each row by its source"))
    return out
