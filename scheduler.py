"""The pressbox scheduler: crawls each scheduled source on time, for months, unattended.

Run it in the foreground with ``pressbox scheduler`` or ``python scheduler.py [--db URL]
[--set NAME=VALUE]...`` (under systemd, see the README). It

- takes the database's scheduler lock (one scheduler per database; a second one refuses to start
  and names the holder), keeps it alive with a heartbeat and releases it on exit;
- keeps its jobs in an APScheduler SQLAlchemy job store in the archive database (so next run
  times survive restarts) and mirrors the ``schedules`` table into them every second, so that
  ``pressbox schedule add/pause/resume/remove/run-now`` apply without a restart;
- runs each crawl as its own ``scrapy crawl`` process (:func:`crawler.runner.run_crawl`), never
  two of one source at once: a run still going when the next is due is skipped and recorded as
  ``skipped``; missed runs are coalesced into one, if within the misfire grace time;
- stops a run that exceeds its schedule's ``--timeout`` (recorded ``timed_out``);
- on SIGTERM or SIGINT stops taking new runs, lets running crawls finish for the shutdown grace
  period, then stops them (recorded ``aborted``); on start, marks runs left ``running`` by dead
  processes as aborted; deletes run logs older than the retention period at start and daily.

This module imports neither Scrapy nor Twisted: crawls are child processes.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from sqlalchemy import Engine, column, inspect, select, table

from archive.db import Archive, open_archive
from archive.errors import ArchiveError, ValidationError
from archive.models import CrawlRun, Schedule, Source
from archive.runs import abort_dead_runs, start_run
from archive.schedules import (
    JOB_TABLE,
    acquire_lock,
    build_trigger,
    list_schedules,
    lock_holder,
    refresh_lock,
    release_lock,
    schedules_fingerprint,
    this_holder,
)
from archive.sources import get_source
from archive.types import utcnow

__all__ = [
    "SchedulerConfig",
    "job_next_runs",
    "main",
    "parse_settings",
    "queue_run_now",
    "run_source",
    "serve",
]

log = logging.getLogger("pressbox.scheduler")

#: The job function, by reference: jobs in the store name it, whatever ``__main__`` is.
JOB_FUNC = "scheduler:run_source"
SCHEDULE_PREFIX = "schedule:"
RUN_NOW_PREFIX = "run-now:"
#: How often the scheduler re-reads everything, even when the fingerprint did not change.
FULL_SYNC_EVERY = 60.0


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValidationError(f"Bad ${name} {raw!r}: give a number.") from None


def parse_settings(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``NAME=VALUE`` items as a dict.

    Raises:
        ValidationError: an item without ``=``.
    """
    settings = {}
    for item in items:
        item = item.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"Bad crawl setting {item!r}: write NAME=VALUE.")
        settings[key.strip()] = value.strip()
    return settings


@dataclass(slots=True)
class SchedulerConfig:
    """The scheduler's knobs (each has an environment variable, see the README)."""

    db: str | None = None
    #: Redis frontier: push runs for workers instead of crawling here ($PRESSBOX_REDIS).
    redis: str | None = None
    #: Key prefix on Redis (default: pressbox).
    namespace: str | None = None
    #: Scrapy settings for every crawl ($PRESSBOX_CRAWL_SETTINGS="NAME=VALUE,...", --set).
    settings: dict[str, str] = field(default_factory=dict)
    #: Seconds running crawls may go on after SIGTERM/SIGINT before they are stopped.
    shutdown_grace: float = 30.0
    #: Seconds between SIGTERM and SIGKILL when a crawl is stopped.
    kill_after: float = 10.0
    #: A run missed by more than this (scheduler down, busy) is not run late.
    misfire_grace: float = 600.0
    #: Seconds the scheduler lock lasts without a heartbeat.
    lock_ttl: float = 60.0
    #: Run logs older than this many days are deleted (0: keep all).
    log_retention_days: float = 30.0
    #: Crawls running at once, at most (further due runs wait for a free slot).
    workers: int = 8
    #: Seconds between looks at the schedules table.
    tick: float = 1.0

    @classmethod
    def from_env(
        cls,
        db: str | None = None,
        settings: dict[str, str] | None = None,
        redis: str | None = None,
        namespace: str | None = None,
    ) -> SchedulerConfig:
        env_settings = parse_settings(os.environ.get("PRESSBOX_CRAWL_SETTINGS", "").split(","))
        return cls(
            db=db,
            redis=redis or os.environ.get("PRESSBOX_REDIS") or None,
            namespace=namespace,
            settings={**env_settings, **(settings or {})},
            shutdown_grace=_env_float("PRESSBOX_SHUTDOWN_GRACE", 30.0),
            kill_after=_env_float("PRESSBOX_SHUTDOWN_KILL_AFTER", 10.0),
            misfire_grace=_env_float("PRESSBOX_MISFIRE_GRACE", 600.0),
            lock_ttl=_env_float("PRESSBOX_SCHEDULER_LOCK_TTL", 60.0),
            log_retention_days=_env_float("PRESSBOX_LOG_RETENTION_DAYS", 30.0),
            workers=max(1, int(_env_float("PRESSBOX_SCHEDULER_WORKERS", 8))),
            tick=_env_float("PRESSBOX_SCHEDULER_TICK", 1.0),
        )


