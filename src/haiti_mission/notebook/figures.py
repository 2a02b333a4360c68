"""The report figures: each takes analysis output and returns a matplotlib Figure."""
from __future__ import annotations

import pandas as pd

from ..datapackage import vocabulary
from .figure_parts import date_axis as _date_axis
from .figure_parts import empty as _empty
from .figure_parts import milestone_key, milestone_lines, near, thousands
from .style import MUTED, PALETTE, new_figure

# Bar figures show at most this many countries or donors: a taller figure is unreadable and slow.
MAX_BARS = 25
MAX_FUNDING_BARS = 40  # every bar of the real data (30 today), a readable page at any scale
_thousands = thousands


def displacement_curve(series: pd.DataFrame, milestones: pd.DataFrame, title: str = "People internally displaced in Haiti, by DTM round"):
    """Line of the national IDP series with mission milestones marked as vertical lines.

    Rounded or bounded figures are drawn as open markers, exact counts as filled ones.
    """
    fig, ax = new_figure()
    ax.set_title(title)
    if series.empty:
        _empty(ax, "No national displacement figure was published in this period.")
        return fig
    ax.plot(series["date"], series["value"].astype(float), color=PALETTE[0], linewidth=2, zorder=2)
    exact = series["qualifier"].astype("str") == "exact"
    ax.scatter(series.loc[exact, "date"], series.loc[exact, "value"].astype(float), color=PALETTE[0], zorder=3, label="exact DTM count")
    ax.scatter(series.loc[~exact, "date"], series.loc[~exact, "value"].astype(float), facecolor="white", edgecolor=PALETTE[0], zorder=3, label="rounded figure (\"over\", \"nearly\")")
    for _, row in series.iterrows():
        ax.annotate(row["round"], (row["date"], float(row["value"])), textcoords="offset points", xytext=(0, 8), ha="center", fontsize=8, color=MUTED)
    top = float(series["value"].max()) * 1.15
    lo, hi = series["date"].min(), series["date"].max()
    # Milestones up to four months either side of the data are shown, and the axis widens to them.
    shown = near(milestones, lo, hi)
    if len(shown):
        lo, hi = min(lo, shown["date"].min()), max(hi, shown["date"].max())
    milestone_key(fig, milestone_lines([ax], shown))
    ax.set_ylim(0, top)
    ax.yaxis.set_major_formatter(_thousands)
    ax.set_ylabel("people")
    _date_axis(ax)
    ax.set_xlim(lo - pd.Timedelta(days=45), hi + pd.Timedelta(days=45))
    ax.legend(loc="lower right", fontsize=8)
    return fig


def pledged_vs_arrived(per_country: pd.DataFrame, title: str = "Personnel pledged and the most that arrived or served, by country"):
    """Horizontal bars: latest pledge beside the most that arrived or served, one pair per country."""
    ranked = per_country.sort_values(["pledged_max", "served_max", "country"], ascending=[False, False, True], na_position="last")
    hidden = max(0, len(ranked) - MAX_BARS)
    rows = ranked.head(MAX_BARS).iloc[::-1]
    fig, ax = new_figure(8.0, max(2.5, 0.42 * len(rows) + 1.2))
    ax.set_title(title)
    if hidden:
        ax.set_title(f"{hidden} more countries with smaller pledges not shown", loc="right", fontsize=8, color=MUTED, fontweight="normal")
    if rows.empty:
        _empty(ax, "No country had offered personnel by this date.")
        return fig
    y = range(len(rows))
    pledged = rows["pledged_max"].astype("Float64").fillna(0).astype(float)
    served = rows["served_max"].astype(float)
    ax.barh([i + 0.2 for i in y], pledged, height=0.38, color=PALETTE[1], label="largest pledge")
    ax.barh([i - 0.2 for i in y], served, height=0.38, color=PALETTE[0], label="most arrived (all contingents) or serving")
    for i, (p, s, has) in enumerate(zip(pledged, served, rows["pledged_max"].notna())):
        ax.text(p, i + 0.2, f" {p:,.0f}" if has else " no number given", va="center", fontsize=7.5, color=MUTED)
        ax.text(s, i - 0.2, f" {s:,.0f}", va="center", fontsize=7.5, color=MUTED)
    ax.set_yticks(list(y), rows["country"].tolist())
    ax.xaxis.set_major_formatter(_thousands)
    ax.grid(axis="x")
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("people")
    ax.legend(loc="lower right", fontsize=8)
    return fig


