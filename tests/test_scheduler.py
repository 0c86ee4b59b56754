"""The real scheduler, in a subprocess, against the local test site (1-2 second schedules).

Every wait polls the archive with a generous deadline; nothing sleeps a fixed time.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from archive.db import Archive, open_archive
from archive.models import CrawlRun, SchedulerLock
from archive.runs import pid_alive
from archive.sources import SourceSpec, add_source
from crawler.runner import prune_logs
from pressbox.cli import cli
from tests.mockserver import MockServer

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
#: Crawl settings for our loopback site (as tests/crawler/conftest.py FAST).
FAST = (
    "AUTOTHROTTLE_ENABLED=False,PRESSBOX_RETRY_BACKOFF=0.05,DOWNLOAD_TIMEOUT=3,"
    "PRESSBOX_FLUSH_INTERVAL=0.5"
)
T = TypeVar("T")


#: The scheduler under test, whose log a failed wait shows.
CURRENT: list[SchedulerProcess] = []


def wait_for(what: str, fn: Callable[[], T], timeout: float = 60.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            logs = "\n".join(
                line
                for p in CURRENT[-1:]
                for line in p.text().splitlines()
                if "ERROR" in line or "Traceback" in line or "starting" in line
            )[-6000:]
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}\n{logs}")
        time.sleep(0.2)


class SchedulerProcess:
    """``python scheduler.py --db URL`` in a subprocess, its log in a file."""

    def __init__(self, db_url: str, tmp_path: Path, **env: str) -> None:
        self.log = tmp_path / f"scheduler-{time.monotonic_ns()}.log"
        self.env = {
            **os.environ,
            "PRESSBOX_CRAWL_SETTINGS": FAST,
            "PRESSBOX_LOG_DIR": str(tmp_path / "logs"),
            "PRESSBOX_EXTRACT_WORKERS": "1",
            **env,
        }
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "scheduler.py", "--db", db_url],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_started(self) -> None:
        wait_for("the scheduler to start", lambda: "holds the lock" in self.text(), 30)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"the scheduler did not stop on {sig}:\n{self.text()}") from None


@pytest.fixture
def db_url(fresh_db_url: str) -> str:
    return fresh_db_url


@pytest.fixture
def archive(db_url: str) -> Iterator[Archive]:
    a = open_archive(db_url)
    yield a
    a.close()


@pytest.fixture
def start(db_url: str, tmp_path: Path) -> Iterator[Callable[..., SchedulerProcess]]:
    started: list[SchedulerProcess] = []

    def _start(**env: str) -> SchedulerProcess:
        process = SchedulerProcess(db_url, tmp_path, **env)
        started.append(process)
        CURRENT[:] = [process]
        return process

    yield _start
    for process in started:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait()


@pytest.fixture
def site() -> Iterator[MockServer]:
    with MockServer(articles=6, exclusive=False, errors=False) as server:
        yield server


def add_site(archive: Archive, server: MockServer, name: str) -> None:
    spec = SourceSpec(name=name, url=server.url("/"), feeds=[server.url("/feed.xml")])
    with archive.write_session() as s:
        add_source(s, spec)


def pressbox(db_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--db", db_url])


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def runs_of(archive: Archive, name: str, **where: Any) -> list[CrawlRun]:
    with archive.session() as s:
        query = select(CrawlRun).where(CrawlRun.source_name == name).order_by(CrawlRun.id)
        for key, value in where.items():
            query = query.where(getattr(CrawlRun, key) == value)
        return list(s.scalars(query))


def done(archive: Archive, name: str) -> list[CrawlRun]:
    """Finished runs that were not skipped."""
    return [r for r in runs_of(archive, name) if r.status not in ("running", "skipped")]


def test_runs_happen_without_overlap_pauses_hold_and_changes_apply_live(
    archive: Archive, db_url: str, start: Callable[..., SchedulerProcess], site: MockServer
) -> None:
    with MockServer(articles=4, exclusive=False, errors=False) as other:
        add_site(archive, site, "slow")
        add_site(archive, other, "added")
        add_site(archive, site, "paused")
        ok(pressbox(db_url, "schedule", "add", "slow", "--every", "1s"))
        ok(pressbox(db_url, "schedule", "add", "paused", "--every", "1s"))
        ok(pressbox(db_url, "schedule", "pause", "paused"))
        site.delay(0.15)  # a crawl of "slow" takes several seconds: due again long before it ends
        scheduler = start()
        scheduler.wait_started()

        wait_for(
            "two runs of 'slow' and a skipped one",
            lambda: len(done(archive, "slow")) >= 2 and runs_of(archive, "slow", status="skipped"),
            90,
        )
        first, second = done(archive, "slow")[:2]
        assert (first.status, first.trigger) == ("ok", "schedule"), first.message
        assert first.articles_new == 6
        assert first.pages_fetched > 6
        assert first.errors == 0
        assert second.articles_new == 0
        assert second.status == "ok"
        assert Path(first.log_file or "").is_file()
        skipped = runs_of(archive, "slow", status="skipped")[0]
        assert "still running" in (skipped.message or "")
        crawled = done(archive, "slow")
        for a, b in itertools.pairwise(crawled):
            assert a.finished_at is not None
            assert a.finished_at <= b.started_at, "two runs of one source overlapped"

        # A schedule added while the scheduler runs is picked up.
        ok(pressbox(db_url, "schedule", "add", "added", "--every", "1s"))
        [added] = wait_for("a run of 'added'", lambda: done(archive, "added")[:1], 60)
        assert added.status == "ok", added.message
        assert added.articles_new == 4

        # A paused schedule does not run; pausing and run-now work while it runs.
        ok(pressbox(db_url, "schedule", "pause", "slow"))
        wait_for("the pause to apply", lambda: "paused slow" in scheduler.text(), 30)
        wait_for("'slow' to be idle", lambda: not runs_of(archive, "slow", status="running"))
        count = len(runs_of(archive, "slow"))
        seen = len(done(archive, "added"))
        wait_for("two more runs of 'added'", lambda: len(done(archive, "added")) >= seen + 2, 60)
        assert len(runs_of(archive, "slow")) == count, "a paused schedule ran"
        assert runs_of(archive, "paused") == []

        listing = ok(pressbox(db_url, "schedule", "list", "--format", "json")).output
        assert '"paused": true' in listing
        site.delay(0)
        assert "Queued a run of slow" in ok(pressbox(db_url, "schedule", "run-now", "slow")).output
        manual = wait_for(
            "the run-now run",
            lambda: [r for r in runs_of(archive, "slow", trigger="manual") if r.status == "ok"],
        )
        assert manual[0].articles_new == 0

        runs = ok(pressbox(db_url, "runs", "--source", "slow", "--format", "csv")).output
        assert runs.splitlines()[0].startswith("id,source,trigger,started_at,finished_at,outcome")
        assert ",skipped," in runs
        assert scheduler.stop() == 0
    assert runs_of(archive, "slow", status="running") == []
    assert runs_of(archive, "added", status="running") == []
    with archive.session() as s:
        assert s.get(SchedulerLock, 1) is None, "the lock was not released"


def test_sigkill_then_restart_recovers_and_sigterm_never_leaves_a_run_running(
    archive: Archive, db_url: str, start: Callable[..., SchedulerProcess], site: MockServer
) -> None:
    add_site(archive, site, "news")
    ok(pressbox(db_url, "schedule", "add", "news", "--every", "1s"))
    site.delay(0.3)
    first = start()
    running = wait_for(
        "a running crawl with its process",
        lambda: [
            r
            for r in runs_of(archive, "news", status="running")
            if r.pid and r.pid != first.proc.pid
        ],
        60,
    )[0]
    first.stop(signal.SIGKILL)

    # The crawl does not outlive its scheduler, and its run is closed as aborted.
    wait_for("the orphaned crawl to end", lambda: not pid_alive(running.pid or 0), 60)
    # A run left "running" by a process that died without closing it (e.g. a killed crawl).
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    with archive.write_session() as s:
        from archive.runs import start_run
        from archive.sources import get_source

        start_run(s, get_source(s, "news"), pid=int(dead.stdout), trigger="schedule")

    site.delay(0)
    second = start()
    second.wait_started()  # the dead holder's lock is taken over at once
    wait_for(
        "no run left running",
        lambda: (
            not [r for r in runs_of(archive, "news", status="running") if not pid_alive(r.pid or 0)]
        ),
        30,
    )
    statuses = {r.id: r.status for r in runs_of(archive, "news")}
    assert statuses[running.id] == "aborted"
    assert "news" in ok(pressbox(db_url, "schedule", "list")).output
    before = max(statuses)
    wait_for(
        "a run after the restart",
        lambda: [r for r in done(archive, "news") if r.id > before and r.status == "ok"],
        60,
    )
    second.stop()

    # SIGTERM during a run: the run ends aborted (or ok), never "running".
    site.delay(0.3)
    third = start(PRESSBOX_SHUTDOWN_GRACE="1", PRESSBOX_SHUTDOWN_KILL_AFTER="5")
    third.wait_started()
    during = wait_for(
        "a crawl under way",
        lambda: [r for r in runs_of(archive, "news", status="running") if r.pid != third.proc.pid],
        60,
    )[0]
    assert third.stop() == 0
    with archive.session() as s:
        run = s.get(CrawlRun, during.id)
        assert run is not None
        assert run.status in ("aborted", "ok")
    assert runs_of(archive, "news", status="running") == []


def test_a_second_scheduler_refuses_to_start_until_the_first_dies(
    archive: Archive, start: Callable[..., SchedulerProcess]
) -> None:
    first = start()
    first.wait_started()
    second = start()
    assert second.proc.wait(timeout=60) == 1
    message = second.text()
    assert "Another scheduler drives this database" in message
    assert f":{first.proc.pid}" in message
    first.stop(signal.SIGKILL)
    third = start()
    third.wait_started()
    with archive.session() as s:
        lock = s.get(SchedulerLock, 1)
        assert lock is not None
        assert lock.holder.endswith(f":{third.proc.pid}")
    assert third.stop() == 0


def test_status_flags_a_failing_site_and_clears_after_a_good_run(
    archive: Archive, db_url: str, start: Callable[..., SchedulerProcess], site: MockServer
) -> None:
    add_site(archive, site, "news")
    ok(pressbox(db_url, "schedule", "add", "news", "--every", "2s"))
    scheduler = start()
    wait_for("a good run", lambda: [r for r in done(archive, "news") if r.status == "ok"], 60)
    ok(pressbox(db_url, "status"))

    site.fail(500)
    mark = max(r.id for r in runs_of(archive, "news"))
    bad = wait_for(
        "a flagged run",
        lambda: [r for r in done(archive, "news") if r.id > mark + 1 and r.flagged],
        60,
    )[0]
    assert "error rate" in (bad.flag_reason or "")
    status = pressbox(db_url, "status", "--format", "json")
    assert status.exit_code == 1, status.output
    assert "error rate" in status.output
    assert "error rate" in ok(pressbox(db_url, "runs", "--source", "news")).output

    site.fail(0)
    mark = max(r.id for r in runs_of(archive, "news"))
    wait_for(
        "a good run again",
        lambda: [r for r in done(archive, "news") if r.id > mark + 1 and not r.flagged],
        60,
    )
    ok(pressbox(db_url, "status"))
    assert scheduler.stop() == 0


def test_a_run_over_its_time_limit_is_timed_out(
    archive: Archive, db_url: str, start: Callable[..., SchedulerProcess], site: MockServer
) -> None:
    add_site(archive, site, "news")
    ok(pressbox(db_url, "schedule", "add", "news", "--every", "1s", "--timeout", "2s"))
    site.delay(1)
    scheduler = start()
    [run] = wait_for("a timed-out run", lambda: runs_of(archive, "news", status="timed_out")[:1])
    assert run.message == "stopped after 2s"
    assert run.flagged
    assert scheduler.stop() == 0


def test_old_logs_are_pruned(tmp_path: Path) -> None:
    old = tmp_path / "site" / "run-1.log"
    new = tmp_path / "site" / "run-2.log"
    gone = tmp_path / "gone" / "run-3.log"
    for path in (old, new, gone):
        path.parent.mkdir(exist_ok=True)
        path.write_text("log")
    month_ago = time.time() - 31 * 86400
    os.utime(old, (month_ago, month_ago))
    os.utime(gone, (month_ago, month_ago))
    assert prune_logs(30, tmp_path) == 2
    assert new.exists()
    assert not old.exists()
    assert not gone.parent.exists()
    assert prune_logs(0, tmp_path) == 0
