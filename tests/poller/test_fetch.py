"""The fetcher against a local server that misbehaves: every outcome is a result, never an exception."""

from __future__ import annotations

import gzip
import socket
import threading
import time
import tracemalloc
import zlib
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from worker.fetch import USER_AGENT, Fetcher, parse_retry_after

LIMIT = 5 * 1024 * 1024


@pytest.fixture
def fetcher():
    with Fetcher(connect_timeout=1.0, read_timeout=1.0, total_timeout=1.5, max_bytes=LIMIT, max_redirects=3) as f:
        yield f


def _gzip_of_zeros(total: int) -> bytes:
    """A gzip bomb built in 1 MiB steps: ``total`` zero bytes compress to about total/1000."""
    comp = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1024 * 1024)
    parts = [comp.compress(block) for _ in range(total // len(block))]
    parts.append(comp.flush())
    return b"".join(parts)


def test_conditional_get_and_user_agent(http_server, fetcher) -> None:
    def handler(req) -> None:
        if req.headers.get("If-None-Match") == '"v1"':
            req.send_response(304)
            req.send_header("ETag", '"v1"')
            req.end_headers()
            return
        body = b"<rss/>"
        req.send_response(200)
        req.send_header("ETag", '"v1"')
        req.send_header("Last-Modified", "Wed, 20 Nov 2024 08:00:00 GMT")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)

    url = http_server.route("/feed", handler)
    first = fetcher.fetch(url)
    assert first.ok and first.body == b"<rss/>" and first.etag == '"v1"'
    second = fetcher.fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.status == 304 and second.body == b""
    sent = http_server.requests[-1]["headers"]
    assert sent["If-None-Match"] == '"v1"' and sent["If-Modified-Since"] == "Wed, 20 Nov 2024 08:00:00 GMT"
    assert sent["User-Agent"] == USER_AGENT and "transferwatch" in USER_AGENT


def test_gzip_body_is_decoded(http_server, fetcher) -> None:
    body = gzip.compress(b"<rss>" + b"x" * 10000 + b"</rss>")
    url = http_server.serve_bytes("/gz", body, headers={"Content-Encoding": "gzip"})
    result = fetcher.fetch(url)
    assert result.ok and result.body.startswith(b"<rss>") and len(result.body) == 10011


def test_gzip_bomb_stops_at_the_limit_with_bounded_memory(http_server, fetcher) -> None:
    bomb = _gzip_of_zeros(256 * 1024 * 1024)  # 256 MiB of zeros in about 250 KB
    url = http_server.serve_bytes("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        result = fetcher.fetch(url)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.error == "too_large" and result.body == b""
    assert peak < 4 * LIMIT, peak


def test_oversized_body_declared(http_server, fetcher) -> None:
    url = http_server.serve_bytes("/big", b"x" * (LIMIT + 1))
    result = fetcher.fetch(url)
    assert result.error == "too_large" and "limit" in result.message


def test_oversized_body_streamed_without_length(http_server, fetcher) -> None:
    """A 500 MB body sent without Content-Length: we stop reading at the limit."""
    sent = {"bytes": 0}

    def handler(req) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "application/rss+xml")
        req.send_header("Connection", "close")
        req.end_headers()
        chunk = b"<" * 65536
        try:
            while sent["bytes"] < 500 * 1024 * 1024:
                req.wfile.write(chunk)
                sent["bytes"] += len(chunk)
        except OSError:
            pass
        req.close_connection = True

    url = http_server.route("/endless", handler)
    result = fetcher.fetch(url)
    assert result.error == "too_large"
    assert sent["bytes"] < 100 * 1024 * 1024


def test_slow_drip_hits_the_total_timeout(http_server, fetcher) -> None:
    stop = threading.Event()

    def handler(req) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "application/rss+xml")
        req.send_header("Content-Length", "1000")
        req.end_headers()
        try:
            for _ in range(1000):
                req.wfile.write(b" ")
                req.wfile.flush()
                if stop.wait(0.2):
                    return
        except OSError:
            pass

    url = http_server.route("/drip", handler)
    started = time.monotonic()
    result = fetcher.fetch(url)
    stop.set()
    assert result.error == "timeout"
    assert time.monotonic() - started < 3.0


