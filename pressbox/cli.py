"""The ``pressbox`` command: one CLI for operators and researchers.

Every command takes ``--db URL`` (else ``$PRESSBOX_DB``, else ``sqlite:///pressbox.db``). Library
errors become a one-line message: exit code 1 for a failure, 2 for wrong usage or bad input.
Crawl-side modules (Scrapy, trafilatura) are imported only by the commands that need them.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.exc import InterfaceError, OperationalError

from archive.db import (
    Archive,
    current_revision,
    describe_db_error,
    head_revision,
    open_archive,
    resolve_db_url,
)
from archive.errors import (
    ArchiveError,
    DatabaseUnavailableError,
    NotFoundError,
    ValidationError,
)
from pressbox import __version__

F = TypeVar("F", bound=Callable[..., Any])
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# -- shared options and output --------------------------------------------------------------------


def db_option(fn: F) -> F:
    return click.option(
        "--db",
        "db",
        envvar="PRESSBOX_DB",
        metavar="URL",
        help="Archive database URL [env PRESSBOX_DB; default sqlite:///pressbox.db].",
    )(fn)


def format_option(*choices: str, default: str | None = None) -> Callable[[F], F]:
    def deco(fn: F) -> F:
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(choices),
            default=default or choices[0],
            show_default=True,
            help="Output format.",
        )(fn)

    return deco


def when_option(
    name: str, help: str, *, end: bool = False, metavar: str = "DATE"
) -> Callable[[F], F]:
    """A DATE/DATETIME option parsed to a UTC datetime (a date alone: its start, or with
    ``end`` the start of the next day)."""

    def parse(_ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
        from archive.queries import parse_when

        if value is None:
            return None
        try:
            return parse_when(value, end=end, name=param.opts[0])
        except ValidationError as exc:
            raise click.BadParameter(str(exc)) from None

    def deco(fn: F) -> F:
        return click.option(name, metavar=metavar, callback=parse, help=help)(fn)

    return deco


def filter_options(fn: F) -> F:
    """The filters shared by search and export (collected by :func:`filters_from`)."""
    options = [
        click.option(
            "--source",
            "sources",
            multiple=True,
            metavar="NAME",
            help="Only this source (repeatable).",
        ),
        when_option("--since", "Only articles published on or after DATE (or DATETIME)."),
        when_option("--until", "Only articles published on or before DATE.", end=True),
        click.option(
            "--date-field",
            type=click.Choice(["published", "fetched"]),
            default="published",
            show_default=True,
            help="What --since/--until compare: the published date, or when pressbox first saw "
            "the article.",
        ),
        click.option(
            "--author", metavar="TEXT", help="Only articles with an author containing TEXT."
        ),
        click.option(
            "--lang", metavar="CODE", help="Only articles in this language (en, de, ...)."
        ),
        click.option(
            "--all-versions", is_flag=True, help="Every version, not only each article's latest."
        ),
        when_option(
            "--as-of",
            "The archive as it stood at DATETIME: each article's version current then, and only "
            "articles first seen by then.",
            metavar="DATETIME",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def filters_from(params: dict[str, Any], query: str | None = None) -> Any:
    """The :class:`archive.queries.Filters` of :func:`filter_options` (popped from ``params``)."""
    from archive.queries import Filters

    sources = params.pop("sources")
    return Filters(
        query=query,
        sources=list(sources) or None,
        since=params.pop("since"),
        until=params.pop("until"),
        date_field=params.pop("date_field"),
        author=params.pop("author"),
        lang=params.pop("lang"),
        as_of=params.pop("as_of"),
        all_versions=params.pop("all_versions"),
    )


def command_line(ctx: click.Context) -> str:
    """The command as typed (its arguments and the options given on the command line), for
    records such as export manifests; ``--db`` is left out (it may hold a password)."""
    import shlex
    from datetime import datetime

    from click.core import ParameterSource

    def text(value: Any) -> str:
        return value.isoformat() if isinstance(value, datetime) else str(value)

    parts = ["pressbox", *ctx.command_path.split()[1:]]  # as installed, whatever argv[0] was
    for param in ctx.command.params:
        name = param.name or ""
        if name == "db" or ctx.get_parameter_source(name) is not ParameterSource.COMMANDLINE:
            continue
        value = ctx.params.get(name)
        if isinstance(param, click.Argument):
            parts.append(text(value))
            continue
        flag = param.opts[0]
        values = value if isinstance(value, tuple | list) else [value]
        for item in values:
            if isinstance(param, click.Option) and param.is_flag:
                parts.append(flag)
            else:
                parts += [flag, text(item)]
    return shlex.join(parts)


def emit(rows: list[dict[str, Any]], fmt: str, columns: list[str] | None = None) -> None:
    """Print rows as an aligned table, JSON or CSV (the one output path of read commands)."""
    columns = columns or (list(rows[0]) if rows else [])
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(row.get(k)) for k in columns})
    else:
        if not rows:
            click.echo("(none)")
            return
        cells = [[_cell(r.get(c)) for c in columns] for r in rows]
        widths = [
            min(60, max(len(c), *(len(row[i]) for row in cells))) for i, c in enumerate(columns)
        ]
        click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
        for line in cells:
            click.echo(
                "  ".join(v[:w].ljust(w) for v, w in zip(line, widths, strict=True)).rstrip()
            )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@contextmanager
def opened(db: str | None, *, create: bool = True) -> Iterator[Archive]:
    archive = open_archive(db, create=create)
    try:
        yield archive
    finally:
        archive.close()


class PressboxGroup(click.Group):
    """Turns library errors into messages with the right exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ValidationError as exc:
            raise click.UsageError(str(exc), ctx) from None
        except (NotFoundError, DatabaseUnavailableError, ArchiveError) as exc:
            raise click.ClickException(str(exc)) from None
        except (OperationalError, InterfaceError) as exc:  # the database went away mid-command
            url = resolve_db_url(_db_argument(sys.argv[1:]))
            raise click.ClickException(describe_db_error(exc, url)) from None


