"""Read article metadata from a parsed page: JSON-LD, OpenGraph, ``<meta>``, microdata, bylines.

:func:`read_signals` walks the tree once and collects the raw values; :func:`choose` turns them
(plus trafilatura's own guesses, used last) into clean fields. The cleaning rules for each field
are the helpers at the end: :func:`parse_date`, :func:`split_authors`, :func:`clean_title`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from lxml.html import HtmlElement

__all__ = [
    "ARTICLE_TYPES",
    "INDEX_TYPES",
    "Metadata",
    "Signals",
    "choose",
    "clean_title",
    "parse_date",
    "read_signals",
    "split_authors",
]

#: schema.org types that describe one article.
ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "reviewnewsarticle",
        "backgroundnewsarticle",
        "askpublicnewsarticle",
        "satiricalarticle",
        "blogposting",
        "liveblogposting",
        "socialmediaposting",
        "techarticle",
        "scholarlyarticle",
        "report",
        "review",
    }
)
#: schema.org types of listing pages.
INDEX_TYPES = frozenset({"collectionpage", "itemlist", "searchresultspage", "website"})

_AUTHOR_META = (
    "author",
    "byl",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "dcterms.creator",
    "article:author",
    "citation_author",
    "og:article:author",
)
_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "article:published",
    "datepublished",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dcterms.created",
    "dc.date.created",
    "dc.date",
    "dcterms.date",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "publication_date",
    "article.published",
    "og:pubdate",
    "citation_publication_date",
    "date",
)
_MODIFIED_META = (
    "article:modified_time",
    "og:article:modified_time",
    "datemodified",
    "og:updated_time",
    "article:modified",
    "dc.date.modified",
    "dcterms.modified",
    "last-modified",
    "lastmod",
)
_TITLE_META = ("og:title", "twitter:title", "parsely-title", "sailthru.title", "dc.title")
_TAG_META = ("article:section", "article:tag", "parsely-section", "parsely-tags")
_TAG_LIST_META = ("sailthru.tags", "news_keywords", "keywords")
_BYLINE_HINT = re.compile(r"byline|author|writer|contributor", re.I)
_NOT_BYLINE = re.compile(r"bio|avatar|image|img|photo|pic|follow|social|more|desc|about", re.I)
_SPACE = re.compile(r"\s+")


def _text(el: HtmlElement) -> str:
    return _SPACE.sub(" ", el.text_content()).strip()


def _types(obj: dict[str, Any]) -> set[str]:
    raw = obj.get("@type")
    items = raw if isinstance(raw, list) else [raw]
    return {str(t).rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower() for t in items if t}


def _walk(obj: Any, depth: int = 0) -> list[dict[str, Any]]:
    """All JSON-LD nodes with a type, in document order (lists, @graph, mainEntity)."""
    out: list[dict[str, Any]] = []
    if depth > 4:
        return out
    if isinstance(obj, list):
        for item in obj:
            out.extend(_walk(item, depth + 1))
    elif isinstance(obj, dict):
        if "@type" in obj:
            out.append(obj)
        for key in ("@graph", "mainEntity"):
            if key in obj:
                out.extend(_walk(obj[key], depth + 1))
    return out


def _load_jsonld(text: str) -> Any:
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    text = re.sub(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$|^<!--|-->$", "", text).strip()
    text = re.sub(r"[\x00-\x1f]", " ", text).rstrip(";")
    try:
        return json.loads(text)
    except ValueError:
        return None


@dataclass(slots=True)
class Signals:
    """Raw values found in one pass over the page."""

    meta: dict[str, list[str]] = field(default_factory=dict)
    jsonld: list[dict[str, Any]] = field(default_factory=list)
    title_tag: str | None = None
    h1: list[str] = field(default_factory=list)
    lang: str | None = None
    canonical: str | None = None
    base: str | None = None
    times: list[tuple[str, str]] = field(default_factory=list)  # (kind, datetime value)
    itemprop_authors: list[str] = field(default_factory=list)
    itemprop_headline: str | None = None
    bylines: list[str] = field(default_factory=list)
    article_paragraphs: int = 0

    def first_meta(self, *keys: str) -> str | None:
        for key in keys:
            for value in self.meta.get(key, ()):
                if value.strip():
                    return value.strip()
        return None


def _under(el: HtmlElement, tags: frozenset[str]) -> bool:
    return any(anc.tag in tags for anc in el.iterancestors())


_CHROME = frozenset({"nav", "footer", "aside"})


def read_signals(tree: HtmlElement) -> Signals:
    """Collect metadata signals from the whole tree in one walk (does not modify the tree)."""
    sig = Signals()
    sig.lang = tree.get("lang") or tree.get("xml:lang")
    bylines: list[tuple[int, str]] = []
    for el in tree.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if tag == "meta":
            key = el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv")
            content = el.get("content")
            if key and content is not None:
                sig.meta.setdefault(key.strip().lower(), []).append(content)
            continue
        if tag == "script":
            if "ld+json" in (el.get("type") or "").lower() and el.text:
                sig.jsonld.extend(_walk(_load_jsonld(el.text)))
            continue
        if tag == "title":
            if sig.title_tag is None and not _under(el, frozenset({"svg"})):
                sig.title_tag = _text(el)
            continue
        if tag == "h1":
            text = _text(el)
            if text:
                sig.h1.append(text)
        elif tag == "link":
            rel = (el.get("rel") or "").lower().split()
            if "canonical" in rel and sig.canonical is None:
                sig.canonical = el.get("href")
        elif tag == "base" and sig.base is None:
            sig.base = el.get("href")
        elif tag == "time":
            value = el.get("datetime") or el.get("content")
            if value:
                kind = (el.get("itemprop") or "").lower()
                if el.get("pubdate") is not None:
                    kind = "datepublished"
                elif not kind and "updat" in (el.get("class") or "").lower():
                    kind = "datemodified"
                elif not kind and _under(el, _CHROME):
                    continue
                sig.times.append((kind or "time", value))
        elif (
            tag == "p"
            and sig.article_paragraphs < 3
            and len(_text(el)) > 80
            and _under(el, frozenset({"article"}))
        ):
            sig.article_paragraphs += 1
        prop = (el.get("itemprop") or "").lower()
        if prop:
            if prop == "author" or prop == "creator":
                names = el.xpath(".//*[@itemprop='name']")
                value = el.get("content") or (_text(names[0]) if names else _text(el))
                if value and len(value) < 120:
                    sig.itemprop_authors.append(value)
            elif prop == "headline" and sig.itemprop_headline is None:
                sig.itemprop_headline = el.get("content") or _text(el)
            elif prop in ("datepublished", "datemodified") and tag != "time":
                value = el.get("content") or el.get("datetime") or _text(el)
                if value:
                    sig.times.append((prop, value))
        hint = " ".join(filter(None, (el.get("class"), el.get("id"), el.get("rel"))))
        if hint and _BYLINE_HINT.search(hint) and not _NOT_BYLINE.search(hint):
            text = _text(el)
            if 3 <= len(text) <= 120 and not _under(el, _CHROME):
                rank = 0 if "author" in (el.get("rel") or "") else 1 if "byline" in hint else 2
                bylines.append((rank, text))
    bylines.sort(key=lambda item: item[0])  # stable: document order within a rank
    sig.bylines = [text for _, text in bylines]
    return sig


@dataclass(slots=True)
class Metadata:
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    description: str | None = None
    site_name: str | None = None
    language: str | None = None
    tags: list[str] = field(default_factory=list)
    og_type: str | None = None
    schema_types: set[str] = field(default_factory=set)
    explicit_date: bool = False  # a date stated in metadata, not guessed from the text


def _article_node(sig: Signals) -> dict[str, Any] | None:
    nodes = [n for n in sig.jsonld if _types(n) & ARTICLE_TYPES]
    if not nodes:
        nodes = [n for n in sig.jsonld if "webpage" in _types(n) and n.get("datePublished")]
    for node in nodes:
        if node.get("headline"):
            return node
    return nodes[0] if nodes else None


def _names(value: Any, graph: dict[str, dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(people, organisations) named by a JSON-LD ``author``/``creator`` value."""
    people: list[str] = []
    orgs: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            people.append(item)
        elif isinstance(item, dict):
            if "name" not in item and item.get("@id") in graph:
                item = graph[item["@id"]]
            name = item.get("name")
            if isinstance(name, list):
                name = ", ".join(str(n) for n in name)
            if isinstance(name, str):
                (
                    orgs if _types(item) & {"organization", "newsmediaorganization"} else people
                ).append(name)
    return people, orgs


