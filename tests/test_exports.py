"""The SQLite and Parquet exports read back against ``load()``, the export targets refused, and
the HXL tags of every field of every resource checked against the HXL core dictionary.

Every export test works on a temporary copy of the real data, so it covers whatever resources the
descriptor holds; nothing here names a table or a column except where a test breaks one on purpose.
"""
from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from pathlib import Path

import hxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import DATA, ROOT

import haiti_mission as hm
from haiti_mission.cli import main
from haiti_mission.datapackage.descriptor import read_package
from haiti_mission.interop.datasette import DATABASE, metadata
from haiti_mission.interop.export import validated_frames
from haiti_mission.interop.hxl_tags import (
    ISO_4217,
    attributes,
    export_columns,
    hashtag,
    package_tag_problems,
    splits,
)
from haiti_mission.interop.sqlite import SQL_TYPES, write_database

# The HXL core hashtags (HXL standard 1.1-1.3, status Released), copied from the standard so that
# a wrong list in the code cannot make this test pass.
HXL_CORE = set("""
    access activity adm1 adm2 adm3 adm4 adm5 affected beneficiary capacity cause channel contact country
    crisis currency date description event frequency geo group impact indicator inneed item loc meta
    modality need operations org output population reached region respondee sector service severity
    status subsector targeted value""".split())
# What HXL reads as numbers: people counts, populations, money, and #indicator with +num or +pct.
HXL_NUMBERS = {"affected", "inneed", "targeted", "reached", "population", "value"}


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data(tmp_path) -> Path:
    return shutil.copytree(DATA, tmp_path / "data")


def break_a_foreign_key(folder: Path) -> tuple[str, int]:
    """Point one row of the first table with a foreign key at a key that does not exist.
    Returns the file and the row number (header = 1)."""
    package = read_package(folder)
    resource = next(r for r in package.resources if r.foreign_keys)
    column = resource.field_names.index(resource.foreign_keys[0].fields[0])
    path = folder / resource.path
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    rows[1][column] = "no-such-key-anywhere"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return resource.path, 2


# ---------------------------------------------------------------- SQLite

def sqlite_value_back(value, field_type: str):
    """Turn a value read from SQLite back into what ``load()`` holds, for comparison."""
    if value is None:
        return None
    if field_type == "date":
        return pd.Timestamp(value)
    if field_type == "boolean":
        return bool(value)
    return value


def frame_value(value):
    if value is pd.NA or value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value
    return value.item() if hasattr(value, "item") else value


def test_sqlite_export_reads_back_as_load_gives_it_row_for_row_and_type_for_type(data, tmp_path, capsys):
    db = tmp_path / "out" / "hm.db"
    code, out, err = run(capsys, "export", "--format", "sqlite", "--out", db, "--data-dir", data)
    assert code == 0, err
    package = read_package(data)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    for resource in package.resources:
        frame = hm.load(resource.name, data_dir=data)
        info = con.execute(f'PRAGMA table_info("{resource.name}")').fetchall()
        assert [r[1] for r in info] == resource.field_names
        assert [r[2] for r in info] == [SQL_TYPES[f.type] for f in resource.fields], resource.name
        assert [r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5])] == list(resource.primary_key)
        assert {r[1]: bool(r[3]) for r in info} == {f.name: f.required or f.name in resource.primary_key for f in resource.fields}
        declared = {(r[3], r[2], r[4]) for r in con.execute(f'PRAGMA foreign_key_list("{resource.name}")')}
        assert declared == {(a, fk.resource, b) for fk in resource.foreign_keys for a, b in zip(fk.fields, fk.reference_fields)}
        rows = con.execute(f'SELECT * FROM "{resource.name}" ORDER BY rowid').fetchall()
        assert len(rows) == len(frame), resource.name
        # Stored types: one SQLite storage class per field type, NULL only where load() has nothing.
        storage = {"TEXT": "text", "INTEGER": "integer", "REAL": "real"}
        for fld in resource.fields:
            kinds = {k for (k,) in con.execute(f'SELECT DISTINCT typeof("{fld.name}") FROM "{resource.name}"')}
            assert kinds <= {storage[SQL_TYPES[fld.type]], "null"}, (resource.name, fld.name, kinds)
        for number, (row, expected) in enumerate(zip(rows, frame.itertuples(index=False)), start=2):
            back = [sqlite_value_back(v, f.type) for v, f in zip(row, resource.fields)]
            assert back == [frame_value(v) for v in expected], f"{resource.name}, row {number}"
    assert out.count("wrote ") == len(package.resources)


