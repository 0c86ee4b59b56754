"""Finding article URLs in feeds and sitemaps: pure functions over bytes, no Scrapy.

- RSS 2.0, RSS 1.0 (RDF) and Atom feeds: each entry's link and its date.
- XML sitemaps: sitemap indexes, URL sets with ``lastmod``, Google News sitemaps
  (``news:publication_date``), gzip-compressed or not.
- ``Sitemap:`` lines of robots.txt.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from lxml import etree

from archive.store import parse_iso_datetime

__all__ = ["Entry", "SitemapDoc", "parse_feed", "parse_sitemap", "sitemaps_from_robots"]

_MAX_DECOMPRESSED = 50 * 1024 * 1024  # the sitemap protocol's own limit


@dataclass(frozen=True, slots=True)
class Entry:
    """A URL found in a feed or a sitemap, with the date given for it (None when none is)."""

    url: str
    date: datetime | None = None


@dataclass(frozen=True, slots=True)
class SitemapDoc:
    """A parsed sitemap: either an index (``sitemaps``) or a URL set (``entries``)."""

    sitemaps: list[Entry]
    entries: list[Entry]


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _parse_date(text: str | None) -> datetime | None:
    if not text:
        return None
    text = text.strip()
    parsed = parse_iso_datetime(text)
    if parsed is not None:
        return parsed
    try:
        value = parsedate_to_datetime(text)  # RFC 822 dates of RSS
    except (TypeError, ValueError, IndexError):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _xml_root(body: bytes) -> etree._Element | None:
    if body[:2] == b"\x1f\x8b":  # gzip-compressed (sitemap.xml.gz)
        try:
            body = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, _MAX_DECOMPRESSED)
        except zlib.error:
            return None
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body.strip() or b"<x/>", parser=parser)
    except etree.XMLSyntaxError:
        return None
    return root


def _text(el: etree._Element) -> str:
    return "".join(el.itertext()).strip()


def parse_feed(body: bytes, base_url: str) -> list[Entry]:
    """Entries of an RSS or Atom feed (an empty list for anything else)."""
    root = _xml_root(body)
    if root is None:
        return []
    out: list[Entry] = []
    for item in root.iter():
        name = _local(item.tag)
        if name not in ("item", "entry"):
            continue
        link: str | None = None
        date: datetime | None = None
        for child in item:
            cname = _local(child.tag)
            if cname == "link":
                href = child.get("href")
                rel = child.get("rel", "alternate")
                if href and rel == "alternate":
                    link = href
                elif not href and _text(child):
                    link = _text(child)
            elif cname == "guid" and link is None and child.get("isPermaLink", "true") == "true":
                candidate = _text(child)
                if candidate.startswith(("http://", "https://")):
                    link = candidate
            elif cname in ("updated", "pubdate", "date", "published", "modified"):
                found = _parse_date(_text(child))
                if found is not None and (date is None or found > date):
                    date = found
        if link is None and name == "item":
            about = item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
            link = about
        if link:
            out.append(Entry(urljoin(base_url, link.strip()), date))
    return out


def parse_sitemap(body: bytes, base_url: str) -> SitemapDoc:
    """The child sitemaps of an index, or the URLs of a URL set (with lastmod / news dates)."""
    root = _xml_root(body)
    if root is None:
        return SitemapDoc([], [])
    kind = _local(root.tag)
    sitemaps: list[Entry] = []
    entries: list[Entry] = []
    for node in root:
        name = _local(node.tag)
        if name not in ("sitemap", "url"):
            continue
        loc: str | None = None
        date: datetime | None = None
        for el in node.iter():
            ename = _local(el.tag)
            if ename == "loc" and loc is None:
                loc = _text(el)
            elif ename in ("lastmod", "publication_date"):
                found = _parse_date(_text(el))
                if found is not None and (date is None or found > date):
                    date = found
        if not loc:
            continue
        entry = Entry(urljoin(base_url, loc), date)
        (sitemaps if kind == "sitemapindex" or name == "sitemap" else entries).append(entry)
    return SitemapDoc(sitemaps, entries)


def sitemaps_from_robots(text: str, base_url: str) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt."""
    out = []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "sitemap" and value.strip():
            out.append(urljoin(base_url, value.strip()))
    return out
