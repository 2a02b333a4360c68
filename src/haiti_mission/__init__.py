"""haiti-mission: curated, sourced data and reproducible reports on the Kenya-led Multinational
Security Support (MSS) mission to Haiti and the crisis it answers.

    >>> import haiti_mission as hm
    >>> idps = hm.load("displacement", as_of="2024-03-01")
    >>> hm.cite(idps.iloc[0])
"""
from __future__ import annotations

__version__ = "0.2.0"

__all__ = ["load", "sources", "datasets", "validate", "cite", "changes", "DataError", "__version__"]


def __getattr__(name):
    # Lazy: `import haiti_mission` stays cheap; pandas loads with the first dataset.
    if name in ("load", "sources", "datasets"):
        from .datapackage import frames
        return getattr(frames, name)
    if name == "validate":
        from .datapackage.validation import validate
        return validate
    if name == "changes":
        from .queries.changes import changes
        return changes
    if name == "cite":
        from .interop.citation import cite
        return cite
    if name == "DataError":
        from .errors import DataError
        return DataError
    raise AttributeError(f"module 'haiti_mission' has no attribute {name!r}")
