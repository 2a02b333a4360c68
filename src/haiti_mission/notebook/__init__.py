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

__all__ = ["start", "Context", "figures", "outcome_figures", "long_date"]


def __getattr__(name):
    # Lazy, so that the pipeline can check parameters without importing matplotlib.
    if name in ("start", "Context"):
        value = getattr(importlib.import_module(".start", __name__), name)
        # Importing the submodule .start bound the name "start" here to the module; the function
        # must win, or a second notebook.start() (a cell run again in JupyterLab) finds a module.
        globals()[name] = value
        return value
    if name in ("figures", "outcome_figures"):
        return importlib.import_module(f".{name}", __name__)
    if name == "long_date":
        return importlib.import_module(".present", __name__).long_date
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
