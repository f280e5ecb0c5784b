"""The HTTP API of the contract against a real server, a real Redis and the real ledger."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .support import article, raise_alert


def test_api_figures_is_exactly_what_figures_json_prints(web, ledger, service_env):
    for n, value in enumerate([1000, 3000, 11000]):
        raise_alert(ledger, n, value)
    ledger.apply(*article(3, 3000, mode="additional", qualifier="exact"))
    ledger.apply(*article(4, 12000, status="denied", source="TASS"))
    ledger.apply(*article(5, 250000, category="oil", status="possible"))

    printed = subprocess.run([sys.executable, "-m", "worker", "figures", "--json"], env=service_env,
                             capture_output=True, text=True, timeout=60, check=True).stdout
    response = web.client.get("/api/figures")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == json.loads(printed)
    assert [len(m["history"]) for m in response.json()] == [5, 1]


def test_api_alerts_oldest_first_since_id_or_time_category_and_limit(web, ledger):
    raised = [raise_alert(ledger, 0, 1000), raise_alert(ledger, 1, 250000, category="oil"),
              raise_alert(ledger, 2, 3000), raise_alert(ledger, 3, 11000)]
    ids = [a["id"] for a in raised]

    everything = web.client.get("/api/alerts")
    assert everything.status_code == 200
    assert [a["id"] for a in everything.json()] == ids
    assert everything.json() == raised  # the Stream's JSON, unchanged

    newest_two = web.client.get("/api/alerts", params={"limit": 2})
    assert [a["id"] for a in newest_two.json()] == ids[2:]

    first = web.client.get("/api/alerts", params={"limit": 1, "since": "0-0"})
    assert [a["id"] for a in first.json()] == ids[:1]
    after_first = web.client.get("/api/alerts", params={"since": first.headers["x-last-stream-id"]})
    assert [a["id"] for a in after_first.json()] == ids[1:]  # a Stream id is exclusive

    since_time = web.client.get("/api/alerts", params={"since": raised[2]["created_at"]})
    assert ids[2] in [a["id"] for a in since_time.json()]  # an ISO time is inclusive

    troops = web.client.get("/api/alerts", params=[("category", "troops")])
    assert [a["id"] for a in troops.json()] == [ids[0], ids[2], ids[3]]
    both = web.client.get("/api/alerts", params=[("category", "troops"), ("category", "oil"), ("limit", "3")])
    assert [a["id"] for a in both.json()] == ids[1:]


@pytest.mark.parametrize(("params", "message"), [
    ({"since": "yesterday"}, "since 'yesterday': expected a Stream id"),
    ({"category": "tanks"}, "unknown category 'tanks'"),
    ({"limit": "0"}, "limit"),
    ({"limit": "lots"}, "limit"),
])
def test_api_alerts_bad_parameters_are_400_naming_the_problem(web, params, message):
    response = web.client.get("/api/alerts", params=params)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_api_feeds_lists_the_file_with_health_and_masks_passwords(web, redis_client, keys):
    text = web.feeds_path.read_text() + "  - name: private\n    url: https://reader:hunter2@private.example/rss\n"
    web.feeds_path.write_text(text)
    redis_client.hset(keys.feed_state("wire"), mapping={
        "url": "https://wire.example/rss", "last_success": "2024-11-20T10:00:00+00:00", "last_status": "200",
        "error_count": "2", "last_error": "http 503", "last_error_at": "2024-11-20T11:00:00+00:00",
        "next_poll": "1732100000", "articles_queued": "7", "items_seen": "20"})

    response = web.client.get("/api/feeds")

    assert response.status_code == 200
    wire, second, private = response.json()
    assert wire["name"] == "wire" and wire["health"] == "failing" and wire["errors_in_a_row"] == 2
    assert wire["last_error"] == "http 503" and wire["last_success"] == "2024-11-20T10:00:00+00:00"
    assert wire["next_poll"] == "2024-11-20T10:53:20+00:00" and wire["articles_queued"] == 7
    assert second["health"] == "disabled" and second["next_poll"] is None
    assert private["health"] == "never polled"
    assert private["url"] == "https://reader:***@private.example/rss"
    assert "hunter2" not in response.text


def test_api_feeds_reports_a_broken_feed_list(web):
    web.feeds_path.write_text("feeds:\n  - name: x\n    url: ftp://nope\n")
    response = web.client.get("/api/feeds")
    assert response.status_code == 500
    assert "feeds.yaml:3: feed 'x': url must be an http:// or https:// URL" in response.json()["error"]


def test_healthz_200_when_redis_answers_503_when_not(web, serve, tmp_path):
    assert web.client.get("/healthz").status_code == 200
    down = serve(redis_url=f"unix://{tmp_path}/no-redis-here.sock")
    response = down.client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    failing = down.client.get("/api/figures")
    assert failing.status_code == 503 and "Redis error" in failing.json()["error"]


def test_openapi_describes_the_contract_routes(web):
    response = web.client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/figures", "/api/alerts", "/api/alerts/stream", "/api/feeds", "/healthz"):
        assert "get" in spec["paths"][path], path
    parameters = {p["name"] for p in spec["paths"]["/api/alerts"]["get"]["parameters"]}
    assert parameters == {"since", "category", "limit"}
    assert "text/event-stream" in spec["paths"]["/api/alerts/stream"]["get"]["responses"]["200"]["content"]
    assert "Alert" in spec["components"]["schemas"]
    assert not any(path.startswith(("/feeds", "/subscriptions", "/signin")) for path in spec["paths"])
    assert web.client.get("/docs").status_code == 404  # Swagger UI would load from a CDN
