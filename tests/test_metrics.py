"""Prometheus metrics are read from Redis at scrape time, over real HTTP."""

from __future__ import annotations

import httpx

from worker import metrics


def test_metrics_endpoint_serves_counters_queue_depth_and_feed_state(redis_client, keys):
    metrics.count(redis_client, keys, articles_processed=3, events_extracted=5, alerts_raised=2, job_seconds=0.75)
    metrics.count(redis_client, keys, articles_processed=1)
    redis_client.sadd(keys.feeds_index, "wire")
    redis_client.hset(keys.feed_state("wire"), mapping={"articles_queued": 7, "error_count": 2})

    server = metrics.serve(0, redis_client, keys)
    try:
        body = httpx.get(f"http://127.0.0.1:{server.server_port}/metrics", timeout=5).text
    finally:
        server.shutdown()
        server.server_close()

    assert "transferwatch_articles_processed_total 4.0" in body
    assert "transferwatch_events_extracted_total 5.0" in body
    assert "transferwatch_job_seconds_total 0.75" in body
    assert "transferwatch_queue_depth 0.0" in body
    assert 'transferwatch_articles_queued_total{feed="wire"} 7.0' in body
    assert 'transferwatch_feed_errors_in_a_row{feed="wire"} 2.0' in body


def test_a_metrics_failure_never_breaks_the_caller(keys):
    import redis
    from structlog.testing import capture_logs

    dead = redis.Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.2, retry_on_timeout=False)
    with capture_logs() as logs:
        metrics.count(dead, keys, articles_processed=1)
    assert [e["event"] for e in logs] == ["metrics_count_failed"]
