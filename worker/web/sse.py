"""Alerts as Server-Sent Events: ``event: alert``, ``id:`` the Stream entry id, ``data:`` the alert JSON.

The same reading as ``alerts tail`` (``alerts/stream.py``), on the asyncio Redis
client so that a waiting client holds no thread: the newest entry id is read
when the client connects (before the response starts), so an alert raised
after that reaches it; a reconnect (``Last-Event-ID``, or ``since``) first gets
every entry after that id from XRANGE, then follows with XREAD from the last id
read, never from ``$``: nothing between the two is lost and nothing comes twice.
A comment line every ``keepalive`` seconds keeps proxies from closing an idle
stream and lets the server notice a client that went away.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import redis
import redis.asyncio
import structlog

from alerts.stream import StreamAlert, id_order, parse_entry, since_to_id
from worker.keys import Keys

log = structlog.get_logger(__name__)

RETRY_MS = 2000  # how long a browser waits before reconnecting
_PAGE = 500


def format_event(item: StreamAlert) -> str:
    """One SSE event; a JSON with line breaks (never from the ledger, but possible) stays one event."""
    lines = item.data.decode("utf-8", "replace").splitlines() or [""]
    return f"event: alert\nid: {item.entry_id}\n" + "".join(f"data: {line}\n" for line in lines) + "\n"


async def newest_id(client: redis.asyncio.Redis, keys: Keys) -> str:
    newest = await client.xrevrange(keys.alerts_stream, count=1)
    if not newest:
        return "0-0"
    eid = newest[0][0]
    return eid.decode() if isinstance(eid, bytes) else eid


def _wanted(item: StreamAlert, categories: tuple[str, ...]) -> bool:
    if item.alert is None:
        log.warning("stream_entry_malformed", entry_id=item.entry_id)
        return False
    return not categories or item.category in categories


async def alert_events(client: redis.asyncio.Redis, keys: Keys, *, cursor: str, since: str | None,
                       categories: tuple[str, ...], keepalive: float) -> AsyncIterator[str]:
    """The event stream: history after ``since`` (when given), then live entries after ``cursor``.

    ``cursor`` is the newest entry id when the client connected; ``since`` is a
    Stream id (exclusive) or an ISO time (inclusive), already validated.
    """
    yield f"retry: {RETRY_MS}\n: connected\n\n"
    if since:
        start = since_to_id(since)
        if start.startswith("(") and id_order(start[1:]) > id_order(cursor):
            cursor = start[1:]  # an id newer than the Stream's newest: follow from there
        while True:
            page = await client.xrange(keys.alerts_stream, min=start, max="+", count=_PAGE)
            for entry_id, fields in page:
                item = parse_entry(entry_id, fields)
                start = "(" + item.entry_id
                if id_order(item.entry_id) > id_order(cursor):
                    cursor = item.entry_id
                if _wanted(item, categories):
                    yield format_event(item)
            if len(page) < _PAGE:
                break
    block_ms = max(1, int(min(keepalive, 5.0) * 1000))
    last_write = time.monotonic()
    while True:
        try:
            reply = await client.xread({keys.alerts_stream: cursor}, count=_PAGE, block=block_ms)
        except redis.RedisError as exc:
            # the browser reconnects with Last-Event-ID and resumes after the last event it got
            log.warning("alert_stream_redis_error", error=str(exc), cursor=cursor)
            return
        for _stream, entries in reply or ():
            for entry_id, fields in entries:
                item = parse_entry(entry_id, fields)
                cursor = item.entry_id
                if _wanted(item, categories):
                    last_write = time.monotonic()
                    yield format_event(item)
        if time.monotonic() - last_write >= keepalive:
            last_write = time.monotonic()
            yield ": keep-alive\n\n"
