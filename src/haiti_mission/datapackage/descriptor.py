"""The data package descriptor (``datapackage.json``), read into plain objects.

The descriptor is the single source of truth for every table: column names and order, types,
constraints, keys. Everything else in the package reads it from here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError, Problem, brief
from ..files import DESCRIPTOR_LIMIT, FileRefused, read_regular
from ..paths import DESCRIPTOR, data_dir, display_path
from .conventions import package_problems, path_problem, resource_problems, structure_problems
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
        raise KeyError(f"unknown dataset {brief(name)}; known datasets: {known}")

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
            problems.append(Problem(where, None, None, f"foreign key {brief(fk)} must name its fields and a reference with a resource and as many fields"))
            continue
        for name in fields:
            if name not in names:
                problems.append(Problem(where, None, name, "foreign key names a field that does not exist"))
        fks.append(ForeignKey(fields, ref["resource"], ref_fields))
    return fks


def parse_descriptor(raw: dict, folder: Path, where: str) -> Package:
    """Turn a descriptor dictionary into a Package, or raise DataError naming what is wrong."""
    problems: list[Problem] = package_problems(raw, where)
    resources = []
    if not isinstance(raw.get("resources"), list) or not raw["resources"]:
        raise DataError(problems + [Problem(where, None, None, "the descriptor has no resources list")])
    for number, spec in enumerate(raw["resources"], start=1):
        if not isinstance(spec, dict):
            problems.append(Problem(where, None, None, f"resource {number} must be an object with a name, a path and a schema, not {brief(spec)}"))
            continue
        rname = spec.get("name")
        if not isinstance(rname, str) or not rname or rname != rname.strip() or brief(rname) != repr(rname):
            problems.append(Problem(where, None, None, f"resource {number} has no name (a plain text name)"))
            continue
        rwhere = f"{where} (resource {rname!r})"
        found = resource_problems(spec, rwhere)
        path = spec.get("path")
        why = path_problem(path)
        if why:
            found.append(Problem(rwhere, None, None, why))
        schema = spec.get("schema")
        if not isinstance(schema, str) and (not isinstance(schema, dict) or not isinstance(schema.get("fields"), list)):
            found.append(Problem(rwhere, None, None, "resource has no schema with a fields list"))
        if found:
            problems.extend(found)
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
    if not problems:
        problems.extend(structure_problems(resources, where))
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
    except OSError as exc:
        raise DataError([Problem(where, None, None, f"cannot be read: {exc.strerror or exc}")]) from None
    key = (str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino)
    if key in _cache:
        return _cache[key]
    package = parse_descriptor(decode_descriptor(_read(path, where), where), folder, where)
    _cache.clear()
    _cache[key] = package
    return package


def _read(path: Path, where: str) -> bytes:
    try:
        return read_regular(path, DESCRIPTOR_LIMIT, "descriptor")
    except FileRefused as exc:
        reason = str(exc) + ("; a data package holds plain files" if str(exc).startswith("is not a regular file") else "")
        raise DataError([Problem(where, None, None, reason)]) from None


def decode_descriptor(data: bytes, where: str) -> dict:
    """The descriptor's bytes as a dict (strict UTF-8). A NaN or Infinity parses, and is refused
    where it stands (a constraint must be a finite number), naming the field."""
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise DataError([Problem(where, None, None, f"not valid UTF-8 ({exc.reason} at byte {exc.start})")]) from None
    except json.JSONDecodeError as exc:
        raise DataError([Problem(where, None, None, f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")]) from None
    except ValueError as exc:  # an integer of more digits than Python converts
        raise DataError([Problem(where, None, None, f"not valid JSON: {exc}")]) from None
    except RecursionError:
        raise DataError([Problem(where, None, None, "not valid JSON: nested too deeply")]) from None
    if not isinstance(raw, dict):
        raise DataError([Problem(where, None, None, "the descriptor must be a JSON object")])
    return raw
