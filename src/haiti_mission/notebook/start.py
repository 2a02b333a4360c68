"""The first call of every report notebook: check its parameters, set the style, prepare captions."""
from __future__ import annotations

from dataclasses import dataclass

from ..datapackage.frames import load
from . import style
from .parameters import check_parameters
from .present import Report


@dataclass
class Context:
    """A report's checked parameters and its Report (captions, numbering)."""

    params: dict
    report: Report


def start(notebook: str, **values) -> Context:
    """Check ``values`` against ``notebook``'s parameters and return its Context.

    A bad value stops the notebook here with a ParameterError naming the notebook and parameter.
    """
    params = check_parameters(notebook, **values)
    style.apply()
    return Context(params=params, report=Report(load("sources")))
