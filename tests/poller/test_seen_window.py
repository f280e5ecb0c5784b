"""What only recognises a feed item again expires after the configured window; nothing else of the poller's does."""

from __future__ import annotations

import subprocess
import sys

from rq.job import Job
from rq.serializers import JSONSerializer

from worker.jobs import FAILURE_TTL

from .support import fixture_bytes, write_feeds


def _recognition_keys(redis_client, keys) -> list[bytes]:
    found: list[bytes] = []
    for builder in (keys.seen_article, keys.seen_fingerprint, keys.first_seen):
        found += redis_client.scan_iter(match=builder("*"), count=1000)
    return found


def test_seen_markers_carry_the_configured_window(http_server, redis_client, keys, feeds_file, make_poller) -> None:
    dated = http_server.serve_bytes("/dated", fixture_bytes("good_rss.xml"))
    undated = http_server.serve_bytes("/undated", fixture_bytes("missing_guids.xml"))
    write_feeds(feeds_file, {"dated": dated, "undated": undated})
    report = make_poller(seen_ttl=1234, result_ttl=77).tick()
    assert report.articles_new == 5

    markers = _recognition_keys(redis_client, keys)
    families = {m.decode().split(":")[1] for m in markers}
    assert families == {"seen", "fp", "firstseen"}  # the undated items have a first sighting
    ttls = [redis_client.ttl(m) for m in markers]
    assert all(1200 < ttl <= 1234 for ttl in ttls), ttls
    jobs = [Job.fetch(job_id, connection=redis_client, serializer=JSONSerializer) for job_id in report.job_ids]
    assert {(j.result_ttl, j.failure_ttl) for j in jobs} == {(77, FAILURE_TTL)}
    # the feed's schedule is not recognition state: it stays
    assert redis_client.ttl(keys.feed_state("dated")) == -1


def test_the_service_takes_the_window_from_its_setting(http_server, redis_client, keys, feeds_file, service_env) -> None:
    url = http_server.serve_bytes("/dated", fixture_bytes("good_rss.xml"))
    write_feeds(feeds_file, {"dated": url})
    env = dict(service_env, TRANSFERWATCH_SEEN_DAYS="2")
    done = subprocess.run([sys.executable, "-m", "worker", "poll", "--once", "--feeds", str(feeds_file)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    markers = _recognition_keys(redis_client, keys)
    assert len([m for m in markers if m.startswith(keys.seen_article("").encode())]) == 3
    ttls = [redis_client.ttl(m) for m in markers]
    assert all(86400 < ttl <= 2 * 86400 for ttl in ttls), ttls
