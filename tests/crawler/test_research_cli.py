"""The researchers' commands end to end: crawl the local test site, edit it, crawl again, then
search, diff, list changes and export through the `pressbox` CLI (click's CliRunner)."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from archive.db import Archive
from archive.revisit import RevisitPolicy
from archive.runs import start_run
from archive.sources import SourceSpec, add_source
from archive.store import ArchiveWriter, ArticleContent, PageRecord, content_hash
from pressbox.cli import cli
from tests.crawler.conftest import add_site_source, crawl
from tests.mockserver import MockServer

pytestmark = pytest.mark.slow


def run(db_url: str, *args: str) -> Result:
    result = CliRunner().invoke(cli, [*args, "--db", db_url])
    assert "Traceback" not in result.output
    return result


def ok_json(db_url: str, *args: str) -> Any:
    result = run(db_url, *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture
def crawled(site: MockServer, archive: Archive, db_url: str) -> dict[int, str]:
    """The test site crawled once; returns each article's URL by its id on the site."""
    add_site_source(archive, site)
    assert crawl(db_url).status == "ok"
    return {a["id"]: site.url(a["path"]) for a in site.articles()}


def headline(site: MockServer, article_id: int) -> str:
    return next(str(a["headline"]) for a in site.articles() if a["id"] == article_id)


def test_search_latest_as_of_and_all_versions(
    site: MockServer, crawled: dict[int, str], db_url: str
) -> None:
    old = headline(site, 5)
    between = datetime.now(UTC).isoformat()
    new = site.edit(5, "headline")["headline"]
    assert crawl(db_url, revisit="all").counts["versions_new"] == 1
    by_old, by_new = f'title:"{old}"', f'title:"{new}"'

    assert [r["url"] for r in ok_json(db_url, "search", by_new)] == [crawled[5]]
    assert ok_json(db_url, "search", by_old) == []  # the latest version has the new headline
    as_of = ok_json(db_url, "search", by_old, "--as-of", between)
    assert [(r["url"], r["version"]) for r in as_of] == [(crawled[5], 1)]
    assert ok_json(db_url, "search", by_new, "--as-of", between) == []
    both = ok_json(db_url, "search", f"{by_old} OR {by_new}", "--all-versions")
    assert sorted(r["version"] for r in both) == [1, 2]
    # filters
    assert ok_json(db_url, "search", by_new, "--source", "site", "--lang", "en") != []
    assert ok_json(db_url, "search", by_new, "--since", "2100-01-01") == []
    assert (
        ok_json(db_url, "search", by_new, "--date-field", "fetched", "--until", "2000-01-01") == []
    )
    shown = run(db_url, "show", crawled[5], "--as-of", between)
    assert shown.exit_code == 0
    assert shown.output.startswith(old)


def test_a_malformed_query_is_a_usage_error(crawled: dict[int, str], db_url: str) -> None:
    result = run(db_url, "search", "2-1")

    assert result.exit_code == 2
    assert "Cannot search for '2-1'" in result.output
    assert '"quoted phrases"' in result.output
    assert run(db_url, "search", '"2-1"').exit_code == 0


def test_diff_shows_the_edited_paragraph_and_trivial_edits_are_flagged(
    site: MockServer, crawled: dict[int, str], db_url: str
) -> None:
    site.edit(7, "third_paragraph")
    site.edit(8, "whitespace")
    site.edit(9, "score")
    assert crawl(db_url, revisit="all").counts["versions_new"] == 3

    diff = ok_json(db_url, "diff", crawled[7])
    assert diff["edits"], "the edit was found"
    assert {(e["old_paragraph"], e["new_paragraph"]) for e in diff["edits"]} == {(3, 3)}
    old_paragraphs = diff["old_text"].splitlines()
    new_paragraphs = diff["new_text"].splitlines()
    assert old_paragraphs[2] != new_paragraphs[2]
    assert old_paragraphs[:2] + old_paragraphs[3:] == new_paragraphs[:2] + new_paragraphs[3:]
    unified = run(db_url, "diff", crawled[7]).output
    assert unified.count("@@ paragraph") == 1
    assert "@@ paragraph 3 @@" in unified
    assert "[-" in unified
    assert "{+" in unified
    assert "<del>" in run(db_url, "diff", crawled[7], "--format", "html").output

    edits = {c["url"]: c for c in ok_json(db_url, "changes", "--include-trivial")}
    assert set(edits) == {crawled[7], crawled[8], crawled[9]}
    assert edits[crawled[8]]["trivial"] is True  # whitespace/punctuation only
    assert edits[crawled[9]]["trivial"] is False  # a changed score
    assert edits[crawled[7]]["trivial"] is False
    assert {c["url"] for c in ok_json(db_url, "changes")} == {crawled[7], crawled[9]}
    history = ok_json(db_url, "history", crawled[9])
    assert history[1]["changed"] == ["modified", "text"]
    assert history[1]["words_added"] >= 1


