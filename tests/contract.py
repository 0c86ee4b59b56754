"""Names that operators' scripts and our checks depend on (issue 2): never rename, only add."""

from __future__ import annotations

#: The keys of `pressbox extract --format json`, in order; the archive and exports use the same.
EXTRACT_KEYS = [
    "url",
    "canonical_url",
    "title",
    "authors",
    "published",
    "modified",
    "description",
    "site_name",
    "language",
    "tags",
    "text",
    "links",
    "related_links",
]
