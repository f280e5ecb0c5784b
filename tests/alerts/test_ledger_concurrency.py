"""Several workers applying articles about one metric at once get exactly what a one-by-one run gets.

Redis runs the ledger's script atomically, so any concurrent run equals the
serial run in the order the scripts happened to execute. The tests recover
that order from the history list (appended in execution order), replay it
one by one on a fresh prefix and compare alerts and histories exactly.
"""

from __future__ import annotations

import json
import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from alerts.ledger import Ledger
from worker.keys import Keys

from ledger_support import apply_batch, article_of, load, stream_alerts

METRIC = "PRK:RUS:troops:soldiers"
WORKERS = 6


def same_metric_articles() -> list[dict[str, Any]]:
    """Every troops article of three timelines: first reports, repeats, mirrors, revisions, background, increments."""
    items = []
    for name in ("troops_revised.json", "out_of_order.json", "increments.json"):
        items += load(name)["articles"]
    return items


def deal(items: list[dict[str, Any]], workers: int) -> list[list[dict[str, Any]]]:
    """Every article twice (a retried job / a second feed), spread over the workers."""
    doubled = items + items[::-1]
    return [doubled[i::workers] for i in range(workers)]


def run_threads(redis_url: str, prefix: str, batches: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    barrier = threading.Barrier(len(batches))

    def work(batch):
        barrier.wait()
        return apply_batch(redis_url, prefix, batch)

    with ThreadPoolExecutor(len(batches)) as pool:
        return [a for alerts in pool.map(work, batches) for a in alerts]


def run_processes(redis_url: str, prefix: str, batches: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(len(batches)) as pool:
        results = pool.starmap(apply_batch, [(redis_url, prefix, b) for b in batches])
    return [a for alerts in results for a in alerts]


def execution_order(redis_client, keys: Keys, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {i["id"]: i for i in items}
    raw = redis_client.lrange(keys.metric_history(METRIC), 0, -1)
    order = list(dict.fromkeys(json.loads(r)["article"] for r in raw))
    return [by_id[a] for a in order]


def comparable(alert: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in alert.items() if k != "created_at"}


@pytest.mark.parametrize("runner", [run_threads, run_processes], ids=["threads", "processes"])
def test_concurrent_workers_equal_a_one_by_one_run(runner, redis_client, redis_url, keys):
    items = same_metric_articles()

    returned = runner(redis_url, keys.prefix, deal(items, WORKERS))

    published = stream_alerts(redis_client, keys)
    assert sorted(a["id"] for a in returned) == sorted(a["id"] for a in published)
    assert len({a["id"] for a in published}) == len(published)

    serial_keys = Keys(keys.prefix + "-serial")
    serial = Ledger(redis_client, serial_keys)
    serial_alerts = []
    for item in execution_order(redis_client, keys, items):
        serial_alerts += serial.apply(article_of(item), item["events"])

    assert [comparable(a) for a in published] == [comparable(a) for a in serial_alerts]
    assert redis_client.lrange(keys.metric_history(METRIC), 0, -1) == redis_client.lrange(
        serial_keys.metric_history(METRIC), 0, -1)
    current = lambda k: json.loads(redis_client.hget(k.metric(METRIC), "current"))  # noqa: E731
    assert current(keys) == current(serial_keys)


def test_two_workers_cannot_both_raise_increase_from_the_same_figure(redis_client, redis_url, keys):
    """Eight outlets report 12,000-12,350 at the same moment, over a current 10,000: one increase, seven corroborations."""
    base = load("troops_revised.json")["articles"][0]
    Ledger(redis_client, keys).apply(article_of(base), base["events"])
    racers = []
    for n in range(8):
        value = 12000 + 50 * n
        event = dict(base["events"][0], quantity=dict(base["events"][0]["quantity"], value=value, qualifier="about"),
                     evidence=f"Outlet {n}: about {value} North Korean troops are in Russia.")
        racers.append(dict(article_of(base), id=f"race-{n}", fingerprint=f"fp-race-{n}", source=f"Outlet {n}",
                           url=f"https://news.example/race/{n}", published="2024-11-20T08:00:00Z", events=[event]))

    returned = run_threads(redis_url, keys.prefix, [[r] for r in racers])

    kinds = [a["kind"] for a in stream_alerts(redis_client, keys)]
    assert kinds == ["first_report", "increase"]
    assert [a["kind"] for a in returned] == ["increase"]
    [figure] = Ledger(redis_client, keys).figures()
    effects = sorted(h["effect"] for h in figure["history"])
    assert effects == ["corroboration"] * 7 + ["first_report", "increase"]
    assert len(figure["sources"]) == 8
