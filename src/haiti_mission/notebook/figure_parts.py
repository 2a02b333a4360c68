"""Pieces every report figure shares: date axes, empty panels, number formats, milestone marks.

Milestones are drawn as numbered dotted lines, with their names in a key under the plot: a name
written along its line would be cut or would cover the data when milestones fall close together.
"""
from __future__ import annotations

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from .style import MUTED, PALETTE

thousands = FuncFormatter(lambda v, _: f"{v:,.0f}")
MILESTONE_COLOR = PALETTE[3]


def date_axis(ax) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def empty(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color=MUTED, wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def near(milestones: pd.DataFrame, lo, hi, days: int = 120) -> pd.DataFrame:
    """The milestones up to ``days`` either side of [lo, hi]."""
    return milestones[(milestones["date"] >= lo - pd.Timedelta(days=days)) & (milestones["date"] <= hi + pd.Timedelta(days=days))]


def milestone_lines(axes, milestones: pd.DataFrame) -> list[Line2D]:
    """Draw each milestone as a dotted line on every axes of ``axes``, numbered just above the top
    of the first (clear of legends inside the plot; the title moves up to make room); return the legend handles ("1 Kenya's pledge (29 Jul 2023)") for ``milestone_key``.

    ``milestones`` is (a selection of) ``timeline.milestones`` output: a milestone keeps its
    number, its place in the descriptor's order, whichever of them a figure shows."""
    handles = []
    top = axes[0]
    for index, m in milestones.iterrows():
        number = int(index) + 1
        for ax in axes:
            ax.axvline(m["date"], color=MILESTONE_COLOR, linestyle=":", linewidth=1, zorder=1)
        top.text(m["date"], 1.005, str(number), transform=top.get_xaxis_transform(), ha="center", va="bottom", fontsize=7.5,
                 color=MILESTONE_COLOR, fontweight="bold")
        label = f"{number} {m['label']} ({m['date'].day} {m['date']:%b %Y})"
        handles.append(Line2D([], [], color=MILESTONE_COLOR, linestyle=":", linewidth=1, label=label))
    if handles:
        top.set_title(top.get_title(loc="left"), loc="left", pad=14)
    return handles


def milestone_key(fig, handles: list[Line2D]) -> None:
    """Put the milestone names in a key under the plot."""
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=min(3, len(handles)), fontsize=7.5,
                   handlelength=1.6, title="Milestones", title_fontsize=7.5)
