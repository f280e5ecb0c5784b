"""The ledger is a function of the articles and their publication times, never of the order they are recorded.

Articles are put in flight (as the poller does before queueing them), then
recorded in shuffled orders and batches, with settles in between (as workers
do): the alerts and histories come out the same every time, and the same as
one article at a time in publication order. An article that comes after later
ones settled takes its place as ``older``, without an alert.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from alerts.horizon import Horizon
from alerts.ledger import Ledger
from worker.keys import Keys

from ledger_support import article_of, generated_articles, load, stream_alerts, timeline_names


def stream() -> list[dict[str, Any]]:
    """Every timeline fixture's articles (ids made unique) and a run of generated ones, ties included."""
    items = []
    for name in timeline_names():
        for item in load(name)["articles"]:
            items.append(dict(item, id=f"{name}-{item['id']}"))
    generated = generated_articles(60)
    for n, item in enumerate(generated):
        if n % 4 == 1:  # a quarter share the previous article's publication time
            item["published"] = generated[n - 1]["published"]
    return items + generated


def outcome(connection, keys: Keys) -> tuple[list[tuple], dict[str, list[tuple]]]:
    """The alerts (kind, metric, value, article's url) as a sorted list, and each metric's history."""
    alerts = sorted((a["kind"], a["id"], json.dumps(a["metric"], sort_keys=True), a["current"]["value"],
                     a["current"]["url"]) for a in stream_alerts(connection, keys))
    histories = {f["id"]: [(h["value"], h["evidence"], h["published_at"], h["article"], h["effect"])
                           for h in f["history"]] for f in Ledger(connection, keys).figures()}
    return alerts, histories


def shuffled_run(connection, keys: Keys, items: list[dict[str, Any]], seed: int) -> None:
    rng = random.Random(seed)
    ledger = Ledger(connection, keys)
    Horizon(connection, keys).track(article_of(i) for i in items)
    order = items[:]
    rng.shuffle(order)
    while order:
        batch, order = order[:rng.randint(1, 12)], order
        order = order[len(batch):]
        ledger.record_many([ledger.prepare(article_of(i), i["events"]) for i in batch])
        ledger.settle()
    assert ledger.pending() == 0 and Horizon(connection, keys).in_flight() == []


def test_shuffled_orders_and_batches_give_the_same_ledger_as_publication_order(redis_client, keys):
    items = stream()
    reference_keys = Keys(keys.prefix + "-ref")
    ledger = Ledger(redis_client, reference_keys)
    for item in sorted(items, key=lambda i: (i["published"], i["id"])):
        ledger.apply(article_of(item), item["events"])
    reference = outcome(redis_client, reference_keys)
    effects = {e[4] for h in reference[1].values() for e in h}
    assert len(reference[0]) > 10 and {"first_report", "increase", "corroboration", "lower"} <= effects

    for seed in range(5):
        run_keys = Keys(f"{keys.prefix}-{seed}")
        shuffled_run(redis_client, run_keys, items, seed)
        assert outcome(redis_client, run_keys) == reference, f"seed {seed}"


def test_an_entry_waits_for_an_older_article_in_flight_and_ties_wait_too(redis_client, keys):
    items = {i["id"]: i for i in load("out_of_order.json")["articles"]}
    first, *rest = sorted(items.values(), key=lambda i: i["published"])
    ledger = Ledger(redis_client, keys)
    Horizon(redis_client, keys).track([article_of(first)])
    for item in rest:
        ledger.record(article_of(item), item["events"])
    assert ledger.settle() == [] and ledger.figures() == []
    tie = dict(article_of(rest[0]), id="zz-tie", published=first["published"])
    ledger.record(tie, rest[0]["events"])
    assert ledger.settle() == [], "an entry published at the very time of an article in flight waits"

    ledger.record(article_of(first), first["events"])  # out of flight: everything settles
    alerts = ledger.settle()
    assert alerts and alerts[0]["kind"] == "first_report" and alerts[0]["current"]["url"] == first["url"]
    assert ledger.pending() == 0


