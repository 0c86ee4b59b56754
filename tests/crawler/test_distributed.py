"""Crawling from several machines: workers on a shared Redis frontier, one PostgreSQL archive.

Each test uses its own Redis key namespace (tests run in parallel sessions on one Redis) and
deletes it afterwards. Skipped, saying why, when Redis or PostgreSQL is not reachable.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from archive.db import open_archive
from archive.models import Article, CrawlRun, Version
from pressbox.cli import cli
from tests.crawler.conftest import FAST, add_site_source
from tests.mockserver import MockServer
from tests.polling import wait_for

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

REDIS_URL = os.environ.get("PRESSBOX_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
def namespace() -> Iterator[str]:
    try:
        import redis

        server = redis.Redis.from_url(REDIS_URL)
        server.ping()
    except Exception as exc:
        pytest.skip(
            f"Redis not reachable at {REDIS_URL} ({type(exc).__name__}); start it, or set "
            "PRESSBOX_TEST_REDIS (needs the distributed extra: redis, scrapy-redis)."
        )
    ns = f"pressbox:test-{uuid.uuid4().hex[:10]}"
    yield ns
    keys = list(server.scan_iter(match=f"{ns}:*", count=1000))
    if keys:
        server.delete(*keys)


@pytest.fixture
def big_site() -> Iterator[MockServer]:
    with MockServer(articles=500, exclusive=False, errors=False) as server:
        yield server


def start_worker(db_url: str, ns: str, name: str, *extra: str) -> subprocess.Popen[bytes]:
    settings = [a for k, v in FAST.items() for a in ("--set", f"{k}={v}")]
    cmd = [
        sys.executable,
        "-m",
        "pressbox",
        "worker",
        "--redis",
        REDIS_URL,
        "--db",
        db_url,
        "--namespace",
        ns,
        "--name",
        name,
        *settings,
        *extra,
    ]
    env = dict(os.environ, PRESSBOX_EXTRACT_WORKERS="0", PRESSBOX_BATCH_SIZE="20")
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


def run_record(db_url: str, run_id: int) -> Any:
    archive = open_archive(db_url)
    try:
        with archive.session() as session:
            run = session.get(CrawlRun, run_id)
            session.expunge(run)
            return run
    finally:
        archive.close()


def counts(db_url: str) -> tuple[int, int]:
    archive = open_archive(db_url)
    try:
        with archive.session() as s:
            return (
                s.scalar(select(func.count()).select_from(Article)) or 0,
                s.scalar(select(func.count()).select_from(Version)) or 0,
            )
    finally:
        archive.close()


def test_two_workers_share_a_run_fetch_each_url_once_and_respect_the_fleet_limit(
    big_site: MockServer, pg_db_url: str, namespace: str
) -> None:
    from crawler.frontier import frontier_status

    archive = open_archive(pg_db_url)
    add_site_source(archive, big_site)
    archive.close()
    big_site.delay(0.02)  # so that requests overlap and the limit is tested
    workers = [
        start_worker(pg_db_url, namespace, name, "-s", "PRESSBOX_FLEET_DOMAIN_CONCURRENCY=3")
        for name in ("w1", "w2")
    ]
    # the scheduler feeds the frontier: a schedule, and a run of it now
    runner = CliRunner()
    added = runner.invoke(cli, ["schedule", "add", "site", "--every", "6h", "--db", pg_db_url])
    assert added.exit_code == 0, added.output
    scheduler = subprocess.Popen(
        [
            *(sys.executable, str(ROOT / "scheduler.py"), "--db", pg_db_url),
            *("--redis", REDIS_URL, "--namespace", namespace),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        now = runner.invoke(cli, ["schedule", "run-now", "site", "--db", pg_db_url])
        assert now.exit_code == 0, now.output

        def finished_run() -> int | None:
            archive = open_archive(pg_db_url)
            try:
                with archive.session() as s:
                    return s.scalar(
                        select(CrawlRun.id).where(
                            CrawlRun.status != "running", CrawlRun.status != "skipped"
                        )
                    )
            finally:
                archive.close()

        run_id = wait_for(finished_run, timeout=600, what="the scheduled run to finish")
        assert run_record(pg_db_url, run_id).status == "ok"
        status = frontier_status(REDIS_URL, namespace)
    finally:
        stop([*workers, scheduler])

    stats = big_site.stats()
    assert stats["max_in_flight"] <= 3  # the fleet-wide per-domain limit
    fetched = {p: n for p, n in stats["by_path"].items() if not p.startswith("/_admin")}
    # robots.txt is also read by each worker's robots middleware
    assert {p: n for p, n in fetched.items() if n != 1 and p != "/robots.txt"} == {}
    assert counts(pg_db_url) == (500, 500)
    run = run_record(pg_db_url, run_id)
    assert run.articles_new == 500
    assert sorted(run.workers) == ["w1", "w2"]
    listed = runner.invoke(cli, ["runs", "--db", pg_db_url, "--format", "json"])
    assert sorted(json.loads(listed.output)[0]["workers"]) == ["w1", "w2"]
    from crawler.distributed import Frontier

    by_worker = Frontier.from_url(REDIS_URL, namespace).fetched_by_worker(run_id)
    assert set(by_worker) == {"w1", "w2"}
    assert all(n > 0 for n in by_worker.values())
    assert sum(by_worker.values()) == run.pages_fetched
    assert status["queues"] == [] or all(q["queued"] == 0 for q in status["queues"])


def test_a_worker_killed_mid_crawl_loses_nothing_and_a_revisit_fetches_the_edits(
    big_site: MockServer, pg_db_url: str, namespace: str
) -> None:
    from crawler.frontier import push_run, wait_run

    archive = open_archive(pg_db_url)
    add_site_source(archive, big_site)
    archive.close()
    big_site.delay(0.02)
    # a short lease: the killed worker's requests go back to the frontier after ~3 s
    lease = ("-s", "PRESSBOX_WORKER_TIMEOUT=3")
    w1 = start_worker(pg_db_url, namespace, "k1", *lease)
    w2 = start_worker(pg_db_url, namespace, "k2", *lease)
    try:
        run_id = push_run("site", redis_url=REDIS_URL, db=pg_db_url, namespace=namespace)
        wait_for(lambda: counts(pg_db_url)[0] >= 100, timeout=300, what="100 articles")
        w1.send_signal(signal.SIGKILL)
        w1.wait(timeout=30)
        assert wait_run(run_id, db=pg_db_url, timeout=600, poll=0.5) == "ok"
        assert counts(pg_db_url) == (500, 500)  # none missing, none twice

        edited = big_site.edit_many([3, 7, 11], "headline")
        assert len(edited) == 3
        big_site.reset_stats()
        again = push_run(
            "site", redis_url=REDIS_URL, db=pg_db_url, namespace=namespace, revisit="all"
        )
        assert wait_run(again, db=pg_db_url, timeout=600, poll=0.5) == "ok"
    finally:
        stop([w1, w2])
    assert counts(pg_db_url) == (500, 503)  # exactly the new versions
    run = run_record(pg_db_url, again)
    assert run.versions_new == 3
    assert run.pages_fetched >= 500  # the first run's fingerprints did not block the revisit
