"""Decide, for each planned report, whether to execute it, re-render it or reuse it, and say why.

The previous run's ``manifest.json`` records each report's inputs (inputs.py); a report is reused
when they are all unchanged, re-rendered from its stored outputs when only what its pages show
around them changed (the notebook's prose, tags or comments; the data version in the footer), and
executed otherwise. The manifest is data from disk like any other: an entry that is malformed or
names files other than its own report's is dropped rather than trusted.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from ..notebook.parameters import REPORT_NAME

MANIFEST = "manifest.json"
REPORT_FIGURE = re.compile(r"figures/[A-Za-z0-9][A-Za-z0-9_-]*/figure-[0-9]+\.(svg|png)")
EXECUTED, RERENDERED, REUSED = "executed", "re-rendered", "reused"
_INPUT_KEYS = ("code", "notebook", "package", "lockfile")


def read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _well_formed(name, entry) -> bool:
    if not (isinstance(name, str) and REPORT_NAME.fullmatch(name) and isinstance(entry, dict)):
        return False
    figures = entry.get("figures")
    inputs = entry.get("inputs", {})
    return (
        entry.get("name") == name and entry.get("html") == f"{name}.html" and entry.get("notebook") == f"{name}.ipynb"
        and isinstance(entry.get("title"), str) and isinstance(entry.get("data_version"), str)
        and isinstance(entry.get("given"), dict) and isinstance(entry.get("resolved"), dict)
        and isinstance(figures, list) and all(isinstance(f, str) and REPORT_FIGURE.fullmatch(f) and f.startswith(f"figures/{name}/") for f in figures)
        and isinstance(inputs, dict) and isinstance(inputs.get("data", {}), dict)
    )


def previous_entries(folder: Path) -> dict:
    """The index entries of the reports already in ``folder`` whose files are all still there."""
    reports = read_manifest(folder).get("reports")
    if not isinstance(reports, dict):
        return {}
    kept = {}
    for name, entry in reports.items():
        if _well_formed(name, entry) and all((folder / f).is_file() for f in [entry["html"], entry["notebook"], *entry["figures"]]):
            kept[name] = entry
    return kept


def _files(names: list[str]) -> str:
    return ("data file " if len(names) == 1 else "data files ") + ", ".join(names)


def decide(previous: dict | None, current: dict, *, force: bool = False) -> tuple[str, str]:
    """Return (what to do, why) for one report.

    ``current`` holds the report's entry fields as they would be now: given, resolved,
    data_version, and inputs (code, notebook, package, lockfile, and data: the digests now of the
    files the previous run read, with data_as_known_on).
    """
    if force:
        return EXECUTED, "--force"
    if previous is None:
        return EXECUTED, "no earlier report in the output folder"
    before, now = previous.get("inputs") or {}, current["inputs"]
    if not before:
        return EXECUTED, "the earlier report records no inputs"
    why = []
    if before.get("code") != now["code"]:
        why.append("its code changed")
    for key in ("given", "resolved"):
        changed = sorted(k for k in set(previous[key]) | set(current[key]) if previous[key].get(k) != current[key].get(k))
        if changed:
            why.append(("parameter " if len(changed) == 1 else "parameters ") + ", ".join(changed) + " changed")
            break
    if before.get("data_as_known_on") != now.get("data_as_known_on"):
        why.append("the date its data is taken on changed")
    else:
        changed = sorted(f for f in before.get("data", {}) if now["data"].get(f) != before["data"][f])
        if changed:
            when = f" (as known on {now['data_as_known_on']})" if now.get("data_as_known_on") else ""
            why.append(_files(changed) + " changed" + when)
    if before.get("package") != now["package"]:
        why.append("the package's code changed")
    if before.get("lockfile") != now["lockfile"]:
        why.append("the lockfile changed")
    if why:
        return EXECUTED, "; ".join(why)
    if before.get("notebook") != now["notebook"]:
        return RERENDERED, "only its text changed (prose, tags or comments): code, parameters and data as before"
    if previous.get("data_version") != current["data_version"]:
        return RERENDERED, "the data version changed, not the data it read"
    return REUSED, "inputs unchanged"


def fast_path_entries(folder: Path, requests: list, current: dict) -> list[dict] | None:
    """The entries of ``folder`` if every requested report can be reused without looking further:
    same parameters asked, same notebook file, package, lockfile, data version and descriptor as
    when it was built (so the parameters resolve as they did then). Otherwise None.

    ``requests`` are (name, given) pairs; ``current`` holds notebook digests by name, and package,
    lockfile, data_version and descriptor digests.
    """
    manifest = read_manifest(folder)
    if manifest.get("descriptor") != current["descriptor"] or manifest.get("data_version") != current["data_version"]:
        return None
    entries = previous_entries(folder)
    out = []
    for name, given in requests:
        entry = entries.get(name)
        inputs = (entry or {}).get("inputs") or {}
        if (entry is None or entry["given"] != given or entry["data_version"] != current["data_version"]
                or inputs.get("notebook") != current["notebooks"][name] or inputs.get("package") != current["package"]
                or inputs.get("lockfile") != current["lockfile"]):
            return None
        out.append(entry)
    return out
