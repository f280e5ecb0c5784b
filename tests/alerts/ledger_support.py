"""Helpers for the ledger tests: load timeline fixtures, apply them, and project results for comparison."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from alerts.ledger import Ledger
from alerts.rules import Rules

TIMELINES = Path(__file__).parent.parent / "fixtures" / "timelines"
ALERT_KEYS = {"id", "kind", "metric", "previous", "current", "change", "message", "created_at"}
CURRENT_KEYS = {"value", "qualifier", "text", "mode", "since", "status", "attribution", "evidence",
                "published", "source", "url", "title"}
PREVIOUS_KEYS = {"value", "qualifier", "published", "source", "url"}


def load(name: str) -> dict[str, Any]:
    return json.loads((TIMELINES / name).read_text(encoding="utf-8"))


def timeline_names() -> list[str]:
    return sorted(p.name for p in TIMELINES.glob("*.json"))


def article_of(item: dict[str, Any]) -> dict[str, Any]:
    """The ARTICLE dict the job hands the ledger (worker/jobs.py), without the fixture's events."""
    return {k: v for k, v in item.items() if k != "events"}


def ledger_for(connection, keys, timeline: dict[str, Any]) -> Ledger:
    return Ledger(connection, keys, Rules.from_dict(timeline.get("rules") or {}))


def run(ledger: Ledger, timeline: dict[str, Any]) -> list[dict[str, Any]]:
    """Apply every article in file order (the arrival order); return the alerts in the order raised."""
    alerts: list[dict[str, Any]] = []
    for item in timeline["articles"]:
        alerts += ledger.apply(article_of(item), item["events"])
    return alerts


def metric_id(metric: dict[str, str]) -> str:
    return f"{metric['supplier']}:{metric['recipient']}:{metric['category']}:{metric['unit']}"


def project_alert(alert: dict[str, Any], url_to_article: dict[str, str], like: dict[str, Any]) -> dict[str, Any]:
    """The alert reduced to the fields an expectation names."""
    full = {
        "article": url_to_article.get(alert["current"]["url"]),
        "kind": alert["kind"],
        "metric": metric_id(alert["metric"]),
        "value": alert["current"]["value"],
        "previous": alert["previous"]["value"] if alert["previous"] else None,
        "change": alert["change"],
        "message": alert["message"],
    }
    return {k: full[k] for k in like}


def project_history(entries: list[dict[str, Any]], expected: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each entry reduced to the fields its expectation names (extra entries keep the main ones, for the diff)."""
    main = ("article", "value", "published", "effect")
    return [{k: e.get(k) for k in (expected[i] if i < len(expected) else main)} for i, e in enumerate(entries)]


def stream_alerts(connection, keys) -> list[dict[str, Any]]:
    return [json.loads(fields[b"data"]) for _id, fields in connection.xrange(keys.alerts_stream)]


def apply_batch(redis_url: str, prefix: str, items: list[dict[str, Any]],
                rules: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Apply articles one after another with a connection of its own: one 'worker' (a thread or a process)."""
    from worker.connection import client_from_url
    from worker.keys import Keys

    client = client_from_url(redis_url)
    try:
        ledger = Ledger(client, Keys(prefix), Rules.from_dict(rules or {}))
        out: list[dict[str, Any]] = []
        for item in items:
            out += ledger.apply(article_of(item), item["events"])
        return out
    finally:
        client.close()


def generated_articles(count: int) -> list[dict[str, Any]]:
    """Many one-event troops articles, a figure 10% higher every tenth one, an hour apart: a long-running worker's load."""
    items = []
    for n in range(count):
        value = 1000 * (1.1 ** (n // 10))
        value = int(value) if n % 10 == 0 else int(value) + n % 10  # within 5%: corroboration
        evidence = f"Report {n}: North Korea has sent {value} troops to Russia."
        items.append({
            "id": f"gen-{n}", "version": "v1", "feed": "gen", "source": f"Outlet {n % 7}",
            "url": f"https://news.example/gen/{n}", "title": f"Report {n}", "text": evidence,
            "published": _hours_after("2024-01-01T00:00:00+00:00", n),
            "fingerprint": f"fp-gen-{n}",
            "events": [{"supplier": "PRK", "recipient": "RUS", "category": "troops",
                        "quantity": {"value": value, "low": value, "high": None, "qualifier": "exact", "unit": "troops",
                                     "text": str(value)},
                        "mode": "total", "since": None, "status": "asserted", "attribution": None,
                        "evidence": evidence, "span": [0, len(evidence)]}],
        })
    return items


def _hours_after(start: str, hours: int) -> str:
    from datetime import datetime, timedelta

    return (datetime.fromisoformat(start) + timedelta(hours=hours)).isoformat()
