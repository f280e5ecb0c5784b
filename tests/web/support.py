"""Helpers for the web tests: articles for the real ledger, a real server on a free port, SSE reading."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from alerts.ledger import Ledger
from alerts.messages import QUALIFIER_WORDS
from worker.web.config import WebConfig
from worker.web.server import WebThread, bind

HOSTILE = "<img src=x onerror=alert(1)>"
UNITS = {"troops": "troops", "oil": "barrels", "missiles": "missiles", "containers": "containers"}
SUPPLIERS = {"oil": ("RUS", "PRK")}

FEEDS_TEXT = """\
# watched feeds (a comment that must survive every edit)
feeds:
  # the first wire
  - name: wire
    url: https://wire.example/rss
    interval: 300

  # a second one, paused
  - name: second
    url: https://second.example/feed.xml
    enabled: false   # paused by hand
"""


def article(n: int, value: float, *, category: str = "troops", day: int | None = None, status: str = "asserted",
            mode: str = "total", qualifier: str = "about", title: str | None = None, source: str = "Test Wire",
            url: str | None = None, attribution: str | None = None, low: float | None = None
            ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One article with one event, as a worker hands it to the ledger (written for these tests)."""
    supplier, recipient = SUPPLIERS.get(category, ("PRK", "RUS"))
    published = date(2024, 10, 1) + timedelta(days=day if day is not None else n)
    evidence = f"Report {n}: {value:g} {category} sent, officials said."
    art = {
        "id": f"web-{n}", "version": "v1", "feed": "wire", "source": source,
        "url": url if url is not None else f"https://news.example/web/{n}",
        "title": title if title is not None else f"Report {n}", "text": evidence,
        "published": f"{published.isoformat()}T08:00:00Z", "fingerprint": f"fp-web-{n}",
    }
    event = {
        "supplier": supplier, "recipient": recipient, "category": category,
        "quantity": {"value": value, "low": low if low is not None else value, "high": None, "qualifier": qualifier,
                     "unit": UNITS.get(category, category), "text": f"{QUALIFIER_WORDS.get(qualifier, '')}{value:g}"},
        "mode": mode, "since": None, "status": status, "attribution": attribution, "evidence": evidence,
        "span": [0, len(evidence)],
    }
    return art, [event]


def raise_alert(ledger: Ledger, n: int, value: float, **kwargs: Any) -> dict[str, Any]:
    """Apply one article whose figure is news; returns the alert the ledger raised."""
    alerts = ledger.apply(*article(n, value, **kwargs))
    assert len(alerts) == 1, alerts
    return alerts[0]


@dataclass
class Served:
    """A real uvicorn server running the app in a thread, on 127.0.0.1 and a free port."""

    config: WebConfig
    thread: WebThread
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.base_url, timeout=10, follow_redirects=False)

    @property
    def base_url(self) -> str:
        return self.thread.url.rstrip("/")

    @property
    def feeds_path(self) -> Path:
        return self.config.feeds_path

    def stop(self) -> None:
        self.client.close()
        self.thread.stop()


def start_server(redis_url: str, prefix: str, feeds_path: Path, **options: Any) -> Served:
    config = WebConfig(redis_url=redis_url, prefix=prefix, feeds_path=feeds_path, host="127.0.0.1", port=0, **options)
    thread = WebThread(config, bind("127.0.0.1", 0))
    thread.start()
    served = Served(config, thread)
    for _ in range(200):  # until uvicorn answers (its startup is a few milliseconds)
        try:
            served.client.get("/static/app.css")
            break
        except httpx.TransportError:
            thread.thread.join(0.02)
    return served


@dataclass
class SseEvent:
    event: str | None
    id: str | None
    data: str

    @property
    def alert(self) -> dict[str, Any]:
        return json.loads(self.data)


class SseReader:
    """Reads an open ``text/event-stream`` response event by event (comments included, for keep-alives)."""

    def __init__(self, response: httpx.Response):
        self.response = response
        self.lines: Iterator[str] = response.iter_lines()
        self.comments: list[str] = []

    def next_event(self) -> SseEvent:
        """The next event with data (``retry:``-only blocks and comments are recorded, not returned)."""
        fields: dict[str, list[str]] = {}
        for line in self.lines:
            if line == "":
                if "data" in fields:
                    return SseEvent((fields.get("event") or [None])[-1], (fields.get("id") or [None])[-1],
                                    "\n".join(fields["data"]))
                fields = {}
                continue
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
                continue
            name, _, value = line.partition(":")
            fields.setdefault(name, []).append(value[1:] if value.startswith(" ") else value)
        raise EOFError("the stream ended")

    def next_comment(self, text: str) -> None:
        """Read until a comment line with this text arrives."""
        for line in self.lines:
            if line.startswith(":") and line[1:].strip() == text:
                return
        raise EOFError("the stream ended")
