"""The ledger's figures (``figures --json``) as the pages show them: cards, last changes, history rows.

Plain data out, no markup: the templates escape every string, most of which
came from a feed (titles, sources, claimants, evidence sentences).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from alerts import messages
from worker.web.charts import Chart, safe_url, timeline

CHANGE_EFFECTS = ("first_report", "increase", "decrease", "increment")
EFFECT_WORDS = {
    "first_report": "first report",
    "increase": "increase",
    "decrease": "decrease",
    "increment": "increment",
    "corroboration": "repeats the current figure",
    "lower": "lower, no alert",
    "older": "older than the current figure",
    "repeated_increment": "increment already reported",
    "denied": "denied",
    "planned": "planned",
    "recorded": "recorded",
}


def metric_path(metric_id: str) -> str:
    return "/metric/" + quote(metric_id, safe=":")


@dataclass(frozen=True)
class Row:
    """One report in a metric's history table."""

    published: str
    figure: str  # as reported: "more than 10,000"
    amount: str  # as read: "10,000 more" / "about 12,000"
    change: str
    effect: str
    source: str
    claimant: str
    status: str
    evidence: str
    title: str
    url: str | None


@dataclass(frozen=True)
class MetricView:
    id: str
    path: str
    label: str
    unit: str
    category: str
    current: str | None  # "about 12,000 — Yonhap, 2024-11-20"
    current_status: str | None
    last_change: Row | None
    latest: Row | None  # the newest report, when it is not the last change (a repeat, a denial, ...)
    sources: int  # sources corroborating the current figure
    reports: int
    chart: Chart
    rows: tuple[Row, ...]  # oldest first
    denials: tuple[Row, ...]

    @property
    def unit_shown(self) -> bool:
        """'troops' in 'soldiers' says something; 'containers' in 'containers' does not."""
        return self.unit not in self.category.split("_")


def _change(entry: dict[str, Any], previous: dict[str, Any] | None, metric: dict[str, str]) -> str:
    effect = entry.get("effect") or ""
    if effect in ("increase", "decrease") and previous and previous.get("value"):
        relative = (float(entry["value"]) - float(previous["value"])) / float(previous["value"])
        return f"{messages.percent(relative)} (was {messages.phrase(previous, metric)})"
    return EFFECT_WORDS.get(effect, effect)


def _row(entry: dict[str, Any], previous: dict[str, Any] | None, metric: dict[str, str]) -> Row:
    return Row(
        published=entry.get("published") or "undated",
        figure=entry.get("text") or messages.phrase(entry, metric),
        amount=messages.phrase(entry, metric) + (" more" if entry.get("mode") == "additional" else ""),
        change=_change(entry, previous, metric),
        effect=entry.get("effect") or "",
        source=entry.get("source") or "",
        claimant=entry.get("attribution") or "",
        status=entry.get("status") or "",
        evidence=entry.get("evidence") or "",
        title=entry.get("title") or entry.get("url") or "(untitled)",
        url=safe_url(entry.get("url")),
    )


def _becomes_current(entry: dict[str, Any]) -> bool:
    return entry.get("effect") in ("first_report", "increase", "decrease") and entry.get("mode") != "additional"


def history_rows(history: list[dict[str, Any]], metric: dict[str, str]) -> list[Row]:
    """Each report with what it did to the figure, oldest first."""
    rows = []
    level: dict[str, Any] | None = None  # the report that was the current figure then
    for entry in history:
        rows.append(_row(entry, level, metric))
        if _becomes_current(entry):
            level = entry
    return rows


def last_change(history: list[dict[str, Any]], metric: dict[str, str]) -> Row | None:
    """The newest report that changed the figure (a first report, an increase or decrease, an increment)."""
    index = next((i for i in range(len(history) - 1, -1, -1) if history[i].get("effect") in CHANGE_EFFECTS), None)
    if index is None:
        return None
    previous = next((e for e in reversed(history[:index]) if _becomes_current(e)), None)
    return _row(history[index], previous, metric)


def metric_view(item: dict[str, Any], *, detailed: bool) -> MetricView:
    """A metric as a page shows it; the overview's (``detailed=False``) has a small chart and no history rows."""
    metric, current, history = item["metric"], item.get("current"), item.get("history") or []
    mid = item.get("id") or ":".join(metric[k] for k in ("supplier", "recipient", "category", "unit"))
    rows = history_rows(history, metric) if detailed else []
    changed_entry = next((e for e in reversed(history) if e.get("effect") in CHANGE_EFFECTS), None)
    changed = last_change(history, metric)
    size = {"width": 900, "height": 300} if detailed else {"width": 360, "height": 130}
    return MetricView(
        id=mid,
        path=metric_path(mid),
        label=messages.metric_label(metric),
        unit=metric.get("unit", ""),
        category=metric.get("category", ""),
        current=(messages.phrase(current, metric) + messages.attribution_tail(current)) if current else None,
        current_status=(current or {}).get("status"),
        last_change=changed,
        latest=_row(history[-1], None, metric) if history and history[-1] is not changed_entry else None,
        sources=len(item.get("sources") or []),
        reports=len(history),
        chart=timeline(history, metric, detailed=detailed, **size),
        rows=tuple(rows),
        denials=tuple(r for r in rows if r.status == "denied") if detailed else
        tuple(_row(e, None, metric) for e in history if e.get("status") == "denied"),
    )


def overview(figures: list[dict[str, Any]]) -> list[MetricView]:
    return [metric_view(item, detailed=False) for item in figures]
