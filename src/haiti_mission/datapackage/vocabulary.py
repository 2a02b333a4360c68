"""The descriptor's vocabulary, for code that must not restate it: the values a field may take in
their order, their labels, ranks and named groups (``enum``, ``enumLabels``, ``enumRanks``,
``enumGroups`` in ``datapackage.json``).

This reads the descriptor only (never a data file), so the analysis may use it.
"""
from __future__ import annotations

from .descriptor import read_package
from .fields import Field


def field(resource: str, name: str, *, data_dir=None) -> Field:
    """Return the descriptor's definition of field ``name`` of ``resource``."""
    return read_package(data_dir).resource(resource).field(name)


def values(resource: str, name: str, *, data_dir=None) -> tuple[str, ...]:
    """The values field ``name`` may take, in the descriptor's order."""
    return field(resource, name, data_dir=data_dir).enum or ()


def labels(resource: str, name: str, *, data_dir=None) -> dict[str, str]:
    """{value: label} for every value of the field; a value without a label reads as itself, with
    spaces for underscores."""
    fld = field(resource, name, data_dir=data_dir)
    return {v: fld.enum_labels.get(v, v.replace("_", " ")) for v in fld.enum or ()}


def ranks(resource: str, name: str, *, data_dir=None) -> dict[str, int]:
    """{value: rank} (lower is stronger) as the descriptor gives them."""
    fld = field(resource, name, data_dir=data_dir)
    missing = [v for v in fld.enum or () if v not in fld.enum_ranks]
    if missing:
        raise KeyError(f"{resource}.{name} gives no rank for {', '.join(missing)} (enumRanks in the descriptor)")
    return dict(fld.enum_ranks)


def group(resource: str, name: str, which: str, *, data_dir=None) -> tuple[str, ...]:
    """The values of the named group ``which`` of the field (e.g. the units that are currencies)."""
    fld = field(resource, name, data_dir=data_dir)
    try:
        return fld.enum_groups[which]
    except KeyError:
        known = ", ".join(fld.enum_groups) or "none"
        raise KeyError(f"{resource}.{name} has no value group {which!r} (enumGroups in the descriptor: {known})") from None
