"""The browsable reference: static HTML of the public API (pdoc) and of the data dictionary.

``reference_files`` returns every file of the reference as bytes, from the docstrings of
``haiti_mission``'s public names and from the descriptor's dictionary (``data/README.md``, rendered
here, not read, so it is always current) and ``data/CURATION.md``. Nothing in it loads anything
from the network, and the same code and descriptor give the same bytes.
"""
from __future__ import annotations

import html
import re

from ..datapackage.descriptor import Package
from ..interop.dictionary import render_dictionary

API_PAGE = "haiti_mission.html"
DICTIONARY_PAGE = "data-dictionary.html"
CURATION_PAGE = "curation.html"
INDEX_PAGE = "index.html"
_CURATION = "CURATION.md"

_STYLE = """
  body { font-family: "DejaVu Sans", Arial, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; color: #222; line-height: 1.45; }
  table { border-collapse: collapse; font-size: 0.88rem; margin: 1rem 0; }
  th, td { text-align: left; vertical-align: top; border-bottom: 1px solid #ddd; padding: 0.35rem 0.5rem; }
  th { border-bottom: 2px solid #888; }
  code { font-size: 0.9em; background: #f4f4f4; padding: 0 0.2em; }
  nav { font-size: 0.9rem; margin-bottom: 1.5rem; }
"""


def _page(title: str, body: str, package: Package) -> bytes:
    nav = (f'<nav><a href="{INDEX_PAGE}">Reference</a> · <a href="{API_PAGE}">Python API</a> · '
           f'<a href="{DICTIONARY_PAGE}">Data dictionary</a> · <a href="{CURATION_PAGE}">Curation notes</a> · '
           f'<a href="../index.html">Reports</a></nav>')
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1.0">\n<title>{html.escape(title)}</title>\n'
            f"<style>{_STYLE}</style>\n</head>\n<body>\n{nav}\n{body}\n"
            f"<p><small>{html.escape(package.name)} {html.escape(package.version)}</small></p>\n</body>\n</html>\n").encode("utf-8")


def markdown_html(text: str) -> str:
    """Return Markdown ``text`` as HTML (tables and heading anchors included); raw HTML is escaped."""
    import markdown2

    out = markdown2.markdown(text, extras=["tables", "header-ids", "fenced-code-blocks", "cuddled-lists"], safe_mode="escape")
    # Links between the Markdown files become links between the pages.
    return re.sub(r'href="(?:\./)?(CURATION|README)\.md', lambda m: f'href="{CURATION_PAGE if m.group(1) == "CURATION" else DICTIONARY_PAGE}', out)


def api_pages(package: Package) -> dict[str, bytes]:
    """Return the pdoc pages of the public API (``haiti_mission`` and the names in its ``__all__``)."""
    import warnings

    import pdoc.doc
    import pdoc.render

    import haiti_mission

    # The public names are loaded lazily (``__getattr__``); pdoc looks for them in the module.
    for name in haiti_mission.__all__:
        setattr(haiti_mission, name, getattr(haiti_mission, name))
    pdoc.render.configure(docformat="restructuredtext", show_source=False, search=True,
                          footer_text=f"{package.name} {package.version}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a public name pdoc cannot resolve is a broken reference
        module = pdoc.doc.Module(haiti_mission)
        modules = {module.modulename: module}
        return {
            API_PAGE: pdoc.render.html_module(module, modules).encode("utf-8"),
            "search.js": pdoc.render.search_index(modules).encode("utf-8"),
        }


def index_page(package: Package) -> bytes:
    body = (f"<h1>{html.escape(package.title)}: reference</h1>\n<p>{html.escape(' '.join(package.description.split()))}</p>\n<ul>\n"
            f'<li><a href="{API_PAGE}">Python API</a>: <code>import haiti_mission as hm</code>, then <code>hm.load</code>, '
            "<code>hm.cite</code> and the other public names, from their docstrings.</li>\n"
            f'<li><a href="{DICTIONARY_PAGE}">Data dictionary</a>: every table and column, its type, constraints, units, '
            "HXL tag and licence, generated from <code>datapackage.json</code>.</li>\n"
            f'<li><a href="{CURATION_PAGE}">Curation notes</a>: how a fact becomes a row, and the traps of this data.</li>\n'
            "</ul>\n")
    return _page(f"{package.name} reference", body, package)


def reference_files(package: Package) -> dict[str, bytes]:
    """Return every file of the reference, by name."""
    files = {INDEX_PAGE: index_page(package)}
    files.update(api_pages(package))
    files[DICTIONARY_PAGE] = _page(f"Data dictionary: {package.title}", markdown_html(render_dictionary(package)), package)
    curation = package.folder / _CURATION
    text = curation.read_text(encoding="utf-8") if curation.is_file() else "# Curation notes\n\nNone were written for this data.\n"
    files[CURATION_PAGE] = _page("Curation notes", markdown_html(text), package)
    return files
