"""Analysis of the curated datasets: functions that take DataFrames and return DataFrames.

One module per dataset, plus ``provenance`` (sources behind rows) and ``disagreements`` (values of
one quantity from several sources). Nothing here reads a file: callers pass what
``haiti_mission.load`` gives, and ``queries`` holds the functions that load and then analyse.

May import only the base modules (``errors``); never ``datapackage`` (so never the loader),
``interop``, ``queries``, ``notebook``, ``pipeline`` or ``cli``.
"""
