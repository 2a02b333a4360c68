"""Ready-made questions of the data: load what they need and answer with the analysis.

``disagreements`` (every quantity more than one source reports), ``summary`` (a few lines per
dataset). Unlike ``analysis``, these read data, and only through ``datapackage.frames.load``.

May import ``analysis``, ``interop``, ``datapackage`` and the base modules; not ``notebook``,
``pipeline`` or ``cli``.
"""
