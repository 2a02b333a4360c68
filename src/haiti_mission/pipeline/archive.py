"""The archive: every report as it read on each date of a series, and the headlines over time.

``haiti-mission archive`` builds, for each date (the last day of each month, quarter or week
between two dates), the reports with ``as_of`` (``end`` for the timeline) set to that date, into
``DIR/<date>/``, and writes ``DIR/index.html``: the dates, a link to each report, and a table and a
figure of the headline figures as known on each date. It is one build (build.py): incremental, and
all or nothing. The report for a date counts the data as known on that date, so a source published
in May 2025 re-runs only the reports from May 2025 on.
"""
from __future__ import annotations

import calendar
import datetime as dt
import html
import re
from pathlib import Path

from ..errors import ParameterError
from .build import Target, build
from .plan import plan_reports
from .staging import remove_tree, write_file

EVERY = ("month", "quarter", "week")
DATE_FOLDER = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def archive_dates(start: str, end: str, every: str = "month", *, latest: dt.date | None = None) -> list[str]:
    """The last day of each ``every`` (month, quarter, week ending on Sunday) from ``start`` to
    ``end`` (YYYY-MM-DD; ``end`` may be "latest", the newest source's date), as YYYY-MM-DD."""
    def day(name: str, value: str) -> dt.date:
        if name == "end" and value == "latest" and latest is not None:
            return latest
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ParameterError("archive", name, f"{value!r} is not a date in the form YYYY-MM-DD") from None

    if every not in EVERY:
        raise ParameterError("archive", "every", f"unknown period {every!r}; choose one of {', '.join(EVERY)}")
    first, last = day("start", start), day("end", end)
    if first > last:
        raise ParameterError("archive", "start", f"start {first.isoformat()} is after end {last.isoformat()}")
    dates = []
    d = first
    while d <= last:
        if every == "week":
            close = d + dt.timedelta(days=6 - d.weekday())
        else:
            month = d.month if every == "month" else ((d.month - 1) // 3) * 3 + 3
            close = dt.date(d.year, month, calendar.monthrange(d.year, month)[1])
        if close <= last:
            dates.append(close.isoformat())
        d = close + dt.timedelta(days=1)
    if not dates:
        raise ParameterError("archive", "end", f"no {every} ends between {first.isoformat()} and {last.isoformat()}")
    return dates


def archive_targets(dates: list[str], only: list[str] | None = None) -> list[Target]:
    """The reports of every date, their parameters checked (a date in the future is refused)."""
    return [Target(plan, folder=day, as_known_on=day) for day in dates for plan in plan_reports(only, as_of=day)]


# ---------------------------------------------------------------- the archive's own page

def headlines_by_date(dates: list[str]):
    """One row per date and headline indicator, as known on that date (queries.headlines)."""
    import pandas as pd

    from ..queries.headlines import known_headlines

    frames = [known_headlines(day).assign(as_of=pd.Timestamp(day)) for day in dates]
    return pd.concat(frames, ignore_index=True)


def headlines_figure(table):
    """Small multiples: each headline indicator as known on each date."""
    from ..notebook.style import MUTED, PALETTE, new_figure

    names = list(dict.fromkeys(table["indicator"]))
    fig, axes = new_figure(8.0, 2.1 * len(names) + 0.6, nrows=len(names), ncols=1, sharex=True, squeeze=False)
    for ax, name in zip(axes[:, 0], names):
        rows = table[table["indicator"] == name]
        known = rows[rows["value"].notna()]
        ax.set_title(name, fontsize=10)
        if known.empty:
            ax.text(0.5, 0.5, "nothing published by these dates", ha="center", va="center", transform=ax.transAxes, color=MUTED)
            ax.set_yticks([])
        ax.step(known["as_of"], known["value"].astype(float), where="post", color=PALETTE[0], linewidth=1.8)
        ax.scatter(known["as_of"], known["value"].astype(float), color=PALETTE[0], s=10, zorder=3)
        unit = next(iter(known["unit"]), "")
        ax.set_ylabel("US dollars" if unit == "USD" else unit)
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    fig.suptitle("Headline figures as known on each date", x=0.01, ha="left", fontweight="bold")
    return fig


def _cell(value, unit: str) -> str:
    return f"{int(value):,}" + (" USD" if unit == "USD" else "")


def index_html(dates: list[str], by_folder: dict, table, version: str) -> bytes:
    """The archive's page: one row per date, its reports' links and its headline figures."""
    import pandas as pd

    names = list(dict.fromkeys(table["indicator"]))
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    rows = []
    for day in dates:
        entries = by_folder.get(day, {})
        links = " · ".join(f'<a href="{html.escape(day)}/{html.escape(e["html"])}">{html.escape(e["title"])}</a>'
                           for _, e in sorted(entries.items()))
        known = table[table["as_of"] == pd.Timestamp(day)].set_index("indicator")
        cells = "".join(f"<td class=\"n\">{'–' if pd.isna(known.at[n, 'value']) else _cell(known.at[n, 'value'], known.at[n, 'unit'])}</td>" for n in names)
        rows.append(f"<tr><td class=\"d\"><a href=\"{html.escape(day)}/index.html\">{html.escape(day)}</a></td><td>{links}</td>{cells}</tr>")
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>haiti-mission: the reports as known on each date</title>
<style>
  body {{ font-family: "DejaVu Sans", Arial, sans-serif; max-width: 76rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
  h1 {{ font-size: 1.6rem; }}
  table {{ border-collapse: collapse; width: 100%; font-size: 0.85rem; }}
  th, td {{ text-align: left; vertical-align: top; border-bottom: 1px solid #ddd; padding: 0.4rem 0.5rem; }}
  th {{ border-bottom: 2px solid #888; }}
  td.n, td.d {{ text-align: right; white-space: nowrap; }}
  td.d {{ text-align: left; }}
  p.meta {{ color: #555; font-size: 0.9rem; }}
  img {{ max-width: 100%; }}
</style>
</head>
<body>
<h1>The reports as known on each date</h1>
<p>Each date's reports use only the sources published on or before that date: what a careful reader
could have known then. The headline figures below are the latest each source had published by the date.</p>
<p class="meta">{len(dates)} dates from {html.escape(dates[0])} to {html.escape(dates[-1])} · data version {html.escape(version)}</p>
<p><img src="figures/headlines.svg" alt="Headline figures as known on each date"></p>
<table>
<thead><tr><th>Date</th><th>Reports</th>{head}</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""
    return page.encode("utf-8")


def run_archive(dates: list[str], out: str | Path, only: list[str] | None = None, jobs: int | None = None,
                progress: bool = True, force: bool = False, kernels=None) -> list[dict]:
    """Build the archive of ``dates`` into ``out``; return every report's index entry."""
    from ..datapackage.checksums import data_version
    from ..notebook.style import render

    targets = archive_targets(dates, only)

    def finish(staging: Path, by_folder: dict) -> None:
        # The archive holds the dates asked for: the folders of other dates (an earlier, wider
        # series) go, as reports/ is replaced as a whole.
        for folder in staging.iterdir():
            if DATE_FOLDER.fullmatch(folder.name) and folder.name not in dates:
                remove_tree(folder)
        table = headlines_by_date(dates)
        svg, png = render(headlines_figure(table))
        (staging / "figures").mkdir(exist_ok=True)
        write_file(staging / "figures" / "headlines.svg", svg.encode("utf-8"))
        write_file(staging / "figures" / "headlines.png", png)
        write_file(staging / "index.html", index_html(dates, by_folder, table, data_version()))

    return build(targets, out, jobs, progress, force=force, finish=finish, kernels=kernels,
                 desc=f"archive: {len(dates)} dates × {len(targets) // len(dates)} notebooks")
