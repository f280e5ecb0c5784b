"""``/api/alerts/stream``: Server-Sent Events from the Stream, live, resumable, filtered."""

from __future__ import annotations

import json

from .support import SseReader, raise_alert


def stream_ids(redis_client, keys) -> list[str]:
    return [eid.decode() for eid, _ in redis_client.xrange(keys.alerts_stream)]


def test_an_alert_raised_after_connecting_reaches_the_client(web, ledger, redis_client, keys):
    raise_alert(ledger, 0, 1000)  # before: not sent (no Last-Event-ID, no since)
    with web.client.stream("GET", "/api/alerts/stream") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = SseReader(response)
        reader.next_comment("connected")  # the server has read where the Stream stood

        alert = raise_alert(ledger, 1, 3000)
        event = reader.next_event()

    assert event.event == "alert"
    assert event.id == stream_ids(redis_client, keys)[-1]
    assert event.alert == alert
    raw = redis_client.xrange(keys.alerts_stream)[-1][1][b"data"].decode()
    assert event.data == raw  # the alert JSON exactly as published


def test_a_reconnect_with_last_event_id_gets_what_was_missed_once(web, ledger, redis_client, keys):
    received: list[str] = []
    with web.client.stream("GET", "/api/alerts/stream") as response:
        reader = SseReader(response)
        reader.next_comment("connected")
        first = raise_alert(ledger, 0, 1000)
        event = reader.next_event()
        received.append(event.alert["id"])
        last_seen = event.id
    assert received == [first["id"]]

    missed = [raise_alert(ledger, 1, 3000), raise_alert(ledger, 2, 11000)]  # while the client is away

    with web.client.stream("GET", "/api/alerts/stream", headers={"Last-Event-ID": last_seen}) as response:
        reader = SseReader(response)
        received += [reader.next_event().alert["id"] for _ in missed]
        live = raise_alert(ledger, 3, 15000)
        live_event = reader.next_event()
        received.append(live_event.alert["id"])

    assert received == [first["id"], *(a["id"] for a in missed), live["id"]]  # nothing lost, nothing twice
    assert live_event.id == stream_ids(redis_client, keys)[-1]


def test_since_replays_from_a_stream_id_and_the_category_filter_applies(web, ledger, redis_client, keys):
    troops = raise_alert(ledger, 0, 1000)
    raise_alert(ledger, 1, 250000, category="oil")
    with web.client.stream("GET", "/api/alerts/stream", params={"since": "0-0", "category": "troops"}) as response:
        reader = SseReader(response)
        assert reader.next_event().alert == troops  # history, without the oil alert
        raise_alert(ledger, 2, 400000, category="oil")
        later = raise_alert(ledger, 3, 3000)
        event = reader.next_event()
    assert event.alert == later


def test_idle_streams_get_keep_alive_comments(serve):
    served = serve(keepalive=0.2)
    with served.client.stream("GET", "/api/alerts/stream") as response:
        reader = SseReader(response)
        reader.next_comment("keep-alive")
        reader.next_comment("keep-alive")


def test_a_bad_last_event_id_or_category_is_400(web):
    bad_id = web.client.get("/api/alerts/stream", headers={"Last-Event-ID": "not-an-id"})
    assert bad_id.status_code == 400 and "Last-Event-ID" in bad_id.json()["error"]
    bad_category = web.client.get("/api/alerts/stream", params={"category": "tanks"})
    assert bad_category.status_code == 400 and "tanks" in bad_category.json()["error"]


def test_a_malformed_stream_entry_is_skipped_not_fatal(web, ledger, redis_client, keys):
    with web.client.stream("GET", "/api/alerts/stream") as response:
        reader = SseReader(response)
        reader.next_comment("connected")
        redis_client.xadd(keys.alerts_stream, {"data": b"{not json"})
        alert = raise_alert(ledger, 0, 1000)
        event = reader.next_event()
    assert json.loads(event.data) == alert
