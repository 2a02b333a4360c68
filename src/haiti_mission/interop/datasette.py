"""Datasette metadata for the SQLite export, generated from the descriptor.

The package's and each table's title, description and licence; each column's description with
its unit (as text: Datasette's own ``units`` go through Pint, which fails on money, and a count
of people has no physical unit); facets on the fields people filter by; full-text search where the export
built an index; each row's source as a link (the foreign key, labelled with the source's title).
"""
from __future__ import annotations

from ..datapackage.descriptor import Field, Package, Resource
from .sqlite import META_TABLES, SEARCHABLE

DATABASE = "haiti-mission"
# The fields people filter by, wherever a table has them.
FACETS = ("country", "metric", "category", "series", "force", "kind")
META_DESCRIPTIONS = {
    "meta_package": "The data package itself: name, title, description, version and licences.",
    "meta_tables": "Each table's title, description, keys and licences, as datapackage.json gives them.",
    "meta_columns": "Each column's type, description, unit and HXL tag, as datapackage.json gives them.",
    "meta_values": "What each code of a coded column means.",
}


def _licence(licenses) -> dict:
    if not licenses:
        return {}
    first = licenses[0]
    out = {"license": first.get("name") or first.get("title", "")}
    if first.get("path"):
        out["license_url"] = first["path"]
    return out


def column_description(fld: Field) -> str:
    """Return the text Datasette shows for a column: its description, unit and codes."""
    text = " ".join(fld.description.split())
    if fld.unit:
        text += f" Unit: {fld.unit}."
    if fld.enum is not None:
        text += " Codes: " + ", ".join(fld.enum) + (" (meanings in meta_values)." if fld.enum_descriptions else ".")
    return text


def _label_column(resource: Resource) -> str | None:
    names = resource.field_names
    return next((n for n in ("title", "name") if n in names), None)


def table_metadata(package: Package, resource: Resource) -> dict:
    """Return Datasette's metadata for the table of ``resource``."""
    out = {
        "title": resource.title,
        "description": " ".join(resource.description.split()),
        **_licence(resource.licenses or package.licenses),
        "columns": {f.name: column_description(f) for f in resource.fields},
    }
    facets = [f for f in FACETS if f in resource.field_names]
    if facets:
        out["facets"] = facets
    if any(f.name in SEARCHABLE and f.type == "string" for f in resource.fields):
        out["fts_table"] = f"{resource.name}_fts"
        out["fts_pk"] = "rowid"
    referenced = any(fk.resource == resource.name for r in package.resources for fk in r.foreign_keys if r.name != resource.name)
    if referenced and _label_column(resource):
        out["label_column"] = _label_column(resource)
    return out


def metadata(package: Package) -> dict:
    """Return the whole metadata document Datasette reads (``--metadata``)."""
    tables = {r.name: table_metadata(package, r) for r in package.resources}
    tables.update({name: {"description": META_DESCRIPTIONS[name]} for name in META_TABLES})
    return {
        "title": package.title,
        "description": " ".join(package.description.split()),
        **_licence(package.licenses),
        "source": f"{package.name} {package.version}, every row tied to a document in the sources table",
        "databases": {DATABASE: {"title": package.title, "tables": tables}},
    }


def foreign_key_targets(package: Package) -> dict[tuple[str, str], tuple[str, str, str | None]]:
    """Return, for each single-column foreign key, (table, column) -> (table, column, label column) it points to."""
    out = {}
    for resource in package.resources:
        for fk in resource.foreign_keys:
            if len(fk.fields) == 1:
                out[(resource.name, fk.fields[0])] = (fk.resource, fk.reference_fields[0], _label_column(package.resource(fk.resource)))
    return out


def links_plugin(package: Package):
    """Return a Datasette plugin that shows every foreign key value as a link to the row it points
    to, labelled like Datasette's own table pages label it, on row pages too."""
    import types

    import markupsafe
    from datasette import hookimpl
    from datasette.utils import tilde_encode

    from .sqlite import quote

    targets = foreign_key_targets(package)

    @hookimpl
    def render_cell(value, column, table, database, datasette):
        target = targets.get((table, column))
        if target is None or not isinstance(value, str):
            return None  # table pages hand expanded keys over as dicts: Datasette links those itself
        other, key, label = target

        async def link():
            text = value
            if label:
                found = await datasette.get_database(database).execute(
                    f"SELECT {quote(label)} FROM {quote(other)} WHERE {quote(key)} = ?", [value])
                text = next((r[0] for r in found.rows if r[0]), value)
            href = datasette.urls.row(database, other, tilde_encode(value))
            extra = markupsafe.Markup("&nbsp;<em>{}</em>").format(value) if text != value else ""
            return markupsafe.Markup('<a href="{}">{}</a>').format(href, text) + extra

        return link()

    # Datasette names its plugins by module: the hook travels in a module of its own.
    plugin = types.ModuleType("haiti_mission_links")
    plugin.render_cell = render_cell
    return plugin
