"""Crawling from several machines: the ``news-worker`` spider on a shared Redis frontier.

Built on scrapy-redis (its scheduler and priority queue, one sorted set per source), with what a
fleet of pressbox workers needs on top:

- **runs**: every request carries its crawl run (``meta["pressbox_run"]``); a worker loads a run's
  source and known articles on first sight and writes the run's records through an
  :class:`archive.store.ArchiveWriter`, so the run's counts add up in the database.
- **per-run duplicate filter**: URLs discovered in a run are claimed in a Redis set of 16-byte
  fingerprints, ``pressbox:run:<id>:seen``, which expires (``PRESSBOX_SEEN_TTL``) and is deleted
  when the run ends: a later run (a revisit) can fetch the same URLs again.
- **leases**: popping a request moves it atomically into the worker's in-flight hash; it leaves
  only once its records are written (and the requests it found are queued). A worker whose
  heartbeat expires has its in-flight requests put back on the frontier by any other worker (or
  by itself at restart). ``pressbox:run:<id>:pending`` counts the run's unfinished requests;
  the worker that brings it to 0 closes the run.
- **fleet-wide politeness**: :class:`FleetPolitenessMiddleware` holds a Redis lease per request
  and domain (at most ``PRESSBOX_FLEET_DOMAIN_CONCURRENCY`` at once, the source's delay apart),
  whatever the number of workers. Each worker obeys robots.txt (Scrapy's middleware).

``redis`` and ``scrapy_redis`` are imported here only: this module is loaded by workers and by the
commands that talk to the frontier, never by single-machine crawls.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import redis
import scrapy
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from sqlalchemy import select
from twisted.internet.task import LoopingCall, deferLater

from archive.db import Archive, open_archive
from archive.errors import DatabaseUnavailableError
from archive.models import CrawlRun
from archive.runs import finish_run, get_run
from archive.sources import get_source
from archive.store import ArchiveWriter, PageRecord
from archive.urls import host_of, normalize_url
from crawler.spiders.news import NewsSpider

__all__ = [
    "DEFAULT_NAMESPACE",
    "DistributedPipeline",
    "FleetPolitenessMiddleware",
    "Frontier",
    "FrontierScheduler",
    "RunState",
    "WorkerSpider",
]

log = logging.getLogger(__name__)

DEFAULT_NAMESPACE = "pressbox"
HEARTBEAT_SECONDS = 5.0
RUN_META, SOURCE_META, LEASE_META, CB_META, EB_META = (
    "pressbox_run",
    "pressbox_source",
    "pressbox_lease",
    "pressbox_cb",
    "pressbox_eb",
)
#: Fleet-wide claims a request takes when it is queued: [(kind, value)], kind "seen"/"articles"/...
CLAIMS_META = "pressbox_claims"

# Pop the best request of a queue into a worker's in-flight hash, atomically.
_POP_LEASED = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
local id = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], id, r[2] .. '|' .. r[1])
return {id, r[1]}
"""

# A per-domain slot for one request: at most ARGV[1] at once, ARGV[2] ms apart.
# Returns 0 (granted) or the milliseconds to wait before asking again.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return tonumber(ARGV[5]) end
local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
if nxt > now then return nxt - now end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
if tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[2], now + tonumber(ARGV[2]), 'PX', tonumber(ARGV[2]) + 1000)
end
return 0
"""


def fingerprint(text: str) -> bytes:
    """16 bytes standing for a URL in the per-run seen sets (collisions: ~1 in 10^19 per pair)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def default_worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


# -- requests on the wire ------------------------------------------------------------------------


def encode_request(request: Request) -> bytes:
    """A request as stored on the frontier (callbacks by name: any worker can run them)."""
    meta = dict(request.meta)
    if request.callback is not None:
        meta[CB_META] = getattr(request.callback, "__name__", "parse_page")
    if request.errback is not None:
        meta[EB_META] = getattr(request.errback, "__name__", "on_error")
    meta.pop(LEASE_META, None)
    plain = request.replace(callback=None, errback=None, meta=meta)
    return pickle.dumps(plain.to_dict(), protocol=pickle.HIGHEST_PROTOCOL)