def _str(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _language(*values: str | None) -> str | None:
    for value in values:
        if value:
            m = re.match(r"\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*\s*$", value)
            if m:
                return m.group(1).lower()
    return None


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        item = _SPACE.sub(" ", item).strip()
        key = item.casefold()
        if item and key not in seen and len(item) <= 80:
            seen.add(key)
            out.append(item)
    return out


def _tags(sig: Signals, node: dict[str, Any] | None, fallback: list[str]) -> list[str]:
    raw: list[str] = []
    for key in _TAG_META:
        raw.extend(sig.meta.get(key, ()))
    if node:
        for key in ("articleSection", "keywords"):
            value = node.get(key)
            if isinstance(value, str):
                raw.append(value)
            elif isinstance(value, list):
                raw.extend(str(v) for v in value if isinstance(v, str))
    for key in _TAG_LIST_META:
        raw.extend(sig.meta.get(key, ())[:1])
    # Many sites put a whole comma-separated list in one value; paths and URLs are not tags.
    tags = [t for value in [*raw, *fallback] for t in value.split(",")]
    return _dedupe([t for t in tags if not t.strip().startswith(("/", "http"))])[:40]


def _authors(sig: Signals, node: dict[str, Any] | None, extra: list[str | None]) -> list[str]:
    graph = {n["@id"]: n for n in sig.jsonld if isinstance(n.get("@id"), str)}
    sources: list[list[str]] = []
    org_names: list[str] = []
    if node:
        people, orgs = _names(node.get("author") or node.get("creator"), graph)
        sources.append(people)
        org_names.extend(orgs)
        publisher = _str(node.get("publisher"))
        if publisher:
            org_names.append(publisher)
    sources.extend([v] for key in _AUTHOR_META for v in sig.meta.get(key, ())[:3])
    sources.append(sig.itemprop_authors[:4])
    sources.extend([b] for b in sig.bylines[:3])
    sources.extend([e] for e in extra if e)
    site = [n for n in [sig.first_meta("og:site_name"), *org_names] if n]
    fallback: list[str] = []
    for raw in sources:
        people, orgs = split_authors(raw, site)
        if people:
            return people
        if orgs and not fallback:
            fallback = orgs
    return fallback or [o for o in org_names[:1] if " " in o]


def _first_date(values: list[str | None]) -> str | None:
    for value in values:
        if value:
            parsed = parse_date(value)
            if parsed:
                return parsed
    return None


def choose(sig: Signals, url: str, fallback: dict[str, Any]) -> Metadata:
    """Pick each field from the strongest source that has it.

    Args:
        sig: what :func:`read_signals` found.
        url: the page URL (its host helps to recognise site names in titles).
        fallback: trafilatura's ``Document.as_dict()`` (may be empty), used last.
    """
    node = _article_node(sig)
    md = Metadata()
    md.og_type = (sig.first_meta("og:type") or "").lower() or None
    md.schema_types = {t for n in sig.jsonld for t in _types(n)}
    md.site_name = (
        sig.first_meta("og:site_name", "application-name", "al:ios:app_name")
        or _str(node.get("publisher") if node else None)
        or fallback.get("sitename")
    )
    if md.site_name and md.site_name.startswith(("http://", "https://")):
        md.site_name = urlsplit(md.site_name).hostname or md.site_name
    md.description = (
        sig.first_meta("og:description", "description", "twitter:description")
        or _str(node.get("description") if node else None)
        or fallback.get("description")
    )
    md.language = _language(
        sig.lang,
        sig.first_meta("og:locale", "content-language", "language", "dc.language"),
        _str(node.get("inLanguage") if node else None),
        fallback.get("language"),
    )
    candidates = [
        _str(node.get("headline") or node.get("name")) if node else None,
        *(sig.first_meta(k) for k in _TITLE_META),
        sig.itemprop_headline,
        sig.title_tag,
        fallback.get("title"),
    ]
    md.title = clean_title([c for c in candidates if c], sig.h1, sig.title_tag, md.site_name, url)
    md.authors = _authors(sig, node, [fallback.get("author")])
    kinds = {kind: value for kind, value in reversed(sig.times)}  # first of each kind wins
    published = [
        _str(node.get("datePublished")) if node else None,
        *(sig.first_meta(k) for k in _PUBLISHED_META),
        _str(node.get("dateCreated")) if node else None,
        kinds.get("datepublished"),
        kinds.get("time"),
    ]
    md.published = _first_date(published)
    # Only a date the page states for itself counts as an article signal: a bare <time> may
    # belong to any teaser on an index page.
    md.explicit_date = _first_date(published[:-1]) is not None
    if md.published is None:
        md.published = _first_date([fallback.get("date")])
    modified = [
        _str(node.get("dateModified")) if node else None,
        *(sig.first_meta(k) for k in _MODIFIED_META),
        kinds.get("datemodified"),
    ]
    md.modified = _first_date(modified)
    md.tags = _tags(sig, node, [*(fallback.get("categories") or []), *(fallback.get("tags") or [])])
    return md


# ---------------------------------------------------------------- field cleaners

_ISO = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}:?\d{2}|UTC|GMT)?)?",
    re.I,
)
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        (
            "jan january janv janvier enero ene januar janeiro",
            "feb february fev fevr fevrier febrero febr februar fevereiro",
            "mar march mars marzo marz marco",
            "apr april avr avril abril",
            "may mai mayo maio",
            "jun june juin junio juni junho",
            "jul july juil juillet julio juli julho",
            "aug august aout agosto",
            "sep sept september septembre septiembre setembro",
            "oct october octobre octubre oktober outubro",
            "nov november novembre noviembre novembro",
            "dec december decembre diciembre dezember dezembro",
        )
    )
    for m in names.split()
}
_TEXT_DATE = re.compile(
    r"(?:(\d{1,2})(?:st|nd|rd|th)?\.?\s+(?:de\s+)?([A-Za-z]{3,10})\.?,?\s+(?:de\s+)?(\d{4}))"
    r"|(?:([A-Za-z]{3,10})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4}))"
)


