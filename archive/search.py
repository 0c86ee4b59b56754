"""Full-text search: the one place that knows how each database does it (the dialect seam).

Everything else (filters, ``--as-of``, paging, exports) is portable SQLAlchemy in
:mod:`archive.queries`; this module only turns a query string into a selectable of
``(version_id, rank, snippet)`` rows, where a lower ``rank`` is a better match.

- **SQLite**: FTS5 table ``versions_fts`` (migration 0002), ranked with ``bm25`` (a title match
  weighs 10, a description match 4, a text match 1) and a ``snippet`` with the matched words in
  ``[brackets]``. Query syntax is FTS5's: words (all must match), ``"a phrase"``, ``AND``/``OR``
  /``NOT`` in capitals, ``prefix*``, ``title:word`` for one column, parentheses.
- **PostgreSQL**: arrives with issue 5 (a ``tsvector`` index); until then searching raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Float, Integer, Subquery, Text, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from archive.errors import ArchiveError, ValidationError

__all__ = [
    "HIGHLIGHT",
    "QUERY_HELP",
    "check_query",
    "match_subquery",
    "search_errors",
    "supports_search",
]

#: Marks around matched words in snippets.
HIGHLIGHT = ("[", "]")
#: How to write a query, for error messages and --help.
QUERY_HELP = (
    'Write words to match all of them, "quoted phrases" (quote anything with - . : or an '
    'apostrophe, e.g. "2-1"), AND / OR / NOT in capitals between terms (not first), prefix* '
    "for word starts, and (parentheses) to group."
)
# Column weights for bm25, in the FTS table's column order: title, description, text.
_WEIGHTS = (10.0, 4.0, 1.0)
# FTS5 reports a bad query with one of these (the message after them names the spot).
_SYNTAX_ERRORS = ("fts5:", "unterminated string", "no such column", "unknown special query")


def supports_search(dialect: str) -> bool:
    return dialect == "sqlite"


def _require(dialect: str) -> None:
    if not supports_search(dialect):
        raise ArchiveError(
            f"Full-text search is not available on {dialect} yet (it comes with PostgreSQL "
            "support). Search a SQLite archive, or export without a QUERY."
        )


@contextmanager
def search_errors(query: str) -> Iterator[None]:
    """Turn the database's complaint about a malformed ``query`` into a ValidationError."""
    try:
        yield
    except OperationalError as exc:
        message = str(exc.orig) if exc.orig is not None else str(exc)
        if not any(marker in message for marker in _SYNTAX_ERRORS):
            raise
        raise ValidationError(f"Cannot search for {query!r}: {message}. {QUERY_HELP}") from None


def match_subquery(dialect: str, query: str) -> Subquery:
    """The versions matching ``query``: a subquery with ``version_id``, ``rank``, ``snippet``.

    Args:
        dialect: the database's dialect name (``archive.dialect``).
        query: the search query, in the syntax described in the module docstring.

    Raises:
        ValidationError: the query is empty.
        ArchiveError: the dialect has no full-text search yet.
    """
    _require(dialect)
    if not query.strip():
        raise ValidationError(f"The search query is empty. {QUERY_HELP}")
    weights = ", ".join(str(w) for w in _WEIGHTS)
    open_mark, close_mark = HIGHLIGHT
    # Parameterised: the query is bound, never spliced into the SQL.
    statement = text(
        "SELECT versions_fts.rowid AS version_id, "
        f"bm25(versions_fts, {weights}) AS rank, "
        f"snippet(versions_fts, -1, '{open_mark}', '{close_mark}', '…', 16) AS snippet "
        "FROM versions_fts WHERE versions_fts MATCH :fts_query"
    ).bindparams(fts_query=query)
    return statement.columns(version_id=Integer, rank=Float, snippet=Text).subquery("fts")


def check_query(session: Session, dialect: str, query: str) -> None:
    """Run ``query`` once so a malformed one fails here, with a message saying how to fix it.

    Raises:
        ValidationError: the query is empty or malformed.
        ArchiveError: the dialect has no full-text search yet.
    """
    fts = match_subquery(dialect, query)
    with search_errors(query):
        session.execute(fts.select().limit(1)).all()
