"""The figures of what the mission exists to change: violence, hunger, the humanitarian response.

Each takes analysis output and returns a matplotlib Figure. The UN's violence series are drawn
apart (BINUH's quarters in one figure, the Secretary-General's windows and OHCHR's statements in
another, never joined by a line); a quarter is drawn across its three months; a rounded or
bounded figure ("at least") as an open marker; IPC current and projected periods in different
line styles.
"""
from __future__ import annotations

import pandas as pd

from ..datapackage import vocabulary
from .figure_parts import date_axis, empty, milestone_key, milestone_lines, near, thousands
from .style import MUTED, PALETTE, new_figure

METRIC_COLORS = {"killed": PALETTE[3], "injured": PALETTE[1], "kidnapped": PALETTE[0], "homicides": PALETTE[4]}
KIND_STYLES = {"current": "-", "projected": "--", "projection_update": ":"}
PHASE_COLORS = {"3+": PALETTE[0], "4": PALETTE[3], "5": "#000000"}


def _windows(ax, rows: pd.DataFrame, color, label=None) -> None:
    """Each row's figure over its window: a segment from ``period_start`` to the end of
    ``period_end``, a marker at the middle (filled when exact, open otherwise)."""
    # One collection per kind of mark, not one per row: drawing thousands of artists is what
    # made this figure slow on large data.
    start = rows["period_start"]
    end = rows["period_end"] + pd.Timedelta(days=1)
    value = rows["value"].astype(float)
    middle = start + (end - start) / 2
    ax.hlines(value, start, end, color=color, linewidth=2.2, label=label)
    exact = (rows["qualifier"].astype(str) == "exact").to_numpy()
    for marks, face in ((exact, color), (~exact, "white")):
        if marks.any():
            ax.scatter(middle[marks], value[marks], s=22, zorder=3, color=face, edgecolor=color)


def quarterly_violence(quarters: pd.DataFrame, strength: pd.DataFrame, arrivals: pd.DataFrame, milestones: pd.DataFrame,
                       title: str = "Killed, injured and kidnapped per quarter (BINUH), and the mission in Haiti"):
    """Two panels on one time axis: BINUH's quarterly national counts (``security.quarterly``),
    and the mission's personnel in Haiti (mission-wide counts and arrivals so far), with the
    milestones."""
    fig, (top, bottom) = new_figure(8.0, 6.4, nrows=2, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    top.set_title(title)
    if quarters.empty:
        empty(top, "BINUH had published no quarterly count by this date.")
        return fig
    for metric, rows in quarters.groupby("metric", sort=True):
        color = METRIC_COLORS.get(metric, MUTED)
        _windows(top, rows, color, label=metric)
    top.set_ylabel("people per quarter")
    top.yaxis.set_major_formatter(thousands)
    top.set_ylim(0, float(quarters["value"].max()) * 1.2)
    top.legend(loc="upper left", fontsize=7.5, ncols=3, title="filled: exact; open: at least or about", title_fontsize=7)
    if len(arrivals):
        bottom.step(arrivals["date"], arrivals["personnel"].astype(float), where="post", color=MUTED, linestyle="--", linewidth=1.2,
                    label="arrivals minus departures so far")
    if len(strength):
        bottom.step(strength["date"], strength["personnel"].astype(float), where="post", color=PALETTE[2], linewidth=2, label="in Haiti (mission-wide counts)")
        bottom.scatter(strength["date"], strength["personnel"].astype(float), color=PALETTE[2], s=12, zorder=3)
    if len(arrivals) or len(strength):
        bottom.legend(loc="upper left", fontsize=7.5)
    bottom.set_ylabel("mission personnel")
    bottom.set_ylim(0, max([float(f["personnel"].max()) for f in (strength, arrivals) if len(f)] or [1.0]) * 1.25)
    bottom.yaxis.set_major_formatter(thousands)
    lo, hi = quarters["period_start"].min(), quarters["period_end"].max()
    milestone_key(fig, milestone_lines([top, bottom], near(milestones, lo, hi, days=0)))
    top.set_xlim(lo - pd.Timedelta(days=20), hi + pd.Timedelta(days=20))
    date_axis(bottom)
    return fig


def other_un_series(windows: pd.DataFrame, title: str = "Other UN series, each over its own window (never joined to BINUH's quarters)"):
    """The Secretary-General's homicide windows and OHCHR's counts (``security.other_series``), each
    figure a segment over the window it covers, in its own panel per series."""
    series = [s for s in ("sg_report", "ohchr_statement") if s in set(windows.get("series", []))]
    fig, axes = new_figure(8.0, 2.6 * max(1, len(series)) + 0.6, nrows=max(1, len(series)), squeeze=False, sharex=True)
    axes = axes[:, 0]
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=11)
    if not series:
        empty(axes[0], "No other UN figure had been published by this date.")
        return fig
    names = {"sg_report": "Secretary-General's reports (windows of several months)", "ohchr_statement": "OHCHR statements (cumulative windows)"}
    for ax, name in zip(axes, series):
        rows = windows[windows["series"] == name]
        for metric, group in rows.groupby("metric", sort=True):
            color = METRIC_COLORS.get(metric, MUTED)
            _windows(ax, group, color, label=metric)
        ax.set_ylabel("people", fontsize=8)
        ax.set_title(names[name], loc="left", fontsize=9, fontweight="normal")
        ax.yaxis.set_major_formatter(thousands)
        ax.set_ylim(0, float(rows["value"].max()) * 1.2)
        ax.legend(loc="upper left", fontsize=7.5, ncols=4)
    date_axis(axes[-1])
    return fig


