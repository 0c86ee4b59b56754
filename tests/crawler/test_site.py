"""The demo site: what a crawler finds where, how edits show, and how the odd pages misbehave."""

from __future__ import annotations

import difflib
import http.client
import json
import re
import string
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from crawler.demo.server import SiteServer
from crawler.demo.site import ERROR_PATHS, SECTIONS, NewsSite, SiteConfig
from tests.mockserver import MockServer

NOW = datetime(2025, 11, 25, 12, 0, tzinfo=UTC)
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def fetch(
    base_url: str, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> Response:
    """One request, no redirects followed, any status returned."""
    host, port = urlsplit(base_url).hostname, urlsplit(base_url).port
    conn = http.client.HTTPConnection(host or "127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


class Links(HTMLParser):
    """The hrefs of a page, optionally only those inside an element with a given class."""

    def __init__(self, inside_class: str | None = None) -> None:
        super().__init__()
        self.inside_class, self.depth = inside_class, 0
        self.hrefs: list[str] = []
        self.rel: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if self.depth:
            self.depth += tag not in ("br", "input", "img", "meta", "link")
        elif self.inside_class and self.inside_class in (a.get("class") or "").split():
            self.depth = 1
        if tag == "a" and a.get("href") and (self.depth or not self.inside_class):
            self.hrefs.append(a["href"] or "")
            if a.get("rel"):
                self.rel[a["rel"] or ""] = a["href"] or ""

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1


def links(html: str, inside_class: str | None = None) -> Links:
    parser = Links(inside_class)
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def model() -> NewsSite:
    """60 articles, each reachable by one discovery path, plus the misbehaving pages."""
    return NewsSite(SiteConfig(n_articles=60, exclusive_discovery=True, with_errors=True, now=NOW))


@pytest.fixture(scope="module")
def server(model: NewsSite) -> Iterator[SiteServer]:
    with SiteServer(model) as srv:
        srv.slow = 0.05
        yield srv


@pytest.fixture
def fresh_server() -> Iterator[SiteServer]:
    """A private site for tests that edit articles or change the server's behaviour."""
    config = SiteConfig(n_articles=30, exclusive_discovery=True, with_errors=True, now=NOW)
    with SiteServer(NewsSite(config)) as srv:
        yield srv


def paths_of(site: NewsSite, group: str) -> set[str]:
    return {site.article(i).path for i in site.group_ids(group)}


# -- discovery -------------------------------------------------------------------------------


def test_groups_partition_the_articles_by_id_mod_3(model: NewsSite) -> None:
    assert [model.discovery_group(i) for i in (1, 2, 3, 4)] == [
        "section",
        "feed",
        "sitemap",
        "section",
    ]
    groups = [set(model.group_ids(g)) for g in ("section", "feed", "sitemap")]
    assert set.union(*groups) == set(range(1, 61))
    assert sum(map(len, groups)) == 60
    assert NewsSite(SiteConfig(n_articles=3)).discovery_group(2) == "all"


def test_sitemap_index_and_chunks_list_exactly_the_sitemap_group(
    model: NewsSite, server: SiteServer
) -> None:
    index = ET.fromstring(fetch(server.base_url, "/sitemap.xml").body)
    assert index.tag == f"{SM}sitemapindex"
    locs = [s.findtext(f"{SM}loc") or "" for s in index.findall(f"{SM}sitemap")]
    assert all(s.findtext(f"{SM}lastmod") for s in index.findall(f"{SM}sitemap"))
    assert locs == [server.url("/sitemaps/articles-1.xml"), server.url("/sitemaps/news.xml")]

    chunk = ET.fromstring(fetch(server.base_url, "/sitemaps/articles-1.xml").body)
    urls = chunk.findall(f"{SM}url")
    assert {urlsplit(u.findtext(f"{SM}loc") or "").path for u in urls} == paths_of(model, "sitemap")
    assert all(u.findtext(f"{SM}lastmod") for u in urls)


def test_news_sitemap_lists_sitemap_articles_of_the_last_two_days(
    model: NewsSite, server: SiteServer
) -> None:
    news = ET.fromstring(fetch(server.base_url, "/sitemaps/news.xml").body)
    listed = {
        urlsplit(u.findtext(f"{SM}loc") or "").path: u.findtext(
            f"{NEWS}news/{NEWS}publication_date"
        )
        for u in news.findall(f"{SM}url")
    }
    expected = {
        model.article(i).path
        for i in model.group_ids("sitemap")
        if model.article(i).published >= NOW - timedelta(days=2)
    }
    assert set(listed) == expected
    assert 0 < len(expected) < len(model.group_ids("sitemap"))
    assert all(date and date.endswith("+00:00") for date in listed.values())


def test_sitemaps_are_split_in_chunks_of_1000_urls() -> None:
    big = NewsSite(SiteConfig(n_articles=2500, now=NOW))
    index = ET.fromstring(big.render("/sitemap.xml", "http://h").body)
    locs = [s.findtext(f"{SM}loc") for s in index.findall(f"{SM}sitemap")]
    assert locs[:3] == [f"http://h/sitemaps/articles-{k}.xml" for k in (1, 2, 3)]
    sizes = [
        len(ET.fromstring(big.render(f"/sitemaps/articles-{k}.xml", "http://h").body))
        for k in (1, 2, 3)
    ]
    assert sizes == [1000, 1000, 500]
    assert big.render("/sitemaps/articles-4.xml", "http://h").status == 404


def test_rss_feed_is_valid_and_lists_the_feed_group(model: NewsSite, server: SiteServer) -> None:
    resp = fetch(server.base_url, "/feed.xml")
    assert resp.headers["content-type"].startswith("application/rss+xml")
    channel = ET.fromstring(resp.body).find("channel")
    assert channel is not None
    items = channel.findall("item")
    assert {urlsplit(i.findtext("link") or "").path for i in items} == paths_of(model, "feed")
    for item in items:
        assert item.findtext("title")
        assert item.findtext("description")
        assert item.findtext("pubDate", "").endswith("GMT")
        article = model.article(int(re.findall(r"-(\d+)\.html", item.findtext("link") or "")[0]))
        assert [c.text for c in item.findall(f"{DC}creator")] == article.authors


def test_atom_feed_lists_the_same_articles(model: NewsSite, server: SiteServer) -> None:
    feed = ET.fromstring(fetch(server.base_url, "/atom.xml").body)
    entries = feed.findall(f"{ATOM}entry")
    hrefs = {urlsplit(e.find(f"{ATOM}link").get("href", "")).path for e in entries}  # type: ignore[union-attr]
    assert hrefs == paths_of(model, "feed")
    assert all(e.findtext(f"{ATOM}published") and e.findtext(f"{ATOM}updated") for e in entries)


def test_without_exclusive_discovery_the_feed_has_the_newest_50() -> None:
    everything = NewsSite(SiteConfig(n_articles=80, now=NOW))
    channel = ET.fromstring(everything.render("/feed.xml", "http://h").body).find("channel")
    assert channel is not None
    links_ = [i.findtext("link") for i in channel.findall("item")]
    assert links_ == ["http://h" + everything.article(i).path for i in range(1, 51)]


def test_section_pages_list_exactly_the_section_group(model: NewsSite, server: SiteServer) -> None:
    found: set[str] = set()
    for section in SECTIONS:
        page = links(fetch(server.base_url, f"/{section}/").text, "section-index")
        found |= {h for h in page.hrefs if h.endswith(".html")}
    assert found == paths_of(model, "section")


def test_section_pages_are_paginated_with_next_links() -> None:
    big = NewsSite(SiteConfig(n_articles=200, now=NOW))
    expected = [a.path for a in big.articles() if a.section == "football"]
    assert len(expected) > 25
    seen: list[str] = []
    target: str | None = "/football/"
    while target:
        page = big.render(target, "http://h")
        assert page.status == 200
        parsed = links(page.body.decode(), "section-index")
        seen += [h for h in parsed.hrefs if h.endswith(".html")]
        target = parsed.rel.get("next")
    assert seen == expected  # newest first, each once
    assert big.render("/football/?page=99", "http://h").status == 404


def test_home_page_links_sections_and_tags_but_no_articles_when_exclusive(
    model: NewsSite, server: SiteServer
) -> None:
    hrefs = links(fetch(server.base_url, "/").text).hrefs
    assert {f"/{s}/" for s in SECTIONS} <= set(hrefs)
    assert any(h.startswith("/tag/") for h in hrefs)
    assert "/odds-and-ends/" in hrefs
    assert not [h for h in hrefs if h.endswith(".html") and h not in model.nav_paths()]


def test_robots_txt(server: SiteServer) -> None:
    resp = fetch(server.base_url, "/robots.txt")
    assert resp.headers["content-type"].startswith("text/plain")
    assert "User-agent: *" in resp.text
    assert "Disallow: /private/" in resp.text
    assert f"Sitemap: {server.base_url}/sitemap.xml" in resp.text


# -- articles --------------------------------------------------------------------------------


def test_article_page_is_a_full_news_page(model: NewsSite, server: SiteServer) -> None:
    two_authors = next(a for a in model.articles() if len(a.authors) == 2)
    html = fetch(server.base_url, two_authors.path).text
    assert f"<title>{two_authors.headline} | Pressbox Sports Daily</title>" in html
    assert f'<link rel="canonical" href="{server.url(two_authors.path)}">' in html
    for prop in ("og:title", "og:site_name", "og:url", "article:published_time"):
        assert f'property="{prop}"' in html
    assert '<meta property="og:type" content="article">' in html
    assert "article:modified_time" not in html
    assert f"By {two_authors.authors[0]}" in re.sub(r"<[^>]+>", "", html)
    assert " and " in re.sub(r"<[^>]+>", "", html.split('class="byline"')[1].split("</p>")[0])
    ld = json.loads(html.split('type="application/ld+json">')[1].split("</script>")[0])
    assert ld["@type"] == "NewsArticle"
    assert [p["name"] for p in ld["author"]] == two_authors.authors
    assert "dateModified" not in ld
    for paragraph in two_authors.paragraphs:
        assert re.sub(r"<[^>]+>", "", paragraph) in re.sub(r"<a [^>]+>|</a>", "", html)
    for marker in ("cookie-banner", "Post comment", "Comments are moderated", "newsletter"):
        assert marker in html
    assert set(model.nav_paths()) <= set(links(html).hrefs)


def test_links_of_an_article_stay_inside_its_discovery_group(model: NewsSite) -> None:
    for article in model.articles():
        html = model.render(article.path, "http://h").body.decode()
        related = links(html, "related-stories").hrefs
        assert 3 <= len(related) <= 4
        assert related == model.related_paths(article.id)
        assert "Related stories" in html
        assert len(links(html, "more-stories").hrefs) <= 3
        internal = [h for h in links(html).hrefs if re.search(r"-\d+\.html$", h)]
        groups = {model.discovery_group(int(re.findall(r"-(\d+)\.html$", h)[0])) for h in internal}
        assert groups == {article.group}
        body = links(html, "article-body").hrefs
        assert sum(h.startswith("https://") for h in body) == 1  # one external link


def test_teasers_are_not_body_text(model: NewsSite) -> None:
    article = model.article(1)
    html = model.render(article.path, "http://h").body.decode()
    teasers = re.findall(r'<p class="teaser">([^<]+)</p>', html)
    assert teasers
    assert not any(t in article.text for t in teasers)


def test_conditional_requests_get_304(model: NewsSite, server: SiteServer) -> None:
    path = model.article(4).path
    first = fetch(server.base_url, path)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert first.status == 200
    assert etag.startswith('"')
    again = fetch(server.base_url, path, {"If-None-Match": etag})
    assert (again.status, again.body) == (304, b"")
    assert fetch(server.base_url, path, {"If-Modified-Since": last_modified}).status == 304
    assert fetch(server.base_url, path, {"If-None-Match": '"other"'}).status == 200
    earlier = format_datetime(model.article(4).published - timedelta(hours=1), usegmt=True)
    assert fetch(server.base_url, path, {"If-Modified-Since": earlier}).status == 200


# -- edits -----------------------------------------------------------------------------------


def test_headline_edit_changes_page_etag_and_lastmod(fresh_server: SiteServer) -> None:
    site, base = fresh_server.site, fresh_server.base_url
    article = site.article(3)  # a sitemap article
    before = fetch(base, article.path)

    edited = site.edit(3, "headline")

    after = fetch(base, article.path)
    assert edited.revision == article.revision + 1
    assert edited.headline != article.headline
    assert edited.headline in after.text
    assert edited.paragraphs == article.paragraphs
    assert after.headers["etag"] != before.headers["etag"]
    assert fetch(base, article.path, {"If-None-Match": before.headers["etag"]}).status == 200
    assert edited.modified is not None
    assert f'"dateModified": "{edited.modified.isoformat()}"' in after.text
    assert f'property="article:modified_time" content="{edited.modified.isoformat()}"' in (
        after.text
    )
    chunk = ET.fromstring(fetch(base, "/sitemaps/articles-1.xml").body)
    lastmod = {
        urlsplit(u.findtext(f"{SM}loc") or "").path: u.findtext(f"{SM}lastmod")
        for u in chunk.findall(f"{SM}url")
    }
    assert lastmod[article.path] == edited.modified.isoformat()


def test_other_articles_are_untouched_by_an_edit(fresh_server: SiteServer) -> None:
    site, base = fresh_server.site, fresh_server.base_url
    etags = {p: fetch(base, p).headers["etag"] for p in site.article_paths()}
    site.edit(5, "headline")
    changed = {p for p in etags if fetch(base, p, {"If-None-Match": etags[p]}).status == 200}
    assert changed == {site.article(5).path}


def _strip(text: str) -> str:
    table = str.maketrans("", "", string.punctuation + "“”’")
    return " ".join(text.translate(table).split())


def test_whitespace_edit_changes_only_whitespace_or_punctuation() -> None:
    site = NewsSite(SiteConfig(n_articles=12, now=NOW))
    for article_id in range(1, 13):
        for _ in range(3):
            before = site.article(article_id)
            after = site.edit(article_id, "whitespace")
            assert after.paragraphs != before.paragraphs
            assert [_strip(p) for p in after.paragraphs] == [_strip(p) for p in before.paragraphs]
            assert after.headline == before.headline


@pytest.mark.parametrize(
    ("kind", "changed"),
    [("score", {0}), ("third_paragraph", {2}), ("headline", set())],
)
def test_body_edits_touch_only_their_paragraph(kind: str, changed: set[int]) -> None:
    site = NewsSite(SiteConfig(n_articles=24, now=NOW))
    for article_id in range(1, 25):
        before = site.article(article_id)
        after = site.edit(article_id, kind)
        pairs = zip(before.paragraphs, after.paragraphs, strict=True)
        diff = {k for k, (a, b) in enumerate(pairs) if a != b}
        assert diff == changed, (kind, article_id)
        if kind == "third_paragraph":
            old, new = before.paragraphs[2].split(), after.paragraphs[2].split()
            ops = difflib.SequenceMatcher(a=old, b=new).get_opcodes()
            assert (
                0 < sum(max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in ops if op != "equal") <= 6
            )


def test_score_edit_corrects_a_score() -> None:
    site = NewsSite(SiteConfig(n_articles=6, now=NOW))
    before = site.article(2)
    after = site.edit(2, "score")
    old = re.findall(r"\b\d+-\d+\b", before.paragraphs[0])
    new = re.findall(r"\b\d+-\d+\b", after.paragraphs[0])
    assert old != new
    assert len(old) == len(new)


def test_add_paragraph_appends_one() -> None:
    site = NewsSite(SiteConfig(n_articles=6, now=NOW))
    before = site.article(1)
    after = site.edit_many([1], "add_paragraph")[0]
    assert after.paragraphs[:-1] == before.paragraphs
    assert after.paragraphs[-1] not in before.paragraphs


def test_unknown_edit_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown edit kind"):
        NewsSite(SiteConfig(n_articles=3)).edit(1, "rewrite")


def test_same_seed_same_site_other_seed_other_site() -> None:
    def make(seed: int) -> NewsSite:
        return NewsSite(SiteConfig(n_articles=20, seed=seed, now=NOW))

    assert (
        make(1).render(make(1).article_paths()[0], "http://h").body
        == make(1).render(make(1).article_paths()[0], "http://h").body
    )
    assert [a.headline for a in make(1).articles()] != [a.headline for a in make(2).articles()]


# -- the misbehaving pages -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "content_type"),
    [
        (ERROR_PATHS["not_found"], 404, "text/html"),
        (ERROR_PATHS["server_error"], 500, "text/html"),
        (ERROR_PATHS["loop"], 302, "text/html"),
        (ERROR_PATHS["moved"], 301, "text/html"),
        (ERROR_PATHS["pdf"], 200, "application/pdf"),
        (ERROR_PATHS["jpeg"], 200, "image/jpeg"),
        (ERROR_PATHS["private"], 200, "text/html"),
        (ERROR_PATHS["slow"], 200, "text/html"),
        ("/odds-and-ends/", 200, "text/html"),
    ],
)
def test_error_endpoints(server: SiteServer, path: str, status: int, content_type: str) -> None:
    resp = fetch(server.base_url, path)
    assert resp.status == status
    assert resp.headers["content-type"].startswith(content_type)


def test_redirects(model: NewsSite, server: SiteServer) -> None:
    assert fetch(server.base_url, ERROR_PATHS["loop"]).headers["location"] == ERROR_PATHS["loop_b"]
    assert fetch(server.base_url, ERROR_PATHS["loop_b"]).headers["location"] == ERROR_PATHS["loop"]
    target = fetch(server.base_url, ERROR_PATHS["moved"]).headers["location"]
    assert target in paths_of(model, "section")
    assert fetch(server.base_url, target).status == 200


def test_binary_pages(server: SiteServer) -> None:
    assert fetch(server.base_url, ERROR_PATHS["pdf"]).body.startswith(b"%PDF-1.4")
    assert fetch(server.base_url, ERROR_PATHS["jpeg"]).body.startswith(b"\xff\xd8\xff")


def test_no_charset_page_is_cp1252_without_any_declaration(server: SiteServer) -> None:
    resp = fetch(server.base_url, ERROR_PATHS["no_charset"])
    assert resp.headers["content-type"] == "text/html"
    assert b"charset=" not in resp.body.lower()
    assert b"<meta charset" not in resp.body.lower()
    with pytest.raises(UnicodeDecodeError):
        resp.body.decode("utf-8")
    assert "Müller's late winner stuns Bayern" in resp.body.decode("cp1252")


def test_wrong_charset_page_says_latin1_but_is_utf8(server: SiteServer) -> None:
    resp = fetch(server.base_url, ERROR_PATHS["wrong_charset"])
    assert resp.headers["content-type"] == "text/html; charset=iso-8859-1"
    assert '<meta charset="utf-8">' in resp.text
    assert "São Paulo derby ends in draw" in resp.text
    assert "Atlético" in resp.text


def test_huge_and_malformed_pages_are_still_articles(server: SiteServer) -> None:
    huge = fetch(server.base_url, ERROR_PATHS["huge"])
    assert 3_000_000 < len(huge.body) < 3_500_000
    assert "<h1>" in huge.text
    malformed = fetch(server.base_url, ERROR_PATHS["malformed"]).text
    assert "<h1>" in malformed
    assert "</p>" not in malformed
    assert "</article>" not in malformed


def test_error_pages_are_absent_without_with_errors() -> None:
    plain = NewsSite(SiteConfig(n_articles=5, now=NOW))
    assert plain.render(ERROR_PATHS["pdf"], "http://h").status == 404
    assert plain.render("/odds-and-ends/", "http://h").status == 404


# -- the server --------------------------------------------------------------------------------


def test_admin_fail_delay_and_stats(fresh_server: SiteServer) -> None:
    base = fresh_server.base_url
    assert fetch(base, "/_admin/reset-stats", method="POST").status == 200
    fetch(base, "/robots.txt")
    fetch(base, "/robots.txt", {"If-None-Match": fetch(base, "/robots.txt").headers["etag"]})
    assert fetch(base, "/_admin/fail?status=503", method="POST").status == 200
    assert fetch(base, "/feed.xml").status == 503
    fetch(base, "/_admin/fail?status=0", method="POST")
    assert fetch(base, "/feed.xml").status == 200
    stats = json.loads(fetch(base, "/_admin/stats").body)
    assert stats["requests"] == 5
    assert stats["by_path"] == {"/robots.txt": 3, "/feed.xml": 2}
    assert stats["status_counts"]["/robots.txt"] == {"200": 2, "304": 1}
    assert stats["status_counts"]["/feed.xml"] == {"503": 1, "200": 1}

    fetch(base, "/_admin/delay?seconds=0.3", method="POST")
    threads = [threading.Thread(target=fetch, args=(base, "/")) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert json.loads(fetch(base, "/_admin/stats").body)["max_in_flight"] >= 2


def test_admin_edit_and_articles(fresh_server: SiteServer) -> None:
    base = fresh_server.base_url
    resp = fetch(base, "/_admin/edit?ids=1,2&kind=headline", method="POST")
    assert [e["revision"] for e in json.loads(resp.body)["edited"]] == [2, 2]
    assert fetch(base, "/_admin/edit?id=1&kind=nope", method="POST").status == 400
    assert fetch(base, "/_admin/edit?id=999&kind=score", method="POST").status == 404
    assert fetch(base, "/_admin/edit?id=1&kind=score").status == 405  # GET
    listed = json.loads(fetch(base, "/_admin/articles").body)
    assert [a["revision"] for a in listed[:3]] == [2, 2, 1]
    assert listed[2]["group"] == "sitemap"
    assert listed[2]["path"].endswith("-3.html")


def test_mockserver_subprocess_serves_and_reports_stats() -> None:
    with MockServer(articles=12) as mock:
        assert mock.base_url.startswith("http://127.0.0.1:")
        feed = fetch(mock.base_url, "/feed.xml")
        assert feed.status == 200
        articles = mock.articles()
        assert len(articles) == 12
        assert articles[1]["group"] == "feed"
        mock.reset_stats()
        fetch(mock.base_url, articles[0]["path"])
        assert mock.edit(1, "headline")["revision"] == 2
        assert [e["id"] for e in mock.edit_many([2, 3], "whitespace")] == [2, 3]
        stats = mock.stats()
        assert stats["requests"] == 1
        assert stats["by_path"] == {articles[0]["path"]: 1}
        mock.fail(500)
        assert fetch(mock.base_url, "/").status == 500
        mock.fail(0)
        mock.delay(0)
        assert fetch(mock.base_url, "/").status == 200
        proc = mock.proc
    assert proc is not None
    assert proc.poll() is not None
