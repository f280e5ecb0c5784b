"""How far the ledger may settle: articles in flight and pollers' holds.

The ledger settles a metric's pending entries oldest first (``settle.lua``),
but only those published before every article that may still be recorded:

* an article is *in flight* from just before it is queued (the poller, or a
  requeue) until a worker records it (``record.lua`` takes it out) or its job
  fails for good (the job's failure callback, :func:`worker.jobs.job_failed`).
  A job a killed worker had taken is retried, so its articles stay in flight;
* a poller gathering a feed's articles *holds* settling (they are not in
  flight yet); a hold expires on its own, so a dead poller does not hold for
  ever.

In flight: a sorted set of ``id:version`` scored by publication time; holds: a
sorted set of hold names scored by when they expire (ms, Redis's clock).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

import redis

from alerts.rules import RejectedEvent, parse_published
from worker.keys import Keys


@cache
def _track_source() -> str:
    return resources.files("alerts").joinpath("track.lua").read_text(encoding="utf-8")


def member(article: dict[str, Any]) -> str:
    """An article's name in flight: its id and body version."""
    return f"{article.get('id')}:{article.get('version') or ''}"


def published_ts(article: dict[str, Any]) -> float | None:
    """The article's publication time (POSIX seconds), ``None`` when it has none the ledger accepts."""
    try:
        return parse_published(article.get("published")).timestamp()
    except RejectedEvent:
        return None


class Horizon:
    """In-flight articles and settling holds; see the module docstring."""

    def __init__(self, connection: redis.Redis, keys: Keys):
        self.connection = connection
        self.keys = keys
        self._track = connection.register_script(_track_source())

    def track(self, articles: Iterable[dict[str, Any]]) -> list[str]:
        """Put articles in flight, before they are queued; returns the members added.

        An article without an accepted publication time records nothing, so it
        holds nothing back; one whose version was already recorded is left out.
        """
        keys_ = [self.keys.ledger_inflight]
        args: list[str | float] = []
        for article in articles:
            ts = published_ts(article)
            if ts is not None:
                keys_.append(self.keys.processed_article(str(article.get("id"))))
                args += [member(article), repr(ts), str(article.get("version") or "")]
        if len(keys_) == 1:
            return []
        return [m.decode() if isinstance(m, bytes) else m for m in self._track(keys=keys_, args=args)]

    def forget(self, articles: Iterable[dict[str, Any]]) -> None:
        """The articles will not be recorded (their job failed for good): later entries need not wait for them."""
        members = [member(a) for a in articles]
        if members:
            self.connection.zrem(self.keys.ledger_inflight, *members)

    def in_flight(self) -> list[tuple[str, float]]:
        """Articles in flight, oldest first, with their publication times."""
        pairs: list[tuple[bytes | str, float]] = self.connection.zrange(  # type: ignore[assignment]
            self.keys.ledger_inflight, 0, -1, withscores=True)
        return [(m.decode() if isinstance(m, bytes) else m, float(score)) for m, score in pairs]

    def hold(self, name: str, seconds: float) -> None:
        """Hold settling for at most ``seconds`` (until :meth:`release`)."""
        now_s, now_us = self.connection.time()
        self.connection.zadd(self.keys.ledger_holds, {name: now_s * 1000 + now_us // 1000 + int(seconds * 1000)})

    def release(self, name: str) -> None:
        self.connection.zrem(self.keys.ledger_holds, name)
