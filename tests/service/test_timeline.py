"""A figure's timeline through the real service (poller, RQ workers, ledger) and a real Redis.

The fixture lists what each poll finds in two feeds and the exact alerts each
poll must raise; the final history is checked through `transferwatch figures --json`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from worker.demo import render_rss

FIXTURE = Path(__file__).parent.parent / "fixtures" / "service" / "timeline.json"


def test_timeline_raises_exactly_the_expected_alerts(redis_client, keys, service_env, http_server, tmp_path):
    timeline = json.loads(FIXTURE.read_text())
    feeds = tmp_path / "feeds.yaml"
    names = list(timeline["stages"][0]["feeds"])
    feeds.write_text("feeds:\n" + "".join(f"  - name: {n}\n    url: {http_server.url('/' + n)}\n" for n in names))
    seen_alerts = 0
    for number, stage in enumerate(timeline["stages"], 1):
        for name, items in stage["feeds"].items():
            http_server.serve_bytes(f"/{name}", render_rss(items, http_server.base_url))
            redis_client.hset(keys.feed_state(name), "last_attempt", 0)  # due now, as if its interval had passed
        result = subprocess.run([sys.executable, "-m", "worker", "run", "--once", "--workers", "2", "--feeds", str(feeds)],
                                env=service_env, capture_output=True, text=True, timeout=240)
        assert result.returncode == 0, result.stderr[-3000:]

        alerts = [json.loads(f[b"data"]) for _i, f in redis_client.xrange(keys.alerts_stream)][seen_alerts:]
        seen_alerts += len(alerts)
        got = [{"kind": a["kind"], "value": a["current"]["value"],
                "previous": a["previous"]["value"] if a["previous"] else None} for a in alerts]
        assert got == stage["expect"], f"poll {number}"
        assert all(a["metric"] == {"supplier": "PRK", "recipient": "RUS", "category": "troops", "unit": "soldiers"}
                   for a in alerts)

    figures = subprocess.run([sys.executable, "-m", "worker", "figures", "--json"], env=service_env,
                             capture_output=True, text=True, timeout=60)
    [troops] = [f for f in json.loads(figures.stdout) if f["metric"]["category"] == "troops"]
    assert troops["current"]["value"] == timeline["final"]["current"]
    assert sorted(h["value"] for h in troops["history"]) == sorted(timeline["final"]["history_values"])
    assert all(h["url"].startswith("http://127.0.0.1") for h in troops["history"])