@dataclass(slots=True)
class _Active:
    """A crawl the scheduler started and has not seen end."""

    source: str
    proc: subprocess.Popen[bytes] | None = None
    run_id: int | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def started(self, proc: subprocess.Popen[bytes], run_id: int) -> None:
        self.proc, self.run_id = proc, run_id

    def signal(self, sig: int) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            if sig == signal.SIGKILL:  # the crawl's extraction workers too (its own group)
                os.killpg(self.proc.pid, sig)
            else:
                self.proc.send_signal(sig)
        except (ProcessLookupError, PermissionError):
            pass


class Scheduler:
    """One scheduler process: the lock, the APScheduler instance, the crawls it started."""

    def __init__(self, archive: Archive, config: SchedulerConfig) -> None:
        from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        self.archive = archive
        self.config = config
        self.holder = this_holder()
        self.stop = threading.Event()
        self.hurry = threading.Event()
        self.stopping = False
        self._lock = threading.Lock()
        self._active: dict[str, _Active] = {}
        self.aps = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=archive.engine, tablename=JOB_TABLE)},
            executors={"default": ThreadPoolExecutor(config.workers)},
            job_defaults={
                "max_instances": 1,
                "coalesce": True,
                "misfire_grace_time": int(config.misfire_grace) or None,
            },
            timezone=UTC,
        )
        self.aps.add_listener(self._on_max_instances, EVENT_JOB_MAX_INSTANCES)
        self.aps.add_listener(self._on_missed, EVENT_JOB_MISSED)
        self._fingerprint: tuple[int, datetime | None] | None = None

    # -- main loop --------------------------------------------------------------------------------

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT (or the lock is lost); returns the exit code."""
        with self.archive.write_session() as session:
            acquire_lock(session, self.holder, self.config.lock_ttl)
        log.info("scheduler %s holds the lock of %s", self.holder, self.archive.url)
        code = 0
        try:
            self._recover()
            self._prune_logs()
            # Paused until the jobs match the table: a job stored before a pause must not fire.
            self.aps.start(paused=True)
            self.sync(force=True)
            self.aps.resume()
            code = self._loop()
        finally:
            self._shutdown()
            with self.archive.write_session() as session:
                release_lock(session, self.holder)
            log.info("scheduler stopped; lock released")
        return code

    def _loop(self) -> int:
        last_beat = last_full = last_prune = time.monotonic()
        while not self.stop.wait(self.config.tick):
            now = time.monotonic()
            if now - last_beat >= self.config.lock_ttl / 4:
                try:
                    with self.archive.write_session() as session:
                        held = refresh_lock(session, self.holder, self.config.lock_ttl)
                except Exception:  # a busy or briefly unreachable database: try again next tick
                    log.exception("could not renew the scheduler lock; trying again")
                else:
                    if not held:
                        log.error("another process took the scheduler lock: stopping")
                        return 1
                    last_beat = now
            try:
                self.sync(force=now - last_full >= FULL_SYNC_EVERY)
            except Exception:  # a bad row or a busy database must not end the scheduler
                log.exception("could not sync the schedules; trying again")
            else:
                if now - last_full >= FULL_SYNC_EVERY:
                    last_full = now
            if now - last_prune >= 86400:
                self._prune_logs()
                last_prune = now
            # run-now jobs are written into the job store by other processes: look for them.
            self.aps.wakeup()
        return 0

    def request_stop(self, signum: int, _frame: FrameType | None = None) -> None:
        if self.stop.is_set():
            log.warning("second %s: stopping running crawls now", signal.Signals(signum).name)
            self.hurry.set()
        else:
            log.info("%s: shutting down", signal.Signals(signum).name)
        self.stop.set()

    def _recover(self) -> None:
        with self.archive.write_session() as session:
            for run in abort_dead_runs(session):
                log.warning(
                    "run #%s of %s was left running by a dead process: aborted",
                    run.id,
                    run.source_name,
                )

    def _prune_logs(self) -> None:
        from crawler.runner import prune_logs

        removed = prune_logs(self.config.log_retention_days)
        if removed:
            log.info(
                "deleted %d run logs older than %g days", removed, self.config.log_retention_days
            )

    # -- mirroring the schedules table into jobs ----------------------------------------------

    def sync(self, *, force: bool = False) -> None:
        """Make the APScheduler jobs match the ``schedules`` table."""
        with self.archive.session() as session:
            fingerprint = schedules_fingerprint(session)
            if not force and fingerprint == self._fingerprint:
                return
            schedules = list_schedules(session)
        jobs = {j.id: j for j in self.aps.get_jobs() if j.id.startswith(SCHEDULE_PREFIX)}
        for name, schedule in schedules:
            try:
                self._sync_one(name, schedule, jobs.pop(SCHEDULE_PREFIX + name, None))
            except Exception:
                log.exception(
                    "cannot schedule %s (%s)", name, schedule.cron or schedule.every_seconds
                )
        for job_id in jobs:
            log.info("schedule of %s removed", job_id[len(SCHEDULE_PREFIX) :])
            self.aps.remove_job(job_id)
        self._fingerprint = fingerprint

    def _sync_one(self, name: str, schedule: Schedule, job: Any) -> None:
        signature = (
            f"{schedule.cron}|{schedule.every_seconds}|{schedule.jitter}|{schedule.timezone}"
        )
        job_id = SCHEDULE_PREFIX + name
        if job is None:
            extra = {"next_run_time": None} if schedule.paused else {}
            self.aps.add_job(
                JOB_FUNC,
                trigger=build_trigger(schedule),
                id=job_id,
                name=f"crawl {name}",
                args=[name],
                kwargs={"config": signature},
                replace_existing=True,
                **extra,
            )
            log.info("scheduled %s%s", name, " (paused)" if schedule.paused else "")
            return
        changed = job.kwargs.get("config") != signature
        if changed:
            self.aps.modify_job(job_id, kwargs={"config": signature})
            self.aps.reschedule_job(job_id, trigger=build_trigger(schedule))
            log.info("schedule of %s changed", name)
        if schedule.paused and (changed or job.next_run_time is not None):
            self.aps.pause_job(job_id)
            log.info("paused %s", name)
        elif not schedule.paused and not changed and job.next_run_time is None:
            self.aps.resume_job(job_id)
            log.info("resumed %s", name)

    # -- running crawls ---------------------------------------------------------------------------

    def crawl(self, name: str, trigger: str) -> None:
        """Run one crawl of ``name`` (in an executor thread), unless one is already going."""
        with self._lock:
            if self.stopping:
                return
            busy = self._active.get(name)
            if busy is None:
                active = self._active[name] = _Active(name)
        if busy is not None:
            self.record_skip(name, trigger, _still_running(busy.run_id))
            return
        try:
            with self.archive.write_session() as session:
                source = get_source(session, name)
                abort_dead_runs(session, source_id=source.id)
                other = session.scalars(
                    select(CrawlRun.id).where(
                        CrawlRun.source_id == source.id, CrawlRun.status == "running"
                    )
                ).first()
                schedule = session.scalars(
                    select(Schedule).where(Schedule.source_id == source.id)
                ).first()
                timeout = schedule.timeout if schedule else None
            if other is not None:
                self.record_skip(name, trigger, _still_running(other))
                return
            log.info("crawl of %s starting (%s)", name, trigger)
            if self.config.redis:  # the fleet crawls it: push the run, wait for the workers
                from crawler.frontier import run_distributed

                result = run_distributed(
                    name,
                    redis_url=self.config.redis,
                    db=self.archive.url,
                    namespace=self.config.namespace,
                    trigger=trigger,
                    timeout=timeout,
                    should_stop=lambda: self.stopping,
                )
            else:
                from crawler.runner import run_crawl

                result = run_crawl(
                    name,
                    db=self.archive.url,
                    trigger=trigger,
                    settings=self.config.settings,
                    timeout=timeout,
                    on_start=active.started,
                    supervised=True,
                )
            log.info(
                "crawl run #%s of %s: %s in %.1fs, %s",
                result.run_id,
                name,
                result.status,
                result.duration,
                ", ".join(f"{k} {v}" for k, v in result.counts.items()),
            )
        except Exception:
            log.exception("crawl of %s could not run", name)
        finally:
            with self._lock:
                del self._active[name]
            active.done.set()

    def record_skip(self, name: str, trigger: str, reason: str) -> None:
        """Record a run that was due but did not start."""
        try:
            with self.archive.write_session() as session:
                source = session.scalars(select(Source).where(Source.name == name)).first()
                if source is None:
                    return
                run = start_run(session, source, trigger=trigger)
                run.status = "skipped"
                run.finished_at = run.started_at
                run.message = reason
            log.warning("run of %s skipped: %s", name, reason)
        except Exception:
            log.exception("could not record a skipped run of %s", name)

    def _on_max_instances(self, event: Any) -> None:
        name, trigger = _job_source(event.job_id)
        active = self._active.get(name)
        self.record_skip(name, trigger, _still_running(active.run_id if active else None))

    def _on_missed(self, event: Any) -> None:
        name, trigger = _job_source(event.job_id)
        due = event.scheduled_run_time.isoformat(timespec="seconds")
        self.record_skip(
            name,
            trigger,
            f"missed: was due at {due}, more than the misfire grace "
            f"({self.config.misfire_grace:g}s) ago",
        )

    # -- shutdown ---------------------------------------------------------------------------------

    def _shutdown(self) -> None:
        with self._lock:
            self.stopping = True
            active = list(self._active.values())
        if self.aps.running:
            self.aps.shutdown(wait=False)
        if active:
            names = ", ".join(a.source for a in active)
            log.info(
                "waiting up to %gs for running crawls to finish: %s",
                self.config.shutdown_grace,
                names,
            )
            self._wait(active, self.config.shutdown_grace)
            left = [a for a in active if not a.done.is_set()]
            for a in left:
                log.warning("stopping the crawl of %s (run #%s)", a.source, a.run_id)
                a.signal(signal.SIGTERM)
            self._wait(left, self.config.kill_after, hurry=False)
            for a in left:
                if not a.done.is_set():
                    log.warning("killing the crawl of %s (run #%s)", a.source, a.run_id)
                    a.signal(signal.SIGKILL)
            self._wait(left, 30, hurry=False)
        # Whatever is still open now was ours: never leave it "running".
        run_ids = [a.run_id for a in active if a.run_id is not None]
        if run_ids:
            with self.archive.write_session() as session:
                for run in session.scalars(
                    select(CrawlRun).where(CrawlRun.id.in_(run_ids), CrawlRun.status == "running")
                ):
                    run.status = "aborted"
                    run.finished_at = utcnow()
                    run.message = "stopped: the scheduler shut down"

    def _wait(self, active: list[_Active], seconds: float, *, hurry: bool = True) -> None:
        deadline = time.monotonic() + seconds
        for a in active:
            while not a.done.is_set():
                left = deadline - time.monotonic()
                if left <= 0 or (hurry and self.hurry.is_set()):
                    return
                a.done.wait(min(left, 0.2))


def _still_running(run_id: int | None) -> str:
    which = f"run #{run_id}" if run_id is not None else "the previous run"
    return f"{which} of this source was still running"


def _job_source(job_id: str) -> tuple[str, str]:
    if job_id.startswith(RUN_NOW_PREFIX):
        return job_id[len(RUN_NOW_PREFIX) :].rsplit(":", 1)[0], "manual"
    return job_id[len(SCHEDULE_PREFIX) :], "schedule"


#: The scheduler serving in this process (the job function reaches it through here).
_CURRENT: Scheduler | None = None


def run_source(name: str, trigger: str = "schedule", config: str | None = None) -> None:
    """The job function: crawl ``name`` through the scheduler serving in this process."""
    if _CURRENT is None:
        log.error("job for %s ran outside a scheduler: ignored", name)
        return
    _CURRENT.crawl(name, trigger)


def serve(config: SchedulerConfig) -> int:
    """Run the scheduler in the foreground until SIGTERM/SIGINT; returns an exit code.

    Raises:
        SchedulerLockedError: another scheduler drives the database.
        ArchiveError: the database cannot be used.
    """
    global _CURRENT
    logging.basicConfig(
        level=os.environ.get("PRESSBOX_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    archive = open_archive(config.db)
    try:
        scheduler = Scheduler(archive, config)
        _CURRENT = scheduler
        previous = {
            sig: signal.signal(sig, scheduler.request_stop)
            for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            return scheduler.run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            _CURRENT = None
    finally:
        archive.close()


# -- helpers for the CLI --------------------------------------------------------------------------


def queue_run_now(archive: Archive, name: str) -> str | None:
    """Ask the scheduler to crawl ``name`` now (a one-off job in its job store).

    Returns the holder of the scheduler lock (None: no scheduler runs now; the run starts when
    one does).

    Raises:
        NotFoundError: unknown source, or the source has no schedule.
    """
    from apscheduler.job import Job
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.date import DateTrigger

    from archive.schedules import get_schedule

    with archive.session() as session:
        get_schedule(session, name)
        holder = lock_holder(session)
    store = SQLAlchemyJobStore(engine=archive.engine, tablename=JOB_TABLE)
    aps = BackgroundScheduler(timezone=UTC)  # never started: the job and the store need one
    store.start(aps, "default")
    now = datetime.now(UTC)
    store.add_job(
        Job(
            aps,
            id=f"{RUN_NOW_PREFIX}{name}:{uuid.uuid4().hex[:8]}",
            func=JOB_FUNC,
            trigger=DateTrigger(run_date=now, timezone=UTC),
            executor="default",
            args=[name],
            kwargs={"trigger": "manual"},
            name=f"crawl {name} now",
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
            next_run_time=now,
        )
    )
    return holder.holder if holder else None


def job_next_runs(engine: Engine) -> dict[str, datetime | None] | None:
    """The scheduler's next run time per scheduled source (None: it never ran on this db)."""
    if not inspect(engine).has_table(JOB_TABLE):
        return None
    jobs = table(JOB_TABLE, column("id"), column("next_run_time"))
    with engine.connect() as conn:
        rows = conn.execute(
            select(jobs.c.id, jobs.c.next_run_time).where(jobs.c.id.like(SCHEDULE_PREFIX + "%"))
        ).all()
    return {
        job_id[len(SCHEDULE_PREFIX) :]: (
            None if ts is None else datetime.fromtimestamp(float(ts), UTC)
        )
        for job_id, ts in rows
    }


def main(argv: list[str] | None = None) -> int:
    """``python scheduler.py [--db URL] [--set NAME=VALUE]...``"""
    parser = argparse.ArgumentParser(
        prog="scheduler.py", description="Run the pressbox scheduler in the foreground."
    )
    parser.add_argument("--db", help="archive database URL (default: $PRESSBOX_DB)")
    parser.add_argument(
        "--redis", help="feed this Redis frontier for crawl workers (default: $PRESSBOX_REDIS)"
    )
    parser.add_argument("--namespace", help="key prefix on Redis (default: pressbox)")
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="Scrapy setting for every crawl",
    )
    args = parser.parse_args(argv)
    try:
        config = SchedulerConfig.from_env(
            db=args.db or os.environ.get("PRESSBOX_DB"),
            settings=parse_settings(args.settings),
            redis=args.redis,
            namespace=args.namespace,
        )
        return serve(config)
    except ArchiveError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    # Run the importable module, not this __main__ copy: stored jobs name "scheduler:run_source"
    # and must reach the scheduler that serves.
    import scheduler as _module

    sys.exit(_module.main())
