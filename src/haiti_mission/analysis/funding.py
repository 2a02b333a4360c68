"""Funding: per donor, channel, stage and currency, never adding across them."""
from __future__ import annotations

import pandas as pd

GROUP = ["donor", "channel", "stage", "unit"]


class MixedAmountsError(ValueError):
    """Raised when amounts of different currencies, channels or stages would be added together."""


def total(funding: pd.DataFrame) -> int:
    """Add the amounts of ``funding``, refusing when they mix currencies, channels or stages.

    Only mission money (the ``funding`` dataset) is added: rows of humanitarian response plans
    (which carry a ``plan`` column) are refused, alone or mixed in.
    """
    if "plan" in funding.columns or "amount" not in funding.columns:
        raise MixedAmountsError("humanitarian plan money is not mission money: funding.total adds rows of the funding dataset only")
    for column in ("unit", "channel", "stage"):
        values = sorted(funding[column].dropna().astype("str").unique())
        if len(values) > 1:
            raise MixedAmountsError(f"cannot add amounts across {column} values {', '.join(values)}; filter to one {column} first")
    return int(funding["amount"].sum())


def latest_by_donor(funding: pd.DataFrame) -> pd.DataFrame:
    """Return the latest figure per donor, channel, stage and unit (never a sum of several rows).

    Donors' figures are often cumulative restatements, so adding rows would count money twice; the
    latest figure stands for the group, with ``rows`` saying how many figures the group holds.
    Mission-wide rows (no donor) are left out; rows without an amount are kept with an empty amount.
    """
    f = funding[funding["donor"].notna()].copy()
    f["unit"] = f["unit"].astype("str").where(f["unit"].notna(), "")
    f = f.sort_values(["date", "record_id"])
    counts = f.groupby(GROUP, observed=True).size().rename("rows")
    latest = f.groupby(GROUP, observed=True).tail(1).set_index(GROUP)
    out = latest[["date", "force", "amount", "qualifier", "source_id"]].join(counts).reset_index()
    out["unit"] = out["unit"].replace("", pd.NA)
    return out.sort_values(["donor", "channel", "stage", "unit"]).reset_index(drop=True)


def trust_fund_snapshots(funding: pd.DataFrame) -> pd.DataFrame:
    """Return the mission-wide trust-fund figures (pledged, deposited, spent, balance) over time."""
    f = funding
    rows = f[(f["channel"] == "trust_fund") & f["donor"].isna() & f["amount"].notna()]
    return rows[["date", "force", "stage", "amount", "unit", "qualifier", "source_id"]].sort_values(["date", "stage"]).reset_index(drop=True)


def latest_trust_fund(funding: pd.DataFrame, stage: str, unit: str = "USD") -> pd.Series | None:
    """Return the latest mission-wide trust-fund row for one stage and unit, or None."""
    snaps = trust_fund_snapshots(funding)
    snaps = snaps[(snaps["stage"] == stage) & (snaps["unit"] == unit)]
    return snaps.iloc[-1] if len(snaps) else None
