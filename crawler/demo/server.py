"""Serve a :class:`~crawler.demo.site.NewsSite` over HTTP/1.1 on 127.0.0.1, with admin endpoints.

    python -m crawler.demo.server [--articles N] [--seed S] [--exclusive] [--errors] [--port P]

prints the base URL (``http://127.0.0.1:PORT``) as the first line of stdout and serves until
killed. Admin endpoints (JSON; the mutating ones are POST):

- ``POST /_admin/edit?id=N&kind=K`` (or ``ids=1,2,3``): edit articles, see ``EDIT_KINDS``
- ``GET /_admin/stats``: ``requests``, ``by_path`` (GETs per request target), ``max_in_flight``,
  ``status_counts`` (per target: status -> count), ``by_status``
- ``POST /_admin/reset-stats``
- ``POST /_admin/fail?status=500``: every non-admin request answers that status (0: stop)
- ``POST /_admin/delay?seconds=X``: wait before every non-admin response
- ``POST /_admin/slow?seconds=X``: how long ``/errors/slow.html`` takes (default 30)
- ``GET /_admin/articles``: ``[{id, path, url, group, revision, headline}]``
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import traceback
from collections import Counter, defaultdict
from datetime import UTC
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crawler.demo.site import EDIT_KINDS, NewsSite, Page, SiteConfig

__all__ = ["SiteServer", "main"]

_HOST_RE = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9a-fA-F:.]+\](:\d{1,5})?$")


class _Stats:
    """Request accounting, shared by the handler threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.by_path: Counter[str] = Counter()
        self.status_counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.by_status: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0

    def as_dict(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": self.requests,
                "by_path": dict(self.by_path),
                "max_in_flight": self.max_in_flight,
                "in_flight": self.in_flight,
                "status_counts": {p: dict(c) for p, c in self.status_counts.items()},
                "by_status": dict(self.by_status),
            }


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: SiteServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer
    server_version = "PressboxDemo/1.0"

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read /_admin/stats instead

    def do_GET(self) -> None:
        self._dispatch(head=False)

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path.startswith("/_admin/"):
            self._admin("POST")
        else:
            self._send(Page(405, b"Method not allowed", "text/plain"), head=False)

    # -- site pages ------------------------------------------------------------------------

    def _dispatch(self, head: bool) -> None:
        if self.path.startswith("/_admin/"):
            self._admin("GET")
            return
        owner = self.server.owner
        stats = owner.stats
        with stats.lock:
            stats.requests += 1
            if not head:
                stats.by_path[self.path] += 1
            stats.in_flight += 1
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        status = 500
        try:
            if owner.delay > 0:
                owner.stopping.wait(owner.delay)
            if owner.fail_status:
                page = Page(owner.fail_status, b"<html><body><h1>Unavailable</h1></body></html>")
            else:
                page = owner.site.render(self.path, self._base_url())
                if page.slow:
                    owner.stopping.wait(owner.slow if page.delay is None else page.delay)
            status = self._send(page, head)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            status = self._send(Page(500, b"internal error", "text/plain"), head)
        finally:
            with stats.lock:
                stats.in_flight -= 1
                stats.status_counts[self.path][str(status)] += 1
                stats.by_status[str(status)] += 1

    def _base_url(self) -> str:
        host = self.headers.get("Host", "")
        if host and _HOST_RE.match(host):
            return f"http://{host}"
        return self.server.owner.base_url

    def _not_modified(self, page: Page) -> bool:
        if page.status != 200:
            return False
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            return page.etag is not None and (page.etag in tags or "*" in tags)
        ims = self.headers.get("If-Modified-Since")
        if ims and page.last_modified is not None:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError, IndexError):
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            return page.last_modified.replace(microsecond=0) <= since
        return False

    def _send(self, page: Page, head: bool) -> int:
        status = 304 if self._not_modified(page) else page.status
        self.send_response(status)
        if page.etag:
            self.send_header("ETag", page.etag)
        if page.last_modified is not None:
            self.send_header("Last-Modified", format_datetime(page.last_modified, usegmt=True))
        for name, value in page.headers:
            self.send_header(name, value)
        if page.status == 503:
            self.send_header("Retry-After", "1")
        if status == 304:
            self.end_headers()
            return status
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(page.body)))
        self.end_headers()
        if not head:
            self.wfile.write(page.body)
        return status

    # -- admin -----------------------------------------------------------------------------

    def _admin(self, method: str) -> None:
        owner = self.server.owner
        parts = urlsplit(self.path)
        action = parts.path.removeprefix("/_admin/").strip("/")
        q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        mutating = {"edit", "reset-stats", "fail", "delay", "slow"}
        reading = {"stats", "articles"}
        if action not in mutating | reading:
            self._json({"error": f"unknown admin endpoint {action!r}"}, 404)
            return
        if (action in mutating) != (method == "POST"):
            self._json({"error": f"use {'POST' if action in mutating else 'GET'}"}, 405)
            return
        try:
            if action == "stats":
                self._json(owner.stats.as_dict())
            elif action == "articles":
                base = self._base_url()
                self._json(
                    [
                        {
                            "id": a.id,
                            "path": a.path,
                            "url": base + a.path,
                            "group": a.group,
                            "revision": a.revision,
                            "headline": a.headline,
                        }
                        for a in owner.site.articles()
                    ]
                )
            elif action == "reset-stats":
                with owner.stats.lock:
                    owner.stats.reset()
                self._json({"ok": True})
            elif action == "fail":
                owner.fail_status = int(q.get("status", "500"))
                self._json({"fail_status": owner.fail_status})
            elif action == "delay":
                owner.delay = float(q.get("seconds", "0"))
                self._json({"delay": owner.delay})
            elif action == "slow":
                owner.slow = float(q.get("seconds", "30"))
                self._json({"slow": owner.slow})
            else:  # edit
                raw = q.get("ids") or q.get("id") or ""
                ids = [int(x) for x in raw.split(",") if x.strip()]
                kind = q.get("kind", "")
                if not ids or kind not in EDIT_KINDS:
                    self._json({"error": f"need id(s) and kind in {list(EDIT_KINDS)}"}, 400)
                    return
                edited = owner.site.edit_many(ids, kind)
                self._json(
                    {
                        "edited": [
                            {
                                "id": a.id,
                                "path": a.path,
                                "revision": a.revision,
                                "headline": a.headline,
                                "modified": a.modified.isoformat() if a.modified else None,
                            }
                            for a in edited
                        ]
                    }
                )
        except KeyError as exc:
            self._json({"error": f"no such article: {exc}"}, 404)
        except ValueError as exc:
            self._json({"error": str(exc)}, 400)

    def _json(self, data: object, status: int = 200) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


