"""Crawl runs: the operator's record of each crawl, kept consistent even when a crawl dies."""

from __future__ import annotations

import os
import socket
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.errors import NotFoundError
from archive.models import CrawlRun, Source
from archive.types import utcnow

__all__ = ["RUN_STATUSES", "abort_dead_runs", "finish_run", "get_run", "pid_alive", "start_run"]

RUN_STATUSES = ("running", "ok", "failed", "aborted", "timed_out", "skipped")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_run(
    session: Session,
    source: Source,
    *,
    trigger: str = "manual",
    revisit: str | None = None,
    pid: int | None = None,
) -> CrawlRun:
    """Record the start of a crawl run of ``source`` (status ``running``)."""
    run = CrawlRun(
        source_id=source.id,
        source_name=source.name,
        trigger=trigger,
        status="running",
        started_at=utcnow(),
        host=socket.gethostname(),
        pid=pid if pid is not None else os.getpid(),
        revisit=revisit,
    )
    session.add(run)
    session.flush()
    return run


def get_run(session: Session, run_id: int) -> CrawlRun:
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise NotFoundError(f"No crawl run #{run_id}. List runs with `pressbox runs`.")
    return run


def finish_run(
    session: Session,
    run_id: int,
    status: str,
    *,
    message: str | None = None,
    finished_at: datetime | None = None,
) -> CrawlRun:
    """Close a run with its final status (counts are kept current by the archive writer)."""
    if status not in RUN_STATUSES:
        raise ValueError(f"unknown run status {status!r}")
    run = get_run(session, run_id)
    run.status = status
    run.finished_at = finished_at or utcnow()
    if message:
        run.message = message
    return run


def abort_dead_runs(session: Session, *, source_id: int | None = None) -> list[CrawlRun]:
    """Mark runs left ``running`` by a process of this host that no longer exists as aborted.

    A crawl killed with SIGKILL cannot close its own run; the next crawl or scheduler start
    does it here.
    """
    host = socket.gethostname()
    query = select(CrawlRun).where(CrawlRun.status == "running", CrawlRun.host == host)
    if source_id is not None:
        query = query.where(CrawlRun.source_id == source_id)
    aborted = []
    for run in session.scalars(query):
        if run.pid is None or not pid_alive(run.pid):
            run.status = "aborted"
            run.finished_at = utcnow()
            run.message = (run.message or "") + "process died without closing the run"
            aborted.append(run)
    return aborted
