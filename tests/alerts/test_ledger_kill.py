"""A worker killed (SIGKILL) in the middle of its work leaves nothing half written, and a retry adds each article once."""

from __future__ import annotations

import json
import multiprocessing

from alerts.ledger import Ledger
from worker.keys import Keys

from ledger_support import apply_batch, article_of, generated_articles, stream_alerts

METRIC = "PRK:RUS:troops:soldiers"


def wait_for_alerts(redis_client, stream: str, count: int, timeout_ms: int = 20000) -> None:
    """Block on the Stream (XREAD BLOCK) until ``count`` alerts are there: an event awaited, not a sleep."""
    last, seen = "0", 0
    while seen < count:
        reply = redis_client.xread({stream: last}, count=100, block=timeout_ms)
        assert reply, "no alert arrived"
        entries = reply[0][1]
        seen += len(entries)
        last = entries[-1][0]


def test_killed_worker_leaves_whole_articles_and_a_retry_completes_exactly_once(redis_client, redis_url, keys):
    items = generated_articles(3000)
    worker = multiprocessing.get_context("spawn").Process(target=apply_batch, args=(redis_url, keys.prefix, items))
    worker.start()
    try:
        wait_for_alerts(redis_client, keys.alerts_stream, 5)
    finally:
        worker.kill()
        worker.join(10)

    # whatever was applied was applied whole: one history entry per processed article, every alert id recorded
    processed = {i["id"] for i in items if redis_client.sismember(keys.processed_article(i["id"]), "v1")}
    history = [json.loads(h) for h in redis_client.lrange(keys.metric_history(METRIC), 0, -1)]
    assert 0 < len(processed) < len(items), "the worker was not killed half way"
    # (the worker may have died between recording an article and settling it: its entry is still pending)
    pending = [m.split(b"\x1f")[0].decode() for m in redis_client.zrange(keys.ledger_pending(METRIC), 0, -1)]
    assert sorted([h["article"] for h in history] + pending) == sorted(processed) and len(pending) <= 1
    alerts = stream_alerts(redis_client, keys)
    assert {a["id"].encode() for a in alerts} == redis_client.smembers(keys.alert_ids)

    # the retry (the job re-run) gives exactly what one clean run gives
    ledger = Ledger(redis_client, keys)
    for item in items:
        ledger.apply(article_of(item), item["events"])
    clean_keys = Keys(keys.prefix + "-clean")
    clean = Ledger(redis_client, clean_keys)
    for item in items:
        clean.apply(article_of(item), item["events"])

    strip = lambda alerts: [{k: v for k, v in a.items() if k != "created_at"} for a in alerts]  # noqa: E731
    assert strip(stream_alerts(redis_client, keys)) == strip(stream_alerts(redis_client, clean_keys))
    assert redis_client.lrange(keys.metric_history(METRIC), 0, -1) == redis_client.lrange(
        clean_keys.metric_history(METRIC), 0, -1)
