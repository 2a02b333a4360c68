"""One rule engine, driven by the descriptor: load() and validate() accept and refuse the same values.

Each test edits a temporary copy of the data (never the real files): a constraint or a row rule is
added to the descriptor, or a cell is broken, and both load() and validate() must say the same.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import haiti_mission as hm
from haiti_mission.datapackage.descriptor import read_package


def edit_descriptor(folder: Path, change) -> None:
    path = folder / "datapackage.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    change({r["name"]: r for r in raw["resources"]})
    path.write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def field_spec(resources: dict, resource: str, name: str) -> dict:
    return next(f for f in resources[resource]["schema"]["fields"] if f["name"] == name)


def rows(folder: Path, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO((folder / f"{name}.csv").read_text(encoding="utf-8"), newline="")))


def set_cell(folder: Path, name: str, row: int, field: str, value: str) -> None:
    table = rows(folder, name)
    table[row - 1][table[0].index(field)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(table)
    (folder / f"{name}.csv").write_text(buf.getvalue(), encoding="utf-8")


def table_problems(report):
    return [p for p in report.problems if "file changed without its descriptor" not in p.message]


def test_a_maximum_in_the_descriptor_is_enforced_by_load_and_validate_alike(data_copy):
    """The defect: load() applied only some constraints, so a maximum gave 7,500 where validate failed."""
    edit_descriptor(data_copy, lambda r: field_spec(r, "pledges", "personnel")["constraints"].update(maximum=10))
    with pytest.raises(hm.DataError) as caught:
        hm.load("pledges")
    problems = caught.value.problems
    assert problems and all(p.field == "personnel" and "above the maximum of 10" in p.message for p in problems)
    report = hm.validate(data_copy)
    assert [(p.file, p.row, p.field, p.message) for p in table_problems(report)] == [(p.file, p.row, p.field, p.message) for p in problems]


@pytest.mark.parametrize("constraint, where", [
    ({"minLength": 8}, ("pledges", "country")),
    ({"maxLength": 5}, ("timeline", "title")),
    ({"minimum": 1_000_000}, ("displacement", "value")),
])
def test_every_supported_constraint_refuses_in_load(data_copy, constraint, where):
    resource, name = where
    edit_descriptor(data_copy, lambda r: field_spec(r, resource, name).setdefault("constraints", {}).update(constraint))
    with pytest.raises(hm.DataError) as caught:
        hm.load(resource)
    assert {p.field for p in caught.value.problems} == {name}
    assert table_problems(hm.validate(data_copy, use_frictionless=False))


@pytest.mark.parametrize("constraint, message", [
    ({"exclusiveMinimum": 0}, "constraint 'exclusiveMinimum' is not supported on a integer field"),
    ({"pattern": "^[0-9]+$"}, "constraint 'pattern' is not supported on a integer field"),
    ({"minimum": "10"}, "constraint minimum must be a finite number"),
    ({"minimum": float("inf")}, "constraint minimum must be a finite number"),
    ({"minimum": 10, "maximum": 5}, "constraint minimum 10 is above maximum 5"),
    ({"required": "yes"}, "constraint required must be true or false"),
])
def test_a_constraint_the_engine_cannot_enforce_is_refused_when_the_descriptor_is_read(data_copy, constraint, message):
    edit_descriptor(data_copy, lambda r: field_spec(r, "pledges", "personnel").setdefault("constraints", {}).update(constraint))
    with pytest.raises(hm.DataError) as caught:
        read_package(data_copy)
    text = str(caught.value)
    assert "resource 'pledges'" in text and 'field "personnel"' in text and message in text


def test_a_reading_convention_other_than_the_packages_is_refused(data_copy):
    edit_descriptor(data_copy, lambda r: field_spec(r, "pledges", "is_rotation").update(trueValues=["true", "yes"]))
    with pytest.raises(hm.DataError, match="trueValues"):
        read_package(data_copy)


def test_vocabulary_must_name_enum_values(data_copy):
    edit_descriptor(data_copy, lambda r: field_spec(r, "sources", "kind").update(enumRanks={"iom": 0, "blog": 9}))
    with pytest.raises(hm.DataError, match="enumRanks names 'blog'"):
        read_package(data_copy)


# --- row rules --------------------------------------------------------------------------------

def add_rule(folder: Path, resource: str, rule: dict) -> None:
    edit_descriptor(folder, lambda r: r[resource]["schema"].setdefault("rules", []).append(rule))


def refused_by_both(resource: str, folder: Path):
    with pytest.raises(hm.DataError) as caught:
        hm.load(resource)
    report_problems = table_problems(hm.validate(folder, use_frictionless=False))
    loaded = [(p.file, p.row, p.field, p.message) for p in caught.value.problems]
    assert loaded == [(p.file, p.row, p.field, p.message) for p in report_problems]
    return caught.value.problems


def test_a_together_rule_names_the_missing_field(data_copy):
    set_cell(data_copy, "funding", 3, "unit", "")
    problems = refused_by_both("funding", data_copy)
    assert [(Path(p.file).name, p.row, p.field) for p in problems] == [("funding.csv", 3, "unit")]
    assert "must be filled in when amount is" in problems[0].message


def test_an_ordered_rule_refuses_a_period_that_starts_after_it_ends(data_copy):
    set_cell(data_copy, "displacement", 2, "period_start", "2030-01-01")
    set_cell(data_copy, "displacement", 2, "period_start", "2022-12-31")
    problems = refused_by_both("displacement", data_copy)
    assert [(p.row, p.field) for p in problems] == [(2, "period_start")]
    assert "2022-12-31 is after date 2022-08-23" in problems[0].message


def test_an_implies_rule_from_the_descriptor_is_enforced(data_copy):
    add_rule(data_copy, "pledges", {"kind": "implies", "when": {"measure": ["arrived"]}, "then": {"personnel": {"minimum": 100000}},
                                    "description": "a test rule"})
    problems = refused_by_both("pledges", data_copy)
    assert problems and {p.field for p in problems} == {"personnel"}
    assert "personnel is at least 100000 is required when measure is 'arrived' (a test rule)" in problems[0].message


def test_an_implies_rule_with_a_pattern_and_emptiness(data_copy):
    add_rule(data_copy, "displacement", {"kind": "implies", "when": {"metric": {"pattern": "_share"}}, "then": {"unit": ["percent"]}})
    hm.load("displacement")  # the real data keeps it
    set_cell(data_copy, "displacement", 2, "round", "")
    add_rule(data_copy, "displacement", {"kind": "implies", "when": {"record_id": ["dis-0001"]}, "then": {"round": {"empty": False}}})
    problems = refused_by_both("displacement", data_copy)
    assert [(p.row, p.field) for p in problems] == [(2, "round")] and problems[0].message.startswith("empty breaks a rule")


@pytest.mark.parametrize("rule, message", [
    ({"kind": "sometimes"}, "kind must be one of"),
    ({"kind": "together", "fields": ["amount"]}, "fields must name two fields"),
    ({"kind": "ordered", "fields": ["date", "amount"]}, "same type"),
    ({"kind": "implies", "when": {"nothing": ["x"]}, "then": {"unit": ["USD"]}}, "does not exist: 'nothing'"),
    ({"kind": "implies", "when": {"unit": ["USD"]}, "then": {"donor": {"minimum": 1}}}, "needs a number field"),
    ({"kind": "implies", "when": {"unit": ["USD"]}, "then": {"donor": {"pattern": "("}}}, "not a valid regular expression"),
])
def test_a_malformed_rule_is_refused_when_the_descriptor_is_read(data_copy, rule, message):
    number = len(read_package(data_copy).resource("funding").rules) + 1
    add_rule(data_copy, "funding", rule)
    with pytest.raises(hm.DataError) as caught:
        read_package(data_copy)
    assert "resource 'funding'" in str(caught.value) and f"rule {number} " in str(caught.value) and message in str(caught.value)


def test_a_foreign_key_may_point_into_its_own_table(data_copy):
    edit_descriptor(data_copy, lambda r: r["timeline"]["schema"]["foreignKeys"].append(
        {"fields": "note", "reference": {"resource": "", "fields": "event_id"}}))
    problems = refused_by_both("timeline", data_copy)
    assert problems and all(p.field == "note" and "does not exist in timeline (" in p.message for p in problems)
