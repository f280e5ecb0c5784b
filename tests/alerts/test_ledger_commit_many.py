"""Ledger.record_many: a batch's articles in one round trip, each still atomic; settle decides afterwards."""

from __future__ import annotations

import dataclasses

from alerts.ledger import Ledger

from ledger_support import article_of, ledger_for, load, run, timeline_names


def test_record_many_then_settle_raises_what_apply_one_by_one_in_publication_order_raises(redis_client, keys):
    timeline = load(timeline_names()[0])  # x3 comes last but was published second
    in_order = dict(timeline, articles=sorted(timeline["articles"], key=lambda a: a["published"]))
    one_by_one = [(a["kind"], a["current"]["value"]) for a in run(ledger_for(redis_client, keys, timeline), in_order)]

    other = keys.__class__(keys.prefix + "-many")
    ledger = ledger_for(redis_client, other, timeline)
    prepared = [ledger.prepare(article_of(item), item["events"]) for item in timeline["articles"]]
    outcomes = ledger.record_many(prepared)
    assert all(isinstance(o, int) for o in outcomes) and any(outcomes)
    assert redis_client.xlen(other.alerts_stream) == 0, "recording decides nothing"
    assert sorted((a["kind"], a["current"]["value"]) for a in ledger.settle()) == sorted(one_by_one)
    assert len(one_by_one) == 3, "x3 is no longer late: it is the decrease to 11,000"


def test_a_script_error_on_one_article_leaves_the_others_recorded(redis_client, keys):
    ledger = Ledger(redis_client, keys)
    first_item, *_ = load("increments.json")["articles"]
    article, [event] = article_of(first_item), first_item["events"]
    good = ledger.prepare(article, [event])
    later = article | {"id": "t9", "fingerprint": "fp-t9", "published": "2024-12-30T08:00:00Z"}
    bigger = event | {"quantity": event["quantity"] | {"value": 20000, "low": 20000, "text": "more than 20,000"}}
    second = ledger.prepare(later, [bigger])
    odd = ledger.prepare(article | {"id": "t5", "fingerprint": "fp-t5"}, [event])
    broken = dataclasses.replace(odd, payload={**odd.payload, "entries": "not a list"})  # what a script bug meets

    first, error, last = ledger.record_many([good, broken, second])
    assert (first, last) == (1, 1)
    assert isinstance(error, Exception)
    assert [a["kind"] for a in ledger.settle()] == ["first_report", "increase"]
