"""Benchmark: one poll tick over 1,000 local feeds, mostly unchanged (304), against raw conditional GETs.

Usage: ``python bench/bench_poll.py [--feeds 1000] [--changed 0.02] [--concurrency 32]``

Serves every feed from one local HTTP server on 127.0.0.1, primes the poller
(first tick: 200s and queued articles), makes every feed due again, changes
a small share of them, then times one full tick. The baseline is the same
number of conditional GETs with the same ETags through a bare httpx client
and thread pool: the ratio is what scheduling, leases, Redis state and
parsing cost on top of HTTP. Uses ``REDIS_URL`` when set, else an embedded
redis-server in a temp dir; all keys go under a throwaway prefix and are
deleted afterwards.
"""

from __future__ import annotations

import argparse
import http.server
import os
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from worker.keys import Keys, rq_key_prefix, use_rq_prefix

use_rq_prefix(Keys("twbench"))  # before rq is imported (by the poller)

from worker.connection import EmbeddedRedis, client_from_url  # noqa: E402
from worker.logs import configure  # noqa: E402
from worker.poller import Poller  # noqa: E402


def _feed(i: int, version: int) -> bytes:
    items = "".join(
        f"<item><guid>bench-{i}-{j}-{version}</guid><title>Story {j} of feed {i}</title>"
        f"<link>http://127.0.0.1/story/{i}/{j}</link><description>Version {version} of story {j}: about "
        f"{1000 + j} shells were shipped, feed {i} says.</description></item>"
        for j in range(5)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Bench {i}</title>{items}</channel></rss>'.encode()


class FeedServer:
    """N feeds with ETags; ``changed`` ones get a new body (and ETag)."""

    def __init__(self, count: int):
        self.versions = [1] * count
        self.hits = 0
        server_self = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                server_self.hits += 1
                i = int(self.path.rsplit("/", 1)[1])
                etag = f'"{i}-{server_self.versions[i]}"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = _feed(i, server_self.versions[i])
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 1024  # a short listen backlog costs 1 s SYN retries, timing the kernel not us

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}/feed/{i}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def raw_conditional_gets(urls: list[str], etags: list[str], concurrency: int) -> float:
    """The floor: the same conditional GETs, no Redis, no parsing."""
    with httpx.Client(limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)) as client:
        def get(pair: tuple[str, str]) -> int:
            return client.get(pair[0], headers={"If-None-Match": pair[1]}).status_code

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            statuses = list(pool.map(get, zip(urls, etags, strict=True)))
        elapsed = time.perf_counter() - started
    assert all(s in (200, 304) for s in statuses)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--changed", type=float, default=0.02, help="share of feeds with new content")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    configure(os.environ.get("LOG_FORMAT", "console"), os.environ.get("LOG_LEVEL", "warning"))
    embedded = None
    if os.environ.get("REDIS_URL"):
        url = os.environ["REDIS_URL"]
    else:
        embedded = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="twbench-"))).start()
        url = embedded.url
    conn = client_from_url(url)
    keys = Keys(f"twbench-{uuid.uuid4().hex[:8]}")
    server = FeedServer(args.feeds)
    workdir = Path(tempfile.mkdtemp(prefix="twbench-feeds-"))
    feeds_path = workdir / "feeds.yaml"
    lines = ["feeds:"]
    for i in range(args.feeds):
        lines += [f"  - name: feed-{i}", f"    url: {server.url(i)}", "    interval: 60"]
    feeds_path.write_text("\n".join(lines) + "\n")
    try:
        with Poller(conn, keys, feeds_path, concurrency=args.concurrency) as poller:
            started = time.perf_counter()
            prime = poller.tick()
            prime_s = time.perf_counter() - started
            print(f"prime tick: {prime.feeds_polled} feeds, {prime.articles_new} articles queued in {prime_s:.2f}s")

            changed = set(range(0, args.feeds, max(1, round(1 / args.changed)))) if args.changed > 0 else set()
            for i in changed:
                server.versions[i] += 1
            pipe = conn.pipeline(transaction=False)
            for i in range(args.feeds):  # everything due again, as if the interval had passed
                pipe.hset(keys.feed_state(f"feed-{i}"), mapping={"last_attempt": 0, "hold_until": 0})
            pipe.execute()

            started = time.perf_counter()
            report = poller.tick()
            tick_s = time.perf_counter() - started
        etags = [f'"{i}-{v}"' for i, v in enumerate(server.versions)]
        for i in changed:  # the raw baseline sends the same stale ETag for the changed ones, so they get 200 too
            etags[i] = f'"{i}-{server.versions[i] - 1}"'
        raw_s = raw_conditional_gets([server.url(i) for i in range(args.feeds)], etags, args.concurrency)
        print(
            f"full tick: {report.feeds_polled} feeds polled ({report.feeds_not_modified} answered 304, "
            f"{report.feeds_failed} failed), {report.articles_new} new articles, in {tick_s:.2f}s"
        )
        print(f"raw concurrent conditional GETs of the same URLs: {raw_s:.2f}s")
        print(f"ratio tick / raw: {tick_s / raw_s:.2f}x")
    finally:
        server.close()
        batch = [key for pattern in keys.scan_patterns(rq_key_prefix()) for key in conn.scan_iter(match=pattern, count=1000)]
        for i in range(0, len(batch), 500):
            conn.delete(*batch[i : i + 500])
        if embedded is not None:
            embedded.stop()


if __name__ == "__main__":
    main()
