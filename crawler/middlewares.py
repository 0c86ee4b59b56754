"""Downloader middlewares: only what Scrapy does not do already."""

from __future__ import annotations

import asyncio

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings

__all__ = ["BackoffRetryMiddleware"]


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, with exponential back-off: a server that answers 503 or times out is
    given ``PRESSBOX_RETRY_BACKOFF`` seconds before the first retry, twice that before the second.
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("PRESSBOX_RETRY_BACKOFF", 1.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        o = cls(crawler.settings)
        o.crawler = crawler
        return o

    async def _wait(self, retry: Request | None) -> None:
        if retry is not None and self.backoff > 0:
            attempt = max(1, int(retry.meta.get("retry_times", 1)))
            await asyncio.sleep(self.backoff * 2 ** (attempt - 1))

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: object = None
    ) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await self._wait(result)
        return result

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: object = None
    ) -> Request | Response | None:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._wait(result)
        return result