def _db_argument(args: list[str]) -> str | None:
    """The --db given on the command line (for error messages)."""
    for i, arg in enumerate(args):
        if arg == "--db" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--db="):
            return arg.split("=", 1)[1]
    return None


@click.group(cls=PressboxGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="pressbox")
def cli() -> None:
    """pressbox: crawl news sites, keep every version of every article, search and export them.

    \b
    Start here:
      pressbox demo                         crawl the bundled demo site twice, show what changed
      pressbox source add NAME --url URL    add a news source
      pressbox crawl NAME                   crawl it (again later: edits become new versions)
      pressbox history URL                  an article's versions
      pressbox export --format csv --out articles.csv
    """


# -- db -------------------------------------------------------------------------------------------


@cli.group(context_settings=CONTEXT_SETTINGS)
def db() -> None:
    """Create, migrate and inspect the archive database."""


@db.command("upgrade")
@db_option
def db_upgrade(db: str | None) -> None:
    """Create the schema, or migrate it to this version of pressbox.

    \b
    Example:
      pressbox db upgrade --db postgresql+psycopg://postgres@127.0.0.1/pressbox
    """
    from archive.db import upgrade

    before, after = upgrade(resolve_db_url(db))
    if before == after:
        click.echo(f"Schema already at revision {after}.")
    else:
        click.echo(f"Schema upgraded from {before or 'empty'} to {after}.")


@db.command("check")
@db_option
def db_check(db: str | None) -> None:
    """Check that the database's schema matches this pressbox's models (exit 1 if not).

    \b
    Example:
      pressbox db check --db postgresql+psycopg://postgres@127.0.0.1/pressbox
    """
    from archive.db import check_schema

    problems = check_schema(resolve_db_url(db))
    if problems:
        for problem in problems:
            click.echo(f"- {problem}")
        raise click.ClickException(f"The schema differs from the models in {len(problems)} ways.")
    click.echo(f"Schema matches the models (revision {head_revision()}).")