def strength_vs_target(strength: pd.DataFrame, targets: pd.DataFrame, arrivals: pd.DataFrame | None = None,
                       milestones: pd.DataFrame | None = None,
                       title: str = "Personnel in Haiti against planned and authorised strength"):
    """Mission-wide counts of personnel in Haiti (``personnel.strength_over_time``) and, from the
    first arrival on, arrivals minus departures so far (``personnel.arrivals_so_far``), with the
    current planned and authorised levels (``personnel.current_targets``), each drawn from the day
    it was set, and the milestones."""
    fig, ax = new_figure(8.0, 5.0)
    ax.set_title(title)
    arrivals = arrivals if arrivals is not None else pd.DataFrame(columns=["date", "personnel"])
    if strength.empty and targets.empty and arrivals.empty:
        _empty(ax, "No personnel had been deployed by this date.")
        return fig
    dates = [d for frame in (strength, targets, arrivals) for d in frame["date"]]
    lo, hi = min(dates), max(dates)
    if not arrivals.empty:
        ax.step(arrivals["date"], arrivals["personnel"].astype(float), where="post", color=MUTED, linewidth=1.3, linestyle="--",
                label="arrivals minus departures so far (reported movements, not a count)")
    if not strength.empty:
        ax.step(strength["date"], strength["personnel"].astype(float), where="post", color=PALETTE[0], linewidth=2, label="in Haiti (mission-wide counts)")
        ax.scatter(strength["date"], strength["personnel"].astype(float), color=PALETTE[0], s=14, zorder=3)
    styles = {"planned": (PALETTE[1], "--"), "authorised": (PALETTE[3], "-.")}
    end = hi + pd.Timedelta(days=30)
    for _, latest in targets.iterrows():
        measure, force = latest["measure"], latest["force"]
        color, dash = styles.get(str(measure), (MUTED, "-"))
        ax.hlines(float(latest["personnel"]), latest["date"], end, color=color, linestyle=dash, linewidth=1.2,
                  label=f"{measure} ({force}, from {latest['date']:%b %Y}): {int(latest['personnel']):,}")
    handles = milestone_lines([ax], near(milestones, lo, hi, days=0)) if milestones is not None else []
    milestone_key(fig, handles)
    ax.yaxis.set_major_formatter(_thousands)
    highest = max([float(f["personnel"].max()) for f in (strength, targets, arrivals) if len(f)] or [0.0])
    ax.set_ylim(0, highest * 1.35)  # headroom keeps the legend clear of the ceiling line
    ax.set_xlim(lo - pd.Timedelta(days=20), end)
    ax.set_ylabel("people")
    _date_axis(ax)
    ax.legend(loc="upper left", fontsize=7.5)
    return fig


