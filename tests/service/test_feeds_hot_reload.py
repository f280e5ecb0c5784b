"""A feed added with `transferwatch feeds add` while `transferwatch run` runs is polled without a restart."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

from worker.demo import render_rss


def test_feed_added_while_running_is_polled_and_alerts(redis_client, keys, service_env, http_server, tmp_path):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  # nothing reachable yet\n  - name: down\n    url: http://127.0.0.1:9/rss.xml\n")
    env = dict(service_env, TRANSFERWATCH_FEEDS=str(feeds))
    items = [{"guid": "hot-1", "published": "2024-10-10T08:00:00Z", "title": "Troops",
              "text": "North Korea has sent 4,000 troops to Russia, officials said."}]
    url = http_server.serve_bytes("/new.xml", render_rss(items, http_server.base_url))
    with open(tmp_path / "run.log", "wb") as log:  # the child keeps its own handle
        run = subprocess.Popen([sys.executable, "-m", "worker", "run", "--workers", "1"], env=env,
                               stdout=subprocess.DEVNULL, stderr=log)
    try:
        added = subprocess.run([sys.executable, "-m", "worker", "feeds", "add", url, "--name", "newwire"], env=env,
                               capture_output=True, text=True, timeout=60)
        assert added.returncode == 0, added.stderr
        assert "# nothing reachable yet" in feeds.read_text()  # the edit kept the comment

        reply = redis_client.xread({keys.alerts_stream: "0-0"}, block=60_000, count=1)
        assert reply, (tmp_path / "run.log").read_text()[-3000:]
        alert = json.loads(reply[0][1][0][1][b"data"])
        assert (alert["kind"], alert["current"]["value"], alert["current"]["url"]) == (
            "first_report", 4000, f"{http_server.base_url}/articles/hot-1")
    finally:
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=60) == 0
