"""Personnel: pledged against arrived or serving, per country; mission strength over time.

Where sources disagree on one figure (one contingent's size, one day's mission-wide count), the
strongest source stands, as in the displacement series: primary sources, then wires, then
others; exact before rounded; earliest published; lowest record id. Never the largest figure.
A row that is part of another (``part_of``) is never counted beside its whole.
"""
from __future__ import annotations

import pandas as pd

from ..datapackage import vocabulary
from .provenance import with_sources


def measures(group: str) -> tuple[str, ...]:
    """The pledges ``measure`` values of a named group in the descriptor: ``pledge`` (announced,
    notified, pledged), ``status`` (paused, withdrawn, drawdown), ``target`` (planned, authorised)."""
    return vocabulary.group("pledges", "measure", group)


def _numbered(pledges: pd.DataFrame, wanted) -> pd.DataFrame:
    p = pledges
    return p[p["measure"].isin(wanted) & p["personnel"].notna()]


def _wholes(pledges: pd.DataFrame) -> pd.DataFrame:
    """Rows that are not part of another row."""
    return pledges[pledges["part_of"].isna()] if "part_of" in pledges else pledges


def _strongest(rows: pd.DataFrame, sources: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One row per ``by`` group, the strongest source's (see the module docstring)."""
    ranked = with_sources(rows, sources)
    ranked["qualifier_rank"] = ranked["qualifier"].astype("str").map(vocabulary.ranks("pledges", "qualifier"))
    ranked = ranked.sort_values([*by, "source_rank", "qualifier_rank", "source_published", "record_id"], na_position="last", kind="stable")
    return ranked.groupby(by, sort=False, dropna=False).head(1)


def contingents(pledges: pd.DataFrame, sources: pd.DataFrame, measure: str = "arrived") -> pd.DataFrame:
    """Return each contingent's arrival (or departure) once: country, contingent, date (first
    report), personnel (the strongest source's figure), qualifier, source_id, reports (how many
    rows report it), low and high (the range of the sizes reported). Rotations and parts are left
    out: a relief team replaces people, a part is counted in its whole."""
    p = _wholes(pledges)
    rows = p[(p["measure"] == measure) & p["country"].notna() & ~p["is_rotation"].fillna(False).astype(bool) & p["personnel"].notna()]
    columns = ["country", "contingent", "date", "personnel", "qualifier", "source_id", "reports", "low", "high"]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    # A row without a label is its own contingent (older data, or a landing nobody else reported).
    rows = rows.assign(contingent=rows["contingent"].where(rows["contingent"].notna(), rows["record_id"]))
    best = _strongest(rows, sources, ["country", "contingent"]).set_index(["country", "contingent"])
    spread = rows.groupby(["country", "contingent"]).agg(date=("date", "min"), reports=("record_id", "size"),
                                                         low=("personnel", "min"), high=("personnel", "max"))
    out = spread.join(best[["personnel", "qualifier", "source_id"]]).reset_index()
    out["reports"] = out["reports"].astype("Int64")
    return out.sort_values(["date", "country", "contingent"])[columns].reset_index(drop=True)


def status_now(pledges: pd.DataFrame) -> pd.Series:
    """Each country's status as the latest rows say it: "withdrawn (date)", "paused (date)" or
    "drawdown (date), still serving", or "" when none applies. A pause or withdrawal is over
    once the country's people arrive or are counted in Haiti again later."""
    p = pledges[pledges["country"].notna()].sort_values(["date", "record_id"])
    status = p[p["measure"].isin(measures("status"))].groupby("country").tail(1).set_index("country")
    present = p[p["measure"].isin(["arrived", "in_country"])].groupby("country")["date"].max()
    out = {}
    for country, row in status.iterrows():
        measure, date = str(row["measure"]), row["date"]
        if measure in ("paused", "withdrawn") and country in present and present[country] > date:
            continue  # superseded by a later arrival or count
        out[country] = f"{measure} ({date:%Y-%m-%d})" + (", still serving" if measure == "drawdown" else "")
    return pd.Series(out, dtype="object")


def by_country(pledges: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Return, per contributing country, what was pledged, what arrived, and what was counted.

    - ``pledged_max``: the largest number attached to an announcement, notification or pledge (a
      country's later figures are often tranches of the same promise, so the largest stands for
      what it offered); ``pledged_latest`` the most recent, with ``pledged_date``;
    - ``arrived``: each contingent once (``contingents``), rotations left out; ``departed`` the
      same for departures; ``net`` = arrived minus departed;
    - ``in_country_latest`` (with ``in_country_date``): the latest count of the country's people
      in Haiti; ``gap`` = net minus that count (positive when arrivals exceed what was counted:
      a sign of unrecorded departures or rotations, or of sources counting differently);
    - ``served_max``: the larger of ``arrived`` and the largest count;
    - ``status``: as ``status_now`` says it.
    Mission-wide rows (no country) are left out.
    """
    p = pledges[pledges["country"].notna()]
    columns = ["country", "iso3", "force", "pledged_max", "pledged_latest", "pledged_date", "arrived", "departed", "net",
               "in_country_latest", "in_country_date", "gap", "served_max", "status"]
    out = pd.DataFrame({"country": pd.Series(sorted(p["country"].unique()), dtype="str")}).set_index("country")
    by = lambda frame: frame.groupby("country", sort=True)  # noqa: E731
    pledged = _numbered(_wholes(p), measures("pledge")).sort_values(["date", "record_id"])
    last = by(pledged).tail(1).set_index("country")
    out["iso3"] = by(p[p["iso3"].notna()])["iso3"].first()
    forces: dict[str, set] = {}
    for country, force in set(zip(p["country"], p["force"].astype("str"))):
        forces.setdefault(country, set()).add(force)
    out["force"] = pd.Series({country: ", ".join(sorted(f)) for country, f in forces.items()}, dtype="object")
    out["pledged_max"] = by(pledged)["personnel"].max()
    out["pledged_latest"] = last["personnel"]
    out["pledged_date"] = last["date"]
    arrived, departed = contingents(p, sources, "arrived"), contingents(p, sources, "departed")
    out["arrived"] = arrived.groupby("country")["personnel"].sum()
    out["departed"] = departed.groupby("country")["personnel"].sum()
    snapshots = _strongest(_numbered(p, ["in_country"]), sources, ["country", "date"]).sort_values(["date", "record_id"])
    latest = by(snapshots).tail(1).set_index("country")
    out["in_country_latest"] = latest["personnel"]
    out["in_country_date"] = latest["date"]
    out["status"] = status_now(p)
    for col in ("arrived", "departed"):
        out[col] = out[col].fillna(0)
    out["net"] = out["arrived"] - out["departed"]
    out["gap"] = (out["net"] - out["in_country_latest"]).where(out["in_country_latest"].notna())
    out["served_max"] = pd.concat([out["arrived"], by(snapshots)["personnel"].max()], axis=1).max(axis=1).fillna(0)
    out = out.reset_index()
    for col in ("iso3", "force"):
        out[col] = out[col].astype("str")
    out["status"] = out["status"].fillna("").astype("str")
    for col in ("pledged_latest", "pledged_max", "arrived", "departed", "net", "in_country_latest", "gap", "served_max"):
        out[col] = out[col].astype("Int64")
    for col in ("pledged_date", "in_country_date"):
        out[col] = pd.to_datetime(out[col])
    out = out[columns]
    return out.sort_values(["served_max", "pledged_max", "country"], ascending=[False, False, True], na_position="last").reset_index(drop=True)


def strength_over_time(pledges: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Return the mission-wide counts of personnel in Haiti, one per date (the strongest source's
    figure when sources differ): date, force, personnel, qualifier, source_id."""
    p = pledges
    rows = p[(p["measure"] == "in_country") & p["country"].isna() & p["personnel"].notna()]
    columns = ["date", "force", "personnel", "qualifier", "source_id"]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    return _strongest(rows, sources, ["date"]).sort_values("date")[columns].reset_index(drop=True)


def arrivals_so_far(pledges: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Return, from the first arrival on, people arrived minus people departed so far, all
    countries together (each contingent once, rotations left out): date, personnel.

    A running total of reported movements, not a count of people in Haiti: it starts with the
    first contingent, before any mission-wide count was published, and drifts from the counts
    when a departure went unreported."""
    arrived = contingents(pledges, sources, "arrived")[["date", "personnel"]]
    departed = contingents(pledges, sources, "departed")[["date", "personnel"]]
    moves = pd.concat([arrived, departed.assign(personnel=-departed["personnel"])], ignore_index=True)
    if moves.empty:
        return pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"), "personnel": pd.Series(dtype="Int64")})
    daily = moves.groupby("date", as_index=False)["personnel"].sum().sort_values("date")
    daily["personnel"] = daily["personnel"].cumsum().astype("Int64")
    return daily.reset_index(drop=True)


def strength_targets(pledges: pd.DataFrame) -> pd.DataFrame:
    """Return the planned strengths and authorised ceilings, mission-wide, in date order.

    A ceiling given in parts (uniformed and civilian) appears as several rows of the same date.
    """
    p = pledges
    rows = p[p["measure"].isin(measures("target")) & p["country"].isna() & p["personnel"].notna()]
    return rows[["date", "force", "measure", "personnel", "qualifier", "personnel_type", "source_id"]].sort_values(["date", "measure"]).reset_index(drop=True)


def current_targets(targets: pd.DataFrame) -> pd.DataFrame:
    """Return, per measure and force, the largest figure of the latest date (the whole ceiling, not a part)."""
    if targets.empty:
        return targets
    latest = targets[targets["date"] == targets.groupby(["measure", "force"], observed=True)["date"].transform("max")]
    return latest.sort_values("personnel", ascending=False).groupby(["measure", "force"], observed=True).head(1).sort_values(["date", "measure"]).reset_index(drop=True)


def headline(pledges: pd.DataFrame, sources: pd.DataFrame) -> dict:
    """Return the figures a reader wants first: countries that pledged, people pledged, arrived, in country.

    ``pledged`` adds each country's largest pledge (one number per country, same unit, same stage);
    ``arrived`` adds each country's arrivals as in ``by_country``; ``in_country`` is the latest
    mission-wide count, with its date. Values are None when nothing is known.
    """
    per_country = by_country(pledges, sources)
    strength = strength_over_time(pledges, sources)
    latest = strength.iloc[-1] if len(strength) else None
    with_number = per_country["pledged_max"].notna()
    return {
        "countries_pledging": int(len(per_country)),
        "countries_with_number": int(with_number.sum()),
        "pledged": int(per_country.loc[with_number, "pledged_max"].sum()) if with_number.any() else None,
        "arrived": int(per_country["arrived"].sum()) if len(per_country) else 0,
        "countries_arrived": int((per_country["arrived"] > 0).sum()) if len(per_country) else 0,
        "in_country": int(latest["personnel"]) if latest is not None else None,
        "in_country_qualifier": str(latest["qualifier"]) if latest is not None else None,
        "in_country_date": latest["date"] if latest is not None else None,
    }
