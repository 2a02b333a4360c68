"""Facts of the descriptor are read from it, never restated in code; dates have one formatter.

Each test changes the descriptor of a temporary data copy and sees the code follow it.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import haiti_mission as hm
from haiti_mission.analysis import displacement, personnel, provenance, timeline
from haiti_mission.analysis import funding as fund
from haiti_mission.datapackage import dates, vocabulary
from haiti_mission.errors import ParameterError
from haiti_mission.interop.citation import short_citation
from haiti_mission.notebook import figures, present
from haiti_mission.notebook.start import start


def edit_field(folder: Path, resource: str, name: str, **changes) -> None:
    path = folder / "datapackage.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    res = next(r for r in raw["resources"] if r["name"] == resource)
    next(f for f in res["schema"]["fields"] if f["name"] == name).update(changes)
    path.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")


def test_milestone_order_and_labels_come_from_the_descriptor(data_copy):
    events = hm.load("timeline")
    assert timeline.milestones(events)["label"].iloc[1] == "Resolution 2699"
    raw = json.loads((data_copy / "datapackage.json").read_text())
    spec = next(f for r in raw["resources"] if r["name"] == "timeline" for f in r["schema"]["fields"] if f["name"] == "milestone")
    order = list(reversed(spec["constraints"]["enum"]))
    edit_field(data_copy, "timeline", "milestone", enumLabels={**spec["enumLabels"], "authorisation": "UNSC 2699"},
               constraints={**spec["constraints"], "enum": order})
    out = timeline.milestones(events)
    assert out["milestone"].astype(str).tolist() == [m for m in order if m in set(out["milestone"].astype(str))]
    assert "UNSC 2699" in out["label"].tolist()


def test_source_ranks_come_from_the_descriptor(data_copy):
    sources = hm.sources()
    ranked = provenance.sources_behind(hm.load("displacement"), sources)
    assert ranked["kind"].astype(str).iloc[0] in vocabulary.group("sources", "kind", "primary")
    edit_field(data_copy, "sources", "kind", enumRanks={"iom": 9, "un": 9, "government": 9, "wire": 9, "research": 9, "ngo": 9, "news": 0, "other": 9})
    assert provenance.sources_behind(hm.load("displacement"), sources)["kind"].astype(str).iloc[0] == "news"


def test_displacement_puts_iom_first_then_the_descriptor_ranks(data_copy):
    series = displacement.national_series(hm.load("displacement"), hm.sources())
    kinds = hm.sources().set_index("source_id").loc[series["source_id"], "kind"].astype(str)
    assert (kinds == "iom").sum() > len(series) / 2  # IOM's own figure wins most rounds
    edit_field(data_copy, "sources", "kind", enumRanks={"iom": 0, "un": 0, "government": 0, "wire": 1, "research": 2, "ngo": 2, "news": 3})
    with pytest.raises(KeyError, match="gives no rank for other"):
        displacement.national_series(hm.load("displacement"), hm.sources())


def test_currencies_and_measure_groups_come_from_the_descriptor(data_copy):
    funding = hm.load("funding")
    latest = fund.latest_by_donor(funding)
    panels = sorted(ax.get_xlabel() for ax in figures.funding_by_donor(latest).axes)
    assert "million USD" in panels
    edit_field(data_copy, "funding", "unit", enumGroups={"currency": ["EUR"], "item": ["vehicles", "helicopters"]})
    assert sorted(ax.get_xlabel() for ax in figures.funding_by_donor(latest).axes) == ["million EUR"]
    assert personnel.measures("pledge") == ("announced", "notified", "pledged")


def test_one_formatter_gives_every_date_at_its_precision():
    assert dates.date_text(pd.Timestamp("2022-10-01"), "month") == "October 2022"
    assert dates.date_text(pd.Timestamp("2022-10-01"), "day") == "1 October 2022"
    assert dates.iso_text(pd.Timestamp("2022-10-01"), "month") == "2022-10" and dates.iso_text(pd.NaT, "day") == ""
    assert short_citation("IOM", pd.Timestamp("2022-10-01"), "month") == "IOM, October 2022"
    with pytest.raises(ValueError, match="precision must be one of"):
        dates.date_text(pd.Timestamp("2022-10-01"), "week")


def test_sources_under_tables_show_month_dated_sources_by_month():
    """The defect: captions showed a month-dated source as the 1st ('..., 1 October 2022')."""
    sources = hm.sources()
    month_dated = sources[sources["published_precision"] == "month"].iloc[:1]
    line = present.source_line(month_dated, sources)
    published = month_dated["published"].iloc[0]
    assert line.endswith(f"{dates.MONTHS[published.month - 1]} {published.year}")
    assert f"{published.day} {dates.MONTHS[published.month - 1]}" not in line


def test_tables_show_dates_at_their_precision():
    frame = pd.DataFrame({"date": pd.to_datetime(["2024-07-01", "2024-07-09"]), "date_precision": ["month", "day"]})
    assert present.format_frame(frame)["date"].tolist() == ["2024-07", "2024-07-09"]


def test_a_declared_parameter_not_passed_to_start_is_refused():
    """The defect: a parameter declared in the cell but not passed to start() silently kept its default."""
    with pytest.raises(ParameterError) as caught:
        start("displacement", as_of="latest", start="2022-06-01", end="latest")
    assert caught.value.notebook == "displacement" and caught.value.parameter == "area"
    assert "declared in the parameters cell but not passed to notebook.start()" in str(caught.value)
