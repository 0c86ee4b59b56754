"""Bad input gets a recorded fetch error or a clear message, and the crawl goes on."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from archive.db import Archive
from archive.models import Article, Fetch, Version
from pressbox.cli import cli
from tests.crawler.conftest import add_site_source, crawl
from tests.mockserver import MockServer


def fetches_by_path(archive: Archive, server: MockServer) -> dict[str, Fetch]:
    with archive.session() as s:
        rows = s.scalars(select(Fetch).order_by(Fetch.id)).all()
    out = {}
    for row in rows:
        out[row.url.removeprefix(server.base_url)] = row
    return out


@pytest.mark.slow
def test_a_crawl_records_each_kind_of_bad_page_and_goes_on(
    error_site: MockServer, archive: Archive, db_url: str
) -> None:
    error_site.slow(10)  # /errors/slow.html answers after 10 s; the crawl times out after 3 s
    add_site_source(archive, error_site)

    result = crawl(db_url, settings={"DOWNLOAD_MAXSIZE": str(1024 * 1024)})

    assert result.status == "ok", result.message
    fetches = fetches_by_path(archive, error_site)
    expect = {
        "/errors/not-found.html": ("error", 404, "HTTP 404"),
        "/errors/server-error.html": ("error", 500, "HTTP 500"),
        "/errors/slow.html": ("error", None, "timed out"),
        "/errors/loop-a.html": ("error", None, "redirect loop"),
        "/errors/season-report": (
            "skipped",
            200,
            "not an HTML page (Content-Type: application/pdf)",
        ),
        "/errors/photo-of-the-day": ("skipped", 200, "not an HTML page (Content-Type: image/jpeg)"),
        "/errors/huge.html": ("skipped", None, "size limit"),
        "/private/secret.html": ("skipped", None, "robots.txt"),
    }
    for path, (outcome, status, message) in expect.items():
        fetch = fetches[path]
        assert (fetch.outcome, fetch.status) == (outcome, status), path
        assert message in (fetch.error or ""), (path, fetch.error)
    # the good pages around them were archived, charset problems included
    with archive.session() as s:
        titles = set(s.scalars(select(Version.title)))
        moved = fetches["/errors/moved.html"]
        assert moved.outcome == "new_article" or moved.outcome == "unchanged"
        assert moved.redirects
        assert moved.final_url != moved.url
        assert s.get(Article, moved.article_id) is not None
    assert any("Müller" in (t or "") for t in titles)
    assert any("São Paulo" in (t or "") for t in titles)
    assert fetches["/errors/malformed.html"].outcome == "new_article"
    assert result.counts["errors"] >= 4
    assert result.counts["articles_new"] >= 9


def test_an_unknown_source_is_a_clear_error(db_url: str) -> None:
    result = CliRunner().invoke(cli, ["crawl", "nosuch", "--db", db_url])
    assert result.exit_code == 1
    assert "No source named 'nosuch'" in result.output
    assert "pressbox source add nosuch" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "http://x.test/", "--allow", "(unclosed"], "Bad regular expression '(unclosed'"),
        (["--url", "http://x.test/", "--article", "*oops"], "Bad regular expression '*oops'"),
        (["--url", "not a url"], "Bad URL 'not a url'"),
        (["--url", "ftp://x.test/"], "Bad URL 'ftp://x.test/'"),
        (["--url", "http://x.test/", "--feed", "feed.xml"], "Bad URL 'feed.xml'"),
        (["--url", "http://x.test/", "--max-pages", "0"], "Bad --max-pages 0"),
        (["--url", "http://x.test/", "--revisit", "soon"], "Bad revisit policy step 'soon'"),
    ],
)
def test_source_add_refuses_bad_input_and_says_which(
    db_url: str, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(cli, ["source", "add", "s1", *args, "--db", db_url])
    assert result.exit_code == 2, result.output
    assert message in result.output
    listed = CliRunner().invoke(cli, ["source", "list", "--db", db_url, "--format", "json"])
    assert listed.exit_code == 0
    assert listed.output.strip() == "[]"


def test_a_locked_sqlite_database_is_a_clear_error(tmp_path: Path) -> None:
    import os
    import sqlite3
    import subprocess
    import sys

    db = tmp_path / "locked.db"
    url = f"sqlite:///{db}"
    assert CliRunner().invoke(cli, ["db", "upgrade", "--db", url]).exit_code == 0
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock, and keeps it
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pressbox",
                "source",
                "add",
                "s",
                "--url",
                "http://x.test/",
                "--db",
                url,
            ],
            env=dict(os.environ, PRESSBOX_SQLITE_BUSY_TIMEOUT_MS="300"),
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 1
    assert "is locked by another writer" in result.stderr
    assert "Traceback" not in result.stderr
