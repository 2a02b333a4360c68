"""The row rules of the rule engine: what a row or a table must be, driven by the descriptor.

The cell rules (a field's type and constraints, and the package's own rules for every cell) are in
``cells``, applied while a CSV is parsed; the row rules are a resource's ``schema.rules`` list,
checked once every table parsed (``check_rows``), with the foreign keys and the rule that no date
lies in the future. ``load()`` and ``validate()`` both run this engine, so they accept and refuse
the same values.

A row rule is one of:
- ``{"kind": "together", "fields": [a, b]}``: a value in one needs a value in the other;
- ``{"kind": "ordered", "fields": [a, b]}``: a is not after b (when both are given);
- ``{"kind": "determines", "fields": [a, b]}``: rows with the same value of a have the same value
  of b (one country name per ISO code);
- ``{"kind": "implies", "when": {field: condition}, "then": {field: condition}}``: a row that meets
  every ``when`` condition must meet every ``then`` condition. A condition is a list of allowed
  values, or an object with any of ``pattern``, ``minimum``, ``maximum`` and ``empty`` (true: no
  value; false: a value).
Each may carry a ``description``, shown with the refusal.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

from ..errors import Problem, brief
from .cells import number_text

RULE_KINDS = ("together", "ordered", "determines", "implies")
_CONDITION_KEYS = {"pattern", "minimum", "maximum", "empty"}


# ---------------------------------------------------------------- row rules

@dataclass(frozen=True)
class Condition:
    """What a value must be: one of ``values``, or match ``pattern``, lie in bounds, be (not) empty."""

    values: tuple | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    empty: bool | None = None

    def holds(self, value) -> bool:
        if self.values is not None:
            return value in self.values
        if self.empty is not None and (value is None) != self.empty:
            return False
        if value is None:
            return self.empty is not None
        if self.pattern is not None and not re.search(self.pattern, str(value)):
            return False
        if self.minimum is not None and value < self.minimum:
            return False
        return not (self.maximum is not None and value > self.maximum)

    def describe(self, name: str) -> str:
        if self.values is not None:
            return f"{name} is {' or '.join(repr(v) for v in self.values)}"
        parts = [("empty" if self.empty else "filled in") if self.empty is not None else "",
                 f"matches {self.pattern!r}" if self.pattern is not None else "",
                 f"at least {number_text(self.minimum)}" if self.minimum is not None else "",
                 f"at most {number_text(self.maximum)}" if self.maximum is not None else ""]
        return f"{name} is " + " and ".join(p for p in parts if p)


@dataclass(frozen=True)
class Rule:
    """One row rule of a resource (see the module docstring)."""

    kind: str
    fields: tuple[str, ...] = ()
    when: tuple[tuple[str, Condition], ...] = ()
    then: tuple[tuple[str, Condition], ...] = ()
    description: str = ""


def _condition_problem(cond, name: str, fields: dict, where: str) -> str | None:
    if name not in fields:
        return f"names a field that does not exist: {name!r}"
    if isinstance(cond, list):
        return None if all(isinstance(v, (str, int, float, bool)) for v in cond) else f"condition on {name!r}: values must be plain values"
    if not isinstance(cond, dict) or not cond or set(cond) - _CONDITION_KEYS:
        return f"condition on {name!r} must be a list of values or an object with {', '.join(sorted(_CONDITION_KEYS))}"
    if "pattern" in cond:
        try:
            re.compile(cond["pattern"])
        except (re.error, TypeError):
            return f"condition on {name!r}: pattern {cond['pattern']!r} is not a valid regular expression"
    for key in ("minimum", "maximum"):
        if key in cond and not (isinstance(cond[key], (int, float)) and not isinstance(cond[key], bool) and math.isfinite(cond[key])):
            return f"condition on {name!r}: {key} must be a finite number"
        if key in cond and not fields[name].is_number:
            return f"condition on {name!r}: {key} needs a number field"
    if "empty" in cond and not isinstance(cond["empty"], bool):
        return f"condition on {name!r}: empty must be true or false"
    return None


def parse_rules(specs, fields: dict, where: str, problems: list[Problem]) -> tuple[Rule, ...]:
    """Read a resource's ``schema.rules`` (``fields``: {name: Field}); add a problem per bad rule."""
    if specs is None:
        return ()
    if not isinstance(specs, list):
        problems.append(Problem(where, None, None, "schema.rules must be a list of rules"))
        return ()
    rules = []
    for number, spec in enumerate(specs, start=1):
        why = None
        kind = spec.get("kind") if isinstance(spec, dict) else None
        if kind not in RULE_KINDS:
            why = f"kind must be one of {', '.join(RULE_KINDS)}"
        elif kind in ("together", "ordered", "determines"):
            names = spec.get("fields")
            if not (isinstance(names, list) and len(names) == 2 and all(n in fields for n in names)):
                why = "fields must name two fields of the resource"
            elif kind == "ordered" and fields[names[0]].type != fields[names[1]].type:
                why = "fields must have the same type to be ordered"
            else:
                rules.append(Rule(kind, tuple(names), description=str(spec.get("description", ""))))
                continue
        else:
            when, then = spec.get("when"), spec.get("then")
            if not (isinstance(when, dict) and when and isinstance(then, dict) and then):
                why = "when and then must each map fields to conditions"
            else:
                why = next((w for part in (when, then) for n, c in part.items() if (w := _condition_problem(c, n, fields, where))), None)
            if why is None:
                def conditions(part):
                    return tuple((n, Condition(values=tuple(c)) if isinstance(c, list) else Condition(**c)) for n, c in part.items())
                rules.append(Rule(kind, when=conditions(when), then=conditions(then), description=str(spec.get("description", ""))))
                continue
        problems.append(Problem(where, None, None, f"rule {number} ({kind or 'no kind'}): {why}"))
    return tuple(rules)


