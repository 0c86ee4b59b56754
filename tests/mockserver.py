"""The demo site in a subprocess, for tests that crawl it (as Scrapy's ``tests/mockserver``).

``MockServer()`` runs ``python -m crawler.demo.server --port 0 --articles 60 --exclusive
--errors``, reads the base URL from the first line of its stdout, and kills it on exit::

    with MockServer() as server:
        server.url("/feed.xml")          # http://127.0.0.1:PORT/feed.xml
        server.edit(2, "headline")       # POST /_admin/edit?id=2&kind=headline
        server.stats()["by_path"]        # GET /_admin/stats

The site's URLs (see ``crawler/demo/site.py``): ``/``, ``/<section>/`` (``?page=N``),
``/tag/<tag>/``, articles at ``/<section>/<yyyy>/<mm>/<slug>-<id>.html``, ``/feed.xml``,
``/atom.xml``, ``/sitemap.xml`` -> ``/sitemaps/articles-<k>.xml`` and ``/sitemaps/news.xml``,
``/robots.txt``; with errors, ``/odds-and-ends/`` linking ``/errors/*`` and
``/private/secret.html``. With ``exclusive``, article ``id`` is listed only in section pages
(``id % 3 == 1``), only in the feeds (``id % 3 == 2``) or only in the sitemaps (``id % 3 == 0``).
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["MockServer"]


class MockServer:
    def __init__(
        self,
        articles: int = 60,
        *,
        exclusive: bool = True,
        errors: bool = True,
        seed: int = 1,
        slow: float | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        self.args = ["--port", "0", "--articles", str(articles), "--seed", str(seed)]
        if exclusive:
            self.args.append("--exclusive")
        if errors:
            self.args.append("--errors")
        if slow is not None:
            self.args += ["--slow", str(slow)]
        self.startup_timeout = startup_timeout
        self.base_url = ""
        self.proc: subprocess.Popen[bytes] | None = None
        self._stderr: Any = None

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> MockServer:
        self._stderr = tempfile.TemporaryFile()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "crawler.demo.server", *self.args],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=ROOT,
            env=env,
        )
        try:
            self.base_url = self._read_url()
        except BaseException:
            self._terminate()
            raise
        return self

    def _read_url(self) -> str:
        assert self.proc is not None
        assert self.proc.stdout is not None
        deadline = time.monotonic() + self.startup_timeout
        buf = b""
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while b"\n" not in buf:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    break
                if sel.select(timeout=min(left, 0.5)):
                    chunk = os.read(self.proc.stdout.fileno(), 4096)
                    if not chunk:
                        break
                    buf += chunk
        line = buf.split(b"\n", 1)[0].decode().strip()
        if not line.startswith("http://"):
            raise RuntimeError(
                f"the demo server did not report its URL within {self.startup_timeout}s "
                f"(stdout {buf!r}); stderr:\n{self._stderr_text()}"
            )
        return line

    def _stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return str(self._stderr.read().decode(errors="replace"))

    def _terminate(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=10)
            if self.proc.stdout is not None:
                self.proc.stdout.close()
            self.proc = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._terminate()

    # -- helpers ---------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.base_url + path

    def _admin(self, method: str, action: str, **params: Any) -> Any:
        query = urlencode({k: v for k, v in params.items() if v is not None})
        url = self.url(f"/_admin/{action}" + (f"?{query}" if query else ""))
        request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def edit(self, article_id: int, kind: str) -> dict[str, Any]:
        """Edit one article; returns its new ``{id, path, revision, headline, modified}``."""
        result: dict[str, Any] = self._admin("POST", "edit", id=article_id, kind=kind)["edited"][0]
        return result

    def edit_many(self, ids: list[int], kind: str) -> list[dict[str, Any]]:
        ids_param = ",".join(str(i) for i in ids)
        result: list[dict[str, Any]] = self._admin("POST", "edit", ids=ids_param, kind=kind)[
            "edited"
        ]
        return result

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self._admin("GET", "stats")
        return result

    def reset_stats(self) -> None:
        self._admin("POST", "reset-stats")

    def fail(self, status: int) -> None:
        """Answer every page with ``status`` (0 to stop failing)."""
        self._admin("POST", "fail", status=status)

    def delay(self, seconds: float) -> None:
        self._admin("POST", "delay", seconds=seconds)

    def slow(self, seconds: float) -> None:
        self._admin("POST", "slow", seconds=seconds)

    def articles(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._admin("GET", "articles")
        return result
