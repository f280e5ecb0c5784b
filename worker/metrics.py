"""Prometheus metrics, read from Redis at scrape time.

Pollers, workers and dispatchers run in different processes (and machines), so
counters live in Redis (one hash, ``Keys.stats``, plus the per-feed and
per-subscription state the components keep anyway) and one collector turns
them into metrics when Prometheus scrapes. Off by default; on with
``TRANSFERWATCH_METRICS_PORT`` or ``transferwatch run --metrics-port``.
"""

from __future__ import annotations

from collections.abc import Iterator

import redis
import structlog
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import CollectorRegistry

from worker.keys import Keys

log = structlog.get_logger(__name__)

# counter name in the stats hash -> help text
COUNTERS = {
    "articles_processed": "Articles the workers finished processing.",
    "articles_failed": "Articles whose processing raised an error (each try counts).",
    "events_extracted": "Transfer events extracted from articles.",
    "alerts_raised": "Alerts raised by the ledger.",
    "job_seconds": "Seconds spent in article jobs (divide by articles_processed for the mean time per article).",
}


def count(connection: redis.Redis | redis.client.Pipeline, keys: Keys, **increments: float) -> None:
    """Add to the shared counters; never lets a metrics failure break the caller."""
    try:
        pipe = connection.pipeline(transaction=False) if isinstance(connection, redis.Redis) else connection
        for name, amount in increments.items():
            if isinstance(amount, float) and not amount.is_integer():
                pipe.hincrbyfloat(keys.stats, name, amount)
            else:
                pipe.hincrby(keys.stats, name, int(amount))
        if isinstance(connection, redis.Redis):
            pipe.execute()
    except redis.RedisError as exc:
        log.warning("metrics_count_failed", error=str(exc))


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisCollector:
    """A prometheus_client collector reading the service's state from Redis on every scrape."""

    def __init__(self, connection: redis.Redis, keys: Keys):
        self.connection = connection
        self.keys = keys

    def collect(self) -> Iterator[Metric]:
        from rq.registry import FailedJobRegistry

        from alerts.subscriptions import Subscriptions
        from worker.jobs import make_queue

        stats = {_text(k): float(v) for k, v in self.connection.hgetall(self.keys.stats).items()}
        for name, help_text in COUNTERS.items():
            yield CounterMetricFamily(f"transferwatch_{name}", help_text, value=stats.get(name, 0.0))

        queue = make_queue(self.connection, self.keys)
        depth = GaugeMetricFamily("transferwatch_queue_depth", "Articles waiting in the queue.")
        depth.add_metric([], queue.count)
        yield depth
        failed = GaugeMetricFamily("transferwatch_failed_jobs", "Article jobs in RQ's failed registry.")
        failed.add_metric([], FailedJobRegistry(queue=queue).count)
        yield failed

        queued = CounterMetricFamily("transferwatch_articles_queued", "Articles queued per feed.", labels=["feed"])
        errors = GaugeMetricFamily("transferwatch_feed_errors_in_a_row", "Failed polls in a row per feed.", labels=["feed"])
        for raw_name in self.connection.smembers(self.keys.feeds_index):
            name = _text(raw_name)
            state = {_text(k): _text(v) for k, v in self.connection.hgetall(self.keys.feed_state(name)).items()}
            queued.add_metric([name], float(state.get("articles_queued") or 0))
            errors.add_metric([name], float(state.get("error_count") or 0))
        yield queued
        yield errors

        delivered = CounterMetricFamily("transferwatch_alerts_delivered", "Alerts delivered per subscription.",
                                        labels=["subscription"])
        dead = GaugeMetricFamily("transferwatch_alerts_dead", "Dead-lettered alerts per subscription.", labels=["subscription"])
        subscriptions = Subscriptions(self.connection, self.keys)
        for sub in subscriptions.all():
            s = subscriptions.stats(sub.name)
            delivered.add_metric([sub.name], float(s["delivered"]))
            dead.add_metric([sub.name], float(s["dead"]))
        yield delivered
        yield dead


def serve(port: int, connection: redis.Redis, keys: Keys, addr: str = "127.0.0.1"):
    """Start the /metrics HTTP endpoint in a daemon thread; returns the server."""
    from prometheus_client import start_http_server

    registry = CollectorRegistry()
    registry.register(RedisCollector(connection, keys))
    server, _thread = start_http_server(port, addr=addr, registry=registry)
    log.info("metrics_serving", url=f"http://{addr}:{server.server_port}/metrics")
    return server
