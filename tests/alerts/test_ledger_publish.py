"""Alerts reach the contract's channels: the Stream ``P:alerts`` and pub/sub ``P:alerts`` and ``P:alerts:<category>``."""

from __future__ import annotations

import json
import time

from alerts.ledger import Ledger

from ledger_support import article_of, load, stream_alerts


def subscribed(redis_client, *channels: str):
    """A pub/sub connection whose subscriptions the server has confirmed (so no message can be missed)."""
    pubsub = redis_client.pubsub()
    pubsub.subscribe(*channels)
    confirmed = 0
    deadline = time.monotonic() + 5
    while confirmed < len(channels) and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=1.0)
        if message and message["type"] == "subscribe":
            confirmed += 1
    assert confirmed == len(channels)
    return pubsub


def receive(pubsub, count: int) -> list[tuple[str, dict]]:
    got: list[tuple[str, dict]] = []
    deadline = time.monotonic() + 5
    while len(got) < count and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=1.0)
        if message and message["type"] == "message":
            got.append((message["channel"].decode(), json.loads(message["data"])))
    return got


def test_alerts_are_on_the_stream_and_both_channels(redis_client, keys):
    timeline = load("units_and_categories.json")
    pubsub = subscribed(redis_client, keys.alerts_channel, keys.alerts_category_channel("oil"),
                        keys.alerts_category_channel("containers"))
    try:
        alerts = []
        for item in timeline["articles"]:
            alerts += Ledger(redis_client, keys).apply(article_of(item), item["events"])
        messages = receive(pubsub, len(alerts) + 4)  # every alert on P:alerts, the 3 oil and 1 containers ones again
    finally:
        pubsub.close()

    assert len(alerts) == 5
    assert stream_alerts(redis_client, keys) == alerts
    everything = [a for channel, a in messages if channel == keys.alerts_channel]
    assert everything == alerts
    by_category: dict[str, list[dict]] = {}
    for channel, alert in messages:
        if channel != keys.alerts_channel:
            by_category.setdefault(channel, []).append(alert)
    assert by_category == {
        keys.alerts_category_channel("oil"): [a for a in alerts if a["metric"]["category"] == "oil"],
        keys.alerts_category_channel("containers"): [a for a in alerts if a["metric"]["category"] == "containers"],
    }
    assert keys.alerts_channel == f"{keys.prefix}:alerts"
    assert keys.alerts_category_channel("oil") == f"{keys.prefix}:alerts:oil"


def test_stream_is_capped_approximately(redis_client, keys):
    """A long-running deployment keeps the Stream bounded (MAXLEN ~), newest alerts kept."""
    ledger = Ledger(redis_client, keys, stream_maxlen=10)
    item = load("increments.json")["articles"][1]
    for n in range(300):
        event = dict(item["events"][0], quantity=dict(item["events"][0]["quantity"], value=1000 + n),
                     evidence=f"{1000 + n} more troops.")
        ledger.apply(dict(article_of(item), id=f"cap-{n:03d}", fingerprint=f"fp-cap-{n}"), [event])
    length = redis_client.xlen(keys.alerts_stream)
    assert 10 <= length < 300
    last = json.loads(redis_client.xrevrange(keys.alerts_stream, count=1)[0][1][b"data"])
    assert last["current"]["value"] == 1299
