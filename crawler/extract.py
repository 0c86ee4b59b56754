"""Turn one fetched page into an :class:`Extracted` article: text, links and metadata.

Pure functions, no Scrapy or Twisted: this runs in worker processes and in tests on saved
pages. One call parses the HTML once with lxml, reads the metadata signals from that tree,
cuts "related articles" teaser blocks out of it, and hands it to
``trafilatura.bare_extraction`` (which copies the tree before it prunes it).

Limits: at most :data:`MAX_HTML_CHARS` characters of decoded HTML are parsed; the rest of a
bigger page is dropped (real articles are far smaller; the cap bounds the time and memory one
hostile page can take).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import lxml.etree
import lxml.html
import trafilatura
from lxml.html import HtmlElement
from trafilatura.xml import xmltotxt

from archive.urls import canonical_url, normalize_url
from crawler.charset import decode_html
from crawler.metadata import choose, read_signals
from crawler.pagetype import PageFacts, classify
from crawler.related import find_related_blocks, remove_blocks

__all__ = [
    "EXTRACTOR_NAME",
    "EXTRACTOR_VERSION",
    "MAX_HTML_CHARS",
    "Extracted",
    "ExtractionError",
    "Link",
    "decode_html",
    "extract",
]

LOGGER = logging.getLogger(__name__)

EXTRACTOR_NAME = "pressbox+trafilatura"
#: Bump the leading number whenever a rule here changes what is extracted.
EXTRACTOR_VERSION = f"1+trafilatura-{trafilatura.__version__}"
#: Decoded HTML beyond this many characters is not parsed (see the module docstring).
MAX_HTML_CHARS = 5_000_000

_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"<(?:!doctype|[a-zA-Z][a-zA-Z0-9:-]*)[\s/>]", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>")
_BINARY_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"RIFF",
    b"OggS",
    b"\x00\x00\x00",
    b"ID3",
    b"BZh",
    b"7z\xbc\xaf",
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\ufffd]")
_local = threading.local()


class ExtractionError(Exception):
    """The input is not an HTML page at all; the message says why and for which URL."""


@dataclass(slots=True)
class Link:
    url: str
    text: str


@dataclass(slots=True)
class Extracted:
    """What one page holds. Plain data, so that it pickles cheaply between processes."""

    url: str
    canonical_url: str
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    description: str | None = None
    site_name: str | None = None
    language: str | None = None
    tags: list[str] = field(default_factory=list)
    text: str = ""
    links: list[Link] = field(default_factory=list)
    related_links: list[Link] = field(default_factory=list)
    is_article: bool = False
    page_type: str = "empty"
    encoding: str = "utf-8"

    def as_dict(self) -> dict[str, object]:
        """The archived fields, in a fixed order (``is_article``, ``page_type`` and ``encoding``
        describe the fetch, not the article, and are left out)."""
        return {
            "url": self.url,
            "canonical_url": self.canonical_url,
            "title": self.title,
            "authors": list(self.authors),
            "published": self.published,
            "modified": self.modified,
            "description": self.description,
            "site_name": self.site_name,
            "language": self.language,
            "tags": list(self.tags),
            "text": self.text,
            "links": [{"url": link.url, "text": link.text} for link in self.links],
            "related_links": [{"url": link.url, "text": link.text} for link in self.related_links],
        }


def _parser() -> lxml.html.HTMLParser:
    # lxml parsers must not be shared between threads.
    parser: lxml.html.HTMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = lxml.html.HTMLParser(
            remove_comments=True, remove_pis=True, collect_ids=False, default_doctype=False
        )
        _local.parser = parser
    return parser


def _check_bytes(body: bytes, url: str, content_type: str | None) -> None:
    head = body[:4096].lstrip()
    if head.startswith(_BINARY_MAGIC) or head.count(b"\x00") > len(head) // 100:
        raise ExtractionError(
            f"not an HTML page: {url} starts with binary data ({head[:8]!r}); "
            "only text/html responses can be extracted"
        )
    if content_type and re.match(r"\s*(image|audio|video|font)/", content_type, re.I):
        raise ExtractionError(f"not an HTML page: {url} has Content-Type {content_type!r}")


def _check_text(html: str, url: str) -> None:
    sample = html[:20_000]
    if len(_CONTROL.findall(sample)) > len(sample) // 20:
        raise ExtractionError(f"not an HTML page: {url} decodes to mostly control characters")
    if not _TAG.search(html[:200_000]):
        raise ExtractionError(f"not an HTML page: {url} contains no HTML tags")


def _absolute(href: str | None, base: str) -> str | None:
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    try:
        return normalize_url(urljoin(base, href.strip()))
    except ValueError:
        return None


def _body_text_and_links(body: Any, base: str) -> tuple[str, list[Link]]:
    """Plain text of trafilatura's result tree, and the links (``<ref target>``) inside it."""
    if body is None:
        return "", []
    links: list[Link] = []
    seen: set[tuple[str, str]] = set()
    for ref in body.iter("ref"):
        url = _absolute(ref.get("target"), base)
        text = _SPACE.sub(" ", "".join(ref.itertext())).strip()
        if url and (url, text) not in seen:
            seen.add((url, text))
            links.append(Link(url, text))
    lxml.etree.strip_tags(body, "ref")
    return xmltotxt(body, include_formatting=False).strip(), links


