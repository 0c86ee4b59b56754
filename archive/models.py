"""The archive's tables, as typed SQLAlchemy 2.0 models.

- ``sources``: what operators crawl (one row per news source).
- ``articles``: one row per article, keyed by its canonical URL; ``article_urls`` maps every other
  URL it was reached at to it.
- ``versions``: append-only snapshots of an article's extracted content; a new row only when the
  content hash changes. ``links`` holds each version's in-body and related-article links.
- ``fetches``: one row per request, including unchanged pages, redirects and errors.
- ``crawl_runs``: one row per crawl run, with its counts.

Plain tables with readable names, so the SQLite file opens well in Datasette.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from archive.types import UTCDateTime, utcnow

__all__ = [
    "Article",
    "ArticleURL",
    "Base",
    "CrawlRun",
    "Fetch",
    "Link",
    "Schedule",
    "SchedulerLock",
    "Source",
    "Version",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class Source(Base):
    """A news source: where to start, how to discover articles, and what to stay inside."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    url: Mapped[str] = mapped_column(Text, comment="start URL (home or section page)")
    feeds: Mapped[list[str]] = mapped_column(default=list)
    sitemaps: Mapped[list[str]] = mapped_column(default=list)
    allow: Mapped[list[str]] = mapped_column(default=list, comment="URL regexes to follow")
    deny: Mapped[list[str]] = mapped_column(default=list, comment="URL regexes never to follow")
    allowed_domains: Mapped[list[str]] = mapped_column(default=list)
    article_pattern: Mapped[str | None] = mapped_column(Text)
    max_pages: Mapped[int | None] = mapped_column(Integer)
    max_depth: Mapped[int | None] = mapped_column(Integer)
    delay: Mapped[float | None] = mapped_column(Float)
    revisit: Mapped[str | None] = mapped_column(
        Text, comment="revisit policy override, e.g. '3h:15m,1d:1h,7d:3h,30d:1d'"
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Article(Base):
    """One article, whatever URLs it was reached at; its content lives in ``versions``."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text, unique=True, comment="canonical URL")
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_fetched: Mapped[datetime | None]
    last_changed: Mapped[datetime | None]
    version_count: Mapped[int] = mapped_column(default=0, comment="number of the latest version")
    latest_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("versions.id", ondelete="SET NULL", use_alter=True)
    )
    content_hash: Mapped[str | None] = mapped_column(String(64), comment="latest version's hash")
    published_at: Mapped[datetime | None] = mapped_column(comment="latest version's, parsed to UTC")
    next_check: Mapped[datetime | None] = mapped_column(
        index=True, comment="when a revisit is due; NULL once the article is too old to revisit"
    )
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)

    versions: Mapped[list[Version]] = relationship(
        back_populates="article",
        order_by="Version.version",
        lazy="raise_on_sql",
        foreign_keys="Version.article_id",
    )


class ArticleURL(Base):
    """Every normalised URL an article was fetched at (its canonical URL included)."""

    __tablename__ = "article_urls"

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )


class Version(Base):
    """An immutable snapshot of an article's extracted content. Never updated, only appended."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(comment="1, 2, 3... per article, gapless")
    fetched_at: Mapped[datetime]
    crawl_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL")
    )
    content_hash: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text, comment="the URL this version was fetched from")
    title: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(default=list)
    published: Mapped[str | None] = mapped_column(Text, comment="ISO 8601 as the page states it")
    modified: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    description: Mapped[str | None] = mapped_column(Text)
    site_name: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(20))
    tags: Mapped[list[str]] = mapped_column(default=list)
    text: Mapped[str] = mapped_column(Text, default="")
    word_count: Mapped[int] = mapped_column(default=0)
    raw_html: Mapped[bytes | None] = mapped_column(LargeBinary, comment="zlib-compressed bytes")
    encoding: Mapped[str | None] = mapped_column(String(40))
    extractor: Mapped[str] = mapped_column(String(60))
    extractor_version: Mapped[str] = mapped_column(String(60))
    # What changed from the previous version (all zero / empty for version 1).
    changed_fields: Mapped[list[str]] = mapped_column(default=list)
    words_added: Mapped[int] = mapped_column(default=0)
    words_removed: Mapped[int] = mapped_column(default=0)
    chars_added: Mapped[int] = mapped_column(default=0)
    chars_removed: Mapped[int] = mapped_column(default=0)
    trivial: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="only whitespace, punctuation or a date/time line changed"
    )

    article: Mapped[Article] = relationship(
        back_populates="versions", lazy="raise_on_sql", foreign_keys=[article_id]
    )


class Link(Base):
    """A link found in a version: ``kind`` is ``body`` (in the main text) or ``related``."""

    __tablename__ = "links"
    __table_args__ = (Index("ix_links_url", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("versions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    position: Mapped[int]
    url: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, default="")


class CrawlRun(Base):
    """One crawl run of a source, with its counts (kept current while it runs)."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("sources.id", ondelete="SET NULL"), index=True
    )
    source_name: Mapped[str] = mapped_column(String(100))
    trigger: Mapped[str] = mapped_column(String(20), default="manual")
    status: Mapped[str] = mapped_column(
        String(20), default="running", comment="running, ok, failed, aborted, timed_out, skipped"
    )
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None]
    revisit: Mapped[str | None] = mapped_column(String(10))
    pages_fetched: Mapped[int] = mapped_column(default=0)
    articles_new: Mapped[int] = mapped_column(default=0)
    versions_new: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(Text)
    log_file: Mapped[str | None] = mapped_column(Text)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_reason: Mapped[str | None] = mapped_column(Text)
    workers: Mapped[list[str]] = mapped_column(default=list, comment="crawl workers that took part")


class Fetch(Base):
    """One request of a crawl: the page, a feed or sitemap, a redirect chain, or an error."""

    __tablename__ = "fetches"
    __table_args__ = (Index("ix_fetches_article_id_fetched_at", "article_id", "fetched_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    crawl_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True
    )
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    redirects: Mapped[list[str]] = mapped_column(default=list)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[int | None] = mapped_column(comment="HTTP status; NULL when none came back")
    outcome: Mapped[str] = mapped_column(
        String(20),
        comment="new_article, new_version, unchanged, not_modified, not_article, discovery, "
        "skipped, error",
    )
    error: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int | None]
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("versions.id", ondelete="SET NULL"), comment="the version it created or matched"
    )


class Schedule(Base):
    """When a source is crawled: a cron expression or an interval (the operator's record; the
    scheduler mirrors it into APScheduler's job store)."""

    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), unique=True
    )
    cron: Mapped[str | None] = mapped_column(String(200))
    every_seconds: Mapped[float | None] = mapped_column(Float)
    jitter: Mapped[float | None] = mapped_column(Float)
    timeout: Mapped[float | None] = mapped_column(Float, comment="seconds before a run is stopped")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SchedulerLock(Base):
    """At most one scheduler drives a database: the holder refreshes ``expires_at``."""

    __tablename__ = "scheduler_lock"

    id: Mapped[int] = mapped_column(primary_key=True)
    holder: Mapped[str] = mapped_column(String(255), comment="host:pid")
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
