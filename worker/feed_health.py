"""Each watched feed with its health, as ``feeds list --json`` prints it and ``/api/feeds`` serves it.

The poller keeps one Redis hash per feed (``worker.poller.feed_states``); this
turns that state and the feed's entry in feeds.yaml into one flat row: a
health word (ok, failing, gone, never polled, disabled), last success, last
error, errors in a row, next poll, items seen and articles queued.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import redis

from worker.feeds import FeedConfig
from worker.keys import Keys


def _when(ts: str | None) -> str | None:
    """A Unix time as ISO 8601 UTC; None for unset, zero or unreadable."""
    try:
        value = float(ts) if ts else 0.0
    except ValueError:
        return None
    if not value:
        return None
    return datetime.fromtimestamp(value, tz=timezone.utc).isoformat(timespec="seconds")


def health_row(feed: FeedConfig, state: dict[str, str] | None) -> dict[str, Any]:
    """One feed's row: its configuration and the health its Redis state says."""
    state = state or {}
    errors = int(state.get("error_count") or 0)
    if not feed.enabled:
        health = "disabled"
    elif not state:
        health = "never polled"
    elif state.get("permanent") == "1":
        health = "gone"
    elif errors:
        health = "failing"
    else:
        health = "ok"
    next_poll = _when(state.get("next_poll"))
    if feed.enabled and state and state.get("url") != feed.url:
        next_poll = "now (URL changed)"
    return {
        "name": feed.name,
        "url": feed.url,
        "interval": feed.interval,
        "enabled": feed.enabled,
        "health": health,
        "last_success": state.get("last_success"),
        "last_status": state.get("last_status"),
        "last_error": state.get("last_error") if errors else None,
        "last_error_at": state.get("last_error_at") if errors else None,
        "errors_in_a_row": errors,
        "next_poll": (next_poll or "now") if feed.enabled else None,
        "items_seen": int(state["items_seen"]) if state.get("items_seen", "").isdigit() else None,
        "articles_queued": int(state.get("articles_queued") or 0),
    }


def health_rows(connection: redis.Redis, keys: Keys, feeds: list[FeedConfig]) -> list[dict[str, Any]]:
    """Every feed's row, the state of all of them read in one round trip."""
    from worker.poller import feed_states

    states = feed_states(connection, keys, [f.name for f in feeds])
    return [health_row(feed, states.get(feed.name)) for feed in feeds]


__all__ = ["health_row", "health_rows"]