def decode_request(data: bytes, spider: Any | None = None) -> Request:
    from scrapy.utils.request import request_from_dict

    request = request_from_dict(pickle.loads(data))
    if spider is not None:
        cb, eb = request.meta.get(CB_META), request.meta.get(EB_META)
        request = request.replace(
            callback=getattr(spider, cb) if cb else None,
            errback=getattr(spider, eb) if eb else None,
        )
    return request


# -- the frontier ---------------------------------------------------------------------------------


class Frontier:
    """The Redis side of a fleet: keys, queues, leases, runs, workers (all under ``ns:``)."""

    _PUSH_SCRIPT = """
    for i = 5, #ARGV, 2 do
      if redis.call('SADD', ARGV[i], ARGV[i + 1]) == 0 then
        for j = 5, i - 2, 2 do redis.call('SREM', ARGV[j], ARGV[j + 1]) end
        return 0
      end
      redis.call('EXPIRE', ARGV[i], ARGV[4])
    end
    redis.call('INCR', KEYS[1])
    redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
    redis.call('SADD', KEYS[3], ARGV[3])
    return 1
    """

    def __init__(self, server: redis.Redis, namespace: str = DEFAULT_NAMESPACE) -> None:
        self.r: Any = server
        self.ns = namespace
        self.seen_ttl = int(os.environ.get("PRESSBOX_SEEN_TTL", str(7 * 86400)))
        self._pop = self.r.register_script(_POP_LEASED)
        self._push = self.r.register_script(self._PUSH_SCRIPT)
        self._acquire = self.r.register_script(_ACQUIRE)

    @classmethod
    def from_url(cls, url: str, namespace: str | None = None) -> Frontier:
        ns = namespace or os.environ.get("PRESSBOX_REDIS_NAMESPACE") or DEFAULT_NAMESPACE
        return cls(redis.Redis.from_url(url), ns)

    def key(self, *parts: object) -> str:
        return ":".join([self.ns, *(str(p) for p in parts)])

    # queues
    def queue_key(self, source: str) -> str:
        return self.key("queue", source)

    def push(self, requests: list[Request]) -> int:
        """Queue requests (each with its run and source in meta), counting them pending.

        A request that carries claims (``CLAIMS_META``: URLs or articles of its run) is queued
        only if all its claims are new, in one atomic step: a URL is never claimed without
        being queued. Returns how many requests were queued.
        """
        queued = 0
        for request in requests:
            run_id, source = request.meta[RUN_META], request.meta[SOURCE_META]
            claims = request.meta.pop(CLAIMS_META, [])
            args: list[Any] = [encode_request(request), -request.priority, source, self.seen_ttl]
            for kind, value in claims:
                args += [self.key("run", run_id, kind), fingerprint(value)]
            keys = [self.key("run", run_id, "pending"), self.queue_key(source), self.key("sources")]
            queued += int(self._push(keys=keys, args=args))
        return queued

    def sources(self) -> list[str]:
        return sorted(s.decode() for s in self.r.smembers(self.key("sources")))

    def pop(self, source: str, worker: str) -> tuple[int, bytes] | None:
        got = self._pop(
            keys=[self.queue_key(source), self.key("inflight", worker), self.key("lease-id")]
        )
        if not got:
            return None
        return int(got[0]), bytes(got[1])

    def release(self, worker: str, leases: list[tuple[int, int]]) -> list[int]:
        """The leases are done (records written): drop them; returns the runs now complete."""
        if not leases:
            return []
        pipe = self.r.pipeline(transaction=True)
        for lease, run_id in leases:
            pipe.hdel(self.key("inflight", worker), lease)
            pipe.decr(self.key("run", run_id, "pending"))
        results = pipe.execute()
        done = []
        for (_lease, run_id), removed, left in zip(
            leases, results[::2], results[1::2], strict=True
        ):
            if removed and left <= 0:
                done.append(run_id)
            elif not removed:  # already requeued by a reaper: undo our decrement
                self.r.incr(self.key("run", run_id, "pending"))
        return done

    def requeue(self, worker: str) -> int:
        """Put a worker's in-flight requests back on the frontier; returns how many."""
        key = self.key("inflight", worker)
        entries = self.r.hgetall(key)
        for lease, value in entries.items():
            score, _, data = bytes(value).partition(b"|")
            source = decode_request(data).meta.get(SOURCE_META, "unknown")
            pipe = self.r.pipeline(transaction=True)
            pipe.zadd(self.queue_key(source), {data: float(score)})
            pipe.hdel(key, lease)
            pipe.execute()
        return len(entries)

    # workers
    def heartbeat(self, worker: str, info: dict[str, Any], ttl: float) -> None:
        pipe = self.r.pipeline()
        pipe.sadd(self.key("workers"), worker)
        pipe.set(self.key("worker", worker), json.dumps(info), ex=max(1, int(ttl)))
        pipe.execute()

    def reap(self, exclude: str | None = None) -> int:
        """Requeue the work of workers whose heartbeat expired; returns requests requeued."""
        total = 0
        for raw in self.r.smembers(self.key("workers")):
            name = raw.decode()
            if name == exclude or self.r.exists(self.key("worker", name)):
                continue
            total += self.requeue(name)
            self.r.srem(self.key("workers"), name)
        return total

    def leave(self, worker: str) -> None:
        self.requeue(worker)
        self.r.delete(self.key("worker", worker))
        self.r.srem(self.key("workers"), worker)

    # runs
    def claim(self, run_id: int, kind: str, value: str) -> bool:
        """True the first time anyone claims ``value`` in this run (the per-run filter)."""
        key = self.key("run", run_id, kind)
        pipe = self.r.pipeline()
        pipe.sadd(key, fingerprint(value))
        pipe.expire(key, self.seen_ttl)
        added, _ = pipe.execute()
        return bool(added)

    def start_run(self, run_id: int) -> None:
        self.r.sadd(self.key("runs"), run_id)

    def run_keys(self, run_id: int) -> list[str]:
        return [self.key("run", run_id, k) for k in ("seen", "articles", "sitemaps", "scheduled")]

    def end_run(self, run_id: int) -> None:
        self.r.delete(*self.run_keys(run_id), self.key("run", run_id, "pending"))
        self.r.srem(self.key("runs"), run_id)

    def scheduled(self, run_id: int, n: int = 0) -> int:
        key = self.key("run", run_id, "scheduled")
        if n:
            value = int(self.r.incrby(key, n))
            self.r.expire(key, self.seen_ttl)
            return value
        return int(self.r.get(key) or 0)

    def count_fetched(self, run_id: int, worker: str, n: int) -> None:
        key = self.key("run", run_id, "fetched")
        self.r.hincrby(key, worker, n)
        self.r.expire(key, self.seen_ttl)
        self.r.sadd(self.key("run", run_id, "workers"), worker)
        self.r.expire(self.key("run", run_id, "workers"), self.seen_ttl)

    def fetched_by_worker(self, run_id: int) -> dict[str, int]:
        raw = self.r.hgetall(self.key("run", run_id, "fetched"))
        return {k.decode(): int(v) for k, v in raw.items()}

    def workers_of(self, run_id: int) -> list[str]:
        return sorted(w.decode() for w in self.r.smembers(self.key("run", run_id, "workers")))

    # politeness
    def acquire(self, domain: str, limit: int, delay: float, ttl: float, lease: str) -> float:
        """0 when the slot is ours, else seconds to wait before asking again."""
        wait = self._acquire(
            keys=[self.key("domain", domain, "slots"), self.key("domain", domain, "next")],
            args=[limit, int(delay * 1000), int(ttl * 1000), lease, 50],
        )
        return int(wait) / 1000.0

    def release_slot(self, domain: str, lease: str) -> None:
        self.r.zrem(self.key("domain", domain, "slots"), lease)