def test_sqlite_export_carries_the_descriptor_and_full_text_search(data, tmp_path, capsys):
    db = tmp_path / "hm.db"
    assert run(capsys, "export", "--format", "sqlite", "--out", db, "--data-dir", data)[0] == 0
    package = read_package(data)
    con = sqlite3.connect(db)
    meta = dict(con.execute("SELECT key, value FROM meta_package"))
    assert meta["title"] == package.title and meta["version"] == package.version
    assert json.loads(meta["licenses"]) == list(package.licenses)
    tables = {r[0]: r for r in con.execute("SELECT table_name, title, description, primary_key, foreign_keys, licenses FROM meta_tables")}
    columns = {(r[0], r[1]): r for r in con.execute("SELECT table_name, column_name, description, unit, hxl FROM meta_columns")}
    values = {(r[0], r[1], r[2]): r[3] for r in con.execute("SELECT table_name, column_name, value, description FROM meta_values")}
    for resource in package.resources:
        assert tables[resource.name][1:3] == (resource.title, resource.description)
        assert json.loads(tables[resource.name][5]) == list(resource.licenses)
        for fld in resource.fields:
            assert columns[(resource.name, fld.name)][2:] == (fld.description, fld.unit, fld.hxl)
            for value in fld.enum or ():
                assert values[(resource.name, fld.name, value)] == fld.enum_descriptions.get(value)
    searchable = [(r.name, f.name) for r in package.resources for f in r.fields if f.name in ("title", "description")]
    assert searchable, "no field to search in"
    for table, column in searchable:
        word = con.execute(f'SELECT "{column}" FROM "{table}" LIMIT 1').fetchone()[0].split()[-1].strip(".,;:()'\"")
        hits = con.execute(f'SELECT count(*) FROM "{table}_fts" WHERE "{table}_fts" MATCH ?', [f'"{word}"']).fetchone()[0]
        assert hits >= 1, (table, column, word)


def test_sqlite_export_is_byte_identical_run_to_run(data, tmp_path, capsys):
    for name in ("one.db", "two.db"):
        assert run(capsys, "export", "--format", "sqlite", "--out", tmp_path / name, "--data-dir", data)[0] == 0
    assert (tmp_path / "one.db").read_bytes() == (tmp_path / "two.db").read_bytes()


def test_a_foreign_key_violation_is_refused_and_nothing_is_written(data, tmp_path, capsys):
    db = tmp_path / "hm.db"
    db.write_bytes(b"the previous export")
    file, row = break_a_foreign_key(data)
    code, _, err = run(capsys, "export", "--format", "sqlite", "--out", db, "--data-dir", data)
    assert code == 1 and f"{file}, row {row}" in err and "does not exist" in err, err
    assert db.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "hm.db"]  # no temporary file left


def test_the_database_itself_refuses_a_row_pointing_nowhere(tmp_path):
    """Even handed frames that skipped validation, the writer cannot store a broken foreign key."""
    package = read_package(DATA)
    frames = validated_frames(package)
    resource = next(r for r in package.resources if r.foreign_keys)
    column = resource.foreign_keys[0].fields[0]
    frames[resource.name] = frames[resource.name].copy()
    frames[resource.name].loc[0, column] = "no-such-key-anywhere"
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        write_database(package, frames, tmp_path / "broken.db")


# ---------------------------------------------------------------- Parquet

