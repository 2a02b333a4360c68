"""What a report's outputs depend on, as content hashes: the reuse key of an incremental build.

A report is executed again only when one of its inputs changed: the notebook's code (code cells,
parameters cell included, compared token by token, so comments and spacing do not count), its
parameters, the data files its kernel actually read (the loader records them), the package's own
source, or the lockfile. Everything is a SHA-256 of content, never a modification time, so that a
fresh clone with committed reports reuses them. The descriptor counts by what the loading of the
files read depends on: the package's own properties and those files' resource entries, without the
size and hash it records of each file (the file's own hash already says that).

In an archive, the report for date D depends only on what was known on D: a data file counts by
its rows visible on D (source public by D, own date not later), so a source published in May 2025
changes only the dates from May 2025 on.
"""
from __future__ import annotations

import hashlib
import io
import json
import tokenize
from functools import cache
from pathlib import Path

from ..paths import _PACKAGE_DIR, DESCRIPTOR, project_root

LOCKFILE = "requirements.lock"
# Folders of an installed package that are not its code (a wheel carries the data and notebooks).
_NOT_CODE = {"__pycache__", "data", "notebooks"}


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def canonical(value) -> str:
    """JSON with sorted keys and no spacing choices: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


# ---------------------------------------------------------------- the notebook

def _tokens(source: str) -> str:
    """The code's tokens without comments and layout; the source itself if it does not tokenize
    (IPython syntax such as ``!ls``)."""
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING}
    try:
        toks = [(t.type, "" if t.type in (tokenize.INDENT, tokenize.DEDENT) else t.string)
                for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type not in skip]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return "raw:" + source
    return canonical(toks)


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return src if isinstance(src, str) else "".join(src)


def code_digest(nb: dict) -> str:
    """The code cells in order, token by token: what execution depends on in the notebook."""
    return sha256(canonical([_tokens(_source(c)) for c in nb.get("cells", []) if c.get("cell_type") == "code"]))


def notebook_digest(path: Path) -> str:
    """The notebook file as it is (prose, tags, metadata too): what its rendering depends on."""
    return sha256(path.read_bytes())


# ---------------------------------------------------------------- the package and its environment

@cache
def package_digest() -> str:
    """Every file of the package's own source (Python modules, templates), by relative path."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE_DIR.rglob("*")):
        rel = path.relative_to(_PACKAGE_DIR)
        if not path.is_file() or _NOT_CODE & set(rel.parts) or path.suffix == ".pyc":
            continue
        digest.update(rel.as_posix().encode() + b"\0" + sha256(path.read_bytes()).encode() + b"\0")
    return digest.hexdigest()


@cache
def lockfile_digest() -> str:
    """The lockfile of the checkout; for an installed package, the installed distributions."""
    root = project_root()
    if root is not None and (root / LOCKFILE).is_file():
        return sha256((root / LOCKFILE).read_bytes())
    from importlib.metadata import distributions

    return sha256("\n".join(sorted(f"{d.metadata['Name']}=={d.version}" for d in distributions())))


# ---------------------------------------------------------------- the data

def read_log(path: Path) -> dict[str, str]:
    """The data files a kernel read, from the loader's record (``frames.READS_ENV``): {path: sha256}."""
    reads = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return reads
    for line in text.splitlines():
        digest, _, name = line.partition("  ")
        if name:
            reads[name] = digest
    return reads


def _descriptor_part(raw: dict, files: set[str]) -> dict:
    """The descriptor as far as loading ``files`` depends on it (sizes and hashes left out)."""
    resources = [{k: v for k, v in r.items() if k not in ("bytes", "hash")}
                 for r in raw.get("resources", []) if isinstance(r, dict) and r.get("path") in files]
    return {"package": {k: v for k, v in raw.items() if k != "resources"}, "resources": resources}


def data_digests(files: list[str], folder: Path, as_known_on: str | None = None) -> dict[str, str]:
    """Digests of data ``files`` (names relative to the data ``folder``): each file's SHA-256, or
    with ``as_known_on`` the digest of its rows visible that day; the descriptor by its part that
    loading the other files depends on. A missing file gets "missing"."""
    out = {}
    tables = sorted(f for f in files if f != DESCRIPTOR)
    for name in tables:
        path = folder / name
        if not path.is_file():
            out[name] = "missing"
        elif as_known_on is None:
            out[name] = sha256(path.read_bytes())
        else:
            out[name] = known_rows_digest(folder, name, as_known_on)
    if DESCRIPTOR in files:
        try:
            raw = json.loads((folder / DESCRIPTOR).read_bytes())
            out[DESCRIPTOR] = sha256(canonical(_descriptor_part(raw, set(tables))))
        except (OSError, ValueError):
            out[DESCRIPTOR] = "missing"
    return out


def relative_reads(reads: dict[str, str], folder: Path) -> list[str]:
    """The read files' names relative to the data folder (absolute when outside it)."""
    names = []
    for name in reads:
        path = Path(name)
        names.append(path.relative_to(folder).as_posix() if path.is_relative_to(folder) else str(path))
    return sorted(set(names))


_visibility_cache: dict = {}


def _row_visibility(folder: Path, name: str):
    """(day each row of ``name`` becomes visible to an ``as_of`` view, a hash per row), from the loader."""
    import numpy as np
    import pandas as pd

    from ..datapackage.descriptor import read_package
    from ..datapackage.frames import known_dates, load

    path = folder / name
    key = (str(path), sha256(path.read_bytes()), sha256((folder / DESCRIPTOR).read_bytes()))
    if key not in _visibility_cache:
        package = read_package(folder)
        dataset = next(r.name for r in package.resources if r.path == name)
        frame = load(dataset, data_dir=folder)
        visible = known_dates(dataset, data_dir=folder).to_numpy(dtype="datetime64[ns]")
        if "date" in frame:
            # Seen from D, a row is there when its source is public by D and its own date is not later.
            own = frame["date"].to_numpy(dtype="datetime64[ns]")
            visible = np.maximum(visible, own)  # NaT (never visible) wins
        rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        _visibility_cache[key] = (visible, rows)
    return _visibility_cache[key]


def known_rows_digest(folder: Path, name: str, day: str) -> str:
    """A digest of the rows of data file ``name`` that an ``as_of=day`` load returns."""
    import numpy as np

    visible, rows = _row_visibility(folder, name)
    keep = ~np.isnat(visible) & (visible <= np.datetime64(day, "ns"))
    return sha256(rows[keep].tobytes())
