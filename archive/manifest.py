"""Export manifests: what a dataset holds and how to make it again (``PATH.manifest.json``).

Every export writes one beside its file. It records the command and filters, the moment the
archive was read at (``as_of``) and the largest version id it could see (``max_version_id``), the
schema revision, the pressbox and extractor versions, the row count and the file's SHA-256::

    {"manifest_version": 1, "file": "articles.csv", "format": "csv", "rows": 1234,
     "sha256": "9f2c...", "as_of": "2026-11-25T14:00:00+00:00", "max_version_id": 5678,
     "filters": {"query": "derby", "sources": ["sportsdaily"], ...}, ...}

A later ``pressbox export --since-manifest articles.csv.manifest.json`` exports only versions
written after ``max_version_id`` with the same filters: a delta release. Ids, not fetch times,
mark the boundary, because a crawl commits a batch a little after it fetched the pages.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from archive.errors import ExportError, ValidationError

__all__ = [
    "MANIFEST_SUFFIX",
    "MANIFEST_VERSION",
    "file_sha256",
    "manifest_path",
    "package_version",
    "read_manifest",
    "verify_manifest",
    "write_manifest",
]

MANIFEST_SUFFIX = ".manifest.json"
MANIFEST_VERSION = 1
_REQUIRED = ("file", "rows", "sha256", "max_version_id", "filters")


def manifest_path(out: Path) -> Path:
    """Where the manifest of the export ``out`` goes: ``out`` + ``.manifest.json``."""
    return out.with_name(out.name + MANIFEST_SUFFIX)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in blocks (any size)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fp:
        for block in iter(lambda: fp.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_version(name: str = "pressbox") -> str | None:
    """The installed version of a distribution, or None when it is not installed."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def write_manifest(out: Path, data: dict[str, Any]) -> Path:
    """Write ``data`` as the manifest of ``out`` (atomically: temporary file, then rename)."""
    path = manifest_path(out)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8") as fp:
            json.dump(data, fp, ensure_ascii=False, indent=2, default=_default)
            fp.write("\n")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"Cannot write the manifest {path}: {exc.strerror or exc}.") from exc
    return path


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot write a {type(value).__name__} to a manifest")


def read_manifest(path: Path) -> dict[str, Any]:
    """Read and check an export manifest.

    Raises:
        ValidationError: the file is missing, not JSON, or not a pressbox export manifest.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError(
            f"No manifest at {path}. Give the .manifest.json file written beside an export."
        ) from None
    except (OSError, ValueError) as exc:
        raise ValidationError(f"Cannot read the manifest {path}: {exc}.") from None
    missing = [key for key in _REQUIRED if not isinstance(data, dict) or key not in data]
    if missing:
        raise ValidationError(
            f"{path} is not a pressbox export manifest (no {', '.join(missing)}). Give the "
            ".manifest.json file written beside an export."
        )
    return dict(data)


def verify_manifest(path: Path) -> list[str]:
    """Check an export against its manifest; returns the problems found (empty: it matches).

    Args:
        path: the manifest (``PATH.manifest.json``).
    """
    data = read_manifest(path)
    export = Path(path).with_name(str(data["file"]))
    if not export.is_file():
        return [f"{export} is missing"]
    problems = []
    if file_sha256(export) != data["sha256"]:
        problems.append(f"{export} does not have the SHA-256 the manifest records")
    return problems
