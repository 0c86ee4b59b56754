"""Writing crawl results into the archive: append-only versions, one fetch row per request.

The crawler hands over plain :class:`PageRecord` objects (no Scrapy types). :class:`ArchiveWriter`
buffers them and writes each batch in one transaction, together with the crawl run's counts, so a
crawl killed at any moment leaves a consistent archive: either a page's fetch, version and links
are all there, or none of them is (and the next run fetches the page again).

A new version is written only when the content hash (over the normalised title, text, authors and
dates) differs from the article's latest version; otherwise the fetch row points at the version it
matched.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
import unicodedata
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from archive.changes import COMPARED_FIELDS, ChangeStats, compare_versions
from archive.db import Archive, describe_db_error
from archive.errors import DatabaseUnavailableError
from archive.models import Article, ArticleURL, CrawlRun, Fetch, Link, Version
from archive.revisit import RevisitPolicy
from archive.urls import normalize_url

__all__ = [
    "OUTCOMES",
    "ArchiveWriter",
    "ArticleContent",
    "PageRecord",
    "RunCounts",
    "compress_html",
    "content_hash",
    "decompress_html",
    "parse_iso_datetime",
]

log = logging.getLogger(__name__)

#: Every value of ``fetches.outcome``.
OUTCOMES = (
    "new_article",  # the first version of an article
    "new_version",  # a changed article: version n+1
    "unchanged",  # refetched, same content hash as the latest version
    "not_modified",  # 304 to a conditional request
    "not_article",  # a page that is not an article (section, tag or home page)
    "discovery",  # a feed, sitemap or robots.txt
    "skipped",  # not archived: robots.txt disallow, not HTML, too large, off-site redirect
    "error",  # HTTP 4xx/5xx, timeout, connection error, redirect loop
)


def _norm(value: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", value or "").split())


def content_hash(
    *,
    title: str | None,
    text: str,
    authors: Iterable[str],
    published: str | None,
    modified: str | None,
) -> str:
    """SHA-256 over the normalised content: runs of whitespace collapse, empty lines drop, so
    re-wrapped markup alone never makes a new version."""
    lines = [_norm(line) for line in (text or "").splitlines()]
    payload = json.dumps(
        [
            _norm(title),
            "\n".join(line for line in lines if line),
            sorted(_norm(a) for a in authors),
            _norm(published),
            _norm(modified),
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def compress_html(body: bytes) -> bytes:
    return zlib.compress(body, 6)


def decompress_html(blob: bytes) -> bytes:
    return zlib.decompress(blob)


def parse_iso_datetime(value: str | None) -> datetime | None:
    """Parse an ISO 8601 date or datetime into UTC (a date alone is taken as midnight UTC)."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(text[:10])
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


@dataclass(slots=True)
class ArticleContent:
    """The extracted content of an article page, ready to archive."""

    canonical_url: str
    title: str | None
    authors: list[str]
    published: str | None
    modified: str | None
    description: str | None
    site_name: str | None
    language: str | None
    tags: list[str]
    text: str
    links: list[tuple[str, str]]
    related_links: list[tuple[str, str]]
    content_hash: str
    raw_html: bytes | None  # compressed with compress_html
    encoding: str | None
    extractor: str
    extractor_version: str


@dataclass(slots=True)
class PageRecord:
    """One request of a crawl, as the archive records it.

    ``kind`` says what the crawler made of it: ``page`` (an HTML page; ``article`` is set when it
    is an article), ``not_modified`` (a 304), ``discovery`` (feed/sitemap/robots.txt),
    ``skipped`` or ``error``. ``article_id`` is set on revisits of a known article.
    """

    url: str
    fetched_at: datetime
    kind: str
    status: int | None = None
    final_url: str | None = None
    redirects: list[str] = field(default_factory=list)
    error: str | None = None
    content_type: str | None = None
    size: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    article_id: int | None = None
    article: ArticleContent | None = None


@dataclass(slots=True)
class RunCounts:
    pages_fetched: int = 0
    articles_new: int = 0
    versions_new: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: int = 0

    def add_outcome(self, outcome: str, status: int | None, *, article: bool = True) -> None:
        """Count one fetch; a 304 of a listing page (``article`` false) counts as skipped."""
        if outcome == "not_modified" and not article:
            outcome = "skipped"
        if status is not None:
            self.pages_fetched += 1
        if outcome == "new_article":
            self.articles_new += 1
        elif outcome == "new_version":
            self.versions_new += 1
        elif outcome in ("unchanged", "not_modified"):
            self.unchanged += 1
        elif outcome in ("not_article", "skipped"):
            self.skipped += 1
        elif outcome == "error":
            self.errors += 1

    def merge(self, other: RunCounts) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}


