"""Schedules (when each source is crawled) and the scheduler lock (one scheduler per database).

The ``schedules`` table is the operator's record: ``pressbox schedule add/pause/...`` edit it, and
a running scheduler mirrors it into APScheduler jobs within a second. Cron expressions use the
usual five crontab fields with crontab's weekday numbers (0 or 7 = Sunday), whatever APScheduler
3 does with them.

The ``scheduler_lock`` table holds at most one row: the scheduler that drives the database, as
``host:pid``, with an ``expires_at`` that its heartbeat keeps in the future. A lock that expired,
or whose holder ran on this host and no longer exists, can be taken over.

APScheduler is pure Python and light, so it is imported here to validate and describe triggers;
nothing in this module needs Scrapy, Twisted or trafilatura.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from archive.errors import NotFoundError, SchedulerLockedError, ValidationError
from archive.models import CrawlRun, Schedule, SchedulerLock, Source
from archive.revisit import parse_duration
from archive.runs import pid_alive
from archive.sources import get_source
from archive.types import utcnow

__all__ = [
    "JOB_TABLE",
    "LockInfo",
    "ScheduleSpec",
    "acquire_lock",
    "add_schedule",
    "build_trigger",
    "describe_trigger",
    "get_schedule",
    "list_schedules",
    "lock_holder",
    "parse_cron",
    "parse_timezone",
    "refresh_lock",
    "release_lock",
    "remove_schedule",
    "schedule_rows",
    "schedules_fingerprint",
    "set_paused",
    "this_holder",
]

#: The APScheduler job store's table, in the archive database.
JOB_TABLE = "apscheduler_jobs"
_LOCK_ID = 1
_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


# -- validation -----------------------------------------------------------------------------------


def parse_timezone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (e.g. ``Europe/London``).

    Raises:
        ValidationError: naming the bad time zone.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValidationError(
            f"Bad --timezone {name!r}: give an IANA time zone name such as UTC, "
            "Europe/London or America/New_York."
        ) from None


def _weekday(token: str, expr: str) -> int:
    token = token.strip().lower()
    if token[:3] in _DAYS and token.isalpha():
        return _DAYS.index(token[:3])
    if token.isdigit() and 0 <= int(token) <= 7:
        return int(token) % 7
    raise ValidationError(
        f"Bad cron expression {expr!r}: day-of-week value {token!r} is not 0-7 or a day name "
        "(sun, mon, ...)."
    )


def _crontab_weekdays(field: str, expr: str) -> str:
    """Crontab's day-of-week field (0/7 = Sunday) as APScheduler day names (its 0 is Monday)."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        rng, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ValidationError(
                    f"Bad cron expression {expr!r}: day-of-week step {step_text!r} must be a "
                    "whole number >= 1."
                )
            step = int(step_text)
        if rng == "*":
            first, last = 0, 6
        elif "-" in rng:
            a, b = rng.split("-", 1)
            first, last = _weekday(a, expr), _weekday(b, expr)
            if b.strip() == "7":
                last = 7
            if last < first:
                raise ValidationError(
                    f"Bad cron expression {expr!r}: day-of-week range {rng!r} runs backwards."
                )
        else:
            first = last = _weekday(rng, expr)
        days.update(d % 7 for d in range(first, last + 1, step))
    return ",".join(_DAYS[d] for d in sorted(days))


def parse_cron(expr: str, timezone: str = "UTC", jitter: float | None = None) -> CronTrigger:
    """A trigger for a five-field crontab expression (minute hour day month day-of-week).

    Raises:
        ValidationError: naming the bad expression and, where possible, the bad field.
    """
    tz = parse_timezone(timezone)
    fields = (expr or "").split()
    names = ["minute", "hour", "day-of-month", "month", "day-of-week"]
    if len(fields) != 5:
        raise ValidationError(
            f"Bad cron expression {expr!r}: give five fields (minute hour day-of-month month "
            "day-of-week), e.g. '*/30 * * * *' or '0 6 * * 1-5'."
        )
    dow = _crontab_weekdays(fields[4], expr)
    keys = ["minute", "hour", "day", "month"]
    for key, name, value in zip(keys, names, fields, strict=False):
        try:
            CronTrigger(**{key: value}, timezone=tz)
        except ValueError as exc:
            raise ValidationError(
                f"Bad cron expression {expr!r}: {name} field {value!r}: {exc}."
            ) from None
    try:
        return CronTrigger(
            minute=fields[0],
            hour=fields[1],
            day=fields[2],
            month=fields[3],
            day_of_week=dow,
            timezone=tz,
            jitter=int(jitter) if jitter else None,
        )
    except ValueError as exc:
        raise ValidationError(f"Bad cron expression {expr!r}: {exc}.") from None


