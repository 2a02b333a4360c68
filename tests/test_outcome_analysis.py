"""The outcome analysis (security, hunger, plans), hm.changes, and the report defects fixed with them.

Fast unit tests build small typed frames inline (data in, data out); a few run on the real data.
"""
from __future__ import annotations

import pandas as pd
import pytest
from test_analysis import PLEDGES, SOURCES, pledge, typed

import haiti_mission as hm
from haiti_mission.analysis import food, personnel, plans, security, situation, timeline
from haiti_mission.analysis import funding as fund
from haiti_mission.notebook import figures, outcome_figures
from haiti_mission.notebook.style import render


def violence(record_id, start, end, metric, value, series="binuh_quarterly", perpetrator="all", unit="persons", qualifier="exact",
             source_id="un-a", area="Haiti", area_type="country", speaker=None) -> dict:
    return {"record_id": record_id, "period_start": start, "period_end": end, "date_precision": "day", "area": area,
            "area_type": area_type, "series": series, "metric": metric, "perpetrator": perpetrator, "value": value, "unit": unit,
            "qualifier": qualifier, "speaker": speaker, "source_id": source_id}


SECURITY = typed(
    "security",
    violence("sec-01", "2024-01-01", "2024-03-31", "killed", 1660),
    violence("sec-02", "2024-01-01", "2024-03-31", "killed", 1700, source_id="news-a"),  # a weaker source of the same quarter
    violence("sec-03", "2024-01-01", "2024-03-31", "kidnapped", 438, qualifier="at_least"),
    violence("sec-04", "2025-01-01", "2025-03-31", "killed", 1617),
    violence("sec-05", "2025-01-01", "2025-03-31", "killed_or_injured_share", 56, perpetrator="security_forces", unit="percent"),
    violence("sec-06", "2025-01-01", "2025-02-28", "homicides", 2000, series="sg_report"),  # not a quarter, not BINUH's
    violence("sec-07", "2024-01-01", "2024-12-31", "killed", 5626),
    violence("sec-08", "2025-04-01", "2025-05-15", "killed", 800),  # half a quarter: not a quarterly figure
    violence("sec-09", "2024-11-24", "2024-11-24", "gang_control_share", 85, series="other", perpetrator="gangs", unit="percent",
             area="Port-au-Prince metropolitan area", area_type="metro", speaker="A UN official"),
)


def test_quarterly_keeps_binuh_calendar_quarters_and_the_strongest_source():
    out = security.quarterly(SECURITY, SOURCES)
    assert out[["quarter", "metric", "value"]].values.tolist() == [["2024 Q1", "kidnapped", 438], ["2024 Q1", "killed", 1660], ["2025 Q1", "killed", 1617]]
    assert out.set_index(["quarter", "metric"]).loc[("2024 Q1", "killed"), "candidates"] == 2
    assert security.quarterly(SECURITY.iloc[:0], SOURCES).empty


def test_year_on_year_sets_the_latest_quarter_beside_the_same_quarter_a_year_before():
    row = security.year_on_year(security.quarterly(SECURITY, SOURCES), "killed").iloc[0]
    assert (row["quarter"], row["previous_quarter"], row["change"], row["change_pct"]) == ("2025 Q1", "2024 Q1", -43, -2.6)
    alone = security.year_on_year(security.quarterly(SECURITY, SOURCES), "kidnapped").iloc[0]
    assert alone["previous_quarter"] is None and pd.isna(alone["change"])


def test_quarters_are_never_added_into_a_year_and_series_stay_apart():
    totals = security.annual_totals(SECURITY)
    assert totals[["year", "value"]].values.tolist() == [[2024, 5626]]  # published, not 1660 + ... summed
    assert security.other_series(SECURITY, "sg_report")["record_id"].tolist() == ["sec-06"]
    assert "sec-06" not in set(security.quarterly(SECURITY, SOURCES)["record_id"])


def test_shares_and_gang_control_are_kept_as_published():
    shares = security.perpetrator_shares(SECURITY)
    assert shares[["quarter", "perpetrator", "value"]].values.tolist() == [["2025 Q1", "security_forces", 56]]
    control = security.gang_control(SECURITY)
    assert control[["value", "speaker"]].values.tolist() == [[85, "A UN official"]]


def ipc(record_id, analysis, kind, start, end, phase, metric, value, source_id="un-a", qualifier="exact", area="Haiti", area_type="country"):
    return {"record_id": record_id, "analysis": analysis, "period_start": start, "period_end": end, "period_kind": kind, "area": area,
            "area_type": area_type, "phase": phase, "metric": metric, "value": value, "unit": "percent" if metric == "share" else "persons",
            "qualifier": qualifier, "source_id": source_id}


