"""Interoperability: citations, the data dictionary, the exports (HXL, SQLite, Parquet), the
Datasette metadata, the browsable reference, the sources check.

Everything here turns the validated data package into something other people and tools read.

May import ``datapackage`` and the base modules (``errors``, ``paths``); not ``analysis`` (an
export carries the data as curated, not an analysis of it), nor anything above. ``reference``
also reads the top-level ``haiti_mission`` package: the public API is what it documents.
"""
