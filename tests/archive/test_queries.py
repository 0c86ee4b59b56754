"""Reading the archive: find_article, history, get_version, iter_export_rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from archive.errors import NotFoundError
from archive.queries import (
    ALL_EXPORT_COLUMNS,
    find_article,
    get_version,
    history,
    iter_export_rows,
)

if TYPE_CHECKING:
    from archive.db import Archive
    from tests.archive.conftest import Seeder

from tests.contract import EXTRACT_KEYS

URL = "https://demo.example.com/football/2026/11/25/arsenal-spurs.html"
ARCHIVE_FIELDS = [
    "source",
    "version",
    "versions",
    "first_seen",
    "fetched_at",
    "content_hash",
    "word_count",
    "extractor",
    "extractor_version",
    "fetched_from",
]


@pytest.fixture
def edited(seed: Seeder) -> Seeder:
    """One article in three versions: a title fix, then a rewritten paragraph and a new tag."""
    seed.article(
        URL,
        title="Arsenal 1-0 Spurs",
        text="Arsenal beat Spurs at home.\nSaka scored.",
        published="2026-11-25T03:00:00Z",
        tags=["football"],
        links=[("https://demo.example.com/saka.html", "Saka")],
    )
    seed.article(  # same content: a fetch, not a version
        URL,
        title="Arsenal 1-0 Spurs",
        text="Arsenal beat Spurs at home.\nSaka scored.",
        published="2026-11-25T03:00:00Z",
        tags=["football"],
        links=[("https://demo.example.com/saka.html", "Saka")],
    )
    seed.article(
        URL,
        title="Arsenal 2-1 Spurs",
        text="Arsenal beat Spurs at home.\nSaka scored.",
        published="2026-11-25T03:00:00Z",
        tags=["football"],
    )
    seed.article(
        f"{URL}?utm_source=rss",
        canonical_url=URL,
        title="Arsenal 2-1 Spurs",
        text="Arsenal beat Spurs at home.\nSaka scored twice, Son once.",
        published="2026-11-25T03:00:00Z",
        tags=["football", "premier-league"],
        links=[
            ("https://demo.example.com/saka.html", "Saka"),
            ("https://demo.example.com/son.html", "Son"),
        ],
        related_links=[("https://demo.example.com/table.html", "The table")],
    )
    return seed


def test_find_article_by_canonical_url_or_alias(edited: Seeder) -> None:
    with edited.archive.session() as s:
        article = find_article(s, URL)
        assert article.url == URL
        assert find_article(s, f"{URL}?utm_source=rss").id == article.id
        assert find_article(s, f"{URL}#comments").id == article.id
        assert find_article(s, URL.replace("https://demo", "HTTPS://DEMO")).id == article.id


@pytest.mark.parametrize(
    "url", ["https://demo.example.com/nope.html", "not a url", "demo.example.com/a"]
)
def test_an_unknown_url_is_not_found(edited: Seeder, url: str) -> None:
    with edited.archive.session() as s, pytest.raises(NotFoundError) as excinfo:
        find_article(s, url)
    message = str(excinfo.value)
    assert url in message
    assert "pressbox search" in message or "full URL" in message


def test_history_lists_versions_oldest_first_with_what_changed(edited: Seeder) -> None:
    with edited.archive.session() as s:
        rows = history(s, URL)

    assert [r["version"] for r in rows] == [1, 2, 3]
    assert [r["title"] for r in rows] == [
        "Arsenal 1-0 Spurs",
        "Arsenal 2-1 Spurs",
        "Arsenal 2-1 Spurs",
    ]
    assert [r["changed"] for r in rows] == [[], ["title"], ["tags", "text"]]
    # v3's text: "Saka scored." became "Saka scored twice, Son once.": "scored." out, 4 words in
    assert [(r["words_added"], r["words_removed"]) for r in rows] == [(7, 0), (0, 0), (4, 1)]
    assert [r["word_count"] for r in rows] == [7, 7, 10]
    # fetched at T0, T0+1min (unchanged), T0+2min, T0+3min
    assert rows[0]["fetched_at"] == "2026-11-25T04:54:00+00:00"
    assert rows[2]["fetched_at"] == "2026-11-25T04:57:00+00:00"
    assert len({r["content_hash"] for r in rows}) == 3


def test_history_of_an_unknown_url_is_not_found(seed: Seeder) -> None:
    with seed.archive.session() as s, pytest.raises(NotFoundError, match="pressbox search"):
        history(s, URL)


def test_get_version_latest_has_every_field(edited: Seeder) -> None:
    with edited.archive.session() as s:
        record = get_version(s, URL)

    assert sorted(record) == sorted(EXTRACT_KEYS + ARCHIVE_FIELDS)
    assert record["url"] == record["canonical_url"] == URL
    assert record["fetched_from"] == f"{URL}?utm_source=rss"
    assert (record["version"], record["versions"], record["source"]) == (3, 3, "demo")
    assert record["authors"] == ["Jane Doe"]
    assert record["tags"] == ["football", "premier-league"]
    assert record["published"] == "2026-11-25T03:00:00Z"  # as the page stated it
    assert record["first_seen"] == "2026-11-25T04:54:00+00:00"
    assert record["fetched_at"] == "2026-11-25T04:57:00+00:00"
    assert (record["word_count"], record["extractor"], record["extractor_version"]) == (
        10,
        "test",
        "1.0",
    )


def test_get_version_separates_body_and_related_links_in_page_order(edited: Seeder) -> None:
    with edited.archive.session() as s:
        latest = get_version(s, URL)
        second = get_version(s, URL, 2)
        first = get_version(s, URL, 1)

    assert latest["links"] == [
        {"url": "https://demo.example.com/saka.html", "text": "Saka"},
        {"url": "https://demo.example.com/son.html", "text": "Son"},
    ]
    assert latest["related_links"] == [
        {"url": "https://demo.example.com/table.html", "text": "The table"}
    ]
    assert (second["links"], second["related_links"]) == ([], [])
    assert first["links"] == [{"url": "https://demo.example.com/saka.html", "text": "Saka"}]
    assert (first["title"], first["version"], first["versions"]) == ("Arsenal 1-0 Spurs", 1, 3)


@pytest.mark.parametrize("version", [0, 4, -1])
def test_get_version_of_a_missing_version_says_which_exist(edited: Seeder, version: int) -> None:
    with edited.archive.session() as s, pytest.raises(NotFoundError) as excinfo:
        get_version(s, URL, version)
    message = str(excinfo.value)
    assert f"not version {version}" in message
    assert "versions 1 to 3" in message
    assert f"pressbox history {URL}" in message


def test_get_version_of_an_unknown_url_is_not_found(seed: Seeder) -> None:
    with seed.archive.session() as s, pytest.raises(NotFoundError, match="No archived article"):
        get_version(s, URL)


def test_export_rows_hold_the_latest_version_of_each_article(edited: Seeder) -> None:
    other = "https://demo.example.com/tennis/final.html"
    edited.article(other, title="Final", text="Sinner won.")

    with edited.archive.session() as s:
        rows = list(iter_export_rows(s, batch_size=1))

    assert [list(r) for r in rows] == [ALL_EXPORT_COLUMNS, ALL_EXPORT_COLUMNS]
    assert [(r["url"], r["version"], r["title"]) for r in rows] == [
        (URL, 3, "Arsenal 2-1 Spurs"),
        (other, 1, "Final"),
    ]
    assert rows[0]["related_links"] == [
        {"url": "https://demo.example.com/table.html", "text": "The table"}
    ]


@pytest.mark.parametrize("batch_size", [1, 2, 1000])
def test_export_rows_of_all_versions_in_article_then_version_order(
    edited: Seeder, batch_size: int
) -> None:
    other = "https://demo.example.com/tennis/final.html"
    edited.article(other, title="Final", text="Sinner won.")
    # a new version of the first article written after the second article: id order differs
    edited.article(URL, title="Arsenal 2-1 Spurs (report)", text="Full report.")

    with edited.archive.session() as s:
        rows = list(iter_export_rows(s, all_versions=True, batch_size=batch_size))

    assert [(r["url"], r["version"]) for r in rows] == [
        (URL, 1),
        (URL, 2),
        (URL, 3),
        (URL, 4),
        (other, 1),
    ]
    assert [len(r["links"]) for r in rows] == [1, 0, 2, 0, 0]


def test_export_rows_of_chosen_sources(edited: Seeder) -> None:
    tennis = edited.other_source("tennis")
    tennis.article("https://tennis.example.com/final.html", title="Final")

    with edited.archive.session() as s:
        assert [r["source"] for r in iter_export_rows(s)] == ["demo", "tennis"]
        assert [r["title"] for r in iter_export_rows(s, sources=["tennis"])] == ["Final"]
        assert list(iter_export_rows(s, sources=[])) == []
        with pytest.raises(NotFoundError, match="No source named 'golf'"):
            list(iter_export_rows(s, sources=["golf"]))


def test_export_rows_of_an_empty_archive(archive_db: Archive) -> None:
    with archive_db.session() as s:
        assert list(iter_export_rows(s, all_versions=True)) == []