def test_a_poller_hold_stops_settling_until_released_or_expired(redis_client, keys):
    item = load("out_of_order.json")["articles"][0]
    ledger = Ledger(redis_client, keys)
    horizon = Horizon(redis_client, keys)
    horizon.hold("feed:live", 60)
    horizon.hold("feed:dead", 0.001)  # a poller that died long ago: its hold has expired
    ledger.record(article_of(item), item["events"])
    assert ledger.settle() == [] and ledger.pending() == 1
    horizon.release("feed:live")
    assert [a["kind"] for a in ledger.settle()] == ["first_report"]


def test_a_late_older_article_goes_into_the_history_as_older_without_an_alert(redis_client, keys):
    items = sorted(load("out_of_order.json")["articles"], key=lambda i: i["published"])
    oldest, *newer = [i for i in items if i["events"]]
    ledger = Ledger(redis_client, keys)
    for item in newer:
        ledger.apply(article_of(item), item["events"])
    alerts_before = stream_alerts(redis_client, keys)
    late = dict(article_of(oldest), events=None)
    late_value = oldest["events"][0]["quantity"]["value"] * 3  # far from every figure: no corroboration either

    event = dict(oldest["events"][0], quantity=dict(oldest["events"][0]["quantity"], value=late_value, low=late_value,
                                                    text=str(late_value)), evidence=f"{late_value} troops")
    assert ledger.apply({k: v for k, v in late.items() if k != "events"}, [event]) == []

    assert stream_alerts(redis_client, keys) == alerts_before
    [figure] = [f for f in ledger.figures() if f["history"]][:1]
    entry = next(h for h in figure["history"] if h["article"] == oldest["id"])
    assert entry["effect"] == "older" and entry["value"] == late_value
    assert figure["history"][0] is entry, "it takes its place in the history, by publication time"
    assert figure["current"]["value"] != late_value


@pytest.mark.parametrize("same_time", [True, False], ids=["same-time", "hours-apart"])
def test_the_same_copy_of_a_syndicated_report_is_credited_whatever_the_order(redis_client, keys, same_time):
    base = generated_articles(1)[0]
    copies = []
    for n, outlet in enumerate(["b-outlet", "a-outlet", "c-outlet"]):
        published = base["published"] if same_time else f"2024-01-01T0{3 - n}:00:00+00:00"
        copies.append(dict(base, id=f"{outlet}-copy", url=f"https://{outlet}.example/story", source=outlet,
                           title=f"{outlet}: troops", fingerprint=f"fp-{outlet}", published=published))
    expected = "a-outlet-copy" if same_time else "c-outlet-copy"  # same time: the id decides; else the earliest
    for seed in range(4):
        run_keys = Keys(f"{keys.prefix}-{seed}")
        order = copies[:]
        random.Random(seed).shuffle(order)
        ledger = Ledger(redis_client, run_keys)
        Horizon(redis_client, run_keys).track(article_of(c) for c in order)
        for copy in order:
            ledger.record(article_of(copy), copy["events"])
            ledger.settle()
        [figure] = ledger.figures()
        assert [h["article"] for h in figure["history"]] == [expected], f"seed {seed}"
        [alert] = stream_alerts(redis_client, run_keys)
        assert alert["current"]["url"] == f"https://{expected.removesuffix('-copy')}.example/story"


def test_processed_markers_expire_after_the_seen_window(redis_client, keys):
    item = load("out_of_order.json")["articles"][0]
    Ledger(redis_client, keys, seen_ttl=3600).apply(article_of(item), item["events"])
    assert 3500 < redis_client.ttl(keys.processed_article(item["id"])) <= 3600
    default = Keys(keys.prefix + "-default")
    Ledger(redis_client, default).apply(article_of(item), item["events"])
    assert 89 * 86400 < redis_client.ttl(default.processed_article(item["id"])) <= 90 * 86400
    [figure] = [f for f in Ledger(redis_client, keys).figures() if f["history"]]
    assert redis_client.ttl(keys.metric(figure["id"])) == -1 and redis_client.ttl(keys.metric_history(figure["id"])) == -1
