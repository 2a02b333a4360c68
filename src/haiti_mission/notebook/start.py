"""The first call of every report notebook: check its parameters, set the style, prepare captions."""
from __future__ import annotations

from dataclasses import dataclass

from ..datapackage.frames import load
from ..errors import ParameterError
from . import style
from .parameters import check_parameters, notebook_parameters
from .present import Report


@dataclass
class Context:
    """A report's checked parameters and its Report (captions, numbering)."""

    params: dict
    report: Report


def start(notebook: str, **values) -> Context:
    """Check ``values`` against ``notebook``'s parameters and return its Context.

    Every parameter the notebook declares must be passed: one left out would silently keep its
    default whatever papermill injected. A bad or missing value stops the notebook here with a
    ParameterError naming the notebook and parameter.
    """
    missing = [name for name in notebook_parameters(notebook) if name not in values]
    if missing:
        raise ParameterError(notebook, missing[0], f"is declared in the parameters cell but not passed to notebook.start(); "
                                                   f"pass every declared parameter, e.g. notebook.start({notebook!r}, ..., {missing[0]}={missing[0]})")
    params = check_parameters(notebook, **values)
    style.apply()
    return Context(params=params, report=Report(load("sources")))
