"""Writing export rows to a CSV or JSON Lines file, all or nothing.

The file is written under a temporary name in the target folder and renamed into place only when
every row is written, so a failed or interrupted export never leaves a truncated file that looks
complete.

- **CSV** follows RFC 4180 (``\\r\\n`` line ends, fields quoted only when needed), UTF-8, with a
  byte-order mark on request (Excel needs one to read UTF-8). Lists (``authors``, ``tags``) are
  joined with ``"; "``; ``links`` and ``related_links`` are JSON strings. A cell a spreadsheet
  would run as a formula is prefixed with ``'`` (see :func:`neutralise_formula`) unless ``raw``.
- **JSONL** has one JSON object per line, UTF-8 (not ``\\u`` escapes), lists as arrays, values
  exactly as stored.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal

from archive.errors import ArchiveError, ExportError, ValidationError
from archive.queries import EXPORT_COLUMNS

__all__ = ["EXPORT_COLUMNS", "FORMATS", "LIST_SEPARATOR", "neutralise_formula", "write_export"]

FORMATS = ("csv", "jsonl")
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


def _check_columns(columns: list[str] | None) -> list[str]:
    if columns is None:
        return list(EXPORT_COLUMNS)
    unknown = [c for c in columns if c not in EXPORT_COLUMNS]
    if unknown:
        raise ValidationError(
            f"Unknown export column(s): {', '.join(unknown)}. "
            f"Valid columns: {', '.join(EXPORT_COLUMNS)}."
        )
    if not columns:
        raise ValidationError(
            f"No export columns chosen. Pick some of: {', '.join(EXPORT_COLUMNS)}."
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


def write_export(
    rows: Iterable[dict[str, Any]],
    out: Path,
    fmt: Literal["csv", "jsonl"],
    *,
    columns: list[str] | None = None,
    bom: bool = False,
    raw: bool = False,
) -> int:
    """Write ``rows`` to ``out`` as CSV or JSON Lines, replacing ``out`` only on success.

    Args:
        rows: dicts with (some of) the keys of :data:`EXPORT_COLUMNS`, e.g. from
            :func:`archive.queries.iter_export_rows`; consumed as they come.
        out: the file to write; its folder must exist.
        fmt: ``"csv"`` or ``"jsonl"``.
        columns: the columns to write, in order (default: all of :data:`EXPORT_COLUMNS`).
        bom: start a CSV file with a UTF-8 byte-order mark, for Excel.
        raw: write CSV cells as they are, without neutralising formulas.

    Returns:
        The number of rows written (the header not counted).

    Raises:
        ValidationError: an unknown format or column, or ``bom`` with JSONL.
        ExportError: the file could not be written, or reading the rows failed; nothing is left
            at ``out`` (an existing file there is kept unchanged).
    """
    if fmt not in FORMATS:
        raise ValidationError(f"Unknown export format {fmt!r}: use one of {', '.join(FORMATS)}.")
    if bom and fmt != "csv":
        raise ValidationError("A byte-order mark is only for CSV files; drop it for JSONL.")
    names = _check_columns(columns)
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
