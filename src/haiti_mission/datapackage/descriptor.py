"""The data package descriptor (``datapackage.json``), read into plain objects.

The descriptor is the single source of truth for every table: column names and order, types,
constraints, keys. Everything else in the package reads it from here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..errors import DataError, Problem
from ..paths import DESCRIPTOR, data_dir, display_path
from .fields import Field, parse_field
from .rules import Rule, parse_rules


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str
    reference_fields: tuple[str, ...]


@dataclass(frozen=True)
class Resource:
    """One table: its name, file and schema."""

    name: str
    path: str
    title: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...]
    hash: str | None = None
    bytes: int | None = None
    licenses: tuple[dict, ...] = ()
    rules: tuple[Rule, ...] = ()

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


@dataclass(frozen=True)
class Package:
    """The whole descriptor, plus the folder it was read from."""

    folder: Path
    name: str
    title: str
    description: str
    version: str
    licenses: tuple[dict, ...]
    resources: tuple[Resource, ...]
    raw: dict = field(compare=False, hash=False, repr=False)

    def resource(self, name: str) -> Resource:
        for r in self.resources:
            if r.name == name:
                return r
        known = ", ".join(r.name for r in self.resources)
        raise KeyError(f"unknown dataset {name!r}; known datasets: {known}")

    @property
    def resource_names(self) -> list[str]:
        return [r.name for r in self.resources]

    def file_of(self, resource: Resource) -> Path:
        return self.folder / resource.path

    def holds(self, path: Path) -> bool:
        """Whether ``path``, symbolic links followed, lies inside the data folder."""
        return Path(path).resolve().is_relative_to(self.folder.resolve())


def _as_tuple(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list) else (value,)


def _names(value) -> tuple[str, ...] | None:
    """A field name or a list of field names as a tuple, or None if it is neither."""
    names = _as_tuple(value)
    return names if names and all(isinstance(n, str) and n for n in names) else None


def _safe_resource_path(path: object) -> bool:
    """A resource path must be a plain file name inside the data folder."""
    if not isinstance(path, str) or not path:
        return False
    p = PurePosixPath(path)
    return not p.is_absolute() and ".." not in p.parts and "\\" not in path and ":" not in path


def _parse_foreign_keys(schema: dict, names: list[str], where: str, problems: list[Problem]) -> list[ForeignKey]:
    specs = schema.get("foreignKeys", [])
    if not isinstance(specs, list):
        problems.append(Problem(where, None, None, "foreignKeys must be a list"))
        return []
    fks = []
    for fk in specs:
        ref = fk.get("reference") if isinstance(fk, dict) else None
        fields = _names(fk.get("fields")) if isinstance(fk, dict) else None
        ref_fields = _names(ref.get("fields")) if isinstance(ref, dict) else None
        if fields is None or ref_fields is None or not isinstance(ref.get("resource"), str) or len(fields) != len(ref_fields):
            problems.append(Problem(where, None, None, f"foreign key {fk!r} must name its fields and a reference with a resource and as many fields"))
            continue
        for name in fields:
            if name not in names:
                problems.append(Problem(where, None, name, "foreign key names a field that does not exist"))
        fks.append(ForeignKey(fields, ref["resource"], ref_fields))
    return fks


def parse_descriptor(raw: dict, folder: Path, where: str) -> Package:
    """Turn a descriptor dictionary into a Package, or raise DataError naming what is wrong."""
    problems: list[Problem] = []
    resources = []
    if not isinstance(raw.get("resources"), list) or not raw["resources"]:
        raise DataError([Problem(where, None, None, "the descriptor has no resources list")])
    for number, spec in enumerate(raw["resources"], start=1):
        if not isinstance(spec, dict):
            problems.append(Problem(where, None, None, f"resource {number} must be an object with a name, a path and a schema, not {spec!r}"))
            continue
        rname = spec.get("name")
        if not isinstance(rname, str) or not rname:
            problems.append(Problem(where, None, None, f"resource {number} has no name"))
            continue
        rwhere = f"{where} (resource {rname!r})"
        path = spec.get("path")
        if not _safe_resource_path(path):
            problems.append(Problem(rwhere, None, None, f"resource path {path!r} must be a relative file name inside the data folder"))
            continue
        schema = spec.get("schema")
        if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
            problems.append(Problem(rwhere, None, None, "resource has no schema with a fields list"))
            continue
        fields = [parse_field(f, rwhere, problems) for f in schema["fields"]]
        fields = [f for f in fields if f is not None]
        names = [f.name for f in fields]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            problems.append(Problem(rwhere, None, dup, "field is defined twice"))
        pk = _names(schema.get("primaryKey", [])) if schema.get("primaryKey", []) != [] else ()
        if pk is None:
            problems.append(Problem(rwhere, None, None, "primaryKey must be a field name or a list of field names"))
            pk = ()
        for key in pk:
            if key not in names:
                problems.append(Problem(rwhere, None, key, "primary key names a field that does not exist"))
        # A reference to resource "" is Table Schema's way to point into the same table.
        fks = [ForeignKey(fk.fields, fk.resource or rname, fk.reference_fields) for fk in _parse_foreign_keys(schema, names, rwhere, problems)]
        rules = parse_rules(schema.get("rules"), {f.name: f for f in fields}, rwhere, problems)
        licenses = spec.get("licenses", [])
        resources.append(Resource(
            name=rname, path=path, title=spec.get("title", rname), description=spec.get("description", ""),
            fields=tuple(fields), primary_key=pk, foreign_keys=tuple(fks),
            hash=spec.get("hash"), bytes=spec.get("bytes"), licenses=tuple(licenses) if isinstance(licenses, list) else (),
            rules=rules,
        ))
    names = [r.name for r in resources]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(Problem(f"{where} (resource {dup!r})", None, None, "two resources have this name"))
    by_name = {r.name: r for r in resources}
    for r in resources:
        for fk in r.foreign_keys:
            target = by_name.get(fk.resource)
            if target is None:
                problems.append(Problem(f"{where} (resource {r.name!r})", None, ",".join(fk.fields), f"foreign key refers to unknown resource {fk.resource!r}"))
                continue
            for name in fk.reference_fields:
                if name not in target.field_names:
                    problems.append(Problem(f"{where} (resource {r.name!r})", None, ",".join(fk.fields), f"foreign key refers to field {name!r}, which {fk.resource} does not have"))
    if problems:
        raise DataError(problems)
    licenses = raw.get("licenses", [])
    return Package(
        folder=folder, name=raw.get("name", ""), title=raw.get("title", ""), description=raw.get("description", ""),
        version=str(raw.get("version", "")), licenses=tuple(licenses) if isinstance(licenses, list) else (), resources=tuple(resources), raw=raw,
    )


_cache: dict[tuple, Package] = {}


def read_package(folder: Path | str | None = None) -> Package:
    """Read and parse ``datapackage.json`` from ``folder`` (default: the package's data folder)."""
    folder = Path(folder).resolve() if folder is not None else data_dir()
    path = folder / DESCRIPTOR
    where = display_path(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise DataError([Problem(where, None, None, "descriptor file not found")]) from None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key in _cache:
        return _cache[key]
    try:
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise DataError([Problem(where, None, None, f"not valid UTF-8 ({exc.reason} at byte {exc.start})")]) from None
    except json.JSONDecodeError as exc:
        raise DataError([Problem(where, None, None, f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")]) from None
    if not isinstance(raw, dict):
        raise DataError([Problem(where, None, None, "the descriptor must be a JSON object")])
    package = parse_descriptor(raw, folder, where)
    _cache.clear()
    _cache[key] = package
    return package
