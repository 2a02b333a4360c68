"""Interoperability: citations, the data dictionary, HXL and other exports, the sources check.

Everything here turns the validated data package into something other people and tools read.

May import ``datapackage`` and the base modules (``errors``, ``paths``); not ``analysis`` (an
export carries the data as curated, not an analysis of it), nor anything above.
"""
