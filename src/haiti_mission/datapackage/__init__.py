"""The data package: the descriptor, strict reading of its CSV files, the rules, checksums,
validation and typed frames, with the point-in-time (``as_of``) rule.

``descriptor`` reads ``datapackage.json``, the single source of truth for every table, and
``conventions`` refuses what it may not say (URLs to fetch, other dialects); ``csvfile`` parses one
CSV strictly against its schema with the cell rules of ``cells``; ``rules`` checks what spans rows
and tables;
``checksums`` compares files with the sizes and hashes the descriptor records; ``validation``
checks the whole package; ``frames`` gives typed pandas DataFrames (``load``).

May import only the base modules (``errors``, ``paths``, ``files``): it knows nothing of analysis,
notebooks, report runs or the command line.
"""
