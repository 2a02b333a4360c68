"""The data dictionary (``data/README.md``), rendered from the descriptor.

Everything in it comes from ``datapackage.json``, in the descriptor's own order, with no dates or
counts that change between runs: the same descriptor always gives the same bytes.
"""
from __future__ import annotations

import json

from ..datapackage.descriptor import Field, Package, Resource
from ..paths import DESCRIPTOR
from .hxl_tags import Split, splits

README = "README.md"
COMMAND = "haiti-mission dictionary"

_TYPE_TEXT = {
    "date": "date (YYYY-MM-DD)",
    "boolean": "boolean (true or false)",
}


def _cell(text: str) -> str:
    """Return ``text`` fit for one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _code(text: str) -> str:
    # A backtick inside (the URL pattern holds one) needs a longer fence, padded with spaces.
    return f"`` {text} ``" if "`" in str(text) else f"`{text}`"


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _split_note(rule: Split) -> str:
    parts = [f"{_code(c.name)} {_code(c.hxl)} when {rule.by} is " + ", ".join(_code(v) for v in c.values) for c in rule.columns]
    return f"HXL export: split into columns by {_code(rule.by)}: " + "; ".join(parts) + "; other rows keep this column."


def _field_notes(fld: Field, rule: Split | None = None) -> str:
    notes = [fld.description.strip()]
    if fld.unique:
        notes.append("Unique.")
    if fld.minimum is not None:
        notes.append(f"Minimum {_number(fld.minimum)}.")
    if fld.maximum is not None:
        notes.append(f"Maximum {_number(fld.maximum)}.")
    if fld.min_length is not None:
        notes.append(f"At least {fld.min_length} characters.")
    if fld.max_length is not None:
        notes.append(f"At most {fld.max_length} characters.")
    if fld.multiline:
        notes.append("May hold line breaks.")
    if fld.unit:
        notes.append(f"Unit: {fld.unit}.")
    if fld.pattern:
        notes.append(f"Pattern: {_code(fld.pattern)}.")
    if fld.enum is not None:
        if fld.enum_descriptions:
            notes.append("Values: listed below the table.")
        else:
            notes.append("Values: " + ", ".join(_code(v) for v in fld.enum) + ".")
    if rule is not None:
        notes.append(_split_note(rule))
    return _cell(" ".join(n for n in notes if n))


def _fields_table(package: Package, resource: Resource) -> list[str]:
    rules = {s.field: s for s in splits(package, resource)[0]}
    lines = [
        "| Column | Type | Required | HXL | Description |",
        "|---|---|---|---|---|",
    ]
    for fld in resource.fields:
        lines.append(
            f"| {_code(fld.name)} | {_TYPE_TEXT.get(fld.type, fld.type)} | {'yes' if fld.required else ''} "
            f"| {_code(fld.hxl) if fld.hxl else ''} | {_field_notes(fld, rules.get(fld.name))} |"
        )
    return lines


def _enum_lists(resource: Resource) -> list[str]:
    lines = []
    for fld in resource.fields:
        if fld.enum is None or not fld.enum_descriptions:
            continue
        lines += ["", f"### `{fld.name}` values", ""]
        for value in fld.enum:
            meaning = fld.enum_descriptions.get(value, "")
            label = f" ({fld.enum_labels[value]})" if value in fld.enum_labels else ""
            lines.append(f"- {_code(value)}{label}" + (f": {' '.join(meaning.split())}" if meaning else ""))
    return lines


def _rules(resource: Resource) -> list[str]:
    """The resource's row rules, one line each, as the descriptor states them."""
    lines = []
    for rule in resource.rules:
        a, b = (rule.fields + ("", ""))[:2]
        if rule.kind == "together":
            text = f"{_code(a)} and {_code(b)} are filled in together or left empty together"
        elif rule.kind == "ordered":
            text = f"{_code(a)} is not after {_code(b)}"
        elif rule.kind == "determines":
            text = f"rows with the same {_code(a)} have the same {_code(b)}"
        else:
            when = " and ".join(c.describe(_code(n)) for n, c in rule.when)
            then = " and ".join(c.describe(_code(n)) for n, c in rule.then)
            text = f"when {when}, {then}"
        lines.append(f"- Rule: {text}" + (f" ({_cell(rule.description)})" if rule.description else "") + ".")
    return lines


