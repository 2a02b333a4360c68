"""Open-data interoperability: HXL export, citations, licenses, data dictionary, sources check.

Every test works on a temporary copy of the data folder (or on small inline values), never on the
real files, except the two that guard the real package: the data dictionary must be current, and
`sources --check` must pass.
"""
from __future__ import annotations

import csv
import io
import json
import shutil
import tomllib
from pathlib import Path

import hxl
import pandas as pd
import pytest
import yaml

import haiti_mission as hm
from haiti_mission import paths
from haiti_mission.cli import main
from haiti_mission.datapackage.descriptor import parse_descriptor, read_package
from haiti_mission.interop.dictionary import readme_path, render_dictionary
from haiti_mission.interop.hxl import csv_text
from haiti_mission.interop.hxl_tags import (
    TAG_PATTERN,
    export_columns,
    package_tag_problems,
    tag_problems,
)
from haiti_mission.interop.sources_check import (
    SourceURL,
    check_sources,
    normalise_url,
    url_problem,
)

TEST_SOURCE = "test-20240102-first"

# A few valid rows per table, written by hand so the tests never depend on the curators' rows.
# Values are chosen to be hard to carry unchanged: commas, quotes, runs of spaces, non-ASCII letters,
# a leading zero, empty cells, booleans and every date precision.
SYNTHETIC = {
    "sources": [
        {"source_id": TEST_SOURCE, "publisher": "Test Publisher, Inc.", "title": 'A "quoted" title, with commas — and é',
         "url": "https://example.org/test/a", "published": "2024-01-02", "published_precision": "day", "kind": "un",
         "note": "line one; line two, \"quoted\""},
        {"source_id": "test-202402-second", "publisher": "Wire Desk", "title": "Second test document?",
         "url": "https://example.org/test/b/", "published": "2024-02-01", "published_precision": "month", "kind": "wire"},
        {"source_id": "test-undated-third", "publisher": "Nobody", "title": "Undated test document",
         "url": "http://example.net/test/c?x=1", "kind": "other"},
    ],
    "displacement": [
        {"record_id": "dis-9901", "date": "2024-01-01", "date_precision": "day", "period_start": "2023-12-01",
         "area": "Haiti", "area_type": "country", "measure": "stock", "metric": "idps", "value": "314000",
         "unit": "persons", "qualifier": "approx", "round": "R1", "source_id": TEST_SOURCE, "note": "a, b"},
        {"record_id": "dis-9902", "date": "2024-01-01", "date_precision": "month", "area": "Port-au-Prince metropolitan area",
         "area_type": "metro", "measure": "stock", "metric": "idps_share", "value": "045", "unit": "percent",
         "qualifier": "exact", "source_id": "test-202402-second", "note": "spaces kept  inside this   note"},
    ],
    "pledges": [
        {"record_id": "pl-9901", "date": "2024-01-01", "date_precision": "day", "force": "MSS", "country": "Kenya",
         "iso3": "KEN", "measure": "pledged", "personnel": "1000", "qualifier": "exact", "personnel_type": "police",
         "is_rotation": "false", "source_id": TEST_SOURCE},
        {"record_id": "pl-9902", "date": "2024-01-01", "date_precision": "year", "force": "MSS", "measure": "announced",
         "personnel_type": "unspecified", "is_rotation": "true", "source_id": "test-undated-third"},
    ],
    "funding": [
        {"record_id": "fu-9901", "date": "2024-01-01", "date_precision": "month", "force": "MSS", "donor": "Canada",
         "iso3": "CAN", "channel": "trust_fund", "stage": "pledged", "amount": "5700000", "unit": "CAD",
         "qualifier": "exact", "source_id": TEST_SOURCE},
        {"record_id": "fu-9902", "date": "2024-01-01", "date_precision": "day", "force": "MSS", "channel": "in_kind",
         "stage": "committed", "source_id": TEST_SOURCE, "note": "no figure given"},
    ],
    "timeline": [
        {"event_id": "test-event-one", "date": "2024-01-01", "date_precision": "day", "title": "Test event",
         "description": "Something happened, \"quoted\".", "category": "diplomatic", "actors": "Kenya; Haiti",
         "location": "Nairobi", "source_id": TEST_SOURCE},
    ],
}


