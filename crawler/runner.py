"""Starting a crawl run as its own process (Twisted's reactor cannot be restarted in a process).

Used by ``pressbox crawl`` and by the scheduler. This module does not import Scrapy: it starts
``python -m scrapy crawl news -a source=NAME ...`` and reads the run's record afterwards.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.db import open_archive, resolve_db_url
from archive.health import evaluate_run
from archive.runs import finish_run, get_run, start_run
from archive.sources import get_source

__all__ = ["CrawlResult", "log_dir", "prune_logs", "run_crawl"]

PROJECT_SETTINGS = "crawler.settings"


def log_dir() -> Path:
    """Where crawl logs go: ``$PRESSBOX_LOG_DIR``, else ``logs`` in the working directory."""
    return Path(os.environ.get("PRESSBOX_LOG_DIR", "logs"))


def prune_logs(days: float, directory: Path | None = None) -> int:
    """Delete run logs (``*.log`` under the log directory) older than ``days``; returns how
    many. Empty source folders go too. ``days <= 0`` keeps everything."""
    directory = directory or log_dir()
    if days <= 0 or not directory.is_dir():
        return 0
    cutoff = time.time() - days * 86400
    removed = 0
    for path in directory.rglob("*.log"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:  # removed meanwhile, or not ours to remove: leave it
            continue
    for folder in sorted((p for p in directory.rglob("*") if p.is_dir()), reverse=True):
        try:
            folder.rmdir()  # only succeeds when empty
        except OSError:
            pass
    return removed


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    # Linux: the crawl gets SIGTERM when the process that started it dies (a scheduler killed
    # with SIGKILL), so no crawl outlives its scheduler unsupervised.
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _load_prctl() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


# Looked up once, before any fork: the child must not load libraries.
_PRCTL = _load_prctl()


@dataclass(slots=True)
class CrawlResult:
    run_id: int
    source: str
    status: str
    counts: dict[str, int]
    duration: float
    log_file: str
    message: str | None
    exit_code: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "source": self.source,
            "status": self.status,
            **self.counts,
            "duration": round(self.duration, 3),
            "log_file": self.log_file,
            "message": self.message,
        }


def run_crawl(
    source: str,
    *,
    db: str | None = None,
    max_pages: int | None = None,
    revisit: str = "due",
    trigger: str = "manual",
    settings: dict[str, str] | None = None,
    timeout: float | None = None,
    echo_log: bool = False,
    on_start: Callable[[subprocess.Popen[bytes], int], None] | None = None,
    supervised: bool = False,
) -> CrawlResult:
    """Run one crawl run of ``source`` in a child process and wait for it.

    Args:
        source: the source name (checked before the process starts).
        db: the archive URL (None: the configured default).
        max_pages: page budget for this run (overrides the source's).
        revisit: ``due`` (default), ``all`` or ``none``.
        trigger: recorded on the run (``manual`` or ``schedule``).
        settings: extra Scrapy settings (``-s NAME=VALUE``).
        timeout: stop the crawl after this many seconds (recorded as ``timed_out``).
        echo_log: also send the crawl's log to this process's stderr.
        on_start: called with the crawl process and the run id once it started (the scheduler
            keeps them to stop the crawl on shutdown).
        supervised: run the crawl in its own session (a Ctrl-C in the terminal does not reach
            it: the caller decides when to stop it) and, on Linux, have it stopped when this
            process dies.

    Raises:
        NotFoundError: unknown source. SchemaOutOfDateError / DatabaseUnavailableError.
    """
    url = resolve_db_url(db)
    archive = open_archive(url)
    try:
        with archive.write_session() as session:
            src = get_source(session, source)
            run = start_run(session, src, trigger=trigger, revisit=revisit)
            run_id = run.id
            logfile = log_dir() / src.name / f"run-{run_id}.log"
            logfile.parent.mkdir(parents=True, exist_ok=True)
            run.log_file = str(logfile)
        cmd = [sys.executable, "-m", "scrapy", "crawl", "news"]
        cmd += ["-a", f"source={source}", "-a", f"run_id={run_id}", "-a", f"revisit={revisit}"]
        cmd += ["-a", f"db={url}", "-a", f"trigger={trigger}"]
        if max_pages is not None:
            cmd += ["-a", f"max_pages={max_pages}"]
        cmd += ["-s", f"LOG_FILE={logfile}"]
        for name, value in (settings or {}).items():
            cmd += ["-s", f"{name}={value}"]
        env = dict(os.environ, SCRAPY_SETTINGS_MODULE=PROJECT_SETTINGS, PRESSBOX_DB=url)
        started = time.monotonic()
        # The child's own stderr (tracebacks before logging starts) goes to the run's log file:
        # a pipe would keep us waiting on its grandchildren (the extraction workers).
        # preexec_fn only calls prctl (looked up before the fork): safe with threads around.
        preexec = _die_with_parent if supervised and _PRCTL is not None else None
        with logfile.open("ab") as errfile:
            proc = subprocess.Popen(
                cmd,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=errfile,
                start_new_session=supervised,
                preexec_fn=preexec,
            )
        with archive.write_session() as session:
            get_run(session, run_id).pid = proc.pid
        if on_start is not None:
            on_start(proc, run_id)
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        duration = time.monotonic() - started
        if echo_log:
            print(_log_tail(logfile, 20), file=sys.stderr)
        with archive.write_session() as session:
            run = get_run(session, run_id)
            if timed_out:
                finish_run(session, run_id, "timed_out", message=f"stopped after {timeout:g}s")
            elif run.status == "running":  # the child died before it could close the run
                tail = _log_tail(logfile)
                if proc.returncode < 0:  # killed by a signal
                    status = "aborted"
                    why = f"crawl process killed by signal {-proc.returncode}"
                else:
                    status = "failed"
                    why = f"crawl process exited with code {proc.returncode}: {tail}"
                finish_run(session, run_id, status, message=why)
            evaluate_run(session, run)
            counts = {
                name: getattr(run, name)
                for name in (
                    "pages_fetched",
                    "articles_new",
                    "versions_new",
                    "unchanged",
                    "skipped",
                    "errors",
                )
            }
            return CrawlResult(
                run_id=run_id,
                source=source,
                status=run.status,
                counts=counts,
                duration=duration,
                log_file=str(logfile),
                message=run.message,
                exit_code=proc.returncode,
            )
    finally:
        archive.close()


def _log_tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    errors = [line for line in text.splitlines() if "ERROR" in line or "Error" in line]
    return "\n".join((errors or text.splitlines())[-lines:])
