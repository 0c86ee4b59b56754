"""What Alembic compares: the models' tables, not those that live beside them on purpose."""

from __future__ import annotations

#: The SQLite FTS index (and its shadow tables) and APScheduler's job store, which APScheduler
#: creates itself.
NOT_MODELLED = ("versions_fts", "apscheduler_jobs")


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's ``include_object`` hook."""
    return not (type_ == "table" and name is not None and name.startswith(NOT_MODELLED))
