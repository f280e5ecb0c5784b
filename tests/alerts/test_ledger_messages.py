"""The one-line message: metric in words, figure, change, source and date."""

from __future__ import annotations

import pytest

from alerts import messages
from alerts.ledger import Ledger

from ledger_support import article_of, load

TROOPS = {"supplier": "PRK", "recipient": "RUS", "category": "troops", "unit": "soldiers"}
OIL = {"supplier": "RUS", "recipient": "PRK", "category": "oil", "unit": "tonnes"}


@pytest.mark.parametrize("figure,metric,expected", [
    ({"value": 12000, "qualifier": "about"}, TROOPS, "about 12,000"),
    ({"value": 10000, "qualifier": "more_than"}, TROOPS, "more than 10,000"),
    ({"value": 12000, "low": 11000, "qualifier": "range"}, TROOPS, "11,000 to 12,000"),
    ({"value": 12000, "qualifier": "range"}, TROOPS, "up to 12,000"),
    ({"value": 2.5, "qualifier": "exact"}, OIL, "2.5 tonnes"),
    ({"value": 25000, "qualifier": "at_least"}, OIL, "at least 25,000 tonnes"),
])
def test_phrase(figure, metric, expected):
    assert messages.phrase(figure, metric) == expected


@pytest.mark.parametrize("relative,expected", [(0.2, "+20%"), (0.1667, "+17%"), (-0.3333, "-33%"), (0.125, "+13%")])
def test_percent(relative, expected):
    assert messages.percent(relative) == expected


def test_the_issue_example():
    alert = {
        "kind": "increase", "metric": TROOPS,
        "previous": {"value": 10000, "qualifier": "more_than", "published": "2024-10-30", "source": "Yonhap", "url": "u"},
        "current": {"value": 12000, "qualifier": "about", "published": "2024-11-20", "source": "Yonhap"},
        "change": {"absolute": 2000, "relative": 0.2},
    }
    assert messages.render(alert) == (
        "North Korea → Russia, troops: about 12,000 (was more than 10,000, +20%) — Yonhap, 2024-11-20")


def test_an_increment_before_any_total(redis_client, keys):
    item = load("increments.json")["articles"][1]
    [alert] = Ledger(redis_client, keys).apply(article_of(item), item["events"])
    assert alert["kind"] == "increment" and alert["previous"] is None
    assert alert["change"] == {"absolute": 3000, "relative": None}
    assert alert["message"] == "North Korea → Russia, troops: 3,000 more (no total yet) — Yonhap, 2025-01-01"
    assert messages.render(alert) == alert["message"]
