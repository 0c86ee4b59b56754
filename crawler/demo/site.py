"""The demo sports-news site: a deterministic content model and its rendering to HTTP pages.

:class:`NewsSite` builds ``n_articles`` fictional reports from a seed and renders any request
target (path and query) to a :class:`Page`, without sockets, so it is usable both from
:mod:`crawler.demo.server` and directly from tests. The pages of the site:

==========================================  =====================================================
``/``                                       home: nav, section and tag links, top stories
``/<section>/`` (``?page=N``)               section index, 25 articles a page, ``rel="next"``
``/tag/<tag>/`` (``?page=N``)               tag index
``/<section>/<yyyy>/<mm>/<slug>-<id>.html``  an article (ETag, Last-Modified, 304s)
``/feed.xml``, ``/atom.xml``                RSS 2.0 and Atom feeds
``/sitemap.xml``                            sitemap index of ``/sitemaps/articles-<k>.xml``
                                            (1,000 URLs each) and ``/sitemaps/news.xml``
``/robots.txt``                             ``Disallow: /private/`` and the ``Sitemap:`` line
``/about.html`` ... ``/terms.html``         footer pages
==========================================  =====================================================

With ``exclusive_discovery`` each article is reachable by exactly one discovery path, chosen by
``id % 3`` (see :meth:`NewsSite.discovery_group`). With ``with_errors`` the site also has the
``/odds-and-ends/`` section of misbehaving pages (see :data:`ERROR_PATHS`).

Link blocks inside an article (related stories, "More from", in-body links) keep the titles
they had when the site was generated, so editing one article never changes another's bytes.
"""

from __future__ import annotations

import bisect
import copy
import hashlib
import json
import random
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape as xml_escape

from crawler.demo import text

__all__ = [
    "EDIT_KINDS",
    "ERROR_PATHS",
    "GROUPS",
    "SECTIONS",
    "Article",
    "Link",
    "NewsSite",
    "Page",
    "SiteConfig",
]

SECTIONS = tuple(text.SECTIONS)
EDIT_KINDS = ("headline", "add_paragraph", "score", "third_paragraph", "whitespace")
GROUPS = ("section", "feed", "sitemap")
PAGE_SIZE = 25
FEED_SIZE = 50
SITEMAP_CHUNK = 1000
NEWS_WINDOW = timedelta(days=2)
FOOTER_PAGES = {
    "/about.html": "About us",
    "/contact.html": "Contact",
    "/privacy.html": "Privacy policy",
    "/terms.html": "Terms of use",
}
#: The misbehaving pages of ``with_errors`` sites, linked from ``/odds-and-ends/``.
ERROR_PATHS = {
    "not_found": "/errors/not-found.html",
    "server_error": "/errors/server-error.html",
    "slow": "/errors/slow.html",
    "loop": "/errors/loop-a.html",
    "loop_b": "/errors/loop-b.html",
    "moved": "/errors/moved.html",
    "pdf": "/errors/season-report",  # a PDF behind an extension-less URL
    "jpeg": "/errors/photo-of-the-day",  # an image, likewise
    "no_charset": "/errors/no-charset.html",
    "wrong_charset": "/errors/wrong-charset.html",
    "huge": "/errors/huge.html",
    "malformed": "/errors/malformed.html",
    "private": "/private/secret.html",
}
ODDS_PATH = "/odds-and-ends/"
HUGE_SIZE = 3 * 1024 * 1024

_ARTICLE_RE = re.compile(r"^/([a-z0-9-]+)/(\d{4})/(\d{2})/([a-z0-9-]+)-(\d+)\.html$")
_SITEMAP_RE = re.compile(r"^/sitemaps/articles-(\d+)\.xml$")
_SCORE_RE = re.compile(r"\b(\d+)-(\d+)\b")
_FAKE_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
_FAKE_JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + bytes(range(256)) * 8
    + b"\xff\xd9"
)


@dataclass
class SiteConfig:
    """How to generate the site. ``now`` (UTC) anchors publication dates; default: this minute."""

    n_articles: int = 30
    seed: int = 1
    exclusive_discovery: bool = False
    with_errors: bool = False
    site_name: str = "Pressbox Sports Daily"
    now: datetime | None = None


@dataclass(frozen=True)
class Link:
    """A link inside an article: in-body (``paragraph`` >= 0) or in a block (-1)."""

    href: str
    anchor: str
    paragraph: int = -1
    article_id: int | None = None
    teaser: str = ""


