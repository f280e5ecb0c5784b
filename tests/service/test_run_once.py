"""End to end: feeds served over real HTTP -> `transferwatch run --once` -> alerts on the real Redis Stream."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from worker.connection import EmbeddedRedis, client_from_url
from worker.demo import render_rss

FIXTURES = Path(__file__).parent.parent / "fixtures" / "service"


def wire() -> dict:
    return json.loads((FIXTURES / "wire.json").read_text())


def transferwatch(*args: str, env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "worker", *args], env=env, capture_output=True, text=True, timeout=timeout)


def write_feeds(path: Path, feeds: dict[str, str]) -> Path:
    lines = ["feeds:"]
    for name, url in feeds.items():
        lines += [f"  - name: {name}", f"    url: {url}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def stream_alerts(redis_client, keys) -> list[dict]:
    return [json.loads(fields[b"data"]) for _id, fields in redis_client.xrange(keys.alerts_stream)]


def test_run_once_turns_articles_into_alerts_and_survives_broken_feeds(redis_client, keys, service_env, http_server, tmp_path):
    data = wire()
    good = http_server.serve_bytes("/wire.xml", render_rss(data["articles"], http_server.base_url))
    feeds = write_feeds(tmp_path / "feeds.yaml", {
        "wire": good,
        "gone": http_server.url("/missing.xml"),          # 404
        "down": "http://127.0.0.1:9/rss.xml",             # connection refused
        "junk": http_server.serve_bytes("/junk.xml", b"<html><body>not a feed", "text/html"),
    })

    result = transferwatch("run", "--once", "--workers", "1", "--feeds", str(feeds), env=service_env)

    assert result.returncode == 0, result.stderr[-3000:]
    alerts = stream_alerts(redis_client, keys)
    got = [(a["kind"], a["metric"]["category"], a["current"]["value"]) for a in alerts]
    assert got == [(e["kind"], e["category"], e["value"]) for e in data["expect"]]
    assert all(a["metric"]["supplier"] == "PRK" and a["metric"]["recipient"] == "RUS" for a in alerts)
    for name in ("gone", "down"):
        assert any(name in line and "warn" in line.lower() for line in result.stderr.splitlines()), name


def test_second_run_adds_nothing(redis_client, keys, service_env, http_server, tmp_path):
    data = wire()
    feeds = write_feeds(tmp_path / "feeds.yaml",
                        {"wire": http_server.serve_bytes("/wire.xml", render_rss(data["articles"], http_server.base_url))})
    assert transferwatch("run", "--once", "--feeds", str(feeds), env=service_env).returncode == 0
    first = stream_alerts(redis_client, keys)
    # the feed is due again only after its interval: force a re-poll by forgetting its schedule, not its "seen" records
    for key in redis_client.scan_iter(match=keys.feed_state("*")):
        redis_client.delete(key)
    assert transferwatch("run", "--once", "--feeds", str(feeds), env=service_env).returncode == 0
    assert stream_alerts(redis_client, keys) == first


def test_bad_feeds_file_exits_2_naming_file_and_line(service_env, tmp_path):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - name: ok\n    url: https://example.org/rss\n  - name: Bad Name\n    url: ftp://x\n")
    result = transferwatch("run", "--once", "--feeds", str(feeds), env=service_env, timeout=60)
    assert result.returncode == 2
    message = result.stderr.strip().splitlines()[-1]
    assert "feeds.yaml:4" in message or "feeds.yaml:5" in message, message


def test_figures_survive_a_restart_of_the_embedded_redis(http_server, tmp_path):
    """With REDIS_URL unset the service starts its own redis-server; figures must persist across restarts."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(TRANSFERWATCH_DATA_DIR=str(tmp_path / "data"), LOG_FORMAT="json", TRANSFERWATCH_PREFIX="twembedded")
    data = wire()
    feeds = write_feeds(tmp_path / "feeds.yaml",
                        {"wire": http_server.serve_bytes("/wire.xml", render_rss(data["articles"], http_server.base_url))})

    assert transferwatch("run", "--once", "--feeds", str(feeds), env=env).returncode == 0
    result = transferwatch("figures", "--json", env=env, timeout=60)

    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout)
    troops = [f for f in figures if f["metric"]["category"] == "troops"]
    assert troops and troops[0]["current"]["value"] == 8000
    assert [h["value"] for h in troops[0]["history"]][:1] == [2000]


