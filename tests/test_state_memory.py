"""The state benchmarks' measuring helper counts this deployment's keys, all of them, by family, and no other's."""

from __future__ import annotations

import uuid

from bench.state_memory import expiring_left, measure
from worker.keys import rq_key_prefix


def test_measure_sums_memory_usage_of_this_deployments_keys_by_family(redis_client, keys):
    rq = rq_key_prefix()  # the tests share one RQ prefix: only the keys naming our prefix are ours
    ours = {
        keys.seen_article("a1"): "v1", keys.seen_article("a2"): "v1", keys.seen_fingerprint("f1"): "a1",
        f"{rq}:job:{keys.job_id('a1', 'v1')}": "x" * 300, keys.feed_state("wire"): "y",
    }
    for name, value in ours.items():
        redis_client.set(name, value, ex=600)
    redis_client.rpush(keys.metric_history("PRK:RUS:troops:soldiers"), "h" * 1000, "h" * 1000)
    other = f"twtest-{uuid.uuid4().hex[:10]}"
    redis_client.set(f"{other}:seen:a1", "not ours", ex=600)
    redis_client.set(f"{rq}:job:{other}-article-a1", "not ours", ex=600)
    try:
        footprint = measure(redis_client, keys, rq, chunk=2)  # chunks smaller than the key count
        assert footprint.keys_by_family == {
            keys.seen_article("*"): 2, keys.seen_fingerprint("*"): 1, keys.rq_job_patterns(rq)[0]: 1,
            keys.metric_history("*"): 1, keys.scan_patterns(rq)[0]: 1,
        }
        every = [*ours, keys.metric_history("PRK:RUS:troops:soldiers")]
        assert footprint.total_bytes == sum(redis_client.memory_usage(k, samples=0) for k in every)
        assert footprint.biggest(1)[0][0] == keys.metric_history("*")  # the 2 KB list
        assert expiring_left(redis_client, keys, rq) == 4  # seen x2, fingerprint, the job
        redis_client.delete(keys.seen_article("a1"))
        assert expiring_left(redis_client, keys, rq) == 3
    finally:
        redis_client.delete(f"{other}:seen:a1", f"{rq}:job:{other}-article-a1")
