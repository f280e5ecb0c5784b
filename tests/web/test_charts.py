"""The timeline chart's geometry: step line, one marker per report, denials left out, increments on the line."""

from __future__ import annotations

import pytest

from worker.web.charts import compact, nice_ticks, safe_url, timeline
from worker.web.views import history_rows

METRIC = {"supplier": "PRK", "recipient": "RUS", "category": "troops", "unit": "soldiers"}


def entry(day: int, value: float, effect: str, *, status: str = "asserted", mode: str = "total",
          qualifier: str = "about", low: float | None = None, url: str = "https://news.example/a") -> dict:
    return {"published": f"2024-10-{day:02d}", "value": value, "low": low, "high": None, "qualifier": qualifier,
            "effect": effect, "status": status, "mode": mode, "source": "Wire", "attribution": None,
            "url": url, "title": "t", "text": f"{value}", "evidence": "e"}


HISTORY = [
    entry(1, 1000, "first_report"),
    entry(5, 1000, "corroboration"),
    entry(10, 3000, "increase"),
    entry(12, 3000, "denied", status="denied"),
    entry(15, 500, "increment", mode="additional", qualifier="exact"),
    entry(20, 4000, "planned", status="planned"),
    entry(25, 2500, "lower"),
    entry(31, 6000, "increase", status="possible", qualifier="range", low=5000, url="javascript:alert(1)"),
]


def test_step_line_moves_only_where_a_report_became_current():
    chart = timeline(HISTORY, METRIC, width=900, height=300)
    y_top = chart.y_ticks[-1]
    assert y_top.label == "6k" and chart.y_ticks[0].label == "0"
    # M at the first report, then one H/V pair per change, flat to the last date
    assert chart.step.count("M") == 1 and chart.step.count("V") == 2 and chart.step.endswith(f"H{chart.right}")
    xs = [m.x for m in chart.markers]
    assert xs == sorted(xs) and xs[0] == chart.left and xs[-1] == chart.right


def test_one_marker_per_report_but_denials_which_are_counted_apart():
    chart = timeline(HISTORY, METRIC)
    assert len(chart.markers) == len(HISTORY) - 1 and chart.denied == 1
    kinds = [(m.kind, m.status) for m in chart.markers]
    assert kinds == [("total", "asserted"), ("total", "asserted"), ("total", "asserted"), ("increment", "asserted"),
                     ("total", "planned"), ("total", "asserted"), ("total", "hedged")]


def test_an_increment_sits_on_the_line_at_the_current_total_and_a_range_has_a_whisker():
    chart = timeline(HISTORY, METRIC)
    by_value = {m.title.split(": ")[1].split(" —")[0]: m for m in chart.markers}
    increment, three_thousand = by_value["500 more"], by_value["about 3,000"]
    assert increment.y == three_thousand.y  # drawn at the total it adds to, not at 500
    ranged = by_value["5,000 to 6,000"]
    assert ranged.low_y is not None and ranged.low_y > ranged.y


def test_links_only_to_http_articles_and_small_charts_carry_no_tooltips():
    detailed = timeline(HISTORY, METRIC)
    assert detailed.markers[0].href == "https://news.example/a" and detailed.markers[-1].href is None
    small = timeline(HISTORY, METRIC, width=360, height=130, detailed=False)
    assert all(m.title is None and m.href is None for m in small.markers)
    assert [t.label for t in small.x_ticks] == ["Oct 01", "Oct 16", "Oct 31"]


def test_nothing_to_plot():
    chart = timeline([entry(1, 100, "denied", status="denied")], METRIC)
    assert chart.markers == () and chart.step == "" and chart.denied == 1


def test_a_single_report_gets_a_span_around_it():
    chart = timeline([entry(1, 100, "first_report")], METRIC)
    assert chart.left < chart.markers[0].x < chart.right


@pytest.mark.parametrize(("high", "ticks"), [(6000, [0, 2000, 4000, 6000]), (13000, [0, 5000, 10000, 15000]),
                                             (1, [0, 0.25, 0.5, 0.75, 1]), (0, [0, 1])])
def test_nice_ticks(high, ticks):
    assert nice_ticks(high) == ticks


def test_compact_labels_and_safe_urls():
    assert [compact(v) for v in (950, 1500, 12000, 6_000_000)] == ["950", "1.5k", "12k", "6M"]
    assert safe_url("HTTPS://x.example/a") == "HTTPS://x.example/a"
    assert safe_url("javascript:alert(1)") is None and safe_url(" http://x") is None and safe_url(None) is None


def test_history_rows_say_what_each_report_did():
    rows = history_rows(HISTORY, METRIC)
    assert [r.change for r in rows] == [
        "first report", "repeats the current figure", "+200% (was about 1,000)", "denied", "increment", "planned",
        "lower, no alert", "+100% (was about 3,000)"]
    assert rows[4].amount == "500 more" and rows[-1].url is None
