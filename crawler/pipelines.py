"""Item pipelines: page records go into the archive, in batches."""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.task import LoopingCall

from archive.errors import DatabaseUnavailableError
from archive.store import ArchiveWriter, PageRecord

__all__ = ["ArchivePipeline"]

log = logging.getLogger(__name__)


class ArchivePipeline:
    """Writes each :class:`PageRecord` through an :class:`archive.store.ArchiveWriter`.

    Records are written ``PRESSBOX_BATCH_SIZE`` at a time, or every ``PRESSBOX_FLUSH_INTERVAL``
    seconds, whichever comes first, each batch in one transaction together with the run's counts.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.batch_size = crawler.settings.getint("PRESSBOX_BATCH_SIZE", 100)
        self.interval = crawler.settings.getfloat("PRESSBOX_FLUSH_INTERVAL", 2.0)
        self.writer: ArchiveWriter | None = None
        self.loop: LoopingCall | None = None
        self.last_flush = time.monotonic()
        self.failed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    def open_spider(self, spider: Any = None) -> None:
        spider = self.crawler.spider
        self.writer = ArchiveWriter(
            spider.archive,
            source_id=spider.source_id,
            run_id=spider.run_id,
            policy=spider.policy,
            batch_size=self.batch_size,
            on_outcome=self._count,
            retry_seconds=self.crawler.settings.getfloat("PRESSBOX_DB_RETRY_SECONDS", 60.0),
        )
        self.loop = LoopingCall(self._tick)
        self.loop.start(self.interval, now=False)

    def _count(self, record: PageRecord, outcome: str, article_id: int | None) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"pressbox/outcome/{outcome}")

    def _tick(self) -> None:
        if self.writer is not None and time.monotonic() - self.last_flush >= self.interval:
            self._flush()

    def _flush(self) -> None:
        assert self.writer is not None
        if self.failed:
            return
        try:
            self.writer.flush()
        except DatabaseUnavailableError as exc:
            self._fail(exc)
        self.last_flush = time.monotonic()

    def _fail(self, exc: Exception) -> None:
        """The archive stays unreachable: stop the crawl rather than fetch pages it can't keep."""
        self.failed = True
        log.error("stopping the crawl: %s", exc)
        assert self.crawler.engine is not None
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="database unavailable"))

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, PageRecord) and self.writer is not None and not self.failed:
            try:
                self.writer.add(item)  # writes a full batch
            except DatabaseUnavailableError as exc:
                self._fail(exc)
        return item

    def close_spider(self, spider: Any = None) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.writer is not None:
            self._flush()
            log.info("archive: %s", self.writer.counts.as_dict())