def funding_by_donor(latest: pd.DataFrame, title: str = "Funding by donor and stage (latest figure each; one panel per currency)"):
    """Bars of each donor's latest figure per stage, one panel per currency; never summed across."""
    currencies = vocabulary.group("funding", "unit", "currency")
    money = latest[latest["amount"].notna() & latest["unit"].isin(currencies)]
    hidden = len(money)
    # At most MAX_FUNDING_BARS bars in all, taken rank by rank across currencies (every currency's
    # largest figure, then every currency's second largest, ...): amounts in different currencies
    # are never compared, and a page of hundreds of bars would be unreadable and slow to draw.
    money = money.sort_values(["amount", "donor"], ascending=[False, True])
    rank = money.groupby("unit", sort=False, observed=True).cumcount()
    money = money.iloc[rank.argsort(kind="stable")].head(MAX_FUNDING_BARS)
    hidden -= len(money)
    units = sorted(money["unit"].dropna().astype("str").unique())
    if not units:
        fig, ax = new_figure()
        ax.set_title(title)
        _empty(ax, "No donor had announced money by this date.")
        return fig
    heights = [max(1.6, 0.36 * len(money[money["unit"] == u]) + 0.9) for u in units]
    fig, axes = new_figure(8.0, sum(heights) + 0.6, nrows=len(units), squeeze=False, gridspec_kw={"height_ratios": heights})
    fig.suptitle(title + (f"\n({hidden} smaller figures not shown)" if hidden else ""), x=0.01, ha="left", fontweight="bold", fontsize=12)
    stages = sorted(money["stage"].astype("str").unique())
    colors = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(stages)}
    from matplotlib.patches import Patch

    axes[0, 0].legend(handles=[Patch(color=colors[s], label=s.replace("_", " ")) for s in stages], loc="lower right", fontsize=7.5, ncols=2)
    qualifiers = vocabulary.labels("funding", "qualifier")
    for ax, unit in zip(axes[:, 0], units):
        rows = money[money["unit"] == unit].sort_values(["amount", "donor"]).reset_index(drop=True)
        labels = [f"{d} · {c.replace('_', ' ')}" for d, c in zip(rows["donor"], rows["channel"].astype("str"))]
        ax.barh(range(len(rows)), rows["amount"].astype(float) / 1e6, color=[colors[str(s)] for s in rows["stage"]])
        for i, (a, q, s) in enumerate(zip(rows["amount"].astype(float), rows["qualifier"].astype("str"), rows["stage"].astype("str"))):
            mark = "" if q == "exact" else qualifiers.get(q, "") + " "
            ax.text(a / 1e6, i, f" {mark}{a / 1e6:,.2f}m ({s.replace('_', ' ')})", va="center", fontsize=7.5, color=MUTED)
        ax.set_yticks(range(len(rows)), labels, fontsize=8)
        ax.set_xlabel(f"million {unit}")
        ax.grid(axis="x")
        ax.grid(axis="y", visible=False)
        ax.set_xlim(0, float(rows["amount"].max()) / 1e6 * 1.45)
    return fig


def event_timeline(events: pd.DataFrame, title: str = "Events by category"):
    """Dots on a date axis, one lane per category, milestones labelled."""
    present = [c for c in vocabulary.values("timeline", "category") if c in set(events["category"].astype("str"))]
    fig, ax = new_figure(8.0, max(2.4, 0.45 * len(present) + 1.4))
    ax.set_title(title)
    if events.empty:
        _empty(ax, "No event in this window.")
        return fig
    lane = {c: i for i, c in enumerate(present)}
    for c in present:
        rows = events[events["category"].astype("str") == c]
        ax.scatter(rows["date"], [lane[c]] * len(rows), s=22, color=PALETTE[lane[c] % len(PALETTE)], zorder=3)
    marked = events[events["milestone"].notna()] if "milestone" in events else events.iloc[0:0]
    labels = vocabulary.labels("timeline", "milestone")
    for _, row in marked.iterrows():
        ax.annotate(labels.get(str(row["milestone"]), str(row["milestone"])), (row["date"], lane[str(row["category"])]),
                    textcoords="offset points", xytext=(0, 7), ha="center", fontsize=7, color=MUTED)
    ax.set_yticks(range(len(present)), [c.replace("_", " ") for c in present])
    ax.set_ylim(-0.7, len(present) - 0.3)
    ax.grid(axis="x")
    ax.grid(axis="y", visible=False)
    _date_axis(ax)
    return fig