# -- a run, as seen by a worker ------------------------------------------------------------------


class _SharedSet:
    """``x in s`` is false, and notes a fleet-wide claim of ``x`` that the request made next
    carries: the claim is taken when that request is queued (see :meth:`Frontier.push`)."""

    def __init__(self, state: RunState, kind: str) -> None:
        self.state, self.kind = state, kind

    def __contains__(self, value: object) -> bool:
        self.state.pending_claims = [(self.kind, str(value))]
        return False

    def add(self, value: object) -> None:
        pass


class RunState(NewsSpider):
    """One crawl run's source, known articles and decisions, shared through the frontier."""

    name = "news-run"

    def __init__(self, frontier: Frontier, archive: Archive, run_id: int, worker: Any) -> None:
        with archive.session() as session:
            run = get_run(session, run_id)
            source_name, revisit, trigger = run.source_name, run.revisit or "due", run.trigger
        super().__init__(source=source_name, run_id=run_id, revisit=revisit, trigger=trigger)
        self.frontier, self.archive, self.run_id, self.worker = frontier, archive, run_id, worker
        with archive.session() as session:
            self._load_source(get_source(session, source_name))
            self._load_known(session)
        self.seen_sitemaps = _SharedSet(self, "sitemaps")  # type: ignore[assignment]
        # Claims of the request being made: taken in Redis only when it is queued, atomically
        # with the push, so a worker killed in between leaves nothing claimed and unqueued.
        self.pending_claims: list[tuple[str, str]] = []
        self._pool = None

    @property
    def pool(self) -> Any:
        if self.worker is None:
            raise AttributeError("pool")
        return self.worker.pool

    def _budget_left(self) -> bool:
        if self.max_pages is None or self.frontier.scheduled(self.run_id) < self.max_pages:
            return True
        self.budget_hit = True
        return False

    def _page_request(self, url: str, depth: int, priority: int, known: Any = None) -> Request:
        request = super()._page_request(url, depth, priority, known)
        self.frontier.scheduled(self.run_id, 1)
        return self.tag(request)

    def _discovery_request(self, url: str, callback: Any) -> Request:
        return self.tag(super()._discovery_request(url, callback))

    def tag(self, request: Request) -> Request:
        if self.pending_claims:
            request.meta[CLAIMS_META] = self.pending_claims
            self.pending_claims = []
        request.meta[RUN_META] = self.run_id
        request.meta[SOURCE_META] = self.source_name
        if self.delay:
            request.meta["pressbox_delay"] = self.delay
        return request

    def _discovered(self, url: str, depth: int, date: Any, priority: int) -> Request | None:
        self.pending_claims = []
        try:
            return super()._discovered(url, depth, date, priority)
        finally:
            self.pending_claims = []

    def _claim_url(self, key: str) -> bool:
        self.pending_claims.append(("seen", key))
        return True

    def _claim_article(self, known: Any) -> bool:
        self.pending_claims.append(("articles", str(known.id)))
        return True

    def seed_requests(self) -> list[Request]:
        """The run's first requests (as :meth:`NewsSpider.start`), claimed fleet-wide."""
        seeds: list[Request] = []
        for request in self._revisit_requests():
            self.frontier.claim(self.run_id, "seen", normalize_url(request.url))
            self.frontier.claim(self.run_id, "articles", str(request.cb_kwargs["article_id"]))
            seeds.append(request)
        seeds += [self._discovery_request(feed, self.parse_feed) for feed in self.feeds]
        for sitemap in self.sitemaps:
            if sitemap not in self.seen_sitemaps:
                seeds.append(self._discovery_request(sitemap, self.parse_sitemap))
        scheme, _, host = self.start_url.split("/", 3)[:3]
        seeds.append(self._discovery_request(f"{scheme}//{host}/robots.txt", self.parse_robots))
        start = normalize_url(self.start_url)
        if self.frontier.claim(self.run_id, "seen", start):
            seeds.append(self._page_request(self.start_url, 0, 0))
        return seeds


