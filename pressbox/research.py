"""The researchers' commands: search, diff, links, changes, stats.

Registered on :data:`pressbox.cli.cli` when ``pressbox.cli`` imports this module (at its end).
Each is thin over a function of :mod:`archive.queries` or :mod:`archive.reports`.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import click

from archive.search import QUERY_HELP
from pressbox.cli import (
    cli,
    db_option,
    emit,
    filter_options,
    filters_from,
    format_option,
    opened,
    when_option,
)

__all__ = ["changes", "diff", "links", "search", "stats"]


@cli.command(epilog=QUERY_HELP)
@click.argument("query")
@filter_options
@click.option("--limit", default=20, show_default=True, help="Results at most.")
@click.option("--offset", default=0, show_default=True, help="Results to skip (next pages).")
@db_option
@format_option("table", "json", "csv")
def search(query: str, limit: int, offset: int, db: str | None, fmt: str, **params: Any) -> None:
    """Full-text search over titles, descriptions and texts, best match first.

    Searches the latest version of each article (--all-versions: every version; --as-of: the
    archive as it stood then). Results are ranked by relevance (bm25; a match in the title counts
    most) and show a snippet with the matched words in [brackets].

    \b
    Query syntax:
      arsenal spurs          both words
      "late winner"          a phrase (quote anything with - . : or ', e.g. "2-1")
      arsenal OR chelsea     either; AND, OR, NOT in capitals, between terms
      manag*                 words starting with manag
      title:derby            in the title only

    \b
    Example:
      pressbox search '"penalty shoot-out" NOT friendly' --since 2026-11-01 --source sportsdaily
      pressbox search ref* --as-of 2026-11-25T12:00 --format json
    """
    from archive.queries import SEARCH_COLUMNS
    from archive.queries import search as run_search

    filters = filters_from(params)
    with opened(db) as archive, archive.session() as session:
        rows = run_search(session, query, filters, limit=limit, offset=offset)
    if fmt != "table":
        emit(rows, fmt, SEARCH_COLUMNS)
        return
    if not rows:
        click.echo("(no matches)")
        return
    for row in rows:
        published = (row["published"] or "")[:10] or "undated"
        click.echo(f"{row['rank']:>3}. {row['title'] or '(untitled)'}")
        click.echo(f"     {row['url']}  v{row['version']}  {row['source']}, {published}")
        click.echo(f"     {' '.join((row['snippet'] or '').split())}")


@cli.command()
@click.argument("url")
@click.option("--from", "old", type=int, help="The older version (default: the one before --to).")
@click.option("--to", "new", type=int, help="The newer version (default: the latest).")
@click.option(
    "--by",
    "unit",
    type=click.Choice(["word", "sentence"]),
    default="word",
    show_default=True,
    help="Compare the text word by word or sentence by sentence.",
)
@db_option
@format_option("unified", "json", "html")
def diff(url: str, old: int | None, new: int | None, unit: str, db: str | None, fmt: str) -> None:
    """Show what changed in an article between two versions.

    Field changes (title, authors, dates, description, tags) come first, then the text: each
    changed paragraph with the removed words in [-brackets-] and the added ones in {+braces+}.
    --format json gives the edit operations as data (op, old, new, paragraph, context); html a
    page with <del> and <ins>.

    \b
    Example:
      pressbox diff https://sport.example.com/football/2026/11/derby-1.html
      pressbox diff https://sport.example.com/football/2026/11/derby-1.html --from 1 --to 3 \\
          --format json
    """
    from archive.reports import version_diff

    with opened(db) as archive, archive.session() as session:
        data = version_diff(session, url, old=old, new=new, unit=unit)  # type: ignore[arg-type]
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    elif fmt == "html":
        click.echo(_diff_html(data))
    else:
        click.echo(_diff_unified(data))


def _field_text(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _changed_paragraphs(data: dict[str, Any]) -> list[tuple[int, list[tuple[str, str]]]]:
    """Each changed paragraph (numbered in the new text) as inline diff segments."""
    from archive.changes import inline_diff, paragraphs

    old_paragraphs, new_paragraphs = paragraphs(data["old_text"]), paragraphs(data["new_text"])
    result: list[tuple[int, list[tuple[str, str]]]] = []
    seen: set[tuple[int, int]] = set()
    for edit in data["edits"]:
        if edit["op"] == "insert" and edit["old"] == "" and not (edit["before"] or edit["after"]):
            result.append((edit["new_paragraph"], [("insert", edit["new"])]))  # a new paragraph
        elif edit["op"] == "delete" and edit["new"] == "" and not (edit["before"] or edit["after"]):
            result.append((edit["new_paragraph"], [("delete", edit["old"])]))  # a removed one
        elif (key := (edit["old_paragraph"], edit["new_paragraph"])) not in seen:
            seen.add(key)
            old = old_paragraphs[key[0] - 1]
            new = new_paragraphs[key[1] - 1]
            result.append((key[1], inline_diff(old, new, unit=data["unit"])))
    return result


def _diff_unified(data: dict[str, Any]) -> str:
    a, b = data["from"], data["to"]
    stats = data["stats"]
    lines = [
        f"--- {data['url']}  version {a['version']}  {a['fetched_at']}",
        f"+++ {data['url']}  version {b['version']}  {b['fetched_at']}",
    ]
    for name, change in data["fields"].items():
        old, new = _field_text(change["old"]), _field_text(change["new"])
        lines.append(f"{name}: [-{old}-] {{+{new}+}}")
    trivial = " (trivial edit)" if stats["trivial"] else ""
    lines.append(f"text: +{stats['words_added']} words, -{stats['words_removed']} words{trivial}")
    marks = {"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}
    for number, segments in _changed_paragraphs(data):
        lines.append(f"@@ paragraph {number} @@")
        lines.append(" ".join(marks[kind].format(text) for kind, text in segments))
    return "\n".join(lines)


def _diff_html(data: dict[str, Any]) -> str:
    from archive.changes import paragraphs

    a, b = data["from"], data["to"]
    tags = {"equal": "{}", "delete": "<del>{}</del>", "insert": "<ins>{}</ins>"}
    changed = {
        number: " ".join(tags[kind].format(html.escape(text)) for kind, text in segments)
        for number, segments in _changed_paragraphs(data)
    }
    body = [
        f"<p class=field><b>{html.escape(name)}</b>: "
        f"<del>{html.escape(_field_text(change['old']))}</del> "
        f"<ins>{html.escape(_field_text(change['new']))}</ins></p>"
        for name, change in data["fields"].items()
    ]
    new_paragraphs = paragraphs(data["new_text"])
    for number in range(1, max([len(new_paragraphs), *changed], default=0) + 1):
        if number in changed:
            body.append(f"<p class=changed>{changed[number]}</p>")
        else:
            body.append(f"<p>{html.escape(new_paragraphs[number - 1])}</p>")
    title = html.escape(f"{data['url']}: version {a['version']} → {b['version']}")
    return (
        "<!doctype html>\n<meta charset=utf-8>\n"
        f"<title>{title}</title>\n"
        "<style>del{background:#fdd}ins{background:#dfd}"
        "p.changed{border-left:3px solid #999;padding-left:.5em}</style>\n"
        f"<h1>{title}</h1>\n" + "\n".join(body) + "\n"
    )


@cli.command()
@click.argument("url")
@click.option(
    "--kind",
    type=click.Choice(["related", "body", "all"]),
    default="all",
    show_default=True,
    help="Related-article links, links in the text, or both.",
)
@click.option("--version", "version", type=int, help="Version number (default: the latest).")
@db_option
@format_option("table", "json", "csv")
def links(url: str, kind: str, version: int | None, db: str | None, fmt: str) -> None:
    """List an article's links: related articles and links in the text, in page order.

    `archived` says whether the archive holds the linked article too.

    \b
    Example:
      pressbox links https://sport.example.com/football/2026/11/derby-1.html --kind related
    """
    from archive.reports import article_links

    with opened(db) as archive, archive.session() as session:
        rows = article_links(session, url, kind=kind, version=version)  # type: ignore[arg-type]
    emit(rows, fmt, ["kind", "position", "url", "text", "archived"])


@cli.command()
@when_option("--since", "Only edits fetched on or after DATE (or DATETIME).")
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only this source.")
@click.option(
    "--min-words", default=0, show_default=True, help="Only edits of at least N words (+ and -)."
)
@click.option(
    "--include-trivial",
    is_flag=True,
    help="Also list trivial edits (whitespace, punctuation or a date/time line only).",
)
@click.option("--limit", type=int, help="Rows at most.")
@db_option
@format_option("table", "json", "csv")
def changes(
    since: Any,
    sources: tuple[str, ...],
    min_words: int,
    include_trivial: bool,
    limit: int | None,
    db: str | None,
    fmt: str,
) -> None:
    """List edits across the archive, newest first: which fields changed and by how much.

    Every version after an article's first is an edit. Trivial edits (whitespace, punctuation, a
    date or timestamp line, the modified date alone) are left out unless --include-trivial.

    \b
    Example:
      pressbox changes --since 2026-11-20 --min-words 10 --format csv > edits.csv
    """
    from archive.reports import CHANGE_COLUMNS, list_changes

    with opened(db) as archive, archive.session() as session:
        rows = list_changes(
            session,
            since=since,
            sources=list(sources) or None,
            min_words=min_words,
            include_trivial=include_trivial,
            limit=limit,
        )
    emit(rows, fmt, CHANGE_COLUMNS)


@cli.command()
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only this source.")
@db_option
@format_option("table", "json", "csv")
def stats(sources: tuple[str, ...], db: str | None, fmt: str) -> None:
    """Per day (UTC) and source: articles first seen, versions, edits and fetches.

    \b
    Example:
      pressbox stats --source sportsdaily
    """
    from archive.reports import STATS_COLUMNS
    from archive.reports import stats as get_stats

    with opened(db) as archive, archive.session() as session:
        rows = get_stats(session, sources=list(sources) or None)
    emit(rows, fmt, STATS_COLUMNS)


@cli.command()
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify(manifest: Path) -> None:
    """Check that an export file is the one its manifest describes (SHA-256); exit 1 if not.

    \b
    Example:
      pressbox verify articles.csv.manifest.json
    """
    from archive.manifest import read_manifest, verify_manifest

    problems = verify_manifest(manifest)
    if problems:
        for problem in problems:
            click.echo(f"- {problem}", err=True)
        raise click.ClickException(f"{manifest}: the export does not match its manifest.")
    data = read_manifest(manifest)
    click.echo(f"OK: {data['file']} matches {manifest.name} ({data.get('rows')} rows).")
