"""The operator's commands: extract a saved page, crawl with `scrapy crawl news`, read it back."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.demo.site import NewsSite, SiteConfig
from pressbox.cli import cli
from tests.contract import EXTRACT_KEYS
from tests.crawler.conftest import FAST
from tests.mockserver import MockServer

ROOT = Path(__file__).resolve().parents[2]


def test_extract_prints_what_would_be_archived_from_a_saved_page(tmp_path: Path) -> None:
    site = NewsSite(SiteConfig(n_articles=5))
    article = site.articles()[0]
    page = tmp_path / "page.html"
    page.write_bytes(site.render(article.path, "http://sport.test").body)

    result = CliRunner().invoke(
        cli, ["extract", str(page), "--url", f"http://sport.test{article.path}"]
    )

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == EXTRACT_KEYS
    assert data["title"] == article.headline
    assert data["authors"] == article.authors
    assert data["canonical_url"] == f"http://sport.test{article.path}"
    assert article.paragraphs[0][:60] in data["text"]
    assert {link["url"] for link in data["related_links"]} == {
        f"http://sport.test{p}" for p in article.related_paths
    }
    assert all(set(link) == {"url", "text"} for link in data["links"] + data["related_links"])


def test_extract_of_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["extract", str(tmp_path / "nope.html")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


@pytest.mark.slow
def test_scrapy_crawl_news_does_what_pressbox_crawl_does(tmp_path: Path, db_url: str) -> None:
    db = db_url
    runner = CliRunner()
    with MockServer(articles=6, exclusive=False, errors=False) as server:
        added = runner.invoke(cli, ["source", "add", "s", "--url", server.url("/"), "--db", db])
        assert added.exit_code == 0, added.output
        settings = [a for k, v in FAST.items() for a in ("-s", f"{k}={v}")]
        subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "news", "-a", "source=s", *settings],
            cwd=ROOT,
            env=dict(os.environ, PRESSBOX_DB=db, PRESSBOX_LOG_LEVEL="WARNING"),
            check=True,
            timeout=300,
        )
    runs = runner.invoke(cli, ["source", "list", "--db", db, "--format", "json"])
    assert json.loads(runs.output)[0]["articles"] == 6
    assert json.loads(runs.output)[0]["last_status"] == "ok"
    out = tmp_path / "a.csv"
    exported = runner.invoke(cli, ["export", "--format", "csv", "--out", str(out), "--db", db])
    assert exported.exit_code == 0, exported.output
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 6
    assert all(r["source"] == "s" and r["version"] == "1" for r in rows)
    history = runner.invoke(cli, ["history", rows[0]["url"], "--db", db, "--format", "json"])
    assert json.loads(history.output)[0]["version"] == 1
