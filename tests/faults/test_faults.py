"""Fault tests: killed work horses, a stopped service, a restarted or absent Redis.

Run alone with ``pytest -m fault``. Each test uses real processes, a real Redis and
a real local HTTP feed; waits are on Redis state (XREAD BLOCK, registries), never
on fixed sleeps.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rq import Worker
from rq.registry import StartedJobRegistry

from worker.connection import EmbeddedRedis, client_from_url
from worker.demo import render_rss
from worker.jobs import make_queue
from worker.keys import Keys

pytestmark = [pytest.mark.fault, pytest.mark.timeout(300)]


def troop_articles(n: int, start_day: int = 1) -> list[dict]:
    """n articles, each reporting a higher North Korean troop figure than the one before."""
    return [
        {
            "guid": f"fault-{i:03d}",
            "published": f"2024-{1 + (start_day + i) // 28:02d}-{1 + (start_day + i) % 28:02d}T08:00:00Z",
            "title": f"Troop figure {i}",
            "text": f"North Korea has sent {1000 * (i + 1):,} troops to Russia, officials said on Monday.",
        }
        for i in range(n)
    ]


def write_feeds(path: Path, url: str, interval: int | None = None) -> Path:
    text = f"feeds:\n  - name: wire\n    url: {url}\n"
    if interval:
        text += f"    interval: {interval}\n"
    path.write_text(text)
    return path


def spawn(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """``transferwatch ARGS`` as a process logging to ``log_path`` (the child keeps its own handle)."""
    with open(log_path, "wb") as log:
        return subprocess.Popen([sys.executable, "-m", "worker", *args], env=env, stdout=subprocess.DEVNULL, stderr=log)


def wait_for_alerts(client, keys: Keys, count: int, timeout: float = 120) -> list[dict]:
    """Block on the Stream until it holds ``count`` alerts."""
    deadline = time.monotonic() + timeout
    last = "0-0"
    alerts: list[dict] = []
    while len(alerts) < count:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"only {len(alerts)} of {count} alerts arrived"
        for _stream, entries in client.xread({keys.alerts_stream: last}, block=int(min(remaining, 5) * 1000)) or []:
            for entry_id, fields in entries:
                last = entry_id
                alerts.append(json.loads(fields[b"data"]))
    return alerts


def all_alerts(client, keys: Keys) -> list[dict]:
    return [json.loads(f[b"data"]) for _i, f in client.xrange(keys.alerts_stream)]


def kill_workers_once_a_job_runs(client, keys: Keys, run: subprocess.Popen, timeout: float = 120) -> bool:
    """SIGKILL the service's workers as soon as a job is registered as started; False if none started."""
    queue = make_queue(client, keys)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and run.poll() is None:
        if StartedJobRegistry(queue=queue).count:
            for w in Worker.all(queue=queue):
                assert w.pid is not None
                os.kill(w.pid, signal.SIGKILL)
            return True
        time.sleep(0.005)  # polling Redis: there is no event to wait on for "job started"
    return False


def test_sigkill_of_a_worker_mid_job_processes_the_article_exactly_once(redis_client, keys, service_env, http_server, tmp_path):
    # a long article that passes the relevance gate keeps the worker busy long enough to be killed mid-job
    filler = " ".join(["Officials in Seoul said North Korea's trade with Russia kept growing this year."] * 1500)
    articles = troop_articles(1)
    articles[0]["text"] = articles[0]["text"] + " " + filler
    feeds = write_feeds(tmp_path / "feeds.yaml", http_server.serve_bytes("/f.xml", render_rss(articles, http_server.base_url)))
    run = spawn(["run", "--once", "--workers", "1", "--feeds", str(feeds)], service_env, tmp_path / "run.log")

    assert kill_workers_once_a_job_runs(redis_client, keys, run), "never saw the job running"
    assert run.wait(timeout=240) == 0, (tmp_path / "run.log").read_text()[-3000:]
    alerts = all_alerts(redis_client, keys)
    assert [(a["kind"], a["current"]["value"]) for a in alerts] == [("first_report", 1000)]
    log = (tmp_path / "run.log").read_text()
    assert "worker_died" in log and "jobs_recovered_from_dead_worker" in log


def test_sigkill_mid_batch_job_processes_every_article_of_the_batch_exactly_once(redis_client, keys, service_env,
                                                                                 http_server, tmp_path):
    # six articles from one poll travel as one job; the long last one keeps the worker busy until it is killed
    filler = " ".join(["Officials in Seoul said North Korea's trade with Russia kept growing this year."] * 1500)
    articles = troop_articles(6)
    articles[-1]["text"] = articles[-1]["text"] + " " + filler
    feeds = write_feeds(tmp_path / "feeds.yaml", http_server.serve_bytes("/f.xml", render_rss(articles, http_server.base_url)))
    run = spawn(["run", "--once", "--workers", "1", "--feeds", str(feeds)], service_env, tmp_path / "run.log")

    assert kill_workers_once_a_job_runs(redis_client, keys, run), "never saw the job running"
    assert run.wait(timeout=240) == 0, (tmp_path / "run.log").read_text()[-3000:]
    alerts = all_alerts(redis_client, keys)
    assert [(a["kind"], a["current"]["value"]) for a in alerts] == \
        [("first_report", 1000)] + [("increase", 1000 * (i + 1)) for i in range(1, 6)]
    assert "jobs_recovered_from_dead_worker" in (tmp_path / "run.log").read_text()


