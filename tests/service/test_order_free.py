"""End to end: the same stream through `run --once` with 1 and 4 workers gives the same alerts and figure histories.

The articles are our own written sets (tests/fixtures/corpus/written*.jsonl),
spread over three feeds in a shuffled order; many share a publication day.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest

from alerts.ledger import Ledger
from tests.service.test_run_once import stream_alerts, transferwatch, write_feeds
from worker.demo import render_rss
from worker.keys import Keys

CORPUS = Path(__file__).parent.parent / "fixtures" / "corpus"


def written_articles() -> list[dict]:
    articles = []
    for path in sorted(CORPUS.glob("written*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            articles.append({"guid": item["id"], "title": item["title"], "text": item["text"],
                             "published": f"{item['published'][:10]}T08:00:00+00:00"})
    random.Random(13).shuffle(articles)
    return articles


def ledger_outcome(redis_client, keys: Keys) -> tuple[list, list]:
    alerts = sorted((a["kind"], json.dumps(a["metric"], sort_keys=True), a["current"]["value"])
                    for a in stream_alerts(redis_client, keys))
    histories = [(f["id"], h["value"], h["evidence"], h["published"], h["effect"])
                 for f in Ledger(redis_client, keys).figures() for h in f["history"]]
    return alerts, histories


@pytest.mark.timeout(900)
def test_one_and_four_workers_give_the_same_alerts_and_histories(redis_client, prefix, service_env, http_server, tmp_path):
    articles = written_articles()
    feeds = write_feeds(tmp_path / "feeds.yaml", {
        f"wire{n}": http_server.serve_bytes(f"/wire{n}.xml", render_rss(articles[n::3], http_server.base_url))
        for n in range(3)})

    outcomes, seconds = [], []
    for run, workers in enumerate(("1", "4", "4")):
        env = dict(service_env, TRANSFERWATCH_PREFIX=f"{prefix}-{run}")
        started = time.monotonic()
        result = transferwatch("run", "--once", "--workers", workers, "--feeds", str(feeds), env=env, timeout=400)
        assert result.returncode == 0, result.stderr[-3000:]
        keys = Keys(f"{prefix}-{run}")
        outcomes.append(ledger_outcome(redis_client, keys))
        seconds.append(time.monotonic() - started)
        assert redis_client.zcard(keys.ledger_inflight) == 0 and Ledger(redis_client, keys).pending() == 0

    print(f"run --once seconds (1, 4, 4 workers): {[round(s, 1) for s in seconds]}")
    alerts, histories = outcomes[0]
    assert len(alerts) >= 10 and len(histories) >= 30, "the stream exercises the ledger"
    assert outcomes[1] == outcomes[0]
    assert outcomes[2] == outcomes[0]