def add_tricky_article(archive: Archive) -> str:
    """One article the demo site cannot serve (non-Latin scripts, a title that is a formula),
    written through the same writer a crawl uses."""
    url = "https://intl.example.com/world/tokyo.html"
    title, text = '=HYPERLINK("http://evil")', 'Токио, "東京"\nمرحبا, line two'
    with archive.session() as s:
        source = add_source(s, SourceSpec(name="intl", url="https://intl.example.com/"))
        run_id = start_run(s, source).id
        source_id = source.id
    writer = ArchiveWriter(
        archive, source_id=source_id, run_id=run_id, policy=RevisitPolicy.parse(None)
    )
    content = ArticleContent(
        canonical_url=url,
        title=title,
        authors=["山田太郎"],
        published=None,
        modified=None,
        description="-1 point",
        site_name=None,
        language="ja",
        tags=["world"],
        text=text,
        links=[],
        related_links=[],
        raw_html=None,
        encoding="utf-8",
        extractor="test",
        extractor_version="1",
        content_hash=content_hash(
            title=title, text=text, authors=["山田太郎"], published=None, modified=None
        ),
    )
    writer.add(
        PageRecord(url=url, fetched_at=datetime.now(UTC), kind="page", status=200, article=content)
    )
    writer.flush()
    return url


def test_exports_round_trip_with_manifests_and_deltas(
    site: MockServer, crawled: dict[int, str], archive: Archive, db_url: str, tmp_path: Path
) -> None:
    tricky = add_tricky_article(archive)
    csv_path, jsonl_path = tmp_path / "a.csv", tmp_path / "a.jsonl"
    assert run(db_url, "export", "--format", "csv", "--out", str(csv_path)).exit_code == 0
    assert run(db_url, "export", "--format", "jsonl", "--out", str(jsonl_path)).exit_code == 0

    records = [json.loads(line) for line in jsonl_path.read_text(encoding="utf-8").splitlines()]
    with open(csv_path, newline="", encoding="utf-8") as fp:
        rows = list(csv.DictReader(fp))
    assert len(rows) == len(records) == 61
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False).to_dict("records")
    assert frame == rows
    for row, record in zip(rows, records, strict=True):
        for name, value in record.items():
            if name == "related_links":
                assert json.loads(row[name]) == value
            elif isinstance(value, list):
                assert row[name] == "; ".join(value)
            elif value is None:
                assert row[name] == ""
            elif name in ("title", "description") and str(value)[:1] in "=+-@":
                assert row[name] == "'" + value  # neutralised for spreadsheets
            else:
                assert row[name] == str(value), name
    texts = "".join(r["text"] for r in records)
    assert "," in texts
    assert '"' in texts
    assert "\n" in texts
    assert "東京" in texts
    [intl] = [r for r in rows if r["url"] == tricky]
    assert intl["title"].startswith("'=")
    assert intl["description"] == "'-1 point"

    manifest = json.loads((tmp_path / "a.csv.manifest.json").read_text())
    assert manifest["rows"] == 61
    assert manifest["sha256"] == hashlib.sha256(csv_path.read_bytes()).hexdigest()
    assert manifest["command"].startswith("pressbox export --format csv")
    verified = CliRunner().invoke(cli, ["verify", str(tmp_path / "a.csv.manifest.json")])
    assert verified.exit_code == 0, verified.output
    assert "matches" in verified.output
    with csv_path.open("a", encoding="utf-8") as fp:  # a tampered copy no longer verifies
        fp.write("x")
    tampered = CliRunner().invoke(cli, ["verify", str(tmp_path / "a.csv.manifest.json")])
    assert tampered.exit_code == 1
    assert "does not have the SHA-256" in tampered.output

    site.edit(12, "add_paragraph")
    assert crawl(db_url, revisit="all").counts["versions_new"] == 1
    delta = tmp_path / "delta.csv"
    result = run(
        db_url,
        "export",
        "--since-manifest",
        str(tmp_path / "a.csv.manifest.json"),
        "--out",
        str(delta),
    )
    assert result.exit_code == 0, result.output
    with open(delta, newline="", encoding="utf-8") as fp:
        assert [(r["url"], r["version"]) for r in csv.DictReader(fp)] == [(crawled[12], "2")]