@db.command("copy")
@click.option("--from", "source", required=True, metavar="URL", help="Archive to copy.")
@click.option("--to", "target", required=True, metavar="URL", help="Empty database to copy into.")
def db_copy(source: str, target: str) -> None:
    """Copy a whole archive into an empty database (e.g. SQLite to PostgreSQL), verified.

    Row counts of every table are checked afterwards; primary keys are kept, so exports of the
    two archives are identical.

    \b
    Example:
      pressbox db copy --from sqlite:///pressbox.db \\
          --to postgresql+psycopg://postgres@127.0.0.1/pressbox
    """
    from archive.copy import copy_archive

    counts = copy_archive(
        resolve_db_url(source),
        resolve_db_url(target),
        progress=lambda table, n: click.echo(f"  {table}: {n} rows"),
    )
    click.echo(f"Copied {sum(counts.values())} rows in {len(counts)} tables; counts verified.")


@db.command("current")
@db_option
def db_current(db: str | None) -> None:
    """Print the schema revision of the database, and the one this pressbox needs.

    \b
    Example:
      pressbox db current --db postgresql+psycopg://postgres@127.0.0.1/pressbox
    """
    from archive.db import make_engine

    engine = make_engine(resolve_db_url(db))
    try:
        click.echo(f"database: {current_revision(engine) or 'empty'}\ncode:     {head_revision()}")
    finally:
        engine.dispose()


# -- sources --------------------------------------------------------------------------------------


@cli.group(context_settings=CONTEXT_SETTINGS)
def source() -> None:
    """Add, list, show, remove and import news sources."""


@source.command("add")
@click.argument("name")
@click.option("--url", required=True, help="Start URL: the home page or a section page.")
@click.option("--feed", "feeds", multiple=True, metavar="URL", help="RSS/Atom feed (repeatable).")
@click.option("--sitemap", "sitemaps", multiple=True, metavar="URL", help="Sitemap (repeatable).")
@click.option("--allow", multiple=True, metavar="REGEX", help="Follow only URLs matching one.")
@click.option("--deny", multiple=True, metavar="REGEX", help="Never follow URLs matching one.")
@click.option("--domain", "domains", multiple=True, help="Allowed domain (default: the URLs').")
@click.option("--article", metavar="REGEX", help="URLs of article pages (default: detected).")
@click.option("--max-pages", type=int, help="Pages per crawl run at most.")
@click.option("--max-depth", type=int, help="Links followed from the start URL at most.")
@click.option("--delay", type=float, help="Seconds between requests to the site, at least.")
@click.option(
    "--revisit", metavar="POLICY", help="Revisit policy, e.g. '3h:15m,1d:1h,7d:3h,30d:1d'."
)
@db_option
def source_add(name: str, db: str | None, **fields: Any) -> None:
    """Add a news source.

    \b
    Example:
      pressbox source add sportsdaily --url https://sport.example.com/ \\
          --feed https://sport.example.com/feed.xml --deny '/live/' --delay 1
    """
    from archive.sources import SourceSpec, add_source

    for key in ("feeds", "sitemaps", "allow", "deny", "domains"):
        fields[key] = list(fields[key])
    spec = SourceSpec(name=name, **fields)
    with opened(db) as archive, archive.write_session() as session:
        src = add_source(session, spec)
        click.echo(
            f"Added source {src.name} ({src.url}); domains: {', '.join(src.allowed_domains)}."
        )


@source.command("list")
@db_option
@format_option("table", "json", "csv")
def source_list(db: str | None, fmt: str) -> None:
    """List the sources, with their article counts and last crawl.

    \b
    Example:
      pressbox source list --format json
    """
    from sqlalchemy import func, select

    from archive.models import Article, CrawlRun
    from archive.sources import list_sources

    rows = []
    with opened(db) as archive, archive.session() as session:
        for src in list_sources(session):
            articles = session.scalar(select(func.count()).where(Article.source_id == src.id))
            last = session.scalars(
                select(CrawlRun)
                .where(CrawlRun.source_id == src.id)
                .order_by(CrawlRun.id.desc())
                .limit(1)
            ).first()
            rows.append(
                {
                    "name": src.name,
                    "url": src.url,
                    "articles": articles,
                    "last_run": last.started_at.isoformat(timespec="seconds") if last else None,
                    "last_status": last.status if last else None,
                }
            )
    emit(rows, fmt, ["name", "url", "articles", "last_run", "last_status"])


