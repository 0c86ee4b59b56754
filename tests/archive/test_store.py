"""The versioning rules of the write path (``archive.store.ArchiveWriter``)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from archive.models import Article, ArticleURL, CrawlRun, Fetch, Version
from archive.store import content_hash
from archive.urls import canonical_url

if TYPE_CHECKING:
    from archive.db import Archive
    from tests.archive.conftest import Seeder

URL = "https://demo.example.com/football/2026/11/25/arsenal-spurs.html"


def versions_of(archive: Archive, url: str = URL) -> list[Version]:
    with archive.session() as s:
        article = s.scalars(select(Article).where(Article.url == url)).one()
        return list(
            s.scalars(
                select(Version).where(Version.article_id == article.id).order_by(Version.version)
            )
        )


def fetches(archive: Archive) -> list[Fetch]:
    with archive.session() as s:
        return list(s.scalars(select(Fetch).order_by(Fetch.id)))


def test_same_content_twice_is_one_version_and_two_fetches(seed: Seeder) -> None:
    assert seed.article(URL) == "new_article"
    assert seed.article(URL) == "unchanged"

    [version] = versions_of(seed.archive)
    first, second = fetches(seed.archive)
    assert (first.outcome, second.outcome) == ("new_article", "unchanged")
    assert first.version_id == second.version_id == version.id


def test_changed_content_is_version_two(seed: Seeder) -> None:
    seed.article(URL, title="Arsenal 1-0 Spurs")
    assert seed.article(URL, title="Arsenal 2-1 Spurs") == "new_version"

    v1, v2 = versions_of(seed.archive)
    assert (v1.version, v1.title) == (1, "Arsenal 1-0 Spurs")
    assert (v2.version, v2.title) == (2, "Arsenal 2-1 Spurs")
    with seed.archive.session() as s:
        article = s.scalars(select(Article)).one()
        assert article.version_count == 2
        assert article.latest_version_id == v2.id
        assert article.content_hash == v2.content_hash


def test_revert_to_earlier_content_is_a_new_version(seed: Seeder) -> None:
    outcomes = [seed.article(URL, text=text) for text in ("Draft A.", "Draft B.", "Draft A.")]

    assert outcomes == ["new_article", "new_version", "new_version"]
    v1, v2, v3 = versions_of(seed.archive)
    assert v1.content_hash == v3.content_hash != v2.content_hash


def test_whitespace_only_rewrap_keeps_the_hash(seed: Seeder) -> None:
    def hash_of(text: str) -> str:
        return content_hash(title="Report", text=text, authors=["A"], published=None, modified=None)

    text = "Arsenal beat Spurs two goals to one.\nSaka scored twice."
    # re-indented markup: runs of spaces, tabs, NBSPs, blank lines, CRLF line ends
    rewrapped = "  Arsenal beat  Spurs\ttwo goals\u00a0to one.  \r\n\r\n\n   Saka scored twice.\n"
    assert hash_of(text) == hash_of(rewrapped)
    assert hash_of(text) != hash_of(text.replace("twice", "once"))

    seed.article(URL, text=text)
    assert seed.article(URL, text=rewrapped) == "unchanged"
    assert len(versions_of(seed.archive)) == 1


def test_versions_are_numbered_without_gaps(seed: Seeder) -> None:
    for text in ["one", "two", "two", "three", "three", "four", "one"]:
        seed.article(URL, text=text)

    assert [v.version for v in versions_of(seed.archive)] == [1, 2, 3, 4, 5]


def test_run_counts_equal_the_outcomes(seed: Seeder) -> None:
    other = "https://demo.example.com/tennis/2026/11/25/final.html"
    outcomes = seed.write(
        seed.page(URL, seed.content(URL, text="first")),
        seed.page(URL, seed.content(URL, text="first")),
        seed.page(URL, seed.content(URL, text="second")),
        seed.page(other, seed.content(other)),
        seed.page("https://demo.example.com/football/", kind="page"),
        seed.page("https://demo.example.com/gone.html", kind="error", status=404, error="404"),
        seed.page("https://demo.example.com/feed.xml", kind="discovery"),
    )

    assert outcomes == [
        "new_article",
        "unchanged",
        "new_version",
        "new_article",
        "not_article",
        "error",
        "discovery",
    ]
    with seed.archive.session() as s:
        run = s.get(CrawlRun, seed.run_id)
        assert run is not None
        assert (run.articles_new, run.versions_new, run.unchanged) == (2, 1, 1)
        assert (run.skipped, run.errors, run.pages_fetched) == (1, 1, 7)
        by_outcome = dict(
            s.execute(select(Fetch.outcome, func.count()).group_by(Fetch.outcome)).all()
        )
    assert by_outcome == {
        "new_article": 2,
        "unchanged": 1,
        "new_version": 1,
        "not_article": 1,
        "error": 1,
        "discovery": 1,
    }


def test_not_modified_adds_a_fetch_of_the_latest_version(seed: Seeder) -> None:
    seed.article(URL, text="v1")
    seed.article(URL, text="v2")
    with seed.archive.session() as s:
        article = s.scalars(select(Article)).one()

    [outcome] = seed.write(seed.page(URL, kind="not_modified", status=304, article_id=article.id))

    assert outcome == "not_modified"
    assert len(versions_of(seed.archive)) == 2
    last = fetches(seed.archive)[-1]
    assert (last.outcome, last.status) == ("not_modified", 304)
    assert (last.article_id, last.version_id) == (article.id, article.latest_version_id)


def test_tracking_parameters_map_to_the_same_article(seed: Seeder) -> None:
    seed.article(URL)
    shared = f"{URL}?utm_source=twitter&utm_medium=social#comments"

    assert seed.article(shared, canonical_url=canonical_url(shared, None)) == "unchanged"

    with seed.archive.session() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 1


def test_a_different_url_with_the_same_canonical_is_an_alias(seed: Seeder) -> None:
    seed.article(URL)
    amp = "https://demo.example.com/amp/arsenal-spurs"

    assert seed.article(amp, canonical_url=canonical_url(amp, URL)) == "unchanged"
    # a later fetch of the AMP page that declares no canonical is still found through the alias
    assert seed.article(amp, canonical_url=amp, text="Updated.") == "new_version"

    with seed.archive.session() as s:
        [article] = s.scalars(select(Article)).all()
        assert article.url == URL
        alias = s.get(ArticleURL, amp)
        assert alias is not None
        assert alias.article_id == article.id


def test_an_error_adds_a_fetch_and_no_article(seed: Seeder) -> None:
    [outcome] = seed.write(seed.page(URL, kind="error", status=503, error="HTTP 503"))

    assert outcome == "error"
    [fetch] = fetches(seed.archive)
    assert (fetch.outcome, fetch.status, fetch.error) == ("error", 503, "HTTP 503")
    assert fetch.article_id is None
    with seed.archive.session() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 0


def test_a_young_article_is_checked_again_in_15_minutes(seed: Seeder) -> None:
    fetched = seed.now
    published = (fetched - timedelta(hours=1)).isoformat()

    seed.article(URL, published=published, fetched_at=fetched)

    with seed.archive.session() as s:
        article = s.scalars(select(Article)).one()
    assert article.next_check == fetched + timedelta(minutes=15)
    assert article.last_fetched == fetched


def test_an_old_article_is_not_checked_again(seed: Seeder) -> None:
    fetched = seed.now
    published = (fetched - timedelta(days=60)).isoformat()

    seed.article(URL, published=published, fetched_at=fetched)

    with seed.archive.session() as s:
        article = s.scalars(select(Article)).one()
    assert article.next_check is None