def test_a_receiver_that_is_down_fails_the_run_in_bounded_time_and_the_next_run_delivers(redis_client, keys, service_env,
                                                                                         http_server, tmp_path):
    data = wire()
    feeds = write_feeds(tmp_path / "feeds.yaml",
                        {"wire": http_server.serve_bytes("/wire.xml", render_rss(data["articles"], http_server.base_url))})
    receiver = {"status": 503}
    received: list[dict] = []

    def hook(req):
        if receiver["status"] == 204:
            received.append(json.loads(req.request_body))
        req.send_response(receiver["status"])
        req.send_header("Content-Length", "0")
        req.end_headers()

    url = http_server.route("/hook", hook)
    assert transferwatch("alerts", "subscribe", url, "--name", "desk", env=service_env).returncode == 0

    down = transferwatch("run", "--once", "--workers", "1", "--delivery-timeout", "3", "--feeds", str(feeds), env=service_env)
    assert down.returncode == 1
    assert "alerts_not_all_delivered" in down.stderr
    assert len(stream_alerts(redis_client, keys)) == len(data["expect"])
    assert received == []

    receiver["status"] = 204
    up = transferwatch("run", "--once", "--workers", "1", "--feeds", str(feeds), env=service_env)
    assert up.returncode == 0, up.stderr[-3000:]
    assert sorted(a["id"] for a in received) == sorted(a["id"] for a in stream_alerts(redis_client, keys))


def test_four_workers_raise_the_alerts_of_one_worker_in_publication_order(redis_client, keys, service_env, http_server,
                                                                        tmp_path):
    """Twelve rising troop figures in one poll: settled in order of publication, whoever records them first."""
    items = [{"guid": f"rise-{i:02d}", "published": f"2024-10-{i + 1:02d}T08:00:00Z", "title": f"Troops {i}",
              "text": f"North Korea has sent {2000 * (i + 1):,} troops to Russia, officials said on Monday."}
             for i in range(12)]
    feeds = write_feeds(tmp_path / "feeds.yaml",
                        {"wire": http_server.serve_bytes("/rise.xml", render_rss(items, http_server.base_url))})

    result = transferwatch("run", "--once", "--workers", "4", "--feeds", str(feeds), env=service_env)

    assert result.returncode == 0, result.stderr[-3000:]
    got = [(a["kind"], a["current"]["value"]) for a in stream_alerts(redis_client, keys)]
    assert got == [("first_report", 2000)] + [("increase", 2000 * (i + 1)) for i in range(1, 12)]
    assert redis_client.zcard(keys.ledger_inflight) == 0 and redis_client.scard(keys.ledger_dirty) == 0


def test_every_redis_key_carries_the_prefix(http_server, tmp_path):
    """contracts.md: TRANSFERWATCH_PREFIX prefixes every Redis key, RQ's own bookkeeping included."""
    server = EmbeddedRedis(tmp_path / "redis").start()  # its own server: nothing else writes to it
    try:
        env = {k: v for k, v in os.environ.items() if k != "RQ_KEY_PREFIX"}
        env.update(REDIS_URL=server.url, TRANSFERWATCH_PREFIX="tw-one", TRANSFERWATCH_DATA_DIR=str(tmp_path / "data"),
                   LOG_FORMAT="json")
        data = wire()
        feeds = write_feeds(tmp_path / "feeds.yaml",
                            {"wire": http_server.serve_bytes("/wire.xml", render_rss(data["articles"], http_server.base_url))})

        result = transferwatch("run", "--once", "--workers", "2", "--feeds", str(feeds), env=env)

        assert result.returncode == 0, result.stderr[-3000:]
        client = client_from_url(server.url)
        names = [k.decode() for k in client.scan_iter(count=1000)]
        client.close()
        assert any(n.startswith("tw-one:rq:job:") for n in names)  # RQ's keys are there, under the prefix
        assert [n for n in names if not n.startswith("tw-one:")] == []
    finally:
        server.stop()


def test_demo_prints_its_alerts(redis_url, redis_client, prefix, tmp_path):
    """`transferwatch demo` (the README's no-internet tour) runs the bundled articles through the pipeline.

    (``redis_client`` removes what the demo leaves under ``<prefix>-demo`` afterwards.)"""
    env = dict(os.environ, REDIS_URL=redis_url, TRANSFERWATCH_PREFIX=prefix, TRANSFERWATCH_DATA_DIR=str(tmp_path),
               LOG_FORMAT="json")
    result = transferwatch("demo", env=env, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    alerts = [line for line in result.stdout.splitlines() if line.startswith("ALERT")]
    assert len(alerts) == 6 and "troops: about 1,500 (first report)" in alerts[0]


def test_poller_and_worker_run_apart(redis_client, keys, service_env, http_server, tmp_path):
    """The parts on different machines: `poll --once` queues, a separate `worker --burst` empties the queue."""
    data = wire()
    feeds = write_feeds(tmp_path / "feeds.yaml",
                        {"wire": http_server.serve_bytes("/wire.xml", render_rss(data["articles"], http_server.base_url))})

    polled = transferwatch("poll", "--once", "--feeds", str(feeds), env=service_env)
    assert polled.returncode == 0, polled.stderr[-3000:]
    assert "polled 1 feeds (0 failed)" in polled.stdout and stream_alerts(redis_client, keys) == []
    worked = transferwatch("worker", "--burst", env=service_env)

    assert worked.returncode == 0, worked.stderr[-3000:]
    got = [(a["kind"], a["metric"]["category"], a["current"]["value"]) for a in stream_alerts(redis_client, keys)]
    assert got == [(e["kind"], e["category"], e["value"]) for e in data["expect"]]