def test_sigterm_mid_batch_then_restart_loses_nothing_and_doubles_nothing(redis_client, keys, service_env, http_server, tmp_path):
    articles = troop_articles(12)
    feeds = write_feeds(tmp_path / "feeds.yaml", http_server.serve_bytes("/f.xml", render_rss(articles, http_server.base_url)))
    run = spawn(["run", "--workers", "1", "--feeds", str(feeds)], service_env, tmp_path / "run.log")
    wait_for_alerts(redis_client, keys, 1)
    run.send_signal(signal.SIGTERM)
    assert run.wait(timeout=120) == 0, (tmp_path / "run.log").read_text()[-3000:]

    again = subprocess.run([sys.executable, "-m", "worker", "run", "--once", "--feeds", str(feeds)],
                           env=service_env, capture_output=True, text=True, timeout=240)
    assert again.returncode == 0, again.stderr[-3000:]
    alerts = all_alerts(redis_client, keys)
    ids = [a["id"] for a in alerts]
    assert len(ids) == len(set(ids)), "an alert was raised twice"
    # every article's figure reached the ledger exactly once
    result = subprocess.run([sys.executable, "-m", "worker", "figures", "--json"], env=service_env,
                            capture_output=True, text=True, timeout=60)
    troops = [f for f in json.loads(result.stdout) if f["metric"]["category"] == "troops"][0]
    assert sorted(h["value"] for h in troops["history"]) == [1000 * (i + 1) for i in range(12)]
    assert troops["current"]["value"] == 12000


def test_redis_restart_while_running_reconnects_and_goes_on(http_server, tmp_path, prefix):
    server = EmbeddedRedis(tmp_path / "own-redis").start()
    client = client_from_url(server.url)
    keys = Keys(prefix)
    env = dict(os.environ, REDIS_URL=server.url, TRANSFERWATCH_PREFIX=prefix, LOG_FORMAT="json",
               TRANSFERWATCH_DATA_DIR=str(tmp_path / "data"))
    articles = troop_articles(1)
    body = {"rss": render_rss(articles, http_server.base_url)}

    def feed(req):
        req.send_response(200)
        req.send_header("Content-Type", "application/rss+xml")
        req.send_header("Content-Length", str(len(body["rss"])))
        req.end_headers()
        req.wfile.write(body["rss"])

    feeds = write_feeds(tmp_path / "feeds.yaml", http_server.route("/f.xml", feed), interval=60)
    run = spawn(["run", "--workers", "1", "--feeds", str(feeds)], env, tmp_path / "run.log")
    try:
        wait_for_alerts(client, keys, 1)
        server.stop()
        server = EmbeddedRedis(tmp_path / "own-redis").start()
        client = client_from_url(server.url)
        assert len(all_alerts(client, keys)) == 1, "the restarted Redis kept its data"
        body["rss"] = render_rss(troop_articles(2), http_server.base_url)
        # the feed is due again after its interval; make it due now by clearing its schedule
        client.delete(keys.feed_state("wire"))
        alerts = wait_for_alerts(client, keys, 2, timeout=150)
        assert alerts[1]["kind"] == "increase" and alerts[1]["current"]["value"] == 2000
        assert run.poll() is None, "the service died when Redis restarted"
    finally:
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=120)
        server.stop()
    log = (tmp_path / "run.log").read_text()
    assert log.count("worker_died") <= 2, "workers crash-looped while Redis was away"


def test_redis_unreachable_at_start_is_a_clear_warning_not_a_traceback(tmp_path):
    env = dict(os.environ, REDIS_URL="redis://127.0.0.1:9/0", LOG_FORMAT="json", TRANSFERWATCH_DATA_DIR=str(tmp_path))
    feeds = write_feeds(tmp_path / "feeds.yaml", "http://127.0.0.1:9/rss.xml")
    run = spawn(["run", "--feeds", str(feeds)], env, tmp_path / "run.log")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (tmp_path / "run.log").read_text().count("redis_unreachable") < 2:
        time.sleep(0.1)  # reading the process's log file: no event to wait on
    run.send_signal(signal.SIGTERM)
    code = run.wait(timeout=30)
    log = (tmp_path / "run.log").read_text()
    assert log.count("redis_unreachable") >= 2
    assert "Traceback" not in log
    assert code == 1


@pytest.mark.parametrize("command", ["run", "poll"])
def test_once_gives_up_on_an_unreachable_redis_with_exit_1(tmp_path, command):
    """A scripted `--once` must end: a few retries with backoff, one clear line, exit 1."""
    env = dict(os.environ, REDIS_URL="redis://127.0.0.1:9/0", LOG_FORMAT="json", TRANSFERWATCH_DATA_DIR=str(tmp_path))
    feeds = write_feeds(tmp_path / "feeds.yaml", "http://127.0.0.1:9/rss.xml")
    result = subprocess.run([sys.executable, "-m", "worker", command, "--once", "--feeds", str(feeds)], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.count("redis_unreachable") >= 3
    assert "127.0.0.1:9" in result.stderr and "Traceback" not in result.stderr
