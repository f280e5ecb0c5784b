"""Shapes of the API's JSON, for the OpenAPI description only: responses are sent as read, never re-validated.

They follow contracts.md (alert JSON) and what ``figures --json`` and
``feeds list --json`` print; every model allows extra keys, since the
contract lets the project add to them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Metric(_Open):
    supplier: str
    recipient: str
    category: str
    unit: str


class Report(_Open):
    """A figure as reported: a history entry, a current figure, an alert's ``current``."""

    value: float
    qualifier: str
    text: str | None = None
    mode: str | None = None
    since: str | None = None
    status: str | None = None
    attribution: str | None = None
    evidence: str | None = None
    published: str | None = None
    source: str | None = None
    url: str | None = None
    title: str | None = None


class Previous(_Open):
    value: float
    qualifier: str
    published: str | None = None
    source: str | None = None
    url: str | None = None


class Change(_Open):
    absolute: float
    relative: float | None = None


class Alert(_Open):
    id: str
    kind: Literal["first_report", "increase", "decrease", "increment"]
    metric: Metric
    previous: Previous | None
    current: Report
    change: Change | None
    message: str
    created_at: str


class HistoryEntry(Report):
    effect: str
    published_at: str | None = None


class Figure(_Open):
    id: str
    metric: Metric
    current: Report | None
    sources: list[dict[str, Any]]
    history: list[HistoryEntry]


class Feed(_Open):
    name: str
    url: str
    interval: int
    enabled: bool
    health: Literal["ok", "failing", "gone", "never polled", "disabled"]
    last_success: str | None
    last_status: str | None
    last_error: str | None
    last_error_at: str | None
    errors_in_a_row: int
    next_poll: str | None
    items_seen: int | None
    articles_queued: int