def _valid(year: int, month: int, day: int) -> bool:
    if not (1990 <= year <= 2100):
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def parse_date(value: str) -> str | None:
    """ISO 8601 form of a date found in metadata, or None.

    ``"2019-11-05T10:00:00Z"`` -> ``"2019-11-05T10:00:00+00:00"``; a time without a zone stays
    naive; a bare date stays a date. Also reads ``2019/11/05``, ``20191105``, Unix time stamps,
    RFC 2822 (``Tue, 05 Nov 2019 10:00:00 GMT``) and ``November 5, 2019`` / ``5 Nov 2019``.
    """
    value = value.strip()
    if not value or len(value) > 200:
        return None
    m = _ISO.search(value)
    if m:
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if not _valid(year, month, day):
            return None
        if m.group(4) is None:
            return f"{year:04d}-{month:02d}-{day:02d}"
        hour, minute, sec = int(m.group(4)), int(m.group(5)), int(m.group(6) or 0)
        if hour > 23 or minute > 59 or sec > 59:
            return f"{year:04d}-{month:02d}-{day:02d}"
        stamp = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{sec:02d}"
        zone = (m.group(7) or "").upper()
        if zone in ("Z", "UTC", "GMT"):
            return stamp + "+00:00"
        if zone:
            digits = zone.replace(":", "")
            return f"{stamp}{digits[:3]}:{digits[3:]}"
        return stamp
    if re.fullmatch(r"\d{8}", value):
        year, month, day = int(value[:4]), int(value[4:6]), int(value[6:])
        return f"{year:04d}-{month:02d}-{day:02d}" if _valid(year, month, day) else None
    if re.fullmatch(r"\d{10}(?:\d{3})?", value):
        moment = datetime.fromtimestamp(int(value[:10]), tz=UTC)
        return moment.isoformat() if 1990 <= moment.year <= 2100 else None
    when: datetime | None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        when = None
    if when is not None and 1990 <= when.year <= 2100:
        return when.isoformat()
    m = _TEXT_DATE.search(value)
    if m:
        if m.group(1):
            day, month_name, year = int(m.group(1)), m.group(2), int(m.group(3))
        else:
            month_name, day, year = m.group(4), int(m.group(5)), int(m.group(6))
        month = _MONTHS.get(_fold(month_name).replace(" ", ""), 0)
        if month and _valid(year, month, day):
            return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", " ", text).strip()


