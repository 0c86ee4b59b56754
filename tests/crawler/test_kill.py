"""A crawl killed with SIGKILL leaves a consistent archive, and the next crawl completes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archive.db import Archive
from archive.models import Article, CrawlRun, Version
from tests.consistency import check_consistent
from tests.crawler.conftest import FAST, add_site_source, crawl
from tests.mockserver import MockServer
from tests.polling import wait_for

pytestmark = pytest.mark.slow


def test_sigkill_mid_crawl_leaves_a_consistent_archive_that_a_rerun_completes(
    site: MockServer, archive: Archive, db_url: str, tmp_path: Path
) -> None:
    add_site_source(archive, site)
    site.delay(0.05)  # slow the site down so that the kill lands mid-crawl
    settings = [arg for k, v in FAST.items() for arg in ("--set", f"{k}={v}")]
    env = dict(os.environ, PRESSBOX_BATCH_SIZE="5")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pressbox", "crawl", "site", "--db", db_url, *settings],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def crawler_pid_when_some_stored() -> int | None:
            with archive.session() as s:
                stored = s.scalar(select(func.count()).select_from(Version))
                run = s.scalars(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
            if run is not None and run.pid and run.pid != proc.pid and stored and stored >= 10:
                return run.pid
            return None

        pid = wait_for(crawler_pid_when_some_stored, what="a crawl that stored 10 articles")
        os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    with archive.session() as s:
        stored = s.scalar(select(func.count()).select_from(Article))
    assert 10 <= stored < 60, "the kill should land mid-crawl"
    check_consistent(db_url)

    site.delay(0)
    again = crawl(db_url)

    assert again.status == "ok"
    check_consistent(db_url)
    with archive.session() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 60
        assert s.scalar(select(func.count()).select_from(Version)) == 60
        statuses = list(s.scalars(select(CrawlRun.status).order_by(CrawlRun.id)))
    assert statuses == ["aborted", "ok"]
