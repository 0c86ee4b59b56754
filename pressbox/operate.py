"""Operator commands: ``schedule ...``, ``scheduler``, ``runs`` and ``status``.

Thin over :mod:`archive.schedules`, :mod:`archive.health` and :mod:`scheduler`.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from pressbox.cli import CONTEXT_SETTINGS, cli, db_option, emit, format_option, opened

RUN_COLUMNS = [
    "id",
    "source",
    "trigger",
    "started_at",
    "finished_at",
    "outcome",
    "pages",
    "new_articles",
    "new_versions",
    "errors",
    "flag",
    "message",
    "log_file",
]
SCHEDULE_COLUMNS = [
    "source",
    "trigger",
    "jitter",
    "timeout",
    "paused",
    "next_run",
    "last_run",
    "last_outcome",
    "last_flag",
]
STATUS_COLUMNS = [
    "source",
    "scheduled",
    "running",
    "last_run",
    "last_outcome",
    "last_ok",
    "articles_24h",
    "error_rate_24h",
    "problem",
]


# -- schedule -------------------------------------------------------------------------------------


@cli.group(context_settings=CONTEXT_SETTINGS)
def schedule() -> None:
    """Crawl sources on a schedule (run `pressbox scheduler` to carry the schedules out)."""


@schedule.command("add")
@click.argument("name")
@click.option("--cron", metavar="EXPR", help="Crontab expression, e.g. '0 6 * * 1-5' (UTC).")
@click.option("--every", metavar="DURATION", help="Interval, e.g. 90s, 30m, 6h.")
@click.option("--jitter", type=float, metavar="SECONDS", help="Start up to this much later.")
@click.option("--timeout", metavar="DURATION", help="Stop a run after this long (e.g. 20m).")
@click.option(
    "--timezone", default="UTC", show_default=True, help="Time zone of --cron, e.g. Europe/London."
)
@click.option("--replace", is_flag=True, help="Replace the source's existing schedule.")
@db_option
def schedule_add(
    name: str,
    cron: str | None,
    every: str | None,
    jitter: float | None,
    timeout: str | None,
    timezone: str,
    replace: bool,
    db: str | None,
) -> None:
    """Schedule crawls of a source.

    \b
    Examples:
      pressbox schedule add sportsdaily --every 30m --timeout 20m
      pressbox schedule add morningpaper --cron '0 6 * * 1-5' --timezone Europe/London
    """
    from archive.schedules import ScheduleSpec, add_schedule, describe_trigger

    spec = ScheduleSpec(
        source=name, cron=cron, every=every, jitter=jitter, timeout=timeout, timezone=timezone
    )
    with opened(db) as archive, archive.write_session() as session:
        row = add_schedule(session, spec, replace=replace)
        click.echo(f"Scheduled {name}: {describe_trigger(row)}.")


@schedule.command("list")
@db_option
@format_option("table", "json", "csv")
def schedule_list(db: str | None, fmt: str) -> None:
    """List the schedules: trigger, next run, last run and its outcome, paused or not.

    \b
    Example:
      pressbox schedule list --format json
    """
    from archive.schedules import schedule_rows
    from scheduler import job_next_runs

    with opened(db) as archive:
        next_runs = job_next_runs(archive.engine)
        with archive.session() as session:
            rows = schedule_rows(session, next_runs)
    emit(rows, fmt, SCHEDULE_COLUMNS)


def _set_paused(name: str, db: str | None, paused: bool) -> None:
    from archive.schedules import set_paused

    with opened(db) as archive, archive.write_session() as session:
        set_paused(session, name, paused)
    click.echo(f"{'Paused' if paused else 'Resumed'} the schedule of {name}.")


@schedule.command("pause")
@click.argument("name")
@db_option
def schedule_pause(name: str, db: str | None) -> None:
    """Pause a source's schedule (a running scheduler stops starting its runs).

    \b
    Example:
      pressbox schedule pause sportsdaily
    """
    _set_paused(name, db, True)


@schedule.command("resume")
@click.argument("name")
@db_option
def schedule_resume(name: str, db: str | None) -> None:
    """Resume a paused schedule.

    \b
    Example:
      pressbox schedule resume sportsdaily
    """
    _set_paused(name, db, False)


@schedule.command("remove")
@click.argument("name")
@db_option
def schedule_remove(name: str, db: str | None) -> None:
    """Remove a source's schedule (the source and its archive stay).

    \b
    Example:
      pressbox schedule remove sportsdaily
    """
    from archive.schedules import remove_schedule

    with opened(db) as archive, archive.write_session() as session:
        remove_schedule(session, name)
    click.echo(f"Removed the schedule of {name}.")


@schedule.command("run-now")
@click.argument("name")
@db_option
def schedule_run_now(name: str, db: str | None) -> None:
    """Have the scheduler crawl a scheduled source now (skipped if a run of it is going).

    To crawl in this terminal instead, use `pressbox crawl NAME`.

    \b
    Example:
      pressbox schedule run-now sportsdaily
    """
    from scheduler import queue_run_now

    with opened(db) as archive:
        holder = queue_run_now(archive, name)
    if holder:
        click.echo(f"Queued a run of {name}; the scheduler ({holder}) starts it within seconds.")
    else:
        click.echo(
            f"Queued a run of {name}, but no scheduler is running on this database: it starts "
            "when `pressbox scheduler` does. Use `pressbox crawl NAME` to crawl now."
        )


# -- scheduler ------------------------------------------------------------------------------------


@cli.command("scheduler")
@click.option(
    "-s",
    "--set",
    "settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="Scrapy setting for every crawl (adds to $PRESSBOX_CRAWL_SETTINGS).",
)
@click.option(
    "--redis",
    envvar="PRESSBOX_REDIS",
    metavar="URL",
    help="Push due runs onto this Redis frontier for `pressbox worker`s instead of crawling here.",
)
@click.option("--namespace", metavar="PREFIX", help="Key prefix on Redis (default: pressbox).")
@db_option
def scheduler_command(
    settings: tuple[str, ...], redis: str | None, namespace: str | None, db: str | None
) -> None:
    """Run the scheduler in the foreground until SIGTERM or Ctrl-C.

    It crawls every scheduled source on time, each crawl its own process, never two runs of one
    source at once. Only one scheduler may drive a database. On SIGTERM/SIGINT, running crawls
    get $PRESSBOX_SHUTDOWN_GRACE seconds (default 30) to finish, then are stopped and recorded
    as aborted. See the README for a systemd unit.

    \b
    Example:
      pressbox scheduler --db sqlite:///pressbox.db
    """
    from scheduler import SchedulerConfig, parse_settings, serve

    config = SchedulerConfig.from_env(
        db=db, settings=parse_settings(settings), redis=redis, namespace=namespace
    )
    sys.exit(serve(config))


# -- runs and status ------------------------------------------------------------------------------


@cli.command()
@click.option("--source", metavar="NAME", help="Only this source's runs.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@db_option
@format_option("table", "json", "csv")
def runs(source: str | None, limit: int, db: str | None, fmt: str) -> None:
    """List crawl runs, newest first: trigger, times, outcome, counts, flags and log file.

    Outcomes: ok, failed, timed_out, skipped (a run of the source was still going), aborted
    (stopped, or its process died) and running.

    \b
    Example:
      pressbox runs --source sportsdaily --limit 5
    """
    from sqlalchemy import select

    from archive.models import CrawlRun
    from archive.sources import get_source

    with opened(db) as archive, archive.session() as session:
        query = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
        if source:
            query = query.where(CrawlRun.source_id == get_source(session, source).id)
        rows = [_run_row(run) for run in session.scalars(query)]
    emit(rows, fmt, RUN_COLUMNS)


def _run_row(run: Any) -> dict[str, Any]:
    return {
        "id": run.id,
        "source": run.source_name,
        "trigger": run.trigger,
        "started_at": run.started_at.isoformat(timespec="seconds"),
        "finished_at": run.finished_at.isoformat(timespec="seconds") if run.finished_at else None,
        "outcome": run.status,
        "pages": run.pages_fetched,
        "new_articles": run.articles_new,
        "new_versions": run.versions_new,
        "errors": run.errors,
        "flag": run.flag_reason if run.flagged else None,
        "message": run.message,
        "log_file": run.log_file,
        "workers": list(run.workers or []),
    }


@cli.command()
@db_option
@format_option("table", "json", "csv")
def status(db: str | None, fmt: str) -> None:
    """Summarise every source: last (successful) run, last day's articles and error rate, and
    flagged problems. Exits with code 1 when a problem is flagged, for cron or monitoring.

    \b
    Example:
      pressbox status || notify-ops "pressbox needs a look"
    """
    from archive.health import source_status

    with opened(db) as archive, archive.session() as session:
        rows = source_status(session)
    emit(rows, fmt, STATUS_COLUMNS)
    if any(row["problem"] for row in rows):
        sys.exit(1)