def perpetrator_shares(shares: pd.DataFrame, title: str = "Who caused the casualties: shares of a quarter's victims (BINUH)"):
    """Grouped bars per quarter of the published shares by perpetrator (``security.perpetrator_shares``),
    each labelled with the victims it is a share of. Shares as published, never turned into counts."""
    fig, ax = new_figure(8.0, 4.6)
    ax.set_title(title)
    if shares.empty:
        empty(ax, "No share by perpetrator had been published by this date.")
        return fig
    perpetrators = [p for p in ("security_forces", "gangs", "self_defence", "civilians", "unknown") if p in set(shares["perpetrator"].astype("str"))]
    quarters = list(dict.fromkeys(shares.sort_values("period_start")["quarter"]))
    width = 0.8 / len(perpetrators)
    qualifiers = vocabulary.labels("security", "qualifier")
    for j, who in enumerate(perpetrators):
        rows = shares[shares["perpetrator"].astype("str") == who]
        xs = [quarters.index(q) + (j - (len(perpetrators) - 1) / 2) * width for q in rows["quarter"]]
        ax.bar(xs, rows["value"].astype(float), width=width * 0.95, color=PALETTE[j % len(PALETTE)], label=who.replace("_", " "))
        for x, v, q in zip(xs, rows["value"].astype(float), rows["qualifier"].astype("str")):
            mark = "" if q == "exact" else qualifiers.get(q, "") + " "
            ax.text(x, v + 1, f"{mark}{v:g}", ha="center", va="bottom", fontsize=7, color=MUTED)
    of = shares.drop_duplicates("quarter").set_index("quarter")["metric"].astype("str").str.removesuffix("_share").str.replace("_", " ")
    ax.set_xticks(range(len(quarters)), [f"{q}\n({of[q]})" for q in quarters], fontsize=7.5)
    ax.set_ylim(0, 100)
    ax.set_ylabel("percent of the quarter's victims")
    ax.legend(loc="upper left", fontsize=7.5, ncols=len(perpetrators))
    return fig


def food_insecurity(phases: pd.DataFrame, title: str = "People in IPC Phase 3+ and Phase 4, by analysis period"):
    """Each analysis period of ``food.national_phases`` (people) as a segment over its months: the
    current period solid, the projection dashed, a projection update dotted; Phase 3+ and Phase 4
    in two colours. An update replaces a projection for the same months: both are drawn there."""
    fig, ax = new_figure(8.0, 4.8)
    ax.set_title(title)
    rows = phases[phases["phase"].isin(["3+", "4"])]
    if rows.empty:
        empty(ax, "No IPC analysis had been published by this date.")
        return fig
    for _, r in rows.iterrows():
        ax.hlines(float(r["value"]) / 1e6, r["period_start"], r["period_end"] + pd.Timedelta(days=1),
                  color=PHASE_COLORS[str(r["phase"])], linestyle=KIND_STYLES[str(r["period_kind"])], linewidth=2.4)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=PHASE_COLORS[p], linewidth=2.4, label=f"Phase {p}") for p in ("3+", "4")]
    handles += [Line2D([], [], color=MUTED, linestyle=KIND_STYLES[k], linewidth=2, label=k.replace("_", " ")) for k in KIND_STYLES]
    ax.legend(handles=handles, loc="upper left", fontsize=7.5, ncols=5)
    ax.set_ylim(0, float(rows["value"].max()) / 1e6 * 1.3)
    ax.set_ylabel("million people")
    date_axis(ax)
    return fig


def plan_coverage(coverage: pd.DataFrame, title: str = "Humanitarian plans: share of the requirement funded, through each year"):
    """The dated coverage figures (``plans.coverage``, funded share) of each plan, one line per plan
    and year; a figure given as a bound ("less than") as an open marker."""
    fig, ax = new_figure(8.0, 4.4)
    ax.set_title(title)
    rows = coverage[coverage["metric"] == "funded_share"]
    if rows.empty:
        empty(ax, "No coverage figure had been published by this date.")
        return fig
    for i, ((year, plan), group) in enumerate(rows.groupby(["plan_year", "plan"], sort=True, observed=True)):
        color = PALETTE[i % len(PALETTE)]
        group = group.sort_values("date")
        ax.plot(group["date"], group["value"].astype(float), color=color, linewidth=1.6, label=f"{year} {str(plan).upper().replace('_', ' ')}")
        exact = group["qualifier"].astype("str") == "exact"
        ax.scatter(group.loc[exact, "date"], group.loc[exact, "value"].astype(float), color=color, s=18, zorder=3)
        ax.scatter(group.loc[~exact, "date"], group.loc[~exact, "value"].astype(float), color="white", edgecolor=color, s=18, zorder=3)
    ax.set_ylim(0, 100)
    ax.set_ylabel("percent of the requirement funded")
    ax.legend(loc="upper left", fontsize=7.5, ncols=3)
    date_axis(ax)
    return fig
