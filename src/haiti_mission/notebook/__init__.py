"""The notebook side: what a report notebook imports, and what runs inside its kernel.

``start`` checks a notebook's parameters first thing; ``present`` shows numbered tables, figures
and prose with their sources; ``figures`` draws the report figures from analysis output; ``style``
makes them look alike and render byte for byte the same; ``parameters`` reads and checks the
parameters a notebook declares (the pipeline checks them with the same code before a kernel starts),
and ``parameters_file`` reads a YAML parameters file for the pipeline, safely.

May import: ``analysis``, ``queries``, ``interop``, ``datapackage`` and the base modules
(``errors``, ``paths``, ``files``); never ``pipeline`` or ``cli``.

    from haiti_mission import notebook
    ctx = notebook.start("situation-report", as_of=as_of)
    from haiti_mission.notebook import figures, long_date
"""
from __future__ import annotations

import importlib

__all__ = ["start", "Context", "figures", "long_date"]


def __getattr__(name):
    # Lazy, so that the pipeline can check parameters without importing matplotlib.
    if name in ("start", "Context"):
        return getattr(importlib.import_module(".start", __name__), name)
    if name == "figures":
        return importlib.import_module(".figures", __name__)
    if name == "long_date":
        return importlib.import_module(".present", __name__).long_date
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
