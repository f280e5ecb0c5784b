"""The one line a person reads first.

    North Korea → Russia, troops: about 12,000 (was more than 10,000, +20%) — Yonhap, 2024-11-20

The ledger's Lua script decides the kind and knows the previous figure only at
the moment it runs, so :func:`templates` prepares, per possible kind, the line
with two holes the script fills in: ``%PREV%`` (the previous figure's phrase,
stored with it) and ``%PCT%`` (the signed percentage). :func:`render` builds
the same line from a finished alert, for tests and for other tools.
"""

from __future__ import annotations

from typing import Any

from alerts.rules import says_unit

COUNTRIES = {"RUS": "Russia", "PRK": "North Korea"}
QUALIFIER_WORDS = {
    "exact": "",
    "about": "about ",
    "at_least": "at least ",
    "more_than": "more than ",
    "up_to": "up to ",
    "less_than": "less than ",
    "vague": "",
}
PREV = "%PREV%"
PCT = "%PCT%"


def number(value: float | int | None) -> str:
    """12000 -> '12,000'; 2.5 -> '2.5'."""
    if value is None:
        return "?"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def metric_label(metric: dict[str, str]) -> str:
    """'North Korea → Russia, troops'."""
    supplier = COUNTRIES.get(metric["supplier"], metric["supplier"])
    recipient = COUNTRIES.get(metric["recipient"], metric["recipient"])
    return f"{supplier} → {recipient}, {metric['category'].replace('_', ' ')}"


def phrase(figure: dict[str, Any], metric: dict[str, str]) -> str:
    """'about 12,000', '11,000 to 12,000', '1,000,000 barrels' (the unit only where the category does not say it)."""
    value, qualifier = figure.get("value"), figure.get("qualifier") or "exact"
    if qualifier == "range" and figure.get("low") is not None and figure["low"] != value:
        text = f"{number(figure['low'])} to {number(value)}"
    elif qualifier == "range":
        text = f"up to {number(value)}"
    else:
        text = QUALIFIER_WORDS.get(qualifier, "") + number(value)
    if says_unit(metric["category"]):
        text += f" {metric['unit']}"
    return text


def attribution_tail(current: dict[str, Any]) -> str:
    """' — Yonhap, 2024-11-20'."""
    who = current.get("source") or current.get("attribution") or "unknown source"
    when = current.get("published") or "undated"
    return f" — {who}, {when}"


def percent(relative: float | None) -> str:
    """0.2 -> '+20%', -0.333 -> '-33%'; rounded half away from zero, as the Lua script does."""
    if relative is None:
        return "n/a"
    scaled = int(abs(relative) * 100 + 0.5)
    return f"{'+' if relative >= 0 else '-'}{scaled}%"


def templates(metric: dict[str, str], current: dict[str, Any]) -> dict[str, str]:
    """The line for each kind an event could raise, with ``%PREV%``/``%PCT%`` left for the script."""
    head = f"{metric_label(metric)}: {phrase(current, metric)}"
    tail = attribution_tail(current)
    return {
        "first_report": f"{head} (first report){tail}",
        "increase": f"{head} (was {PREV}, {PCT}){tail}",
        "decrease": f"{head} (was {PREV}, {PCT}){tail}",
        "increment": f"{head} more (latest total: {PREV}){tail}",
        "increment_first": f"{head} more (no total yet){tail}",
    }


def render(alert: dict[str, Any]) -> str:
    """The message of a finished alert, built the way the script builds it."""
    metric, current, previous = alert["metric"], alert["current"], alert.get("previous")
    kind = alert["kind"]
    if kind == "increment" and previous is None:
        kind = "increment_first"
    line = templates(metric, current)[kind]
    if previous is not None:
        line = line.replace(PREV, phrase(previous, metric))
    change = alert.get("change") or {}
    return line.replace(PCT, percent(change.get("relative")))
