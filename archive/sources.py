"""Sources are operators' data: where a crawl starts, how it discovers articles, what it may visit.

Every field is checked before it is stored, and a bad one is refused with a message naming it.
A TOML file can hold many sources (``pressbox source import FILE.toml``)::

    [[source]]
    name = "demo"
    url = "https://sport.example.com/"
    feeds = ["https://sport.example.com/feed.xml"]
    sitemaps = ["https://sport.example.com/sitemap.xml"]
    allow = ["/(football|tennis)/"]
    deny = ["/live/"]
    article = "/\\d{4}/\\d{2}/[^/]+\\.html$"
    max_pages = 500
    max_depth = 3
    delay = 1.0
    revisit = "3h:15m,1d:1h,7d:3h,30d:1d"
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.errors import NotFoundError, ValidationError
from archive.models import Source
from archive.revisit import RevisitPolicy
from archive.urls import host_of, normalize_url

__all__ = [
    "SourceSpec",
    "add_source",
    "get_source",
    "import_sources",
    "list_sources",
    "load_toml",
    "remove_source",
    "source_as_dict",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_FIELDS = {
    "name",
    "url",
    "feeds",
    "sitemaps",
    "allow",
    "deny",
    "article",
    "max_pages",
    "max_depth",
    "delay",
    "revisit",
    "domains",
}


@dataclass(slots=True)
class SourceSpec:
    """A source as an operator writes it (CLI options or a TOML table)."""

    name: str
    url: str
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    allow: list[str] = field(default_factory=list)
    deny: list[str] = field(default_factory=list)
    article: str | None = None
    max_pages: int | None = None
    max_depth: int | None = None
    delay: float | None = None
    revisit: str | None = None
    domains: list[str] = field(default_factory=list)

    def validate(self) -> SourceSpec:
        """Check every field; returns self with URLs normalised.

        Raises:
            ValidationError: naming the source, the field and the bad value.
        """
        where = f"source {self.name!r}"
        for key in ("feeds", "sitemaps", "allow", "deny", "domains"):
            if isinstance(getattr(self, key), str):
                setattr(self, key, [getattr(self, key)])
        if not _NAME.fullmatch(self.name or ""):
            raise ValidationError(
                f"Bad source name {self.name!r}: use letters, digits, '_', '-' or '.' "
                "(up to 100 characters), e.g. bbc-sport."
            )
        self.url = _check_url(self.url, f"{where}: --url")
        self.feeds = [_check_url(u, f"{where}: --feed") for u in self.feeds]
        self.sitemaps = [_check_url(u, f"{where}: --sitemap") for u in self.sitemaps]
        for option, patterns in (("--allow", self.allow), ("--deny", self.deny)):
            for pattern in patterns:
                _check_regex(pattern, f"{where}: {option}")
        if self.article is not None:
            _check_regex(self.article, f"{where}: --article")
        for option, value, minimum in (
            ("--max-pages", self.max_pages, 1),
            ("--max-depth", self.max_depth, 0),
        ):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < minimum
            ):
                raise ValidationError(
                    f"Bad {option} {value!r} for {where}: give a whole number >= {minimum}."
                )
        if self.delay is not None and (
            isinstance(self.delay, bool)
            or not isinstance(self.delay, int | float)
            or not math.isfinite(self.delay)
            or self.delay < 0
        ):
            raise ValidationError(
                f"Bad --delay {self.delay!r} for {where}: give seconds as a number >= 0."
            )
        if self.revisit is not None:
            RevisitPolicy.parse(self.revisit)
        for domain in self.domains:
            if not re.fullmatch(r"[a-z0-9.-]+(:\d+)?", domain.lower()):
                raise ValidationError(
                    f"Bad --domain {domain!r} for {where}: give a host name like example.com."
                )
        return self

    def allowed_domains(self) -> list[str]:
        """Hosts the crawl may visit: the given domains, else those of the start URL, the feeds
        and the sitemaps (sub-domains included)."""
        if self.domains:
            return sorted({d.lower() for d in self.domains})
        hosts = {host_of(u) for u in [self.url, *self.feeds, *self.sitemaps]}
        return sorted(h for h in hosts if h)


def _check_url(url: str, what: str) -> str:
    try:
        return normalize_url(url)
    except (ValueError, AttributeError, TypeError):
        raise ValidationError(
            f"Bad URL {url!r} for {what}: give an absolute http(s) URL, "
            "e.g. https://sport.example.com/."
        ) from None


def _check_regex(pattern: str, what: str) -> None:
    try:
        re.compile(pattern)
    except (re.error, TypeError) as exc:
        raise ValidationError(
            f"Bad regular expression {pattern!r} for {what}: {exc}. "
            "Quote it in the shell and escape special characters such as '.' or '?'."
        ) from None


def _apply(source: Source, spec: SourceSpec) -> None:
    source.url = spec.url
    source.feeds = list(spec.feeds)
    source.sitemaps = list(spec.sitemaps)
    source.allow = list(spec.allow)
    source.deny = list(spec.deny)
    source.allowed_domains = spec.allowed_domains()
    source.article_pattern = spec.article
    source.max_pages = spec.max_pages
    source.max_depth = spec.max_depth
    source.delay = spec.delay
    source.revisit = spec.revisit


def add_source(session: Session, spec: SourceSpec, *, replace: bool = False) -> Source:
    """Add a source (or update it when ``replace`` is true).

    Raises:
        ValidationError: a field is bad, or the name exists and ``replace`` is false.
    """
    spec.validate()
    existing = session.scalars(select(Source).where(Source.name == spec.name)).first()
    if existing is not None and not replace:
        raise ValidationError(
            f"Source {spec.name!r} already exists. Remove it first "
            f"(pressbox source remove {spec.name}) or import it from a TOML file to update it."
        )
    source = existing or Source(name=spec.name)
    _apply(source, spec)
    session.add(source)
    session.flush()
    return source


def get_source(session: Session, name: str) -> Source:
    """The source called ``name``.

    Raises:
        NotFoundError: with the list of known sources.
    """
    source = session.scalars(select(Source).where(Source.name == name)).first()
    if source is None:
        names = session.scalars(select(Source.name).order_by(Source.name)).all()
        known = ", ".join(names) if names else "none yet"
        raise NotFoundError(
            f"No source named {name!r} (known: {known}). Add it with "
            f"`pressbox source add {name} --url URL`."
        )
    return source


def list_sources(session: Session) -> list[Source]:
    return list(session.scalars(select(Source).order_by(Source.name)))


def remove_source(session: Session, name: str) -> None:
    """Remove a source and everything archived from it."""
    session.delete(get_source(session, name))


def source_as_dict(source: Source) -> dict[str, Any]:
    return {
        "name": source.name,
        "url": source.url,
        "feeds": source.feeds,
        "sitemaps": source.sitemaps,
        "allow": source.allow,
        "deny": source.deny,
        "domains": source.allowed_domains,
        "article": source.article_pattern,
        "max_pages": source.max_pages,
        "max_depth": source.max_depth,
        "delay": source.delay,
        "revisit": source.revisit or None,
    }


def load_toml(path: str | Path) -> list[SourceSpec]:
    """Read sources from a TOML file of ``[[source]]`` tables.

    Raises:
        ValidationError: the file is missing, not TOML, or holds an unknown or bad field.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError(f"Source file {path} does not exist.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(f"Source file {path} is not valid TOML: {exc}.") from None
    tables = data.get("source")
    if not isinstance(tables, list) or not tables:
        raise ValidationError(
            f"Source file {path} has no [[source]] tables. See the README for an example."
        )
    specs = []
    for i, table in enumerate(tables, 1):
        unknown = set(table) - _FIELDS
        if unknown:
            raise ValidationError(
                f"Source #{i} in {path} has unknown field(s) {', '.join(sorted(unknown))}; "
                f"known fields: {', '.join(sorted(_FIELDS))}."
            )
        if "name" not in table or "url" not in table:
            raise ValidationError(f"Source #{i} in {path} needs both 'name' and 'url'.")
        for key in ("feeds", "sitemaps", "allow", "deny", "domains"):
            if isinstance(table.get(key), str):
                table[key] = [table[key]]
        specs.append(SourceSpec(**table).validate())
    return specs


def import_sources(session: Session, specs: list[SourceSpec]) -> list[tuple[str, str]]:
    """Add or update each source; returns (name, "added" | "updated") pairs."""
    done = []
    for spec in specs:
        exists = session.scalars(select(Source.id).where(Source.name == spec.name)).first()
        add_source(session, spec, replace=True)
        done.append((spec.name, "updated" if exists else "added"))
    return done