@dataclass
class Article:
    id: int
    section: str
    slug: str
    headline: str
    authors: list[str]
    published: datetime
    tags: list[str]
    description: str
    paragraphs: list[str]
    group: str = "all"
    modified: datetime | None = None
    revision: int = 1
    body_links: list[Link] = field(default_factory=list)
    related: list[Link] = field(default_factory=list)
    more: list[Link] = field(default_factory=list)
    facts: text.Facts | None = None
    teaser: str = ""
    path_override: str | None = None
    language: str = "en"

    @property
    def path(self) -> str:
        if self.path_override:
            return self.path_override
        return f"/{self.section}/{self.published:%Y/%m}/{self.slug}-{self.id}.html"

    @property
    def updated(self) -> datetime:
        """When the article last changed: modified after an edit, else published."""
        return self.modified or self.published

    @property
    def related_ids(self) -> list[int]:
        return [link.article_id for link in self.related if link.article_id is not None]

    @property
    def related_paths(self) -> list[str]:
        return [link.href for link in self.related]

    @property
    def byline(self) -> str:
        names = self.authors
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    @property
    def text(self) -> str:
        """The body text, paragraphs separated by blank lines."""
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True)
class Page:
    """A rendered response. ``slow`` asks the server for its slow-page delay (or ``delay``)."""

    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    last_modified: datetime | None = None
    etag: str | None = None
    slow: bool = False
    delay: float | None = None


def _slugify(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:70].strip("-")


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _human(value: datetime) -> str:
    return f"{value.day} {value:%B %Y, %H:%M} UTC"


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:20] + '"'


def _ok(
    body: bytes,
    content_type: str = "text/html; charset=utf-8",
    last_modified: datetime | None = None,
) -> Page:
    return Page(200, body, content_type, last_modified=last_modified, etag=_etag(body))


def _redirect(status: int, location: str) -> Page:
    body = f'<html><body><a href="{escape(location)}">Moved</a></body></html>'.encode()
    return Page(status, body, headers=(("Location", location),))


def _title_case(tag: str) -> str:
    return " ".join(w if w.isupper() else w.capitalize() for w in tag.split("-"))


