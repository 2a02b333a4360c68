"""Synthetic copies of the curated data, N times larger, valid for the package's own descriptor.

Each table is replicated: copy 0 is the real data unchanged; copy k (k = 1 .. N-1) repeats every
real row with a new identifier, a source of its own and shifted values:

- sources: ``<source_id>-x<k>``, day-precision publication dates moved back by ``shift(k)`` days;
- displacement: new ``dis-NNNN`` ids; sub-national areas renamed ``<area> (synthetic k)`` (more
  areas), national rows stay "Haiti" (more sources repeating national figures, as the press does);
- pledges, funding: new ids; each country or donor becomes ``<name> (synthetic k)`` with a new
  ISO3-like code, mission-wide rows (no country, no donor) stay mission-wide;
- timeline: ``<event_id>-x<k>``, milestones left empty (a milestone occurs at most once).

Day-precision dates move back by ``shift(k)`` days (0-119), together with the source they cite, so
no date lies in the future and "latest" (the newest publication) is the same at every scale.
Month- and year-precision dates stay on the 1st of their month or year.

The descriptor is copied unchanged, except the size and sha256 hash it records for each file (when
it records them), which are those of the new files. New record ids follow the descriptor's patterns:
``^dis-[0-9]{4,}$`` and alike take any number of digits (ids past 9999 get five); a pattern with a
fixed width (``{4}``) would allow at most 9,999 rows, and a table that needed more would be cut at
that many rows, with a note (``Synthetic.capped``). Run ``haiti-mission validate --data-dir DIR`` on
the result.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

TABLES = ("sources", "displacement", "pledges", "funding", "timeline")
# Record ids of the form prefix-NNNN, as the descriptor's patterns require: ``{4}`` (exactly four
# digits) or ``{4,}`` (at least four).
_NUMBERED_ID = re.compile(r"^\^(?P<prefix>[a-z]+-)\[0-9\]\{(?P<digits>[0-9]+)(?P<open>,?)\}\$$")


@dataclass
class Synthetic:
    """What was generated: the folder, the scale asked for, rows per table, tables cut short."""

    folder: Path
    scale: int
    rows: dict[str, int] = field(default_factory=dict)
    capped: dict[str, str] = field(default_factory=dict)

    @property
    def megabytes(self) -> float:
        return sum(p.stat().st_size for p in self.folder.glob("*.csv")) / 1e6


def shift(k: int) -> int:
    """Days by which copy ``k`` moves its day-precision dates back (0 for the real rows)."""
    return (k * 11) % 120


def _read(folder: Path, name: str) -> tuple[list[str], list[dict]]:
    with open(folder / f"{name}.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _write(folder: Path, name: str, header: list[str], rows: list[dict]) -> None:
    with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _back(text: str, days: int) -> str:
    if not text or days == 0:
        return text
    return (dt.date.fromisoformat(text) - dt.timedelta(days=days)).isoformat()


def _code(index: int) -> str:
    """A three-letter upper-case code for ``index`` (AAA, AAB, ...): the iso3 of a synthetic party."""
    index %= 26 ** 3
    return "".join(chr(65 + (index // 26 ** p) % 26) for p in (2, 1, 0))


def _id_capacity(descriptor: dict, name: str) -> tuple[str, int, bool] | None:
    """Return (prefix, digits, more digits allowed) when the table's primary key must look like prefix-NNNN."""
    for resource in descriptor["resources"]:
        if resource["name"] != name:
            continue
        pk = resource["schema"].get("primaryKey")
        pk = pk[0] if isinstance(pk, list) else pk
        for fld in resource["schema"]["fields"]:
            if fld["name"] == pk:
                match = _NUMBERED_ID.match(fld.get("constraints", {}).get("pattern", ""))
                if match:
                    return match["prefix"], int(match["digits"]), bool(match["open"])
    return None


def generate(source: Path, target: Path, scale: int) -> Synthetic:
    """Write ``scale`` times the data of folder ``source`` into folder ``target``; return what was written."""
    if scale < 1:
        raise ValueError("scale must be 1 or more")
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source / "datapackage.json", target / "datapackage.json")
    descriptor = json.loads((source / "datapackage.json").read_text(encoding="utf-8"))
    result = Synthetic(target, scale)
    tables = {name: _read(source, name) for name in TABLES}
    parties: dict[str, int] = {}  # country or donor name -> index, for stable synthetic codes

    def party(name: str, k: int) -> tuple[str, str]:
        index = parties.setdefault(name, len(parties))
        return f"{name} (synthetic {k})", _code(1000 + k * 64 + index)

    for name in TABLES:
        header, real = tables[name]
        out = list(real)
        numbered = _id_capacity(descriptor, name)
        next_number = 1 + max((int(r[header[0]].rsplit("-", 1)[1]) for r in real), default=0) if numbered else 0
        limit = 10 ** numbered[1] - 1 if numbered and not numbered[2] else None
        for k in range(1, scale):
            days = shift(k)
            for row in real:
                if limit is not None and next_number > limit:
                    break
                new = dict(row)
                if name == "sources":
                    new["source_id"] = f"{row['source_id']}-x{k}"
                    if row["published_precision"] == "day":
                        new["published"] = _back(row["published"], days)
                else:
                    new["source_id"] = f"{row['source_id']}-x{k}"
                    if row["date_precision"] == "day":
                        new["date"] = _back(row["date"], days)
                if numbered:
                    new[header[0]] = f"{numbered[0]}{next_number:0{numbered[1]}d}"
                    next_number += 1
                if name == "displacement":
                    new["period_start"] = _back(row["period_start"], days)
                    if row["area_type"] != "country":
                        new["area"] = f"{row['area']} (synthetic {k})"
                elif name == "pledges" and row["country"]:
                    new["country"], new["iso3"] = party(row["country"], k)
                elif name == "funding" and row["donor"]:
                    new["donor"], code = party(row["donor"], k)
                    new["iso3"] = code if row["iso3"] else ""
                elif name == "timeline":
                    new["event_id"] = f"{row['event_id']}-x{k}"
                    new["milestone"] = ""
                out.append(new)
        if limit is not None and len(out) < len(real) * scale:
            result.capped[name] = (f"{len(out):,} rows instead of {len(real) * scale:,} "
                                   f"(ids {numbered[0]}{'N' * numbered[1]} allow {limit:,})")
        _write(target, name, header, out)
        result.rows[name] = len(out)
    _record_sizes(target, descriptor)
    return result


def _record_sizes(target: Path, descriptor: dict) -> None:
    """Record each new file's size and sha256 in the copied descriptor, where it records them."""
    changed = False
    for resource in descriptor["resources"]:
        data = (target / resource["path"]).read_bytes()
        if "bytes" in resource:
            resource["bytes"] = len(data)
            changed = True
        if "hash" in resource:
            resource["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
            changed = True
    if changed:
        (target / "datapackage.json").write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Write N times the package's data into a folder (never into the repository).")
    parser.add_argument("scale", type=int)
    parser.add_argument("target", type=Path)
    parser.add_argument("--source", type=Path, default=Path(__file__).resolve().parents[1] / "data")
    args = parser.parse_args()
    made = generate(args.source, args.target, args.scale)
    print(f"{made.folder}: {made.rows} ({made.megabytes:.1f} MB)")
    for table, why in made.capped.items():
        print(f"  {table}: {why}")