def rule_problems(table, rule: Rule) -> list[Problem]:
    """The rows of ``table`` that break ``rule``, each as a problem naming file, row and field."""
    cols, out = table.columns, []
    hint = f" ({rule.description})" if rule.description else ""
    if rule.kind == "together":
        a, b = rule.fields
        for row, va, vb in zip(table.row_numbers, cols[a], cols[b]):
            if (va is None) != (vb is None):
                have, missing = (a, b) if va is not None else (b, a)
                out.append(Problem(table.file, row, missing, f"must be filled in when {have} is, and left empty when it is not{hint}"))
    elif rule.kind == "ordered":
        a, b = rule.fields
        for row, va, vb in zip(table.row_numbers, cols[a], cols[b]):
            if va is not None and vb is not None and va > vb:
                shown = [v.isoformat() if isinstance(v, date) else v for v in (va, vb)]
                out.append(Problem(table.file, row, a, f"{shown[0]} is after {b} {shown[1]}; {a} cannot come after {b}{hint}"))
    elif rule.kind == "determines":
        a, b = rule.fields
        first: dict = {}
        for row, va, vb in zip(table.row_numbers, cols[a], cols[b]):
            if va is None:
                continue
            seen_row, seen = first.setdefault(va, (row, vb))
            if vb != seen:
                shown = "empty" if vb is None else brief(vb)
                out.append(Problem(table.file, row, b, f"{shown}, but row {seen_row} gives {'nothing' if seen is None else brief(seen)} "
                                                       f"for {a} {brief(va)}: one {a} has one {b}{hint}"))
    else:
        when_text = " and ".join(c.describe(n) for n, c in rule.when)
        # The rows that meet every ``when`` condition, each condition tried once per distinct value.
        matching = range(len(table.row_numbers))
        for name, cond in rule.when:
            column = cols[name]
            holds = {value: cond.holds(value) for value in set(column)}
            matching = [i for i in matching if holds[column[i]]]
        for i in matching:
            for name, cond in rule.then:
                if not cond.holds(cols[name][i]):
                    value = cols[name][i]
                    shown = "empty" if value is None else repr(value.isoformat() if isinstance(value, date) else value)
                    out.append(Problem(table.file, table.row_numbers[i], name, f"{shown} breaks a rule: {cond.describe(name)} "
                                                                            f"is required when {when_text}{hint}"))
    return out


def foreign_keys(tables: dict) -> list[Problem]:
    """Every foreign key value must exist in the table it refers to (which may be its own)."""
    problems = []
    for table in tables.values():
        for fk in table.resource.foreign_keys:
            target = tables.get(fk.resource)
            if target is None:
                continue
            known = set(zip(*(target.columns[f] for f in fk.reference_fields)))
            missing = set(zip(*(table.columns[f] for f in fk.fields))) - known
            missing.discard((None,) * len(fk.fields))
            if not missing:
                continue  # every value exists: no need to look row by row
            for row, *values in zip(table.row_numbers, *(table.columns[f] for f in fk.fields)):
                key = tuple(values)
                if all(v is None for v in key) or key in known:
                    continue
                shown = key[0] if len(key) == 1 else key
                problems.append(Problem(table.file, row, ",".join(fk.fields), f"{shown!r} does not exist in {fk.resource} ({target.file})"))
    return problems


def no_future_dates(tables: dict, today: date) -> list[Problem]:
    """No date may lie after ``today``: the data records what has happened or been published."""
    problems = []
    for table in tables.values():
        for fld in table.resource.fields:
            if fld.type != "date":
                continue
            for row, value in zip(table.row_numbers, table.columns[fld.name]):
                if value is not None and value > today:
                    problems.append(Problem(table.file, row, fld.name, f"{value.isoformat()} is in the future (today is {today.isoformat()})"))
    return problems


_checked: dict[tuple, list[Problem]] = {}


def check_rows(tables: dict, today: date) -> list[Problem]:
    """Run the row rules of every table given, the foreign keys and the no-future-date rule.

    A table's own rules are checked once per content (every dataset's load checks the sources
    table again, which would otherwise repeat the same work nine times)."""
    problems = []
    for table in tables.values():
        key = (table.file, table.digest, table.resource.rules)
        if not table.digest or key not in _checked:
            if len(_checked) > 64:
                _checked.clear()
            _checked[key] = [p for rule in table.resource.rules for p in rule_problems(table, rule)]
        problems.extend(_checked[key])
    return problems + foreign_keys(tables) + no_future_dates(tables, today)
