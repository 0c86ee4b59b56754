"""Errors raised by the archive. The CLI turns each into a message and an exit code.

Hierarchy::

    ArchiveError                    base class; the message says what to do next
    ├── NotFoundError               a source, article or version that does not exist
    ├── ValidationError             bad operator input: a source's URL, regex, number, TOML file
    ├── SchemaOutOfDateError        the database needs `pressbox db upgrade`
    ├── DatabaseUnavailableError    the database cannot be opened, is locked or is down
    ├── SchedulerLockedError        another scheduler already drives this database
    └── ExportError                 an export could not be written
"""

from __future__ import annotations

__all__ = [
    "ArchiveError",
    "DatabaseUnavailableError",
    "ExportError",
    "NotFoundError",
    "SchedulerLockedError",
    "SchemaOutOfDateError",
    "ValidationError",
]


class ArchiveError(Exception):
    """Base class of every error the archive raises on purpose."""


class NotFoundError(ArchiveError):
    """A named source, an article URL or a version number that the archive does not hold."""


class ValidationError(ArchiveError):
    """Operator input that cannot be accepted (the message names the bad part)."""


class SchemaOutOfDateError(ArchiveError):
    """The database schema is missing or older than this code."""


class DatabaseUnavailableError(ArchiveError):
    """The database cannot be reached, opened, or stays locked past the busy timeout."""


class SchedulerLockedError(ArchiveError):
    """Another live scheduler holds the database's scheduler lock (the message names it)."""


class ExportError(ArchiveError):
    """An export could not be written (the partial file is removed)."""
