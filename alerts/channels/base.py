"""What a delivery channel is: one call per alert, answering ok, retry later, or give up.

Channels never raise for delivery problems and never retry themselves: the
dispatcher owns the schedule (backoff, Retry-After, dead letters), so that a
channel stays a small, stateless translation of an alert into one request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable


@dataclass(frozen=True)
class Outcome:
    status: Literal["ok", "retryable", "permanent"]
    reason: str = ""
    retry_after: float | None = None  # seconds the receiver asked us to wait (Retry-After)

    @classmethod
    def ok(cls) -> Outcome:
        return cls("ok")

    @classmethod
    def retryable(cls, reason: str, retry_after: float | None = None) -> Outcome:
        return cls("retryable", reason, retry_after)

    @classmethod
    def permanent(cls, reason: str) -> Outcome:
        return cls("permanent", reason)


@dataclass(frozen=True)
class Timeouts:
    """Bounds on one delivery: a receiver that hangs is cut off, not waited for."""

    connect: float = 5.0
    read: float = 10.0
    total: float = 30.0


@runtime_checkable
class Channel(Protocol):
    def deliver(self, alert_id: str, body: bytes, alert: dict) -> Outcome:
        """Deliver one alert: ``body`` is the alert JSON exactly as published, ``alert`` its parsed form."""
        ...

    def close(self) -> None:
        """Release connections; called when the subscription goes away or the dispatcher stops."""
        ...