class SiteServer:
    """A :class:`NewsSite` on ``127.0.0.1:port`` (0: any free port) in a daemon thread.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. ``stats``, ``delay``,
    ``slow`` and ``fail_status`` are also what the admin endpoints read and set.
    """

    def __init__(self, site: NewsSite | None = None, port: int = 0) -> None:
        self.site = site or NewsSite()
        self.port = port
        self.stats = _Stats()
        self.delay = 0.0
        self.slow = 30.0
        self.fail_status = 0
        self.stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the server is not started; call start() first")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> SiteServer:
        if self._httpd is not None:
            return self
        self.stopping.clear()
        httpd = _HTTPServer(("127.0.0.1", self.port), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self.stopping.set()  # wakes handlers sleeping in delays
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def serve_forever(self) -> None:
        """Block until interrupted (the ``python -m`` entry point)."""
        self.start()
        try:
            self.stopping.wait()
        finally:
            self.stop()

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crawler.demo.server", description="Serve the demo sports-news site."
    )
    parser.add_argument("--articles", type=int, default=30, help="number of articles")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the content")
    parser.add_argument("--exclusive", action="store_true", help="one discovery path each")
    parser.add_argument("--errors", action="store_true", help="add the /odds-and-ends/ pages")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any)")
    parser.add_argument("--slow", type=float, default=30.0, help="delay of /errors/slow.html")
    args = parser.parse_args(argv)
    config = SiteConfig(
        n_articles=args.articles,
        seed=args.seed,
        exclusive_discovery=args.exclusive,
        with_errors=args.errors,
    )
    server = SiteServer(NewsSite(config), port=args.port)
    server.slow = args.slow
    server.start()
    print(server.base_url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
