"""The ``news`` spider: one crawl run of one source from the archive.

    scrapy crawl news -a source=NAME [-a db=URL] [-a max_pages=N] [-a revisit=due|all|none]

A run first revisits the source's known articles that are due (conditional requests with the
stored ETag / Last-Modified), then discovers pages through the source's feeds, its sitemaps (and
those listed in robots.txt), and by following links from the start URL inside the source's
allowed domains and patterns. Known articles found again are fetched only when due, or when a
feed or sitemap dates them after their last fetch. Every request ends as a
:class:`archive.store.PageRecord` item, which the archive pipeline writes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from typing import Any, ClassVar

import scrapy
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    UsageError,
)
from scrapy.http import Response
from sqlalchemy import select
from twisted.python.failure import Failure

from archive.db import Archive, open_archive
from archive.models import Article, ArticleURL, CrawlRun, Fetch, Source
from archive.revisit import RevisitPolicy
from archive.runs import abort_dead_runs, finish_run, get_run, start_run
from archive.sources import get_source
from archive.store import PageRecord
from archive.types import utcnow
from archive.urls import host_of, normalize_url
from crawler.discovery import parse_feed, parse_sitemap, sitemaps_from_robots
from crawler.processing import ExtractionPool

__all__ = ["NewsSpider"]

log = logging.getLogger(__name__)

REVISIT_MODES = ("due", "all", "none")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# Priorities: discovery documents first (they date articles), revisits, then new pages.
PRIO_DISCOVERY, PRIO_REVISIT, PRIO_LISTED, PRIO_LINK = 30, 20, 10, 0


class _Known:
    """A known article: enough to decide whether to fetch it again."""

    __slots__ = ("etag", "id", "last_fetched", "last_modified", "next_check", "url")

    def __init__(self, row: Any) -> None:
        self.id: int = row.id
        self.url: str = row.url
        self.next_check: datetime | None = row.next_check
        self.last_fetched: datetime | None = row.last_fetched
        self.etag: str | None = row.etag
        self.last_modified: str | None = row.last_modified


class NewsSpider(scrapy.Spider):
    name = "news"
    # Let errors and 304s reach the callbacks, so that each becomes a fetch row.
    handle_httpstatus_list: ClassVar[list[int]] = [304, *range(400, 600)]

    archive: Archive

    def __init__(
        self,
        source: str | None = None,
        db: str | None = None,
        run_id: str | int | None = None,
        max_pages: str | int | None = None,
        revisit: str = "due",
        trigger: str = "manual",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not source:
            raise UsageError("Name the source to crawl: scrapy crawl news -a source=NAME")
        if revisit not in REVISIT_MODES:
            raise UsageError(
                f"Bad revisit mode {revisit!r}: use one of {', '.join(REVISIT_MODES)}."
            )
        self.source_name = source
        self.db = db
        self.run_id_arg = int(run_id) if run_id not in (None, "") else None
        self.max_pages_arg = int(max_pages) if max_pages not in (None, "") else None
        self.revisit_mode = revisit
        self.trigger = trigger
        self.seen: set[str] = set()  # normalised URLs requested (or decided against)
        self.seen_raw: set[str] = set()  # the same, as found: skips normalising repeats
        self.budget_hit = False
        self.requested_articles: set[int] = set()
        self.seen_sitemaps: set[str] = set()
        self.scheduled = 0

    # -- set-up and tear-down --------------------------------------------------------------------

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider: NewsSpider = super().from_crawler(crawler, *args, **kwargs)
        spider._setup(crawler)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    def _setup(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.archive = open_archive(self.db or settings.get("PRESSBOX_DB") or None)
        with self.archive.write_session() as session:
            source = get_source(session, self.source_name)
            self._load_source(source)
            abort_dead_runs(session, source_id=source.id)
            if self.run_id_arg is None:
                self.run_id = start_run(
                    session, source, trigger=self.trigger, revisit=self.revisit_mode
                ).id
            else:
                self.run_id = get_run(session, self.run_id_arg).id
            self._load_known(session)
        if self.delay is not None:
            crawler.settings.set("DOWNLOAD_DELAY", self.delay, priority="spider")
        self._pool: ExtractionPool | None = None
        self._pool_size = settings.getint("PRESSBOX_EXTRACT_WORKERS")
        self._pool_queue = settings.getint("PRESSBOX_EXTRACT_QUEUE")

    @property
    def pool(self) -> ExtractionPool:
        """The extraction pool, started on first use (a recrawl of an unchanged site, all 304s,
        never needs it)."""
        if self._pool is None:
            self._pool = ExtractionPool(self._pool_size, self._pool_queue)
        return self._pool

    def _load_source(self, source: Source) -> None:
        self.source_id = source.id
        self.start_url = source.url
        self.feeds = list(source.feeds)
        self.sitemaps = list(source.sitemaps)
        self.domains = [d.lower() for d in source.allowed_domains] or [host_of(source.url)]
        self.allow = [re.compile(p) for p in source.allow]
        self.deny = [re.compile(p) for p in source.deny]
        self.article_pattern = source.article_pattern
        self.max_pages = self.max_pages_arg if self.max_pages_arg is not None else source.max_pages
        self.max_depth = source.max_depth
        self.delay = source.delay
        self.policy = RevisitPolicy.parse(source.revisit)

    def _load_known(self, session: Any) -> None:
        rows = session.execute(
            select(
                Article.id,
                Article.url,
                Article.next_check,
                Article.last_fetched,
                Article.etag,
                Article.last_modified,
            ).where(Article.source_id == self.source_id)
        )
        self.articles: dict[int, _Known] = {row.id: _Known(row) for row in rows}
        aliases = session.execute(
            select(ArticleURL.url, ArticleURL.article_id)
            .join(Article, Article.id == ArticleURL.article_id)
            .where(Article.source_id == self.source_id)
        )
        self.known_urls: dict[str, int] = {row.url: row.article_id for row in aliases}
        for known in self.articles.values():
            self.known_urls.setdefault(known.url, known.id)
        # Validators of listing pages (home, sections, tags) from the last complete runs: an
        # unchanged listing answers 304 and links nothing new. Only runs that finished without
        # hitting the page budget count, so a killed or cut-short crawl is completed next time.
        complete_runs = (
            select(CrawlRun.id)
            .where(
                CrawlRun.source_id == self.source_id,
                CrawlRun.status == "ok",
                CrawlRun.message.is_(None),
            )
            .order_by(CrawlRun.id.desc())
            .limit(3)
        )
        listing_rows = session.execute(
            select(Fetch.url, Fetch.etag, Fetch.last_modified)
            .where(
                Fetch.crawl_run_id.in_(complete_runs.scalar_subquery()),
                Fetch.article_id.is_(None),
                Fetch.outcome.in_(("not_article", "not_modified")),
            )
            .order_by(Fetch.id)
        )
        self.listing_validators: dict[str, tuple[str | None, str | None]] = {
            row.url: (row.etag, row.last_modified)
            for row in listing_rows
            if row.etag or row.last_modified
        }

    def _closed(self, spider: scrapy.Spider, reason: str) -> None:
        status = {"finished": "ok", "shutdown": "aborted"}.get(reason, "failed")
        message = None if reason == "finished" else f"closed: {reason}"
        if self.budget_hit and status == "ok":
            message = f"stopped at the page budget ({self.max_pages} pages)"
        try:
            with self.archive.write_session() as session:
                finish_run(session, self.run_id, status, message=message)
        finally:
            if self._pool is not None:
                self._pool.close()
            self.archive.close()

    # -- requests --------------------------------------------------------------------------------

    def _allowed(self, url: str) -> bool:
        host = host_of(url)
        if not any(host == d or host.endswith("." + d) for d in self.domains):
            return False
        if any(p.search(url) for p in self.deny):
            return False
        return not self.allow or any(p.search(url) for p in self.allow)

    def _budget_left(self) -> bool:
        if self.max_pages is None or self.scheduled < self.max_pages:
            return True
        self.budget_hit = True
        return False

    def _page_request(
        self, url: str, depth: int, priority: int, known: _Known | None = None
    ) -> Request:
        headers: dict[str, str] = {}
        etag, last_modified = self.listing_validators.get(url, (None, None))
        if known is not None:
            self.requested_articles.add(known.id)
            etag, last_modified = known.etag, known.last_modified
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        self.scheduled += 1
        return Request(
            url,
            callback=self.parse_page,
            errback=self.on_error,
            cb_kwargs={"depth": depth, "article_id": known.id if known else None},
            headers=headers,
            priority=priority,
            dont_filter=True,  # we deduplicate before making requests (cheaper, and a redirect
            # loop then ends in an error we can record instead of a silent drop)
        )

    def _discovered(
        self, url: str, depth: int, date: datetime | None, priority: int
    ) -> Request | None:
        """A request for a URL found in a page, feed or sitemap, or None when not to fetch it."""
        if url in self.seen_raw:
            return None
        self.seen_raw.add(url)
        try:
            key = normalize_url(url)
        except ValueError:
            return None
        if key in self.seen:
            return None
        self.seen.add(key)
        if not self._allowed(key) or not self._claim_url(key) or not self._budget_left():
            return None
        article_id = self.known_urls.get(key)
        if article_id is None:
            return self._page_request(url, depth, priority)
        known = self.articles.get(article_id)
        if known is None or self.revisit_mode == "none":
            return None
        dated_after_fetch = date is not None and (
            known.last_fetched is None or date > known.last_fetched
        )
        due = known.next_check is not None and known.next_check <= utcnow()
        if not (dated_after_fetch or (self.revisit_mode == "due" and due)):
            return None
        if not self._claim_article(known):
            return None
        return self._page_request(known.url, 1, PRIO_REVISIT, known)

    def _claim_url(self, key: str) -> bool:
        """Whether this crawl takes the (new, normalised) URL ``key``: a hook for crawls that
        share their work with other processes (crawler.distributed)."""
        return True

    def _claim_article(self, known: _Known) -> bool:
        """Whether this crawl refetches the known article (not twice in one run)."""
        return known.id not in self.requested_articles

    def _discovery_request(self, url: str, callback: Any) -> Request:
        return Request(
            url,
            callback=callback,
            errback=self.on_error,
            priority=PRIO_DISCOVERY,
            dont_filter=True,
            cb_kwargs={"depth": 0, "article_id": None},
        )

    async def start(self) -> AsyncIterator[Any]:
        for request in self._revisit_requests():
            yield request
        for feed in self.feeds:
            yield self._discovery_request(feed, self.parse_feed)
        for sitemap in self.sitemaps:
            self.seen_sitemaps.add(sitemap)
            yield self._discovery_request(sitemap, self.parse_sitemap)
        robots = f"{self.start_url.split('/', 3)[0]}//{self.start_url.split('/', 3)[2]}/robots.txt"
        yield self._discovery_request(robots, self.parse_robots)
        self.seen.add(normalize_url(self.start_url))
        yield self._page_request(self.start_url, 0, PRIO_LINK)

    def _revisit_requests(self) -> Iterator[Request]:
        if self.revisit_mode == "none":
            return
        now = utcnow()
        due = [
            k
            for k in self.articles.values()
            if self.revisit_mode == "all" or (k.next_check is not None and k.next_check <= now)
        ]
        due.sort(key=lambda k: k.next_check or now)
        for known in due:
            if not self._budget_left():
                break
            self.seen.add(known.url)
            yield self._page_request(known.url, 1, PRIO_REVISIT, known)

    # -- responses -------------------------------------------------------------------------------

    def _record(self, response: Response, kind: str, article_id: int | None) -> PageRecord:
        redirects = list(response.meta.get("redirect_urls", []))
        ctype = response.headers.get("Content-Type")
        etag = response.headers.get("ETag")
        last_modified = response.headers.get("Last-Modified")
        return PageRecord(
            url=redirects[0] if redirects else response.url,
            final_url=response.url,
            redirects=redirects,
            fetched_at=utcnow(),
            kind=kind,
            status=response.status,
            content_type=ctype.decode("latin-1") if ctype else None,
            size=len(response.body),
            etag=etag.decode("latin-1") if etag else None,
            last_modified=last_modified.decode("latin-1") if last_modified else None,
            article_id=article_id,
        )

    def _http_error(self, response: Response, article_id: int | None) -> PageRecord | None:
        if response.status == 304:
            record = self._record(response, "not_modified", article_id)
            sent = response.request.headers if response.request is not None else {}
            if record.etag is None and sent.get("If-None-Match"):
                record.etag = sent["If-None-Match"].decode("latin-1")
            if record.last_modified is None and sent.get("If-Modified-Since"):
                record.last_modified = sent["If-Modified-Since"].decode("latin-1")
            return record
        if response.status >= 400:
            record = self._record(response, "error", article_id)
            record.error = f"HTTP {response.status}"
            return record
        return None

    async def parse_page(
        self, response: Response, depth: int, article_id: int | None
    ) -> AsyncIterator[Any]:
        failed = self._http_error(response, article_id)
        if failed is not None:
            yield failed
            return
        record = self._record(response, "page", article_id)
        if response.url != record.url and not self._allowed_host(response.url):
            record.kind, record.error = "skipped", f"redirected off-site to {response.url}"
            yield record
            return
        ctype = (record.content_type or "").split(";")[0].strip().lower()
        if not _is_html(ctype, response.body):
            record.kind = "skipped"
            record.error = f"not an HTML page (Content-Type: {ctype or 'none'})"
            yield record
            return
        try:
            analysis = await self.pool.analyse(
                response.body, response.url, record.content_type, self.article_pattern
            )
        except Exception as exc:  # a crashed worker or an extractor bug: record it, go on
            if isinstance(exc, BrokenProcessPool) and self._pool is not None:
                self._pool.close()
                self._pool = None  # the next page starts a fresh pool
            log.exception("extraction failed for %s", response.url)
            record.kind, record.error = "error", f"extraction failed: {type(exc).__name__}: {exc}"
            yield record
            return
        record.article = analysis.article
        record.error = analysis.error
        yield record
        if self.max_depth is not None and depth >= self.max_depth:
            return
        for url in analysis.links:
            request = self._discovered(url, depth + 1, None, PRIO_LINK - depth)
            if request is not None:
                yield request

    def _allowed_host(self, url: str) -> bool:
        host = host_of(url)
        return any(host == d or host.endswith("." + d) for d in self.domains)

    def parse_feed(self, response: Response, depth: int, article_id: None) -> Iterator[Any]:
        failed = self._http_error(response, None)
        if failed is not None:
            yield failed
            return
        entries = parse_feed(response.body, response.url)
        record = self._record(response, "discovery", None)
        if not entries:
            record.error = "no feed entries found (not RSS/Atom, or empty)"
        yield record
        for entry in entries:
            request = self._discovered(entry.url, 1, entry.date, PRIO_LISTED)
            if request is not None:
                yield request

    def parse_sitemap(self, response: Response, depth: int, article_id: None) -> Iterator[Any]:
        failed = self._http_error(response, None)
        if failed is not None:
            yield failed
            return
        doc = parse_sitemap(response.body, response.url)
        record = self._record(response, "discovery", None)
        if not doc.sitemaps and not doc.entries:
            record.error = "no sitemap entries found (not a sitemap, or empty)"
        yield record
        for child in doc.sitemaps:
            if child.url not in self.seen_sitemaps and self._allowed_host(child.url):
                self.seen_sitemaps.add(child.url)
                yield self._discovery_request(child.url, self.parse_sitemap)
        for entry in doc.entries:
            request = self._discovered(entry.url, 1, entry.date, PRIO_LISTED)
            if request is not None:
                yield request

    def parse_robots(self, response: Response, depth: int, article_id: None) -> Iterator[Any]:
        record = self._record(response, "discovery", None)
        if response.status >= 400:
            record.error = f"HTTP {response.status} (no robots.txt)"
            yield record
            return
        yield record
        for url in sitemaps_from_robots(response.text, response.url):
            if url not in self.seen_sitemaps and self._allowed_host(url):
                self.seen_sitemaps.add(url)
                yield self._discovery_request(url, self.parse_sitemap)

    def on_error(self, failure: Failure) -> Iterator[PageRecord]:
        request: Request = failure.request  # type: ignore[attr-defined]
        kind, message = _describe_failure(failure, self.settings)
        log.info("%s %s: %s", kind, request.url, message)
        yield PageRecord(
            url=request.meta.get("redirect_urls", [request.url])[0],
            final_url=request.url,
            redirects=list(request.meta.get("redirect_urls", [])),
            fetched_at=utcnow(),
            kind=kind,
            error=message,
            article_id=request.cb_kwargs.get("article_id"),
        )


def _is_html(ctype: str, body: bytes) -> bool:
    if ctype in _HTML_TYPES:
        return True
    if ctype and ctype not in ("application/octet-stream", "text/plain", "binary/octet-stream"):
        return False
    head = body[:1024].lstrip().lower()  # no or generic type: sniff like a browser would
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))


def _describe_failure(failure: Failure, settings: Any) -> tuple[str, str]:
    """(record kind, message) for a request that produced no response."""
    value = failure.value
    text = str(value)
    if failure.check(IgnoreRequest):
        if "robots.txt" in text:
            return "skipped", "disallowed by robots.txt"
        if "max redirections" in text:
            return "error", (
                f"redirect loop or too many redirects (more than "
                f"{settings.getint('REDIRECT_MAX_TIMES')})"
            )
        return "skipped", f"ignored: {text}"
    if failure.check(DownloadCancelledError) and "max size" in text:
        return (
            "skipped",
            f"larger than the size limit ({settings.getint('DOWNLOAD_MAXSIZE')} bytes)",
        )
    if failure.check(DownloadCancelledError):
        return "skipped", f"download cancelled: {text}"
    if failure.check(DownloadTimeoutError) or "timeout" in type(value).__name__.lower():
        return "error", f"timed out after {settings.getfloat('DOWNLOAD_TIMEOUT'):g}s"
    if failure.check(CannotResolveHostError):
        return "error", f"cannot resolve host: {text}"
    if failure.check(DownloadConnectionRefusedError):
        return "error", f"connection refused: {text}"
    return "error", f"{type(value).__name__}: {text}"
