"""Content hashes of the data files: the data version, and tamper evidence.

Every resource in ``datapackage.json`` records its file's size (``bytes``) and SHA-256 (``hash``,
written ``sha256:<hex>`` as Frictionless Data expects). ``validate()`` reports a file whose
content no longer matches, so an edit nobody recorded is seen; after a deliberate edit,
``haiti-mission hashes --update`` records the new values. ``load()`` does not check them: a
curator editing a CSV by hand can still load it before recording the edit.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from ..errors import DataError, Problem
from ..files import DATA_FILE_LIMIT, DESCRIPTOR_LIMIT, FileRefused, file_problem, read_regular, write_atomic
from ..paths import DESCRIPTOR, data_dir, display_path
from .csvfile import refusal_text
from .descriptor import Package, Resource, read_package

HASH_PREFIX = "sha256:"
HASH_PATTERN = re.compile(r"sha256:[0-9a-f]{64}")
REFRESH_COMMAND = "haiti-mission hashes --update"


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_record(data: bytes) -> dict:
    """Return what the descriptor records for a file with content ``data``: its bytes and hash."""
    return {"bytes": len(data), "hash": HASH_PREFIX + file_sha256(data)}


def data_version(package: Package | None = None) -> str:
    """Return '<descriptor version>+<first 12 hex of a hash over every resource file>'.

    Raises DataError naming the file when a data file cannot be read (missing, too large, not a
    regular file).
    """
    package = package or read_package()
    digest = hashlib.sha256()
    for resource in sorted(package.resources, key=lambda r: r.name):
        digest.update(resource.name.encode() + b"\0")
        path = package.file_of(resource)
        try:
            digest.update(read_regular(path, DATA_FILE_LIMIT, "data file"))
        except (FileRefused, OSError) as exc:
            raise DataError([Problem(display_path(path), None, None, str(exc) if isinstance(exc, FileRefused) else (exc.strerror or str(exc)))]) from None
    return f"{package.version}+{digest.hexdigest()[:12]}"


def refresh_command(package: Package) -> str:
    """The command that records the files' sizes and hashes for ``package``'s folder."""
    if package.folder.resolve() == data_dir():
        return REFRESH_COMMAND
    return f"{REFRESH_COMMAND} --data-dir {display_path(package.folder)}"


def _recorded_problem(resource: Resource, command: str) -> str | None:
    """Why the descriptor's record of ``resource`` is missing or malformed, or None."""
    if resource.hash is None or resource.bytes is None:
        missing = " and ".join(k for k, v in (("hash", resource.hash), ("bytes", resource.bytes)) if v is None)
        return f"{DESCRIPTOR} records no {missing} for this file (resource {resource.name!r}); run `{command}`"
    if not isinstance(resource.hash, str) or not HASH_PATTERN.fullmatch(resource.hash):
        return (f"{DESCRIPTOR} records hash {resource.hash!r} for resource {resource.name!r}; it must be 'sha256:' "
                f"followed by 64 lower-case hex digits; run `{command}`")
    if not isinstance(resource.bytes, int) or isinstance(resource.bytes, bool) or resource.bytes < 0:
        return f"{DESCRIPTOR} records bytes {resource.bytes!r} for resource {resource.name!r}; it must be a whole number of bytes; run `{command}`"
    return None


def file_problems(package: Package) -> list[Problem]:
    """One problem per resource whose file cannot be checked: missing, not a regular file, or
    leading outside the data folder."""
    problems = []
    for resource in package.resources:
        path = package.file_of(resource)
        if not package.holds(path):
            problems.append(Problem(display_path(path), None, None, "leads outside the data folder (a symbolic link?); a resource must be a file inside it"))
        elif (why := file_problem(path)) is not None:
            problems.append(Problem(display_path(path), None, None, refusal_text(why)))
    return problems


def hash_problems(package: Package, *, absent_too: bool = False) -> list[Problem]:
    """Compare each resource file with the size and hash its descriptor records.

    Returns one problem per file that changed without its descriptor, or whose record is missing
    or malformed. A file that is missing, not a regular file or outside the data folder is left to
    the table checks, unless ``absent_too`` (``hashes --check``): then it is a problem too.
    """
    problems = file_problems(package) if absent_too else []
    unreadable = {p.file for p in file_problems(package)}
    command = refresh_command(package)
    for resource in package.resources:
        path = package.file_of(resource)
        where = display_path(path)
        if where in unreadable:
            continue
        why = _recorded_problem(resource, command)
        if why:
            problems.append(Problem(where, None, None, why))
            continue
        try:
            actual = file_record(read_regular(path, DATA_FILE_LIMIT, "data file"))
        except FileRefused as exc:  # beyond the size limit: the table checks say so too
            if absent_too:
                problems.append(Problem(where, None, None, refusal_text(str(exc))))
            continue
        if actual == {"bytes": resource.bytes, "hash": resource.hash}:
            continue
        problems.append(Problem(where, None, None, (
            f"file changed without its descriptor: {DESCRIPTOR} records {resource.bytes} bytes and "
            f"{resource.hash[:len(HASH_PREFIX) + 12]}…, the file has {actual['bytes']} bytes and "
            f"{actual['hash'][:len(HASH_PREFIX) + 12]}…; if the change was deliberate, run `{command}`"
        )))
    return problems


def _with_record(spec: dict, record: dict) -> dict:
    """Return a resource descriptor with ``record`` set: existing keys keep their place, new keys
    go right after ``path``."""
    if all(k in spec for k in record):
        return {k: record.get(k, v) for k, v in spec.items()}
    out = {}
    for key, value in spec.items():
        if key in record:
            continue
        out[key] = value
        if key == "path":
            out.update(record)
    if not all(k in out for k in record):
        out.update(record)
    return out


def descriptor_text(raw: dict) -> str:
    """Serialise a descriptor the way the project keeps it: indent 2, UTF-8 as is, final newline."""
    return json.dumps(raw, indent=2, ensure_ascii=False) + "\n"


def refresh_hashes(folder: Path | str | None = None) -> list[str]:
    """Record each resource file's current size and hash in ``datapackage.json``.

    Returns the names of the resources whose record changed; the descriptor is rewritten
    atomically (``files.write_atomic``), and only when something changed. Raises DataError when a
    file is missing, WriteError (one line, nothing written) when the descriptor cannot be written.
    """
    package = read_package(folder)
    descriptor = package.folder / DESCRIPTOR
    missing = file_problems(package)
    if missing:
        raise DataError(missing)
    raw = json.loads(read_regular(descriptor, DESCRIPTOR_LIMIT, "descriptor").decode("utf-8"))
    changed = []
    specs = []
    for spec in raw["resources"]:
        resource = package.resource(spec["name"])
        record = file_record(read_regular(package.file_of(resource), DATA_FILE_LIMIT, "data file"))
        new = _with_record(spec, record)
        if new != spec or list(new) != list(spec):
            changed.append(resource.name)
        specs.append(new)
    if changed:
        raw["resources"] = specs
        data_files = {f"the data file of resource {r.name!r}": package.file_of(r) for r in package.resources}
        write_atomic(descriptor, descriptor_text(raw).encode("utf-8"), protected=data_files)
    return changed