@dataclass(slots=True)
class ScheduleSpec:
    """A schedule as an operator gives it: exactly one of ``cron`` and ``every``."""

    source: str
    cron: str | None = None
    every: str | None = None
    jitter: float | None = None
    timeout: str | None = None
    timezone: str = "UTC"

    def validate(self) -> tuple[float | None, float | None]:
        """Check every field; returns (interval seconds or None, timeout seconds or None).

        Raises:
            ValidationError: naming the bad part.
        """
        if (self.cron is None) == (self.every is None):
            raise ValidationError(
                f"Give exactly one of --cron EXPR and --every DURATION for source "
                f"{self.source!r} (e.g. --every 30m, or --cron '0 6 * * 1-5')."
            )
        parse_timezone(self.timezone)
        if self.jitter is not None and (self.jitter < 0 or self.jitter != self.jitter):
            raise ValidationError(f"Bad --jitter {self.jitter!r}: give seconds >= 0.")
        every = None
        if self.every is not None:
            every = _duration(self.every, "--every")
        else:
            parse_cron(self.cron or "", self.timezone, self.jitter)
        timeout = None if self.timeout is None else _duration(self.timeout, "--timeout")
        return every, timeout


def _duration(text: str, option: str) -> float:
    try:
        return parse_duration(text).total_seconds()
    except ValidationError as exc:
        raise ValidationError(f"{option}: {exc}") from None


def build_trigger(schedule: Schedule) -> CronTrigger | IntervalTrigger:
    """The APScheduler trigger of a stored schedule."""
    jitter = int(schedule.jitter) if schedule.jitter else None
    if schedule.cron:
        return parse_cron(schedule.cron, schedule.timezone, schedule.jitter)
    return IntervalTrigger(
        seconds=schedule.every_seconds or 0,
        timezone=parse_timezone(schedule.timezone),
        jitter=jitter,
    )


