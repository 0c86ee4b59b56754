"""pressbox: crawl news sites, keep every version of every article, search and export them.

The ``pressbox`` command lives in :mod:`pressbox.cli`; the libraries are :mod:`archive` (no Scrapy)
and :mod:`crawler` (the Scrapy project).
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__", "main"]


def main() -> None:
    """Entry point of the ``pressbox`` console script."""
    from pressbox.cli import cli

    cli(prog_name="pressbox")
