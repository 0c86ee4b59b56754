"""full-text search

On SQLite: an external-content FTS5 table over the versions' title, description and text, kept
current by triggers (the layout sqlite-utils and Datasette use, so Datasette finds it). On
PostgreSQL: a generated tsvector column with a GIN index.

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


# PostgreSQL: a generated tsvector column (the 'simple' configuration: no stemming and no stop
# words, like FTS5's default tokenizer) with weights title A, description B, text D, and a GIN
# index. Both sit outside the models (see archive/migrations/env_filters.py).
_POSTGRES_UP = [
    """ALTER TABLE versions ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(description, '')), 'B') ||
        setweight(to_tsvector('simple', coalesce(text, '')), 'D')
    ) STORED""",
    "CREATE INDEX ix_versions_search_vector ON versions USING GIN (search_vector)",
]
_POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_versions_search_vector",
    "ALTER TABLE versions DROP COLUMN IF EXISTS search_vector",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": _SQLITE_UP, "postgresql": _POSTGRES_UP}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": _SQLITE_DOWN, "postgresql": _POSTGRES_DOWN}.get(dialect, []):
        op.execute(statement)
