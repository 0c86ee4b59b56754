"""Fixtures for end-to-end crawls: a local test site (a subprocess on 127.0.0.1, port 0) and a
fresh SQLite archive per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.db import Archive, open_archive
from archive.sources import SourceSpec, add_source
from crawler.runner import CrawlResult, run_crawl
from tests.mockserver import MockServer

#: Settings for crawling our own loopback server: no politeness delays, quick retries/timeouts.
FAST = {
    "AUTOTHROTTLE_ENABLED": "False",
    "PRESSBOX_RETRY_BACKOFF": "0.05",
    "DOWNLOAD_TIMEOUT": "3",
    "PRESSBOX_FLUSH_INTERVAL": "0.5",
}


@pytest.fixture
def db_url(fresh_db_url: str) -> str:
    return fresh_db_url


@pytest.fixture
def archive(db_url: str) -> Iterator[Archive]:
    a = open_archive(db_url)
    yield a
    a.close()


@pytest.fixture
def site() -> Iterator[MockServer]:
    with MockServer(articles=60, exclusive=True, errors=False) as server:
        yield server


@pytest.fixture
def error_site() -> Iterator[MockServer]:
    with MockServer(articles=9, exclusive=False, errors=True) as server:
        yield server


@pytest.fixture(autouse=True)
def _log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESSBOX_LOG_DIR", str(tmp_path / "logs"))


def add_site_source(archive: Archive, server: MockServer, name: str = "site", **extra: Any) -> None:
    """A source for the test site: start page + feed; sitemaps are found in robots.txt."""
    spec = SourceSpec(name=name, url=server.url("/"), feeds=[server.url("/feed.xml")], **extra)
    with archive.write_session() as session:
        add_source(session, spec)


def crawl(db_url: str, name: str = "site", **kwargs: Any) -> CrawlResult:
    settings = {**FAST, **kwargs.pop("settings", {})}
    return run_crawl(name, db=db_url, settings=settings, **kwargs)
