"""Full-text search: ranking, the archive as of a time, every version, filters, bad queries, and
an FTS table that plain `sqlite3` (and so Datasette) can query."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from archive.errors import NotFoundError, ValidationError
from archive.queries import Filters, get_version, iter_export_rows, search

if TYPE_CHECKING:
    from tests.archive.conftest import Seeder

DERBY = "https://demo.example.com/football/derby.html"
CUP = "https://demo.example.com/football/cup.html"
TENNIS = "https://demo.example.com/tennis/final.html"


@pytest.fixture
def news(seed: Seeder) -> Seeder:
    seed.article(
        DERBY,
        title="Arsenal win the north London derby",
        text="Saka scored a late winner.\nThe derby ended 2-1.",
        published="2026-11-20T15:00:00Z",
        authors=["Jane Doe"],
    )
    seed.article(
        CUP,
        title="Cup draw",
        text="Arsenal drew Chelsea in the cup. A derby mood in the stands, said the manager.",
        published="2026-11-22T15:00:00Z",
        authors=["Анна Иванова"],
    )
    seed.article(
        TENNIS,
        title="Sinner wins the final",
        text="A late break sealed it.",
        published="2026-11-24T15:00:00Z",
        authors=["John Roe"],
        language="it",
    )
    return seed


def urls(session: object, query: str, filters: Filters | None = None) -> list[str]:
    return [r["url"] for r in search(session, query, filters)]  # type: ignore[arg-type]


def test_a_title_match_ranks_above_a_passing_mention(news: Seeder) -> None:
    with news.archive.session() as s:
        results = search(s, "derby")

    assert [r["url"] for r in results] == [DERBY, CUP]
    assert [r["rank"] for r in results] == [1, 2]
    assert results[0]["score"] > results[1]["score"]
    assert "[derby]" in results[0]["snippet"].lower()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"late winner"', [DERBY]),  # a phrase
        ('"late" "break"', [TENNIS]),  # both words
        ("arsenal AND chelsea", [CUP]),
        ("chelsea OR sinner", [CUP, TENNIS]),
        ("arsenal NOT chelsea", [DERBY]),
        ("fin*", [TENNIS]),  # prefix
        ('"2-1"', [DERBY]),  # quoted punctuation
        ("title:cup", [CUP]),
    ],
)
def test_query_syntax(news: Seeder, query: str, expected: list[str]) -> None:
    with news.archive.session() as s:
        assert sorted(urls(s, query)) == sorted(expected)


@pytest.mark.parametrize("query", ["2-1", "AND derby", '"unclosed', "derby OR", "x.y", "   "])
def test_a_malformed_query_says_how_to_write_one(news: Seeder, query: str) -> None:
    with news.archive.session() as s, pytest.raises(ValidationError) as excinfo:
        search(s, query)

    assert "quoted phrases" in str(excinfo.value)


def test_as_of_searches_the_archive_as_it_stood(news: Seeder) -> None:
    before_edit = news.now - timedelta(seconds=1)  # the edit is fetched at news.now
    news.article(DERBY, title="Arsenal win the north London derby", text="Saka scored twice.")
    after_edit = news.now

    with news.archive.session() as s:
        assert urls(s, "winner") == []  # the latest version lost the word
        assert urls(s, "winner", Filters(as_of=before_edit)) == [DERBY]
        assert urls(s, "twice", Filters(as_of=before_edit)) == []
        assert urls(s, "twice", Filters(as_of=after_edit)) == [DERBY]
        # before the cup article was first seen, it was not in the archive at all
        first_fetch = news.now - timedelta(minutes=4)
        assert urls(s, "arsenal", Filters(as_of=first_fetch + timedelta(seconds=1))) == [DERBY]
        assert get_version(s, DERBY, as_of=before_edit)["version"] == 1
        with pytest.raises(NotFoundError, match="not archived yet"):
            get_version(s, CUP, as_of=first_fetch)


def test_all_versions_searches_every_version(news: Seeder) -> None:
    news.article(DERBY, title="Arsenal win the north London derby", text="Saka scored twice.")

    with news.archive.session() as s:
        results = search(s, "saka", Filters(all_versions=True))
        rows = list(iter_export_rows(s, filters=Filters(query="saka", all_versions=True)))

    assert sorted((r["url"], r["version"]) for r in results) == [(DERBY, 1), (DERBY, 2)]
    assert [(r["url"], r["version"]) for r in rows] == [(DERBY, 1), (DERBY, 2)]


def test_filters(news: Seeder) -> None:
    from archive.queries import parse_when

    with news.archive.session() as s:
        assert urls(s, "late", Filters(since=parse_when("2026-11-21"))) == [TENNIS]
        assert urls(s, "arsenal", Filters(until=parse_when("2026-11-20", end=True))) == [DERBY]
        assert urls(s, "late", Filters(author="jane")) == [DERBY]
        assert urls(s, "arsenal", Filters(author="Анна")) == [CUP]
        assert urls(s, "late", Filters(lang="it")) == [TENNIS]
        assert urls(s, "late", Filters(sources=["demo"])) != []
        assert len(search(s, "late OR arsenal", limit=1, offset=1)) == 1
        # first seen (fetched) instead of published: all three were seen on 2026-11-25
        seen = Filters(since=parse_when("2026-11-25"), date_field="fetched")
        assert sorted(urls(s, "late", seen)) == sorted([DERBY, TENNIS])
        with pytest.raises(NotFoundError):
            search(s, "late", Filters(sources=["golf"]))


def test_the_fts_table_works_from_plain_sqlite3(news: Seeder) -> None:
    if news.archive.dialect == "postgresql":  # the same check, in plain SQL, on PostgreSQL
        with news.archive.engine.connect() as conn:
            found = conn.exec_driver_sql(
                "SELECT title FROM versions WHERE search_vector @@ to_tsquery('simple', %s) "
                "ORDER BY ts_rank_cd(search_vector, to_tsquery('simple', %s)) DESC",
                ("derby", "derby"),
            ).fetchall()
        assert [tuple(r) for r in found] == [("Arsenal win the north London derby",), ("Cup draw",)]
        return
    path = news.archive.engine.url.database
    assert path is not None
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT versions.title FROM versions_fts JOIN versions ON versions.id = "
            "versions_fts.rowid WHERE versions_fts MATCH ? ORDER BY rank",
            ("derby",),
        ).fetchall()
    assert rows == [("Arsenal win the north London derby",), ("Cup draw",)]
