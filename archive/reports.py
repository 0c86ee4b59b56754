"""Research reads beyond one article's history: edits across the archive, a diff between two
versions, an article's links, and per-day counts per source.

Every function takes an open :class:`~sqlalchemy.orm.Session`, only reads, and returns plain
JSON-friendly values (timestamps as UTC ISO 8601 strings).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from archive.changes import COMPARED_FIELDS, Unit, compare_versions, diff_text
from archive.errors import NotFoundError, ValidationError
from archive.models import Article, Fetch, Link, Source, Version
from archive.queries import find_article
from archive.sources import get_source

__all__ = [
    "CHANGE_COLUMNS",
    "STATS_COLUMNS",
    "article_links",
    "list_changes",
    "stats",
    "version_diff",
]

#: The keys of a :func:`list_changes` row, in order.
CHANGE_COLUMNS = [
    "fetched_at",
    "source",
    "url",
    "version",
    "changed_fields",
    "words_added",
    "words_removed",
    "chars_added",
    "chars_removed",
    "trivial",
    "title",
]
#: The keys of a :func:`stats` row, in order.
STATS_COLUMNS = ["day", "source", "articles", "versions", "edits", "fetches"]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def list_changes(
    session: Session,
    *,
    since: datetime | None = None,
    sources: list[str] | None = None,
    min_words: int = 0,
    include_trivial: bool = False,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Edits across the archive (every version after the first), newest first.

    Args:
        session: an open session.
        since: only edits fetched at or after this time.
        sources: only these sources, by name.
        min_words: only edits that added or removed at least this many words in all.
        include_trivial: also list trivial edits (whitespace, punctuation, a date line).
        limit: rows at most.

    Returns:
        One dict per edit, with the keys of :data:`CHANGE_COLUMNS`.

    Raises:
        NotFoundError: an unknown source.
    """
    query = (
        select(
            Version.fetched_at,
            Source.name.label("source"),
            Article.url,
            Version.version,
            Version.changed_fields,
            Version.words_added,
            Version.words_removed,
            Version.chars_added,
            Version.chars_removed,
            Version.trivial,
            Version.title,
        )
        .join(Article, Article.id == Version.article_id)
        .join(Source, Source.id == Article.source_id)
        .where(Version.version > 1)
        .order_by(Version.fetched_at.desc(), Version.id.desc())
    )
    if since is not None:
        query = query.where(Version.fetched_at >= since)
    if sources is not None:
        query = query.where(Article.source_id.in_([get_source(session, n).id for n in sources]))
    if min_words > 0:
        query = query.where(Version.words_added + Version.words_removed >= min_words)
    if not include_trivial:
        query = query.where(Version.trivial.is_(False))
    if limit is not None:
        query = query.limit(limit)
    return [
        {
            **row._asdict(),
            "fetched_at": _iso(row.fetched_at),
            "changed_fields": list(row.changed_fields or []),
            "trivial": bool(row.trivial),
        }
        for row in session.execute(query)
    ]


def _version_fields(session: Session, article_id: int, number: int, url: str) -> dict[str, Any]:
    columns = [Version.version, Version.fetched_at, *(getattr(Version, n) for n in COMPARED_FIELDS)]
    row = session.execute(
        select(*columns).where(Version.article_id == article_id, Version.version == number)
    ).first()
    if row is None:
        raise NotFoundError(
            f"The article at {url} has no version {number}. List its versions with "
            f"`pressbox history {url}`."
        )
    return row._asdict()


def version_diff(
    session: Session,
    url: str,
    *,
    old: int | None = None,
    new: int | None = None,
    unit: Unit = "word",
) -> dict[str, Any]:
    """What changed between two versions of the article at ``url``.

    Args:
        session: an open session.
        url: the article's URL.
        old: the older version (default: the one before ``new``).
        new: the newer version (default: the latest).
        unit: diff the text by ``"word"`` or by ``"sentence"``.

    Returns:
        ``url``, ``from`` and ``to`` (``version``, ``fetched_at``), ``fields`` (each changed field
        other than the text, as ``{"old", "new"}``), ``stats`` (see
        :class:`archive.changes.ChangeStats`), ``unit``, ``edits`` (the text's edit operations,
        see :class:`archive.changes.Edit`), and ``old_text``/``new_text``.

    Raises:
        NotFoundError: no such article or version.
        ValidationError: the article has one version only and none were named.
    """
    article = find_article(session, url)
    new = article.version_count if new is None else new
    if old is None:
        if new <= 1:
            raise ValidationError(
                f"The article at {article.url} has only version 1: nothing to compare yet."
            )
        old = new - 1
    a = _version_fields(session, article.id, old, article.url)
    b = _version_fields(session, article.id, new, article.url)
    changes = compare_versions(a, b)
    return {
        "url": article.url,
        "from": {"version": a["version"], "fetched_at": _iso(a["fetched_at"])},
        "to": {"version": b["version"], "fetched_at": _iso(b["fetched_at"])},
        "fields": {
            name: {"old": a[name], "new": b[name]}
            for name in changes.changed_fields
            if name != "text"
        },
        "stats": changes.as_dict(),
        "unit": unit,
        "edits": [edit.as_dict() for edit in diff_text(a["text"], b["text"], unit=unit)],
        "old_text": a["text"],
        "new_text": b["text"],
    }


