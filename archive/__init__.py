"""pressbox's archive: every version of every article, in SQLite or PostgreSQL.

Works without Scrapy, Twisted or trafilatura: researchers can install and query it alone.
"""

from __future__ import annotations

import logging

from archive.db import Archive, open_archive, resolve_db_url, upgrade
from archive.errors import (
    ArchiveError,
    DatabaseUnavailableError,
    ExportError,
    NotFoundError,
    SchemaOutOfDateError,
    ValidationError,
)
from archive.models import Article, ArticleURL, CrawlRun, Fetch, Link, Source, Version
from archive.store import ArchiveWriter, ArticleContent, PageRecord, content_hash
from archive.urls import canonical_url, normalize_url

__all__ = [
    "Archive",
    "ArchiveError",
    "ArchiveWriter",
    "Article",
    "ArticleContent",
    "ArticleURL",
    "CrawlRun",
    "DatabaseUnavailableError",
    "ExportError",
    "Fetch",
    "Link",
    "NotFoundError",
    "PageRecord",
    "SchemaOutOfDateError",
    "Source",
    "ValidationError",
    "Version",
    "canonical_url",
    "content_hash",
    "normalize_url",
    "open_archive",
    "resolve_db_url",
    "upgrade",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
