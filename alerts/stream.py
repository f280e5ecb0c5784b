"""Reading the alert Stream: history from any point, then live, with nothing missed in between.

``since`` is either a Stream id (``1731000000000-0``, exclusive: "after the
last one I saw") or an ISO 8601 time (inclusive: "everything raised since
then"), turned into a Stream id from its Unix milliseconds. The live part
continues from the last id read, never from ``$``, so an alert added between
the history read and the first blocking read is not lost.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

import redis

from worker.keys import Keys

_STREAM_ID = re.compile(r"^\d+(-\d+)?$")
_PAGE = 500


@dataclass(frozen=True)
class StreamAlert:
    entry_id: str
    data: bytes  # the alert JSON exactly as published
    alert: dict | None  # parsed; None when the entry is not valid alert JSON

    @property
    def category(self) -> str | None:
        return ((self.alert or {}).get("metric") or {}).get("category")


def since_to_id(since: str) -> str:
    """A start for XRANGE: ``(ID`` after a Stream id, ``MS-0`` from an ISO time. ValueError otherwise."""
    since = since.strip()
    if _STREAM_ID.match(since):
        return "(" + (since if "-" in since else f"{since}-0")
    try:
        when = datetime.fromisoformat(since)
    except ValueError:
        raise ValueError(f"--since {since!r}: expected a stream id (1731000000000-0) or an ISO time (2024-11-20T10:00:00Z)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return f"{int(when.timestamp() * 1000)}-0"


def parse_entry(entry_id: bytes | str, fields: dict) -> StreamAlert:
    """Never raises: a malformed entry comes back with ``alert=None`` for the caller to skip or report."""
    eid = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    data = fields.get(b"data", fields.get("data", b""))
    if isinstance(data, str):
        data = data.encode()
    try:
        alert = json.loads(data)
        if not isinstance(alert, dict):
            alert = None
    except ValueError:
        alert = None
    return StreamAlert(eid, data, alert)


def _matches(item: StreamAlert, categories: tuple[str, ...]) -> bool:
    return item.alert is not None and (not categories or item.category in categories)


def _entries_after(connection: redis.Redis, keys: Keys, start: str) -> Iterator[StreamAlert]:
    """Every entry from ``start`` (an XRANGE start) to the end, paged, including malformed ones."""
    while True:
        page = connection.xrange(keys.alerts_stream, min=start, max="+", count=_PAGE)
        for entry_id, fields in page:
            item = parse_entry(entry_id, fields)
            start = "(" + item.entry_id
            yield item
        if len(page) < _PAGE:
            return


def read_alerts(
    connection: redis.Redis, keys: Keys, since: str | None, categories: Iterable[str] = ()
) -> Iterator[StreamAlert]:
    """Every alert in the Stream after ``since`` (all when None), oldest first."""
    cats = tuple(categories)
    for item in _entries_after(connection, keys, since_to_id(since) if since else "-"):
        if _matches(item, cats):
            yield item


def latest(
    connection: redis.Redis, keys: Keys, limit: int, categories: Iterable[str] = (), *, until: str = "+"
) -> list[StreamAlert]:
    """The newest ``limit`` alerts up to the entry ``until`` (inclusive), oldest first."""
    cats = tuple(categories)
    found: list[StreamAlert] = []
    end = until
    while len(found) < limit:
        page = connection.xrevrange(keys.alerts_stream, max=end, min="-", count=_PAGE)
        for entry_id, fields in page:
            item = parse_entry(entry_id, fields)
            end = "(" + item.entry_id
            if _matches(item, cats):
                found.append(item)
                if len(found) == limit:
                    break
        if len(page) < _PAGE:
            break
    found.reverse()
    return found


def last_id(connection: redis.Redis, keys: Keys) -> str:
    """The newest entry id, or ``0-0`` for an empty/missing Stream."""
    newest = connection.xrevrange(keys.alerts_stream, count=1)
    if not newest:
        return "0-0"
    eid = newest[0][0]
    return eid.decode() if isinstance(eid, bytes) else eid


def tail(
    connection: redis.Redis,
    keys: Keys,
    since: str | None = None,
    categories: Iterable[str] = (),
    *,
    stop: threading.Event | None = None,
    block: float = 1.0,
) -> Iterator[StreamAlert]:
    """History after ``since`` (none when None), then live alerts as they arrive, until ``stop`` is set."""
    cats = tuple(categories)
    cursor = last_id(connection, keys)
    if since:
        for item in _entries_after(connection, keys, since_to_id(since)):
            if id_order(item.entry_id) > id_order(cursor):
                cursor = item.entry_id  # added while we read the history
            if _matches(item, cats):
                yield item
    stop = stop or threading.Event()
    while not stop.is_set():
        reply = connection.xread({keys.alerts_stream: cursor}, count=_PAGE, block=max(1, int(block * 1000)))
        for _stream, entries in reply or ():
            for entry_id, fields in entries:
                item = parse_entry(entry_id, fields)
                cursor = item.entry_id
                if _matches(item, cats):
                    yield item


def id_order(entry_id: str) -> tuple[int, int]:
    """A Stream id as a sortable pair: ``1731000000000-2`` -> ``(1731000000000, 2)``."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)