@source.command("show")
@click.argument("name")
@db_option
@format_option("text", "json")
def source_show(name: str, db: str | None, fmt: str) -> None:
    """Show one source's settings.

    \b
    Example:
      pressbox source show sportsdaily
    """
    from archive.sources import get_source, source_as_dict

    with opened(db) as archive, archive.session() as session:
        data = source_as_dict(get_source(session, name))
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
    else:
        for key, value in data.items():
            click.echo(f"{key:10} {_cell(value)}")


@source.command("remove")
@click.argument("name")
@db_option
def source_remove(name: str, db: str | None) -> None:
    """Remove a source and everything archived from it.

    \b
    Example:
      pressbox source remove sportsdaily
    """
    from archive.sources import remove_source

    with opened(db) as archive, archive.write_session() as session:
        remove_source(session, name)
    click.echo(f"Removed source {name}.")


@source.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@db_option
def source_import(file: Path, db: str | None) -> None:
    """Add or update the sources of a TOML file ([[source]] tables, same fields as `add`).

    \b
    Example:
      pressbox source import sources.toml
    """
    from archive.sources import import_sources, load_toml

    specs = load_toml(file)
    with opened(db) as archive, archive.write_session() as session:
        for name, what in import_sources(session, specs):
            click.echo(f"{what} {name}")


# -- crawling -------------------------------------------------------------------------------------

SUMMARY_FIELDS = ("pages_fetched", "articles_new", "versions_new", "unchanged", "skipped", "errors")


def print_summary(result: Any) -> None:
    counts = result.counts
    click.echo(
        f"Crawl run #{result.run_id} of {result.source}: {result.status} in {result.duration:.1f}s"
    )
    click.echo(
        f"  pages fetched {counts['pages_fetched']}, articles new {counts['articles_new']}, "
        f"new versions {counts['versions_new']}, unchanged {counts['unchanged']}, "
        f"skipped {counts['skipped']}, errors {counts['errors']}"
    )
    if result.message:
        click.echo(f"  {result.message}")
    click.echo(f"  log: {result.log_file}")