_BY = re.compile(
    r"^\s*(?:(?:written|posted|reported|words|text|story)\s+)?(?:by|von|par|por|di|door)\b[:\s]*",
    re.I,
)
_ROLE = re.compile(
    r"\b(?:staff|writer|reporter|correspondent|editor|editors|columnist|contributor|contributing"
    r"|senior|chief|editorial|producer|photographer|analyst|intern|journalist|freelance"
    r"|special\s+to|for\s+the|updated|published|posted|follow|twitter|email|associated\s+press"
    r"|news\s+service|wire|agency|newsroom|desk|team|bureau|staff)\b",
    re.I,
)
_ORG = re.compile(
    r"\b(?:news|press|media|times|post|daily|journal|magazine|network|agency|reuters|afp"
    r"|associated|group|inc|ltd|llc|gmbh|tv|radio|online|\.com|staff|team|desk|newsroom)\b",
    re.I,
)
_CUT = re.compile(
    r"\s*(?:\||•|·|—|–|\s-\s|\bupdated\b|\bpublished\b|\bposted\b|\bon\s+\w+\s+\d|\d{1,2}:\d{2}"
    r"|\b\d{4}\b|\bfollow\b|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b).*$",
    re.I,
)
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b|\bund\b|\bet\b|\by\b|\be\b|\s/\s|\n)\s*", re.I)
_EMAIL = re.compile(r"\S+@\S+")
_URLISH = re.compile(r"https?://\S+|www\.\S+|\S+\.(?:com|org|net|co\.uk)\b\S*", re.I)


