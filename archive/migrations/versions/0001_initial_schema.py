"""initial schema

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import archive.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduler_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False, comment="host:pid"),
        sa.Column("acquired_at", archive.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", archive.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduler_lock")),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("url", sa.Text(), nullable=False, comment="start URL (home or section page)"),
        sa.Column("feeds", sa.JSON(), nullable=False),
        sa.Column("sitemaps", sa.JSON(), nullable=False),
        sa.Column("allow", sa.JSON(), nullable=False, comment="URL regexes to follow"),
        sa.Column("deny", sa.JSON(), nullable=False, comment="URL regexes never to follow"),
        sa.Column("allowed_domains", sa.JSON(), nullable=False),
        sa.Column("article_pattern", sa.Text(), nullable=True),
        sa.Column("max_pages", sa.Integer(), nullable=True),
        sa.Column("max_depth", sa.Integer(), nullable=True),
        sa.Column("delay", sa.Float(), nullable=True),
        sa.Column(
            "revisit",
            sa.Text(),
            nullable=True,
            comment="revisit policy override, e.g. '3h:15m,1d:1h,7d:3h,30d:1d'",
        ),
        sa.Column("created_at", archive.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", archive.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("name", name=op.f("uq_sources_name")),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False, comment="canonical URL"),
        sa.Column("first_seen", archive.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_fetched", archive.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_changed", archive.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "version_count", sa.Integer(), nullable=False, comment="number of the latest version"
        ),
        sa.Column("latest_version_id", sa.Integer(), nullable=True),
        sa.Column(
            "content_hash", sa.String(length=64), nullable=True, comment="latest version's hash"
        ),
        sa.Column(
            "published_at",
            archive.types.UTCDateTime(timezone=True),
            nullable=True,
            comment="latest version's, parsed to UTC",
        ),
        sa.Column(
            "next_check",
            archive.types.UTCDateTime(timezone=True),
            nullable=True,
            comment="when a revisit is due; NULL once the article is too old to revisit",
        ),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        # fk_articles_latest_version_id_versions is added once versions exists (below)
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_articles_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articles")),
        sa.UniqueConstraint("url", name=op.f("uq_articles_url")),
    )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_articles_next_check"), ["next_check"], unique=False)
        batch_op.create_index(batch_op.f("ix_articles_source_id"), ["source_id"], unique=False)

    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("source_name", sa.String(length=100), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column(
            "status",
            sa.String(length=20),
            nullable=False,
            comment="running, ok, failed, aborted, timed_out, skipped",
        ),
        sa.Column("started_at", archive.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", archive.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("revisit", sa.String(length=10), nullable=True),
        sa.Column("pages_fetched", sa.Integer(), nullable=False),
        sa.Column("articles_new", sa.Integer(), nullable=False),
        sa.Column("versions_new", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("log_file", sa.Text(), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("flag_reason", sa.Text(), nullable=True),
        sa.Column("workers", sa.JSON(), nullable=False, comment="crawl workers that took part"),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_crawl_runs_source_id_sources"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_runs")),
    )
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crawl_runs_source_id"), ["source_id"], unique=False)

    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("cron", sa.String(length=200), nullable=True),
        sa.Column("every_seconds", sa.Float(), nullable=True),
        sa.Column("jitter", sa.Float(), nullable=True),
        sa.Column("timeout", sa.Float(), nullable=True, comment="seconds before a run is stopped"),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("created_at", archive.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", archive.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_schedules_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
        sa.UniqueConstraint("source_id", name=op.f("uq_schedules_source_id")),
    )
    op.create_table(
        "article_urls",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_urls_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_article_urls")),
    )
    with op.batch_alter_table("article_urls", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_article_urls_article_id"), ["article_id"], unique=False
        )

    op.create_table(
        "versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column(
            "version", sa.Integer(), nullable=False, comment="1, 2, 3... per article, gapless"
        ),
        sa.Column("fetched_at", archive.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "url", sa.Text(), nullable=False, comment="the URL this version was fetched from"
        ),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("published", sa.Text(), nullable=True, comment="ISO 8601 as the page states it"),
        sa.Column("modified", sa.Text(), nullable=True),
        sa.Column("published_at", archive.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("site_name", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=20), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("word_count", sa.Integer(), nullable=False),
        sa.Column("raw_html", sa.LargeBinary(), nullable=True, comment="zlib-compressed bytes"),
        sa.Column("encoding", sa.String(length=40), nullable=True),
        sa.Column("extractor", sa.String(length=60), nullable=False),
        sa.Column("extractor_version", sa.String(length=60), nullable=False),
        sa.Column("changed_fields", sa.JSON(), nullable=False),
        sa.Column("words_added", sa.Integer(), nullable=False),
        sa.Column("words_removed", sa.Integer(), nullable=False),
        sa.Column("chars_added", sa.Integer(), nullable=False),
        sa.Column("chars_removed", sa.Integer(), nullable=False),
        sa.Column(
            "trivial",
            sa.Boolean(),
            nullable=False,
            comment="only whitespace, punctuation or a date/time line changed",
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_versions_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_versions_crawl_run_id_crawl_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_versions")),
        sa.UniqueConstraint("article_id", "version", name=op.f("uq_versions_article_id_version")),
    )
    # articles and versions point at each other: on SQLite the constraint is declared with the
    # table (SQLite cannot add one later, and checks it only when rows are written).
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("articles") as batch_op:
            batch_op.create_foreign_key(
                op.f("fk_articles_latest_version_id_versions"),
                "versions",
                ["latest_version_id"],
                ["id"],
                ondelete="SET NULL",
            )
    else:
        op.create_foreign_key(
            op.f("fk_articles_latest_version_id_versions"),
            "articles",
            "versions",
            ["latest_version_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "fetches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("redirects", sa.JSON(), nullable=False),
        sa.Column("fetched_at", archive.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "status", sa.Integer(), nullable=True, comment="HTTP status; NULL when none came back"
        ),
        sa.Column(
            "outcome",
            sa.String(length=20),
            nullable=False,
            comment="new_article, new_version, unchanged, not_modified, not_article, discovery, skipped, error",
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("content_type", sa.String(length=255), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column(
            "version_id", sa.Integer(), nullable=True, comment="the version it created or matched"
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_fetches_article_id_articles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_fetches_crawl_run_id_crawl_runs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_fetches_source_id_sources"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["versions.id"],
            name=op.f("fk_fetches_version_id_versions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fetches")),
    )
    with op.batch_alter_table("fetches", schema=None) as batch_op:
        batch_op.create_index(
            "ix_fetches_article_id_fetched_at", ["article_id", "fetched_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_fetches_crawl_run_id"), ["crawl_run_id"], unique=False)

    op.create_table(
        "links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["versions.id"],
            name=op.f("fk_links_version_id_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_links")),
    )
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.create_index("ix_links_url", ["url"], unique=False)
        batch_op.create_index(batch_op.f("ix_links_version_id"), ["version_id"], unique=False)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(
            op.f("fk_articles_latest_version_id_versions"), "articles", type_="foreignkey"
        )
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_links_version_id"))
        batch_op.drop_index("ix_links_url")

    op.drop_table("links")
    with op.batch_alter_table("fetches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fetches_crawl_run_id"))
        batch_op.drop_index("ix_fetches_article_id_fetched_at")

    op.drop_table("fetches")
    op.drop_table("versions")
    with op.batch_alter_table("article_urls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_urls_article_id"))

    op.drop_table("article_urls")
    op.drop_table("schedules")
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crawl_runs_source_id"))

    op.drop_table("crawl_runs")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_articles_source_id"))
        batch_op.drop_index(batch_op.f("ix_articles_next_check"))

    op.drop_table("articles")
    op.drop_table("sources")
    op.drop_table("scheduler_lock")