def test_parquet_export_reads_back_as_load_gives_it_with_descriptions(data, tmp_path, capsys):
    out = tmp_path / "parquet"
    code, _, err = run(capsys, "export", "--format", "parquet", "--out", out, "--data-dir", data)
    assert code == 0, err
    package = read_package(data)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{r.name}.parquet" for r in package.resources)
    for resource in package.resources:
        path = out / f"{resource.name}.parquet"
        expected = hm.load(resource.name, data_dir=data)
        back = pd.read_parquet(path)
        assert list(back.dtypes.astype(str)) == list(expected.dtypes.astype(str)), resource.name
        pd.testing.assert_frame_equal(back, expected, check_exact=True)
        for name in back.columns:
            if isinstance(expected[name].dtype, pd.CategoricalDtype):
                assert list(back[name].cat.categories) == list(resource.field(name).enum)
        schema = pq.read_schema(path)
        for fld in resource.fields:
            described = schema.field(fld.name).metadata
            assert described[b"description"].decode() == fld.description and described[b"type"].decode() == fld.type
            assert described.get(b"unit", b"").decode() == (fld.unit or "")
        about = json.loads(schema.metadata[b"haiti_mission"])
        assert (about["title"], about["description"], about["licenses"]) == (resource.title, resource.description, list(resource.licenses))
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert run(capsys, "export", "--format", "parquet", "--out", out, "--data-dir", data)[0] == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first  # same data, same bytes


def test_parquet_export_refused_on_invalid_data_leaves_the_previous_files(data, tmp_path, capsys):
    out = tmp_path / "parquet"
    assert run(capsys, "export", "--format", "parquet", "--out", out, "--data-dir", data)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    break_a_foreign_key(data)
    assert run(capsys, "export", "--format", "parquet", "--out", out, "--data-dir", data)[0] == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


# ---------------------------------------------------------------- where exports may go

