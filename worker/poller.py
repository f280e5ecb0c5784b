"""What is due, what is new, enqueue: the poller.

Each feed runs on its own clock, kept in Redis (``keys.feed_state(name)``) so
that a restart or a second poller continues the schedule: a feed is due when
it was never polled or its interval (plus a little jitter, except in a ``--once``
tick) has passed, unless
it is held back by error backoff (exponential, capped, never giving up) or a
Retry-After. A per-feed lease (``SET NX PX``) keeps several pollers from
polling one feed at once.

An article is recorded as seen only after its job is queued, so a crash
between the two re-queues it (the job id makes that harmless) instead of
losing it. What only recognises a feed item again (the version seen of an
article id, the id that first carried a fingerprint, an undated item's first
sighting) expires after ``seen_ttl`` seconds (``TRANSFERWATCH_SEEN_DAYS``,
longer than any feed keeps an item), so this state stays bounded.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import redis
import structlog
from redis.typing import EncodableT, FieldT

from alerts.horizon import Horizon
from alerts.ledger import Ledger
from worker.entries import Entry, page_text, parse_feed, with_text
from worker.feeds import FeedConfig, FeedsWatcher
from worker.fetch import PAGE_ACCEPT, Fetcher, FetchResult
from worker.heartbeats import beat, instance_name
from worker.jobs import RESULT_TTL, enqueue_articles, make_queue
from worker.keys import Keys
from worker.settings import DEFAULT_SEEN_TTL

log = structlog.get_logger(__name__)

FULL_TEXT_BELOW = 500  # characters: a body shorter than this is worth the article page
FULL_TEXT_PER_POLL = 20

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


@dataclass
class FeedOutcome:
    """What one feed poll did; summed into a :class:`TickReport`."""

    feed: str
    polled: bool = False
    skipped: str | None = None  # "leased" (another poller has it) or "not_due"
    status: int | None = None
    error: str | None = None
    articles_seen: int = 0
    articles_new: int = 0
    duplicates: int = 0
    irrelevant: int = 0
    job_ids: list[str] = field(default_factory=list)


@dataclass
class TickReport:
    feeds_due: int = 0
    feeds_polled: int = 0
    feeds_not_modified: int = 0
    feeds_failed: int = 0
    feeds_skipped: int = 0
    articles_seen: int = 0
    articles_new: int = 0
    articles_duplicate: int = 0
    articles_irrelevant: int = 0
    job_ids: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, outcome: FeedOutcome) -> None:
        if outcome.skipped:
            self.feeds_skipped += 1
            return
        self.feeds_polled += outcome.polled
        self.feeds_not_modified += outcome.status == 304
        if outcome.error:
            self.feeds_failed += 1
            self.failures[outcome.feed] = outcome.error
        self.articles_seen += outcome.articles_seen
        self.articles_new += outcome.articles_new
        self.articles_duplicate += outcome.duplicates
        self.articles_irrelevant += outcome.irrelevant
        self.job_ids.extend(outcome.job_ids)


def relevance_gate_filter() -> Callable[[str], bool]:
    """The extractor's cheap relevance check (no spaCy), applied before an article becomes a job."""
    from worker.extract.relevance import RelevanceFilter
    from worker.extract.rules import load_patterns

    return RelevanceFilter(load_patterns())


def _decode(raw: dict[Any, Any]) -> dict[str, str]:
    return {
        (k.decode() if isinstance(k, bytes) else k): (v.decode("utf-8", "replace") if isinstance(v, bytes) else v)
        for k, v in raw.items()
    }


def _float(value: str | None, default: float = 0.0) -> float:
    try:
        return float(value) if value not in (None, "") else default
    except ValueError:
        return default


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds")


def next_due(state: dict[str, str], feed: FeedConfig, jitter: bool = True) -> float:
    """Unix time at which ``feed`` is due, from its Redis state (0: due now).

    The interval comes from the current config, so an edited interval takes
    effect at once; a hold (backoff, Retry-After, 410) comes from the state.
    A changed URL is a new feed: due now. The jitter (up to 10% of the interval,
    spreading a long-running poller's requests) is left out of a ``--once`` tick,
    where a feed is due as soon as its interval has passed (contracts.md).
    """
    if not state.get("last_attempt") or state.get("url") != feed.url:
        return 0.0
    regular = _float(state.get("last_attempt")) + feed.interval + (_float(state.get("jitter")) if jitter else 0.0)
    return max(regular, _float(state.get("hold_until")))


