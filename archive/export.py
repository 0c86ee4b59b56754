"""Writing export rows to a CSV, JSON Lines or Parquet file, all or nothing.

The file is written under a temporary name in the target folder and renamed into place only when
every row is written, so a failed or interrupted export never leaves a truncated file that looks
complete.

- **CSV** follows RFC 4180 (``\\r\\n`` line ends, fields quoted only when needed), UTF-8, with a
  byte-order mark on request (Excel needs one to read UTF-8). Lists (``authors``, ``tags``) are
  joined with ``"; "``; ``links`` and ``related_links`` are JSON strings. A cell a spreadsheet
  would run as a formula is prefixed with ``'`` (see :func:`neutralise_formula`) unless ``raw``.
- **JSONL** has one JSON object per line, UTF-8 (not ``\\u`` escapes), lists as arrays, values
  exactly as stored.
- **Parquet** (needs ``pyarrow``: ``pip install 'pressbox[parquet]'``) is written in row groups of
  :data:`PARQUET_ROW_GROUP` rows, so memory stays flat; lists are list columns, links lists of
  ``{url, text}`` structs, ``first_seen``/``fetched_at`` UTC timestamps.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal

from sqlalchemy.orm import Session

from archive.errors import ArchiveError, ExportError, ValidationError
from archive.manifest import (
    MANIFEST_VERSION,
    file_sha256,
    package_version,
    read_manifest,
    write_manifest,
)
from archive.queries import (
    ALL_EXPORT_COLUMNS,
    EXPORT_COLUMNS,
    Filters,
    iter_export_rows,
    max_version_id,
)
from archive.types import utcnow

__all__ = [
    "ALL_EXPORT_COLUMNS",
    "EXPORT_COLUMNS",
    "FORMATS",
    "LIST_SEPARATOR",
    "PARQUET_ROW_GROUP",
    "check_columns",
    "export_dataset",
    "neutralise_formula",
    "write_export",
]

FORMATS = ("csv", "jsonl", "parquet")
#: Rows per Parquet row group (what an export holds in memory at once).
PARQUET_ROW_GROUP = 5000
#: Joins list cells (authors, tags) in CSV.
LIST_SEPARATOR = "; "
# Spreadsheets run a cell starting with one of these as a formula (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Columns whose lists hold {"url", "text"} dicts: JSON in CSV, not joined.
_JSON_COLUMNS = frozenset({"links", "related_links"})


def neutralise_formula(value: str) -> str:
    """Prefix ``value`` with ``'`` when a spreadsheet would run it as a formula.

    A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
    Excel, LibreOffice and Google Sheets; the quote makes them show it as text.

    >>> neutralise_formula("=1+2")
    "'=1+2"
    >>> neutralise_formula("Arsenal 2-1 Spurs")
    'Arsenal 2-1 Spurs'
    """
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot write a {type(value).__name__} to an export")


def _csv_cell(column: str, value: Any, raw: bool) -> Any:
    if value is None:
        return ""
    if column in _JSON_COLUMNS:
        text = json.dumps(value, ensure_ascii=False, default=_json_default)
    elif isinstance(value, list | tuple):
        text = LIST_SEPARATOR.join(str(item) for item in value)
    elif isinstance(value, datetime):
        text = value.isoformat()
    elif isinstance(value, str):
        text = value
    else:
        return value  # numbers: nothing to neutralise
    return text if raw else neutralise_formula(text)


def check_columns(columns: list[str] | None) -> list[str]:
    """The columns to export: ``columns`` checked, or the default set when None.

    Raises:
        ValidationError: an unknown or repeated column, or none at all.
    """
    if columns is None:
        return list(EXPORT_COLUMNS)
    unknown = [c for c in columns if c not in ALL_EXPORT_COLUMNS]
    if unknown:
        raise ValidationError(
            f"Unknown export column(s): {', '.join(unknown)}. "
            f"Valid columns: {', '.join(ALL_EXPORT_COLUMNS)}."
        )
    if not columns:
        raise ValidationError(
            f"No export columns chosen. Pick some of: {', '.join(ALL_EXPORT_COLUMNS)}."
        )
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise ValidationError(f"Export column(s) listed twice: {', '.join(duplicated)}.")
    return list(columns)


def _write_csv(fp: IO[str], rows: Iterable[dict[str, Any]], columns: list[str], raw: bool) -> int:
    writer = csv.writer(fp, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([_csv_cell(c, row.get(c), raw) for c in columns])
        count += 1
    return count


def _write_jsonl(fp: IO[str], rows: Iterable[dict[str, Any]], columns: list[str]) -> int:
    count = 0
    for row in rows:
        record = {c: row.get(c) for c in columns}
        fp.write(json.dumps(record, ensure_ascii=False, default=_json_default))
        fp.write("\n")
        count += 1
    return count


_PARQUET_TIMESTAMPS = frozenset({"first_seen", "fetched_at"})
_PARQUET_INTS = frozenset({"version", "word_count", "versions", "words_added", "words_removed"})
_PARQUET_LISTS = frozenset({"authors", "tags", "changed_fields"})


def _parquet_schema(pa: Any, columns: list[str]) -> Any:
    link = pa.struct([("url", pa.string()), ("text", pa.string())])
    fields = []
    for name in columns:
        if name in _PARQUET_TIMESTAMPS:
            kind = pa.timestamp("us", tz="UTC")
        elif name in _PARQUET_INTS:
            kind = pa.int64()
        elif name in _PARQUET_LISTS:
            kind = pa.list_(pa.string())
        elif name in _JSON_COLUMNS:
            kind = pa.list_(link)
        elif name == "trivial":
            kind = pa.bool_()
        else:
            kind = pa.string()
        fields.append(pa.field(name, kind))
    return pa.schema(fields)


def _import_pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ValidationError(
            "Parquet export needs pyarrow, which is not installed. Install it with "
            "pip install 'pressbox[parquet]', or export --format csv or jsonl."
        ) from None
    return pa, pq


def _write_parquet(
    path: Path, rows: Iterable[dict[str, Any]], columns: list[str], row_group: int
) -> int:
    pa, pq = _import_pyarrow()
    schema = _parquet_schema(pa, columns)
    stamps = [c for c in columns if c in _PARQUET_TIMESTAMPS]
    count = 0
    batch: list[dict[str, Any]] = []
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for row in rows:
            record = {c: row.get(c) for c in columns}
            for name in stamps:
                value = record[name]
                if isinstance(value, str):
                    record[name] = datetime.fromisoformat(value)
            batch.append(record)
            if len(batch) >= row_group:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count += len(batch)
                batch = []
        if batch or count == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count


def write_export(
    rows: Iterable[dict[str, Any]],
    out: Path,
    fmt: Literal["csv", "jsonl", "parquet"],
    *,
    columns: list[str] | None = None,
    bom: bool = False,
    raw: bool = False,
    row_group: int = PARQUET_ROW_GROUP,
) -> int:
    """Write ``rows`` to ``out`` as CSV, JSON Lines or Parquet, replacing ``out`` only on success.

    Args:
        rows: dicts with (some of) the keys of :data:`EXPORT_COLUMNS`, e.g. from
            :func:`archive.queries.iter_export_rows`; consumed as they come.
        out: the file to write; its folder must exist.
        fmt: ``"csv"``, ``"jsonl"`` or ``"parquet"``.
        columns: the columns to write, in order (default: :data:`EXPORT_COLUMNS`; any of
            :data:`ALL_EXPORT_COLUMNS`).
        bom: start a CSV file with a UTF-8 byte-order mark, for Excel.
        raw: write CSV cells as they are, without neutralising formulas.
        row_group: rows per Parquet row group.

    Returns:
        The number of rows written (the header not counted).

    Raises:
        ValidationError: an unknown format or column, ``bom`` with JSONL or Parquet, or
            Parquet without pyarrow installed.
        ExportError: the file could not be written, or reading the rows failed; nothing is left
            at ``out`` (an existing file there is kept unchanged).
    """
    if fmt not in FORMATS:
        raise ValidationError(f"Unknown export format {fmt!r}: use one of {', '.join(FORMATS)}.")
    if bom and fmt != "csv":
        raise ValidationError(f"A byte-order mark is only for CSV files; drop --bom for {fmt}.")
    names = check_columns(columns)
    if fmt == "parquet":
        _import_pyarrow()  # fail before any work when it is missing
    out = Path(out)
    if out.is_dir():
        raise ExportError(f"Cannot export to {out}: it is a folder. Give a file name.")
    if not out.parent.is_dir():
        raise ExportError(
            f"Cannot export to {out}: folder {out.parent} does not exist. Create it first."
        )
    # Same folder, so the final os.replace is an atomic rename on one file system. Opened with
    # "x" (not tempfile) so the file gets the usual permissions from the umask.
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    try:
        if fmt == "parquet":
            tmp.touch(exist_ok=False)
            count = _write_parquet(tmp, rows, names, row_group)
        else:
            with open(tmp, "x", encoding="utf-8-sig" if bom else "utf-8", newline="") as fp:
                if fmt == "csv":
                    count = _write_csv(fp, rows, names, raw)
                else:
                    count = _write_jsonl(fp, rows, names)
        os.replace(tmp, out)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, ArchiveError) or not isinstance(exc, Exception):
            raise  # already says what to do; or Ctrl-C / exit, which must propagate as is
        if isinstance(exc, OSError):
            raise ExportError(
                f"Cannot write the export to {out}: {exc.strerror or exc}. Check that the "
                "folder is writable and the disk has space, then run the export again."
            ) from exc
        raise ExportError(
            f"The export to {out} failed, so no file was written: {exc!r}. "
            "Fix the cause and run the export again."
        ) from exc
    return count


# -- a dataset: the file, its manifest, and deltas ------------------------------------------------


def export_dataset(
    session: Session,
    out: Path,
    fmt: Literal["csv", "jsonl", "parquet"],
    *,
    filters: Filters | None = None,
    columns: list[str] | None = None,
    bom: bool = False,
    raw: bool = False,
    since_manifest: Path | None = None,
    command: str | None = None,
    database: str | None = None,
) -> dict[str, Any]:
    """Export a dataset to ``out`` and write its manifest (``out.manifest.json``) beside it.

    Args:
        session: an open session; the export reads one consistent snapshot through it.
        out: the file to write (replaced only on success).
        fmt: ``"csv"``, ``"jsonl"`` or ``"parquet"``.
        filters: which versions (default: the latest of every article).
        columns: the columns (default :data:`EXPORT_COLUMNS`).
        bom: UTF-8 byte-order mark at the start of a CSV file.
        raw: do not neutralise spreadsheet formulas in CSV cells.
        since_manifest: the manifest of an earlier export: export only the versions written
            since, with that export's filters (and columns, unless ``columns`` is given).
            ``filters`` may then only set ``as_of``.
        command: the command line, recorded in the manifest.
        database: the database, recorded in the manifest (no password).

    Returns:
        The manifest written (``rows``, ``sha256``, ``as_of``, ...).

    Raises:
        ValidationError: bad options, a malformed query, an unusable ``since_manifest``.
        NotFoundError: an unknown source.
        ExportError: the file could not be written (nothing is left at ``out``).
    """
    from alembic.runtime.migration import MigrationContext

    filters = filters or Filters()
    previous = None
    if since_manifest is not None:
        previous = read_manifest(since_manifest)
        if filters.with_(as_of=None) != Filters():
            raise ValidationError(
                f"--since-manifest reuses the filters of {since_manifest}; drop the other "
                "filter options (only --as-of may be given)."
            )
        filters = Filters.from_dict(previous["filters"]).with_(
            as_of=filters.as_of, after_version_id=int(previous["max_version_id"])
        )
        if columns is None and previous.get("columns"):
            columns = list(previous["columns"])
    names = check_columns(columns)
    started = utcnow()
    as_of = filters.as_of or started
    # Read in the same transaction as the rows: both see one snapshot of the archive.
    top = max_version_id(session, filters.as_of)
    extractors: set[tuple[str, str]] = set()

    def rows() -> Iterator[dict[str, Any]]:
        wanted = [*names, *(c for c in ("extractor", "extractor_version") if c not in names)]
        for row in iter_export_rows(session, filters=filters, columns=wanted):
            extractors.add((row["extractor"], row["extractor_version"]))
            yield row

    count = write_export(rows(), out, fmt, columns=names, bom=bom, raw=raw)
    manifest: dict[str, Any] = {
        "manifest_version": MANIFEST_VERSION,
        "file": Path(out).name,
        "format": fmt,
        "columns": names,
        "rows": count,
        "sha256": file_sha256(Path(out)),
        "bytes": Path(out).stat().st_size,
        "command": command,
        "filters": filters.as_dict(),
        "as_of": as_of.isoformat(),
        "max_version_id": top,
        "since_manifest": None
        if previous is None
        else {
            "file": previous["file"],
            "sha256": previous["sha256"],
            "as_of": previous.get("as_of"),
            "max_version_id": previous["max_version_id"],
        },
        "csv": {"bom": bom, "raw": raw} if fmt == "csv" else None,
        "created_at": started.isoformat(),
        "database": database,
        "schema_version": MigrationContext.configure(session.connection()).get_current_revision(),
        "pressbox_version": package_version("pressbox"),
        "extractors": [{"name": n, "version": v} for n, v in sorted(extractors)],
    }
    write_manifest(Path(out), manifest)
    return manifest