@dataclass(slots=True)
class LeaseDone:
    """Marks that everything a frontier request produced has reached the pipeline."""

    lease: int
    run_id: int


@dataclass(slots=True)
class RunRecord:
    """A page record and the run it belongs to (the item a worker's spider yields)."""

    run_id: int
    record: PageRecord


# -- the worker's Scrapy components ---------------------------------------------------------------


class FrontierScheduler(RedisScheduler):
    """scrapy-redis' scheduler over the per-source queues of the frontier, with leases."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierScheduler:
        scheduler: FrontierScheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        return scheduler

    def open(self, spider: Any) -> None:
        self.spider = spider
        self.frontier: Frontier = spider.frontier
        self._turn = 0

    def close(self, reason: str) -> None:
        pass

    def __len__(self) -> int:
        return sum(int(self.frontier.r.zcard(self.frontier.queue_key(s))) for s in self._sources())

    def _sources(self) -> list[str]:
        return list(self.spider.only_sources or self.frontier.sources())

    def has_pending_requests(self) -> bool:
        return len(self) > 0

    def enqueue_request(self, request: Request) -> bool:
        if RUN_META not in request.meta:
            raise ValueError(f"a frontier request without a run: {request}")
        if not self.frontier.push([request]):
            return False  # another worker claimed and queued it first
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis", spider=self.spider)
        return True

    def next_request(self) -> Request | None:
        sources = self._sources()
        for i in range(len(sources)):  # round robin over the sources
            source = sources[(self._turn + i) % len(sources)]
            got = self.frontier.pop(source, self.spider.worker)
            if got is not None:
                self._turn = (self._turn + i + 1) % len(sources)
                lease, data = got
                request = decode_request(data, self.spider)
                request.meta[LEASE_META] = lease
                self.spider.idle_since = None
                if self.stats:
                    self.stats.inc_value("scheduler/dequeued/redis", spider=self.spider)
                return request
        return None


class WorkerSpider(NewsSpider):
    """A long-lived spider serving every run on the frontier (``scrapy crawl news-worker``)."""

    name = "news-worker"
    # One output at a time, in order: see _done_marker.
    custom_settings = {"CONCURRENT_ITEMS": 1}  # noqa: RUF012

    def __init__(
        self,
        redis_url: str = "redis://127.0.0.1:6379/0",
        namespace: str | None = None,
        worker: str | None = None,
        sources: str = "",
        idle_exit: str | float | None = None,
        db: str | None = None,
        **kwargs: Any,
    ) -> None:
        scrapy.Spider.__init__(self, **kwargs)
        self.frontier = Frontier.from_url(redis_url, namespace)
        self.worker = worker or default_worker_name()
        self.only_sources = [s for s in sources.split(",") if s]
        self.idle_exit = float(idle_exit) if idle_exit not in (None, "") else None
        self.idle_since: float | None = None
        self.db = db
        self.states: dict[int, RunState] = {}
        self.lease_ttl = 30.0
        self.done: list[tuple[int, int]] = []
        self._pool = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> WorkerSpider:
        spider: WorkerSpider = scrapy.Spider.from_crawler.__func__(  # type: ignore[attr-defined]
            cls, crawler, *args, **kwargs
        )
        settings = crawler.settings
        spider.archive = open_archive(spider.db or settings.get("PRESSBOX_DB") or None)
        spider._pool_size = settings.getint("PRESSBOX_EXTRACT_WORKERS")
        spider._pool_queue = settings.getint("PRESSBOX_EXTRACT_QUEUE")
        spider.lease_ttl = settings.getfloat("PRESSBOX_WORKER_TIMEOUT", 30.0)
        crawler.signals.connect(spider._opened, signal=signals.spider_opened)
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    # -- life cycle

    def _opened(self, spider: Any) -> None:
        requeued = self.frontier.requeue(self.worker)  # a restart under the same name
        if requeued:
            log.info("requeued %d requests this worker had taken before it restarted", requeued)
        self._beat()
        self._heart = LoopingCall(self._beat)
        self._heart.start(HEARTBEAT_SECONDS, now=False)

    def _beat(self) -> None:
        inflight = int(self.frontier.r.hlen(self.frontier.key("inflight", self.worker)))
        info = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "sources": self.only_sources,
            "inflight": inflight,
            "at": time.time(),
        }
        self.frontier.heartbeat(self.worker, info, self.lease_ttl)
        reaped = self.frontier.reap(exclude=self.worker)
        if reaped:
            log.warning("requeued %d requests of workers that stopped answering", reaped)

    def _idle(self, spider: Any) -> None:
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if self.idle_exit is not None and now - self.idle_since >= self.idle_exit:
            return  # let the spider close
        raise DontCloseSpider

    def _closed(self, spider: Any, reason: str) -> None:
        try:
            if getattr(self, "_heart", None) is not None and self._heart.running:
                self._heart.stop()
            self.frontier.leave(self.worker)
        finally:
            if self._pool is not None:
                self._pool.close()
            self.archive.close()

    async def start(self) -> AsyncIterator[Any]:
        return
        yield

    # -- runs

    def state(self, run_id: int) -> RunState:
        state = self.states.get(run_id)
        if state is None:
            state = RunState(self.frontier, self.archive, run_id, self)
            state.settings = self.settings
            if len(self.states) >= 64:
                self.states.pop(next(iter(self.states)))
            self.states[run_id] = state
        return state

    def finish(self, run_id: int) -> None:
        """The last request of a run is done: close the run record."""
        state = self.states.get(run_id)
        message = None
        if (
            state is not None
            and state.max_pages is not None
            and (self.frontier.scheduled(run_id) >= state.max_pages)
        ):
            message = f"stopped at the page budget ({state.max_pages} pages)"
        with self.archive.write_session() as session:
            run = session.scalars(
                select(CrawlRun).where(CrawlRun.id == run_id).with_for_update()
            ).one()
            run.workers = sorted(set(run.workers or []) | set(self.frontier.workers_of(run_id)))
            if run.status == "running":
                finish_run(session, run_id, "ok", message=message)
        self.frontier.end_run(run_id)
        self.states.pop(run_id, None)
        log.info("crawl run #%d finished", run_id)

    # -- callbacks: the run's own NewsSpider logic, its output tagged with the run

    def _outputs(self, request: Request, produced: Iterator[Any]) -> Iterator[Any]:
        run_id = request.meta[RUN_META]
        for out in produced:
            if isinstance(out, PageRecord):
                yield RunRecord(run_id, out)
            elif isinstance(out, Request):
                yield out.replace(
                    callback=getattr(self, out.callback.__name__) if out.callback else None,
                    errback=getattr(self, out.errback.__name__) if out.errback else None,
                )
            else:
                yield out

    def _done(self, request: Request) -> None:
        lease = request.meta.get(LEASE_META)
        if lease is not None:
            self.done.append((lease, request.meta[RUN_META]))

    def _done_marker(self, request: Request) -> Iterator[Any]:
        """The last output of a callback. Outputs are processed one at a time, in order
        (CONCURRENT_ITEMS = 1), so when the pipeline sees this marker the request's record is
        buffered and every request it found is queued: only then may its lease go."""
        lease = request.meta.get(LEASE_META)
        if lease is not None:
            yield LeaseDone(lease, request.meta[RUN_META])

    async def parse_page(self, response: Any, depth: int, article_id: int | None) -> Any:
        request = response.request
        try:
            state = self.state(request.meta[RUN_META])
            async for out in NewsSpider.parse_page(state, response, depth, article_id):
                for tagged in self._outputs(request, iter([out])):
                    yield tagged
        except Exception:
            self._done(request)
            raise
        for marker in self._done_marker(request):
            yield marker

    def _sync_callback(self, method: Any, response: Any, *args: Any) -> Iterator[Any]:
        request = response.request
        try:
            state = self.state(request.meta[RUN_META])
            yield from self._outputs(request, method(state, response, *args))
        except Exception:
            self._done(request)
            raise
        yield from self._done_marker(request)

    def parse_feed(self, response: Any, depth: int, article_id: None) -> Iterator[Any]:
        return self._sync_callback(NewsSpider.parse_feed, response, depth, article_id)

    def parse_sitemap(self, response: Any, depth: int, article_id: None) -> Iterator[Any]:
        return self._sync_callback(NewsSpider.parse_sitemap, response, depth, article_id)

    def parse_robots(self, response: Any, depth: int, article_id: None) -> Iterator[Any]:
        return self._sync_callback(NewsSpider.parse_robots, response, depth, article_id)

    def on_error(self, failure: Any) -> Iterator[Any]:
        request = failure.request
        try:
            state = self.state(request.meta[RUN_META])
            yield from self._outputs(request, NewsSpider.on_error(state, failure))
        except Exception:
            self._done(request)
            raise
        yield from self._done_marker(request)


class DistributedPipeline:
    """Writes each run's records through its own ArchiveWriter; releases the leases of requests
    whose records are written, and closes runs that have nothing left."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.batch_size = crawler.settings.getint("PRESSBOX_BATCH_SIZE", 100)
        self.interval = crawler.settings.getfloat("PRESSBOX_FLUSH_INTERVAL", 2.0)
        self.retry = crawler.settings.getfloat("PRESSBOX_DB_RETRY_SECONDS", 60.0)
        self.writers: dict[int, ArchiveWriter] = {}
        self.buffered = 0
        self.loop: LoopingCall | None = None
        self.failed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DistributedPipeline:
        return cls(crawler)

    @property
    def spider(self) -> WorkerSpider:
        spider = self.crawler.spider
        assert isinstance(spider, WorkerSpider)
        return spider

    def open_spider(self, spider: Any = None) -> None:
        self.loop = LoopingCall(self._flush)
        self.loop.start(self.interval, now=False)

    def _writer(self, run_id: int) -> ArchiveWriter:
        writer = self.writers.get(run_id)
        if writer is None:
            state = self.spider.state(run_id)
            writer = self.writers[run_id] = ArchiveWriter(
                self.spider.archive,
                source_id=state.source_id,
                run_id=run_id,
                policy=state.policy,
                batch_size=self.batch_size,
                retry_seconds=self.retry,
            )
        return writer

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, LeaseDone):
            self.spider.done.append((item.lease, item.run_id))
            return item
        if isinstance(item, RunRecord) and not self.failed:
            self._writer(item.run_id).buffer.append(item.record)
            self.buffered += 1
            if self.buffered >= self.batch_size:
                self._flush()
        return item

    def _flush(self) -> None:
        if self.failed:
            return
        spider = self.spider
        done, spider.done = spider.done, []  # finished before this flush: their records are here
        try:
            for run_id, writer in list(self.writers.items()):
                if writer.buffer:
                    counts = writer.flush()
                    spider.frontier.count_fetched(run_id, spider.worker, counts.pages_fetched)
        except DatabaseUnavailableError as exc:
            self.failed = True
            log.error("stopping the worker: %s", exc)
            assert self.crawler.engine is not None
            deferred_from_coro(
                self.crawler.engine.close_spider_async(reason="database unavailable")
            )
            return
        self.buffered = 0
        for run_id in spider.frontier.release(spider.worker, done):
            self.writers.pop(run_id, None)
            spider.finish(run_id)

    def close_spider(self, spider: Any = None) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self._flush()


