"""Shared test fixtures: a real Redis (never a fake) and a real local HTTP server.

Redis: ``REDIS_URL`` when set, otherwise one embedded ``redis-server`` for the
whole session on a temp unix socket. Every test gets its own key prefix and
its keys are deleted afterwards; nothing ever runs FLUSHALL.
"""

from __future__ import annotations

import http.server
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

# RQ reads its key prefix once, at import; every test prefix shares this one (and subprocesses inherit it)
os.environ["RQ_KEY_PREFIX"] = "twtest:rq"

from worker.connection import EmbeddedRedis, client_from_url  # noqa: E402
from worker.keys import Keys  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """URL of the Redis the tests use: ``REDIS_URL``, or an embedded server started for the session."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def prefix() -> str:
    return f"twtest-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def keys(prefix) -> Keys:
    return Keys(prefix)


@pytest.fixture
def redis_client(redis_url, prefix) -> Iterator[redis.Redis]:
    """A client on the test Redis; every key under this test's prefix (and its RQ keys) is removed after."""
    client = client_from_url(redis_url)
    yield client
    for pattern in (f"{prefix}*", f"twtest:rq:*{prefix}*"):
        batch = list(client.scan_iter(match=pattern, count=1000))
        for i in range(0, len(batch), 500):
            client.delete(*batch[i : i + 500])
    client.close()


@pytest.fixture
def service_env(redis_url, prefix, tmp_path) -> dict[str, str]:
    """Environment for running ``transferwatch`` as a subprocess against the test Redis."""
    env = dict(os.environ)
    env.update(
        REDIS_URL=redis_url,
        TRANSFERWATCH_PREFIX=prefix,
        TRANSFERWATCH_DATA_DIR=str(tmp_path / "data"),
        LOG_FORMAT="json",
    )
    return env


# --- a local HTTP server -----------------------------------------------------

Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


@dataclass
class LocalHTTPServer:
    """Serves registered routes on 127.0.0.1; records every request it gets."""

    server: http.server.ThreadingHTTPServer
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[dict] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"  # the fixture binds it there

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def serve_bytes(self, path: str, body: bytes, content_type: str = "application/rss+xml", status: int = 200,
                    headers: dict[str, str] | None = None) -> str:
        def handler(req: http.server.BaseHTTPRequestHandler) -> None:
            req.send_response(status)
            req.send_header("Content-Type", content_type)
            req.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                req.send_header(k, v)
            req.end_headers()
            if req.command != "HEAD":
                req.wfile.write(body)

        return self.route(path, handler)


@pytest.fixture
def http_server() -> Iterator[LocalHTTPServer]:
    holder: dict[str, LocalHTTPServer] = {}

    class RequestHandler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def _dispatch(self) -> None:
            local = holder["server"]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = self.path.split("?", 1)[0]
            local.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body})
            handler = local.routes.get(path)
            if handler is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.request_body = body
            handler(self)

        do_GET = do_POST = do_HEAD = _dispatch

    class Server(http.server.ThreadingHTTPServer):
        request_queue_size = 128  # listen() backlog: the default 5 refuses connections when 20 feeds are polled at once

    server = Server(("127.0.0.1", 0), RequestHandler)
    server.daemon_threads = True
    local = LocalHTTPServer(server)
    holder["server"] = local
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield local
    finally:
        server.shutdown()
        server.server_close()
