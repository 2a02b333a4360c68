"""The cell rules of the rule engine: what one cell of a field must be, from the descriptor.

A cell is parsed by its field's type and checked against the field's constraints
(``cell_reader``), applied while a CSV is parsed; nothing is coerced. Beyond what the descriptor
states, every cell keeps the package's own rules, so that a value ``validate()`` accepts never
crashes ``load()``, a report or an export later:
- every cell is at most ``CELL_LIMIT`` characters;
- a whole number fits in 64 bits (``load()`` gives ``Int64``), a date in what ``datetime64[ns]``
  holds (1677-09-22 to 2262-04-11);
- every text cell (a ``string`` field) keeps the text rule: no control characters (tab, escape,
  bidirectional overrides, zero-width characters, ...), no line break unless the field says
  ``"multiline": true``, no space at either end, and no first character that a spreadsheet would
  run as a formula (``= + - @``). The real data has none of these.
"""
from __future__ import annotations

import calendar
import functools
import math
import re
from datetime import date

from ..errors import CONTROL, brief

_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
CELL_LIMIT = 10_000  # characters in one cell; the longest real cell has about 600
INTEGER_RANGE = (-(2**63), 2**63 - 1)  # what load()'s Int64 columns hold
DATE_RANGE = (date(1677, 9, 22), date(2262, 4, 11))  # what load()'s datetime64[ns] columns hold
FORMULA_STARTS = "=+-@"
_CONTROL_BUT_LINE_BREAK = re.compile(CONTROL.pattern.replace("\x00-\x1f", "\x00-\x09\x0b-\x1f"))
_CONTROL_NAMES = {"\t": "a tab", "\r": "a carriage return", "\x00": "a NUL byte", "\ufeff": "a byte-order mark",
                  "\u2028": "a line separator", "\u2029": "a paragraph separator"}


def parse_date_text(text: str, *, bounded: bool = True) -> date:
    """Return the date written ``text`` (YYYY-MM-DD), or raise ValueError saying why it is not one:
    not in that form, not a calendar date, or (when ``bounded``) outside the dates the package can hold."""
    if not isinstance(text, str) or not _DATE.fullmatch(text):
        raise ValueError("is not a date in the form YYYY-MM-DD")
    try:
        value = date.fromisoformat(text)
    except ValueError:
        month = int(text[5:7])
        hint = f" ({calendar.month_name[month]} {text[:4]} has {calendar.monthrange(int(text[:4]), month)[1]} days)" \
            if 1 <= month <= 12 and int(text[:4]) > 0 else ""
        raise ValueError(f"is not a calendar date{hint}") from None
    if bounded and not DATE_RANGE[0] <= value <= DATE_RANGE[1]:
        raise ValueError(f"is outside the dates the package can hold ({DATE_RANGE[0].isoformat()} to {DATE_RANGE[1].isoformat()})")
    return value


def text_problem(text: str, multiline: bool = False) -> str | None:
    """Why ``text`` breaks the text rule (see the module docstring), or None."""
    bad = (_CONTROL_BUT_LINE_BREAK if multiline else CONTROL).search(text)
    if bad is not None:
        char = bad.group()
        if char == "\n":
            return f"{brief(text)} holds a line break; this field is one line of text (only a field marked multiline in the descriptor takes line breaks)"
        name = _CONTROL_NAMES.get(char) or ("which reorders text" if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069"
                                            else "invisible" if char >= "\u200b" else "")
        code = f"U+{ord(char):04X}" + (f", {name}" if name else "")
        return f"{brief(text)} holds a control character ({code}) at character {bad.start() + 1}; remove it"
    if text != text.strip():
        return f"{brief(text)} starts or ends with a space (or another blank); remove it"
    if text[:1] in FORMULA_STARTS and text:
        return (f"{brief(text)} starts with {text[0]!r}, which a spreadsheet would run as a formula; reword it to start otherwise "
                "(e.g. with a word, or write the sign after the number)")
    return None


# What ``all_plain_text`` looks for in texts joined by NUL (which no valid text holds): a control
# character other than NUL, and a blank or formula character at the start or a blank at the end
# of a text. ``\s`` is what str.strip() strips (both go by str.isspace).
_JOINED_CONTROL = re.compile(CONTROL.pattern.replace("\x00-", "\x01-"))
_JOINED_CONTROL_BUT_LINE_BREAK = re.compile(_CONTROL_BUT_LINE_BREAK.pattern.replace("\x00-", "\x01-"))
_JOINED_EDGE = re.compile(r"(?:\A|\x00)[\s=+\-@]|\s(?:\x00|\Z)")


