"""Synthetic copies of the curated data, N times larger, valid for the package's own descriptor.

Every resource of ``datapackage.json`` is replicated, driven by its schema (no column list here):
copy 0 is the real data unchanged; copy k (k = 1 .. N-1) repeats every real row with

- a new primary key: the next ``prefix-NNNN`` where the key's pattern asks for one (``sec-0343``),
  otherwise ``<key>-x<k>`` (sources, timeline events); links within a table (``part_of``) follow;
- a source of its own, ``<source_id>-x<k>``;
- sub-national areas renamed ``<area> (synthetic k)`` (more areas); national rows stay "Haiti";
- each pledging country or donor renamed ``<name> (synthetic k)``, with a three-letter code no real
  row uses; mission-wide rows (no country, no donor) stay mission-wide;
- unique fields other than the key (a timeline milestone occurs once) left empty.

Dates a precision field governs (a source's ``published``; a row's ``date``, ``period_start`` and
``period_end`` beside ``date_precision``) move back by ``shift(k)`` days (0-119) when the precision
is "day", so no date lies in the future and "latest" (the newest publication) is the same at every
scale. Month- and year-precision dates stay on the 1st of their month or year; tables with no
precision field (IPC analysis periods) keep their dates.

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

# Record ids of the form prefix-NNNN, as the descriptor's patterns require: ``{4}`` (exactly four
# digits) or ``{4,}`` (at least four).
_NUMBERED_ID = re.compile(r"^\^(?P<prefix>[a-z]+-)\[0-9\]\{(?P<digits>[0-9]+)(?P<open>,?)\}\$$")
# Day-precision dates a table's precision field governs (a table with no precision field keeps its
# dates: an IPC analysis period or a cholera window is fixed by its analysis, not by a report date).
_DATED = {
    "published_precision": ("published",),
    "date_precision": ("date", "period_start", "period_end"),
}
# Parties renamed per copy, with the code that goes with them.
_PARTIES = {"pledges": ("country", "iso3"), "funding": ("donor", "iso3")}


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


def _fields(resource: dict) -> dict[str, dict]:
    return {f["name"]: f for f in resource["schema"]["fields"]}


def _primary_key(resource: dict) -> str:
    pk = resource["schema"]["primaryKey"]
    return pk[0] if isinstance(pk, list) else pk


def _numbered(resource: dict) -> tuple[str, int, bool] | None:
    """Return (prefix, digits, more digits allowed) when the primary key must look like prefix-NNNN."""
    constraints = _fields(resource)[_primary_key(resource)].get("constraints", {})
    match = _NUMBERED_ID.match(constraints.get("pattern", ""))
    return (match["prefix"], int(match["digits"]), bool(match["open"])) if match else None


def _links(resource: dict) -> tuple[list[str], list[str]]:
    """The fields that point at a source, and those that point at another row of the same table."""
    to_sources, to_self = [], []
    for key in resource["schema"].get("foreignKeys", []):
        fields = key["fields"] if isinstance(key["fields"], list) else [key["fields"]]
        target = key["reference"]["resource"]
        if target == "sources":
            to_sources.extend(fields)
        elif target == "":
            to_self.extend(fields)
    return to_sources, to_self


def generate(source: Path, target: Path, scale: int) -> Synthetic:
    """Write ``scale`` times the data of folder ``source`` into folder ``target``; return what was written.

    Every resource of the descriptor is replicated, driven by its schema: the primary key, the
    foreign keys (to ``sources`` and within the table), unique fields, the precision fields and the
    areas; nothing here lists a table's columns.
    """
    if scale < 1:
        raise ValueError("scale must be 1 or more")
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source / "datapackage.json", target / "datapackage.json")
    descriptor = json.loads((source / "datapackage.json").read_text(encoding="utf-8"))
    result = Synthetic(target, scale)
    # Each synthetic party gets the next three-letter code no real row uses, once per name.
    taken = {row[code] for table, (_, code) in _PARTIES.items() for row in _read(source, table)[1]}
    codes: dict[str, str] = {}
    spare = (c for c in map(_code, range(26 ** 3)) if c not in taken)

    def party(name: str, k: int) -> tuple[str, str]:
        synthetic = f"{name} (synthetic {k})"
        if synthetic not in codes:
            codes[synthetic] = next(spare)
        return synthetic, codes[synthetic]

    for resource in descriptor["resources"]:
        name = Path(resource["path"]).stem
        header, real = _read(source, name)
        fields = _fields(resource)
        pk = _primary_key(resource)
        to_sources, to_self = _links(resource)
        # A unique field other than the key (a milestone) can hold each value once: copies leave it empty.
        once = [f for f, spec in fields.items() if f != pk and spec.get("constraints", {}).get("unique")]
        dated = [(p, [d for d in dates if d in fields]) for p, dates in _DATED.items() if p in fields]
        named = _PARTIES.get(name)
        numbered = _numbered(resource)
        out = list(real)
        next_number = 1 + max((int(r[pk].rsplit("-", 1)[1]) for r in real), default=0) if numbered else 0
        limit = 10 ** numbered[1] - 1 if numbered and not numbered[2] else None
        for k in range(1, scale):
            if limit is not None and next_number + len(real) - 1 > limit:
                break
            days = shift(k)
            new_ids: dict[str, str] = {}
            copies = []
            for row in real:
                new = dict(row)
                if numbered:
                    new[pk] = f"{numbered[0]}{next_number:0{numbered[1]}d}"
                    next_number += 1
                else:
                    new[pk] = f"{row[pk]}-x{k}"
                new_ids[row[pk]] = new[pk]
                for f in to_sources if name != "sources" else []:
                    new[f] = f"{row[f]}-x{k}" if row[f] else ""
                for f in once:
                    new[f] = ""
                for precision, dates in dated:
                    if row[precision] == "day":
                        for d in dates:
                            new[d] = _back(row[d], days)
                if "area" in fields and row.get("area_type") not in ("country", ""):
                    new["area"] = f"{row['area']} (synthetic {k})"
                if named and row[named[0]]:
                    new[named[0]], code = party(row[named[0]], k)
                    new[named[1]] = code if row[named[1]] else ""
                copies.append(new)
            for new in copies:
                for f in to_self:
                    new[f] = new_ids.get(new[f], new[f])
            out.extend(copies)
        if len(out) < len(real) * scale:
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
