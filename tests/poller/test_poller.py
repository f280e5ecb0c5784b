"""The poller end to end: a real Redis, a real local HTTP server, real RQ jobs; time moved by a fake clock."""

from __future__ import annotations

import gzip
import threading
import zlib

from structlog.testing import capture_logs

from worker.feeds import add_feed
from worker.jobs import make_queue
from worker.poller import TickReport

from .support import fixture_bytes, queued_articles, write_feeds


def _etag_route(http_server, path: str, body: bytes, etag: str = '"v1"') -> str:
    """A feed that answers 304 to a matching If-None-Match."""
    def handler(req) -> None:
        if req.headers.get("If-None-Match") == etag:
            req.send_response(304)
            req.send_header("ETag", etag)
            req.end_headers()
            return
        req.send_response(200)
        req.send_header("Content-Type", "application/rss+xml")
        req.send_header("ETag", etag)
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)

    return http_server.route(path, handler)


def _state(redis_client, keys, name: str) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in redis_client.hgetall(keys.feed_state(name)).items()}


def _hits(http_server, path: str) -> int:
    return sum(1 for r in http_server.requests if r["path"] == path)


def test_good_feeds_flow_next_to_broken_ones(http_server, redis_client, keys, feeds_file, make_poller, tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT-4242")
    drip_stop = threading.Event()

    def drip(req) -> None:
        req.send_response(200)
        req.send_header("Content-Length", "500")
        req.end_headers()
        try:
            for _ in range(500):
                req.wfile.write(b" ")
                req.wfile.flush()
                if drip_stop.wait(0.2):
                    return
        except OSError:
            pass

    def loop(req) -> None:
        req.send_response(302)
        req.send_header("Location", "/loop")
        req.send_header("Content-Length", "0")
        req.end_headers()

    comp = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    bomb = b"".join(comp.compress(bytes(1 << 20)) for _ in range(64)) + comp.flush()

    urls = {
        "good": http_server.serve_bytes("/good.xml", fixture_bytes("good_rss.xml")),
        "good-gzip": http_server.serve_bytes("/atom.xml", gzip.compress(fixture_bytes("good_atom.xml")),
                                             content_type="application/atom+xml", headers={"Content-Encoding": "gzip"}),
        "laughs": http_server.serve_bytes("/laughs.xml", fixture_bytes("billion_laughs.xml")),
        "xxe": http_server.serve_bytes(
            "/xxe.xml", fixture_bytes("external_entity.xml").replace(b"{SECRET_PATH}", str(secret).encode())),
        "tricks": http_server.serve_bytes("/tricks.xml", fixture_bytes("script_and_js_links.xml")),
        "encoding": http_server.serve_bytes("/enc.xml", fixture_bytes("bad_encoding.xml")),
        "noguid": http_server.serve_bytes("/noguid.xml", fixture_bytes("missing_guids.xml")),
        "html": http_server.serve_bytes("/page.html", fixture_bytes("not_a_feed.html"), content_type="text/html"),
        "server-error": http_server.serve_bytes("/500", b"oops", status=500, content_type="text/plain"),
        "missing": http_server.serve_bytes("/404", b"", status=404),
        "gone": http_server.serve_bytes("/410", b"", status=410),
        "loop": http_server.route("/loop", loop),
        "drip": http_server.route("/drip", drip),
        "bomb": http_server.serve_bytes("/bomb", bomb, headers={"Content-Encoding": "gzip"}),
        "big": http_server.serve_bytes("/big", b"<" * (5 * 1024 * 1024 + 1)),
        "unreachable": "http://127.0.0.1:9/feed",
    }
    write_feeds(feeds_file, urls)
    poller = make_poller()
    with capture_logs() as logs:
        report = poller.tick()
    drip_stop.set()

    broken = {"html", "server-error", "missing", "gone", "loop", "drip", "bomb", "big", "unreachable"}
    assert set(report.failures) == broken
    assert report.feeds_polled == len(urls) and report.feeds_failed == len(broken)
    warnings = [e for e in logs if e["log_level"] == "warning"]
    assert sorted(e["feed"] for e in warnings) == sorted(broken)  # one warning per failed feed
    assert all(e["event"] == "feed_fetch_failed" and "exc_info" not in e for e in warnings)
    assert not [e for e in logs if e["log_level"] in ("error", "critical")]

    # the good feeds' articles are queued RQ jobs; the shared story (good + good-gzip) only once
    queue = make_queue(redis_client, keys)
    assert set(queue.job_ids) == set(report.job_ids)
    articles = queued_articles(redis_client, report.job_ids)
    assert report.articles_new == len(articles) == len({a["id"] for a in articles})
    assert len(report.job_ids) < len(articles)  # a feed's new articles travel as one batch
    by_feed: dict[str, list[dict]] = {}
    for article in articles:
        by_feed.setdefault(article["feed"], []).append(article)
    # feeds are read concurrently: the shared story goes to whichever of the two claims it first
    assert sorted([len(by_feed["good"]), len(by_feed["good-gzip"])]) in ([1, 3], [2, 2])
    assert report.articles_duplicate == 1
    assert {"laughs", "xxe", "tricks", "encoding", "noguid"} <= set(by_feed)
    blob = repr(articles)
    assert "TOP-SECRET" not in blob and "lollollol" not in blob and "SCRIPT-PAYLOAD" not in blob
    assert [a["published"] for a in articles if a["feed"] == "good"] == sorted(a["published"] for a in by_feed["good"])

    # health in Redis
    assert _state(redis_client, keys, "good")["items_seen"] == "3"
    assert _state(redis_client, keys, "gone")["permanent"] == "1"
    assert _state(redis_client, keys, "drip")["error_kind"] == "timeout"
    assert _state(redis_client, keys, "bomb")["error_kind"] == "too_large"
    assert _state(redis_client, keys, "loop")["error_kind"] == "too_many_redirects"
    assert _state(redis_client, keys, "html")["error_kind"] == "not_a_feed"
    assert _state(redis_client, keys, "unreachable")["error_kind"] == "connect"


def test_second_poll_is_conditional_and_answered_304(http_server, redis_client, keys, feeds_file, make_poller, clock) -> None:
    write_feeds(feeds_file, {"wire": _etag_route(http_server, "/feed", fixture_bytes("good_rss.xml"))}, interval=300)
    poller = make_poller()
    first = poller.tick()
    assert first.articles_new == 3 and _state(redis_client, keys, "wire")["etag"] == '"v1"'
    assert poller.tick().feeds_due == 0  # not due before the interval
    clock.advance(300 + 31)  # interval + the largest jitter
    second = poller.tick()
    assert second.feeds_not_modified == 1 and second.articles_new == 0
    assert http_server.requests[-1]["headers"]["If-None-Match"] == '"v1"'
    assert _state(redis_client, keys, "wire")["last_status"] == "304"


def test_a_once_tick_polls_a_feed_as_soon_as_its_interval_has_passed(http_server, redis_client, keys, feeds_file,
                                                                      make_poller, clock) -> None:
    """contracts.md: --once polls a feed that is due, "never polled, or its interval has passed"; the jitter
    that spreads a long-running poller's requests does not hold it back."""
    write_feeds(feeds_file, {"wire": _etag_route(http_server, "/feed", fixture_bytes("good_rss.xml"))}, interval=300)
    poller = make_poller()
    poller.tick()
    redis_client.hset(keys.feed_state("wire"), "jitter", 29.0)  # as a draw near the top of its range would leave it
    clock.advance(301)
    assert poller.tick().feeds_due == 0  # the running poller waits out the jitter
    assert poller.tick(once=True).feeds_due == 1


def test_unchanged_entries_are_not_queued_again_and_a_changed_body_is(http_server, redis_client, keys, feeds_file,
                                                                      make_poller, clock) -> None:
    body = fixture_bytes("good_rss.xml")
    url = http_server.serve_bytes("/feed", body)
    write_feeds(feeds_file, {"wire": url})
    poller = make_poller()
    assert poller.tick().articles_new == 3
    clock.advance(3600)
    assert poller.tick().articles_new == 0
    http_server.serve_bytes("/feed", body.replace(b"about 12,000 troops", b"about 15,000 troops"))
    clock.advance(3600)
    report = poller.tick()
    assert report.articles_new == 1
    [article] = queued_articles(redis_client, report.job_ids)
    assert "15,000" in article["text"]


def test_retry_after_is_honoured_across_a_restart(http_server, redis_client, keys, feeds_file, make_poller, clock) -> None:
    http_server.serve_bytes("/limited", b"", status=429, headers={"Retry-After": "7200"})
    write_feeds(feeds_file, {"limited": http_server.url("/limited")}, interval=60)
    poller = make_poller()
    assert poller.tick().feeds_failed == 1
    clock.advance(7000)
    assert poller.tick().feeds_due == 0
    restarted = make_poller()  # a new process: only Redis remembers
    assert restarted.tick().feeds_due == 0
    assert _hits(http_server, "/limited") == 1
    clock.advance(300)
    assert restarted.tick().feeds_polled == 1 and _hits(http_server, "/limited") == 2


def test_errors_back_off_exponentially_and_recover(http_server, redis_client, keys, feeds_file, make_poller, clock) -> None:
    http_server.serve_bytes("/flaky", b"", status=500)
    write_feeds(feeds_file, {"flaky": http_server.url("/flaky")}, interval=60)
    poller = make_poller(backoff_cap=600)
    delays = []
    for _ in range(6):
        clock.advance(10_000)
        assert poller.tick().feeds_failed == 1
        state = _state(redis_client, keys, "flaky")
        delays.append(float(state["hold_until"]) - clock.now)
    for delay, expected in zip(delays, [60, 120, 240, 480, 600, 600], strict=True):  # doubling from the interval, capped
        assert expected <= delay <= expected * 1.1 + 1e-6
    assert _state(redis_client, keys, "flaky")["error_count"] == "6"
    http_server.serve_bytes("/flaky", fixture_bytes("good_rss.xml"))
    clock.advance(10_000)
    assert poller.tick().articles_new == 3
    state = _state(redis_client, keys, "flaky")
    assert state["error_count"] == "0" and state["last_status"] == "200" and state["last_success"]


def test_gone_is_reported_permanent_and_retried_slowly(http_server, redis_client, keys, feeds_file, make_poller, clock) -> None:
    http_server.serve_bytes("/gone", b"", status=410)
    write_feeds(feeds_file, {"gone": http_server.url("/gone")}, interval=60)
    poller = make_poller(permanent_delay=86400)
    with capture_logs() as logs:
        poller.tick()
    assert logs[-1]["permanent"] is True and logs[-1]["feed"] == "gone"
    clock.advance(86399)
    assert poller.tick().feeds_due == 0
    clock.advance(86400 * 0.2)
    assert poller.tick().feeds_polled == 1


def test_a_leased_feed_is_left_to_the_other_poller(http_server, redis_client, keys, feeds_file, make_poller) -> None:
    write_feeds(feeds_file, {"wire": http_server.serve_bytes("/feed", fixture_bytes("good_rss.xml"))})
    redis_client.set(keys.feed_lease("wire"), "someone-else", px=60_000)
    report = make_poller().tick()
    assert report.feeds_skipped == 1 and report.feeds_polled == 0 and _hits(http_server, "/feed") == 0
    redis_client.delete(keys.feed_lease("wire"))
    assert make_poller().tick().feeds_polled == 1
    assert not redis_client.exists(keys.feed_lease("wire"))  # released after the poll


def test_two_pollers_poll_each_feed_once(http_server, redis_client, keys, feeds_file, make_poller) -> None:
    atom = fixture_bytes("good_atom.xml")
    feeds = {f"f{i}": http_server.serve_bytes(f"/f{i}", atom.replace(b"urn:fixture", f"urn:f{i}".encode())) for i in range(20)}
    write_feeds(feeds_file, feeds)
    a, b = make_poller(), make_poller()
    reports: list[TickReport] = []
    threads = [threading.Thread(target=lambda p=p: reports.append(p.tick())) for p in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.feeds_polled for r in reports) == 20
    assert len(http_server.requests) == 20


def test_hot_reload_and_broken_edit(http_server, redis_client, keys, feeds_file, make_poller, clock) -> None:
    write_feeds(feeds_file, {"wire": http_server.serve_bytes("/feed", fixture_bytes("good_rss.xml"))})
    poller = make_poller()
    assert poller.tick().feeds_polled == 1
    add_feed(feeds_file, http_server.serve_bytes("/atom", fixture_bytes("good_atom.xml")), name="desk", interval=60)
    report = poller.tick()  # picked up within one tick
    assert report.feeds_polled == 1 and _hits(http_server, "/atom") == 1

    feeds_file.write_text(feeds_file.read_text() + "  - name: broken\n    url: ftp://nope\n")
    with capture_logs() as logs:
        clock.advance(3600)
        report = poller.tick()
    assert report.feeds_polled == 2  # the last good list is still in force
    failure = next(e for e in logs if e["event"] == "feeds_reload_failed")
    assert failure["line"] == 10 and "url must be an http" in failure["error"]


def test_run_loop_stops_on_event(http_server, redis_client, keys, feeds_file, make_poller) -> None:
    write_feeds(feeds_file, {"wire": http_server.serve_bytes("/feed", fixture_bytes("good_rss.xml"))})
    poller = make_poller()
    stop = threading.Event()
    thread = threading.Thread(target=poller.run, args=(stop,))
    queue = make_queue(redis_client, keys)
    thread.start()
    try:
        for _ in range(200):
            if len(queued_articles(redis_client, queue.job_ids)) == 3:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive() and len(queued_articles(redis_client, queue.job_ids)) == 3


def test_full_text_is_fetched_for_short_entries(http_server, redis_client, keys, feeds_file, make_poller) -> None:
    page = (b"<html><body><nav>menu</nav><article><p>" + b"Full article text about shells. " * 30
            + b"</p><script>bad()</script></article></body></html>")
    link = http_server.serve_bytes("/story", page, content_type="text/html; charset=utf-8")
    feed = (
        '<rss version="2.0"><channel><title>Short</title><item><guid>s1</guid><title>Shells</title>'
        f"<link>{link}</link><description>Teaser.</description></item></channel></rss>"
    ).encode()
    url = http_server.serve_bytes("/short.xml", feed)
    feeds_file.write_text(f"feeds:\n  - name: short\n    url: {url}\n    full_text: true\n")
    report = make_poller().tick()
    [article] = queued_articles(redis_client, report.job_ids)
    assert article["text"].startswith("Full article text about shells.") and "bad()" not in article["text"]
    assert "menu" not in article["text"]
