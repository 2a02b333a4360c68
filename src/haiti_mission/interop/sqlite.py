"""The SQLite export: one table per resource, typed, keyed and described from the descriptor.

Column types follow the field types (text, integer, real; dates as ISO 8601 text, booleans as 0
or 1); required fields are NOT NULL, enumerations and booleans get CHECK constraints, and the
primary and foreign keys are declared. Tables are STRICT and foreign keys are enforced while
writing, so a value of the wrong type or a row pointing nowhere cannot be written.

The descriptor travels along in tables of its own: ``meta_tables`` (title, description, licences
and keys of each table), ``meta_columns`` (type, description, unit, HXL tag of each column),
``meta_values`` (what each code of an enumeration means) and ``meta_package``. Fields named
``title`` or ``description`` get a full-text index (``<table>_fts``, FTS5).
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd

from ..datapackage.descriptor import Field, Package, Resource

SQL_TYPES = {"string": "TEXT", "integer": "INTEGER", "number": "REAL", "date": "TEXT", "boolean": "INTEGER"}
# Full-text search covers the fields that hold prose people search for.
SEARCHABLE = ("title", "description")
META_TABLES = ("meta_package", "meta_tables", "meta_columns", "meta_values")


def quote(name: str) -> str:
    """Return ``name`` as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def column_sql(fld: Field, table_pk: tuple[str, ...]) -> str:
    """Return the column definition of ``fld``: name, type and constraints."""
    parts = [quote(fld.name), SQL_TYPES[fld.type]]
    if fld.required or fld.name in table_pk:
        parts.append("NOT NULL")
    if fld.unique and (fld.name,) != table_pk:
        parts.append("UNIQUE")
    checks = []
    if fld.enum is not None:
        checks.append(f"{quote(fld.name)} IN ({', '.join(_literal(v) for v in fld.enum)})")
    if fld.type == "boolean":
        checks.append(f"{quote(fld.name)} IN (0, 1)")
    if fld.type == "date":
        checks.append(f"{quote(fld.name)} = date({quote(fld.name)})")
    if fld.minimum is not None:
        checks.append(f"{quote(fld.name)} >= {fld.minimum!r}")
    parts += [f"CHECK ({c})" for c in checks]
    return " ".join(parts)


def table_sql(resource: Resource) -> str:
    """Return the CREATE TABLE statement of ``resource``."""
    lines = [column_sql(f, resource.primary_key) for f in resource.fields]
    if resource.primary_key:
        lines.append(f"PRIMARY KEY ({', '.join(quote(k) for k in resource.primary_key)})")
    for fk in resource.foreign_keys:
        lines.append(f"FOREIGN KEY ({', '.join(quote(f) for f in fk.fields)}) "
                     f"REFERENCES {quote(fk.resource)} ({', '.join(quote(f) for f in fk.reference_fields)})")
    return f"CREATE TABLE {quote(resource.name)} (\n  " + ",\n  ".join(lines) + "\n) STRICT"


def creation_order(package: Package) -> list[Resource]:
    """Return the resources with every table after the tables its foreign keys point to."""
    done: list[Resource] = []
    pending = list(package.resources)
    while pending:
        ready = [r for r in pending if all(fk.resource in {d.name for d in done} or fk.resource == r.name for fk in r.foreign_keys)]
        if not ready:  # a cycle: keep the descriptor's order (foreign keys are still checked at commit)
            ready = pending[:1]
        done += ready
        pending = [r for r in pending if r not in ready]
    return done


def sql_value(value, fld: Field):
    """Return one value of a typed frame as SQLite stores it (None for a missing value)."""
    if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)):
        return None
    if fld.type == "date":
        return pd.Timestamp(value).date().isoformat()
    if fld.type == "boolean":
        return int(bool(value))
    if fld.type == "integer":
        return int(value)
    if fld.type == "number":
        return float(value)
    return str(value)


def _rows(frame: pd.DataFrame, resource: Resource) -> list[tuple]:
    columns = [frame[f.name].astype(object).tolist() for f in resource.fields]
    return [tuple(sql_value(v, f) for v, f in zip(row, resource.fields)) for row in zip(*columns)]


