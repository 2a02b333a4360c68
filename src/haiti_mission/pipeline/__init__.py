"""The report pipeline, on the parent side of the kernels: plan a run and check its parameters,
execute the notebooks with papermill in worker processes, render clean notebooks, HTML pages and
figures, and publish them into the output folder all at once; re-execute the committed notebooks.

``plan`` (which reports, which parameters), ``execute`` (one notebook, one kernel), ``workers``
(a process pool that stops at the first failure), ``pages`` (notebook, figures, HTML, index),
``staging`` (build beside the output folder, swap it into place), ``build`` (the run),
``refresh`` (the committed notebooks in place), ``reference`` (the API reference and data
dictionary as HTML pages, from the docstrings of the whole package).

May import ``notebook`` (for the parameter checks it shares with the kernels), ``queries``,
``analysis``, ``interop``, ``datapackage`` and the base modules; not ``cli``.
"""
