"""Turn an executed notebook into the files of a report: a clean notebook, its figures, HTML.

Everything here is deterministic: the same executed notebook gives the same bytes.
"""
from __future__ import annotations

import base64
import copy
import html
import json
from functools import cache
from pathlib import Path

import nbformat

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "hm_report"
# Per-cell and per-notebook metadata that changes on every run (times, durations, paths).
_VOLATILE_CELL_KEYS = ("execution", "papermill")


def clean_notebook(nb: nbformat.NotebookNode, parameters: dict) -> nbformat.NotebookNode:
    """Return a copy of an executed notebook without volatile metadata.

    Papermill's timestamps, durations, environment and input/output paths go, and so does the
    kernel's Python version; the parameters the run used are kept under
    ``metadata.papermill.parameters``.
    """
    nb = copy.deepcopy(nb)
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    # The kernel's Python patch version would make notebooks differ between machines for nothing.
    nb.metadata.get("language_info", {}).pop("version", None)
    if parameters:
        nb.metadata["papermill"] = {"parameters": dict(sorted(parameters.items()))}
    for cell in nb.cells:
        for key in _VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        # papermill gives the cell it injects a random id; the same parameters give the same cell.
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"
    return nb


def notebook_bytes(nb: nbformat.NotebookNode) -> bytes:
    """Serialise a notebook the way Jupyter writes it (indent 1, trailing newline)."""
    return (nbformat.writes(nb) + "\n").encode("utf-8")


def figures_of(nb: nbformat.NotebookNode) -> list[tuple[str, bytes]]:
    """Return every figure output of a notebook as (file name, bytes): figure-1.svg, figure-1.png, ..."""
    out = []
    number = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/svg+xml" not in data and "image/png" not in data:
                continue
            number += 1
            if "image/svg+xml" in data:
                svg = data["image/svg+xml"]
                out.append((f"figure-{number}.svg", (svg if isinstance(svg, str) else "".join(svg)).encode("utf-8")))
            if "image/png" in data:
                out.append((f"figure-{number}.png", base64.b64decode(data["image/png"])))
    return out


@cache
def _exporter():
    # One exporter for every report: building it costs more than using it.
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        # No sanitizer: it escapes the package's own markup. Safety comes from present.py, which
        # escapes every piece of text taken from the data before it reaches an output.
        sanitize_html=False,
    )


def to_html(nb: nbformat.NotebookNode, title: str, footer: str) -> bytes:
    """Return the report page: outputs and prose only, no code, nothing loaded from the internet."""
    nb = copy.deepcopy(nb)
    nb.metadata["title"] = title
    body, _ = _exporter().from_notebook_node(nb, resources={"hm_run": footer})
    return body.encode("utf-8")


def notebook_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """Return the notebook's title: metadata.title, else its first Markdown heading, else ``fallback``."""
    if nb.metadata.get("title"):
        return str(nb.metadata["title"])
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def _params_text(params: dict) -> str:
    if not params:
        return "defaults"
    return ", ".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in sorted(params.items()))


def index_html(entries: list[dict], data_version: str, package_version: str) -> bytes:
    """Return the index page linking every report with its parameters and the data version.

    ``entries`` hold: name, title, html, notebook, figures (list of paths), given (parameters as
    asked), resolved (parameters as used), data_version.
    """
    rows = []
    for e in sorted(entries, key=lambda e: e["name"]):
        figs = " ".join(f'<a href="{html.escape(f)}">{i + 1}</a>' for i, f in enumerate(x for x in e["figures"] if x.endswith(".png")))
        rows.append(
            "<tr>"
            f'<td><a href="{html.escape(e["html"])}"><strong>{html.escape(e["title"])}</strong></a><br>'
            f'<span class="name">{html.escape(e["name"])}</span></td>'
            f"<td>{html.escape(_params_text(e['given']))}</td>"
            f"<td>{html.escape(_params_text(e['resolved']))}</td>"
            f"<td>{html.escape(e['data_version'])}</td>"
            f'<td><a href="{html.escape(e["notebook"])}">notebook</a></td>'
            f"<td>{figs or '–'}</td>"
            "</tr>"
        )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>haiti-mission reports</title>
<style>
  body {{ font-family: "DejaVu Sans", Arial, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
  h1 {{ font-size: 1.6rem; }}
  table {{ border-collapse: collapse; width: 100%; font-size: 0.9rem; }}
  th, td {{ text-align: left; vertical-align: top; border-bottom: 1px solid #ddd; padding: 0.45rem 0.6rem; }}
  th {{ border-bottom: 2px solid #888; }}
  .name {{ color: #666; font-family: monospace; }}
  p.meta {{ color: #555; font-size: 0.9rem; }}
</style>
</head>
<body>
<h1>haiti-mission reports</h1>
<p>Reports on the Kenya-led Multinational Security Support mission to Haiti and the crisis it answers,
generated from the package's curated, sourced data. Each report lists the sources behind every table
and figure.</p>
<p class="meta">Data version {html.escape(data_version)} · haiti-mission {html.escape(package_version)}</p>
<p><a href="reference/index.html">Reference</a>: the Python API and the data dictionary (<code>haiti-mission docs</code>).</p>
<table>
<thead><tr><th>Report</th><th>Parameters asked</th><th>Parameters used</th><th>Data version</th><th>Notebook</th><th>Figures (PNG)</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""
    return page.encode("utf-8")