def _keys(resource: Resource) -> list[str]:
    lines = []
    if resource.primary_key:
        lines.append("- Primary key: " + ", ".join(_code(k) for k in resource.primary_key))
    for fk in resource.foreign_keys:
        refs = ", ".join(_code(f"{fk.resource}.{f}") for f in fk.reference_fields)
        lines.append(f"- Foreign key: {', '.join(_code(f) for f in fk.fields)} refers to {refs}")
    return lines


def _license_key(license: dict) -> str:
    return json.dumps(license, sort_keys=True, ensure_ascii=False)


def _license_line(license: dict) -> str:
    name = license.get("name") or license.get("title") or license.get("path", "")
    text = f"[{name}]({license['path']})" if license.get("path") else name
    if license.get("title") and license.get("title") != name:
        text += f" ({license['title']})"
    return text


def _licenses_section(package: Package) -> list[str]:
    """Each distinct license once, with the tables it covers (the descriptor repeats it per table)."""
    groups: dict[str, tuple[dict, list[str]]] = {}
    for resource in package.resources:
        for license in resource.licenses:
            groups.setdefault(_license_key(license), (license, []))[1].append(resource.name)
    lines = ["## Licenses", ""]
    if package.licenses:
        lines.append("The package as a whole: " + "; ".join(_license_line(lic) for lic in package.licenses) + ".")
    for license, tables in groups.values():
        lines += ["", f"### {_license_line(license)}", "", "Tables: " + ", ".join(_code(t) for t in tables) + "."]
        if license.get("description"):
            lines += ["", " ".join(license["description"].split())]
        upstream = license.get("upstreamTerms") or {}
        if upstream:
            lines += ["", "Terms of the upstream documents, by the `kind` of source:", ""]
            lines += [f"- {_code(kind)}: {' '.join(note.split())}" for kind, note in upstream.items()]
    return lines


def render_dictionary(package: Package) -> str:
    """Return the data dictionary of ``package`` as Markdown text, ending in one newline."""
    lines = [
        f"# Data dictionary: {package.title}",
        "",
        f"<!-- Generated from {DESCRIPTOR} by `{COMMAND}`; do not edit by hand. -->",
        "",
        " ".join(package.description.split()),
        "",
        f"Package `{package.name}`, version {package.version}. Every table is a UTF-8 CSV file with one "
        f"header row; `{DESCRIPTOR}` is the authoritative schema and this page is generated from it. "
        "How facts become rows is described in [CURATION.md](CURATION.md). "
        "The HXL column gives the hashtag each column carries in the HXL export (`haiti-mission export --format hxl`); "
        "where one column mixes meanings (people counts and shares, money and vehicles), the export splits it into one "
        "column per meaning, as its description says.",
        "",
        "## Tables",
        "",
        "| Table | File | Title |",
        "|---|---|---|",
    ]
    for resource in package.resources:
        lines.append(f"| [{_code(resource.name)}](#{resource.name}) | {_code(resource.path)} | {_cell(resource.title)} |")
    for resource in package.resources:
        lines += ["", f"## {resource.name}", "", f"**{_cell(resource.title)}** ({_code(resource.path)}). {' '.join(resource.description.split())}", ""]
        keys = _keys(resource) + _rules(resource)
        if keys:
            lines += keys + [""]
        lines += _fields_table(package, resource)
        lines += _enum_lists(resource)
    lines += [""] + _licenses_section(package)
    return "\n".join(lines) + "\n"


def readme_path(package: Package):
    """Return where the dictionary of ``package`` lives: README.md beside its descriptor."""
    return package.folder / README