def _person_like(name: str) -> bool:
    words = name.split()
    if not 2 <= len(words) <= 5 or len(name) > 50:
        return False
    if any(c.isdigit() for c in name) or not any(c.isupper() for c in name):
        return False
    return not _ORG.search(name)


def split_authors(raw: list[str], site_names: list[str]) -> tuple[list[str], list[str]]:
    """Split author strings into (people, other names such as organisations).

    ``["By Jane Doe and John Roe, Staff Writers"]`` -> ``(["Jane Doe", "John Roe"], [])``.
    E-mail addresses, URLs (author pages), roles and ``By`` are dropped; names equal to the site
    name or that look like an organisation go to the second list.
    """
    people: list[str] = []
    others: list[str] = []
    sites = {_fold(s).replace(" ", "") for s in site_names if s}
    for value in raw:
        if not isinstance(value, str):
            continue
        value = _EMAIL.sub(" ", _URLISH.sub(" ", value))
        value = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", value)
        value = _BY.sub("", _SPACE.sub(" ", value).strip())
        value = _CUT.sub("", value)
        for part in _AUTHOR_SPLIT.split(value):
            part = _BY.sub("", part).strip(" \t:-–—.,'\"")
            if not part or len(part) < 3 or part.startswith("@"):
                continue
            if _ROLE.search(part) and _ROLE.sub("", part).strip() == "":
                continue
            if part.isupper() and len(part) > 4:
                part = part.title()
            key = _fold(part).replace(" ", "")
            if not key:
                continue
            if key in sites or any(key in s or s in key for s in sites if len(s) > 3):
                others.append(part)
            elif _person_like(part):
                name = _ROLE.split(part)[0].strip() if _ROLE.search(part) else part
                if len(name.split()) >= 2:
                    people.append(name)
            elif len(part) <= 60 and not any(c.isdigit() for c in part):
                others.append(part)
    return _dedupe(people), _dedupe(others)