def all_plain_text(texts, fld) -> bool:
    """True when every one of ``texts`` (a set of non-empty strings) is a valid value of the string
    field ``fld`` as it stands: within CELL_LIMIT, keeping the text rule and the field's length
    and pattern constraints. False means some text may not be: parse each to learn which and why.

    It gives the same verdict as ``cell_reader`` for each text, tested at once on the joined texts.
    """
    if fld.type != "string" or fld.enum is not None or fld.minimum is not None or fld.maximum is not None:
        return False
    if not texts:
        return True
    lengths = list(map(len, texts))
    if max(lengths) > CELL_LIMIT or (fld.max_length is not None and max(lengths) > fld.max_length) \
            or (fld.min_length is not None and min(lengths) < fld.min_length):
        return False
    joined = "\x00".join(texts)
    if joined.count("\x00") != len(texts) - 1:
        return False
    control = _JOINED_CONTROL_BUT_LINE_BREAK if fld.multiline else _JOINED_CONTROL
    if control.search(joined) or _JOINED_EDGE.search(joined):
        return False
    return fld.pattern is None or all(map(_compiled(fld.pattern).fullmatch, texts))


def parse_cell(text: str, fld) -> object:
    """Return the value of ``text`` for field ``fld``, or raise ValueError saying why it is not valid."""
    if fld.type == "string":
        why = text_problem(text, fld.multiline)
        if why:
            raise ValueError(why)
        return text
    if fld.type == "integer":
        if not _INTEGER.fullmatch(text):
            raise ValueError(f"{brief(text)} is not a whole number (write digits only, e.g. 1000, without separators, decimals or words)")
        value = int(text) if len(text.lstrip("+-").lstrip("0")) <= 19 else None
        if value is None or not INTEGER_RANGE[0] <= value <= INTEGER_RANGE[1]:
            raise ValueError(f"{brief(text)} is too large for a whole-number column (it holds {INTEGER_RANGE[0]:,} to {INTEGER_RANGE[1]:,})")
        return value
    if fld.type == "number":
        value = float(text) if _NUMBER.fullmatch(text) else math.nan
        if not math.isfinite(value):
            raise ValueError(f"{brief(text)} is not a finite number")
        return value
    if fld.type == "date":
        try:
            return parse_date_text(text)
        except ValueError as exc:
            raise ValueError(f"{brief(text)} {exc}") from None
    if fld.type == "boolean":
        if text in ("true", "false"):
            return text == "true"
        raise ValueError(f"{brief(text)} is not a boolean (write true or false)")
    raise ValueError(f"field type {fld.type!r} is not supported")


def number_text(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@functools.cache
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def constraint_problem(value, fld) -> str | None:
    """Return why a parsed ``value`` breaks a constraint of ``fld``, or None."""
    if fld.enum is not None and value not in fld.enum:
        return f"unknown value {brief(value)}; allowed values: {', '.join(fld.enum)}"
    if fld.minimum is not None and value < fld.minimum:
        return f"{value} is below the minimum of {number_text(fld.minimum)}"
    if fld.maximum is not None and value > fld.maximum:
        return f"{value} is above the maximum of {number_text(fld.maximum)}"
    if fld.min_length is not None and len(value) < fld.min_length:
        return f"is {len(value)} characters long, shorter than the minimum of {fld.min_length}"
    if fld.max_length is not None and len(value) > fld.max_length:
        return f"is {len(value)} characters long, longer than the maximum of {fld.max_length}"
    if fld.pattern is not None and not _compiled(fld.pattern).fullmatch(value):
        return f"{brief(value)} does not match the pattern {fld.pattern}"
    return None


def cell_reader(fld):
    """Return a function text -> (value, why-not-valid) for one field. Decided once per column."""
    checked = any(x is not None for x in (fld.enum, fld.minimum, fld.maximum, fld.min_length, fld.max_length, fld.pattern))

    def read(text):
        try:
            value = parse_cell(text, fld)
        except ValueError as exc:
            return None, str(exc)
        return value, constraint_problem(value, fld) if checked else None
    return read
