"""Notification URLs (Slack, Discord, Telegram, email, ``json://`` ...) through apprise.

apprise answers only success or failure, so every failure is retryable: the
dispatcher's retry limit turns a URL that keeps failing into a dead letter.
apprise's own retries are left at zero so that the schedule stays ours.
"""

from __future__ import annotations

import apprise

from alerts.channels.base import Outcome, Timeouts
from worker.errors import SubscriptionError

_TITLE_MAX = 80


def title_of(alert: dict) -> str:
    """Short: ``transferwatch: troops increase (PRK→RUS)``."""
    metric = alert.get("metric") or {}
    parts = [metric.get("category") or "alert", alert.get("kind") or ""]
    route = f" ({metric.get('supplier')}→{metric.get('recipient')})" if metric.get("supplier") else ""
    return ("transferwatch: " + " ".join(p for p in parts if p) + route)[:_TITLE_MAX]


def body_of(alert: dict) -> str:
    """The alert's one line for people, then the article it came from."""
    message = alert.get("message") or "(no message)"
    url = (alert.get("current") or {}).get("url")
    return f"{message}\n{url}" if url else message


class NotifyChannel:
    """One apprise service, loaded once per subscription."""

    def __init__(self, url: str, timeouts: Timeouts = Timeouts()):
        plugin = apprise.Apprise.instantiate(url)
        if plugin is None:
            raise SubscriptionError("notification URL could not be loaded")
        plugin.socket_connect_timeout = timeouts.connect
        plugin.socket_read_timeout = timeouts.read
        plugin.retry = 0
        self.plugin = plugin

    def __repr__(self) -> str:  # a notification URL carries its service's token
        return f"NotifyChannel({self.plugin.url(privacy=True).split('?', 1)[0]!r})"

    def deliver(self, alert_id: str, body: bytes, alert: dict) -> Outcome:
        try:
            ok = self.plugin.notify(body=body_of(alert), title=title_of(alert))
        except Exception as exc:  # a plugin bug must not kill the delivery thread
            return Outcome.retryable(f"notification error ({type(exc).__name__})")
        return Outcome.ok() if ok else Outcome.retryable(f"{self.plugin.service_name} notification failed")

    def close(self) -> None:
        pass
