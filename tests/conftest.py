"""Shared fixtures: which database backend the suite runs against.

The whole suite runs on SQLite by default. ``PRESSBOX_TEST_BACKEND=postgres`` (or
``pytest --backend postgres``) runs it against PostgreSQL instead: each test gets its own
throw-away database on the server named by ``PRESSBOX_TEST_PG`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``). Without a reachable server those tests
skip, saying how to enable them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PG_ADMIN_URL = os.environ.get(
    "PRESSBOX_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=("sqlite", "postgres"),
        default=os.environ.get("PRESSBOX_TEST_BACKEND", "sqlite"),
        help="database backend for the archive under test (env PRESSBOX_TEST_BACKEND)",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"pressbox archive backend: {config.getoption('--backend')}"


@pytest.fixture(scope="session")
def backend(pytestconfig: pytest.Config) -> str:
    return str(pytestconfig.getoption("--backend"))


def _pg_admin() -> object:
    try:
        from sqlalchemy import create_engine

        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect():
            pass
    except Exception as exc:  # any failure to reach the server means: skip, and say why
        pytest.skip(
            f"PostgreSQL not reachable at {PG_ADMIN_URL} ({type(exc).__name__}); start it, or set "
            "PRESSBOX_TEST_PG to a server where this user may CREATE DATABASE."
        )
    return engine


@contextmanager
def throwaway_pg_database() -> Iterator[str]:
    """Create an empty PostgreSQL database for one test and drop it afterwards (skip the test,
    saying how to enable it, when no server answers)."""
    from sqlalchemy import text
    from sqlalchemy.engine import Engine, make_url

    admin: Engine = _pg_admin()  # type: ignore[assignment]
    name = f"pressbox_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def fresh_db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of the selected backend, dropped after the test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'archive.db'}"
        return
    with throwaway_pg_database() as url:
        yield url


@pytest.fixture
def pg_db_url() -> Iterator[str]:
    """An empty PostgreSQL database whatever the selected backend (for tests about PostgreSQL
    itself: concurrent writers, lost connections, copies between backends)."""
    with throwaway_pg_database() as url:
        yield url
