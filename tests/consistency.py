"""Invariants a pressbox archive keeps whatever happens to the crawls that write it."""

from __future__ import annotations

from sqlalchemy import create_engine, text


def check_consistent(db_url: str) -> None:
    """Fail unless the archive at ``db_url`` is consistent.

    - SQLite: ``integrity_check`` and ``foreign_key_check`` are clean;
    - each article's versions are numbered 1..n without gaps, and ``version_count`` is n;
    - no article is without a version, and no URL is archived twice.
    """
    engine = create_engine(db_url)
    try:
        with engine.connect() as con:
            if engine.dialect.name == "sqlite":
                assert con.execute(text("PRAGMA integrity_check")).scalar() == "ok"
                assert con.execute(text("PRAGMA foreign_key_check")).fetchall() == []
            bad = con.execute(
                text(
                    """SELECT a.id FROM articles a JOIN versions v ON v.article_id = a.id
                       GROUP BY a.id, a.version_count
                       HAVING COUNT(*) != MAX(v.version) OR MAX(v.version) != a.version_count
                           OR MIN(v.version) != 1"""
                )
            ).fetchall()
            assert bad == [], f"articles with gaps or a wrong version_count: {bad}"
            orphans = con.execute(
                text(
                    "SELECT COUNT(*) FROM articles a WHERE NOT EXISTS "
                    "(SELECT 1 FROM versions v WHERE v.article_id = a.id)"
                )
            ).scalar()
            assert orphans == 0, f"{orphans} articles without a version"
            dupes = con.execute(
                text("SELECT url FROM articles GROUP BY url HAVING COUNT(*) > 1")
            ).fetchall()
            assert dupes == [], f"articles archived twice: {dupes}"
    finally:
        engine.dispose()
