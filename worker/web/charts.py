"""A metric's timeline as chart geometry; ``templates/_chart.html`` draws it as SVG (autoescaped).

* the figure over publication dates as a **step line**: it moves where a report
  became the current figure (first report, increase, decrease) and runs flat
  to the last report;
* **one marker per report**: a dot at the reported figure, filled when
  asserted, hollow when hedged (``possible``), a hollow square when planned; a
  reported range adds a whisker from its low end; an **increment** ("2,000
  more") is a plus sign on the line at its date (its amount is not a total),
  coloured by the same status;
* **denials are not plotted**: the page lists them under the chart.

Everything here is numbers and plain strings; escaping is the template's job.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from alerts import messages

BECOMES_CURRENT = ("first_report", "increase", "decrease")


@dataclass(frozen=True, slots=True)
class Marker:
    x: float
    y: float
    kind: str  # total | increment: a dot (or square) at its value, or a plus sign on the line
    status: str  # asserted | hedged | planned
    title: str | None  # tooltip: date, figure, source, status (plain text, escaped by the template)
    href: str | None = None  # the article, http(s) only
    low_y: float | None = None  # the low end of a reported range


@dataclass(frozen=True, slots=True)
class Tick:
    at: float
    label: str
    anchor: str = "middle"  # SVG text-anchor: the first and last x labels stay inside the chart


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    step: str  # SVG path data of the step line ("" when no report became current)
    markers: tuple[Marker, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    label: str
    denied: int  # denials left out of the plot


def safe_url(url: Any) -> str | None:
    """An article link only when it is plain http(s): a feed's ``javascript:`` URL is never a link."""
    if not isinstance(url, str):
        return None
    head = url[:8].lower()
    return url if head.startswith("http://") or head.startswith("https://") else None


def compact(value: float) -> str:
    """Axis labels: 950, 1.5k, 12k, 6M."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            text = f"{value / size:.1f}".rstrip("0").rstrip(".")
            return text + suffix
    return messages.number(value)


def nice_ticks(high: float, count: int = 4) -> list[float]:
    """0 and round steps (1, 2, 2.5, 5 x 10^n) up to at least ``high``."""
    if high <= 0:
        return [0.0, 1.0]
    raw = high / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    top = math.ceil(high / step) * step
    return [i * step for i in range(int(round(top / step)) + 1)]


def _day(entry: dict[str, Any]) -> int | None:
    try:
        return date.fromisoformat(str(entry.get("published"))[:10]).toordinal()
    except ValueError:
        return None


def _kind(entry: dict[str, Any]) -> str:
    return "increment" if entry.get("mode") == "additional" else "total"


def _status(entry: dict[str, Any]) -> str:
    return {"possible": "hedged", "planned": "planned"}.get(entry.get("status") or "", "asserted")


def _title(entry: dict[str, Any], metric: dict[str, str]) -> str:
    amount = messages.phrase(entry, metric) + (" more" if entry.get("mode") == "additional" else "")
    who = entry.get("source") or "unknown source"
    claimant = f", per {entry['attribution']}" if entry.get("attribution") else ""
    status = "" if entry.get("status") == "asserted" else f" [{entry.get('status')}]"
    return f"{entry.get('published') or 'undated'}: {amount} — {who}{claimant}{status}"


def timeline(history: list[dict[str, Any]], metric: dict[str, str], *, width: int = 900, height: int = 300,
             detailed: bool = True) -> Chart:
    """The chart of one metric's history (oldest first, as the ledger gives it).

    ``detailed`` charts (a metric's page) carry a tooltip and an article link on
    every marker; the overview's small charts carry only the tooltip's date and figure.
    """
    left, right, top, bottom = (56.0, width - 16.0, 12.0, height - 28.0) if detailed else \
        (40.0, width - 8.0, 8.0, height - 20.0)
    plotted = [(d, e) for e in history if e.get("status") != "denied" and (d := _day(e)) is not None]
    denied = sum(1 for e in history if e.get("status") == "denied")
    label = f"{messages.metric_label(metric)}: {len(plotted)} reports"
    if not plotted:
        return Chart(width, height, left, right, top, bottom, "", (), (), (), label + " (none to plot)", denied)

    first_day = min(d for d, _ in plotted)
    last_day = max(d for d, _ in plotted)
    if last_day - first_day < 2:
        first_day, last_day = first_day - 1, last_day + 1
    totals = [float(e.get("high") or e["value"]) for _, e in plotted if e.get("mode") != "additional"]
    y_values = nice_ticks(max(totals or [float(e["value"]) for _, e in plotted]))
    y_top = y_values[-1]

    def x_of(day: float) -> float:
        return round(left + (day - first_day) / (last_day - first_day) * (right - left), 1)

    def y_of(value: float) -> float:
        return round(bottom - value / y_top * (bottom - top), 1)

    step_parts: list[str] = []
    level: float | None = None
    markers: list[Marker] = []
    for day, entry in plotted:
        kind = _kind(entry)
        if entry.get("effect") in BECOMES_CURRENT and kind != "increment":
            level = float(entry["value"])
            x, y = x_of(day), y_of(level)
            step_parts.append(f"M{x} {y}" if not step_parts else f"H{x}V{y}")
        if kind == "increment":
            y = y_of(level) if level is not None else y_of(float(entry["value"]))
            low_y = None
        else:
            y = y_of(float(entry["value"]))
            low = entry.get("low")
            low_y = y_of(float(low)) if entry.get("qualifier") == "range" and low not in (None, entry["value"]) else None
        title = _title(entry, metric) if detailed else None
        href = safe_url(entry.get("url")) if detailed else None
        markers.append(Marker(x_of(day), y, kind, _status(entry), title, href, low_y))
    if step_parts:
        step_parts.append(f"H{x_of(last_day)}")

    x_ticks = _x_ticks(first_day, last_day, x_of, 4 if detailed else 3, detailed)
    y_ticks = [Tick(y_of(v), compact(v)) for v in y_values]
    return Chart(width, height, left, right, top, bottom, "".join(step_parts), tuple(markers), x_ticks,
                 tuple(y_ticks), label, denied)


def _x_ticks(first_day: int, last_day: int, x_of, count: int, detailed: bool) -> tuple[Tick, ...]:
    """Dates spread over the axis, each label once: full dates on a detailed chart, months (or days) on a small one."""
    span = last_day - first_day
    fmt = "%Y-%m-%d" if detailed else ("%Y-%m" if span > 120 else "%b %d")
    ticks: list[Tick] = []
    for i in range(count):
        day = first_day + span * i / (count - 1)
        label = date.fromordinal(int(round(day))).strftime(fmt)
        if ticks and ticks[-1].label == label:
            continue
        anchor = "start" if i == 0 else "end" if i == count - 1 else "middle"
        ticks.append(Tick(x_of(day), label, anchor))
    return tuple(ticks)
