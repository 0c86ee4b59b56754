"""Distributed crawl benchmark: pages/s with one crawl worker and with two, on Redis + PostgreSQL.

    python bench/distributed.py [--articles 1000] [--redis URL] [--pg URL]

Serves a generated sports site on 127.0.0.1 (a subprocess), then for 1 and for 2 workers (each
its own process): a fresh PostgreSQL database and Redis namespace, a run pushed onto the
frontier, timed until the workers finish it. Also measures the Redis memory that the per-run
duplicate filter takes for 100,000 URLs (the same ``claim`` call the workers make).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SETTINGS = {"AUTOTHROTTLE_ENABLED": "False", "LOG_LEVEL": "WARNING"}


def start_site(articles: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.demo.server", "--articles", str(articles), "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def crawl_with(n_workers: int, base: str, redis_url: str, pg_admin: str) -> tuple[int, float]:
    """(pages fetched, seconds) for one run crawled by ``n_workers`` workers."""
    from archive.db import open_archive
    from archive.sources import SourceSpec, add_source
    from crawler.frontier import push_run, wait_run

    name = f"pressbox_bench_{uuid.uuid4().hex[:8]}"
    ns = f"pressbox:bench-{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = make_url(pg_admin).set(database=name).render_as_string(hide_password=False)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        archive = open_archive(db)
        with archive.write_session() as session:
            add_source(session, SourceSpec(name="bench", url=f"{base}/"))
        archive.close()
        settings = [a for k, v in SETTINGS.items() for a in ("--set", f"{k}={v}")]
        for i in range(n_workers):
            workers.append(
                subprocess.Popen(
                    [
                        *(sys.executable, "-m", "pressbox", "worker", "--redis", redis_url),
                        *("--db", db, "--namespace", ns, "--name", f"w{i + 1}", *settings),
                    ],
                    cwd=ROOT,
                    env=dict(os.environ, PRESSBOX_FLEET_DOMAIN_CONCURRENCY="16"),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        from crawler.frontier import frontier_status

        deadline = time.monotonic() + 120  # time the crawl, not the workers' start-up
        while len(frontier_status(redis_url, ns)["workers"]) < n_workers:
            if time.monotonic() > deadline:
                raise SystemExit("the workers did not start")
            time.sleep(0.2)
        started = time.perf_counter()
        run_id = push_run("bench", redis_url=redis_url, db=db, namespace=ns)
        status = wait_run(run_id, db=db, timeout=1800, poll=0.2)
        elapsed = time.perf_counter() - started
        if status != "ok":
            raise SystemExit(f"run ended {status}")
        archive = open_archive(db)
        with archive.session() as session:
            pages = session.execute(
                text("SELECT pages_fetched FROM crawl_runs WHERE id = :i"), {"i": run_id}
            ).scalar_one()
        archive.close()
        return int(pages), elapsed
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=60)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        import redis

        r = redis.Redis.from_url(redis_url)
        keys = list(r.scan_iter(match=f"{ns}:*", count=1000))
        if keys:
            r.delete(*keys)


def seen_memory(redis_url: str, urls: int = 100_000) -> int:
    """Bytes of Redis memory for ``urls`` URLs in a run's duplicate filter."""
    import redis

    from crawler.distributed import Frontier

    ns = f"pressbox:bench-{uuid.uuid4().hex[:8]}"
    frontier = Frontier.from_url(redis_url, ns)
    r = redis.Redis.from_url(redis_url)
    key = frontier.key("run", 1, "seen")
    from crawler.distributed import fingerprint

    pipe = r.pipeline(transaction=False)
    for i in range(urls):
        pipe.sadd(key, fingerprint(f"https://sport.example.com/football/2026/11/story-{i}.html"))
        if i % 5000 == 4999:
            pipe.execute()
    pipe.execute()
    used = int(r.memory_usage(key, samples=0) or 0)
    r.delete(key)
    return used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument(
        "--redis", default=os.environ.get("PRESSBOX_TEST_REDIS", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument(
        "--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres", help="admin URL"
    )
    args = parser.parse_args()
    site, base = start_site(args.articles)
    try:
        one_pages, one_s = crawl_with(1, base, args.redis, args.pg)
        two_pages, two_s = crawl_with(2, base, args.redis, args.pg)
    finally:
        site.terminate()
        site.wait()
    mem = seen_memory(args.redis)
    print(f"site: {args.articles} articles at {base}; {os.cpu_count()} cores; Redis + PostgreSQL")
    print(f"1 worker : {one_pages:6d} pages in {one_s:6.1f}s = {one_pages / one_s:7.1f} pages/s")
    print(f"2 workers: {two_pages:6d} pages in {two_s:6.1f}s = {two_pages / two_s:7.1f} pages/s")
    print(f"scaling  : {(two_pages / two_s) / (one_pages / one_s):.2f}x with two workers")
    print(
        f"Redis duplicate filter: {mem / 1e6:.1f} MB per 100,000 URLs "
        f"(~{mem * 10 / 1e6:.0f} MB per million)"
    )


if __name__ == "__main__":
    main()