class NewsSite:
    """A deterministic, editable sports-news site (thread-safe: edits and renders share a lock)."""

    def __init__(self, config: SiteConfig | None = None) -> None:
        self.config = config or SiteConfig()
        now = self.config.now or datetime.now(UTC)
        self.now = now.astimezone(UTC).replace(second=0, microsecond=0)
        self._lock = threading.RLock()
        self._version = 0  # bumped by every edit: invalidates cached listing pages
        self._article_cache: dict[tuple[int, str], tuple[int, Page]] = {}
        self._page_cache: dict[tuple[str, str], tuple[int, Page]] = {}
        self._articles: dict[int, Article] = {}
        self._by_path: dict[str, Article] = {}
        self._special: dict[str, Article] = {}
        self._generate()

    # -- generation ------------------------------------------------------------------------

    def _rng(self, *parts: object) -> random.Random:
        key = ":".join(str(p) for p in (self.config.seed, *parts))
        return random.Random(hashlib.sha256(key.encode()).digest())

    def _generate(self) -> None:
        for i in range(1, self.config.n_articles + 1):
            rng = self._rng("article", i)
            published = self.now - timedelta(hours=2 * (i - 1), minutes=rng.randint(5, 55))
            article = self._new_article(i, rng.choice(SECTIONS), published, rng)
            self._articles[i] = article
            self._by_path[article.path] = article
        pools: dict[tuple[str, str], list[int]] = {}
        by_group: dict[str, list[int]] = {}
        for a in self._articles.values():
            pools.setdefault((a.group, a.section), []).append(a.id)
            by_group.setdefault(a.group, []).append(a.id)
        for a in self._articles.values():
            rng = self._rng("links", a.id)
            self._link_article(a, pools[(a.group, a.section)], by_group[a.group], rng)
        if self.config.with_errors:
            self._generate_specials()

    def _new_article(
        self, article_id: int, section: str, published: datetime, rng: random.Random
    ) -> Article:
        facts = text.make_facts(section, rng)
        writer = text.Writer(facts, rng)
        headline = writer.headline()
        paragraphs = [writer.lead(), writer.body(1), writer.turning()]
        paragraphs.extend(writer.body(k) for k in range(3, rng.randint(4, 8)))
        return Article(
            id=article_id,
            section=section,
            slug=_slugify(headline),
            headline=headline,
            authors=rng.sample(text.JOURNALISTS, rng.choice([1, 1, 2])),
            published=published,
            tags=rng.sample(text.SECTIONS[section].tags, rng.choice([2, 3])),
            description=writer.description(),
            paragraphs=paragraphs,
            group=self.discovery_group(article_id),
            facts=facts,
            teaser=writer.teaser(),
        )

    def _link_to(self, target: Article, paragraph: int = -1) -> Link:
        return Link(target.path, target.headline, paragraph, target.id, target.teaser)

    def _link_article(
        self, a: Article, same_section: list[int], same_group: list[int], rng: random.Random
    ) -> None:
        """Related stories, "More from", and in-body links: all within the article's group."""

        def nearest(pool: list[int], k: int, exclude: set[int]) -> list[int]:
            """The ``k`` ids of ``pool`` (sorted) closest to this article's, in O(k)."""
            right = bisect.bisect_left(pool, a.id)
            left = right - 1
            out: list[int] = []
            while len(out) < k and (left >= 0 or right < len(pool)):
                if right >= len(pool) or (left >= 0 and a.id - pool[left] <= pool[right] - a.id):
                    x, left = pool[left], left - 1
                else:
                    x, right = pool[right], right + 1
                if x not in exclude:
                    out.append(x)
            return out

        taken = {a.id}
        related = nearest(same_section, 4, taken)
        if len(related) < 3:
            related += nearest(same_group, 3 - len(related), taken | set(related))
        related = related[: rng.choice([3, 4])]
        a.related = [self._link_to(self._articles[i]) for i in related]
        taken |= set(related)
        more = sorted(x for x in same_section if x not in taken)[:3]
        a.more = [self._link_to(self._articles[i]) for i in more]
        candidates = nearest(same_group, 8, {a.id})
        inbody = rng.sample(candidates, min(2, len(candidates)))
        for paragraph, target_id in zip((1, 3), inbody, strict=False):
            if paragraph >= len(a.paragraphs):
                break
            target = self._articles[target_id]
            assert target.facts is not None
            anchor = text.report_anchor(target.facts)
            sentence = text.internal_link_sentence(rng).format(anchor=anchor)
            a.paragraphs[paragraph] += " " + sentence
            a.body_links.append(Link(target.path, anchor, paragraph, target.id))
        name, host = text.EXTERNAL_SOURCES[a.id % len(text.EXTERNAL_SOURCES)]
        a.paragraphs[1] += " " + text.external_link_sentence().format(anchor=name)
        a.body_links.append(Link(f"https://{host}/{a.section}/reports/{a.id}", name, 1))

    def _generate_specials(self) -> None:
        """The article-like pages of ``with_errors``: odd encodings, sizes and markup."""
        section_pool = [a.id for a in self._articles.values() if self._in_sections(a)]
        specs = [
            ("no_charset", "football", "Müller's late winner stuns Bayern"),
            ("wrong_charset", "football", "São Paulo derby ends in draw"),
            ("huge", "basketball", ""),
            ("slow", "tennis", ""),
            ("malformed", "rugby", ""),
            ("private", "football", ""),
        ]
        for k, (key, section, headline) in enumerate(specs):
            rng = self._rng("special", key)
            published = self.now - timedelta(hours=5 + k, minutes=rng.randint(5, 55))
            art = self._new_article(100_000 + k, section, published, rng)
            art.group = "special"
            art.path_override = ERROR_PATHS[key]
            if headline:
                art.headline = headline
            if key == "no_charset":
                art.paragraphs[0] = (
                    "Thomas Müller’s header in the 89th minute gave the visitors a 2-1 win and "
                    "left Bayern’s supporters stunned – a €100m squad beaten by a side with a "
                    "fraction of the budget. " + art.paragraphs[0]
                )
            elif key == "wrong_charset":
                art.paragraphs[0] = (
                    "São Paulo and Atlético shared the points after a 1-1 draw in a derby "
                    "that never lacked intensity. " + art.paragraphs[0]
                )
            pool = [i for i in section_pool if i % 7 == k % 7] or section_pool
            art.related = [self._link_to(self._articles[i]) for i in pool[:3]]
            self._special[art.path] = art

    # -- discovery groups ------------------------------------------------------------------

    def discovery_group(self, article_id: int) -> str:
        """Where an article is listed: ``section``, ``feed``, ``sitemap``, or ``all``."""
        if not self.config.exclusive_discovery:
            return "all"
        return GROUPS[(article_id - 1) % 3]  # 1 -> section, 2 -> feed, 3 -> sitemap

    def group_ids(self, group: str) -> list[int]:
        """Ids of the articles of a discovery group (``all`` when not exclusive)."""
        return [a.id for a in self._articles.values() if a.group == group]

    def _in_sections(self, a: Article) -> bool:
        return a.group in ("all", "section")

    def _in_feed(self) -> list[Article]:
        if self.config.exclusive_discovery:
            return [a for a in self._articles.values() if a.group == "feed"]
        return list(self._articles.values())[:FEED_SIZE]

    def _in_sitemap(self) -> list[Article]:
        return [a for a in self._articles.values() if a.group in ("all", "sitemap")]

    # -- public helpers for tests ----------------------------------------------------------

    def article(self, article_id: int) -> Article:
        """A snapshot copy of an article (KeyError for unknown ids)."""
        with self._lock:
            return copy.deepcopy(self._articles[article_id])

    def articles(self) -> list[Article]:
        with self._lock:
            return [copy.deepcopy(a) for a in self._articles.values()]

    def article_paths(self) -> list[str]:
        return [a.path for a in self._articles.values()]

    def related_paths(self, article_id: int) -> list[str]:
        return self._articles[article_id].related_paths

    def nav_paths(self) -> list[str]:
        """Paths linked from the header navigation and the footer of every page."""
        return ["/", *(f"/{s}/" for s in SECTIONS), *FOOTER_PAGES]

    def special_paths(self) -> list[str]:
        return list(self._special)

    def url(self, path: str, base_url: str) -> str:
        return base_url.rstrip("/") + path

    # -- edits -----------------------------------------------------------------------------

    def edit(self, article_id: int, kind: str) -> Article:
        """Change an article the way ``kind`` says; bump its revision and modified time."""
        if kind not in EDIT_KINDS:
            raise ValueError(f"unknown edit kind {kind!r}; use one of {', '.join(EDIT_KINDS)}")
        with self._lock:
            a = self._articles[article_id]
            rng = self._rng("edit", article_id, a.revision, kind)
            assert a.facts is not None
            if kind == "headline":
                a.headline = text.headline(a.facts, rng, avoid=a.headline)
            elif kind == "add_paragraph":
                new = text.update_paragraph(a.facts, rng)
                while new in a.paragraphs:
                    new = text.update_paragraph(a.facts, rng) + " More to follow."
                a.paragraphs.append(new)
            elif kind == "score":
                self._edit_score(a)
            elif kind == "third_paragraph":
                a.paragraphs[2] = text.swap_phrase(a.paragraphs[2])
            else:
                self._edit_whitespace(a)
            a.revision += 1
            wall = datetime.now(UTC).replace(microsecond=0)
            floor = (a.modified + timedelta(seconds=1)) if a.modified else a.published
            a.modified = max(wall, floor + timedelta(seconds=1))
            self._version += 1
            return copy.deepcopy(a)

    def edit_many(self, ids: list[int] | tuple[int, ...], kind: str) -> list[Article]:
        return [self.edit(i, kind) for i in ids]

    @staticmethod
    def _edit_score(a: Article) -> None:
        for k, para in enumerate(a.paragraphs):
            match = _SCORE_RE.search(para)
            if match is None:
                continue
            x, y = int(match.group(1)), int(match.group(2))
            new = f"{x}-{(y + 1) % 5}" if a.section == "tennis" else f"{x + 1}-{y}"
            a.paragraphs[k] = para[: match.start()] + new + para[match.end() :]
            return
        a.paragraphs[0] += " The final score was 1-0."

    @staticmethod
    def _edit_whitespace(a: Article) -> None:
        """Whitespace or punctuation only: a double space, or one comma fewer."""
        k = a.revision % len(a.paragraphs)
        para = a.paragraphs[k]
        if a.revision % 2 and ", " in para:
            a.paragraphs[k] = para.replace(", ", " ", 1)
        elif ". " in para:
            a.paragraphs[k] = para.replace(". ", ".  ", 1)
        else:
            a.paragraphs[k] = para.replace(" ", "  ", 1)

    # -- rendering -------------------------------------------------------------------------

    def render(self, target: str, base_url: str) -> Page:
        """The response for a request target (``/path?query``); absolute URLs use ``base_url``."""
        base = base_url.rstrip("/")
        parts = urlsplit(target)
        path, query = parts.path or "/", parse_qs(parts.query)
        with self._lock:
            a = self._by_path.get(path)
            if a is not None:
                return self._cached_article(a, base)
            if self.config.with_errors:
                page = self._render_error_page(path, query, base)
                if page is not None:
                    return page
            key = (target, base)
            hit = self._page_cache.get(key)
            if hit is not None and hit[0] == self._version:
                return hit[1]
            page = self._route(path, query, base)
            if page.status == 200 and len(self._page_cache) < 10_000:
                self._page_cache[key] = (self._version, page)
            return page

    def _cached_article(self, a: Article, base: str) -> Page:
        hit = self._article_cache.get((a.id, base))
        if hit is not None and hit[0] == a.revision:
            return hit[1]
        page = _ok(self._article_html(a, base).encode(), last_modified=a.updated)
        self._article_cache[(a.id, base)] = (a.revision, page)
        return page

    def _route(self, path: str, query: dict[str, list[str]], base: str) -> Page:
        if path == "/":
            return _ok(self._home_html(base).encode())
        if path == "/robots.txt":
            return _ok(self._robots(base).encode(), "text/plain; charset=utf-8")
        if path == "/feed.xml":
            return _ok(self._rss(base).encode(), "application/rss+xml; charset=utf-8")
        if path == "/atom.xml":
            return _ok(self._atom(base).encode(), "application/atom+xml; charset=utf-8")
        if path == "/sitemap.xml":
            return _ok(self._sitemap_index(base).encode(), "application/xml; charset=utf-8")
        if path == "/sitemaps/news.xml":
            return _ok(self._news_sitemap(base).encode(), "application/xml; charset=utf-8")
        match = _SITEMAP_RE.match(path)
        if match:
            body = self._sitemap_chunk(int(match.group(1)), base)
            if body is not None:
                return _ok(body.encode(), "application/xml; charset=utf-8")
        if path in FOOTER_PAGES:
            return _ok(self._footer_page(path, base).encode())
        try:
            page_no = int(query.get("page", ["1"])[0])
        except ValueError:
            page_no = 0
        section = path.strip("/")
        if section in SECTIONS:
            if not path.endswith("/"):
                return _redirect(301, path + "/")
            listed = [a for a in self._articles.values() if self._in_sections(a)]
            listed = [a for a in listed if a.section == section]
            html = self._listing_html(
                path, text.SECTIONS[section].label, listed, page_no, base, section
            )
            if html is not None:
                return _ok(html.encode())
        if path.startswith("/tag/") and path.endswith("/"):
            tag = path[len("/tag/") : -1]
            listed = [a for a in self._articles.values() if self._in_sections(a) and tag in a.tags]
            if listed:
                html = self._listing_html(path, _title_case(tag), listed, page_no, base, None)
                if html is not None:
                    return _ok(html.encode())
        return self.not_found(base)

    def not_found(self, base: str) -> Page:
        body = self._layout(
            "Page not found",
            "<main><h1>Page not found</h1><p>Sorry, we could not find that page. Try the "
            '<a href="/">home page</a>.</p></main>',
            base,
        )
        return Page(404, body.encode())

    # -- error pages -----------------------------------------------------------------------

    def _render_error_page(self, path: str, query: dict[str, list[str]], base: str) -> Page | None:
        e = ERROR_PATHS
        if path == ODDS_PATH:
            return _ok(self._odds_html(base).encode())
        if path == e["not_found"]:
            return self.not_found(base)
        if path == e["server_error"]:
            body = self._layout("Server error", "<main><h1>Something went wrong</h1></main>", base)
            return Page(500, body.encode())
        if path == e["slow"]:
            try:
                delay = float(query["delay"][0]) if "delay" in query else None
            except ValueError:
                delay = None
            page = self._special_page(path, base)
            return Page(200, page.body, etag=page.etag, slow=True, delay=delay)
        if path == e["loop"]:
            return _redirect(302, e["loop_b"])
        if path == e["loop_b"]:
            return _redirect(302, e["loop"])
        if path == e["moved"]:
            target = next((a for a in self._articles.values() if self._in_sections(a)), None)
            return _redirect(301, target.path) if target else self.not_found(base)
        if path == e["pdf"]:
            return _ok(_FAKE_PDF, "application/pdf")
        if path == e["jpeg"]:
            return _ok(_FAKE_JPEG, "image/jpeg")
        if path not in self._special:
            return None
        return self._special_page(path, base)

    def _special_page(self, path: str, base: str) -> Page:
        e = ERROR_PATHS
        special = self._special[path]
        key = (path, base)
        hit = self._page_cache.get(key)
        if hit is not None:
            return hit[1]
        html = self._article_html(special, base, meta_charset=path != e["no_charset"])
        ctype = "text/html; charset=utf-8"
        if path == e["no_charset"]:
            body, ctype = html.encode("cp1252", errors="xmlcharrefreplace"), "text/html"
        elif path == e["wrong_charset"]:
            body, ctype = html.encode(), "text/html; charset=iso-8859-1"
        elif path == e["huge"]:
            body = self._pad(html).encode()
        elif path == e["malformed"]:
            body = self._break_markup(html).encode()
        else:
            body = html.encode()
        page = Page(200, body, ctype, last_modified=special.updated, etag=_etag(body))
        self._page_cache[key] = (0, page)
        return page

    @staticmethod
    def _pad(html: str) -> str:
        """About 3 MB: an inline JSON "app state" blob, as single-page-app sites ship."""
        row = '{"id":%d,"type":"promo","text":"Subscribe for unlimited access","score":0.5},'
        rows: list[str] = []
        size = len(html)
        k = 0
        while size < HUGE_SIZE:
            rows.append(row % k)
            size += len(rows[-1])
            k += 1
        blob = '<script>window.__STATE__={"items":[' + "".join(rows) + "{}]};</script>"
        return html.replace("</body>", blob + "</body>")

    @staticmethod
    def _break_markup(html: str) -> str:
        """Unclosed paragraphs and containers, misnested and stray tags, unquoted attributes."""
        html = html.replace("</p>", "").replace("</article>", "").replace("</li>", "")
        html = html.replace('<div class="article-body">', "<div class=article-body><div><span>")
        html = html.replace("<h1>", "<h1><b><i>", 1).replace("</h1>", "</b></i></h1></span>", 1)
        return html.replace("</main>", "</div></td></main>")

    # -- HTML ------------------------------------------------------------------------------

    def _nav_html(self, extra: bool = False) -> str:
        items = ['<li><a href="/">Home</a></li>']
        items += [f'<li><a href="/{s}/">{text.SECTIONS[s].label}</a></li>' for s in SECTIONS]
        if extra and self.config.with_errors:
            items.append(f'<li><a href="{ODDS_PATH}">Odds and ends</a></li>')
        return '<nav class="main-nav" aria-label="Sections"><ul>' + "".join(items) + "</ul></nav>"

    def _layout(
        self,
        title: str,
        main: str,
        base: str,
        head: str = "",
        meta_charset: bool = True,
        body_class: str = "page",
        home: bool = False,
    ) -> str:
        name = escape(self.config.site_name)
        footer = "".join(f'<li><a href="{p}">{t}</a></li>' for p, t in FOOTER_PAGES.items())
        charset = '<meta charset="utf-8">\n' if meta_charset else ""
        return (
            f'<!DOCTYPE html>\n<html lang="en">\n<head>\n{charset}'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(title)}</title>\n"
            f'<link rel="alternate" type="application/rss+xml" title="{name}" '
            f'href="{base}/feed.xml">\n{head}'
            "<style>body{font-family:Georgia,serif;margin:0 auto;max-width:60em}"
            ".cookie-banner{position:fixed;bottom:0;background:#eee}</style>\n"
            f'</head>\n<body class="{body_class}">\n'
            '<div class="cookie-banner" id="cookie-banner" role="dialog"><p>We use cookies to '
            "improve your experience, measure audiences and show relevant adverts. See our "
            '<a href="/privacy.html">privacy policy</a> for details.</p>'
            '<button type="button">Accept all</button> <button type="button">Manage '
            "settings</button></div>\n"
            f'<header class="site-header"><a class="logo" href="/">{name}</a>'
            f"{self._nav_html(extra=home)}</header>\n{main}\n"
            f'<footer class="site-footer"><nav aria-label="Footer"><ul>{footer}</ul></nav>'
            f"<p>© {self.now.year} {name}. All rights reserved. Reproduction without "
            "permission is prohibited.</p></footer>\n</body>\n</html>\n"
        )

    def _article_html(self, a: Article, base: str, meta_charset: bool = True) -> str:
        label = text.SECTIONS[a.section].label
        site = self.config.site_name
        url = base + a.path
        title = f"{a.headline} | {site}"
        ld: dict[str, object] = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": a.headline,
            "description": a.description,
            "url": url,
            "mainEntityOfPage": url,
            "articleSection": label,
            "keywords": a.tags,
            "inLanguage": a.language,
            "author": [{"@type": "Person", "name": n} for n in a.authors],
            "datePublished": _iso(a.published),
            "publisher": {
                "@type": "Organization",
                "name": site,
                "logo": {"@type": "ImageObject", "url": f"{base}/static/logo.png"},
            },
        }
        if a.modified:
            ld["dateModified"] = _iso(a.modified)
        ld_json = json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
        meta = [
            f'<meta name="description" content="{escape(a.description)}">',
            f'<meta name="author" content="{escape(", ".join(a.authors))}">',
            f'<link rel="canonical" href="{escape(url)}">',
            f'<meta property="og:title" content="{escape(a.headline)}">',
            '<meta property="og:type" content="article">',
            f'<meta property="og:site_name" content="{escape(site)}">',
            f'<meta property="og:url" content="{escape(url)}">',
            f'<meta property="og:description" content="{escape(a.description)}">',
            f'<meta property="article:published_time" content="{_iso(a.published)}">',
        ]
        if a.modified:
            meta.append(f'<meta property="article:modified_time" content="{_iso(a.modified)}">')
        meta.append(f'<meta property="article:section" content="{escape(label)}">')
        meta += [f'<meta property="article:tag" content="{escape(t)}">' for t in a.tags]
        meta.append(f'<script type="application/ld+json">{ld_json}</script>')
        head = "\n".join(meta) + "\n"

        byline = " and ".join(
            f'<span class="author" itemprop="author">{escape(n)}</span>' for n in a.authors
        )
        dates = (
            f'<time class="published" datetime="{_iso(a.published)}">{_human(a.published)}</time>'
        )
        if a.modified:
            dates += (
                f' · Updated <time class="modified" datetime="{_iso(a.modified)}">'
                f"{_human(a.modified)}</time>"
            )
        paras = "\n".join(f"<p>{self._paragraph_html(a, k)}</p>" for k in range(len(a.paragraphs)))
        tags = "".join(f'<li><a href="/tag/{t}/">{_title_case(t)}</a></li>' for t in a.tags)
        related = "".join(
            f'<li><a href="{escape(r.href)}">{escape(r.anchor)}</a>'
            f'<p class="teaser">{escape(r.teaser)}</p></li>'
            for r in a.related
        )
        more = "".join(
            f'<li><a href="{escape(m.href)}">{escape(m.anchor)}</a></li>' for m in a.more
        )
        comments = self._rng("comments", a.id).randint(0, 240)
        share = escape(url)
        main = f"""<nav class="breadcrumb" aria-label="Breadcrumb"><ol>\
<li><a href="/">Home</a></li><li><a href="/{a.section}/">{escape(label)}</a></li>\
<li aria-current="page">{escape(a.headline)}</li></ol></nav>
<main id="content">
<article class="story" itemscope itemtype="https://schema.org/NewsArticle">
<header class="story-header">
<p class="kicker"><a href="/{a.section}/">{escape(label)}</a></p>
<h1>{escape(a.headline)}</h1>
<p class="standfirst">{escape(a.description)}</p>
<p class="byline">By {byline}</p>
<p class="dateline">{dates}</p>
<div class="share"><a href="https://social.example.com/share?u={share}">Share</a> \
<a href="mailto:?subject={escape(a.headline)}&amp;body={share}">Email</a> \
<a href="#comments">{comments} comments</a></div>
</header>
<div class="article-body">
{paras}
</div>
<footer class="story-footer"><ul class="tags">{tags}</ul></footer>
</article>
<aside class="related-stories"><h2>Related stories</h2><ul>{related}</ul></aside>
<section class="more-stories"><h2>More from {escape(label)}</h2><ul>{more}</ul></section>
<section class="newsletter"><h2>Get the Pressbox briefing</h2>
<p>The day's biggest stories, results and transfer news in your inbox every morning.</p>
<form action="/newsletter/subscribe" method="post"><label>Email address \
<input type="email" name="email" required></label> <button type="submit">Sign up</button></form>
<p class="small">You can unsubscribe at any time. We will never share your address.</p>
</section>
<section class="comments" id="comments"><h2>Comments ({comments})</h2>
<p>Comments are moderated and may take up to 24 hours to appear. Please keep the conversation \
civil and on topic; read our community guidelines before posting.</p>
<form action="/comments/post" method="post"><input type="hidden" name="article" value="{a.id}">
<textarea name="comment" rows="4" placeholder="Join the conversation"></textarea>
<button type="submit">Post comment</button></form>
</section>
</main>"""
        return self._layout(
            title, main, base, head, meta_charset=meta_charset, body_class="article-page"
        )

    @staticmethod
    def _paragraph_html(a: Article, k: int) -> str:
        html = escape(a.paragraphs[k], quote=False)
        for link in a.body_links:
            if link.paragraph != k:
                continue
            anchor = escape(link.anchor, quote=False)
            html = html.replace(anchor, f'<a href="{escape(link.href)}">{anchor}</a>', 1)
        return html

    def _teaser_card(self, a: Article) -> str:
        return (
            f'<article class="card"><h3><a href="{a.path}">{escape(a.headline)}</a></h3>'
            f"<p>{escape(a.description)}</p>"
            f'<time datetime="{_iso(a.published)}">{_human(a.published)}</time></article>'
        )

    def _listing_html(
        self,
        path: str,
        title: str,
        listed: list[Article],
        page_no: int,
        base: str,
        section: str | None,
    ) -> str | None:
        pages = max(1, -(-len(listed) // PAGE_SIZE))
        if not 1 <= page_no <= pages:
            return None
        chunk = listed[(page_no - 1) * PAGE_SIZE : page_no * PAGE_SIZE]
        cards = "\n".join(self._teaser_card(a) for a in chunk)
        pager = []
        if page_no > 1:
            prev = path if page_no == 2 else f"{path}?page={page_no - 1}"
            pager.append(f'<a rel="prev" href="{prev}">Previous page</a>')
        if page_no < pages:
            pager.append(f'<a rel="next" href="{path}?page={page_no + 1}">Next page</a>')
        canonical = base + path + (f"?page={page_no}" if page_no > 1 else "")
        ld = {
            "@context": "https://schema.org",
            "@type": "CollectionPage",
            "name": title,
            "url": canonical,
            "mainEntity": {
                "@type": "ItemList",
                "itemListElement": [
                    {"@type": "ListItem", "position": k, "url": base + a.path}
                    for k, a in enumerate(chunk, start=1)
                ],
            },
        }
        head = self._index_head(canonical, title, ld)
        kind = "section" if section else "tag"
        suffix = f" - page {page_no}" if page_no > 1 else ""
        main = (
            f'<main class="{kind}-index"><h1>{escape(title)}</h1>\n{cards}\n'
            f'<nav class="pagination">{" ".join(pager)}</nav></main>'
        )
        return self._layout(f"{title}{suffix} | {self.config.site_name}", main, base, head)

    def _index_head(self, canonical: str, title: str, ld: Mapping[str, object]) -> str:
        """Head of a listing page: canonical, og:type website, JSON-LD (no article signals)."""
        ld_json = json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
        return (
            f'<link rel="canonical" href="{escape(canonical)}">\n'
            '<meta property="og:type" content="website">\n'
            f'<meta property="og:title" content="{escape(title)}">\n'
            f'<meta property="og:site_name" content="{escape(self.config.site_name)}">\n'
            f'<meta property="og:url" content="{escape(canonical)}">\n'
            f'<script type="application/ld+json">{ld_json}</script>\n'
        )

    def _home_html(self, base: str) -> str:
        sections = "".join(
            f'<li><a href="/{s}/">{text.SECTIONS[s].label}</a></li>' for s in SECTIONS
        )
        tags = sorted({t for a in self._articles.values() if self._in_sections(a) for t in a.tags})
        tag_links = "".join(f'<li><a href="/tag/{t}/">{_title_case(t)}</a></li>' for t in tags)
        top = ""
        if not self.config.exclusive_discovery:
            cards = "\n".join(self._teaser_card(a) for a in list(self._articles.values())[:8])
            top = f'<section class="top-stories"><h2>Top stories</h2>\n{cards}</section>\n'
        main = (
            f'<main class="home"><h1>{escape(self.config.site_name)}</h1>\n{top}'
            f'<section class="sections"><h2>Sections</h2><ul>{sections}</ul></section>\n'
            f'<section class="tags"><h2>Trending topics</h2><ul>{tag_links}</ul></section></main>'
        )
        title = f"{self.config.site_name}: sports news, results and analysis"
        ld = {
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": self.config.site_name,
            "url": f"{base}/",
        }
        head = self._index_head(f"{base}/", title, ld)
        return self._layout(title, main, base, head, home=True)

    def _odds_html(self, base: str) -> str:
        labels = {
            "not_found": "A page that went missing",
            "server_error": "A page that always fails",
            "slow": "A very slow page",
            "loop": "Round and round (redirect loop)",
            "moved": "A story that moved",
            "pdf": "Season report (PDF)",
            "jpeg": "Photo of the day",
            "no_charset": "Müller's late winner stuns Bayern",
            "wrong_charset": "São Paulo derby ends in draw",
            "huge": "The long read",
            "malformed": "A page with broken markup",
            "private": "Members only",
        }
        items = "".join(
            f'<li><a href="{ERROR_PATHS[k]}">{escape(v)}</a></li>' for k, v in labels.items()
        )
        main = f'<main><h1>Odds and ends</h1><ul class="odds">{items}</ul></main>'
        return self._layout(f"Odds and ends | {self.config.site_name}", main, base)

    def _footer_page(self, path: str, base: str) -> str:
        title = FOOTER_PAGES[path]
        main = (
            f"<main><h1>{escape(title)}</h1><p>{escape(self.config.site_name)} is an "
            "independent sports newsroom. This page is part of the demo site.</p></main>"
        )
        return self._layout(f"{title} | {self.config.site_name}", main, base)

    # -- robots, feeds and sitemaps --------------------------------------------------------

    def _robots(self, base: str) -> str:
        return (
            "User-agent: *\nDisallow: /private/\nDisallow: /comments/\n\n"
            f"Sitemap: {base}/sitemap.xml\n"
        )

    def _rss(self, base: str) -> str:
        name = xml_escape(self.config.site_name)
        items = []
        for a in self._in_feed():
            creators = "".join(f"<dc:creator>{xml_escape(n)}</dc:creator>" for n in a.authors)
            items.append(
                f"<item><title>{xml_escape(a.headline)}</title><link>{base}{a.path}</link>"
                f'<guid isPermaLink="true">{base}{a.path}</guid>'
                f"<pubDate>{format_datetime(a.updated, usegmt=True)}</pubDate>"
                f"<description>{xml_escape(a.description)}</description>{creators}"
                f"<category>{xml_escape(text.SECTIONS[a.section].label)}</category></item>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
            f"<title>{name}</title><link>{base}/</link>"
            f"<description>Latest stories from {name}</description><language>en</language>"
            f'<atom:link href="{base}/feed.xml" rel="self" type="application/rss+xml"/>'
            f"<lastBuildDate>{format_datetime(self._latest(), usegmt=True)}</lastBuildDate>\n"
            + "\n".join(items)
            + "\n</channel>\n</rss>\n"
        )

    def _latest(self) -> datetime:
        return max([self.now, *(a.updated for a in self._articles.values())])

    def _atom(self, base: str) -> str:
        entries = []
        for a in self._in_feed():
            authors = "".join(f"<author><name>{xml_escape(n)}</name></author>" for n in a.authors)
            entries.append(
                f"<entry><id>{base}{a.path}</id><title>{xml_escape(a.headline)}</title>"
                f'<link rel="alternate" type="text/html" href="{base}{a.path}"/>'
                f"<published>{_iso(a.published)}</published><updated>{_iso(a.updated)}</updated>"
                f"{authors}<summary>{xml_escape(a.description)}</summary></entry>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
            f'xml:lang="en">\n<id>{base}/</id><title>{xml_escape(self.config.site_name)}</title>'
            f'<link rel="self" href="{base}/atom.xml"/><link rel="alternate" href="{base}/"/>'
            f"<updated>{_iso(self._latest())}</updated>\n" + "\n".join(entries) + "\n</feed>\n"
        )

    def _chunks(self) -> list[list[Article]]:
        listed = self._in_sitemap()
        return [listed[i : i + SITEMAP_CHUNK] for i in range(0, len(listed), SITEMAP_CHUNK)]

    def _sitemap_index(self, base: str) -> str:
        rows = [
            f"<sitemap><loc>{base}/sitemaps/articles-{k}.xml</loc>"
            f"<lastmod>{_iso(max(a.updated for a in chunk))}</lastmod></sitemap>"
            for k, chunk in enumerate(self._chunks(), start=1)
        ]
        rows.append(
            f"<sitemap><loc>{base}/sitemaps/news.xml</loc>"
            f"<lastmod>{_iso(self._latest())}</lastmod></sitemap>"
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "\n".join(rows)
            + "\n</sitemapindex>\n"
        )

    def _sitemap_chunk(self, k: int, base: str) -> str | None:
        chunks = self._chunks()
        if not 1 <= k <= len(chunks):
            return None
        rows = [
            f"<url><loc>{base}{a.path}</loc><lastmod>{_iso(a.updated)}</lastmod></url>"
            for a in chunks[k - 1]
        ]
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "\n".join(rows)
            + "\n</urlset>\n"
        )

    def _news_sitemap(self, base: str) -> str:
        name = xml_escape(self.config.site_name)
        rows = [
            f"<url><loc>{base}{a.path}</loc><lastmod>{_iso(a.updated)}</lastmod><news:news>"
            f"<news:publication><news:name>{name}</news:name><news:language>en</news:language>"
            f"</news:publication><news:publication_date>{_iso(a.published)}"
            f"</news:publication_date><news:title>{xml_escape(a.headline)}</news:title>"
            "</news:news></url>"
            for a in self._in_sitemap()
            if a.published >= self.now - NEWS_WINDOW
        ]
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
            + "\n".join(rows)
            + "\n</urlset>\n"
        )
