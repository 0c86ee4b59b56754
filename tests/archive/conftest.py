"""Fixtures for the archive tests: a fresh archive per test, and a seeder that writes pages
through the real write path (``ArchiveWriter``), exactly as a crawl does.

Base dependencies only: nothing here (or in any test of this folder) imports Scrapy.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from archive.db import Archive, open_archive
from archive.revisit import RevisitPolicy
from archive.runs import start_run
from archive.sources import SourceSpec, add_source
from archive.store import ArchiveWriter, ArticleContent, PageRecord, compress_html, content_hash

#: When the first seeded page is fetched; each further page is fetched a minute later.
T0 = datetime(2026, 11, 25, 4, 54, tzinfo=UTC)


class Seeder:
    """Writes pages for one source into an archive, through ``ArchiveWriter``.

    ``seed.article(url, title=..., text=...)`` archives one article page and returns the
    outcome (``new_article``, ``new_version``, ``unchanged``); ``seed.page(...)`` builds any
    record (a 304, an error) for ``seed.write(...)``.
    """

    def __init__(self, archive: Archive, name: str = "demo") -> None:
        self.archive = archive
        self.name = name
        with archive.session() as session:
            source = add_source(session, SourceSpec(name=name, url=f"https://{name}.example.com/"))
            run = start_run(session, source)
            self.source_id, self.run_id = source.id, run.id
        self.now = T0
        self.policy = RevisitPolicy.parse(None)

    def other_source(self, name: str) -> Seeder:
        return Seeder(self.archive, name)

    def tick(self) -> datetime:
        """The next fetch time: a minute after the previous one."""
        at, self.now = self.now, self.now + timedelta(minutes=1)
        return at

    def content(
        self,
        url: str,
        *,
        title: str | None = "Match report",
        text: str = "Arsenal beat Spurs two goals to one.",
        authors: Iterable[str] = ("Jane Doe",),
        published: str | None = None,
        modified: str | None = None,
        description: str | None = None,
        tags: Iterable[str] = (),
        links: Iterable[tuple[str, str]] = (),
        related_links: Iterable[tuple[str, str]] = (),
        canonical_url: str | None = None,
        site_name: str | None = "Demo Sport",
        language: str | None = "en",
    ) -> ArticleContent:
        authors = list(authors)
        return ArticleContent(
            canonical_url=canonical_url or url,
            title=title,
            authors=authors,
            published=published,
            modified=modified,
            description=description,
            site_name=site_name,
            language=language,
            tags=list(tags),
            text=text,
            links=list(links),
            related_links=list(related_links),
            content_hash=content_hash(
                title=title, text=text, authors=authors, published=published, modified=modified
            ),
            raw_html=compress_html(f"<html><title>{title}</title></html>".encode()),
            encoding="utf-8",
            extractor="test",
            extractor_version="1.0",
        )

    def page(
        self,
        url: str,
        content: ArticleContent | None = None,
        *,
        kind: str = "page",
        status: int | None = 200,
        fetched_at: datetime | None = None,
        **extra: object,
    ) -> PageRecord:
        return PageRecord(
            url=url,
            fetched_at=fetched_at or self.tick(),
            kind=kind,
            status=status,
            article=content,
            **extra,  # type: ignore[arg-type]
        )

    def writer(self, *, batch_size: int = 100) -> ArchiveWriter:
        return ArchiveWriter(
            self.archive,
            source_id=self.source_id,
            run_id=self.run_id,
            policy=self.policy,
            batch_size=batch_size,
        )

    def write(self, *records: PageRecord) -> list[str]:
        """Write ``records`` in one batch; returns their outcomes, in order."""
        outcomes: list[str] = []
        writer = self.writer()
        writer.on_outcome = lambda _record, outcome, _article_id: outcomes.append(outcome)
        for record in records:
            writer.add(record)
        writer.flush()
        return outcomes

    def article(
        self,
        url: str,
        *,
        fetched_at: datetime | None = None,
        final_url: str | None = None,
        **fields: object,
    ) -> str:
        """Archive one fetch of an article page; returns its outcome."""
        content = self.content(url if final_url is None else final_url, **fields)  # type: ignore[arg-type]
        [outcome] = self.write(self.page(url, content, fetched_at=fetched_at, final_url=final_url))
        return outcome


@pytest.fixture
def archive_db(fresh_db_url: str) -> Iterator[Archive]:
    """A new, empty archive (SQLite file or throw-away PostgreSQL database, see
    tests/conftest.py), schema created by Alembic."""
    archive = open_archive(fresh_db_url)
    yield archive
    archive.close()


@pytest.fixture
def seed(archive_db: Archive) -> Seeder:
    """A seeder for source ``demo`` in ``archive_db``."""
    return Seeder(archive_db)