@cli.command()
@click.argument("name")
@click.option("--max-pages", type=int, help="Page budget for this run (overrides the source's).")
@click.option(
    "--revisit",
    type=click.Choice(["due", "all", "none"]),
    default="due",
    show_default=True,
    help="Refetch known articles that are due, all of them, or none.",
)
@click.option(
    "-s", "--set", "settings", multiple=True, metavar="NAME=VALUE", help="Scrapy setting."
)
@click.option("--timeout", type=float, help="Stop the crawl after this many seconds.")
@click.option("-v", "--verbose", is_flag=True, help="Also print the crawl log's errors here.")
@click.option(
    "--redis", "redis_url", metavar="URL", help="Push the run onto this shared frontier instead."
)
@click.option("--namespace", envvar="PRESSBOX_REDIS_NAMESPACE", default="pressbox", hidden=True)
@click.option("--no-wait", is_flag=True, help="With --redis: print the run id, do not wait.")
@db_option
@format_option("text", "json")
def crawl(
    name: str,
    max_pages: int | None,
    revisit: str,
    settings: tuple[str, ...],
    timeout: float | None,
    verbose: bool,
    redis_url: str | None,
    namespace: str,
    no_wait: bool,
    db: str | None,
    fmt: str,
) -> None:
    """Run one crawl run of a source and print a summary.

    The crawl runs as its own Scrapy process (`scrapy crawl news -a source=NAME` does the same).
    It revisits known articles that are due, then discovers new ones through feeds, sitemaps and
    links. Its log goes to $PRESSBOX_LOG_DIR/NAME/run-ID.log.

    \b
    Example:
      pressbox crawl sportsdaily --max-pages 200
    """
    from crawler.runner import run_crawl

    extra = {}
    for item in settings:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--set")
        extra[key] = value
    if max_pages is not None and max_pages < 1:
        raise click.BadParameter("give a number >= 1", param_hint="--max-pages")
    if redis_url:  # distributed: the workers crawl (see pressbox/distributed.py)
        from crawler.frontier import push_run, run_distributed

        if no_wait:
            run_id = push_run(
                name,
                redis_url=redis_url,
                db=db,
                namespace=namespace,
                revisit=revisit,
                max_pages=max_pages,
            )
            click.echo(json.dumps({"run_id": run_id}) if fmt == "json" else f"queued run #{run_id}")
            return
        result = run_distributed(
            name,
            redis_url=redis_url,
            db=db,
            namespace=namespace,
            revisit=revisit,
            max_pages=max_pages,
            timeout=timeout,
        )
    else:
        result = run_crawl(
            name,
            db=db,
            max_pages=max_pages,
            revisit=revisit,
            settings=extra,
            timeout=timeout,
            echo_log=verbose,
        )
    if fmt == "json":
        click.echo(json.dumps(result.as_dict()))
    else:
        print_summary(result)
    if result.status not in ("ok",):
        sys.exit(1)


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", help="The page's URL (default: http://localhost/FILENAME).")
@format_option("json", "text")
def extract(file: Path, url: str | None, fmt: str) -> None:
    """Print what pressbox would archive from a saved page.

    The bytes are decoded as a crawler would (BOM, <meta charset>, detection).

    \b
    Example:
      curl -s https://sport.example.com/a.html > a.html
      pressbox extract a.html --url https://sport.example.com/a.html
    """
    from crawler.extract import ExtractionError
    from crawler.extract import extract as run_extract

    page_url = url or f"http://localhost/{file.name}"
    try:
        result = run_extract(file.read_bytes(), page_url)
    except ExtractionError as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    data = result.as_dict()
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if not result.is_article:
        click.echo(f"[not an article: {result.page_type}]")
    for key in ("title", "authors", "published", "modified", "site_name", "language", "tags"):
        click.echo(f"{key}: {_cell(data[key])}")
    click.echo(f"\n{result.text}\n")
    for link in result.related_links:
        click.echo(f"related: {link.text} <{link.url}>")


# -- reading --------------------------------------------------------------------------------------


@cli.command()
@click.argument("url")
@db_option
@format_option("table", "json", "csv")
def history(url: str, db: str | None, fmt: str) -> None:
    """List an article's versions and what changed in each.

    For each version: when it was fetched, which fields changed (title, authors, published,
    modified, description, tags, text), the words added and removed, and whether the edit was
    trivial (only whitespace, punctuation or a date line). `pressbox diff URL` shows the edit.

    \b
    Example:
      pressbox history https://sport.example.com/football/2026/11/derby-1.html
    """
    from archive.queries import history as get_history

    with opened(db) as archive, archive.session() as session:
        rows = get_history(session, url)
    emit(
        rows,
        fmt,
        None
        if fmt == "json"
        else [
            "version",
            "fetched_at",
            "title",
            "word_count",
            "changed",
            "words_added",
            "words_removed",
            "trivial",
        ],
    )


@cli.command()
@click.argument("url")
@click.option("--version", "version", type=int, help="Version number (default: the latest).")
@when_option(
    "--as-of",
    "The version that was current at DATETIME (UTC unless it has a zone).",
    metavar="DATETIME",
)
@db_option
@format_option("text", "json")
def show(url: str, version: int | None, as_of: Any, db: str | None, fmt: str) -> None:
    """Print one version of an article.

    \b
    Example:
      pressbox show https://sport.example.com/football/2026/11/derby-1.html --version 1
      pressbox show https://sport.example.com/football/2026/11/derby-1.html --as-of 2026-11-25T12:00
    """
    from archive.queries import get_version

    with opened(db) as archive, archive.session() as session:
        data = get_version(session, url, version, as_of=as_of)
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    click.echo(f"{data['title']}\n")
    click.echo(f"version {data['version']} of {data['versions']}, fetched {data['fetched_at']}")
    for key in ("url", "authors", "published", "modified", "source", "tags"):
        click.echo(f"{key}: {_cell(data[key])}")
    click.echo(f"\n{data['text']}")
    if data["related_links"]:
        click.echo("\nRelated:")
        for link in data["related_links"]:
            click.echo(f"  {link['text']} <{link['url']}>")


