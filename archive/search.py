"""Full-text search: the one place that knows how each database does it (the dialect seam).

Everything else (filters, ``--as-of``, paging, exports) is portable SQLAlchemy in
:mod:`archive.queries`; this module only turns a query string into a selectable of
``(version_id, rank, snippet)`` rows, where a lower ``rank`` is a better match.

- **SQLite**: FTS5 table ``versions_fts`` (migration 0002), ranked with ``bm25`` (a title match
  weighs 10, a description match 4, a text match 1) and a ``snippet`` with the matched words in
  ``[brackets]``. Query syntax is FTS5's: words (all must match), ``"a phrase"``, ``AND``/``OR``
  /``NOT`` in capitals, ``prefix*``, ``title:word`` for one column, parentheses.
- **PostgreSQL**: a generated ``tsvector`` column ``versions.search_vector`` (``simple``
  configuration: no stemming, no stop words, like FTS5's default tokenizer) with a GIN index
  (migration 0002), ranked with ``ts_rank_cd`` (title weight A, description B, text D) and a
  ``ts_headline`` snippet. The same query syntax is accepted: :func:`to_tsquery_text` translates
  it into ``to_tsquery`` syntax (bound as a parameter, built only from word characters and the
  operators it adds).
"""

from __future__ import annotations

import re
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
    return dialect in ("sqlite", "postgresql")


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
    if dialect == "postgresql":
        return _pg_match(query)
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


# -- PostgreSQL --------------------------------------------------------------------------------

_TOKEN = re.compile(r'\s*(?:(?P<open>\()|(?P<close>\))|(?P<phrase>"[^"]*"?)|(?P<word>[^\s()"]+))')
_COLUMN_WEIGHT = {"title": "A", "description": "B", "text": "D"}
_OPERATORS = {"AND", "OR", "NOT"}


def _bad(query: str, why: str) -> ValidationError:
    return ValidationError(f"Cannot search for {query!r}: {why}. {QUERY_HELP}")


def _leaf(query: str, raw: str, weight: str, prefix: bool) -> str:
    """One term: a word, a prefix* or a phrase, optionally in one column.

    The term goes into a quoted ``to_tsquery`` literal, so PostgreSQL's own parser splits it the
    way it split the indexed text (a phrase becomes words joined with ``<->``).
    """
    if not re.search(r"\w", raw):
        raise _bad(query, f"{raw!r} has no word to search for")
    literal = "'" + raw.replace("\\", "\\\\").replace("'", "''") + "'"
    marks = ("*" if prefix else "") + weight
    return literal + (f":{marks}" if marks else "")


def to_tsquery_text(query: str) -> str:
    """Translate the FTS5-style query syntax into PostgreSQL ``to_tsquery`` syntax.

    Raises:
        ValidationError: unbalanced parentheses or quotes, a dangling operator, nothing to find.
    """
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(query):
        m = _TOKEN.match(query, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
    out: list[str] = []
    depth = 0
    expect_term = True
    pending_column = ""
    for kind, value in tokens:
        if kind == "open":
            if not expect_term:
                out.append("&")
            out.append("(")
            depth += 1
            continue
        if kind == "close":
            if expect_term or depth == 0:
                raise _bad(query, "a parenthesis is unbalanced or encloses nothing")
            out.append(")")
            depth -= 1
            continue
        if kind == "word" and value in _OPERATORS:
            if expect_term:
                raise _bad(query, f"{value} needs a term on both sides")
            out.append({"AND": "&", "OR": "|", "NOT": "& !"}[value])
            expect_term = True
            continue
        if kind == "phrase":
            if len(value) < 2 or not value.endswith('"'):
                raise _bad(query, "a quote is not closed")
            term, prefix = value[1:-1], False
        else:
            column, sep, rest = value.partition(":")
            if sep and column.lower() in _COLUMN_WEIGHT and not rest:
                pending_column = _COLUMN_WEIGHT[column.lower()]
                continue
            if sep and column.lower() in _COLUMN_WEIGHT:
                pending_column, value = _COLUMN_WEIGHT[column.lower()], rest
            prefix = value.endswith("*")
            term = value.rstrip("*")
            if re.search(r"[^\w]", term):  # as FTS5: punctuation belongs inside quotes
                raise _bad(query, f"{value!r} must be quoted")
        if not expect_term:
            out.append("&")
        out.append(_leaf(query, term, pending_column, prefix))
        pending_column = ""
        expect_term = False
    if depth:
        raise _bad(query, "a parenthesis is not closed")
    if expect_term:
        raise _bad(query, "the query ends with an operator, or has no terms")
    return " ".join(out)


def _pg_match(query: str) -> Subquery:
    tsquery = to_tsquery_text(query)
    open_mark, close_mark = HIGHLIGHT
    options = f"StartSel={open_mark}, StopSel={close_mark}, MaxWords=16, MinWords=6"
    statement = text(
        "SELECT v.id AS version_id, -ts_rank_cd(v.search_vector, q.query) AS rank, "
        "ts_headline('simple', coalesce(v.text, ''), q.query, :headline) AS snippet "
        "FROM versions v, to_tsquery('simple', :fts_query) AS q(query) "
        "WHERE v.search_vector @@ q.query"
    ).bindparams(fts_query=tsquery, headline=options)
    return statement.columns(version_id=Integer, rank=Float, snippet=Text).subquery("fts")
