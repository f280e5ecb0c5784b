"""Rule settings, the all-or-nothing script, and rule corners the timelines do not show."""

from __future__ import annotations

import json

import pytest
import redis

from alerts.ledger import Ledger, Prepared
from alerts.rules import CategoryRule, Rules, parse_published
from worker.connection import client_from_url

from ledger_support import article_of, load, run, stream_alerts


def test_default_rules_are_issue_4s():
    rules = Rules.default_rules()
    for category in ("troops", "oil", "technology"):
        assert rules.for_category(category) == CategoryRule(threshold=0.05, decreases_alert=False,
                                                            increment_window_days=30)


def test_category_settings_start_from_the_default_and_unknown_keys_are_errors(tmp_path):
    rules = Rules.from_dict({"default": {"threshold": 0.1}, "categories": {"oil": {"decreases_alert": True}}})
    assert rules.for_category("oil") == CategoryRule(threshold=0.1, decreases_alert=True)
    assert rules.for_category("troops") == CategoryRule(threshold=0.1)
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"categories": {"troops": {"increment_window_days": 7}}}))
    assert Rules.from_json(path).for_category("troops").increment_window_days == 7
    with pytest.raises(ValueError, match="treshold"):
        Rules.from_dict({"default": {"treshold": 0.1}})
    with pytest.raises(ValueError, match="tanks"):
        Rules.from_dict({"categories": {"tanks": {}}})


def test_a_higher_threshold_makes_a_revision_corroboration(redis_client, keys):
    timeline = load("troops_revised.json")
    ledger = Ledger(redis_client, keys, Rules.from_dict({"categories": {"troops": {"threshold": 0.5}}}))
    kinds = [a["kind"] for a in run(ledger, timeline)]
    assert kinds == ["first_report"]


def test_a_script_that_fails_while_deciding_writes_nothing(redis_client, keys):
    """The settle script reads and decides before its first write: an error there leaves the entries pending."""
    ledger = Ledger(redis_client, keys)
    item = load("troops_revised.json")["articles"][0]
    second = dict(item["events"][0], quantity=dict(item["events"][0]["quantity"], value=9000), evidence="9,000")
    prepared = ledger._prepare(article_of(item), parse_published(item["published"]), item["events"] + [second])
    del prepared[1]["rule"]  # the second event (9,000, sorted after 10,000) cannot be decided
    keys_, payload = ledger._payload(article_of(item), prepared)
    assert ledger.record_many([Prepared(item["id"], keys_, payload)]) == [2]
    before = sorted(redis_client.scan_iter(match=f"{keys.prefix}*"))

    with pytest.raises(redis.ResponseError):
        ledger.settle()

    assert sorted(redis_client.scan_iter(match=f"{keys.prefix}*")) == before
    assert ledger.figures() == [] and ledger.pending() == 2


def test_a_late_earlier_mention_of_an_increment_is_the_same_news(redis_client, keys):
    """Rule 7 looks both ways: '3,000 more' published 10 days before one already alerted is not news again."""
    items = {i["id"]: i for i in load("increments.json")["articles"]}
    ledger = Ledger(redis_client, keys)
    alerts = [a for i in ("n2", "n1") for a in ledger.apply(article_of(items[i]), items[i]["events"])]
    assert [(a["kind"], a["current"]["published"]) for a in alerts] == [("increment", "2025-01-10")]


def test_works_with_a_client_that_decodes_responses(redis_url, redis_client, keys):
    client = client_from_url(redis_url, decode_responses=True)
    try:
        timeline = load("out_of_order.json")
        alerts = run(Ledger(client, keys), timeline)
        assert [a["kind"] for a in alerts] == ["first_report", "increase"]
        assert [f["current"]["value"] for f in Ledger(client, keys).figures()] == [14000]
    finally:
        client.close()
    assert len(stream_alerts(redis_client, keys)) == 2


def test_same_published_time_may_revise_and_a_later_lower_figure_never_alerts(redis_client, keys):
    base = load("troops_revised.json")["articles"][4]  # about 12,000 on 2024-11-20
    ledger = Ledger(redis_client, keys)
    ledger.apply(article_of(base), base["events"])

    def variant(n, value, published):
        event = dict(base["events"][0], quantity=dict(base["events"][0]["quantity"], value=value),
                     evidence=f"variant {n}: {value}")
        return dict(article_of(base), id=f"v{n}", fingerprint=f"fp-v{n}", published=published), [event]

    assert [a["kind"] for a in ledger.apply(*variant(1, 14000, base["published"]))] == ["increase"]
    assert ledger.apply(*variant(2, 7000, "2025-06-01T00:00:00Z")) == []
    assert ledger.figures()[0]["current"]["value"] == 14000


def test_an_article_giving_a_new_and_an_old_figure_raises_one_alert(redis_client, keys):
    """'now about 12,000, up from 10,000': the larger figure is taken first, the other is background."""
    item = load("troops_revised.json")["articles"][4]
    old = dict(item["events"][0], quantity=dict(item["events"][0]["quantity"], value=10000, qualifier="exact"),
               evidence="up from 10,000 in October")
    ledger = Ledger(redis_client, keys)

    alerts = ledger.apply(article_of(item), [old, item["events"][0]])

    assert [(a["kind"], a["current"]["value"]) for a in alerts] == [("first_report", 12000)]
    assert [(h["value"], h["effect"]) for h in ledger.figures()[0]["history"]] == [(12000, "first_report"),
                                                                                  (10000, "lower")]