@cli.command()
@click.argument("query", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "parquet"]),
    default="csv",
    show_default=True,
    help="File format (parquet needs pyarrow: pip install 'pressbox[parquet]').",
)
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write."
)
@filter_options
@click.option(
    "--columns",
    help="Comma-separated columns (default: source, url, version, first_seen, fetched_at, "
    "published, modified, title, authors, description, language, tags, text, word_count, "
    "related_links, content_hash; more in the README).",
)
@click.option(
    "--since-manifest",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Only what changed since the export of this manifest (a delta, same filters).",
)
@click.option("--bom", is_flag=True, help="Start the CSV with a UTF-8 BOM (for Excel).")
@click.option("--raw", is_flag=True, help="Do not neutralise spreadsheet formulas in CSV cells.")
@db_option
def export(
    query: str | None,
    fmt: str,
    out: Path,
    columns: str | None,
    since_manifest: Path | None,
    bom: bool,
    raw: bool,
    db: str | None,
    **params: Any,
) -> None:
    """Export a dataset: the latest version of every article (or every version), filtered.

    QUERY, if given, is a full-text search (see `pressbox search --help`); the other filters
    are search's too. Rows stream to a temporary file that is renamed at the end, so a failed
    export never leaves a half file under the final name. CSV cells that a spreadsheet would run
    as a formula are prefixed with ' unless --raw.

    A manifest is written beside the file (OUT.manifest.json): the command and filters, the
    as-of time, schema, pressbox and extractor versions, the row count and the file's SHA-256.
    --since-manifest OLD.manifest.json exports only the versions written since that export.

    \b
    Example:
      pressbox export --format csv --out articles.csv
      pressbox export derby --source sportsdaily --since 2026-11-01 --format parquet --out d.parquet
      pressbox export --format jsonl --all-versions --as-of 2026-11-25T12:00 --out v.jsonl
      pressbox export --since-manifest articles.csv.manifest.json --out delta.csv
    """
    from sqlalchemy.engine import make_url

    from archive.export import export_dataset

    filters = filters_from(params, query)
    cols = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    with opened(db) as archive, archive.session() as session:
        manifest = export_dataset(
            session,
            out,
            fmt,  # type: ignore[arg-type]
            filters=filters,
            columns=cols,
            bom=bom,
            raw=raw,
            since_manifest=since_manifest,
            command=command_line(click.get_current_context()),
            database=make_url(archive.url).render_as_string(hide_password=True),
        )
    click.echo(f"Wrote {manifest['rows']} rows to {out} (manifest: {out}.manifest.json).")


# -- demo -----------------------------------------------------------------------------------------


@cli.command()
@click.option("--articles", default=30, show_default=True, help="Articles on the demo site.")
@click.option("--port", default=0, help="Port of the demo site (default: any free port).")
@click.option("--keep-serving", is_flag=True, help="Keep the demo site up until Ctrl-C.")
@db_option
def demo(articles: int, port: int, keep_serving: bool, db: str | None) -> None:
    """Crawl the bundled demo sports site, edit a few articles, crawl again, show what changed.

    Everything runs on 127.0.0.1: the site is served by this process.

    \b
    Example:
      pressbox demo --db sqlite:///demo.db
    """
    from crawler.demo.run import run_demo

    run_demo(db=db, articles=articles, port=port, keep_serving=keep_serving, echo=click.echo)


# Importing these modules registers their commands on `cli`: the operators' (operate) and the
# researchers' (research: search, diff, links, changes, stats).
from pressbox import (  # noqa: E402
    distributed,  # noqa: F401
    operate,  # noqa: F401
    research,  # noqa: F401
)
