"""Find "related articles" teaser blocks, keep their links, and cut them out of the page.

A block is a container (``aside``, ``section``, ``div``, ``ul``, ...) whose class, id,
``aria-label`` or ``data-*`` attributes, or whose own heading, say *related*, *read more*,
*more stories*, *recommended*, *you may also like*, *read next*, *more from ...*, and which
holds at least two links to article-like pages of the same site. Blocks inside navigation,
headers, footers, menus or breadcrumbs are not teasers, and a container that holds most of
the page's paragraph text is the article itself, not a block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from archive.urls import normalize_url, same_site
from crawler.pagetype import article_like_path

__all__ = ["RelatedLink", "find_related_blocks", "remove_blocks", "teaser_links"]

_RELATED = re.compile(
    r"related|read[\W_]*(?:more|next|also)|more[\W_]*(?:stories|news|articles|from|on|in|to|like)"
    r"|recommend|you[\W_]*(?:may|might)[\W_]*(?:also[\W_]*)?(?:like|enjoy)|also[\W_]*read"
    r"|see[\W_]*also|further[\W_]*reading|what[\W_]*to[\W_]*read|up[\W_]*next|don.t[\W_]*miss"
    r"|more[\W_]*headlines|most[\W_]*(?:read|popular|viewed)|trending|top[\W_]*stories"
    r"|outbrain|taboola|leia[\W_]*tamb|lesen[\W_]*sie[\W_]*auch|mehr[\W_]*zum[\W_]*thema"
    r"|[àa][\W_]*lire[\W_]*aussi|lire[\W_]*aussi|relacionad|tambi[ée]n[\W_]*te[\W_]*puede",
    re.I,
)
#: Attribute values that name page chrome, never a teaser block.
_CHROME = re.compile(
    r"(?:^|[\W_])(?:nav|navbar|navigation|menu|breadcrumbs?|masthead|site[\W_]*header"
    r"|site[\W_]*footer|footer|header|pagination|pager|share|social|tags?)(?:$|[\W_])",
    re.I,
)
_CHROME_TAGS = frozenset({"nav", "header", "footer", "menu"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "menu", "menubar"})
_CONTAINERS = frozenset({"aside", "section", "div", "ul", "ol", "dl", "table"})
_HEADINGS = ("h2", "h3", "h4", "h5", "h6")
_SPACE = re.compile(r"\s+")


@dataclass(slots=True)
class RelatedLink:
    url: str
    text: str


def _text(el: HtmlElement) -> str:
    return _SPACE.sub(" ", el.text_content()).strip()


def _attr_hint(el: HtmlElement) -> str:
    values = [el.get("class"), el.get("id"), el.get("aria-label"), el.get("role")]
    values.extend(v for k, v in el.attrib.items() if k.startswith("data-") and len(v) < 80)
    return " ".join(v for v in values if v)


def _heading(el: HtmlElement) -> str:
    """Text of the block's own heading: its first child, when that is a heading or a short
    label such as ``<div class="title">More stories</div>``."""
    for child in el.iterchildren():
        if not isinstance(child.tag, str):
            continue
        if child.tag in _HEADINGS:
            return _text(child)[:80]
        if child.tag in ("header", "strong", "b", "span", "p", "div") and len(child) <= 3:
            for sub in child.iter(*_HEADINGS):
                return _text(sub)[:80]
            text = _text(child)
            if len(text) <= 60 and not child.xpath(".//a"):
                return text
        break
    return ""


def _in_chrome(el: HtmlElement) -> bool:
    for node in (el, *el.iterancestors()):
        if node.tag in _CHROME_TAGS or (node.get("role") or "").lower() in _CHROME_ROLES:
            return True
        if node is not el and _CHROME.search(
            " ".join(filter(None, (node.get("class"), node.get("id"))))
        ):
            return True
    return False


def _article_like(href: str, page_url: str) -> bool:
    return same_site(href, page_url) and article_like_path(urlsplit(href).path or "/")


def _absolute(href: str | None, base: str) -> str | None:
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
        return None
    try:
        return normalize_url(urljoin(base, href.strip()))
    except ValueError:
        return None


def _anchor_text(a: HtmlElement) -> str:
    text = _text(a)
    if text and not text.startswith(("[", "http:", "https:", "<")):
        return text
    for attr in ("title", "aria-label"):
        if a.get(attr):
            return _SPACE.sub(" ", a.get(attr)).strip()
    for img in a.iter("img"):
        if img.get("alt") or img.get("title"):
            return _SPACE.sub(" ", img.get("alt") or img.get("title")).strip()
    parent = a.getparent()
    for _ in range(3):
        if parent is None:
            break
        for h in parent.iterdescendants(*_HEADINGS):
            if _text(h):
                return _text(h)
        parent = parent.getparent()
    return ""


def teaser_links(block: HtmlElement, base: str, page_url: str) -> list[RelatedLink]:
    """Same-site article links of a block, one per URL, with their best anchor text."""
    page = _absolute(page_url, page_url)
    found: dict[str, str] = {}
    for a in block.iter("a"):
        url = _absolute(a.get("href"), base)
        if not url or url == page or not _article_like(url, page_url):
            continue
        text = _anchor_text(a)
        if (
            url not in found
            or (not found[url] and text)
            or (len(text) > len(found[url]) > 0 and len(found[url]) < 15)
        ):
            found[url] = text
    return [RelatedLink(url, text) for url, text in found.items()]


def find_related_blocks(
    tree: HtmlElement, base: str, page_url: str
) -> list[tuple[HtmlElement, list[RelatedLink]]]:
    """Teaser blocks of the page, outermost first, with their links (the tree is not changed).

    A heading that introduces a list ("<h3>Related</h3><ul>...</ul>") comes as its own entry,
    with no links, so that :func:`remove_blocks` takes it away too.
    """
    body = tree.find("body")
    root = body if body is not None else tree
    total_par = sum(len(_text(p)) for p in root.iter("p")) or 1
    blocks: list[tuple[HtmlElement, list[RelatedLink]]] = []
    taken: set[HtmlElement] = set()
    for el in root.iter(*_CONTAINERS, *_HEADINGS):
        if el.tag in _HEADINGS:
            # A heading "Related stories" followed by a list: the block is the list.
            if not _RELATED.search(_text(el)[:80]) or len(_text(el)) > 80:
                continue
            candidate = el.getnext()
            if candidate is None or candidate.tag not in _CONTAINERS:
                parent = el.getparent()
                if parent is None or parent is root:
                    continue
                candidate = parent
        else:
            hint = _attr_hint(el)
            if not (hint and _RELATED.search(hint)) and not _RELATED.search(_heading(el)):
                continue
            candidate = el
        if candidate in taken or any(anc in taken for anc in candidate.iterancestors()):
            continue  # inside a block already found
        if _in_chrome(candidate):
            continue
        par_text = sum(len(_text(p)) for p in candidate.iter("p"))
        if par_text > 0.4 * total_par and par_text > 400:
            continue  # the container holds the article itself
        links = teaser_links(candidate, base, page_url)
        if len(links) < 2:
            continue
        link_chars = sum(len(_text(a)) for a in candidate.iter("a"))
        if link_chars < 0.25 * len(_text(candidate)):
            continue  # mostly prose with a few links: not a teaser list
        taken.add(candidate)
        if candidate is not el and candidate is el.getnext():
            taken.add(el)
            blocks.append((el, []))  # the heading goes with its list
        blocks.append((candidate, links))
    return blocks


def remove_blocks(elements: list[HtmlElement]) -> None:
    """Remove elements from their tree, keeping the text that follows each (its tail)."""
    for el in elements:
        parent = el.getparent()
        if parent is None:
            continue
        if el.tail and el.tail.strip():
            prev = el.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + el.tail
            else:
                parent.text = (parent.text or "") + el.tail
        parent.remove(el)
