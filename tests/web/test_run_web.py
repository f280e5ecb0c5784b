"""`transferwatch run --web`: the real service polls a real feed, its alerts reach the API and the SSE stream."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from worker.demo import render_rss

from .support import SseReader

pytestmark = pytest.mark.slow
WIRE = Path(__file__).parent.parent / "fixtures" / "service" / "wire.json"


def _web_url(proc: subprocess.Popen) -> str:
    """The URL from the service's `web_started` log line (JSON logs on stderr)."""
    line = ""
    for line in proc.stderr:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("event") == "web_started":
            return record["url"].rstrip("/")
    raise AssertionError(f"the service ended without serving the dashboard (exit {proc.wait()}): {line}")


def test_run_web_serves_the_service_alerts_live(service_env, http_server, tmp_path, redis_client, keys):
    data = json.loads(WIRE.read_text())
    feed = http_server.serve_bytes("/wire.xml", render_rss(data["articles"], http_server.base_url))
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"# the test wire\nfeeds:\n  - name: wire\n    url: {feed}\n    interval: 3600\n")
    env = {**service_env, "TRANSFERWATCH_WEB_PORT": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "worker", "run", "--web", "--workers", "1", "--feeds", str(feeds)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        base = _web_url(proc)
        with httpx.Client(base_url=base, timeout=120) as client:
            assert client.get("/healthz").status_code == 200
            with client.stream("GET", "/api/alerts/stream", params={"since": "0-0"}) as response:
                reader = SseReader(response)
                events = [reader.next_event() for _ in data["expect"]]
            got = [(e.alert["kind"], e.alert["metric"]["category"], e.alert["current"]["value"]) for e in events]
            assert got == [(x["kind"], x["category"], x["value"]) for x in data["expect"]]
            stream = [(eid.decode(), json.loads(f[b"data"])) for eid, f in redis_client.xrange(keys.alerts_stream)]
            assert [(e.id, e.alert) for e in events] == stream
            assert client.get("/api/alerts").json() == [a for _, a in stream]
            [wire] = client.get("/api/feeds").json()
            assert wire["name"] == "wire" and wire["health"] == "ok" and wire["articles_queued"] >= 1
            page = client.get("/").text
            assert page.count('<svg class="chart small"') == len(client.get("/api/figures").json()) == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=90)
        finally:
            proc.kill()
            proc.stderr.close()
    assert proc.returncode == 0
