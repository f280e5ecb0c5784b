"""The application factory: ``create_app(WebConfig)`` -> the ASGI app that ``server`` runs.

State on ``app.state``: ``config``, ``keys``, ``sessions``, ``templates``; the
Redis clients come up with the app (lifespan): ``redis`` (sync, for routes
that run in the thread pool, reconnecting with backoff like every other
command), ``redis_probe`` (no retries, short timeouts: ``/healthz`` answers
503 at once when Redis is down) and ``aredis`` (asyncio, for the SSE stream,
whose waits must hold no thread).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from importlib.metadata import PackageNotFoundError, version

import redis
import redis.asyncio
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from redis.backoff import NoBackoff
from redis.retry import Retry
from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles

from worker.connection import client_from_url
from worker.keys import Keys
from worker.web import api, pages
from worker.web.config import WebConfig
from worker.web.security import Guard, SecurityHeaders, Sessions, wants_json

log = structlog.get_logger(__name__)


def _version() -> str:
    try:
        return version("transferwatch")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0"


def static_version() -> str:
    """A short hash of the static files: a new release's script and stylesheet are never served from cache."""
    digest = hashlib.sha256()
    folder = resources.files("worker.web").joinpath("static")
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        digest.update(item.name.encode() + item.read_bytes())
    return digest.hexdigest()[:10]


def async_client_from_url(url: str) -> redis.asyncio.Redis:
    from redis.asyncio.retry import Retry as AsyncRetry
    from redis.backoff import ExponentialBackoff

    return redis.asyncio.Redis.from_url(
        url, retry=AsyncRetry(ExponentialBackoff(cap=1.0, base=0.05), retries=6),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError], socket_connect_timeout=5,
        health_check_interval=15,
    )


def _probe_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2, retry=Retry(NoBackoff(), 0))


def create_app(config: WebConfig) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.redis = client_from_url(config.redis_url)
        app.state.redis_probe = _probe_client(config.redis_url)
        app.state.aredis = async_client_from_url(config.redis_url)
        try:
            yield
        finally:
            await app.state.aredis.aclose()
            app.state.redis.close()
            app.state.redis_probe.close()

    app = FastAPI(
        title="transferwatch",
        version=_version(),
        summary="Figures reported about what Russia and North Korea send each other, and the alerts they raise.",
        description="The ledger, the alert Stream and the feed list of a transferwatch deployment. "
                    "With `TRANSFERWATCH_WEB_TOKEN` set, every request needs `Authorization: Bearer <token>`.",
        docs_url=None,  # Swagger UI and ReDoc load their scripts from a CDN: no
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.config = config
    app.state.keys = Keys(config.prefix)
    app.state.sessions = Sessions(config.token)
    app.state.templates = pages.make_templates(static_version())
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(packages=[("worker.web", "static")]), name="static")

    @app.exception_handler(redis.RedisError)
    async def redis_unavailable(request: Request, exc: redis.RedisError) -> Response:
        log.error("web_redis_error", path=request.url.path, error=str(exc))
        if wants_json(request.url.path):
            return JSONResponse({"error": f"Redis error: {exc}"}, status_code=503)
        return pages.render(request, "error.html", {"nav": "", "title": "Redis is not answering",
                                                    "message": f"Redis error: {exc}"}, 503)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if wants_json(request.url.path):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return pages.render(request, "error.html", {"nav": "", "title": f"Error {exc.status_code}",
                                                    "message": str(exc.detail)}, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
        if wants_json(request.url.path):
            return JSONResponse({"error": problems}, status_code=400)
        return pages.render(request, "error.html", {"nav": "", "title": "Bad request", "message": problems}, 400)

    # outermost last: headers on every answer, then host/auth/session/CSRF before any route
    app.add_middleware(Guard, sessions=app.state.sessions, token=config.token, signin_page=pages.signin_page_for)
    app.add_middleware(SecurityHeaders)
    return app
