"""Every Redis name the project uses, built in one place from ``TRANSFERWATCH_PREFIX``.

The names marked *contract* are relied on by outside tools (``contracts.md``).
RQ keeps its own bookkeeping (queues, jobs, registries, workers) under ``P:rq``
(see ``use_rq_prefix``), so every key and channel carries the prefix and
deployments sharing one Redis never see each other's jobs.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

_JOB_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class Keys:
    prefix: str = "transferwatch"

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    @property
    def rq_prefix(self) -> str:
        """Where RQ keeps its own keys and pub/sub channels: ``P:rq`` (``P:rq:job:...``, ``P:rq:workers``)."""
        return self.key("rq")

    def scan_patterns(self, rq_prefix: str) -> tuple[str, str]:
        """SCAN patterns of every key of this deployment: ours (``P:*``) and RQ's that name our queue.

        ``rq_prefix`` is the prefix RQ uses in this process (:func:`rq_key_prefix`): ``P:rq`` unless
        ``RQ_KEY_PREFIX`` was set (the tests share one).
        """
        return self.key("*"), f"{rq_prefix}:*{self.prefix}*"

    def rq_job_patterns(self, rq_prefix: str) -> tuple[str, str]:
        """SCAN patterns of RQ's job hashes and job results for our queue (``rq_prefix`` as in :meth:`scan_patterns`)."""
        return f"{rq_prefix}:job:*{self.prefix}*", f"{rq_prefix}:results:*{self.prefix}*"

    # --- alerts (contract) -------------------------------------------------
    @property
    def alerts_stream(self) -> str:
        """Redis Stream of every alert; field ``data`` holds the JSON. (contract)"""
        return self.key("alerts")

    @property
    def alerts_channel(self) -> str:
        """Pub/sub channel of every alert. (contract)"""
        return self.key("alerts")

    def alerts_category_channel(self, category: str) -> str:
        """Pub/sub channel of one category's alerts. (contract)"""
        return self.key("alerts", category)

    # --- queue and jobs ----------------------------------------------------
    @property
    def queue_name(self) -> str:
        return self.key("articles")

    def job_id(self, article_id: str, version: str = "") -> str:
        """RQ job ids allow only ``[A-Za-z0-9_-]``; the same article (and body version) gives the same id."""
        raw = f"{self.prefix}-article-{article_id}" + (f"-{version}" if version else "")
        return _JOB_ID_UNSAFE.sub("_", raw)

    def batch_job_id(self, digest: str) -> str:
        """Job id of a batch of several articles; ``digest`` is derived from their ids and versions."""
        return _JOB_ID_UNSAFE.sub("_", f"{self.prefix}-batch-{digest}")

    # --- poller ------------------------------------------------------------
    def feed_state(self, feed_name: str) -> str:
        """Hash: per-feed schedule and health (etag, last_modified, next_poll, errors...)."""
        return self.key("feed", feed_name)

    @property
    def feeds_index(self) -> str:
        """Set of feed names that have state."""
        return self.key("feeds")

    def feed_lease(self, feed_name: str) -> str:
        return self.key("lease", "feed", feed_name)

    def seen_article(self, article_id: str) -> str:
        """String: content hash of an article id already queued."""
        return self.key("seen", article_id)

    def seen_fingerprint(self, fingerprint: str) -> str:
        """String: article id that first carried this content fingerprint."""
        return self.key("fp", fingerprint)

    def first_seen(self, article_id: str) -> str:
        """String: when an undated article was first seen (its publication time)."""
        return self.key("firstseen", article_id)

    # --- ledger ------------------------------------------------------------
    @property
    def metrics_index(self) -> str:
        return self.key("metrics")

    def metric(self, metric_id: str) -> str:
        return self.key("metric", metric_id)

    def metric_history(self, metric_id: str) -> str:
        return self.key("history", metric_id)

    def processed_article(self, article_id: str) -> str:
        return self.key("processed", article_id)

    def ledger_pending(self, metric_id: str) -> str:
        """Sorted set: a metric's recorded events not yet settled, by publication time (``alerts/ledger.py``)."""
        return self.key("pending", metric_id)

    @property
    def ledger_dirty(self) -> str:
        """Set: ids of the metrics with pending events."""
        return self.key("pending-metrics")

    @property
    def ledger_inflight(self) -> str:
        """Sorted set: articles queued and not yet recorded (``id:version``), by publication time (``alerts/horizon.py``)."""
        return self.key("inflight")

    @property
    def ledger_holds(self) -> str:
        """Sorted set: pollers gathering articles (one member per feed poll), by when the hold expires (ms)."""
        return self.key("holds")

    @property
    def alert_ids(self) -> str:
        """Set: every alert id ever raised."""
        return self.key("alert-ids")

    # --- delivery ----------------------------------------------------------
    @property
    def subscriptions(self) -> str:
        return self.key("subscriptions")

    @property
    def dispatch_group(self) -> str:
        return "dispatch"

    def dead_letters(self, subscription: str) -> str:
        return self.key("dead", subscription)

    def deliveries(self, subscription: str) -> str:
        return self.key("deliveries", subscription)

    def dispatch_due(self, subscription: str) -> str:
        """Sorted set: alert id -> when to (re)try its delivery, ms."""
        return self.key("dispatch", "due", subscription)

    def dispatch_pending(self, subscription: str) -> str:
        """Hash: alert id -> what is still to deliver."""
        return self.key("dispatch", "pending", subscription)

    def dispatch_attempts(self, subscription: str) -> str:
        """Hash: alert id -> attempts made so far."""
        return self.key("dispatch", "attempts", subscription)

    def dispatch_stats(self, subscription: str) -> str:
        """Hash: one subscription's delivery counters and last error."""
        return self.key("dispatch", "stats", subscription)

    # --- operations --------------------------------------------------------
    @property
    def stats(self) -> str:
        """Hash: the service's counters, read by the Prometheus collector (``worker/metrics.py``)."""
        return self.key("stats")

    def heartbeat(self, role: str, name: str) -> str:
        return self.key("heartbeat", role, name)

    def lock(self, name: str) -> str:
        return self.key("lock", name)


def use_rq_prefix(keys: Keys) -> None:
    """Put RQ's own keys under our prefix. RQ names them from ``RQ_KEY_PREFIX``, read once when rq is
    first imported, so this runs before that (the CLI does it first thing); an ``RQ_KEY_PREFIX`` already
    in the environment wins (processes that must share RQ's keys across prefixes, as the tests do)."""
    os.environ.setdefault("RQ_KEY_PREFIX", keys.rq_prefix)


def rq_key_prefix() -> str:
    """The prefix RQ uses in this process (``rq`` unless ``RQ_KEY_PREFIX`` was set before rq was imported)."""
    from rq.defaults import RQ_KEY_PREFIX

    return RQ_KEY_PREFIX
