"""Ledger.commit_many: a batch's articles in one round trip, each still atomic and in order."""

from __future__ import annotations

import dataclasses

from alerts.ledger import Ledger

from ledger_support import article_of, ledger_for, load, run, timeline_names


def test_commit_many_raises_what_apply_one_by_one_raises(redis_client, keys):
    timeline = load(timeline_names()[0])
    one_by_one = [(a["kind"], a["current"]["value"]) for a in run(ledger_for(redis_client, keys, timeline), timeline)]

    other = keys.__class__(keys.prefix + "-many")
    ledger = ledger_for(redis_client, other, timeline)
    prepared = [ledger.prepare(article_of(item), item["events"]) for item in timeline["articles"]]
    outcomes = ledger.commit_many([p for p in prepared if p is not None])
    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert [(a["kind"], a["current"]["value"]) for alerts in outcomes if isinstance(alerts, list) for a in alerts] == one_by_one
    assert one_by_one, "the timeline raises alerts"


def test_a_script_error_on_one_article_leaves_the_others_applied(redis_client, keys):
    ledger = Ledger(redis_client, keys)
    first_item, *_ = load("increments.json")["articles"]
    article, [event] = article_of(first_item), first_item["events"]
    good = ledger.prepare(article, [event])
    later = article | {"id": "t9", "fingerprint": "fp-t9", "published": "2024-12-30T08:00:00Z"}
    bigger = event | {"quantity": event["quantity"] | {"value": 20000, "low": 20000, "text": "more than 20,000"}}
    second = ledger.prepare(later, [bigger])
    odd = ledger.prepare(article | {"id": "t5", "fingerprint": "fp-t5"}, [event])
    assert good is not None and second is not None and odd is not None
    broken = dataclasses.replace(odd, payload={**odd.payload, "events": "not a list"})  # what a script bug meets

    first, error, last = ledger.commit_many([good, broken, second])
    assert isinstance(first, list) and [a["kind"] for a in first] == ["first_report"]
    assert isinstance(error, Exception)
    assert isinstance(last, list) and [a["kind"] for a in last] == ["increase"]