class ArchiveWriter:
    """Buffers page records and writes them in batches, one transaction per batch.

    Args:
        archive: the open archive.
        source_id: the source being crawled.
        run_id: the crawl run the fetches belong to.
        policy: the revisit policy that sets each article's next check.
        batch_size: records per transaction.
        on_outcome: called with (record, outcome) after each batch commits.
        retry_seconds: how long to keep retrying a batch while the database is unreachable.
    """

    def __init__(
        self,
        archive: Archive,
        *,
        source_id: int,
        run_id: int | None,
        policy: RevisitPolicy,
        batch_size: int = 100,
        on_outcome: Callable[[PageRecord, str, int | None], None] | None = None,
        retry_seconds: float = 60.0,
    ) -> None:
        self.retry_seconds = retry_seconds
        self.archive = archive
        self.source_id = source_id
        self.run_id = run_id
        self.policy = policy
        self.batch_size = batch_size
        self.on_outcome = on_outcome
        self.buffer: list[PageRecord] = []
        self.counts = RunCounts()

    def add(self, record: PageRecord) -> None:
        self.buffer.append(record)
        if len(self.buffer) >= self.batch_size:
            self.flush()

    def flush(self) -> RunCounts:
        """Write the buffered records in one transaction; returns the counts of this batch.

        Two kinds of failure are retried with the whole batch, so that a batch is written
        entirely or not at all:

        - a unique-constraint violation: another crawl process wrote the same article or version
          number first; the retry sees its row and records an unchanged fetch or the next number;
        - a lost or refused connection: retried with back-off for ``retry_seconds``, then
          :class:`DatabaseUnavailableError` (the records stay in the buffer).
        """
        if not self.buffer:
            return RunCounts()
        batch, self.buffer = self.buffer, []
        deadline = time.monotonic() + self.retry_seconds
        conflicts, pause = 0, 0.5
        while True:
            try:
                batch_counts, results = self._write_batch(batch)
                break
            except IntegrityError:
                conflicts += 1
                if conflicts > 10:
                    self.buffer = batch + self.buffer
                    raise
                log.info("write conflict with another crawl; retrying the batch (%d)", conflicts)
                time.sleep(random.uniform(0, 0.05 * conflicts))
            except (OperationalError, InterfaceError) as exc:
                if time.monotonic() + pause > deadline:
                    self.buffer = batch + self.buffer
                    raise DatabaseUnavailableError(
                        f"{describe_db_error(exc, self.archive.url)} Gave up after "
                        f"{self.retry_seconds:g}s of retries. Nothing half-written was left: "
                        "the next crawl fetches the unwritten pages again."
                    ) from exc
                log.warning("database error, retrying in %.1fs: %s", pause, exc.orig or exc)
                time.sleep(pause)
                pause = min(pause * 2, 10.0)
        self.counts.merge(batch_counts)
        if self.on_outcome is not None:
            for record, outcome, article_id in results:
                self.on_outcome(record, outcome, article_id)
        return batch_counts

    def _write_batch(
        self, batch: list[PageRecord]
    ) -> tuple[RunCounts, list[tuple[PageRecord, str, int | None]]]:
        batch_counts = RunCounts()
        results: list[tuple[PageRecord, str, int | None]] = []
        self._aliases: dict[str, int] = {}  # URL -> article id, written in this transaction
        with self.archive.write_session() as session:
            for record in batch:
                outcome, article_id = self._write(session, record)
                batch_counts.add_outcome(outcome, record.status, article=article_id is not None)
                results.append((record, outcome, article_id))
            increments = {
                getattr(CrawlRun, name): getattr(CrawlRun, name) + value
                for name, value in batch_counts.as_dict().items()
                if value
            }
            if self.run_id is not None and increments:
                session.execute(
                    update(CrawlRun).where(CrawlRun.id == self.run_id).values(increments)
                )
        return batch_counts, results

    # -- one record ------------------------------------------------------------------------------

    def _fetch(self, session: Session, record: PageRecord, outcome: str, **extra: object) -> Fetch:
        fetch = Fetch(
            crawl_run_id=self.run_id,
            source_id=self.source_id,
            url=record.url,
            final_url=record.final_url,
            redirects=record.redirects,
            fetched_at=record.fetched_at,
            status=record.status,
            outcome=outcome,
            error=record.error,
            content_type=record.content_type,
            size=record.size,
            etag=record.etag,
            last_modified=record.last_modified,
            **extra,
        )
        session.add(fetch)
        return fetch

    def _schedule(self, article: Article, fetched_at: datetime) -> None:
        article.last_fetched = fetched_at
        article.next_check = self.policy.next_check(
            fetched_at=fetched_at, published=article.published_at, first_seen=article.first_seen
        )

    def _write(self, session: Session, record: PageRecord) -> tuple[str, int | None]:
        if record.kind == "page" and record.article is not None:
            return self._write_article(session, record, record.article)
        outcome = {"page": "not_article"}.get(record.kind, record.kind)
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown page record kind {record.kind!r}")
        article = session.get(Article, record.article_id) if record.article_id else None
        version_id = None
        if article is not None:
            self._schedule(article, record.fetched_at)
            if outcome == "not_modified":
                version_id = article.latest_version_id
        self._fetch(
            session,
            record,
            outcome,
            article_id=article.id if article else None,
            version_id=version_id,
        )
        return outcome, article.id if article else None

    @staticmethod
    def _keys(record: PageRecord, canonical: str) -> list[str]:
        """The URLs an article page is known by: its canonical URL first, then the normalised
        final and requested URLs."""
        keys = [canonical]
        for url in (record.final_url, record.url):
            if url:
                try:
                    key = normalize_url(url)
                except ValueError:
                    continue
                if key not in keys:
                    keys.append(key)
        return keys

    def _find_article(
        self, session: Session, record: PageRecord, keys: list[str]
    ) -> tuple[Article | None, dict[str, int]]:
        """The article ``keys`` point to (canonical URL first), and which keys are known.

        One query for all the keys, without autoflush (the batch's own aliases are remembered
        in ``self._aliases``): this runs for every page a crawl stores.
        """
        found = {k: self._aliases[k] for k in keys if k in self._aliases}
        missing = [k for k in keys if k not in found]
        with session.no_autoflush:
            if missing:
                rows = session.execute(
                    select(ArticleURL.url, ArticleURL.article_id).where(ArticleURL.url.in_(missing))
                )
                found.update((url, article_id) for url, article_id in rows)
            article_id = next((found[k] for k in keys if k in found), None) or record.article_id
            if article_id is None:  # an article row without its alias would break the insert
                article_id = session.scalar(select(Article.id).where(Article.url == keys[0]))
            return (session.get(Article, article_id) if article_id else None), found

    def _add_aliases(
        self, session: Session, article: Article, keys: list[str], found: dict[str, int]
    ) -> None:
        for key in keys:
            if key not in found:
                session.add(ArticleURL(url=key, article_id=article.id))
            self._aliases[key] = found.get(key, article.id)

    def _changes(self, session: Session, article: Article, content: ArticleContent) -> ChangeStats:
        """What changed from the article's latest version to ``content``."""
        columns = [getattr(Version, name) for name in COMPARED_FIELDS]
        previous = session.execute(
            select(*columns).where(Version.id == article.latest_version_id)
        ).first()
        new = {name: getattr(content, name) for name in COMPARED_FIELDS}
        if previous is None:  # cannot happen in an archive this writer wrote; be safe
            return ChangeStats(changed_fields=list(COMPARED_FIELDS))
        return compare_versions(previous._asdict(), new)

    def _write_article(
        self, session: Session, record: PageRecord, content: ArticleContent
    ) -> tuple[str, int | None]:
        keys = self._keys(record, content.canonical_url)
        article, found = self._find_article(session, record, keys)
        published_at = parse_iso_datetime(content.published)
        if article is None:
            article = Article(
                source_id=self.source_id,
                url=content.canonical_url,
                first_seen=record.fetched_at,
                version_count=0,
            )
            session.add(article)
            session.flush()
            outcome = "new_article"
        elif article.content_hash == content.content_hash:
            outcome = "unchanged"
        else:
            outcome = "new_version"
        article.etag = record.etag
        article.last_modified = record.last_modified
        article.published_at = published_at
        self._add_aliases(session, article, keys, found)
        if outcome == "unchanged":
            self._schedule(article, record.fetched_at)
            self._fetch(
                session,
                record,
                outcome,
                article_id=article.id,
                version_id=article.latest_version_id,
            )
            return outcome, article.id
        stats = self._changes(session, article, content) if outcome == "new_version" else None
        version = Version(
            article_id=article.id,
            version=article.version_count + 1,
            fetched_at=record.fetched_at,
            crawl_run_id=self.run_id,
            content_hash=content.content_hash,
            url=record.final_url or record.url,
            title=content.title,
            authors=content.authors,
            published=content.published,
            modified=content.modified,
            published_at=published_at,
            description=content.description,
            site_name=content.site_name,
            language=content.language,
            tags=content.tags,
            text=content.text,
            word_count=len(content.text.split()),
            raw_html=content.raw_html,
            encoding=content.encoding,
            extractor=content.extractor,
            extractor_version=content.extractor_version,
            **(stats.as_dict() if stats is not None else {}),
        )
        session.add(version)
        session.flush()
        rows = [
            {"version_id": version.id, "kind": kind, "position": i, "url": url, "text": text}
            for kind, links in (("body", content.links), ("related", content.related_links))
            for i, (url, text) in enumerate(links)
        ]
        if rows:
            session.execute(insert(Link), rows)
        article.version_count = version.version
        article.latest_version_id = version.id
        article.content_hash = content.content_hash
        article.last_changed = record.fetched_at
        self._schedule(article, record.fetched_at)
        self._fetch(session, record, outcome, article_id=article.id, version_id=version.id)
        return outcome, article.id
