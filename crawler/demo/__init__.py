"""The demo sports-news site served on 127.0.0.1: for ``pressbox demo``, tests and benchmarks.

Stdlib only. :mod:`crawler.demo.site` holds the content model and rendering,
:mod:`crawler.demo.server` the HTTP server (``python -m crawler.demo.server``).
"""

from crawler.demo.site import EDIT_KINDS, NewsSite, SiteConfig

__all__ = ["EDIT_KINDS", "NewsSite", "SiteConfig"]