def _page_stats(tree: HtmlElement, page_url: str) -> tuple[int, int, int, int]:
    """(anchors, characters of anchor text, characters of text, teasers) of the <body>.

    A teaser is a heading that is a link to another page, or an ``<article>`` that is not
    inside another one: listings are made of them.
    """
    body = tree.find("body")
    if body is None:
        return 0, 0, 0, 0
    anchors = list(body.iter("a"))
    linked = sum(len(_SPACE.sub("", a.text_content())) for a in anchors)
    teasers = 0
    articles = 0
    for el in body.iter("h2", "h3", "h4", "article"):
        if el.tag == "article":
            if not any(anc.tag == "article" for anc in el.iterancestors()):
                articles += 1
            continue
        heading = _SPACE.sub("", el.text_content())
        for a in el.iter("a"):
            href = _absolute(a.get("href"), page_url)
            if href and heading and len(_SPACE.sub("", a.text_content())) >= 0.8 * len(heading):
                teasers += 1
                break
    return len(anchors), linked, len(_SPACE.sub("", body.text_content())), max(teasers, articles)


def _page_url(url: str, declared: str | None) -> str:
    try:
        return canonical_url(url, declared)
    except ValueError:
        return url


def extract(body: bytes | str, url: str, *, content_type: str | None = None) -> Extracted:
    """Extract the article of one page.

    Args:
        body: the response body as bytes (decoded with :func:`decode_html`) or already decoded.
        url: the URL the page was fetched from; relative links resolve against it.
        content_type: the HTTP ``Content-Type`` header, if known (its charset is a hint).

    Returns:
        An :class:`Extracted`. Pages with no main text (empty, index pages) come back with
        ``is_article=False`` and a ``page_type`` that says why. ``encoding`` is ``"unicode"``
        when ``body`` was given as ``str``.

    Raises:
        ExtractionError: if the input is not HTML at all (binary data, no tags).
    """
    if isinstance(body, bytes):
        if not body.strip():
            return Extracted(url=url, canonical_url=_page_url(url, None))
        _check_bytes(body, url, content_type)
        html, encoding = decode_html(body, content_type)
    elif isinstance(body, str):
        html, encoding = body, "unicode"
    else:
        raise ExtractionError(f"cannot extract {url}: body is {type(body).__name__}, not bytes/str")
    html = _XML_DECL.sub("", html[:MAX_HTML_CHARS].replace("\x00", ""))
    if not html.strip():
        return Extracted(url=url, canonical_url=_page_url(url, None), encoding=encoding)
    _check_text(html, url)
    try:
        tree = lxml.html.document_fromstring(html, parser=_parser())
    except lxml.etree.ParserError:  # "Document is empty"
        return Extracted(url=url, canonical_url=_page_url(url, None), encoding=encoding)
    except (lxml.etree.LxmlError, ValueError) as exc:
        raise ExtractionError(f"cannot parse the HTML of {url}: {exc}") from exc

    sig = read_signals(tree)
    base = urljoin(url, sig.base) if sig.base else url
    blocks = find_related_blocks(tree, base, url)
    related: list[Link] = []
    seen: set[str] = set()
    for _, block_links in blocks:
        for teaser in block_links:
            if teaser.url not in seen:
                seen.add(teaser.url)
                related.append(Link(teaser.url, teaser.text))
    remove_blocks([el for el, _ in blocks])
    n_links, linked_chars, body_chars, teasers = _page_stats(tree, base)

    doc: Any = None
    try:
        doc = trafilatura.bare_extraction(
            tree, url=url, with_metadata=True, include_comments=False, include_links=True
        )
    except Exception:  # trafilatura bugs must not stop a crawl; the page counts as empty
        LOGGER.exception("trafilatura failed on %s", url)
    fallback: dict[str, Any] = doc.as_dict() if doc is not None else {}
    text, links = _body_text_and_links(doc.body if doc is not None else None, base)

    md = choose(sig, url, fallback)
    facts = PageFacts(
        url=url,
        text_chars=len(text),
        paragraphs=sum(len(line) >= 80 for line in text.splitlines()),
        body_links=n_links,
        linked_chars=linked_chars,
        body_chars=body_chars,
        og_type=md.og_type,
        schema_types=md.schema_types,
        has_date=md.explicit_date,
        has_author=bool(md.authors),
        has_headline=bool(sig.h1) or md.title is not None,
        article_paragraphs=sig.article_paragraphs,
        teasers=teasers,
    )
    is_article, page_type = classify(facts)
    return Extracted(
        url=url,
        canonical_url=_page_url(url, sig.canonical),
        title=md.title,
        authors=md.authors,
        published=md.published,
        modified=md.modified,
        description=md.description,
        site_name=md.site_name,
        language=md.language,
        tags=md.tags,
        text=text,
        links=links,
        related_links=related,
        is_article=is_article,
        page_type=page_type,
        encoding=encoding,
    )
