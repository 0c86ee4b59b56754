"""Moving a whole archive between databases (SQLite -> PostgreSQL and back), verified.

``pressbox db copy --from URL --to URL`` copies every table in foreign-key order, in batches, keeps
primary keys (so exports of both are identical), then checks that each table has the same number
of rows on both sides. The target must be empty (its schema is created if needed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Table, func, select, text, update

from archive.db import open_archive
from archive.errors import ValidationError
from archive.models import Article, Base

__all__ = ["SKIPPED_TABLES", "copy_archive"]

#: Tables that are not copied: a scheduler lock belongs to one database's scheduler.
SKIPPED_TABLES = frozenset({"scheduler_lock"})


def _tables() -> list[Table]:
    return [t for t in Base.metadata.sorted_tables if t.name not in SKIPPED_TABLES]


def copy_archive(
    source_url: str,
    target_url: str,
    *,
    batch_size: int = 2000,
    progress: Callable[[str, int], Any] | None = None,
) -> dict[str, int]:
    """Copy the archive at ``source_url`` into the empty database at ``target_url``.

    Returns:
        Row counts per table (equal on both sides).

    Raises:
        ValidationError: the target already holds data, or the row counts differ afterwards.
    """
    if source_url == target_url:
        raise ValidationError("--from and --to name the same database.")
    src = open_archive(source_url, create=False)
    dst = open_archive(target_url)
    try:
        with dst.engine.connect() as conn:
            for table in _tables():
                if conn.execute(select(func.count()).select_from(table)).scalar():
                    raise ValidationError(
                        f"The target database already has rows in {table.name}: copy into an "
                        "empty database (create a new one, then run pressbox db copy again)."
                    )
        counts: dict[str, int] = {}
        latest: list[dict[str, Any]] = []
        with src.engine.connect() as sconn, dst.engine.begin() as dconn:
            for table in _tables():
                n = 0
                pk = list(table.primary_key.columns)
                result = sconn.execution_options(yield_per=batch_size).execute(
                    select(table).order_by(*pk)
                )
                for part in result.mappings().partitions(batch_size):
                    rows = [dict(r) for r in part]
                    if table.name == "articles":  # its FK to versions is set once they exist
                        for row in rows:
                            if row["latest_version_id"] is not None:
                                latest.append({"i": row["id"], "v": row["latest_version_id"]})
                            row["latest_version_id"] = None
                    dconn.execute(table.insert(), rows)
                    n += len(rows)
                counts[table.name] = n
                if progress is not None:
                    progress(table.name, n)
            for i in range(0, len(latest), batch_size):
                dconn.execute(
                    update(Article)
                    .where(Article.id == text(":i"))
                    .values(latest_version_id=text(":v")),
                    latest[i : i + batch_size],
                )
            if dst.dialect == "postgresql":  # ids were copied: move the sequences past them
                for table in _tables():
                    cols = [c.name for c in table.primary_key.columns]
                    if cols == ["id"]:
                        dconn.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                            )
                        )
        with dst.engine.connect() as conn:
            for table in _tables():
                got = conn.execute(select(func.count()).select_from(table)).scalar()
                if got != counts[table.name]:
                    raise ValidationError(
                        f"Copy check failed: {table.name} has {got} rows in the target, "
                        f"{counts[table.name]} in the source."
                    )
        return counts
    finally:
        src.close()
        dst.close()
