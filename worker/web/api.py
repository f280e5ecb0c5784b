"""The JSON routes of the contract: figures, alerts (a page, and live as SSE), feeds with health, health.

``/api/figures`` is exactly what ``transferwatch figures --json`` prints (the
same function reads it); ``/api/feeds`` the rows of ``feeds list --json``, with
any password in a feed URL masked. Alerts are the JSON objects of the Stream,
unchanged. Bad parameters are a 400 naming the problem.
"""

from __future__ import annotations

import itertools
from typing import Annotated

import redis
from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from alerts.stream import latest, read_alerts, since_to_id
from alerts.subscriptions import CATEGORIES, SubscriptionError, validate_categories
from worker.commands.figures import read_figures
from worker.feed_health import health_rows
from worker.feeds import load_feeds
from worker.settings import ConfigError, redact_url
from worker.web import schemas
from worker.web.sse import alert_events, newest_id

router = APIRouter()

MAX_LIMIT = 1000
SinceParam = Annotated[str | None, Query(
    description="A Stream entry id (exclusive: the alerts after it) or an ISO 8601 time (inclusive).",
    examples=["1731000000000-0", "2024-11-20T10:00:00Z"])]
CategoryParam = Annotated[list[str], Query(
    description=f"Only these categories (repeatable). One of: {', '.join(CATEGORIES)}.")]


def categories_of(values: list[str]) -> tuple[str, ...]:
    try:
        return validate_categories(values)
    except SubscriptionError as exc:
        raise HTTPException(400, str(exc)) from None


def check_since(since: str | None, name: str = "since") -> str | None:
    if since is None or not since.strip():
        return None
    try:
        since_to_id(since)
    except ValueError:
        raise HTTPException(400, f"{name} {since!r}: expected a Stream id (1731000000000-0) or an ISO 8601 time "
                                 "(2024-11-20T10:00:00Z)") from None
    return since.strip()


@router.get("/api/figures", tags=["ledger"], response_model=None,
            responses={200: {"model": list[schemas.Figure]}},
            summary="Every metric with its current figure, sources and history (as `transferwatch figures --json`)")
def figures(request: Request) -> JSONResponse:
    state = request.app.state
    return JSONResponse(read_figures(state.redis, state.keys))


@router.get("/api/alerts", tags=["alerts"], response_model=None,
            responses={200: {"model": list[schemas.Alert],
                             "headers": {"X-Last-Stream-Id": {"description": "Stream id of the last alert returned "
                                                                               "(pass it as `since` for the next page)",
                                                              "schema": {"type": "string"}}}}},
            summary="Alerts from the Stream, oldest first")
def alerts(request: Request, since: SinceParam = None, category: CategoryParam = [],  # noqa: B006 - FastAPI copies it
           limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most this many alerts.")] = 100
           ) -> JSONResponse:
    """With `since`, the first `limit` alerts after it (page forward with `X-Last-Stream-Id`);
    without, the newest `limit` alerts. Either way oldest first."""
    state = request.app.state
    cats = categories_of(category)
    since = check_since(since)
    if since:
        items = list(itertools.islice(read_alerts(state.redis, state.keys, since, cats), limit))
    else:
        items = latest(state.redis, state.keys, limit, cats)
    headers = {"X-Last-Stream-Id": items[-1].entry_id} if items else {}
    return JSONResponse([item.alert for item in items], headers=headers)


@router.get("/api/alerts/stream", tags=["alerts"], response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
                             "description": "`event: alert`, `id:` the Stream entry id, `data:` the alert JSON"}},
            summary="Alerts live, as Server-Sent Events")
async def alert_stream(request: Request, category: CategoryParam = [],  # noqa: B006
                       since: SinceParam = None,
                       last_event_id: Annotated[str | None, Header(
                           alias="Last-Event-ID", description="Resume after this Stream entry id.")] = None
                       ) -> StreamingResponse:
    """From the moment of connection on; with `Last-Event-ID` (sent by a reconnecting browser) or `since`,
    first every alert after that point. Comments (`: keep-alive`) keep an idle stream open."""
    state = request.app.state
    cats = categories_of(category)
    start = check_since(last_event_id, "Last-Event-ID") or check_since(since)
    cursor = await newest_id(state.aredis, state.keys)  # before the response starts: an alert after this is sent
    events = alert_events(state.aredis, state.keys, cursor=cursor, since=start, categories=cats,
                          keepalive=state.config.keepalive)
    return StreamingResponse(events, media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/api/feeds", tags=["feeds"], response_model=None, responses={200: {"model": list[schemas.Feed]}},
            summary="Each feed of the feed list with its health")
def feeds(request: Request) -> JSONResponse:
    state = request.app.state
    try:
        listed = load_feeds(state.config.feeds_path)
    except ConfigError as exc:
        return JSONResponse({"error": str(exc)}, status_code=500)
    rows = health_rows(state.redis, state.keys, listed)
    for row in rows:
        row["url"] = redact_url(row["url"])
    return JSONResponse(rows)


@router.get("/healthz", tags=["operations"], response_model=None,
            responses={200: {"description": "Redis answers"}, 503: {"description": "Redis does not answer"}},
            summary="200 when Redis answers, 503 otherwise")
def healthz(request: Request) -> JSONResponse:
    try:
        request.app.state.redis_probe.ping()
    except (redis.RedisError, OSError) as exc:
        return JSONResponse({"status": "unavailable", "redis": type(exc).__name__}, status_code=503)
    return JSONResponse({"status": "ok"})