class Poller:
    """Polls every due feed of ``feeds_path`` concurrently and queues new articles."""

    def __init__(
        self,
        connection: redis.Redis,
        keys: Keys,
        feeds_path: Path,
        *,
        queue=None,
        concurrency: int = 32,
        fetcher: Fetcher | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 20.0,
        total_timeout: float = 60.0,
        max_bytes: int = 10 * 1024 * 1024,
        max_redirects: int = 5,
        backoff_cap: float = 6 * 3600.0,
        permanent_delay: float = 24 * 3600.0,
        seen_ttl: int = DEFAULT_SEEN_TTL,
        result_ttl: int = RESULT_TTL,
        max_entries: int = 500,
        tick_seconds: float = 2.0,
        relevance_gate: bool = True,
        clock: Callable[[], float] = time.time,
    ):
        self.connection = connection
        self.keys = keys
        self.watcher = FeedsWatcher(Path(feeds_path))  # raises ConfigError: a bad file at start is exit 2
        self.queue = queue if queue is not None else make_queue(connection, keys)
        self.fetcher = fetcher or Fetcher(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            total_timeout=total_timeout,
            max_bytes=max_bytes,
            max_redirects=max_redirects,
            max_connections=concurrency,
        )
        self._own_fetcher = fetcher is None
        self.backoff_cap = backoff_cap
        self.permanent_delay = permanent_delay
        self.seen_ttl = seen_ttl
        self.result_ttl = result_ttl  # how long RQ keeps a finished job (see worker/jobs.py)
        self.max_entries = max_entries
        self.tick_seconds = tick_seconds
        self.relevance = relevance_gate_filter() if relevance_gate else None
        self.clock = clock
        self.lease_ms = int((self.fetcher.total_timeout * (2 + FULL_TEXT_PER_POLL) + 30) * 1000)
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="poll")
        self._inflight: dict[str, Future[FeedOutcome]] = {}
        self._release = connection.register_script(_RELEASE)
        self.horizon = Horizon(connection, keys)
        self.ledger = Ledger(connection, keys)  # only settles here: the seen window is the workers' concern
        self._random = random.Random()

    @property
    def feeds(self) -> list[FeedConfig]:
        return self.watcher.feeds

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        if self._own_fetcher:
            self.fetcher.close()

    def __enter__(self) -> Poller:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- ticks -------------------------------------------------------------

    def tick(self, once: bool = False) -> TickReport:
        """Reload feeds.yaml if it changed, poll every due feed, wait for them all. ``once``: the
        single tick of ``--once``, where the jitter does not delay a feed whose interval has passed."""
        started = time.monotonic()
        futures = self._launch_due(jitter=not once)
        wait(futures)
        report = TickReport(feeds_due=len(futures))
        for future in futures:
            report.add(self._outcome(future))
        report.seconds = time.monotonic() - started
        self._forget_done()
        return report

    def run(self, stop: threading.Event) -> None:
        """Tick every ``tick_seconds`` until ``stop`` is set; a slow feed never delays the others."""
        log.info("poller_started", feeds=len(self.feeds), file=str(self.watcher.path))
        name = instance_name("poller")
        while not stop.is_set():
            try:
                beat(self.connection, self.keys, "poller", name)
                self._launch_due()
            except redis.RedisError as exc:
                log.warning("poller_tick_failed", error=str(exc))
            except Exception:  # noqa: BLE001 - the poller must outlive a bug in one tick
                log.exception("poller_tick_crashed")
            self._harvest()
            stop.wait(self.tick_seconds)
        pending = list(self._inflight.values())
        if pending:
            log.info("poller_stopping", in_flight=len(pending))
            wait(pending)
        self._harvest()
        log.info("poller_stopped")

    def _harvest(self) -> None:
        """Summarise the polls that finished since the last tick (one info line when anything happened)."""
        report = TickReport()
        for name, future in list(self._inflight.items()):
            if future.done():
                report.add(self._outcome(future))
                del self._inflight[name]
        if report.feeds_polled:
            log.info(
                "poll_tick",
                polled=report.feeds_polled,
                not_modified=report.feeds_not_modified,
                failed=report.feeds_failed,
                new_articles=report.articles_new,
            )

    def _forget_done(self) -> None:
        for name, future in list(self._inflight.items()):
            if future.done():
                del self._inflight[name]

    @staticmethod
    def _outcome(future: Future[FeedOutcome]) -> FeedOutcome:
        return future.result()  # _poll_feed never raises

    def _launch_due(self, jitter: bool = True) -> list[Future[FeedOutcome]]:
        self.watcher.check()
        feeds = [f for f in self.feeds if f.enabled and f.name not in self._inflight]
        if not feeds:
            return []
        pipe = self.connection.pipeline(transaction=False)
        for feed in feeds:
            pipe.hgetall(self.keys.feed_state(feed.name))
        states = [_decode(raw) for raw in pipe.execute()]
        now = self.clock()
        futures = []
        for feed, state in zip(feeds, states, strict=True):
            if next_due(state, feed, jitter) <= now:
                future = self._pool.submit(self._poll_feed, feed, jitter)
                self._inflight[feed.name] = future
                futures.append(future)
        return futures

    # --- one feed ----------------------------------------------------------

    def _poll_feed(self, feed: FeedConfig, jitter: bool = True) -> FeedOutcome:
        """Lease, re-check, fetch, parse, enqueue, record; never raises."""
        flog = log.bind(feed=feed.name)
        lease_key = self.keys.feed_lease(feed.name)
        token = uuid.uuid4().hex
        outcome = FeedOutcome(feed=feed.name)
        with structlog.contextvars.bound_contextvars(feed=feed.name):
            try:
                pipe = self.connection.pipeline(transaction=False)  # lease and fresh state in one round trip
                pipe.set(lease_key, token, nx=True, px=self.lease_ms)
                pipe.hgetall(self.keys.feed_state(feed.name))
                leased, raw_state = pipe.execute()
                if not leased:
                    outcome.skipped = "leased"
                    return outcome
                try:
                    state = _decode(raw_state)
                    if next_due(state, feed, jitter) > self.clock():  # another poller just did it
                        outcome.skipped = "not_due"
                        return outcome
                    # the ledger settles nothing while articles of this poll may still be on their way to flight
                    self.horizon.hold(f"{feed.name}:{token}", self.lease_ms / 1000)
                    try:
                        self._poll_leased(feed, state, outcome, flog)
                    finally:
                        self.horizon.release(f"{feed.name}:{token}")
                    self.ledger.settle()  # what waited for this poll
                finally:
                    self._release(keys=[lease_key], args=[token])
            except redis.RedisError as exc:
                outcome.error = f"redis: {exc}"
                flog.warning("feed_poll_failed", url=feed.url, error=outcome.error)
            except Exception as exc:  # noqa: BLE001 - one feed's bug must not stop the others
                outcome.error = f"{type(exc).__name__}: {exc}"
                flog.exception("feed_poll_crashed", url=feed.url)
        return outcome

    def _poll_leased(self, feed: FeedConfig, state: dict[str, str], outcome: FeedOutcome, flog) -> None:
        same_url = state.get("url") == feed.url
        result = self.fetcher.fetch(
            feed.url,
            etag=state.get("etag") if same_url else None,
            last_modified=state.get("last_modified") if same_url else None,
        )
        outcome.polled = True
        outcome.status = result.status
        if result.not_modified:
            self._record_success(feed, result, outcome, items_seen=None, source=None)
            flog.debug("feed_not_modified", status=304, seconds=round(result.elapsed, 3))
            return
        if not result.ok:
            self._record_failure(feed, result.error or "http_status", result.message, result, outcome, flog)
            return
        parsed = parse_feed(result.body, feed_name=feed.name, base_url=result.final_url, headers=result.headers)
        if not parsed.is_feed:
            message = f"not an RSS or Atom feed ({result.headers.get('content-type', 'no content type')})"
            self._record_failure(feed, "not_a_feed", message, result, outcome, flog)
            return
        if parsed.bozo:
            flog.debug("feed_malformed_but_readable", reason=parsed.bozo, entries=len(parsed.entries))
        outcome.articles_seen = len(parsed.entries)
        self._queue_new(feed, parsed.entries[: self.max_entries], outcome, flog)
        self._record_success(feed, result, outcome, items_seen=len(parsed.entries), source=parsed.title)
        if outcome.articles_new:
            flog.info("feed_polled", status=result.status, entries=len(parsed.entries), new_articles=outcome.articles_new)
        else:
            flog.debug("feed_polled", status=result.status, entries=len(parsed.entries), new_articles=0)

    # --- new articles ------------------------------------------------------

    def _queue_new(self, feed: FeedConfig, entries: list[Entry], outcome: FeedOutcome, flog) -> None:
        """Queue entries whose id is unseen or whose body changed, in batches; same story elsewhere counts once."""
        if not entries:
            return
        conn = self.connection
        pipe = conn.pipeline(transaction=False)
        for entry in entries:
            pipe.get(self.keys.seen_article(entry.article["id"]))
        seen_versions = [v.decode() if isinstance(v, bytes) else v for v in pipe.execute()]
        candidates = [(e, seen) for e, seen in zip(entries, seen_versions, strict=True) if seen != e.article["version"]]
        candidates.sort(key=lambda pair: pair[0].article["published"])  # oldest first: the ledger sees history in order
        full_text_budget = FULL_TEXT_PER_POLL
        ready: list[tuple[dict[str, Any], str]] = []  # (article as queued, the feed's version of it)
        for entry, seen in candidates:
            article = entry.article
            feed_version = article["version"]
            if not self._claim_fingerprint(article, is_new=seen is None):
                outcome.duplicates += 1
                conn.set(self.keys.seen_article(article["id"]), feed_version, ex=self.seen_ttl)
                continue
            if not entry.dated:
                article = self._first_seen(article)
            if feed.full_text and full_text_budget > 0 and len(article["text"]) < FULL_TEXT_BELOW and article["url"]:
                full_text_budget -= 1
                article = self._with_page_text(article, flog)
            if self.relevance is not None and not self.relevance(f"{article['title']}\n{article['text']}"):
                # cannot hold a Russia-North Korea transfer: no job (the extractor would find nothing)
                outcome.irrelevant += 1
                conn.set(self.keys.seen_article(article["id"]), feed_version, ex=self.seen_ttl)
                continue
            ready.append((article, feed_version))
        versions = {article["id"]: version for article, version in ready}
        for job, batch in enqueue_articles(self.queue, self.keys, [article for article, _ in ready],
                                           result_ttl=self.result_ttl):
            if job is not None:
                outcome.job_ids.append(job.id)
                outcome.articles_new += len(batch)
            # seen only now that the batch is queued: a crash before this re-queues, never loses
            pipe = conn.pipeline(transaction=False)
            for article in batch:
                pipe.set(self.keys.seen_article(article["id"]), versions[article["id"]], ex=self.seen_ttl)
            pipe.execute()

    def _claim_fingerprint(self, article: dict[str, Any], *, is_new: bool) -> bool:
        """True unless another article already carries this story (only new ids are checked)."""
        key = self.keys.seen_fingerprint(article["fingerprint"])
        if self.connection.set(key, article["id"], nx=True, ex=self.seen_ttl):
            return True
        if not is_new:
            return True  # a known article's corrected body is processed again
        owner = self.connection.get(key)
        owner = owner.decode() if isinstance(owner, bytes) else owner
        return owner in (None, article["id"])

    def _first_seen(self, article: dict[str, Any]) -> dict[str, Any]:
        """An undated entry keeps the time it was first seen, across body changes."""
        key = self.keys.first_seen(article["id"])
        self.connection.set(key, article["published"], nx=True, ex=self.seen_ttl)
        first = self.connection.get(key)
        first = first.decode() if isinstance(first, bytes) else first
        return dict(article, published=first or article["published"])

    def _with_page_text(self, article: dict[str, Any], flog) -> dict[str, Any]:
        result = self.fetcher.fetch(article["url"], accept=PAGE_ACCEPT)
        if not result.ok:
            flog.info("full_text_unavailable", url=article["url"], error=result.message)
            return article
        text = page_text(result.body, result.headers.get("content-type", ""))
        return with_text(article, text) if len(text) > len(article["text"]) else article

    # --- state -------------------------------------------------------------

    def _jitter(self, interval: float) -> float:
        return self._random.uniform(0, min(interval * 0.1, 120.0))

    def _record_success(self, feed: FeedConfig, result: FetchResult, outcome: FeedOutcome,
                        items_seen: int | None, source: str | None) -> None:
        now = self.clock()
        jitter = self._jitter(feed.interval)
        mapping: dict[FieldT, EncodableT] = {
            "url": feed.url,
            "last_attempt": now,
            "jitter": jitter,
            "hold_until": 0,
            "next_poll": now + feed.interval + jitter,
            "last_success": _iso(now),
            "last_status": result.status or "",
            "error_count": 0,
            "permanent": 0,
        }
        if items_seen is not None:
            mapping["items_seen"] = items_seen
        if source:
            mapping["source"] = source
        stale: list[str] = ["retry_after_until"]
        for field_name, value in (("etag", result.etag), ("last_modified", result.last_modified)):
            if value:
                mapping[field_name] = value
            elif result.status == 200:
                stale.append(field_name)  # a 200 without a validator: the old one no longer applies
        key = self.keys.feed_state(feed.name)
        pipe = self.connection.pipeline(transaction=True)
        pipe.hset(key, mapping=mapping)
        pipe.hdel(key, *stale)
        if outcome.articles_new:
            pipe.hincrby(key, "articles_queued", outcome.articles_new)
        pipe.sadd(self.keys.feeds_index, feed.name)
        pipe.execute()

    def backoff(self, feed: FeedConfig, error_count: int) -> float:
        """Seconds before the next try after ``error_count`` failures in a row: doubling, capped, never infinite."""
        cap = max(self.backoff_cap, float(feed.interval))
        return min(cap, feed.interval * 2 ** max(error_count - 1, 0))

    def _record_failure(self, feed: FeedConfig, kind: str, message: str, result: FetchResult,
                        outcome: FeedOutcome, flog) -> None:
        now = self.clock()
        key = self.keys.feed_state(feed.name)
        error_count = int(self.connection.hincrby(key, "error_count", 1))
        delay = self.backoff(feed, error_count) * self._random.uniform(1.0, 1.1)
        if result.permanent:
            delay = max(delay, self.permanent_delay)
        mapping: dict[FieldT, EncodableT] = {
            "url": feed.url,
            "last_attempt": now,
            "jitter": 0,
            "last_error": message,
            "last_error_at": _iso(now),
            "error_kind": kind,
            "last_status": result.status or kind,
            "permanent": int(result.permanent),
        }
        if result.retry_after is not None:
            delay = max(delay, result.retry_after)
            mapping["retry_after_until"] = now + result.retry_after
        mapping["hold_until"] = now + delay
        mapping["next_poll"] = now + delay
        pipe = self.connection.pipeline(transaction=True)
        pipe.hset(key, mapping=mapping)
        pipe.sadd(self.keys.feeds_index, feed.name)
        pipe.execute()
        outcome.error = message
        flog.warning(
            "feed_fetch_failed",
            url=feed.url,
            error=message,
            kind=kind,
            status=result.status,
            errors_in_a_row=error_count,
            retry_in=round(delay),
            permanent=result.permanent or None,
        )


def feed_states(connection: redis.Redis, keys: Keys, names: Iterable[str]) -> dict[str, dict[str, str]]:
    """Every named feed's Redis state in one round trip (for ``feeds list``)."""
    names = list(names)
    pipe = connection.pipeline(transaction=False)
    for name in names:
        pipe.hgetall(keys.feed_state(name))
    return {name: _decode(raw) for name, raw in zip(names, pipe.execute(), strict=True)}
