"""full-text search

On SQLite: an external-content FTS5 table over the versions' title, description and text, kept
current by triggers (the layout sqlite-utils and Datasette use, so Datasette finds it). Other
dialects get their full-text index in the PostgreSQL issue; here they are left as they are.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The DDL is spelled out here, not imported, so this migration keeps doing what it did when
# archive/search.py changes later.
_SQLITE_UP = [
    """CREATE VIRTUAL TABLE versions_fts USING fts5(
        title, description, text, content='versions', content_rowid='id'
    )""",
    """CREATE TRIGGER versions_fts_ai AFTER INSERT ON versions BEGIN
        INSERT INTO versions_fts(rowid, title, description, text)
        VALUES (new.id, new.title, new.description, new.text);
    END""",
    """CREATE TRIGGER versions_fts_ad AFTER DELETE ON versions BEGIN
        INSERT INTO versions_fts(versions_fts, rowid, title, description, text)
        VALUES ('delete', old.id, old.title, old.description, old.text);
    END""",
    """CREATE TRIGGER versions_fts_au AFTER UPDATE ON versions BEGIN
        INSERT INTO versions_fts(versions_fts, rowid, title, description, text)
        VALUES ('delete', old.id, old.title, old.description, old.text);
        INSERT INTO versions_fts(rowid, title, description, text)
        VALUES (new.id, new.title, new.description, new.text);
    END""",
    "INSERT INTO versions_fts(versions_fts) VALUES ('rebuild')",
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS versions_fts_au",
    "DROP TRIGGER IF EXISTS versions_fts_ad",
    "DROP TRIGGER IF EXISTS versions_fts_ai",
    "DROP TABLE IF EXISTS versions_fts",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL: issue 5
    for statement in _SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in _SQLITE_DOWN:
        op.execute(statement)
