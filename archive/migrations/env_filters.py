"""What Alembic compares: the models' tables, not those that live beside them on purpose."""

from __future__ import annotations

#: The SQLite FTS index (and its shadow tables) and APScheduler's job store, which APScheduler
#: creates itself.
NOT_MODELLED = ("versions_fts", "apscheduler_jobs")
#: PostgreSQL's full-text column and index on versions (migration 0002).
NOT_MODELLED_PARTS = ("search_vector", "ix_versions_search_vector")


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's ``include_object`` hook."""
    if name is None:
        return True
    if type_ == "table":
        return not name.startswith(NOT_MODELLED)
    return not (type_ in ("column", "index") and name in NOT_MODELLED_PARTS)
