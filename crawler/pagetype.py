"""Tell article pages from index pages (home, section, tag listings) and empty pages.

Evidence for an article: JSON-LD of an article type, ``og:type`` article, a stated publication
date, a byline, an ``<article>`` with paragraphs. Evidence for an index: the site root or a
tag/category/section path, JSON-LD ``CollectionPage``/``WebSite`` with no article node,
``og:type`` website, many links and little prose. A short match report with article signals
stays an article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from crawler.metadata import ARTICLE_TYPES, INDEX_TYPES

__all__ = ["ARTICLE", "EMPTY", "INDEX", "OTHER", "PageFacts", "article_like_path", "classify"]

ARTICLE = "article"
INDEX = "index"
EMPTY = "empty"
OTHER = "other"  # neither an article nor a listing: about, contact, error pages

_INDEX_PATH = re.compile(
    r"(?:^|/)(?:tags?|topics?|category|categories|section|sections|archive|archives|authors?"
    r"|writers?|search|latest|page)(?:/|$)",
    re.I,
)
_HOME_PATH = re.compile(r"/(?:index\.\w+|[a-z]{2}(?:[-_][a-z]{2})?/?|home/?)?", re.I)
_ID_IN_PATH = re.compile(r"\d{4,}")
_SLUG_WORDS = re.compile(r"[-_+]")


def article_like_path(path: str) -> bool:
    """True for paths that name one story: a long slug (``/sport/city-beat-united-3-1``),
    a numeric id or a date (``/2019/11/05/...``, ``/news/12345678``).

    Section and tag paths (``/sport``, ``/tag/city``, ``/science-and-health``) are not.
    """
    if _INDEX_PATH.search(path):
        return False
    segments = [seg for seg in path.split("/") if seg]
    if not segments:
        return False
    slug = segments[-1].rsplit(".", 1)[0] if "." in segments[-1] else segments[-1]
    words = len([w for w in _SLUG_WORDS.split(slug) if w])
    return bool(_ID_IN_PATH.search(path)) or words >= 4 or (len(segments) >= 2 and words >= 3)


#: Below this many characters of main text a page without article signals is not an article.
MIN_ARTICLE_CHARS = 500
#: Below this many characters a page is empty whatever its metadata says.
MIN_TEXT_CHARS = 40


@dataclass(slots=True)
class PageFacts:
    url: str
    text_chars: int
    paragraphs: int  # paragraphs of the extracted text with at least 80 characters
    body_links: int  # anchors in the <body>
    linked_chars: int  # characters of anchor text in the <body>
    body_chars: int  # characters of all text in the <body>
    og_type: str | None
    schema_types: set[str]
    has_date: bool  # a publication date stated in metadata
    has_author: bool
    has_headline: bool
    article_paragraphs: int  # long <p> inside an <article>
    teasers: int  # headings that link elsewhere, or top-level <article> elements


def classify(f: PageFacts) -> tuple[bool, str]:
    """``(is_article, page_type)`` for the facts of one page."""
    if f.text_chars < MIN_TEXT_CHARS:
        return False, INDEX if f.body_links >= 20 else EMPTY
    parts = urlsplit(f.url)
    path = parts.path or "/"
    article = 0
    if f.schema_types & ARTICLE_TYPES:
        article += 2
    if f.og_type and "article" in f.og_type:
        article += 2
    listing = f.teasers >= 3
    article += f.has_date + f.has_author + (f.article_paragraphs >= 2 and not listing)
    article += article_like_path(path) or bool(parts.query and _ID_IN_PATH.search(parts.query))
    index = 0
    if _HOME_PATH.fullmatch(path) and not parts.query:
        index += 3
    if _INDEX_PATH.search(path):
        index += 2
    elif not article_like_path(path) and path.strip("/").count("/") == 0:
        index += 1  # "/football/": a section
    if listing:
        index += 2
    if f.schema_types & INDEX_TYPES and not f.schema_types & ARTICLE_TYPES:
        index += 1 if f.schema_types & INDEX_TYPES == {"website"} else 2
    if f.og_type == "website":
        index += 1
    link_share = f.linked_chars / f.body_chars if f.body_chars else 1.0
    if f.body_links >= 40 and link_share > 0.5 and f.paragraphs < 4:
        index += 1
    if f.text_chars < MIN_ARTICLE_CHARS and f.paragraphs < 2:
        index += 1
    if not f.has_headline:
        index += 1
    if article >= 2 and article >= index:
        return True, ARTICLE
    if index >= 2:
        return False, INDEX
    long_text = f.text_chars >= MIN_ARTICLE_CHARS or f.paragraphs >= 2
    if article >= 1 and long_text:
        return True, ARTICLE
    if article == 0 and index == 0 and (f.text_chars >= 3 * MIN_ARTICLE_CHARS or f.paragraphs >= 3):
        return True, ARTICLE  # an old-style page with no metadata at all, but real prose
    return False, INDEX if f.teasers >= 2 or link_share > 0.3 else OTHER
