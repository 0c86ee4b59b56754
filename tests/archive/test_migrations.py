"""The migrations create exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from archive.db import head_revision, upgrade
from archive.migrations.env_filters import include_object
from archive.models import Base


def test_upgrade_builds_the_models_schema_on_an_empty_database(fresh_db_url: str) -> None:
    url = fresh_db_url

    before, after = upgrade(url)

    assert (before, after) == (None, head_revision())
    engine = create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": include_object, "compare_type": True}
        )
        assert compare_metadata(context, Base.metadata) == []
    assert {"sources", "articles", "versions", "fetches", "crawl_runs"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()


def test_db_upgrade_command_is_idempotent(fresh_db_url: str) -> None:
    from pressbox.cli import cli

    url = fresh_db_url
    first = CliRunner().invoke(cli, ["db", "upgrade", "--db", url])
    again = CliRunner().invoke(cli, ["db", "upgrade", "--db", url])
    assert first.exit_code == 0
    assert "upgraded from empty" in first.output
    assert again.exit_code == 0
    assert "already at revision" in again.output
