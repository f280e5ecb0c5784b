"""Timelines of articles (tests/fixtures/timelines/*.json) through Ledger.apply: the exact alerts and histories.

Each fixture describes itself and lists articles in arrival order with their
extractor events, then the alerts expected (in the order raised), each
metric's history (oldest publication first) and its current figure.
"""

from __future__ import annotations

import pytest

from alerts import messages
from alerts.ledger import Ledger
from worker.keys import Keys

from ledger_support import (
    ALERT_KEYS,
    CURRENT_KEYS,
    PREVIOUS_KEYS,
    article_of,
    ledger_for,
    load,
    project_alert,
    project_history,
    run,
    stream_alerts,
    timeline_names,
)

NAMES = timeline_names()


@pytest.mark.parametrize("name", NAMES)
def test_timeline_gives_exactly_the_expected_alerts(name, redis_client, keys):
    timeline = load(name)
    alerts = run(ledger_for(redis_client, keys, timeline), timeline)

    urls = {a["url"]: a["id"] for a in timeline["articles"]}
    expected = timeline["expect"]["alerts"]
    assert [project_alert(a, urls, e) for a, e in zip(alerts, expected, strict=False)] == expected[: len(alerts)]
    assert len(alerts) == len(expected), [a["message"] for a in alerts]
    assert stream_alerts(redis_client, keys) == alerts


@pytest.mark.parametrize("name", NAMES)
def test_timeline_keeps_exactly_the_expected_histories(name, redis_client, keys):
    timeline = load(name)
    ledger = ledger_for(redis_client, keys, timeline)
    run(ledger, timeline)

    figures = {f["id"]: f for f in ledger.figures()}
    expected = timeline["expect"]["histories"]
    assert sorted(figures) == sorted(expected)
    for mid, entries in expected.items():
        assert project_history(figures[mid]["history"], entries) == entries, mid
    for mid, current in timeline["expect"].get("current", {}).items():
        got = figures[mid]
        assert got["current"]["value"] == current["value"]
        assert got["current"]["article"] == current["article"]
        assert [s["article"] for s in got["sources"]] == current["sources"]


@pytest.mark.parametrize("name", NAMES)
def test_every_alert_follows_the_contract(name, redis_client, keys):
    timeline = load(name)
    for alert in run(ledger_for(redis_client, keys, timeline), timeline):
        assert set(alert) == ALERT_KEYS
        assert set(alert["metric"]) == {"supplier", "recipient", "category", "unit"}
        assert set(alert["current"]) == CURRENT_KEYS
        assert len(alert["current"]["published"]) == 10
        assert alert["created_at"].endswith("Z")
        if alert["kind"] == "first_report":
            assert alert["previous"] is None and alert["change"] is None
        else:
            assert set(alert["previous"]) == PREVIOUS_KEYS
            assert set(alert["change"]) == {"absolute", "relative"}
        if alert["kind"] == "increment":
            assert alert["current"]["mode"] == "additional"
        assert alert["message"] == messages.render(alert)


@pytest.mark.parametrize("name", NAMES)
def test_applying_everything_again_adds_nothing(name, redis_client, keys):
    timeline = load(name)
    ledger = ledger_for(redis_client, keys, timeline)
    run(ledger, timeline)
    before_stream = stream_alerts(redis_client, keys)
    before_figures = ledger.figures()

    again = run(ledger_for(redis_client, keys, timeline), timeline)

    assert again == []
    assert stream_alerts(redis_client, keys) == before_stream
    assert ledger.figures() == before_figures


@pytest.mark.parametrize("name", NAMES)
def test_alert_ids_are_stable_across_runs(name, redis_client, keys):
    timeline = load(name)
    first = run(ledger_for(redis_client, keys, timeline), timeline)
    other = Keys(keys.prefix + "-again")
    second = run(ledger_for(redis_client, other, timeline), timeline)

    assert [a["id"] for a in first] == [a["id"] for a in second]
    assert len({a["id"] for a in first}) == len(first)


def test_a_new_version_of_an_article_applies_only_what_is_new(redis_client, keys):
    """An edited article (same id, new version) may add a figure; what it repeated is not recorded twice."""
    timeline = load("troops_revised.json")
    ledger = Ledger(redis_client, keys)
    first = timeline["articles"][0]
    ledger.apply(article_of(first), first["events"])
    revised_event = dict(first["events"][0], quantity=dict(first["events"][0]["quantity"], value=11000, text="11,000"),
                         evidence="The agency later put the number at 11,000.")
    revised = dict(article_of(first), version="v2", fingerprint="fp-a1-v2")

    alerts = ledger.apply(revised, first["events"] + [revised_event])

    assert [a["kind"] for a in alerts] == ["increase"]
    history = ledger.figures()[0]["history"]
    assert [(h["value"], h["effect"]) for h in history] == [(10000, "first_report"), (11000, "increase")]