class FleetPolitenessMiddleware:
    """Per-domain concurrency and delay for the whole fleet: a Redis lease per request."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.limit = settings.getint(
            "PRESSBOX_FLEET_DOMAIN_CONCURRENCY", settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        )
        self.delay = settings.getfloat("DOWNLOAD_DELAY", 0.0)
        self.ttl = settings.getfloat("DOWNLOAD_TIMEOUT", 30.0) + 15.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FleetPolitenessMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request, spider: Any = None) -> None:
        spider = self.crawler.spider
        if not isinstance(spider, WorkerSpider):
            return
        from twisted.internet import reactor  # the installed one (never at import time)

        domain = host_of(request.url)
        lease = f"{spider.worker}:{id(request)}:{time.monotonic_ns()}"
        delay = max(self.delay, float(request.meta.get("pressbox_delay") or 0.0))
        while True:
            wait = spider.frontier.acquire(domain, self.limit, delay, self.ttl, lease)
            if wait <= 0:
                break
            await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
        request.meta["pressbox_slot"] = (domain, lease)

    def _release(self, request: Request) -> None:
        spider = self.crawler.spider
        slot = request.meta.pop("pressbox_slot", None)
        if slot is not None and isinstance(spider, WorkerSpider):
            spider.frontier.release_slot(*slot)

    def process_response(self, request: Request, response: Any, spider: Any = None) -> Any:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        self._release(request)


#: Settings a worker adds to the project's (see :func:`pressbox.distributed.run_worker`).
WORKER_SETTINGS: dict[str, Any] = {
    "SCHEDULER": "crawler.distributed.FrontierScheduler",
    "SCHEDULER_PERSIST": True,
    "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",  # unused: runs filter by URL
    "ITEM_PIPELINES": {"crawler.distributed.DistributedPipeline": 300},
    "DOWNLOADER_MIDDLEWARES": {
        "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
        "crawler.middlewares.BackoffRetryMiddleware": 550,
        "crawler.distributed.FleetPolitenessMiddleware": 950,
    },
}
