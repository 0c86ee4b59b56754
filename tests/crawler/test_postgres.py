"""PostgreSQL as the production archive: concurrent crawls, lost connections, copies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select, text

from archive.db import Archive, open_archive
from archive.models import Article, CrawlRun, Version
from archive.queries import Filters, search
from pressbox.cli import cli
from tests.consistency import check_consistent
from tests.crawler.conftest import FAST, add_site_source, crawl
from tests.mockserver import MockServer
from tests.polling import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def pressbox_crawl(db_url: str, *args: str) -> subprocess.Popen[bytes]:
    settings = [a for k, v in FAST.items() for a in ("--set", f"{k}={v}")]
    return subprocess.Popen(
        [sys.executable, "-m", "pressbox", "crawl", "site", "--db", db_url, *settings, *args],
        env=dict(os.environ, PRESSBOX_BATCH_SIZE="5"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_two_crawls_writing_the_same_articles_at_once_never_duplicate(
    site: MockServer, pg_db_url: str
) -> None:
    archive = open_archive(pg_db_url)
    add_site_source(archive, site)
    site.delay(0.01)

    crawls = [pressbox_crawl(pg_db_url), pressbox_crawl(pg_db_url)]
    outputs = [c.communicate(timeout=600)[0].decode() for c in crawls]

    assert [c.returncode for c in crawls] == [0, 0], outputs
    check_consistent(pg_db_url)
    with archive.session() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 60
        assert s.scalar(select(func.count()).select_from(Version)) == 60
        runs = s.execute(select(CrawlRun.status, CrawlRun.articles_new)).all()
    assert [status for status, _ in runs] == ["ok", "ok"]
    assert sum(new for _, new in runs) == 60  # each article was new for exactly one of them
    archive.close()


def test_a_crawl_survives_its_database_connections_being_killed(
    site: MockServer, pg_db_url: str
) -> None:
    archive = open_archive(pg_db_url)
    add_site_source(archive, site)
    site.delay(0.03)
    proc = pressbox_crawl(pg_db_url)
    admin = create_engine(pg_db_url, isolation_level="AUTOCOMMIT")
    killed = 0
    try:

        def stored() -> int:
            with archive.session() as s:
                return s.scalar(select(func.count()).select_from(Version)) or 0

        wait_for(lambda: stored() >= 5, what="the crawl to store some articles")
        for _ in range(3):  # cut every other connection to the database, three times
            before = stored()
            with admin.connect() as conn:
                killed += len(
                    conn.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        )
                    ).all()
                )
            wait_for(  # the crawl reconnects and writes again, or has finished
                lambda before=before: stored() > before or proc.poll() is not None,
                what="the crawl to write again after losing its connections",
            )
        output = proc.communicate(timeout=600)[0].decode()
    finally:
        if proc.poll() is None:
            proc.kill()
        admin.dispose()
    assert killed > 0
    assert proc.returncode == 0, output
    check_consistent(pg_db_url)
    site.delay(0)
    again = crawl(pg_db_url)  # anything lost in a cut batch is fetched again
    assert again.status == "ok"
    check_consistent(pg_db_url)
    with archive.session() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 60
        assert s.scalar(select(func.count()).select_from(Version)) == 60
    archive.close()


def export_jsonl(db_url: str, out: Path) -> list[dict[str, object]]:
    columns = "source,url,version,first_seen,fetched_at,published,modified,title,authors,"
    columns += "description,language,tags,text,word_count,links,related_links,content_hash"
    result = CliRunner().invoke(
        cli,
        [
            *("export", "--format", "jsonl", "--all-versions", "--out", str(out)),
            *("--db", db_url, "--columns", columns),
        ],
    )
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


QUERIES = ["derby", "win*", '"late winner"', "title:cup", "goal OR final", "match NOT rain"]


def found(archive: Archive, query: str) -> set[str]:
    with archive.session() as s:
        return {hit["url"] for hit in search(s, query, Filters(), limit=1000)}


def test_db_copy_to_postgresql_and_back_gives_identical_exports_and_searches(
    site: MockServer, tmp_path: Path, pg_db_url: str
) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'first.db'}"
    archive = open_archive(sqlite_url)
    add_site_source(archive, site)
    crawl(sqlite_url)
    site.edit_many([4, 9], "add_paragraph")
    crawl(sqlite_url, revisit="all")
    back_url = f"sqlite:///{tmp_path / 'back.db'}"

    there = CliRunner().invoke(cli, ["db", "copy", "--from", sqlite_url, "--to", pg_db_url])
    back = CliRunner().invoke(cli, ["db", "copy", "--from", pg_db_url, "--to", back_url])

    assert there.exit_code == 0, there.output
    assert back.exit_code == 0, back.output
    original = export_jsonl(sqlite_url, tmp_path / "a.jsonl")
    assert len(original) == 62
    assert export_jsonl(pg_db_url, tmp_path / "b.jsonl") == original
    assert export_jsonl(back_url, tmp_path / "c.jsonl") == original
    check = CliRunner().invoke(cli, ["db", "check", "--db", pg_db_url])
    assert check.exit_code == 0, check.output
    # the same queries find the same articles on both backends (ranking may differ)
    pg = open_archive(pg_db_url)
    try:
        for query in QUERIES:
            assert found(archive, query) == found(pg, query), query
        assert any(found(archive, q) for q in QUERIES)
    finally:
        pg.close()
        archive.close()


def test_db_copy_refuses_a_target_that_holds_data(tmp_path: Path, pg_db_url: str) -> None:
    a = f"sqlite:///{tmp_path / 'a.db'}"
    CliRunner().invoke(cli, ["source", "add", "s", "--url", "http://x.test/", "--db", a])
    CliRunner().invoke(cli, ["source", "add", "t", "--url", "http://y.test/", "--db", pg_db_url])
    result = CliRunner().invoke(cli, ["db", "copy", "--from", a, "--to", pg_db_url])
    assert result.exit_code == 2
    assert "already has rows in sources" in result.output


def test_a_crawl_whose_database_stays_down_stops_with_a_clear_error(
    site: MockServer, pg_db_url: str
) -> None:
    archive = open_archive(pg_db_url)
    add_site_source(archive, site)
    archive.close()
    site.delay(0.05)
    name = pg_db_url.rsplit("/", 1)[1]
    admin = create_engine(pg_db_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    settings = [a for k, v in FAST.items() for a in ("--set", f"{k}={v}")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "pressbox", "crawl", "site", "--db", pg_db_url, *settings],
        env=dict(os.environ, PRESSBOX_BATCH_SIZE="5", PRESSBOX_DB_RETRY_SECONDS="3"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        check = create_engine(pg_db_url)

        def some_stored() -> bool:
            with check.connect() as conn:
                return (conn.execute(text("SELECT COUNT(*) FROM versions")).scalar() or 0) >= 5

        wait_for(some_stored, what="the crawl to store some articles")
        check.dispose()
        with admin.connect() as conn:  # the database goes away, and stays away
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
        output = proc.communicate(timeout=300)[0].decode()
    finally:
        if proc.poll() is None:
            proc.kill()
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
    assert proc.returncode != 0
    assert "Cannot use the database" in output, output
    assert "Traceback" not in output, output
    check_consistent(pg_db_url)  # nothing half-written
    site.delay(0)
    again = crawl(pg_db_url)  # the next crawl closes the dead run and completes the work
    assert again.status == "ok"
    archive = open_archive(pg_db_url)
    with archive.session() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 60
        statuses = [r for (r,) in s.execute(select(CrawlRun.status).order_by(CrawlRun.id))]
    archive.close()
    assert statuses[0] in ("aborted", "failed")
    assert statuses[-1] == "ok"
    check_consistent(pg_db_url)
