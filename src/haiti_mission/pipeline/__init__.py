"""The report pipeline, on the parent side of the kernels: plan a run and check its parameters,
decide what must be rebuilt, execute the notebooks with papermill in worker processes on warm
kernels, render clean notebooks, HTML pages and figures, and publish them into the output folder
all at once; build the archive of reports by date; re-execute the committed notebooks.

``plan`` (which reports, which parameters), ``inputs`` (what a report depends on, as content
hashes), ``reuse`` (execute, re-render or reuse, and why), ``execute`` (one notebook, one kernel),
``kernels`` and ``zygote`` (warm kernels forked from a fork server), ``workers`` (worker processes
that stop at the first failure), ``pages`` (notebook, figures, HTML, index), ``staging`` (build
beside the output folder, swap it into place), ``build`` (a build of report targets), ``run`` (the
reports command: a no-op when nothing changed), ``archive`` (the reports by date),
``refresh`` (the committed notebooks in place), ``reference`` (the API reference and data
dictionary as HTML pages, from the docstrings of the whole package).

May import ``notebook`` (for the parameter checks it shares with the kernels), ``queries``,
``analysis``, ``interop``, ``datapackage`` and the base modules; not ``cli``.
"""
