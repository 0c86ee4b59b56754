"""End-to-end crawls of the local test site into a SQLite archive (real Scrapy processes)."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from archive.db import Archive
from archive.models import Article, Fetch, Link, Version
from archive.urls import normalize_url
from crawler.demo.site import NewsSite, SiteConfig
from tests.crawler.conftest import add_site_source, crawl
from tests.mockserver import MockServer

pytestmark = pytest.mark.slow


def article_urls(server: MockServer) -> set[str]:
    return {normalize_url(server.url(a["path"])) for a in server.articles()}


def test_a_crawl_finds_every_article_once_through_sitemap_feed_and_links(
    site: MockServer, archive: Archive, db_url: str
) -> None:
    add_site_source(archive, site)

    result = crawl(db_url)

    assert result.status == "ok", result.message
    expected = article_urls(site)
    groups = Counter(a["group"] for a in site.articles())
    assert set(groups) == {"section", "feed", "sitemap"}  # each path has its own articles
    with archive.session() as s:
        archived = set(s.scalars(select(Article.url)))
        assert archived == expected
        assert s.scalar(select(func.count()).select_from(Version)) == len(expected)
    assert result.counts["articles_new"] == len(expected)
    assert result.counts["versions_new"] == 0


def test_edits_become_new_versions_and_unchanged_pages_only_fetches(
    site: MockServer, archive: Archive, db_url: str
) -> None:
    add_site_source(archive, site)
    first = crawl(db_url)
    assert first.counts["articles_new"] == 60
    edited = [3, 10, 17, 31, 44]
    for article_id, kind in zip(
        edited, ["headline", "add_paragraph", "score", "third_paragraph", "headline"], strict=True
    ):
        site.edit(article_id, kind)

    second = crawl(db_url, revisit="all")

    assert second.counts["versions_new"] == 5
    assert second.counts["articles_new"] == 0
    assert second.counts["unchanged"] == 55
    with archive.session() as s:
        per_article = dict(
            s.execute(
                select(Article.url, func.count(Fetch.id))
                .join(Fetch, Fetch.article_id == Article.id)
                .where(Fetch.crawl_run_id == second.run_id)
                .group_by(Article.url)
            ).all()
        )
        assert len(per_article) == 60
        assert set(per_article.values()) == {1}
        changed = set(
            s.scalars(
                select(Article.url)
                .join(Version, Version.article_id == Article.id)
                .where(Version.version == 2)
            )
        )
    paths = {a["id"]: a["path"] for a in site.articles()}
    assert changed == {normalize_url(site.url(paths[i])) for i in edited}

    third = crawl(db_url, revisit="all")

    assert third.counts["versions_new"] == 0
    assert third.counts["unchanged"] == 60
    with archive.session() as s:
        outcomes = Counter(
            s.scalars(select(Fetch.outcome).where(Fetch.crawl_run_id == third.run_id))
        )
    assert outcomes["not_modified"] > 0  # conditional requests: unchanged pages cost little


def test_related_links_are_archived_with_their_text_and_not_navigation(
    site: MockServer, archive: Archive, db_url: str
) -> None:
    add_site_source(archive, site)
    crawl(db_url)
    # the server's content is generated from a seed: a local copy tells what each page holds
    model = NewsSite(SiteConfig(n_articles=60, exclusive_discovery=True))
    checked = 0
    with archive.session() as s:
        for page in model.articles()[:12]:
            url = normalize_url(site.url(page.path))
            version = s.scalars(
                select(Version)
                .join(Article, Version.article_id == Article.id)
                .where(Article.url == url)
            ).one()
            related = s.execute(
                select(Link.url, Link.text).where(
                    Link.version_id == version.id, Link.kind == "related"
                )
            ).all()
            found = {normalize_url(u): t for u, t in related}
            for link in page.related:
                assert normalize_url(site.url(link.href)) in found, (url, link.href)
                assert found[normalize_url(site.url(link.href))].strip()
                if link.teaser:
                    assert link.teaser not in version.text
            nav = {normalize_url(site.url(p)) for p in model.nav_paths()}
            assert not nav & set(found)
            checked += 1
    assert checked == 12
