"""Feeding the shared frontier: one crawl run of a source, pushed as requests for the workers.

Used by ``pressbox crawl NAME --redis URL`` and by the scheduler started with ``--redis``. The
run is recorded as a local one is (``crawl_runs``); workers add their counts to it and the one
that finishes its last request closes it. ``redis`` is imported only when this is used.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from archive.db import open_archive, resolve_db_url
from archive.health import evaluate_run
from archive.runs import finish_run, get_run, start_run
from archive.sources import get_source
from crawler.runner import CrawlResult

__all__ = ["frontier_status", "push_run", "run_distributed", "wait_run"]

COUNT_FIELDS = ("pages_fetched", "articles_new", "versions_new", "unchanged", "skipped", "errors")


def push_run(
    source: str,
    *,
    redis_url: str,
    db: str | None = None,
    namespace: str | None = None,
    revisit: str = "due",
    trigger: str = "manual",
    max_pages: int | None = None,
) -> int:
    """Record a run of ``source`` and push its seed requests onto the frontier; its id."""
    from crawler.distributed import Frontier, RunState

    frontier = Frontier.from_url(redis_url, namespace)
    archive = open_archive(resolve_db_url(db))
    try:
        with archive.write_session() as session:
            src = get_source(session, source)
            run = start_run(session, src, trigger=trigger, revisit=revisit)
            run.host, run.pid, run.log_file = f"redis:{frontier.ns}", None, None
            run_id = run.id
        frontier.start_run(run_id)
        state = RunState(frontier, archive, run_id, None)
        if max_pages is not None:
            state.max_pages = max_pages
        frontier.push(state.seed_requests())
        return run_id
    finally:
        archive.close()


def wait_run(
    run_id: int,
    *,
    db: str | None = None,
    timeout: float | None = None,
    poll: float = 1.0,
    should_stop: Callable[[], bool] | None = None,
) -> str:
    """Wait until the workers finished run ``run_id`` (polling the archive); its status.

    ``should_stop`` ends the wait early (the run goes on in the fleet): a scheduler shutting down
    does not hold its workers' runs."""
    archive = open_archive(resolve_db_url(db))
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            with archive.session() as session:
                status = get_run(session, run_id).status
            if status != "running" or (should_stop is not None and should_stop()):
                return status
            if deadline is not None and time.monotonic() >= deadline:
                with archive.write_session() as session:
                    finish_run(session, run_id, "timed_out", message=f"stopped after {timeout:g}s")
                return "timed_out"
            time.sleep(poll)
    finally:
        archive.close()


def run_distributed(
    source: str,
    *,
    redis_url: str,
    db: str | None = None,
    namespace: str | None = None,
    revisit: str = "due",
    trigger: str = "manual",
    max_pages: int | None = None,
    timeout: float | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> CrawlResult:
    """Push a run, wait for the workers to finish it, and read its record (as ``run_crawl``)."""
    started = time.monotonic()
    run_id = push_run(
        source,
        redis_url=redis_url,
        db=db,
        namespace=namespace,
        revisit=revisit,
        trigger=trigger,
        max_pages=max_pages,
    )
    wait_run(run_id, db=db, timeout=timeout, should_stop=should_stop)
    archive = open_archive(resolve_db_url(db))
    try:
        with archive.write_session() as session:
            run = get_run(session, run_id)
            evaluate_run(session, run)
            return CrawlResult(
                run_id=run_id,
                source=source,
                status=run.status,
                counts={name: getattr(run, name) for name in COUNT_FIELDS},
                duration=time.monotonic() - started,
                log_file=f"(workers: {', '.join(run.workers or []) or 'none'})",
                message=run.message,
                exit_code=0 if run.status == "ok" else 1,
            )
    finally:
        archive.close()


def frontier_status(redis_url: str, namespace: str | None = None, sample: int = 10000) -> Any:
    """Queue length per source and domain, in-flight requests, live workers, active runs."""
    import json
    from collections import Counter

    from crawler.distributed import Frontier, decode_request

    frontier = Frontier.from_url(redis_url, namespace)
    r: Any = frontier.r
    queues = []
    for source in frontier.sources():
        key = frontier.queue_key(source)
        domains: Counter[str] = Counter()
        for data in r.zrange(key, 0, sample - 1):
            from archive.urls import host_of

            domains[host_of(decode_request(bytes(data)).url)] += 1
        queues.append({"source": source, "queued": int(r.zcard(key)), "domains": dict(domains)})
    workers = []
    now = time.time()
    for raw in sorted(r.smembers(frontier.key("workers"))):
        name = raw.decode()
        beat = r.get(frontier.key("worker", name))
        info = json.loads(beat) if beat else {}
        workers.append(
            {
                "worker": name,
                "alive": beat is not None,
                "heartbeat_age": round(now - info["at"], 1) if info else None,
                "inflight": int(r.hlen(frontier.key("inflight", name))),
                "sources": ",".join(info.get("sources") or []) or "all",
            }
        )
    runs = [
        {
            "run": int(run),
            "pending": int(r.get(frontier.key("run", int(run), "pending")) or 0),
            "fetched_by": frontier.fetched_by_worker(int(run)),
        }
        for run in sorted(r.smembers(frontier.key("runs")), key=int)
    ]
    return {
        "namespace": frontier.ns,
        "queues": queues,
        "inflight": sum(w["inflight"] for w in workers),
        "workers": workers,
        "runs": runs,
    }
