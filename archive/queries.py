"""Reading the archive: one article's history, one version in full, and rows for export.

Every function takes an open :class:`~sqlalchemy.orm.Session` and only reads. Rows come back as
plain dicts with JSON-friendly values (timestamps as UTC ISO 8601 strings), so the CLI, an export
file and a notebook all see the same field names the extractor used.

``raw_html`` is never loaded here: it is the bulk of the database and no reader needs it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Row, Select, Text, and_, cast, func, or_, select, tuple_
from sqlalchemy.orm import Session, aliased

from archive.changes import COMPARED_FIELDS
from archive.errors import NotFoundError, ValidationError
from archive.models import Article, ArticleURL, Link, Source, Version
from archive.search import check_query, match_subquery, search_errors
from archive.sources import get_source
from archive.urls import normalize_url

__all__ = [
    "ALL_EXPORT_COLUMNS",
    "CHANGE_FIELDS",
    "EXPORT_COLUMNS",
    "SEARCH_COLUMNS",
    "Filters",
    "find_article",
    "get_version",
    "history",
    "iter_export_rows",
    "max_version_id",
    "parse_when",
    "search",
]

#: The default columns of an export, in order (the README's "Export columns").
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
    "language",
    "tags",
    "text",
    "word_count",
    "related_links",
    "content_hash",
]
#: Every column an export can have (choose with ``columns``): the defaults, then the others.
ALL_EXPORT_COLUMNS = [
    *EXPORT_COLUMNS,
    "site_name",
    "links",
    "canonical_url",
    "versions",
    "fetched_from",
    "extractor",
    "extractor_version",
    "changed_fields",
    "words_added",
    "words_removed",
    "trivial",
]

#: The fields :func:`history` compares between consecutive versions.
CHANGE_FIELDS = COMPARED_FIELDS

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
    Version.changed_fields,
    Version.words_added,
    Version.words_removed,
    Version.chars_added,
    Version.chars_removed,
    Version.trivial,
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


def history(session: Session, url: str) -> list[dict[str, Any]]:
    """Every version of the article at ``url``, oldest first, with what changed each time.

    The change figures are those the store recorded when it wrote each version (see
    :mod:`archive.changes`).

    Args:
        session: an open session.
        url: the article's URL (see :func:`find_article`).

    Returns:
        One dict per version: ``version``, ``fetched_at`` (ISO 8601, UTC), ``title``,
        ``word_count``, ``content_hash``, ``changed`` (the names among :data:`CHANGE_FIELDS`
        that differ from the previous version; empty for version 1), ``words_added`` and
        ``words_removed`` (a word-level diff of the text against the previous version; version 1
        counts all its words as added), ``chars_added``, ``chars_removed`` and ``trivial``
        (only whitespace, punctuation or a date line changed).

    Raises:
        NotFoundError: no article was archived at that URL.
    """
    article = find_article(session, url)
    return [
        {
            "version": row.version,
            "fetched_at": _iso(row.fetched_at),
            "title": row.title,
            "word_count": row.word_count,
            "content_hash": row.content_hash,
            "changed": list(row.changed_fields or []),
            "words_added": row.word_count if row.version == 1 else row.words_added,
            "words_removed": row.words_removed,
            "chars_added": len("".join(row.text.split())) if row.version == 1 else row.chars_added,
            "chars_removed": row.chars_removed,
            "trivial": bool(row.trivial),
        }
        for row in _version_rows(session, article)
    ]


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


def get_version(
    session: Session, url: str, version: int | None = None, *, as_of: datetime | None = None
) -> dict[str, Any]:
    """One version of the article at ``url`` in full (the latest when ``version`` is None).

    Args:
        session: an open session.
        url: the article's URL (see :func:`find_article`).
        version: the version number, 1 for the first.
        as_of: instead of the latest, the version that was current at this time (the last one
            fetched at or before it).

    Returns:
        A dict with the extractor's fields (``url``, ``canonical_url``, ``title``, ``authors``,
        ``published``, ``modified``, ``description``, ``site_name``, ``language``, ``tags``,
        ``text``, ``links``, ``related_links``; links as ``{"url", "text"}`` dicts in page order)
        and the archive's (``source``, ``version``, ``versions``, ``first_seen``,
        ``fetched_at``, ``content_hash``, ``word_count``, ``extractor``,
        ``extractor_version``, ``fetched_from``). Timestamps are ISO 8601 strings in UTC.

    Raises:
        NotFoundError: no article at that URL, or it has no such version (or none yet at
            ``as_of``).
        ValidationError: both ``version`` and ``as_of`` are given.
    """
    article = find_article(session, url)
    if version is not None and as_of is not None:
        raise ValidationError("Give either a version number or an --as-of time, not both.")
    number = article.version_count if version is None else version
    if as_of is not None:
        at = session.scalar(
            select(func.max(Version.version)).where(
                Version.article_id == article.id, Version.fetched_at <= as_of
            )
        )
        if at is None or article.first_seen > as_of:
            raise NotFoundError(
                f"The article at {article.url} was not archived yet at {as_of.isoformat()}: "
                f"it was first seen at {article.first_seen.isoformat()}."
            )
        number = at
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


# -- filters ---------------------------------------------------------------------------------------


def parse_when(value: str, *, end: bool = False, name: str = "date") -> datetime:
    """Parse a DATE (``2026-11-25``) or DATETIME (``2026-11-25T14:00``, ``...Z``, ``...+01:00``).

    Times without a zone are UTC. A date alone means its first instant, or with ``end`` the first
    instant of the next day (so ``--until 2026-11-25`` includes the whole 25th).

    Raises:
        ValidationError: the value is neither.
    """
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"Cannot read {name} {value!r}. Use 2026-11-25, 2026-11-25T14:00 (UTC) or "
            "2026-11-25T14:00+01:00."
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Filters:
    """Which versions a search, an export or a change list looks at.

    Attributes:
        query: a full-text query (see :mod:`archive.search`); None for every version.
        sources: only these sources, by name; None for all.
        since: only those published (or first seen, see ``date_field``) at or after this time.
        until: only those published (or first seen) before this time.
        date_field: ``"published"`` (the page's publication date) or ``"fetched"`` (when the
            article was first seen).
        author: only versions with an author containing this text (case-insensitive for ASCII).
        lang: only this language code (``en`` also matches ``en-GB``).
        as_of: the archive as it stood at this time: the version of each article current then
            (with ``all_versions``, every version fetched by then), only articles first seen by
            then.
        all_versions: every version instead of the current one of each article.
        after_version_id: only versions with a larger id (a delta since an earlier export).
    """

    query: str | None = None
    sources: list[str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    date_field: Literal["published", "fetched"] = "published"
    author: str | None = None
    lang: str | None = None
    as_of: datetime | None = None
    all_versions: bool = False
    after_version_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly, for manifests."""
        return {
            "query": self.query,
            "sources": self.sources,
            "since": _iso(self.since),
            "until": _iso(self.until),
            "date_field": self.date_field,
            "author": self.author,
            "lang": self.lang,
            "as_of": _iso(self.as_of),
            "all_versions": self.all_versions,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Filters:
        def when(key: str) -> datetime | None:
            value = data.get(key)
            return parse_when(value, name=key) if value else None

        return cls(
            query=data.get("query"),
            sources=data.get("sources"),
            since=when("since"),
            until=when("until"),
            date_field=data.get("date_field") or "published",
            author=data.get("author"),
            lang=data.get("lang"),
            as_of=when("as_of"),
            all_versions=bool(data.get("all_versions")),
        )

    def with_(self, **changes: Any) -> Filters:
        return replace(self, **changes)


def _conditions(session: Session, filters: Filters) -> list[ColumnElement[bool]]:
    """WHERE conditions for ``filters`` (all but the full-text query) over Version/Article."""
    where: list[ColumnElement[bool]] = []
    if filters.sources is not None:
        ids = [get_source(session, name).id for name in filters.sources]
        where.append(Article.source_id.in_(ids))
    if filters.as_of is not None:
        where.append(Article.first_seen <= filters.as_of)
        if filters.all_versions:
            where.append(Version.fetched_at <= filters.as_of)
        else:
            # The version current at as_of: correlated, so each row is one index probe on
            # (article_id, version) and keyset pages stay cheap.
            older = aliased(Version)
            current = (
                select(func.max(older.version))
                .where(older.article_id == Version.article_id, older.fetched_at <= filters.as_of)
                .scalar_subquery()
            )
            where.append(Version.version == current)
    elif not filters.all_versions:
        where.append(Version.id == Article.latest_version_id)
    date_column = Version.published_at if filters.date_field == "published" else Article.first_seen
    if filters.since is not None:
        where.append(date_column >= filters.since)
    if filters.until is not None:
        where.append(date_column < filters.until)
    if filters.author:
        # Lists are stored as JSON with non-ASCII letters \u-escaped, which SQL lower() cannot
        # fold: match the plain text case-insensitively, and the escaped forms as given and
        # lower-cased.
        needles = {filters.author.lower()}
        needles |= {json_escaped(filters.author), json_escaped(filters.author.lower())}
        authors = func.lower(cast(Version.authors, Text))
        where.append(or_(*(authors.contains(n, autoescape=True) for n in sorted(needles))))
    if filters.lang:
        code = filters.lang.lower()
        language = func.lower(Version.language)
        where.append(or_(language == code, language.startswith(code + "-", autoescape=True)))
    if filters.after_version_id is not None:
        where.append(Version.id > filters.after_version_id)
    return where


def json_escaped(value: str) -> str:
    """``value`` as it appears inside a JSON string with ASCII escapes (how lists are stored)."""
    return json.dumps(value)[1:-1]


def _base(session: Session, filters: Filters, *columns: Any) -> Select[Any]:
    query = (
        select(*columns)
        .select_from(Version)
        .join(Article, Article.id == Version.article_id)
        .join(Source, Source.id == Article.source_id)
    )
    where = _conditions(session, filters)
    return query.where(and_(*where)) if where else query


def max_version_id(session: Session, as_of: datetime | None = None) -> int:
    """The largest version id in the archive (fetched by ``as_of``), 0 when there is none."""
    query = select(func.max(Version.id))
    if as_of is not None:
        query = query.where(Version.fetched_at <= as_of)
    return session.scalar(query) or 0


# -- search ----------------------------------------------------------------------------------------

#: The keys of a search result, in order.
SEARCH_COLUMNS = [
    "rank",
    "score",
    "source",
    "url",
    "version",
    "fetched_at",
    "published",
    "title",
    "authors",
    "snippet",
]


def search(
    session: Session,
    query: str,
    filters: Filters | None = None,
    *,
    limit: int = 20,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Full-text search, best match first.

    Args:
        session: an open session.
        query: the search query: words, "phrases", AND/OR/NOT, prefix* (see
            :mod:`archive.search`).
        filters: which versions to search (default: the latest version of every article).
        limit: results at most.
        offset: results to skip (for paging).

    Returns:
        One dict per matching version with the keys of :data:`SEARCH_COLUMNS`: ``rank`` (1 for
        the best), ``snippet`` the best-matching passage with the matched words in [brackets].

    Raises:
        ValidationError: a malformed query (the message says how to write one), or a bad limit.
        NotFoundError: an unknown source.
    """
    if limit < 1 or offset < 0:
        raise ValidationError("--limit must be at least 1 and --offset at least 0.")
    filters = (filters or Filters()).with_(query=query)
    dialect = session.get_bind().dialect.name
    fts = match_subquery(dialect, query)
    statement = (
        _base(
            session,
            filters,
            Version.id,
            Version.version,
            Version.fetched_at,
            Version.published,
            Version.title,
            Version.authors,
            Article.url,
            Source.name.label("source"),
            fts.c.rank,
            fts.c.snippet,
        )
        .join(fts, fts.c.version_id == Version.id)
        .order_by(fts.c.rank, Version.id)
        .limit(limit)
        .offset(offset)
    )
    with search_errors(query):
        rows = session.execute(statement).all()
    return [
        {
            "rank": offset + i,
            "score": float(f"{-row.rank:.6g}"),
            "source": row.source,
            "url": row.url,
            "version": row.version,
            "fetched_at": _iso(row.fetched_at),
            "published": row.published,
            "title": row.title,
            "authors": list(row.authors or []),
            "snippet": row.snippet,
        }
        for i, row in enumerate(rows, start=1)
    ]


# -- export rows -----------------------------------------------------------------------------------


def iter_export_rows(
    session: Session,
    *,
    all_versions: bool = False,
    sources: list[str] | None = None,
    filters: Filters | None = None,
    columns: Sequence[str] | None = None,
    batch_size: int = 1000,
) -> Iterator[dict[str, Any]]:
    """Stream export rows: the latest version of every article, or every version, filtered.

    Rows come ordered by article, then version, in batches of ``batch_size`` read with keyset
    pagination (each batch is one query for the versions and one for their links), so memory
    stays flat however large the archive is.

    Args:
        session: an open session.
        all_versions: every version of every article instead of the latest only.
        sources: only these sources (by name); None for all.
        filters: every other filter (a full-text query, dates, author, language, as-of, a
            delta); ``all_versions`` and ``sources`` given here win over the arguments.
        columns: the keys each row has, in order (default: :data:`ALL_EXPORT_COLUMNS`); links
            are read only when ``links`` or ``related_links`` is among them.
        batch_size: rows read per query.

    Raises:
        NotFoundError: a name in ``sources`` is not a known source.
        ValidationError: a malformed full-text query.
        ValueError: ``batch_size`` is not positive.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if filters is None:
        filters = Filters(all_versions=all_versions, sources=sources)
    names = list(columns) if columns is not None else list(ALL_EXPORT_COLUMNS)
    with_links = bool({"links", "related_links"} & set(names))
    base = _base(session, filters, *_VERSION_COLUMNS)
    if filters.query is not None:
        dialect = session.get_bind().dialect.name
        check_query(session, dialect, filters.query)
        fts = match_subquery(dialect, filters.query)
        base = base.where(Version.id.in_(select(fts.c.version_id)))
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
        empty: dict[str, list[dict[str, str]]] = {"body": [], "related": []}
        links = _links_of(session, [row.id for row in rows]) if with_links else {}
        for row in rows:
            found = links.get(row.id, empty)
            record = _record(row, found["body"], found["related"])
            record.update(
                changed_fields=list(row.changed_fields or []),
                words_added=row.words_added,
                words_removed=row.words_removed,
                trivial=bool(row.trivial),
            )
            yield {name: record[name] for name in names}
        if len(rows) < batch_size:
            return
        last = (rows[-1].article_id, rows[-1].version)
        del rows, links