# ---------------------------------------------------------------- fixtures and helpers

@pytest.fixture
def real_data_dir(monkeypatch) -> Path:
    """The package's own data folder (the environment override cleared)."""
    monkeypatch.delenv(paths.DATA_ENV, raising=False)
    return paths.data_dir()


def _rows_of(path: Path) -> list[list[str]]:
    if not path.is_file() or not path.read_bytes().strip():
        return []
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline=""), strict=True))


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8"))


def _synthetic_rows(resource) -> list[list[str]]:
    # Tables without synthetic rows (the outcome data) stay empty: a header only.
    return [[row.get(name, "") for name in resource.field_names] for row in SYNTHETIC.get(resource.name, [])]


def _make_data_dir(real: Path, target: Path, *, keep_real_rows: bool) -> Path:
    """Copy the descriptor into ``target`` and write each table: the real file byte for byte (when
    kept), plus the synthetic rows for every table that would otherwise be empty. Test sources
    always go in, since the synthetic rows cite them."""
    target.mkdir()
    shutil.copyfile(real / paths.DESCRIPTOR, target / paths.DESCRIPTOR)
    package = read_package(target)
    for resource in package.resources:
        has_rows = keep_real_rows and len(_rows_of(real / resource.path)) > 1
        if not has_rows:
            _write_rows(target / resource.path, [resource.field_names, *_synthetic_rows(resource)])
            continue
        raw = (real / resource.path).read_bytes()
        if resource.name == "sources":
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerows(_synthetic_rows(resource))
            raw = raw + (b"" if raw.endswith(b"\n") else b"\n") + buffer.getvalue().encode("utf-8")
        (target / resource.path).write_bytes(raw)
    return target


@pytest.fixture
def synthetic_dir(real_data_dir, tmp_path) -> Path:
    """A data folder with the real descriptor and only the synthetic rows."""
    return _make_data_dir(real_data_dir, tmp_path / "data", keep_real_rows=False)


