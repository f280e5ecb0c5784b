"""What a deployment keeps in Redis: the bytes of its keys, by family, for the state and soak benchmarks.

The figure is the sum of ``MEMORY USAGE key SAMPLES 0`` (exact, every element
counted) over every key of the deployment: ours (``P:*``) and RQ's that name
our queue (``Keys.scan_patterns``). It leaves out what Redis spends on itself
(``used_memory`` also counts buffers, scripts and the allocator's slack), so it
is what grows with the articles processed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

import redis

from worker.keys import Keys


def families(keys: Keys, rq_prefix: str) -> list[str]:
    """Glob patterns of the key families, most specific first (a key belongs to the first that matches)."""
    return [
        # what only recognises a feed item again: expires after the seen window (worker/poller.py)
        keys.seen_article("*"), keys.seen_fingerprint("*"), keys.first_seen("*"),
        # the ledger's
        keys.processed_article("*"), keys.metric("*"), keys.metric_history("*"), keys.ledger_pending("*"),
        keys.ledger_inflight, keys.ledger_dirty, keys.ledger_holds, keys.alert_ids, keys.alerts_stream,
        keys.metrics_index,
        # RQ's: job hashes and their results expire (worker/jobs.py), the rest is registries and queues
        *keys.rq_job_patterns(rq_prefix), keys.scan_patterns(rq_prefix)[1],
        keys.scan_patterns(rq_prefix)[0],  # the rest of ours
    ]


def family_of(key: str, patterns: list[str]) -> str:
    return next((p for p in patterns if fnmatchcase(key, p)), key)


@dataclass
class Footprint:
    """Bytes and key counts per family."""

    bytes_by_family: dict[str, int] = field(default_factory=dict)
    keys_by_family: dict[str, int] = field(default_factory=dict)

    @property
    def total_bytes(self) -> int:
        return sum(self.bytes_by_family.values())

    @property
    def total_keys(self) -> int:
        return sum(self.keys_by_family.values())

    def biggest(self, n: int = 8) -> list[tuple[str, int, int]]:
        """The ``n`` families that keep the most bytes: (pattern, keys, bytes)."""
        ranked = sorted(self.bytes_by_family.items(), key=lambda kv: -kv[1])[:n]
        return [(name, self.keys_by_family[name], size) for name, size in ranked]

    def table(self, per: int, n: int = 8) -> list[str]:
        """The biggest families as lines, with bytes per ``per`` articles."""
        return [f"  {name:<44} {count:>8} keys {size:>12,} bytes {size / per:>8.1f} per article"
                for name, count, size in self.biggest(n)]


def deployment_keys(client: redis.Redis, keys: Keys, rq_prefix: str) -> list[str]:
    """Every key of the deployment (the two SCAN patterns overlap when RQ's prefix is under ours)."""
    found: set[str] = set()
    for pattern in keys.scan_patterns(rq_prefix):
        found.update(k.decode() if isinstance(k, bytes) else k for k in client.scan_iter(match=pattern, count=5000))
    return sorted(found)


def measure(client: redis.Redis, keys: Keys, rq_prefix: str, chunk: int = 5000) -> Footprint:
    """The deployment's keys now, by family. A key that expires between SCAN and MEMORY USAGE counts nothing."""
    patterns = families(keys, rq_prefix)
    names = deployment_keys(client, keys, rq_prefix)
    footprint = Footprint()
    for start in range(0, len(names), chunk):
        part = names[start:start + chunk]
        pipe = client.pipeline(transaction=False)
        for name in part:
            pipe.memory_usage(name, samples=0)
        for name, size in zip(part, pipe.execute(), strict=True):
            if size is None:
                continue
            family = family_of(name, patterns)
            footprint.bytes_by_family[family] = footprint.bytes_by_family.get(family, 0) + int(size)
            footprint.keys_by_family[family] = footprint.keys_by_family.get(family, 0) + 1
    return footprint


def expiring_left(client: redis.Redis, keys: Keys, rq_prefix: str) -> int:
    """How many keys of the families that expire by design are still there (seen markers, RQ's finished jobs)."""
    count = 0
    for pattern in (keys.seen_article("*"), keys.seen_fingerprint("*"), keys.first_seen("*"),
                    *keys.rq_job_patterns(rq_prefix)):
        count += sum(1 for _ in client.scan_iter(match=pattern, count=5000))
    return count
