"""Reading the archive: one article's history, one version in full, and rows for export.

Every function takes an open :class:`~sqlalchemy.orm.Session` and only reads. Rows come back as
plain dicts with JSON-friendly values (timestamps as UTC ISO 8601 strings), so the CLI, an export
file and a notebook all see the same field names the extractor used.

``raw_html`` is never loaded here: it is the bulk of the database and no reader needs it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, tuple_
from sqlalchemy.orm import Session

from archive.errors import NotFoundError
from archive.models import Article, ArticleURL, Link, Source, Version
from archive.sources import get_source
from archive.urls import normalize_url

__all__ = [
    "CHANGE_FIELDS",
    "EXPORT_COLUMNS",
    "find_article",
    "get_version",
    "history",
    "iter_export_rows",
]

#: The columns of an export, in order (see :func:`iter_export_rows`).
EXPORT_COLUMNS = [
    "source",
    "url",
    "version",
    "first_seen",
    "fetched_at",
    "published",
    "modified",
    "title",
    "authors",
    "description",
    "site_name",
    "language",
    "tags",
    "text",
    "word_count",
    "links",
    "related_links",
    "canonical_url",
    "content_hash",
]

#: The fields :func:`history` compares between consecutive versions.
CHANGE_FIELDS = ("title", "authors", "published", "modified", "description", "tags", "text")

# Largest IN (...) list sent at once: old SQLite builds allow only 999 bound parameters.
_IN_CHUNK = 500

# Every column of a version except raw_html and encoding, plus its article's and source's keys.
_VERSION_COLUMNS = (
    Version.id,
    Version.article_id,
    Version.version,
    Version.fetched_at,
    Version.content_hash,
    Version.url.label("fetched_from"),
    Version.title,
    Version.authors,
    Version.published,
    Version.modified,
    Version.description,
    Version.site_name,
    Version.language,
    Version.tags,
    Version.text,
    Version.word_count,
    Version.extractor,
    Version.extractor_version,
    Article.url.label("article_url"),
    Article.first_seen,
    Article.version_count,
    Source.name.label("source"),
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def find_article(session: Session, url: str) -> Article:
    """The article fetched at ``url``: by its canonical URL, else by any URL it was reached at.

    Args:
        session: an open session.
        url: a canonical URL, or any URL the article was fetched from (tracking parameters and
            fragments are ignored).

    Raises:
        NotFoundError: no article was archived at that URL.
    """
    article = session.scalars(select(Article).where(Article.url == url)).first()
    if article is not None:
        return article
    try:
        key = normalize_url(url)
    except ValueError:
        raise NotFoundError(
            f"{url!r} is not an absolute http(s) URL. Give the article's full URL, "
            "e.g. https://sport.example.com/football/2026/11/25/match-report.html."
        ) from None
    # Two indexed lookups: an OR across the join would scan both tables.
    article = session.scalars(select(Article).where(Article.url == key)).first()
    if article is None:
        alias = session.get(ArticleURL, key)
        article = session.get(Article, alias.article_id) if alias is not None else None
    if article is None:
        raise NotFoundError(
            f"No archived article at {url}. Check the URL, or find the article with "
            "`pressbox search WORDS`."
        )
    return article


def _version_rows(session: Session, article: Article) -> Sequence[Row[*tuple[Any, ...]]]:
    query = (
        select(*_VERSION_COLUMNS)
        .join(Article, Article.id == Version.article_id)
        .join(Source, Source.id == Article.source_id)
        .where(Version.article_id == article.id)
        .order_by(Version.version)
    )
    return session.execute(query).all()


def _word_diff(old: list[str], new: list[str]) -> tuple[int, int]:
    """(words added, words removed) going from ``old`` to ``new``."""
    added = removed = 0
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            removed += i2 - i1
        if tag in ("replace", "insert"):
            added += j2 - j1
    return added, removed


def history(session: Session, url: str) -> list[dict[str, Any]]:
    """Every version of the article at ``url``, oldest first, with what changed each time.

    Args:
        session: an open session.
        url: the article's URL (see :func:`find_article`).

    Returns:
        One dict per version: ``version``, ``fetched_at`` (ISO 8601, UTC), ``title``,
        ``word_count``, ``content_hash``, ``changed`` (the names among :data:`CHANGE_FIELDS`
        that differ from the previous version; empty for version 1), ``words_added`` and
        ``words_removed`` (a word-level diff of the text against the previous version; version 1
        counts all its words as added).

    Raises:
        NotFoundError: no article was archived at that URL.
    """
    article = find_article(session, url)
    result: list[dict[str, Any]] = []
    previous: Row[*tuple[Any, ...]] | None = None
    previous_words: list[str] = []
    for row in _version_rows(session, article):
        words = row.text.split()
        if previous is None:
            changed: list[str] = []
            added, removed = len(words), 0
        else:
            changed = [
                name
                for name in CHANGE_FIELDS
                # the text compares as words: a re-wrap alone is not a change
                if (
                    words != previous_words
                    if name == "text"
                    else getattr(row, name) != getattr(previous, name)
                )
            ]
            added, removed = _word_diff(previous_words, words)
        result.append(
            {
                "version": row.version,
                "fetched_at": _iso(row.fetched_at),
                "title": row.title,
                "word_count": row.word_count,
                "content_hash": row.content_hash,
                "changed": changed,
                "words_added": added,
                "words_removed": removed,
            }
        )
        previous, previous_words = row, words
    return result


def _record(
    row: Row[*tuple[Any, ...]], links: list[dict[str, str]], related: list[dict[str, str]]
) -> dict[str, Any]:
    """A version row as a dict with the extractor's field names plus the archive's own."""
    return {
        "url": row.article_url,
        "canonical_url": row.article_url,
        "title": row.title,
        "authors": list(row.authors or []),
        "published": row.published,
        "modified": row.modified,
        "description": row.description,
        "site_name": row.site_name,
        "language": row.language,
        "tags": list(row.tags or []),
        "text": row.text,
        "links": links,
        "related_links": related,
        "source": row.source,
        "version": row.version,
        "versions": row.version_count,
        "first_seen": _iso(row.first_seen),
        "fetched_at": _iso(row.fetched_at),
        "content_hash": row.content_hash,
        "word_count": row.word_count,
        "extractor": row.extractor,
        "extractor_version": row.extractor_version,
        "fetched_from": row.fetched_from,
    }


def _links_of(
    session: Session, version_ids: list[int]
) -> dict[int, dict[str, list[dict[str, str]]]]:
    """The links of each version, split by kind and in page order, in few IN (...) queries."""
    found: dict[int, dict[str, list[dict[str, str]]]] = {
        vid: {"body": [], "related": []} for vid in version_ids
    }
    for start in range(0, len(version_ids), _IN_CHUNK):
        chunk = version_ids[start : start + _IN_CHUNK]
        query = (
            select(Link.version_id, Link.kind, Link.url, Link.text)
            .where(Link.version_id.in_(chunk))
            .order_by(Link.version_id, Link.kind, Link.position)
        )
        for version_id, kind, url, text in session.execute(query):
            found[version_id].setdefault(kind, []).append({"url": url, "text": text})
    return found


def get_version(session: Session, url: str, version: int | None = None) -> dict[str, Any]:
    """One version of the article at ``url`` in full (the latest when ``version`` is None).

    Args:
        session: an open session.
        url: the article's URL (see :func:`find_article`).
        version: the version number, 1 for the first.

    Returns:
        A dict with the extractor's fields (``url``, ``canonical_url``, ``title``, ``authors``,
        ``published``, ``modified``, ``description``, ``site_name``, ``language``, ``tags``,
        ``text``, ``links``, ``related_links``; links as ``{"url", "text"}`` dicts in page order)
        and the archive's (``source``, ``version``, ``versions``, ``first_seen``,
        ``fetched_at``, ``content_hash``, ``word_count``, ``extractor``,
        ``extractor_version``, ``fetched_from``). Timestamps are ISO 8601 strings in UTC.

    Raises:
        NotFoundError: no article at that URL, or it has no such version.
    """
    article = find_article(session, url)
    number = article.version_count if version is None else version
    query = (
        select(*_VERSION_COLUMNS)
        .join(Article, Article.id == Version.article_id)
        .join(Source, Source.id == Article.source_id)
        .where(Version.article_id == article.id, Version.version == number)
    )
    row = session.execute(query).first()
    if row is None:
        count = session.scalar(
            select(func.count()).select_from(Version).where(Version.article_id == article.id)
        )
        have = f"versions 1 to {count}" if count else "no versions"
        raise NotFoundError(
            f"The article at {article.url} has {have}, not version {number}. "
            f"List them with `pressbox history {article.url}`."
        )
    links = _links_of(session, [row.id])[row.id]
    return _record(row, links["body"], links["related"])


def iter_export_rows(
    session: Session,
    *,
    all_versions: bool = False,
    sources: list[str] | None = None,
    batch_size: int = 1000,
) -> Iterator[dict[str, Any]]:
    """Stream export rows: the latest version of every article, or every version.

    Rows come ordered by article, then version, in batches of ``batch_size`` read with keyset
    pagination (each batch is one query for the versions and one for their links), so memory
    stays flat however large the archive is. Each row has the keys of :data:`EXPORT_COLUMNS`.

    Args:
        session: an open session.
        all_versions: every version of every article instead of the latest only.
        sources: only these sources (by name); None for all.
        batch_size: rows read per query.

    Raises:
        NotFoundError: a name in ``sources`` is not a known source.
        ValueError: ``batch_size`` is not positive.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    source_ids = [get_source(session, name).id for name in sources] if sources is not None else None
    base = (
        select(*_VERSION_COLUMNS)
        .join(Article, Article.id == Version.article_id)
        .join(Source, Source.id == Article.source_id)
    )
    if not all_versions:
        base = base.where(Version.id == Article.latest_version_id)
    if source_ids is not None:
        base = base.where(Article.source_id.in_(source_ids))
    base = base.order_by(Version.article_id, Version.version).limit(batch_size)
    last: tuple[int, int] | None = None
    while True:
        # Keyset pagination on the unique (article_id, version) pair: each page is an index
        # range scan, unlike OFFSET, which rereads every row before the page.
        query = (
            base
            if last is None
            else base.where(tuple_(Version.article_id, Version.version) > tuple_(*last))
        )
        rows = session.execute(query).all()
        if not rows:
            return
        links = _links_of(session, [row.id for row in rows])
        for row in rows:
            record = _record(row, links[row.id]["body"], links[row.id]["related"])
            yield {name: record[name] for name in EXPORT_COLUMNS}
        if len(rows) < batch_size:
            return
        last = (rows[-1].article_id, rows[-1].version)
        del rows, links