def _seconds_text(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def describe_trigger(schedule: Schedule) -> str:
    """``every 30m`` or ``cron 0 6 * * 1-5 Europe/London``, for listings."""
    if schedule.cron:
        text = f"cron {schedule.cron}"
    else:
        text = f"every {_seconds_text(schedule.every_seconds or 0)}"
    if schedule.timezone != "UTC":
        text += f" {schedule.timezone}"
    return text


# -- CRUD -----------------------------------------------------------------------------------------


def add_schedule(session: Session, spec: ScheduleSpec, *, replace: bool = False) -> Schedule:
    """Schedule a source (or change its schedule when ``replace`` is true).

    Raises:
        NotFoundError: unknown source.
        ValidationError: a bad field, or the source has a schedule and ``replace`` is false.
    """
    source = get_source(session, spec.source)
    every, timeout = spec.validate()
    existing = session.scalars(select(Schedule).where(Schedule.source_id == source.id)).first()
    if existing is not None and not replace:
        raise ValidationError(
            f"Source {spec.source!r} already has a schedule ({describe_trigger(existing)}). "
            "Add --replace to change it, or `pressbox schedule remove` it first."
        )
    schedule = existing or Schedule(source_id=source.id)
    schedule.cron = spec.cron.strip() if spec.cron else None
    schedule.every_seconds = every
    schedule.jitter = spec.jitter or None
    schedule.timeout = timeout
    schedule.timezone = spec.timezone
    schedule.updated_at = utcnow()
    session.add(schedule)
    session.flush()
    return schedule


def get_schedule(session: Session, name: str) -> Schedule:
    """The schedule of source ``name``.

    Raises:
        NotFoundError: the source does not exist, or has no schedule.
    """
    source = get_source(session, name)
    schedule = session.scalars(select(Schedule).where(Schedule.source_id == source.id)).first()
    if schedule is None:
        raise NotFoundError(
            f"Source {name!r} has no schedule. Add one with "
            f"`pressbox schedule add {name} --every 30m`."
        )
    return schedule


def list_schedules(session: Session) -> list[tuple[str, Schedule]]:
    """Every schedule with its source's name, by name."""
    rows = session.execute(
        select(Source.name, Schedule)
        .join(Source, Source.id == Schedule.source_id)
        .order_by(Source.name)
    )
    return [(name, schedule) for name, schedule in rows]


def set_paused(session: Session, name: str, paused: bool) -> Schedule:
    """Pause or resume the schedule of source ``name``."""
    schedule = get_schedule(session, name)
    schedule.paused = paused
    schedule.updated_at = utcnow()
    return schedule


def remove_schedule(session: Session, name: str) -> None:
    """Remove the schedule of source ``name`` (the source and its archive stay)."""
    session.delete(get_schedule(session, name))


def schedules_fingerprint(session: Session) -> tuple[int, datetime | None]:
    """(count, latest ``updated_at``) of the schedules: cheap to poll for changes."""
    count, latest = session.execute(
        select(func.count(Schedule.id), func.max(Schedule.updated_at))
    ).one()
    if isinstance(latest, str):  # SQLite's max() of a DateTime column comes back as text
        latest = datetime.fromisoformat(latest)
    return int(count), latest


def schedule_rows(
    session: Session, next_runs: dict[str, datetime | None] | None = None
) -> list[dict[str, Any]]:
    """One row per schedule for ``pressbox schedule list``.

    Args:
        next_runs: the scheduler's own next run time per source (from its job store), when
            known; else the next fire time is computed from the trigger.
    """
    rows = []
    now = utcnow()
    for name, schedule in list_schedules(session):
        last = session.scalars(
            select(CrawlRun)
            .where(CrawlRun.source_id == schedule.source_id)
            .order_by(CrawlRun.id.desc())
            .limit(1)
        ).first()
        if schedule.paused:
            next_run = None
        elif next_runs is not None and name in next_runs:
            next_run = next_runs[name]
        else:
            next_run = build_trigger(schedule).get_next_fire_time(None, now)
        rows.append(
            {
                "source": name,
                "trigger": describe_trigger(schedule),
                "jitter": schedule.jitter,
                "timeout": _seconds_text(schedule.timeout) if schedule.timeout else None,
                "paused": schedule.paused,
                "next_run": _iso(next_run),
                "last_run": _iso(last.started_at) if last else None,
                "last_outcome": last.status if last else None,
                "last_flag": last.flag_reason if last and last.flagged else None,
            }
        )
    return rows


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(utcnow().tzinfo).isoformat(timespec="seconds")


# -- the scheduler lock ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LockInfo:
    holder: str
    acquired_at: datetime
    expires_at: datetime

    def describe(self) -> str:
        return (
            f"{self.holder} (since {_iso(self.acquired_at)}, lock expires "
            f"{_iso(self.expires_at)} unless renewed)"
        )


def this_holder() -> str:
    """This process as a lock holder: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _holder_dead(holder: str) -> bool:
    host, _, pid = holder.rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not pid_alive(int(pid))


def lock_holder(session: Session) -> LockInfo | None:
    """The scheduler holding the lock, or None when it is free (absent, expired or dead)."""
    lock = session.get(SchedulerLock, _LOCK_ID)
    if lock is None or lock.expires_at <= utcnow() or _holder_dead(lock.holder):
        return None
    return LockInfo(lock.holder, lock.acquired_at, lock.expires_at)


def acquire_lock(session: Session, holder: str, ttl: float) -> LockInfo:
    """Take the scheduler lock for ``holder`` for ``ttl`` seconds.

    Use a write session (on SQLite it takes the write lock up front, so two schedulers starting
    together cannot both win). A lock that expired, or whose holder ran on this host and is
    dead, is taken over.

    Raises:
        SchedulerLockedError: another live scheduler holds it (the message names it).
    """
    now = utcnow()
    lock = session.get(SchedulerLock, _LOCK_ID, with_for_update=True)
    if (
        lock is not None
        and lock.holder != holder
        and lock.expires_at > now
        and not _holder_dead(lock.holder)
    ):
        info = LockInfo(lock.holder, lock.acquired_at, lock.expires_at)
        raise SchedulerLockedError(
            f"Another scheduler drives this database: {info.describe()}. Stop it first "
            "(only one scheduler may run per database); if it died on another host, "
            "start again after its lock expires."
        )
    if lock is None:
        lock = SchedulerLock(id=_LOCK_ID, holder=holder, acquired_at=now)
        session.add(lock)
    elif lock.holder != holder:
        lock.holder = holder
        lock.acquired_at = now
    lock.expires_at = now + timedelta(seconds=ttl)
    try:
        session.flush()
    except IntegrityError:  # another scheduler inserted the row at the same moment
        raise SchedulerLockedError(
            "Another scheduler took the lock on this database at the same moment. "
            "Stop it first: only one scheduler may run per database."
        ) from None
    return LockInfo(lock.holder, lock.acquired_at, lock.expires_at)


def refresh_lock(session: Session, holder: str, ttl: float) -> bool:
    """Push the lock's expiry ``ttl`` seconds ahead; False if ``holder`` no longer holds it."""
    lock = session.get(SchedulerLock, _LOCK_ID, with_for_update=True)
    if lock is None or lock.holder != holder:
        return False
    lock.expires_at = utcnow() + timedelta(seconds=ttl)
    return True


def release_lock(session: Session, holder: str) -> None:
    """Give the lock up (only if ``holder`` holds it)."""
    session.execute(
        delete(SchedulerLock).where(SchedulerLock.id == _LOCK_ID, SchedulerLock.holder == holder)
    )
