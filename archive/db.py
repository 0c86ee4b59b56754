"""Connecting to the archive database, and keeping its schema current (Alembic).

The database URL comes from, in order: the ``--db`` option, the ``PRESSBOX_DB`` environment
variable, then ``sqlite:///pressbox.db`` in the working directory. SQLite runs in WAL mode with a
busy timeout, so researchers can read while a crawl writes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from archive.errors import DatabaseUnavailableError, SchemaOutOfDateError, ValidationError

__all__ = [
    "DEFAULT_DB",
    "SQLITE_BUSY_TIMEOUT_MS",
    "Archive",
    "alembic_config",
    "check_schema",
    "current_revision",
    "head_revision",
    "open_archive",
    "resolve_db_url",
    "upgrade",
]

DEFAULT_DB = "sqlite:///pressbox.db"
#: How long a SQLite writer waits for a lock before giving up (another writer is busy).
SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("PRESSBOX_SQLITE_BUSY_TIMEOUT_MS", "30000"))


def resolve_db_url(db: str | None = None) -> str:
    """The database URL to use: ``db`` if given, else ``$PRESSBOX_DB``, else the default file."""
    url = db or os.environ.get("PRESSBOX_DB") or DEFAULT_DB
    if "://" not in url:  # a bare path is taken as a SQLite file
        url = f"sqlite:///{url}"
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own transaction handling
    # cannot take the write lock up front, see _sqlite_begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # A writer takes the write lock when its transaction begins (BEGIN IMMEDIATE): two crawl
    # processes that both read "article absent" and then insert would otherwise fail with
    # SQLITE_BUSY_SNAPSHOT in WAL mode, which the busy timeout does not retry.
    immediate = conn.get_execution_options().get("pressbox_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` with pressbox's connection settings.

    Raises:
        ValidationError: the URL cannot be parsed or names a driver that is not installed.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ValidationError(
            f"Cannot parse database URL {url!r}. Use e.g. sqlite:///pressbox.db or "
            "postgresql+psycopg://user@host/dbname."
        ) from exc
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        database = parsed.database
        if database and database != ":memory:":
            parent = Path(database).expanduser().parent
            if not parent.is_dir():
                raise DatabaseUnavailableError(
                    f"Cannot open SQLite database {database}: folder {parent} does not exist. "
                    "Create it or pass another --db."
                )
    else:
        kwargs["pool_pre_ping"] = True
        if parsed.get_backend_name() == "postgresql":
            # timestamps are rendered in UTC whatever the server's default time zone
            kwargs["connect_args"] = {"options": "-c timezone=UTC"}
    try:
        engine = create_engine(parsed, **kwargs)
    except ModuleNotFoundError as exc:
        raise ValidationError(
            f"The database driver for {parsed.drivername!r} is not installed ({exc.name}). "
            "For PostgreSQL: pip install 'pressbox[postgres]'."
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def alembic_config(url: str) -> Any:
    """An Alembic ``Config`` set up in code (migrations ship inside the package)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "archive:migrations")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def check_schema(url: str) -> list[str]:
    """Differences between the database's schema and the models (empty when they agree).

    Raises:
        DatabaseUnavailableError: the database cannot be reached.
    """
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from archive.migrations.env_filters import include_object
    from archive.models import Base

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            current = _guard(lambda: MigrationContext.configure(conn).get_current_revision(), url)
            problems = []
            if current != head_revision():
                problems.append(
                    f"schema revision is {current or 'none'}, this pressbox needs "
                    f"{head_revision()} (run `pressbox db upgrade`)"
                )
            context = MigrationContext.configure(
                conn, opts={"include_object": include_object, "compare_type": True}
            )
            problems += [repr(diff) for diff in compare_metadata(context, Base.metadata)]
            return problems
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> tuple[str | None, str | None]:
    """Create or migrate the schema at ``url``; returns (revision before, revision after)."""
    from alembic import command

    engine = make_engine(url)
    try:
        before = _guard(lambda: current_revision(engine), url)
        cfg = alembic_config(url)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            _guard(lambda: command.upgrade(cfg, revision), url)
        after = current_revision(engine)
    finally:
        engine.dispose()
    return before, after


def _guard(fn: Any, url: str) -> Any:
    try:
        return fn()
    except OperationalError as exc:
        raise DatabaseUnavailableError(describe_db_error(exc, url)) from exc


def describe_db_error(exc: DBAPIError, url: str) -> str:
    """A message for a database that is down, missing or locked, saying what to do."""
    shown = make_url(url).render_as_string(hide_password=True)
    text = str(exc.orig) if exc.orig is not None else str(exc)
    if "locked" in text:
        return (
            f"The database {shown} is locked by another writer and stayed locked for "
            f"{SQLITE_BUSY_TIMEOUT_MS / 1000:g}s. Wait for the other process (a crawl?) or "
            "raise PRESSBOX_SQLITE_BUSY_TIMEOUT_MS."
        )
    return (
        f"Cannot use the database {shown}: {text.strip()}. Check that it is running and reachable."
    )


class Archive:
    """An open archive: an engine plus a session factory.

    Use :func:`open_archive` to get one; ``with archive.session() as s:`` gives a session that
    commits on success and rolls back on error.
    """

    def __init__(self, url: str, engine: Engine) -> None:
        self.url = url
        self.engine = engine
        self.sessionmaker = sessionmaker(engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessionmaker.begin() as session:
            yield session

    @contextmanager
    def write_session(self) -> Iterator[Session]:
        """A session for a write transaction (on SQLite it takes the write lock up front)."""
        with (
            Session(
                self.engine.execution_options(pressbox_write=True), expire_on_commit=False
            ) as s,
            s.begin(),
        ):
            yield s

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_archive(db: str | None = None, *, create: bool = True) -> Archive:
    """Open the archive at ``db`` (resolved with :func:`resolve_db_url`).

    Args:
        db: a database URL, or None for the configured default.
        create: create the schema when the database is empty (a brand-new file). A database at
            an older revision is never migrated implicitly.

    Raises:
        SchemaOutOfDateError: the schema is missing (and ``create`` is False) or out of date.
        DatabaseUnavailableError: the database cannot be reached.
    """
    url = resolve_db_url(db)
    engine = make_engine(url)
    try:
        current = _guard(lambda: current_revision(engine), url)
        head = head_revision()
        if current != head:
            empty = current is None and not _guard(lambda: inspect(engine).get_table_names(), url)
            if empty and create:
                upgrade(url)
            elif current is None:
                raise SchemaOutOfDateError(
                    f"The database {make_url(url).render_as_string(hide_password=True)} has no "
                    "pressbox schema. Run `pressbox db upgrade` first."
                )
            else:
                raise SchemaOutOfDateError(
                    f"The database is at schema revision {current}; this pressbox needs {head}. "
                    "Run `pressbox db upgrade`."
                )
    except BaseException:
        engine.dispose()
        raise
    return Archive(url, engine)