FOOD = typed(
    "food_security",
    ipc("ipc-01", "2024-08", "current", "2024-08-01", "2025-02-28", "3+", "people", 5_400_000),
    ipc("ipc-02", "2024-08", "current", "2024-08-01", "2025-02-28", "4", "people", 2_000_000),
    ipc("ipc-03", "2024-08", "current", "2024-08-01", "2025-02-28", "3+", "share", 48),
    ipc("ipc-04", "2024-08-update", "projection_update", "2025-03-01", "2025-06-30", "3+", "people", 5_700_000),
    ipc("ipc-05", "2024-08", "current", "2024-08-01", "2025-02-28", "5", "people", 6000, area="Sites", area_type="group"),
)


def test_ipc_phases_keep_current_projected_and_updates_apart_and_never_add_phases():
    table = food.phase_table(FOOD, SOURCES)
    assert table[["period_kind", "phase_3plus", "phase_4", "phase_3plus_share"]].astype(object).where(table.notna(), None).values.tolist() == [
        ["current", 5_400_000, 2_000_000, 48], ["projection_update", 5_700_000, None, None]]
    assert food.latest_current(FOOD, SOURCES)["value"] == 5_400_000  # the update is a projection, not the current period
    assert food.phase5_pockets(FOOD)["area"].tolist() == ["Sites"]


def plan(record_id, year, metric, stage, date, value, unit, plan_="hrp", qualifier="exact"):
    return {"record_id": record_id, "plan_year": year, "plan": plan_, "metric": metric, "stage": stage, "date": date,
            "date_precision": "day", "value": value, "unit": unit, "qualifier": qualifier, "source_id": "un-a"}


PLANS = typed(
    "humanitarian_plans",
    plan("hp-01", 2024, "requirement", "launch", "2024-02-27", 674_000_000, "USD"),
    plan("hp-02", 2024, "funded_share", "as_at", "2024-08-01", 33, "percent"),
    plan("hp-03", 2024, "funded_share", "as_at", "2024-12-06", 43, "percent"),
    plan("hp-04", 2025, "requirement", "launch", "2025-02-20", 908_200_000, "USD", plan_="hnrp"),
)


def test_the_current_plan_is_the_latest_launched_by_the_date_with_its_latest_coverage():
    now = plans.current_plan(PLANS, "2024-12-31")
    assert (now["plan_year"], now["requirement"]["value"], now["coverage"]["value"]) == (2024, 674_000_000, 43)
    later = plans.current_plan(PLANS, "2025-03-01")
    assert later["plan_year"] == 2025 and later["coverage"] is None
    assert plans.current_plan(PLANS, "2023-01-01") is None
    assert plans.coverage(PLANS)["value"].tolist() == [33, 43]


def test_plan_money_never_meets_mission_money():
    with pytest.raises(fund.MixedAmountsError):
        fund.total(PLANS)


# --- the defects ------------------------------------------------------------------------------

def test_a_contingent_counts_once_by_its_strongest_source_not_its_largest_figure():
    """The defect: when two sources gave one contingent different sizes, the largest won."""
    rows = typed("pledges", pledge("pl-01", "2025-02-06", "arrived", 144, source_id="un-a", contingent="ken-4"),
                 pledge("pl-02", "2025-02-06", "arrived", 200, source_id="news-a", contingent="ken-4"))
    out = personnel.contingents(rows, SOURCES)
    assert out[["contingent", "personnel", "reports", "low", "high"]].values.tolist() == [["ken-4", 144, 2, 144, 200]]


def test_arrivals_minus_departures_are_set_beside_the_latest_count():
    rows = typed("pledges", pledge("pl-01", "2024-06-25", "arrived", 400, contingent="ken-1"),
                 pledge("pl-02", "2025-01-18", "arrived", 200, contingent="ken-2"),
                 pledge("pl-03", "2025-03-01", "departed", 100, contingent="ken-1"),
                 pledge("pl-04", "2025-06-01", "in_country", 450))
    row = personnel.by_country(rows, SOURCES).iloc[0]
    assert (row["arrived"], row["departed"], row["net"], row["in_country_latest"], row["gap"]) == (600, 100, 500, 450, 50)


def test_a_drawdown_is_not_a_withdrawal_and_a_pause_ends_with_a_later_arrival():
    """The defects: Kenya read 'withdrawn' for a drawdown, and an old pause outlived later arrivals."""
    rows = typed("pledges", pledge("pl-01", "2024-03-12", "paused", 1000, qualifier="at_least"),
                 pledge("pl-02", "2024-06-25", "arrived", 200, contingent="ken-1"),
                 pledge("pl-03", "2026-02-06", "drawdown"))
    assert personnel.status_now(rows).to_dict() == {"Kenya": "drawdown (2026-02-06), still serving"}
    assert personnel.status_now(rows.iloc[:2]).to_dict() == {}


def test_strength_over_time_starts_at_the_first_arrival():
    """The defect: the series started with the first mission-wide count, months after the first contingent."""
    so_far = personnel.arrivals_so_far(PLEDGES, SOURCES)
    first_arrival = PLEDGES.loc[PLEDGES["measure"] == "arrived", "date"].min()
    assert so_far["date"].iloc[0] == first_arrival < personnel.strength_over_time(PLEDGES, SOURCES)["date"].iloc[0]
    assert so_far["personnel"].iloc[0] == 216  # the strongest source's figure of the first contingent


