"""The Parquet export: one file per resource, typed as ``load()`` types it, described in its metadata.

Each column keeps the pandas type ``load()`` gives it (dates, nullable integers and floats,
booleans, categoricals with every category of the enumeration in the descriptor's order, text),
so ``pandas.read_parquet`` gives the same frame back. Each column's Arrow field carries its
description, unit, type and HXL tag from the descriptor, and the file's metadata the table's name,
title, description, keys and licences (key ``haiti_mission``, JSON).
"""
from __future__ import annotations

import io
import json

import pandas as pd

from ..datapackage.descriptor import Package, Resource

METADATA_KEY = b"haiti_mission"


def _field_metadata(resource: Resource) -> dict[str, dict[bytes, bytes]]:
    out = {}
    for fld in resource.fields:
        items = {"description": fld.description, "type": fld.type, "unit": fld.unit, "hxl": fld.hxl}
        out[fld.name] = {k.encode(): v.encode("utf-8") for k, v in items.items() if v}
    return out


def table_metadata(package: Package, resource: Resource) -> dict:
    """Return what the file's ``haiti_mission`` metadata holds about ``resource``."""
    return {
        "package": package.name, "version": package.version, "name": resource.name, "title": resource.title,
        "description": resource.description, "primaryKey": list(resource.primary_key),
        "foreignKeys": [{"fields": list(fk.fields), "reference": {"resource": fk.resource, "fields": list(fk.reference_fields)}}
                        for fk in resource.foreign_keys],
        "licenses": list(resource.licenses),
    }


def parquet_bytes(package: Package, resource: Resource, frame: pd.DataFrame) -> bytes:
    """Return ``frame`` (as ``load()`` gives it) as the bytes of a Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame[resource.field_names], preserve_index=False)
    described = _field_metadata(resource)
    schema = pa.schema([f.with_metadata(described[f.name]) for f in table.schema],
                       metadata={**(table.schema.metadata or {}),
                                 METADATA_KEY: json.dumps(table_metadata(package, resource), ensure_ascii=False, sort_keys=True).encode("utf-8")})
    buffer = io.BytesIO()
    pq.write_table(table.cast(schema), buffer, compression="zstd", store_schema=True)
    return buffer.getvalue()
