"""Articles that cannot hold a Russia-North Korea transfer never become jobs."""

from __future__ import annotations

from rq import Queue

from worker.demo import render_rss
from worker.jobs import make_queue

from .support import write_feeds


def test_only_articles_that_can_hold_an_event_are_queued(http_server, redis_client, keys, make_poller, feeds_file):
    items = [
        {"guid": "a", "published": "2024-10-10T08:00:00Z", "title": "Troops",
         "text": "North Korea has sent 2,000 troops to Russia, officials said."},
        {"guid": "b", "published": "2024-10-11T08:00:00Z", "title": "Snow",
         "text": "Heavy snow closed roads in the Russian Far East on Thursday."},
        {"guid": "c", "published": "2024-10-12T08:00:00Z", "title": "Iran",
         "text": "Iran has sent drones to Ukraine's neighbours, officials in Kyiv said."},
    ]
    write_feeds(feeds_file, {"wire": http_server.serve_bytes("/w.xml", render_rss(items, http_server.base_url))})

    report = make_poller(relevance_gate=True).tick()

    assert (report.articles_new, report.articles_irrelevant) == (1, 2)
    queue: Queue = make_queue(redis_client, keys)
    [job] = queue.get_jobs()
    [article] = job.args[0]
    assert article["text"].startswith("North Korea has sent 2,000 troops")
    # the skipped articles are remembered: a second poll does not examine them again
    redis_client.delete(keys.feed_state("wire"))
    again = make_poller(relevance_gate=True).tick()
    assert (again.articles_new, again.articles_irrelevant) == (0, 0)
