"""Show tables, figures and prose in a report notebook, each with a numbered caption and sources.

Text taken from the data (titles, notes, publishers) is always escaped, so it shows as text and
never runs as HTML or script. Every output has a plain-text form too, so the stored notebook reads
well anywhere and nbval compares something meaningful.
"""
from __future__ import annotations

import base64
import html

import numpy as np
import pandas as pd

from ..analysis.provenance import RankedSources
from ..datapackage import dates
from ..interop.citation import short_citation
from .style import render

# A report table longer than this is cut, with a note: a page nobody can read helps no one.
MAX_ROWS = 100


def _display(data: dict) -> None:
    from IPython.display import publish_display_data

    publish_display_data(data)


def format_value(value) -> str:
    """Return one cell as report text: thousands separators, ISO dates, a dash for missing; a
    number keeps the decimals it has (1,523 and 6.5, never 1,523.0)."""
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return "–"
    # numpy scalars too: a value read from a frame (``row["value"]``) is numpy.int64, not int.
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return f"{int(value):,}" if float(value).is_integer() else f"{float(value):,.1f}"
    return str(value)


def format_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with every cell formatted as text and column names made readable.

    A date column ``X`` beside a ``X_precision`` column (``date`` and ``date_precision``) is shown at
    that precision: "2024-07" for a date known only to the month. A ``year`` column is a year.
    """
    out = pd.DataFrame(index=range(len(frame)))
    for column in frame.columns:
        values = frame[column].astype("object").tolist()
        precision = f"{column}_precision"
        if precision in frame and pd.api.types.is_datetime64_any_dtype(frame[column]):
            cells = [dates.iso_text(v, p, missing="–") for v, p in zip(values, frame[precision].astype("object").tolist())]
        elif str(column) == "year" or str(column).endswith("_year"):
            cells = [str(v) if not pd.isna(v) else "–" for v in values]  # a year, not a quantity: 2024, never 2,024
        else:
            cells = [format_value(v) for v in values]
        out[str(column).replace("_", " ")] = cells
    return out


def long_date(value, precision="day") -> str:
    """Return a date in words at its precision: '1 March 2024', 'March 2024' (``dates.date_text``)."""
    return dates.date_text(value, precision)


def source_line(rows, sources: pd.DataFrame | RankedSources, limit: int = 12) -> str:
    """Return the distinct sources behind ``rows`` as one line, strongest and oldest first, each as
    'Publisher, date' at its precision; beyond ``limit`` sources the line says how many more.
    ``sources``: the sources table, or a RankedSources of it (sorted once for many lines)."""
    ranked = sources if isinstance(sources, RankedSources) else RankedSources(sources)
    # Only those shown are formatted: at scale a table rests on thousands.
    shown, count = ranked.behind(rows, limit)
    if count == 0:
        return "none (no data)"
    names = [short_citation(p, d, q) for p, d, q in zip(shown["publisher"], shown["published"], shown["published_precision"])]
    more = count - limit
    return "; ".join(names) + (f"; and {more} more" if more > 0 else "")


class Report:
    """Numbers tables and figures and writes their captions with the sources behind them."""

    def __init__(self, sources: pd.DataFrame):
        self.sources = sources
        self._ranked: RankedSources | None = None  # sorted on the first caption that names sources
        self.tables = 0
        self.figures = 0

    def _sources_line(self, rows: pd.DataFrame | None) -> str:
        if rows is None:
            return ""
        if self._ranked is None:
            self._ranked = RankedSources(self.sources)
        return "Sources: " + source_line(rows, self._ranked) + "."

    def table(self, frame: pd.DataFrame, caption: str, rows: pd.DataFrame | None = None, empty: str = "No rows.",
              max_rows: int = MAX_ROWS) -> None:
        """Show ``frame`` as a numbered table; ``rows`` are the data rows it rests on (for sources).

        Only the first ``max_rows`` rows are shown, and the caption says how many there are.
        """
        self.tables += 1
        title = f"Table {self.tables}. {caption}"
        if len(frame) > max_rows:
            title += f" The first {max_rows:,} of {len(frame):,} rows are shown."
        sources = self._sources_line(rows)
        shown = format_frame(frame.head(max_rows))
        if shown.empty:
            body_html = f"<p class=\"hm-empty\">{html.escape(empty)}</p>"
            body_text = empty
        else:
            body_html = shown.to_html(index=False, escape=True, border=0, classes="hm-table")
            body_text = shown.to_string(index=False)
        caption_html = f"<figcaption><strong>{html.escape(title)}</strong>" + (f"<br><span class=\"hm-sources\">{html.escape(sources)}</span>" if sources else "") + "</figcaption>"
        _display({
            "text/html": f"<figure class=\"hm-figure\">{caption_html}{body_html}</figure>",
            "text/plain": "\n".join(filter(None, [title, body_text, sources])),
        })

    def figure(self, fig, caption: str, rows: pd.DataFrame | None = None) -> None:
        """Show a matplotlib figure (SVG and PNG) followed by its numbered caption."""
        self.figures += 1
        title = f"Figure {self.figures}. {caption}"
        svg, png = render(fig)
        _display({"image/svg+xml": svg, "image/png": base64.b64encode(png).decode("ascii"), "text/plain": f"[{title}]"})
        sources = self._sources_line(rows)
        text = "\n".join(filter(None, [title, sources]))
        _display({
            "text/html": f"<p class=\"hm-caption\"><strong>{html.escape(title)}</strong>" + (f"<br><span class=\"hm-sources\">{html.escape(sources)}</span>" if sources else "") + "</p>",
            "text/plain": text,
        })

    def text(self, template: str, **values) -> None:
        """Show a paragraph; ``{name}`` fields are filled from ``values``, each escaped as text.

        ``**bold**`` in the template (not in values) is shown in bold.
        """
        plain = template.replace("**", "").format(**{k: format_value(v) for k, v in values.items()})
        escaped = {k: html.escape(format_value(v)) for k, v in values.items()}
        # Bold markers are split off the template first, so a value can never open a tag.
        parts = [html.escape(p).format(**escaped) for p in template.split("**")]
        rich = "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))
        _display({"text/html": f"<p>{rich}</p>", "text/plain": plain})

    def bullets(self, items: list[str]) -> None:
        """Show a list of lines (already plain text; escaped here)."""
        _display({
            "text/html": "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>",
            "text/plain": "\n".join(f"- {i}" for i in items),
        })
