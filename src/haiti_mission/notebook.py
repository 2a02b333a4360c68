"""What a report notebook imports: ``start`` (check its parameters, set the style, prepare
captions), ``figures`` and ``long_date``."""
from __future__ import annotations

from dataclasses import dataclass

from . import figures, style  # noqa: F401  (figures: what a report draws with)
from .loading import load
from .params import check_parameters
from .present import Report, long_date  # noqa: F401  (re-exported for the notebooks)


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
