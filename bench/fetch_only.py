"""The benchmark's baseline: fetch every article listed in a site's sitemaps, store nothing.

    scrapy runspider bench/fetch_only.py -a base=http://127.0.0.1:PORT

Prints the number of pages fetched as its last line of output.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.spiders import SitemapSpider


class FetchOnly(SitemapSpider):
    name = "fetch_only"

    def __init__(self, base: str, **kwargs: Any) -> None:
        self.sitemap_urls = [f"{base}/sitemap.xml"]
        super().__init__(**kwargs)
        self.pages = 0

    def parse(self, response: Response) -> Iterator[Any]:
        self.pages += 1
        return iter(())

    def closed(self, reason: str) -> None:
        print(self.pages, flush=True)


__all__ = ["FetchOnly", "scrapy"]
