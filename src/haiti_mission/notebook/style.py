"""One figure style for every report, and byte-stable rendering of figures.

Figures are rendered to SVG and PNG with no date, no software version and a fixed hash salt, so
the same data and code give the same bytes on every run.
"""
from __future__ import annotations

import io

import matplotlib

# Okabe-Ito: distinguishable for colour-blind readers, and in greyscale print.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
MUTED = "#6b6b6b"

RC = {
    "figure.figsize": (8.0, 4.5),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "legend.frameon": False,
    "svg.hashsalt": "haiti-mission",
    "svg.fonttype": "path",
    "path.simplify": True,
}

SVG_METADATA = {"Date": None, "Creator": None}
PNG_METADATA = {"Software": None}


def apply() -> None:
    """Apply the package's figure style to matplotlib."""
    matplotlib.rcParams.update(RC)


def new_figure(width: float = 8.0, height: float = 4.5, **subplots):
    """Return (figure, axes) in the package style, without pyplot, so nothing displays by itself."""
    from matplotlib.figure import Figure

    apply()
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(**subplots)
    return fig, axes


def render(fig) -> tuple[str, bytes]:
    """Return the figure as (SVG text, PNG bytes), both byte-stable for the same input.

    The figure is laid out once, as the PNG is drawn, and keeps that layout: the SVG is drawn at
    the same positions, and rendering the figure again gives the same bytes.
    """
    apply()
    png = io.BytesIO()
    fig.savefig(png, format="png", metadata=PNG_METADATA)
    # Without this, the SVG would lay the figure out again, at the cost of an extra drawing pass,
    # and each new layout moves elements by a rounding error (which changes the SVG's clip ids).
    fig.set_layout_engine("none")
    svg = io.BytesIO()
    fig.savefig(svg, format="svg", metadata=SVG_METADATA)
    return svg.getvalue().decode("utf-8"), png.getvalue()
