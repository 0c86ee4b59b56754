"""Commands for crawling from several machines: ``worker`` and ``frontier status``.

``pressbox crawl NAME --redis URL`` and ``pressbox scheduler --redis URL`` (in cli.py / operate.py)
push runs onto the same frontier. Everything here needs the ``distributed`` extra (redis,
scrapy-redis), imported only when a command runs.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from pressbox.cli import CONTEXT_SETTINGS, cli, db_option, emit, format_option

__all__ = ["namespace_option", "redis_option", "run_worker"]

MISSING = "Distributed mode needs redis and scrapy-redis: pip install 'pressbox[distributed]'"


def redis_option(required: bool = True) -> Any:
    return click.option(
        "--redis",
        "redis_url",
        required=required,
        envvar="PRESSBOX_REDIS" if required else None,
        metavar="URL",
        help="Redis URL of the shared frontier, e.g. redis://10.0.0.5:6379/0 (env PRESSBOX_REDIS).",
    )


namespace_option = click.option(
    "--namespace",
    envvar="PRESSBOX_REDIS_NAMESPACE",
    default="pressbox",
    show_default=True,
    help="Prefix of the frontier's Redis keys (one fleet per namespace).",
)


def _check_installed() -> None:
    try:
        import redis  # noqa: F401
        import scrapy_redis  # noqa: F401
    except ImportError as exc:
        raise click.ClickException(MISSING) from exc


def run_worker(
    *,
    redis_url: str,
    db: str | None,
    namespace: str,
    name: str | None = None,
    sources: str = "",
    concurrency: int | None = None,
    idle_exit: float | None = None,
    settings: dict[str, str] | None = None,
) -> None:
    """Run a crawl worker in this process until SIGTERM/Ctrl-C (or ``idle_exit`` idle seconds)."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from archive.db import resolve_db_url
    from crawler.distributed import WORKER_SETTINGS, WorkerSpider

    project = get_project_settings()
    for key, value in WORKER_SETTINGS.items():
        project.set(key, value, priority="cmdline")
    project.set("REDIS_URL", redis_url, priority="cmdline")
    url = resolve_db_url(db)
    project.set("PRESSBOX_DB", url, priority="cmdline")
    if concurrency is not None:
        project.set("CONCURRENT_REQUESTS", concurrency, priority="cmdline")
    for key, value in (settings or {}).items():
        project.set(key, value, priority="cmdline")
    process = CrawlerProcess(project)
    process.crawl(
        WorkerSpider,
        redis_url=redis_url,
        namespace=namespace,
        worker=name,
        sources=sources,
        idle_exit=idle_exit,
        db=url,
    )
    process.start()


@cli.command("worker")
@redis_option()
@db_option
@namespace_option
@click.option("--sources", default="", metavar="NAME,...", help="Only these sources' requests.")
@click.option("--concurrency", type=click.IntRange(min=1), help="Requests at once (this worker).")
@click.option("--idle-exit", type=float, metavar="SECONDS", help="Exit after this long idle.")
@click.option("--name", help="Worker name (default HOST-PID); reuse it to reclaim its work.")
@click.option(
    "-s", "--set", "settings", multiple=True, metavar="NAME=VALUE", help="Scrapy setting."
)
def worker_command(
    redis_url: str,
    db: str | None,
    namespace: str,
    sources: str,
    concurrency: int | None,
    idle_exit: float | None,
    name: str | None,
    settings: tuple[str, ...],
) -> None:
    """Run a crawl worker: take requests from the shared Redis frontier, archive the pages.

    Start one or several per machine, on as many machines as needed; all write to one
    PostgreSQL archive. A worker stays up when the frontier is empty (it looks every few
    seconds) unless --idle-exit is given.

    \b
    Example:
      pressbox worker --redis redis://10.0.0.5:6379/0 --db postgresql+psycopg://crawl@db/pressbox
    """
    _check_installed()
    from scheduler import parse_settings

    run_worker(
        redis_url=redis_url,
        db=db,
        namespace=namespace,
        name=name,
        sources=sources,
        concurrency=concurrency,
        idle_exit=idle_exit,
        settings=parse_settings(settings),
    )


@cli.group(context_settings=CONTEXT_SETTINGS)
def frontier() -> None:
    """The shared Redis frontier of distributed crawls."""


@frontier.command("status")
@redis_option()
@namespace_option
@format_option("text", "json")
def frontier_status_command(redis_url: str, namespace: str, fmt: str) -> None:
    """Queue length per source and domain, in-flight requests, live workers, active runs.

    \b
    Example:
      pressbox frontier status --redis redis://127.0.0.1:6379/0
    """
    _check_installed()
    from crawler.frontier import frontier_status

    status = frontier_status(redis_url, namespace)
    if fmt == "json":
        click.echo(json.dumps(status))
        return
    click.echo(f"frontier {status['namespace']}: {status['inflight']} requests in flight")
    rows = [
        {"source": q["source"], "domain": domain, "queued": n}
        for q in status["queues"]
        for domain, n in sorted(q["domains"].items())
    ]
    click.echo("queued:")
    emit(rows, "table", ["source", "domain", "queued"])
    click.echo("workers:")
    emit(status["workers"], "table", ["worker", "alive", "heartbeat_age", "inflight", "sources"])
    click.echo("runs:")
    emit(
        [{"run": r["run"], "pending": r["pending"]} for r in status["runs"]],
        "table",
        ["run", "pending"],
    )
    sys.stdout.flush()
