"""Personnel: pledged against arrived or serving, per country; mission strength over time."""
from __future__ import annotations

import pandas as pd

from ..datapackage import vocabulary


def measures(group: str) -> tuple[str, ...]:
    """The pledges ``measure`` values of a named group in the descriptor: ``pledge`` (announced,
    notified, pledged), ``status`` (paused, withdrawn), ``target`` (planned, authorised)."""
    return vocabulary.group("pledges", "measure", group)


def _numbered(pledges: pd.DataFrame, wanted) -> pd.DataFrame:
    p = pledges
    return p[p["measure"].isin(wanted) & p["personnel"].notna()]


def by_country(pledges: pd.DataFrame) -> pd.DataFrame:
    """Return, per contributing country, what was pledged and the most that arrived or served.

    - ``pledged_max``: the largest number attached to an announcement, notification or pledge (a
      country's later figures are often tranches or partial deployments of the same promise, so
      the largest stands for what it offered);
    - ``pledged_latest``: the most recent such number, with ``pledged_date``;
    - ``arrived``: people who landed in Haiti, adding each contingent once (when several sources
      report the same arrival date the largest figure counts) and leaving rotations out;
    - ``in_country_max``: the largest in-country snapshot for the country;
    - ``served_max``: the larger of ``arrived`` and ``in_country_max``.
    - ``status``: the latest status row (paused or withdrawn) when there is one.
    Mission-wide rows (no country) are left out.
    """
    p = pledges[pledges["country"].notna()]
    columns = ["country", "iso3", "force", "pledged_max", "pledged_latest", "pledged_date", "arrived", "in_country_max", "served_max", "status"]
    out = pd.DataFrame({"country": pd.Series(sorted(p["country"].unique()), dtype="str")}).set_index("country")
    # One groupby per quantity: a mask per country would cost countries x rows.
    by = lambda frame: frame.groupby("country", sort=True)  # noqa: E731
    pledged = _numbered(p, measures("pledge")).sort_values(["date", "record_id"])
    last = by(pledged).tail(1).set_index("country")
    out["iso3"] = by(p[p["iso3"].notna()])["iso3"].first()
    forces: dict[str, set] = {}
    for country, force in set(zip(p["country"], p["force"].astype("str"))):
        forces.setdefault(country, set()).add(force)
    out["force"] = pd.Series({country: ", ".join(sorted(f)) for country, f in forces.items()}, dtype="object")
    out["pledged_max"] = by(pledged)["personnel"].max()
    out["pledged_latest"] = last["personnel"]
    out["pledged_date"] = last["date"]
    arrivals = p[(p["measure"] == "arrived") & (~p["is_rotation"].fillna(False)) & p["personnel"].notna()]
    # Several sources may report the same landing: the largest figure of each date counts once.
    out["arrived"] = arrivals.groupby(["country", "date"])["personnel"].max().groupby(level="country").sum()
    snapshots = p[(p["measure"] == "in_country") & p["personnel"].notna()]
    out["in_country_max"] = by(snapshots)["personnel"].max()
    status = by(p[p["measure"].isin(measures("status"))].sort_values(["date", "record_id"])).tail(1).set_index("country")
    out["status"] = pd.Series([f"{m} ({d:%Y-%m-%d})" for m, d in zip(status["measure"], status["date"])], index=status.index, dtype="object")
    out["status"] = out["status"].fillna("")
    for col in ("arrived", "in_country_max"):
        out[col] = out[col].fillna(0)
    out["served_max"] = out[["arrived", "in_country_max"]].max(axis=1)
    out = out.reset_index()
    for col in ("iso3", "force", "status"):
        out[col] = out[col].astype("str")
    for col in ("pledged_latest", "pledged_max", "arrived", "in_country_max", "served_max"):
        out[col] = out[col].astype("Int64")
    out["pledged_date"] = pd.to_datetime(out["pledged_date"])
    out = out[columns]
    return out.sort_values(["served_max", "pledged_max", "country"], ascending=[False, False, True], na_position="last").reset_index(drop=True)


def strength_over_time(pledges: pd.DataFrame) -> pd.DataFrame:
    """Return the mission-wide in-country snapshots, one row per date (largest figure when sources differ)."""
    p = pledges
    rows = p[(p["measure"] == "in_country") & p["country"].isna() & p["personnel"].notna()]
    rows = rows.sort_values(["date", "personnel"], ascending=[True, False]).groupby("date", as_index=False).head(1)
    return rows[["date", "force", "personnel", "qualifier", "source_id"]].reset_index(drop=True)


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


def headline(pledges: pd.DataFrame) -> dict:
    """Return the figures a reader wants first: countries that pledged, people pledged, arrived, in country.

    ``pledged`` adds each country's largest pledge (one number per country, same unit, same stage);
    ``arrived`` adds each country's arrivals as in ``by_country``; ``in_country`` is the latest
    mission-wide snapshot, with its date. Values are None when nothing is known.
    """
    per_country = by_country(pledges)
    strength = strength_over_time(pledges)
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
