"""Content hashes of the data files: the data version, and tamper evidence."""
from __future__ import annotations

import hashlib

from .schema import Package, read_package


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def data_version(package: Package | None = None) -> str:
    """Return '<descriptor version>+<first 12 hex of a hash over every resource file>'."""
    package = package or read_package()
    digest = hashlib.sha256()
    for resource in sorted(package.resources, key=lambda r: r.name):
        digest.update(resource.name.encode() + b"\0")
        digest.update(package.file_of(resource).read_bytes())
    return f"{package.version}+{digest.hexdigest()[:12]}"