SITE_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|·|•|»|/|:)\s+")


def _site_keys(site_name: str | None, url: str) -> set[str]:
    keys = set()
    if site_name:
        keys.add(_fold(site_name).replace(" ", ""))
    host = (urlsplit(url).hostname or "").lower()
    labels = [lab for lab in host.split(".") if lab not in ("www", "m", "amp", "mobile")]
    if len(labels) >= 2:
        keys.add(labels[-2] if len(labels[-1]) <= 3 or len(labels) == 2 else labels[-3])
        keys.add(_fold(".".join(labels)).replace(" ", ""))
        keys.update(lab for lab in labels[:-1] if len(lab) > 3)
    return {k for k in keys if len(k) >= 3}


def _is_site(segment: str, keys: set[str]) -> bool:
    seg = _fold(segment).replace(" ", "")
    if not seg:
        return True
    for key in keys:
        if seg == key or (len(seg) >= 4 and (seg in key or key in seg) and len(segment) <= 40):
            return True
    return False


def _strip_site(title: str, keys: set[str]) -> str:
    parts = SITE_SEPARATORS.split(title)
    seps = SITE_SEPARATORS.findall(title)
    changed = True
    while len(parts) > 1 and changed:
        changed = False
        if _is_site(parts[-1], keys):
            parts, seps, changed = parts[:-1], seps[:-1], True
        elif _is_site(parts[0], keys):
            parts, seps, changed = parts[1:], seps[1:], True
    out = parts[0]
    for sep, part in zip(seps, parts[1:], strict=True):
        out += sep + part
    # "Headline | Section | Site": the pipe almost never belongs to a headline.
    pieces = [p.strip() for p in re.split(r"\s+\|\s+", out)]
    if len(pieces) > 1:
        longest = max(pieces, key=len)
        if all(len(p.split()) <= 4 for p in pieces if p is not longest):
            out = longest
    return out.strip()


def clean_title(
    candidates: list[str], h1s: list[str], title_tag: str | None, site_name: str | None, url: str
) -> str | None:
    """The headline: the best title candidate with site-name prefixes/suffixes removed.

    ``candidates`` are in order of trust (JSON-LD headline, og:title, ..., ``<title>``). An
    ``<h1>`` that equals a candidate without its site segment confirms the cut.
    """
    if not candidates and not h1s:
        return None
    keys = _site_keys(site_name, url)
    # A segment that the <title> and og:title both end (or start) with is the site name.
    if title_tag and len(candidates) > 1:
        for other in candidates[:-1]:
            a, b = SITE_SEPARATORS.split(title_tag), SITE_SEPARATORS.split(other)
            if len(a) > 1 and len(b) > 1 and _fold(a[-1]) == _fold(b[-1]) and a[0] != b[0]:
                keys.add(_fold(a[-1]).replace(" ", ""))
    folded_h1 = {_fold(h): h for h in h1s[:3] if 3 <= len(h) <= 300}
    # The <h1> is the headline as shown; when it is the top candidate minus a segment, that
    # segment was a site or section name whatever it says.
    first = candidates[0] if candidates else ""
    for variant in (first, *SITE_SEPARATORS.split(first)):
        hit = folded_h1.get(_fold(variant))
        if not hit or _is_site(hit, keys):
            continue
        # Headlines come first in titles; elsewhere a short <h1> may be a logo or a section.
        if variant is first or first.startswith(variant) or len(hit) >= 0.5 * len(first):
            return _SPACE.sub(" ", hit).strip()
    for cand in candidates:
        cleaned = _strip_site(_SPACE.sub(" ", cand).strip(), keys)
        if len(cleaned) >= 3 and not _is_site(cleaned, keys):
            return cleaned
    if h1s:
        return h1s[0]
    return _SPACE.sub(" ", candidates[0]).strip() if candidates else None