@pytest.fixture
def real_copy_dir(real_data_dir, tmp_path) -> Path:
    """A temporary copy of the real data, with synthetic rows where a table is still empty."""
    return _make_data_dir(real_data_dir, tmp_path / "data", keep_real_rows=True)


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _edit_descriptor(folder: Path, change) -> None:
    path = folder / paths.DESCRIPTOR
    raw = json.loads(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _field(raw: dict, resource: str, name: str) -> dict:
    res = next(r for r in raw["resources"] if r["name"] == resource)
    return next(f for f in res["schema"]["fields"] if f["name"] == name)


# ---------------------------------------------------------------- HXL tags in the descriptor

def test_every_field_has_a_distinct_lower_case_hxl_tag_libhxl_accepts(real_data_dir):
    package = read_package(real_data_dir)
    assert package_tag_problems(package) == []
    for resource in package.resources:
        for fld in resource.fields:
            column = hxl.model.Column.parse(fld.hxl)
            assert column is not None and column.tag == fld.hxl.split("+")[0], (resource.name, fld.name, fld.hxl)
            assert column.get_display_tag(sort_attributes=False) == fld.hxl, (resource.name, fld.name)


def test_tag_problems_name_the_field(real_data_dir):
    raw = json.loads((real_data_dir / paths.DESCRIPTOR).read_text(encoding="utf-8"))
    sources = next(r for r in raw["resources"] if r["name"] == "sources")
    fields = {f["name"]: f for f in sources["schema"]["fields"]}
    del fields["title"]["hxl"]
    fields["url"]["hxl"] = "#Meta+URL"
    fields["note"]["hxl"] = fields["publisher"]["hxl"]
    package = parse_descriptor(raw, real_data_dir, "datapackage.json")
    problems = {p.field: p.message for p in tag_problems(package, package.resource("sources"))}
    assert set(problems) == {"title", "url", "note"}
    assert "no hxl tag" in problems["title"]
    assert "lower-case" in problems["url"]
    assert "publisher" in problems["note"]
    assert not TAG_PATTERN.fullmatch("#affected+IDPs") and TAG_PATTERN.fullmatch("#affected+idps")


# ---------------------------------------------------------------- HXL export

def _canonical_from_export(package, resource, header: list[str], rows: list[list[str]]) -> list[list[str]]:
    """Put a split field's cells back into its own column: the canonical rows, if nothing changed."""
    columns = export_columns(package, resource)
    assert header == [c[0] for c in columns], resource.name
    out = []
    for row in rows:
        cells = {}
        for (name, _tag, source), value in zip(columns, row):
            if value:
                assert source not in cells, f"{resource.name}: {source} has a value in two columns"
                cells[source] = value
        out.append([cells.get(f, "") for f in resource.field_names])
    return out


@pytest.mark.parametrize("which", ["synthetic", "real_copy"])
def test_export_round_trips_every_value_through_libhxl(which, request, tmp_path, capsys):
    folder = request.getfixturevalue(f"{which}_dir")
    out = tmp_path / "hxl"
    code, stdout, stderr = _run(capsys, "export", "--format", "hxl", "--out", out, "--data-dir", folder)
    assert code == 0, stderr
    package = read_package(folder)
    total = 0
    for resource in package.resources:
        canonical = _rows_of(folder / resource.path)
        dataset = hxl.data(str(out / resource.path), hxl.InputOptions(allow_local=True))
        tags = [c.get_display_tag(sort_attributes=False) for c in dataset.columns]
        assert all(tags), f"{resource.name}: untagged column in {tags}"
        assert tags == [c[1] for c in export_columns(package, resource)]
        values = [list(row.values) for row in dataset]
        assert _canonical_from_export(package, resource, [c.header for c in dataset.columns], values) == canonical[1:], resource.name
        total += len(values)
    assert total >= sum(len(rows) for rows in SYNTHETIC.values()) - len(SYNTHETIC["sources"])
    assert stdout.count("wrote ") == len(package.resources)


def test_export_keeps_the_canonical_text_and_is_byte_identical(synthetic_dir, tmp_path, capsys):
    before = {p.name: p.read_bytes() for p in synthetic_dir.iterdir()}
    assert _run(capsys, "export", "--out", tmp_path / "one", "--data-dir", synthetic_dir)[0] == 0
    assert _run(capsys, "export", "--out", tmp_path / "two", "--data-dir", synthetic_dir)[0] == 0
    assert {p.name: p.read_bytes() for p in synthetic_dir.iterdir()} == before  # canonical files untouched
    package = read_package(synthetic_dir)
    for resource in package.resources:
        one = (tmp_path / "one" / resource.path).read_bytes()
        assert one == (tmp_path / "two" / resource.path).read_bytes()
        rows = _rows_of(tmp_path / "one" / resource.path)
        assert rows[1] == [c[1] for c in export_columns(package, resource)]
        assert _canonical_from_export(package, resource, rows[0], rows[2:]) == _rows_of(synthetic_dir / resource.path)[1:]
        assert b"\r" not in one
    # The canonical CSVs keep a single header row.
    assert not _rows_of(synthetic_dir / "sources.csv")[1][0].startswith("#")
    displacement = (tmp_path / "one" / "displacement.csv").read_text(encoding="utf-8")
    assert ",045," in displacement and ",314000," in displacement  # no float or number reformatting
    assert ",,Port-au-Prince" in displacement  # empty stays empty


@pytest.mark.parametrize("which", ["synthetic", "real_copy"])
def test_export_passes_libhxl_default_schema(which, request, tmp_path, capsys):
    folder = request.getfixturevalue(f"{which}_dir")
    assert _run(capsys, "export", "--out", tmp_path / "hxl", "--data-dir", folder)[0] == 0
    for resource in read_package(folder).resources:
        report = hxl.validate(hxl.data(str(tmp_path / "hxl" / resource.path), hxl.InputOptions(allow_local=True)))
        errors = [i for i in report["issues"] if i["severity"] == "error"]
        assert errors == [], (resource.name, errors)


def test_csv_text_keeps_every_cell_intact():
    rows = [["a\rb", "c\nd", "", " x ", 'q"', "é,", "0100"]]
    text = csv_text(rows)
    assert text.endswith("\n") and "\r\n" not in text
    assert list(csv.reader(io.StringIO(text, newline=""), strict=True)) == rows
    assert csv_text([["plain", "1"]]) == "plain,1\n"  # quoted only when needed


def test_export_refuses_invalid_data_naming_file_row_field(synthetic_dir, tmp_path, capsys):
    path = synthetic_dir / "pledges.csv"
    rows = _rows_of(path)
    rows[1][rows[0].index("personnel")] = "1,000"
    _write_rows(path, rows)
    out = tmp_path / "hxl"
    code, _, err = _run(capsys, "export", "--out", out, "--data-dir", synthetic_dir)
    assert code == 1
    assert "pledges.csv, row 2, field \"personnel\"" in err
    assert not out.exists()


def test_export_refuses_an_untagged_field(synthetic_dir, tmp_path, capsys):
    _edit_descriptor(synthetic_dir, lambda raw: _field(raw, "funding", "donor").pop("hxl"))
    code, _, err = _run(capsys, "export", "--out", tmp_path / "hxl", "--data-dir", synthetic_dir)
    assert code == 1
    assert "resource 'funding'" in err and 'field "donor"' in err


# ---------------------------------------------------------------- licenses and CITATION.cff

def test_every_resource_carries_the_curation_license_and_upstream_terms_per_kind(real_data_dir):
    package = read_package(real_data_dir)
    package_names = {lic["name"] for lic in package.licenses}
    kinds = package.resource("sources").field("kind").enum
    for resource in package.resources:
        assert resource.licenses, resource.name
        curation = [lic for lic in resource.licenses if lic.get("name") in package_names]
        assert curation, f"{resource.name}: the package's own license is missing"
        for lic in curation:
            assert lic.get("path", "").startswith("https://") and lic.get("description")
            assert tuple(lic.get("upstreamTerms", {})) == kinds, f"{resource.name}: one upstream note per source kind, in enum order"
            assert all(note.strip() for note in lic["upstreamTerms"].values())


def test_citation_cff_matches_the_package(real_data_dir):
    root = paths.project_root()
    assert root is not None, "run the tests from a checkout"
    cff = yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8"))
    package = read_package(real_data_dir)
    assert cff["cff-version"] == "1.2.0"
    assert cff["message"].strip() and cff["authors"] and all(a.get("name") or a.get("family-names") for a in cff["authors"])
    assert str(cff["version"]) == hm.__version__ == package.version
    assert package.title in cff["title"]
    assert cff["license"] in {lic["name"] for lic in package.licenses}
    assert set(package.raw["keywords"]) <= set(cff["keywords"])
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["version"] == package.version
    assert pyproject["project"]["license"] in cff["abstract"]  # the code's own license is stated


# ---------------------------------------------------------------- cite()

def test_cite_a_source_by_id_and_by_row(synthetic_dir):
    expected = 'Test Publisher, Inc. (2 January 2024). A "quoted" title, with commas — and é. https://example.org/test/a'
    assert hm.cite(TEST_SOURCE, data_dir=synthetic_dir) == expected
    source_row = hm.sources(data_dir=synthetic_dir).iloc[0]
    assert hm.cite(source_row, data_dir=synthetic_dir) == expected  # a source row cites just the source
    assert hm.cite("test-202402-second", data_dir=synthetic_dir) == "Wire Desk (February 2024). Second test document? https://example.org/test/b/"
    assert hm.cite("test-undated-third", data_dir=synthetic_dir).startswith("Nobody (n.d.). Undated test document. ")


def test_cite_a_data_row_names_dataset_and_row(synthetic_dir):
    version = read_package(synthetic_dir).version
    for name, key in [("displacement", "record_id"), ("pledges", "record_id"), ("funding", "record_id"), ("timeline", "event_id")]:
        frame = hm.load(name, data_dir=synthetic_dir)
        row = frame.iloc[0]
        text = hm.cite(row, data_dir=synthetic_dir)
        source = hm.cite(row["source_id"], data_dir=synthetic_dir)
        assert text == f"{source} [haiti-mission {version}, {name} {row[key]}]"
        assert hm.cite(row.to_dict(), data_dir=synthetic_dir) == text
        assert hm.cite(next(frame.itertuples(index=False)), data_dir=synthetic_dir) == text
    # A few columns still say which row it is.
    partial = hm.load("pledges", data_dir=synthetic_dir)[["record_id", "source_id"]].iloc[1]
    assert hm.cite(partial, data_dir=synthetic_dir).endswith(f"[haiti-mission {version}, pledges pl-9902]")


def test_cite_markdown_package_and_errors(synthetic_dir):
    md = hm.cite(TEST_SOURCE, data_dir=synthetic_dir, style="markdown")
    assert md == 'Test Publisher, Inc. (2 January 2024). *A "quoted" title, with commas — and é*. <https://example.org/test/a>'
    package = read_package(synthetic_dir)
    whole = hm.cite(data_dir=synthetic_dir)
    assert package.version in whole and package.title in whole and "CC-BY-4.0" in whole
    with pytest.raises(KeyError, match="sources.csv"):
        hm.cite("no-such-source", data_dir=synthetic_dir)
    with pytest.raises(ValueError, match="no source_id"):
        hm.cite(pd.Series({"record_id": "dis-9901"}), data_dir=synthetic_dir)
    with pytest.raises(ValueError, match="style"):
        hm.cite(TEST_SOURCE, data_dir=synthetic_dir, style="bibtex")
    with pytest.raises(TypeError):
        hm.cite(42, data_dir=synthetic_dir)


def test_date_text_follows_the_precision():
    from haiti_mission.interop.citation import date_text

    assert date_text(pd.Timestamp("2024-03-09"), "day") == "9 March 2024"
    assert date_text(pd.Timestamp("2024-03-01"), "month") == "March 2024"
    assert date_text(pd.Timestamp("2024-01-01"), "year") == "2024"
    assert date_text(pd.NaT, None) == date_text(None, None) == "n.d."


# ---------------------------------------------------------------- data dictionary

def test_data_dictionary_is_up_to_date(real_data_dir):
    package = read_package(real_data_dir)
    readme = readme_path(package)
    assert readme.is_file(), "data/README.md is missing: run `haiti-mission dictionary`"
    assert readme.read_text(encoding="utf-8") == render_dictionary(package), (
        "data/README.md is out of date with datapackage.json: run `haiti-mission dictionary`"
    )


def test_dictionary_command_writes_checks_and_follows_the_descriptor(synthetic_dir, capsys):
    assert _run(capsys, "dictionary", "--check", "--data-dir", synthetic_dir)[0] == 1  # missing
    assert _run(capsys, "dictionary", "--data-dir", synthetic_dir)[0] == 0
    first = (synthetic_dir / "README.md").read_bytes()
    assert _run(capsys, "dictionary", "--data-dir", synthetic_dir)[0] == 0
    assert (synthetic_dir / "README.md").read_bytes() == first  # deterministic
    assert _run(capsys, "dictionary", "--check", "--data-dir", synthetic_dir)[0] == 0

    text = first.decode("utf-8")
    for resource in read_package(synthetic_dir).resources:
        assert f"## {resource.name}" in text
        for fld in resource.fields:
            assert f"| `{fld.name}` |" in text and f"`{fld.hxl}`" in text
            for value in fld.enum or ():
                assert f"`{value}`" in text

    _edit_descriptor(synthetic_dir, lambda raw: _field(raw, "funding", "donor").update(description="Who gave | the money."))
    code, _, err = _run(capsys, "dictionary", "--check", "--data-dir", synthetic_dir)
    assert code == 1 and "out of date" in err and "haiti-mission dictionary" in err
    assert _run(capsys, "dictionary", "--data-dir", synthetic_dir)[0] == 0
    assert "Who gave \\| the money." in (synthetic_dir / "README.md").read_text(encoding="utf-8")
    assert _run(capsys, "dictionary", "--check", "--data-dir", synthetic_dir)[0] == 0


# ---------------------------------------------------------------- sources --check

@pytest.mark.parametrize("url, reason", [
    ("ftp://example.org/a", "scheme"),
    ("example.org/a", "no scheme"),
    ("https://example.org/a b", "whitespace"),
    ("https:///path-only", "no host"),
    ("https://example.org:port/", "parsed"),
    ("", "empty"),
])
def test_url_problem_names_what_is_wrong(url, reason):
    assert reason in url_problem(url)


def test_url_problem_accepts_ordinary_urls():
    for url in ["https://www.un.org/en/a?b=1#c", "http://example.org", "https://dtm.iom.int/reports/haiti-r7/"]:
        assert url_problem(url) is None


def test_normalise_url_ignores_scheme_and_host_case_and_trailing_slash():
    assert normalise_url("HTTPS://WWW.Example.ORG/Path/") == normalise_url("https://www.example.org/Path")
    assert normalise_url("https://example.org/Path") != normalise_url("https://example.org/path")  # paths keep case
    assert normalise_url("https://example.org/a?x=1") != normalise_url("https://example.org/a?x=2")


def test_check_sources_finds_duplicates_malformed_counts_and_unused():
    sources = [
        SourceURL(2, "a", "https://Example.org/doc/"),
        SourceURL(3, "b", "https://example.org/doc"),
        SourceURL(4, "c", "ftp://example.org/doc"),
        SourceURL(5, "d", "https://example.org/other"),
        SourceURL(6, "e", "https://example.org/third"),
    ]
    citations = {"timeline": ["a", "d", "zzz"], "displacement": ["a", "a", None, "b"]}
    result = check_sources("sources.csv", sources, citations)
    assert not result.ok
    assert [(m.row, m.source_id) for m in result.malformed] == [(4, "c")]
    assert [(d.source_ids, d.rows) for d in result.duplicates] == [(("a", "b"), (2, 3))]
    assert result.rows == {"a": {"displacement": 2, "timeline": 1}, "b": {"displacement": 1}, "c": {}, "d": {"timeline": 1}, "e": {}}
    assert result.unused == ["c", "e"]
    assert result.unknown == {"zzz": {"timeline": 1}}
    assert check_sources("sources.csv", sources[3:], {}).ok


def test_sources_check_cli_reports_and_fails_on_bad_urls(synthetic_dir, capsys):
    code, out, _ = _run(capsys, "sources", "--check", "--data-dir", synthetic_dir)
    assert code == 0, out
    line = next(l for l in out.splitlines() if l.strip().startswith(TEST_SOURCE))
    assert line.split(None, 1)[1] == "5 rows (displacement 1, funding 2, pledges 1, timeline 1)"
    assert "sources no row uses: 0" in out

    path = synthetic_dir / "sources.csv"
    rows = _rows_of(path)
    url = rows[0].index("url")
    rows[2][url] = rows[1][url].upper().replace("/TEST/A", "/test/a/")  # same document, other spelling
    rows[3][url] = "www.example.net/no-scheme"
    _write_rows(path, rows)
    code, out, _ = _run(capsys, "sources", "--check", "--data-dir", synthetic_dir)
    assert code == 1
    assert 'row 4, field "url": malformed URL' in out and "no scheme" in out
    assert f"rows 2, 3, field \"url\": the same URL is listed for {TEST_SOURCE}, test-202402-second" in out


def test_sources_check_passes_on_the_real_data(real_data_dir, tmp_path, capsys):
    copy = shutil.copytree(real_data_dir, tmp_path / "data", ignore=shutil.ignore_patterns("*.md"))
    code, out, err = _run(capsys, "sources", "--check", "--data-dir", copy)
    assert code == 0, out + err
    assert "rows per source" in out


def test_sources_without_check_lists_them(synthetic_dir, capsys):
    code, out, _ = _run(capsys, "sources", "--data-dir", synthetic_dir)
    assert code == 0
    assert f"{TEST_SOURCE}  2024-01-02  un  https://example.org/test/a" in out
    assert "test-undated-third  n.d.  other" in out
    assert out.rstrip().endswith("3 sources")
