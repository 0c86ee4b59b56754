"""Schedules (validation, CRUD), the scheduler lock and run health: base dependencies only."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from archive.db import Archive, open_archive
from archive.errors import NotFoundError, SchedulerLockedError, ValidationError
from archive.health import HealthRules, evaluate_run, source_status
from archive.models import CrawlRun, SchedulerLock
from archive.runs import start_run
from archive.schedules import (
    ScheduleSpec,
    acquire_lock,
    add_schedule,
    build_trigger,
    describe_trigger,
    get_schedule,
    lock_holder,
    parse_cron,
    refresh_lock,
    release_lock,
    remove_schedule,
    schedule_rows,
    schedules_fingerprint,
    set_paused,
    this_holder,
)
from archive.sources import SourceSpec, add_source


@pytest.fixture
def db(fresh_db_url: str) -> Iterator[Archive]:
    archive = open_archive(fresh_db_url)
    with archive.session() as s:
        add_source(s, SourceSpec(name="daily", url="https://daily.example.com/"))
    yield archive
    archive.close()


def add(db: Archive, **fields: object) -> None:
    with db.write_session() as s:
        add_schedule(s, ScheduleSpec(source="daily", **fields))  # type: ignore[arg-type]


# -- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "exactly one of --cron"),
        ({"cron": "* * * * *", "every": "5m"}, "exactly one of --cron"),
        ({"cron": "0 6 * *"}, "give five fields"),
        ({"cron": "61 6 * * *"}, "minute field '61'"),
        ({"cron": "0 25 * * *"}, "hour field '25'"),
        ({"cron": "0 6 * 13 *"}, "month field '13'"),
        ({"cron": "0 6 * * 8"}, "day-of-week value '8'"),
        ({"cron": "0 6 * * fri-mon"}, "runs backwards"),
        ({"every": "30"}, "--every: Bad duration '30'"),
        ({"every": "0s"}, "greater than zero"),
        ({"every": "5m", "timeout": "soon"}, "--timeout: Bad duration 'soon'"),
        ({"every": "5m", "timezone": "Mars/Olympus"}, "Bad --timezone 'Mars/Olympus'"),
        ({"every": "5m", "jitter": -1.0}, "Bad --jitter"),
    ],
)
def test_bad_schedules_are_refused_naming_the_bad_part(
    db: Archive, fields: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        add(db, **fields)


def test_an_unknown_source_is_named(db: Archive) -> None:
    with db.session() as s, pytest.raises(NotFoundError, match="No source named 'nope'"):
        add_schedule(s, ScheduleSpec(source="nope", every="5m"))


def test_cron_weekdays_are_crontabs_sunday_is_zero() -> None:
    # 2026-11-27 is a Friday: "weekdays at 06:00" next fires on Monday 30th, not on Saturday.
    friday_noon = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    weekdays = parse_cron("0 6 * * 1-5")
    assert weekdays.get_next_fire_time(None, friday_noon) == datetime(
        2026, 11, 30, 6, 0, tzinfo=UTC
    )
    sunday = parse_cron("30 7 * * 0")
    assert sunday.get_next_fire_time(None, friday_noon) == datetime(2026, 11, 29, 7, 30, tzinfo=UTC)
    assert parse_cron("0 7 * * 7").get_next_fire_time(None, friday_noon).weekday() == 6
    assert parse_cron("0 7 * * sat,sun").get_next_fire_time(None, friday_noon).day == 28


def test_cron_in_a_time_zone() -> None:
    trigger = parse_cron("0 6 * * *", "Europe/London")
    summer = trigger.get_next_fire_time(None, datetime(2026, 7, 1, tzinfo=UTC))
    assert summer.astimezone(UTC).hour == 5  # 06:00 BST


def test_add_list_pause_resume_remove(db: Archive) -> None:
    add(db, every="30m", timeout="20m", jitter=5.0)
    with db.session() as s:
        schedule = get_schedule(s, "daily")
        assert (schedule.every_seconds, schedule.timeout, schedule.jitter) == (1800, 1200, 5)
        assert describe_trigger(schedule) == "every 30m"
        [row] = schedule_rows(s)
        assert row["source"] == "daily"
        assert row["paused"] is False
        assert row["next_run"] is not None
    with pytest.raises(ValidationError, match="already has a schedule"):
        add(db, cron="0 6 * * 1-5")
    with db.write_session() as s:
        add_schedule(
            s,
            ScheduleSpec(source="daily", cron="0 6 * * 1-5", timezone="Europe/London"),
            replace=True,
        )
    with db.session() as s:
        assert describe_trigger(get_schedule(s, "daily")) == "cron 0 6 * * 1-5 Europe/London"
        before = schedules_fingerprint(s)
    with db.write_session() as s:
        set_paused(s, "daily", True)
    with db.session() as s:
        assert schedules_fingerprint(s) != before
        [row] = schedule_rows(s)
        assert row["paused"] is True
        assert row["next_run"] is None
    with db.write_session() as s:
        remove_schedule(s, "daily")
    with db.session() as s, pytest.raises(NotFoundError, match="has no schedule"):
        get_schedule(s, "daily")


def test_interval_trigger_fires_every_interval(db: Archive) -> None:
    add(db, every="90s")
    with db.session() as s:
        trigger = build_trigger(get_schedule(s, "daily"))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    first = trigger.get_next_fire_time(None, start)
    assert trigger.get_next_fire_time(first, first) - first == timedelta(seconds=90)


# -- the lock -------------------------------------------------------------------------------------


def test_one_holder_at_a_time(db: Archive) -> None:
    with db.write_session() as s:
        acquire_lock(s, "hostA:1", 60)
    with db.write_session() as s, pytest.raises(SchedulerLockedError, match="hostA:1"):
        acquire_lock(s, "hostB:2", 60)
    with db.write_session() as s:
        acquire_lock(s, "hostA:1", 60)  # the holder may take it again
        assert refresh_lock(s, "hostA:1", 60)
        assert not refresh_lock(s, "hostB:2", 60)
        release_lock(s, "hostB:2")  # not the holder: no effect
    with db.session() as s:
        info = lock_holder(s)
        assert info is not None
        assert info.holder == "hostA:1"
    with db.write_session() as s:
        release_lock(s, "hostA:1")
    with db.session() as s:
        assert lock_holder(s) is None
    with db.write_session() as s:
        acquire_lock(s, "hostB:2", 60)


def test_an_expired_lock_is_taken_over(db: Archive) -> None:
    with db.write_session() as s:
        acquire_lock(s, "elsewhere:1", 60)
        lock = s.get(SchedulerLock, 1)
        assert lock is not None
        lock.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    with db.write_session() as s:
        assert acquire_lock(s, "here:2", 60).holder == "here:2"
        assert not refresh_lock(s, "elsewhere:1", 60)  # the old holder learns it lost the lock


def test_a_lock_of_a_dead_process_on_this_host_is_taken_over(db: Archive) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    host = this_holder().rpartition(":")[0]
    with db.write_session() as s:
        acquire_lock(s, f"{host}:{int(dead.stdout)}", 3600)
    with db.session() as s:
        assert lock_holder(s) is None
    with db.write_session() as s:
        assert acquire_lock(s, this_holder(), 60).holder == this_holder()


# -- health ---------------------------------------------------------------------------------------


def _run(db: Archive, status: str = "ok", **counts: int) -> CrawlRun:
    with db.write_session() as s:
        from archive.sources import get_source

        run = start_run(s, get_source(s, "daily"))
        run.status = status
        run.finished_at = datetime.now(UTC)
        for key, value in counts.items():
            setattr(run, key, value)
        evaluate_run(s, run, HealthRules())
        return run


def test_health_flags_errors_and_collapses_and_clears_after_a_good_run(db: Archive) -> None:
    assert not _run(db, pages_fetched=500, articles_new=400).flagged  # the first run: a backfill
    for _ in range(3):
        assert not _run(db, pages_fetched=60, articles_new=40).flagged
    bad = _run(db, pages_fetched=20, errors=20)
    assert bad.flagged
    assert "error rate 100%" in (bad.flag_reason or "")
    assert "0 articles where recent runs saw about 40" in (bad.flag_reason or "")
    with db.session() as s:
        [row] = source_status(s)
        assert row["problem"].startswith(f"run #{bad.id}: error rate")
    assert _run(db, "timed_out").flagged
    # Skipped and aborted runs neither flag nor clear a problem.
    assert not _run(db, "skipped").flagged
    assert not _run(db, "aborted").flagged
    with db.session() as s:
        assert source_status(s)[0]["problem"] is not None
    good = _run(db, pages_fetched=50, unchanged=30)
    assert not good.flagged
    with db.session() as s:
        [row] = source_status(s)
        assert row["problem"] is None
        assert row["last_outcome"] == "ok"


def test_a_quiet_source_is_not_flagged(db: Archive) -> None:
    _run(db, pages_fetched=60, articles_new=50)  # the first run's backfill is no baseline
    for _ in range(3):
        _run(db, pages_fetched=6, articles_new=2)
    assert not _run(db, pages_fetched=5, articles_new=0).flagged