@pytest.mark.parametrize("fmt", ["hxl", "sqlite", "parquet"])
def test_exports_refuse_the_data_and_notebooks_folders_and_the_project_root(fmt, data, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("HAITI_MISSION_DATA", raising=False)
    name = "x.db" if fmt == "sqlite" else "x"
    link = tmp_path / "link"
    link.symlink_to(data)
    targets = [data / name, link / name, DATA / name, ROOT / "notebooks" / name, ROOT / "notebooks"]
    if fmt != "sqlite":
        targets += [data, ROOT, DATA]
    before = {p: sorted(p.iterdir()) for p in (data, DATA, ROOT / "notebooks", ROOT)}
    for target in targets:
        code, _, err = run(capsys, "export", "--format", fmt, "--out", target, "--data-dir", data)
        assert code == 1 and "refusing" in err, (target, err)
    assert {p: sorted(p.iterdir()) for p in before} == before


# ---------------------------------------------------------------- HXL tags of every field

def test_every_field_of_every_resource_has_a_core_hxl_hashtag_and_numbers_sit_under_number_hashtags():
    package = read_package(DATA)
    assert package_tag_problems(package) == []
    checked = 0
    for resource in package.resources:
        types = {f.name: f.type for f in resource.fields}
        tags = [(header, tag, types[source]) for header, tag, source in export_columns(package, resource)]
        assert len({t for _, t, _ in tags}) == len(tags), f"{resource.name}: two columns share a tag"
        for header, tag, field_type in tags:
            assert hashtag(tag) in HXL_CORE, f"{resource.name}.{header}: {tag} is not an HXL core hashtag"
            number = hashtag(tag) in HXL_NUMBERS or (hashtag(tag) == "indicator" and {"num", "pct"} & set(attributes(tag)))
            year = hashtag(tag) == "date" and field_type == "integer"  # a plan year: a date written as a number
            assert year or bool(number) == (field_type in ("integer", "number")), f"{resource.name}.{header}: {tag} on a {field_type} column"
            column = hxl.model.Column.parse(tag)
            assert column is not None and column.get_display_tag(sort_attributes=False) == tag
            checked += 1
    assert checked >= sum(len(r.fields) for r in package.resources)


def test_hxl_export_splits_mixed_columns_and_keeps_currency_to_iso_codes(data, tmp_path, capsys):
    out = tmp_path / "hxl"
    assert run(capsys, "export", "--format", "hxl", "--out", out, "--data-dir", data)[0] == 0
    package = read_package(data)
    moved = 0
    for resource in package.resources:
        dataset = hxl.data(str(out / resource.path), hxl.InputOptions(allow_local=True))
        header = [c.header for c in dataset.columns]
        rows = [dict(zip(header, r.values)) for r in dataset]
        canonical = list(csv.DictReader(io.StringIO((data / resource.path).read_text(encoding="utf-8"), newline="")))
        for tag, name in zip([c.get_display_tag(sort_attributes=False) for c in dataset.columns], header):
            if hashtag(tag) == "currency":
                assert all(ISO_4217.fullmatch(r[name]) for r in rows if r[name]), f"{resource.name}.{name}: not an ISO 4217 code under #currency"
        for rule in splits(package, resource)[0]:
            for row, original in zip(rows, canonical):
                target = rule.column_for(original[rule.by])
                holder = target.name if target else rule.field
                assert row[holder] == original[rule.field]
                assert all(row[c.name] == "" for c in rule.columns if c.name != holder) and (holder == rule.field or row[rule.field] == "")
                moved += target is not None and original[rule.field] != ""
    assert moved > 0, "no value was moved to a split column: the split rules match nothing"


def test_hxl_tag_problems_refuse_non_core_hashtags_numbers_under_text_and_items_under_currency(data, tmp_path, capsys):
    path = data / "datapackage.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    resource = raw["resources"][0]
    text_field = next(f for f in resource["schema"]["fields"] if f.get("type", "string") == "string")
    text_field["hxl"] = "#people+name"
    number = next((r, f) for r in raw["resources"] for f in r["schema"]["fields"] if f.get("type") == "integer")
    number[1]["hxl"] = "#description+count"
    for r in raw["resources"]:
        for f in r["schema"]["fields"]:
            f.pop("hxlSplit", None)  # items and shares back under one tag
    path.write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    code, _, err = run(capsys, "export", "--format", "hxl", "--out", tmp_path / "hxl", "--data-dir", data)
    assert code == 1 and not (tmp_path / "hxl").exists()
    assert f'field "{text_field["name"]}": #people is not an HXL core hashtag' in err
    assert f'field "{number[1]["name"]}": #description+count holds numbers' in err
    currency = [(r["name"], f["name"]) for r in raw["resources"] for f in r["schema"]["fields"]
                if f.get("hxl", "").startswith("#currency") and any(not ISO_4217.fullmatch(v) for v in f.get("constraints", {}).get("enum", []))]
    for table, field in currency:
        assert f"resource '{table}'), field \"{field}\": #currency holds ISO 4217 codes only" in err


# ---------------------------------------------------------------- Datasette metadata

def test_datasette_metadata_follows_the_descriptor():
    package = read_package(DATA)
    meta = metadata(package)
    assert meta["title"] == package.title and meta["license"] == package.licenses[0]["name"]
    tables = meta["databases"][DATABASE]["tables"]
    for resource in package.resources:
        table = tables[resource.name]
        assert table["title"] == resource.title and table["license_url"].startswith("https://")
        assert set(table["columns"]) == set(resource.field_names)
        for fld in resource.fields:
            assert " ".join(fld.description.split()) in table["columns"][fld.name]
            if fld.unit:
                assert f"Unit: {fld.unit}." in table["columns"][fld.name]
        assert set(table.get("facets", [])) <= set(resource.field_names)
    assert not any("units" in t for t in tables.values())  # Datasette's Pint units fail on money and people
    # Tables other tables point to show a label; a row pointing into its own table (part_of) needs none.
    referenced = {fk.resource for r in package.resources for fk in r.foreign_keys if fk.resource != r.name}
    assert all("label_column" in tables[name] for name in referenced)
