"""``transferwatch figures [--json]``: the ledger, every metric's current figure, history and sources.

The JSON form is for tools (a list of ``{"metric", "current", "sources",
"history"}``, history oldest first); the console form is for people: one
block per metric with its current figure and a small timeline.
"""

from __future__ import annotations

import json
from typing import Any

import click
import redis

from alerts import messages
from alerts.ledger import Ledger
from worker.connection import connect
from worker.keys import Keys
from worker.settings import ConfigError, Settings

_MARKS = {
    "first_report": "●", "increase": "▲", "decrease": "▼", "increment": "+", "corroboration": "=",
    "lower": "·", "older": "·", "repeated_increment": "=", "denied": "✗", "planned": "…", "possible": "?",
}


def read_figures(connection: redis.Redis, keys: Keys) -> list[dict[str, Any]]:
    """What ``figures --json`` prints (and ``GET /api/figures`` serves): every metric, current figure, sources, history."""
    return Ledger(connection, keys).figures()


def _timeline_line(entry: dict[str, Any], metric: dict[str, str]) -> str:
    """'  2024-11-20 ▲ about 12,000  increase  Yonhap  https://...'."""
    mark = _MARKS.get(entry.get("effect") or "", " ")
    amount = messages.phrase(entry, metric) + (" more" if entry.get("mode") == "additional" else "")
    status = "" if entry.get("status") == "asserted" else f" [{entry.get('status')}]"
    who = entry.get("source") or "?"
    return (f"  {entry.get('published') or '?':10} {mark} {amount:<30} {entry.get('effect', ''):<18} "
            f"{who + status:<28} {entry.get('url') or ''}").rstrip()


def render_console(figures: list[dict[str, Any]]) -> str:
    """A readable table: per metric, the current figure and its sources, then the timeline."""
    if not figures:
        return "No figures yet."
    blocks = []
    for item in figures:
        metric, current = item["metric"], item["current"]
        head = f"{messages.metric_label(metric)} ({metric['unit']})"
        if current:
            sources = ", ".join(dict.fromkeys(s.get("source") or "?" for s in item.get("sources") or []))
            now = f"  now: {messages.phrase(current, metric)}{messages.attribution_tail(current)}"
            now += f"   [{len(item.get('sources') or [])} source(s): {sources}]" if sources else ""
        else:
            now = "  now: no current figure"
        lines = [head, now] + [_timeline_line(e, metric) for e in item["history"]]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


@click.command("figures")
@click.option("--json", "as_json", is_flag=True, help="Print the ledger as JSON (a list of metrics).")
def figures(as_json: bool) -> None:
    """The ledger: the current figure of every tracked metric, with its history and sources."""
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        click.echo(f"transferwatch: {exc}", err=True)
        raise click.exceptions.Exit(2) from None
    try:
        client, server = connect(settings)
    except ConfigError as exc:
        click.echo(f"transferwatch: {exc}", err=True)
        raise click.exceptions.Exit(2) from None
    try:
        data = read_figures(client, Keys(settings.prefix))
    except redis.RedisError as exc:
        click.echo(f"transferwatch: Redis error: {exc}", err=True)
        raise click.exceptions.Exit(1) from None
    finally:
        client.close()
        if server is not None:
            server.stop()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(render_console(data))
