"""The situation report's headline: what a reader could know on a given date."""
from __future__ import annotations

import pandas as pd

from . import displacement as dis
from . import funding as fund
from . import personnel

_COLUMNS = ["indicator", "value", "unit", "qualifier", "date", "source_id", "comment"]


def _row(indicator, value, unit, qualifier, date, source_id, comment=""):
    return {"indicator": indicator, "value": value, "unit": unit, "qualifier": qualifier, "date": date, "source_id": source_id, "comment": comment}


def headline_figures(displacement: pd.DataFrame, pledges: pd.DataFrame, funding: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Return one row per headline indicator, from data already cut to a date (``load(..., as_of=)``).

    Indicators: people displaced (latest national DTM figure), personnel pledged (each country's
    largest pledge, added), personnel arrived (contingents that landed, added), personnel in the
    country (latest mission-wide snapshot), trust fund pledged and deposited (latest mission-wide
    figures, US dollars). A value is missing when nothing had been published; ``comment`` says so.
    """
    rows = []
    series = dis.national_series(displacement, sources)
    latest = dis.latest_known(series)
    if latest is not None:
        rows.append(_row("People internally displaced (latest national DTM figure)", latest["value"], "persons", latest["qualifier"], latest["date"], latest["source_id"], f"round {latest['round']}"))
    else:
        rows.append(_row("People internally displaced (latest national DTM figure)", pd.NA, "persons", "", pd.NaT, "", "no national figure published yet"))

    head = personnel.headline(pledges)
    if head["pledged"] is not None:
        comment = f"{head['countries_with_number']} of {head['countries_pledging']} countries gave a number"
        rows.append(_row("Personnel pledged (largest pledge of each country, added)", head["pledged"], "persons", "", pd.NaT, "", comment))
    else:
        rows.append(_row("Personnel pledged (largest pledge of each country, added)", pd.NA, "persons", "", pd.NaT, "", "no country had pledged a number yet"))
    if head["arrived"]:
        rows.append(_row("Personnel arrived in Haiti (contingents, rotations excluded)", head["arrived"], "persons", "", pd.NaT, "", f"from {head['countries_arrived']} countries"))
    else:
        rows.append(_row("Personnel arrived in Haiti (contingents, rotations excluded)", pd.NA, "persons", "", pd.NaT, "", "no deployment had happened yet"))
    strength = personnel.strength_over_time(pledges)
    if len(strength):
        s = strength.iloc[-1]
        rows.append(_row("Personnel in Haiti (latest mission-wide count)", s["personnel"], "persons", s["qualifier"], s["date"], s["source_id"], str(s["force"])))
    else:
        rows.append(_row("Personnel in Haiti (latest mission-wide count)", pd.NA, "persons", "", pd.NaT, "", "no deployment had happened yet"))

    for stage, label in (("pledged", "Trust fund: pledged"), ("deposited", "Trust fund: deposited")):
        t = fund.latest_trust_fund(funding, stage)
        if t is not None:
            rows.append(_row(label, t["amount"], "USD", t["qualifier"], t["date"], t["source_id"], str(t["force"])))
        else:
            rows.append(_row(label, pd.NA, "USD", "", pd.NaT, "", "no figure published yet"))
    out = pd.DataFrame(rows, columns=_COLUMNS)
    out["value"] = out["value"].astype("Int64")
    out["date"] = pd.to_datetime(out["date"])
    return out


def national_figures_reported(displacement: pd.DataFrame, sources: pd.DataFrame, as_of, days: int = 180) -> pd.DataFrame:
    """Return every national IDP stock figure whose source was published in the ``days`` up to
    ``as_of``, whatever its round, so press figures appear beside IOM's own (newest first)."""
    from .provenance import with_sources

    end = pd.Timestamp(as_of)
    rows = with_sources(dis.idp_stocks(displacement, dis.NATIONAL), sources)
    rows = rows[(rows["source_published"] > end - pd.Timedelta(days=days)) & (rows["source_published"] <= end)]
    return rows.sort_values(["source_published", "record_id"], ascending=[False, True])[
        ["date", "value", "qualifier", "round", "source_publisher", "source_published", "source_id"]
    ].reset_index(drop=True)


def headline_rows(displacement: pd.DataFrame, pledges: pd.DataFrame, funding: pd.DataFrame, sources: pd.DataFrame) -> list[pd.DataFrame]:
    """Return the data rows the headline figures rest on (for naming their sources)."""
    series = dis.national_series(displacement, sources)
    numbered = pledges[pledges["personnel"].notna() & pledges["measure"].isin([*personnel.measures("pledge"), "arrived", "in_country"])]
    trust = fund.trust_fund_snapshots(funding)
    return [series.tail(1), numbered, trust[trust["stage"].isin(["pledged", "deposited"])]]