def test_trust_fund_figures_of_different_dates_say_so():
    """The defect: 'pledged' (one date) sat beside 'deposited' (a later date) with nothing saying why."""
    funding = typed("funding",
                    {"record_id": "fu-01", "date": "2024-12-31", "date_precision": "day", "force": "MSS", "channel": "trust_fund",
                     "stage": "pledged", "amount": 110_300_000, "unit": "USD", "qualifier": "exact", "source_id": "un-a"},
                    {"record_id": "fu-02", "date": "2025-12-08", "date_precision": "day", "force": "MSS", "channel": "trust_fund",
                     "stage": "deposited", "amount": 113_000_000, "unit": "USD", "qualifier": "exact", "source_id": "un-a"})
    rows = {r["indicator"]: r["comment"] for r in situation.mission_figures(hm.load("displacement").iloc[:0], PLEDGES, funding, SOURCES)}
    assert "different dates (2024-12-31 and 2025-12-08)" in rows["Trust fund: pledged"]
    assert "different dates" in rows["Trust fund: deposited"]


def _fits(fig) -> list[str]:
    """The texts of a figure that are cut by its edges, or overlap another text."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    page = fig.bbox
    # Tick labels of ticks outside an axis's view are never drawn: they are not labels to check.
    hidden = set()
    for ax in fig.axes:
        for axis, (lo, hi) in ((ax.xaxis, sorted(ax.get_xlim())), (ax.yaxis, sorted(ax.get_ylim()))):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not lo <= tick.get_loc() <= hi:
                    hidden.update({id(tick.label1), id(tick.label2)})
    texts = [t for t in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_window_extent"))
             if t.get_visible() and t.get_text().strip() and id(t) not in hidden]
    problems = []
    boxes = []
    for t in texts:
        box = t.get_window_extent(renderer)
        if box.x0 < page.x0 - 1 or box.x1 > page.x1 + 1 or box.y0 < page.y0 - 1 or box.y1 > page.y1 + 1:
            problems.append(f"cut: {t.get_text()!r}")
        boxes.append((t, box))
    labels = [(t, b) for t, b in boxes if type(t).__name__ in ("Text", "Annotation") and t.axes is not None and t not in t.axes.get_xticklabels() + t.axes.get_yticklabels()]
    for i, (a, ba) in enumerate(labels):
        for b, bb in labels[i + 1:]:
            if ba.overlaps(bb) and a.get_text() != b.get_text():
                problems.append(f"overlap: {a.get_text()!r} and {b.get_text()!r}")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("as_of", [None, "2024-03-01", "2025-06-30"])
def test_every_label_of_every_figure_is_readable_in_full(as_of):
    """The defect: the displacement figure cut its milestone labels ("Kenya's pled...")."""
    from haiti_mission.analysis import displacement as dis

    data = {n: hm.load(n, as_of=as_of) for n in hm.datasets()}
    src = hm.sources()
    ms = timeline.milestones(data["timeline"])
    strength, arrivals = personnel.strength_over_time(data["pledges"], src), personnel.arrivals_so_far(data["pledges"], src)
    made = {
        "displacement": figures.displacement_curve(dis.national_series(data["displacement"], src), ms),
        "strength": figures.strength_vs_target(strength, personnel.current_targets(personnel.strength_targets(data["pledges"])), arrivals, ms),
        "timeline": figures.event_timeline(data["timeline"]),
        "quarters": outcome_figures.quarterly_violence(security.quarterly(data["security"], src), strength, arrivals, ms),
        "shares": outcome_figures.perpetrator_shares(security.perpetrator_shares(data["security"])),
        "ipc": outcome_figures.food_insecurity(food.national_phases(data["food_security"], src)),
        "plans": outcome_figures.plan_coverage(plans.coverage(data["humanitarian_plans"])),
    }
    for name, fig in made.items():
        assert not _fits(fig), (name, _fits(fig))
        render(fig)


def test_changes_lists_what_entered_the_record_and_the_headlines_then_and_now():
    out = hm.changes("2025-01-01", "2025-03-01")
    assert out.attrs == {"since": "2025-01-01", "until": "2025-03-01"}
    new = out[out["kind"] != "headline"]
    assert len(new) and (new["known_from"] > pd.Timestamp("2025-01-01")).all() and (new["known_from"] <= pd.Timestamp("2025-03-01")).all()
    known = hm.sources().set_index("source_id")["published"]
    assert (known.loc[new["source_id"]] <= pd.Timestamp("2025-03-31")).all()
    heads = out[out["kind"] == "headline"]
    assert set(heads["id"].str.split(" ").str[:2].str.join(" ")) >= {"People internally", "Personnel in", "Trust fund:", "People killed"}
    default = hm.changes()
    assert pd.Timestamp(default.attrs["until"]) - pd.Timestamp(default.attrs["since"]) == pd.Timedelta(days=30)
    with pytest.raises(ValueError, match="since 2025-03-01 is after until 2025-01-01"):
        hm.changes("2025-03-01", "2025-01-01")