def test_server_that_never_answers_times_out() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the TCP connection, never says a word
    try:
        with Fetcher(connect_timeout=0.5, read_timeout=0.5, total_timeout=1.0) as fetcher:
            result = fetcher.fetch(f"http://127.0.0.1:{listener.getsockname()[1]}/feed")
        assert result.error == "timeout" and result.status is None
    finally:
        listener.close()


def test_connection_refused(fetcher) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    result = fetcher.fetch(f"http://127.0.0.1:{port}/feed")
    assert result.error == "connect" and not result.ok


def test_redirect_loop_and_limit(http_server, fetcher) -> None:
    def loop(req) -> None:
        req.send_response(302)
        req.send_header("Location", "/loop-b" if req.path == "/loop-a" else "/loop-a")
        req.send_header("Content-Length", "0")
        req.end_headers()

    url = http_server.route("/loop-a", loop)
    http_server.route("/loop-b", loop)
    result = fetcher.fetch(url)
    assert result.error == "too_many_redirects"
    assert len(http_server.requests) == 4  # the first request and 3 redirects, then we stop


def test_redirect_is_followed_and_must_stay_http(http_server, fetcher) -> None:
    final = http_server.serve_bytes("/final", b"<rss/>")
    for path, target in (("/moved", final), ("/to-file", "file:///etc/passwd"), ("/to-ftp", "ftp://127.0.0.1/x")):
        http_server.serve_bytes(path, b"", status=301, headers={"Location": target})
    moved = fetcher.fetch(http_server.url("/moved"))
    assert moved.ok and moved.final_url == final and moved.redirects == 1
    for path in ("/to-file", "/to-ftp"):
        result = fetcher.fetch(http_server.url(path))
        assert result.error == "bad_scheme", result
        assert result.body == b""


def test_non_http_url_is_refused_without_a_request(fetcher) -> None:
    assert fetcher.fetch("file:///etc/passwd").error == "bad_scheme"
    assert fetcher.fetch("not a url").error in ("bad_scheme", "bad_url")


@pytest.mark.parametrize("status", [404, 410, 500])
def test_error_statuses(http_server, fetcher, status: int) -> None:
    url = http_server.serve_bytes("/x", b"nope", status=status, content_type="text/plain")
    result = fetcher.fetch(url)
    assert result.error == "http_status" and result.status == status and str(status) in result.message
    assert result.permanent is (status == 410)


def test_retry_after_on_429_and_503(http_server, fetcher) -> None:
    when = datetime.now(timezone.utc) + timedelta(seconds=120)
    http_server.serve_bytes("/429", b"", status=429, headers={"Retry-After": "3600"})
    http_server.serve_bytes("/503", b"", status=503, headers={"Retry-After": format_datetime(when, usegmt=True)})
    assert fetcher.fetch(http_server.url("/429")).retry_after == 3600
    assert 100 < fetcher.fetch(http_server.url("/503")).retry_after <= 121


def test_parse_retry_after() -> None:
    now = datetime(2024, 11, 20, 8, 0, tzinfo=timezone.utc).timestamp()
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after("Wed, 20 Nov 2024 08:05:00 GMT", now) == 300
    assert parse_retry_after("Wed, 20 Nov 2024 07:00:00 GMT", now) == 0  # in the past: now
    assert parse_retry_after("99999999999", now) == 7 * 24 * 3600  # capped
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None


def test_unsupported_content_encoding_is_an_error(http_server, fetcher) -> None:
    url = http_server.serve_bytes("/br", b"\x00\x01", headers={"Content-Encoding": "br"})
    result = fetcher.fetch(url)
    assert result.error == "decode" and "br" in result.message


def test_corrupt_gzip_is_an_error(http_server, fetcher) -> None:
    url = http_server.serve_bytes("/badgz", b"\x1f\x8b\x08\x00garbage-not-deflate", headers={"Content-Encoding": "gzip"})
    assert fetcher.fetch(url).error == "decode"