def _fts_sql(resource: Resource) -> list[str]:
    fields = [f.name for f in resource.fields if f.name in SEARCHABLE and f.type == "string"]
    if not fields:
        return []
    name, cols = quote(f"{resource.name}_fts"), ", ".join(quote(f) for f in fields)
    # content="<table>": the index points at the table's rows (Datasette finds it by this clause).
    return [
        f'CREATE VIRTUAL TABLE {name} USING fts5({cols}, content="{resource.name}")',
        f"INSERT INTO {name} (rowid, {cols}) SELECT rowid, {cols} FROM {quote(resource.name)} ORDER BY rowid",
    ]


def _meta_sql(package: Package) -> list[tuple[str, list[tuple]]]:
    """The statements and rows that carry the descriptor into the database."""
    dump = lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True)  # noqa: E731
    package_rows = [("name", package.name), ("title", package.title), ("description", package.description),
                    ("version", package.version), ("licenses", dump(list(package.licenses)))]
    tables, columns, values = [], [], []
    for resource in package.resources:
        tables.append((resource.name, resource.title, resource.description, dump(list(resource.primary_key)),
                       dump([{"fields": list(fk.fields), "resource": fk.resource, "reference_fields": list(fk.reference_fields)} for fk in resource.foreign_keys]),
                       dump(list(resource.licenses))))
        for position, fld in enumerate(resource.fields, start=1):
            columns.append((resource.name, fld.name, position, fld.type, SQL_TYPES[fld.type], fld.description, fld.unit,
                            int(fld.required), fld.hxl))
            for value in fld.enum or ():
                values.append((resource.name, fld.name, value, fld.enum_descriptions.get(value)))
    return [
        ("CREATE TABLE meta_package (key TEXT PRIMARY KEY, value TEXT) STRICT", package_rows),
        ("CREATE TABLE meta_tables (table_name TEXT PRIMARY KEY, title TEXT, description TEXT, primary_key TEXT, "
         "foreign_keys TEXT, licenses TEXT) STRICT", tables),
        ("CREATE TABLE meta_columns (table_name TEXT NOT NULL REFERENCES meta_tables (table_name), column_name TEXT NOT NULL, "
         "position INTEGER NOT NULL, field_type TEXT NOT NULL, sql_type TEXT NOT NULL, description TEXT, unit TEXT, "
         "required INTEGER NOT NULL, hxl TEXT, PRIMARY KEY (table_name, column_name)) STRICT", columns),
        ("CREATE TABLE meta_values (table_name TEXT NOT NULL, column_name TEXT NOT NULL, value TEXT NOT NULL, description TEXT, "
         "PRIMARY KEY (table_name, column_name, value), "
         "FOREIGN KEY (table_name, column_name) REFERENCES meta_columns (table_name, column_name)) STRICT", values),
    ]


def write_database(package: Package, frames: dict[str, pd.DataFrame], path: Path) -> dict[str, int]:
    """Write ``frames`` (typed, validated, one per resource) into a new SQLite file at ``path``.

    Returns the rows written per table. Raises sqlite3.IntegrityError, leaving a partial file
    the caller discards, when a row breaks a type, a key or a constraint.
    """
    names = {r.name for r in package.resources}
    clash = names & (set(META_TABLES) | {f"{n}_fts" for n in names})
    if clash:
        raise ValueError(f"resource names {', '.join(sorted(clash))} clash with the export's own tables")
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("BEGIN")
        # Checked at commit, not row by row: a row may point to a later row of its own table (part_of).
        con.execute("PRAGMA defer_foreign_keys = ON")
        counts = {}
        for resource in creation_order(package):
            con.execute(table_sql(resource))
            rows = _rows(frames[resource.name], resource)
            marks = ", ".join("?" for _ in resource.fields)
            con.executemany(f"INSERT INTO {quote(resource.name)} VALUES ({marks})", rows)
            counts[resource.name] = len(rows)
            for statement in _fts_sql(resource):
                con.execute(statement)
        for statement, rows in _meta_sql(package):
            con.execute(statement)
            if rows:
                con.executemany(f"INSERT INTO {statement.split()[2]} VALUES ({', '.join('?' for _ in rows[0])})", rows)
        violations = con.execute("PRAGMA foreign_key_check").fetchall()
        if violations:
            raise sqlite3.IntegrityError(f"FOREIGN KEY constraint failed: {violations[:5]}")
        con.execute("COMMIT")
        con.execute("VACUUM")
    finally:
        con.close()
    return counts
