"""The security-and-humanitarian and changes reports, run as papermill runs them.

Point in time holds: on as_of 2024-03-01 no source published later appears, in any caption.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import ROOT

from haiti_mission.datapackage.dates import MONTHS
from haiti_mission.errors import ParameterError
from haiti_mission.notebook.parameters import check_parameters
from haiti_mission.pipeline.execute import run_notebook

_DAY = re.compile(r"\b(\d{1,2}) (" + "|".join(MONTHS) + r") (\d{4})\b")
_MONTH = re.compile(r"(?<!\d )\b(" + "|".join(MONTHS) + r") (\d{4})\b")


def _texts(nb) -> str:
    out = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/plain") or output.get("text") or ""
            out.append(text if isinstance(text, str) else "".join(text))
    return "\n".join(out)


def _source_dates(text: str) -> list[dt.date]:
    """The last day each source named in a 'Sources:' line may have been published."""
    found = []
    for line in text.splitlines():
        if not line.startswith("Sources:"):
            continue
        for day, month, year in _DAY.findall(line):
            found.append(dt.date(int(year), MONTHS.index(month) + 1, int(day)))
        for month, year in _MONTH.findall(_DAY.sub("", line)):
            m = MONTHS.index(month) + 1
            found.append((dt.date(int(year) + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)))
    return found


@pytest.mark.slow
def test_on_1_march_2024_nothing_published_later_appears(tmp_path):
    nb = run_notebook(ROOT / "notebooks" / "security-and-humanitarian.ipynb", {"as_of": "2024-03-01"}, ROOT / "notebooks")
    text = _texts(nb)
    dates = _source_dates(text)
    assert len(dates) > 5, "the report names its sources"
    assert max(dates) <= dt.date(2024, 3, 1), [d for d in dates if d > dt.date(2024, 3, 1)]
    assert "2024 Q1" not in text  # BINUH's first-quarter report came out in April 2024


@pytest.mark.slow
def test_the_changes_report_runs_for_a_chosen_window():
    nb = run_notebook(ROOT / "notebooks" / "changes.ipynb", {"since": "2025-01-01", "until": "2025-02-15"}, ROOT / "notebooks")
    text = _texts(nb)
    assert "after 1 January 2025 and by 15 February 2025" in text
    assert "Headline figures as known on each date" in text


@pytest.mark.parametrize("values, parameter, fragment", [
    ({"since": "2025-03-01", "until": "2025-01-01"}, "since", "since 2025-03-01 is after until 2025-01-01"),
    ({"since": "last month"}, "since", "not a date in the form YYYY-MM-DD (or 'default')"),
    ({"until": "2999-01-01"}, "until", "is in the future"),
])
def test_changes_parameters_are_checked(values, parameter, fragment):
    with pytest.raises(ParameterError) as caught:
        check_parameters("changes", **values)
    assert caught.value.parameter == parameter and fragment in str(caught.value)


def test_changes_since_defaults_to_thirty_days_before_until():
    out = check_parameters("changes", until="2025-03-31")
    assert out["since"] == dt.date(2025, 3, 1)
