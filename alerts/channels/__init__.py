"""Delivery channels: a webhook for ``http(s)://`` targets, apprise for every other notification URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alerts.channels.base import Channel, Outcome, Timeouts

if TYPE_CHECKING:
    from alerts.subscriptions import Subscription

__all__ = ["Channel", "Outcome", "Timeouts", "for_subscription"]


def for_subscription(subscription: Subscription, timeouts: Timeouts = Timeouts()) -> Channel:
    """The channel a subscription's target needs (imported lazily: apprise is slow to load)."""
    if subscription.is_webhook:
        from alerts.channels.webhook import WebhookChannel

        return WebhookChannel(subscription.target, subscription.secret or "", timeouts)
    from alerts.channels.notify import NotifyChannel

    return NotifyChannel(subscription.target, timeouts)
