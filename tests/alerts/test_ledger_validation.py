"""Bad input never reaches Redis: one warning naming the article and the reason; the article's other events apply."""

from __future__ import annotations

import math
from typing import Any

import pytest
from structlog.testing import capture_logs

from alerts.ledger import Ledger
from alerts.rules import normalise_unit, validate_event

ARTICLE = {"id": "bad-1", "version": "v1", "feed": "wire", "source": "Wire", "url": "https://news.example/bad-1",
           "title": "t", "text": "...", "published": "2024-11-20T08:00:00Z", "fingerprint": "fp-bad-1"}


def event(value=12000, **changes) -> dict[str, Any]:
    base: dict[str, Any] = {"supplier": "PRK", "recipient": "RUS", "category": "troops",
            "quantity": {"value": value, "low": None, "high": None, "qualifier": "about", "unit": "troops",
                         "text": "about 12,000"},
            "mode": "total", "since": None, "status": "asserted", "attribution": None,
            "evidence": "About 12,000 North Korean troops are in Russia.", "span": [0, 48]}
    quantity = changes.pop("quantity", None)
    if quantity is not None:
        base["quantity"] = {**base["quantity"], **quantity}
    return {**base, **changes}


def without_value():
    e = event()
    del e["quantity"]["value"]
    return e


BAD = {
    "negative": (event(-5), "negative"),
    "nan": (event(math.nan), "not finite"),
    "infinite": (event(math.inf), "not finite"),
    "ten to the fifteen": (event(10**15), "absurdly large"),
    "ten to the twelve": (event(10**12), "absurdly large"),
    "a string": (event("12,000"), "not a number"),
    "a boolean": (event(True), "not a number"),
    "no value": (without_value(), "no value"),
    "null value, not vague": (event(None), "no value"),
    "unknown category": (event(category="tanks"), "unknown category"),
    "a third country": (event(supplier="IRN"), "not RUS/PRK"),
    "Russia to itself": (event(supplier="RUS", recipient="RUS"), "not RUS/PRK"),
    "since not a date": (event(since="last August"), "since"),
    "since month 13": (event(since="2024-13"), "since"),
    "since 30 February": (event(since="2024-02-30"), "since"),
    "unknown status": (event(status="rumoured"), "unknown status"),
    "unknown mode": (event(mode="cumulative"), "unknown mode"),
    "unknown qualifier": (event(quantity={"qualifier": "approximately"}), "unknown qualifier"),
    "not an object": ("12,000 troops", "not an object"),
}


@pytest.mark.parametrize("bad,reason", BAD.values(), ids=list(BAD))
def test_a_bad_event_is_rejected_with_one_warning_and_nothing_written(bad, reason, redis_client, keys):
    with capture_logs() as logs:
        alerts = Ledger(redis_client, keys).apply(ARTICLE, [bad])

    assert alerts == []
    warnings = [e for e in logs if e["log_level"] == "warning"]
    assert len(warnings) == 1, logs
    assert warnings[0]["article_id"] == "bad-1" and warnings[0]["url"] == ARTICLE["url"]
    assert reason in warnings[0]["reason"]
    assert list(redis_client.scan_iter(match=f"{keys.prefix}*")) == []


@pytest.mark.parametrize("bad,reason", BAD.values(), ids=list(BAD))
def test_the_other_events_of_the_article_still_apply(bad, reason, redis_client, keys):
    other = event(2000, category="workers", quantity={"unit": "workers", "text": "2,000"})
    with capture_logs() as logs:
        alerts = Ledger(redis_client, keys).apply(ARTICLE, [bad, event(), other])

    assert sorted((a["kind"], a["metric"]["category"]) for a in alerts) == [
        ("first_report", "troops"), ("first_report", "workers")]
    assert len([e for e in logs if e["log_level"] == "warning"]) == 1


def test_a_malformed_publication_date_rejects_the_article_with_one_warning(redis_client, keys):
    with capture_logs() as logs:
        alerts = Ledger(redis_client, keys).apply({**ARTICLE, "published": "20th Nov"}, [event(), event(3000)])

    assert alerts == []
    warnings = [e for e in logs if e["log_level"] == "warning"]
    assert len(warnings) == 1 and warnings[0]["article_id"] == "bad-1" and "published" in warnings[0]["reason"]
    assert list(redis_client.scan_iter(match=f"{keys.prefix}*")) == []


def test_events_without_a_figure_are_skipped_quietly(redis_client, keys):
    """quantity null ("troops") and vague quantities ("thousands of") are valid extractor output, not figures."""
    vague = event(None, quantity={"qualifier": "vague", "low": 1000, "text": "thousands of"})
    with capture_logs() as logs:
        alerts = Ledger(redis_client, keys).apply(ARTICLE, [event(quantity=None) | {"quantity": None}, vague])

    assert alerts == []
    assert [e for e in logs if e["log_level"] == "warning"] == []


def test_zero_is_recorded_but_never_a_figure(redis_client, keys):
    ledger = Ledger(redis_client, keys)
    assert ledger.apply(ARTICLE, [event(0, status="denied")]) == []
    [figure] = ledger.figures()
    assert figure["current"] is None
    assert [(h["value"], h["effect"]) for h in figure["history"]] == [(0, "denied")]


def test_range_value_is_the_upper_bound_and_the_message_says_both():
    clean = validate_event(event(12000, quantity={"qualifier": "range", "low": 11000, "high": 12000}))
    assert clean is not None and (clean["value"], clean["low"], clean["high"]) == (12000, 11000, 12000)


@pytest.mark.parametrize("category,unit,expected", [
    ("troops", "troops", "soldiers"), ("troops", "Special Forces", "soldiers"), ("troops", None, "soldiers"),
    ("containers", "shipping containers", "containers"), ("artillery_shells", "rounds of ammunition", "shells"),
    ("oil", "bbl", "barrels"), ("oil", "metric tons", "tonnes"), ("oil", None, "barrels"), ("oil", "litres", "barrels"),
    ("economic_aid", "tons", "tonnes"), ("economic_aid", "USD", "dollars"), ("economic_aid", "bags of rice", "bags of rice"),
    ("economic_aid", "tons of rice", "tonnes"),
    ("air_defense", "Pantsir systems", "systems"), ("air_defense", "S-400", "missiles"), ("air_defense", "batteries", "systems"),
])
def test_units_are_normalised_per_category(category, unit, expected):
    assert normalise_unit(category, unit) == expected
