"""``pressbox demo``: the core loop end to end on the bundled demo site, on 127.0.0.1 only."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from archive.db import open_archive, resolve_db_url
from archive.models import Article, Version
from archive.queries import history
from archive.sources import SourceSpec, add_source
from crawler.demo.server import SiteServer
from crawler.demo.site import NewsSite, SiteConfig
from crawler.runner import CrawlResult, run_crawl

__all__ = ["DEMO_EDITS", "run_demo"]

#: What the demo changes between its two crawls: (article id, kind of edit).
DEMO_EDITS = ((2, "headline"), (5, "add_paragraph"), (8, "score"))


def _summary(result: CrawlResult) -> str:
    c = result.counts
    return (
        f"run #{result.run_id}: {result.status} in {result.duration:.1f}s - pages fetched "
        f"{c['pages_fetched']}, articles new {c['articles_new']}, new versions "
        f"{c['versions_new']}, unchanged {c['unchanged']}, skipped {c['skipped']}, "
        f"errors {c['errors']}"
    )


def run_demo(
    *,
    db: str | None,
    articles: int = 30,
    port: int = 0,
    keep_serving: bool = False,
    echo: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Serve the demo site, crawl it, edit a few articles, crawl again, report the changes."""
    url = resolve_db_url(db)
    site = NewsSite(SiteConfig(n_articles=articles))
    with SiteServer(site, port=port) as server:
        base = server.base_url
        echo(f"Demo site: {base}/ ({articles} articles)   archive: {url}")
        archive = open_archive(url)
        try:
            with archive.write_session() as session:
                add_source(
                    session,
                    SourceSpec(
                        name="demo",
                        url=f"{base}/",
                        feeds=[f"{base}/feed.xml"],
                        sitemaps=[f"{base}/sitemap.xml"],
                        delay=0.0,
                    ),
                    replace=True,
                )
        finally:
            archive.close()
        fast = {"AUTOTHROTTLE_ENABLED": "False"}  # our own server on loopback
        echo("\n1. First crawl: discover every article through the feed, the sitemap and links")
        first = run_crawl("demo", db=url, settings=fast)
        echo("   " + _summary(first))
        echo("\n2. The site edits articles: " + ", ".join(f"#{i} {k}" for i, k in DEMO_EDITS))
        for article_id, kind in DEMO_EDITS:
            site.edit(article_id, kind)
        echo("\n3. Second crawl, revisiting every known article")
        second = run_crawl("demo", db=url, revisit="all", settings=fast)
        echo("   " + _summary(second))
        changed = _changes(url, second.run_id)
        echo("\n4. What changed:")
        for item in changed:
            last = item["history"][-1]
            echo(
                f"   {item['url']}\n     v{last['version']}: changed {', '.join(last['changed'])}"
                f" (+{last['words_added']}/-{last['words_removed']} words)"
                f"\n     title: {last['title']}"
            )
        echo(
            "\nTry: pressbox history URL | pressbox show URL --version 1 | "
            "pressbox export --format csv --out demo.csv"
        )
        if keep_serving:
            echo(f"\nServing {base}/ until Ctrl-C.")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    result = {"first": first.as_dict(), "second": second.as_dict(), "changed": changed}
    return json.loads(json.dumps(result, default=str))


def _changes(url: str, run_id: int) -> list[dict[str, Any]]:
    archive = open_archive(url)
    try:
        with archive.session() as session:
            urls = session.scalars(
                select(Article.url)
                .join(Version, Version.article_id == Article.id)
                .where(Version.crawl_run_id == run_id, Version.version > 1)
                .order_by(Article.id)
            ).all()
            return [{"url": u, "history": history(session, u)} for u in urls]
    finally:
        archive.close()