def article_links(
    session: Session,
    url: str,
    *,
    kind: Literal["related", "body", "all"] = "all",
    version: int | None = None,
) -> list[dict[str, Any]]:
    """The links of one version of the article at ``url`` (the latest by default), in page
    order: ``kind`` (``body`` or ``related``), ``position``, ``url``, ``text``, and ``archived``
    (whether the archive holds the linked article).

    Raises:
        NotFoundError: no such article or version.
    """
    article = find_article(session, url)
    number = article.version_count if version is None else version
    version_id = session.scalar(
        select(Version.id).where(Version.article_id == article.id, Version.version == number)
    )
    if version_id is None:
        raise NotFoundError(f"The article at {article.url} has no version {number}.")
    query = (
        select(Link.kind, Link.position, Link.url, Link.text, Article.id.label("target"))
        .outerjoin(Article, Article.url == Link.url)
        .where(Link.version_id == version_id)
        .order_by(Link.kind.desc(), Link.position)  # related first, then body
    )
    if kind != "all":
        query = query.where(Link.kind == kind)
    return [
        {
            "kind": row.kind,
            "position": row.position,
            "url": row.url,
            "text": row.text,
            "archived": row.target is not None,
        }
        for row in session.execute(query)
    ]


def stats(session: Session, *, sources: list[str] | None = None) -> list[dict[str, Any]]:
    """Per day and source: articles first seen, versions written, edits (versions after the
    first, trivial ones included) and fetches. Days are UTC dates, newest first.

    Raises:
        NotFoundError: an unknown source.
    """
    source_ids = [get_source(session, n).id for n in sources] if sources is not None else None
    names = dict(session.execute(select(Source.id, Source.name)).tuples().all())
    table: dict[tuple[str, int], dict[str, Any]] = {}

    def bump(day: str, source_id: int | None, key: str, count: int) -> None:
        if source_id is None or (source_ids is not None and source_id not in source_ids):
            return
        row = table.setdefault(
            (day, source_id),
            {
                "day": day,
                "source": names.get(source_id, "?"),
                "articles": 0,
                "versions": 0,
                "edits": 0,
                "fetches": 0,
            },
        )
        row[key] += count

    # Timestamps are stored as ISO text in SQLite and as timestamptz elsewhere: group in Python
    # by the date, from one aggregate query per table (a day column per dialect is not needed).
    day_of_article = func.substr(cast(Article.first_seen, Text), 1, 10)
    for day, source_id, count in session.execute(
        select(day_of_article, Article.source_id, func.count()).group_by(
            day_of_article, Article.source_id
        )
    ):
        bump(day, source_id, "articles", count)
    day_of_version = func.substr(cast(Version.fetched_at, Text), 1, 10)
    for day, source_id, edits, count in session.execute(
        select(day_of_version, Article.source_id, Version.version > 1, func.count())
        .join(Article, Article.id == Version.article_id)
        .group_by(day_of_version, Article.source_id, Version.version > 1)
    ):
        bump(day, source_id, "versions", count)
        if edits:
            bump(day, source_id, "edits", count)
    day_of_fetch = func.substr(cast(Fetch.fetched_at, Text), 1, 10)
    for day, source_id, count in session.execute(
        select(day_of_fetch, Fetch.source_id, func.count()).group_by(day_of_fetch, Fetch.source_id)
    ):
        bump(day, source_id, "fetches", count)
    return [table[key] for key in sorted(table, key=lambda k: (k[0], names.get(k[1], "")))][::-1]
