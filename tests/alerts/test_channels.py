"""Delivery channels against a real local HTTP receiver: signatures, outcomes, timeouts, apprise."""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

import pytest
from standardwebhooks import Webhook

from alerts.channels import Timeouts
from alerts.channels.notify import NotifyChannel
from alerts.channels.webhook import WebhookChannel, parse_retry_after
from alerts.subscriptions import generate_secret

pytestmark = pytest.mark.timeout(20)

ALERT: dict[str, Any] = {
    "id": "a1b2c3",
    "kind": "increase",
    "metric": {"supplier": "PRK", "recipient": "RUS", "category": "troops", "unit": "soldiers"},
    "current": {"value": 12000, "url": "https://news.example/article-1", "title": "More troops"},
    "message": "North Korea has sent about 12,000 troops to Russia (was more than 10,000)",
    "created_at": "2024-11-20T10:00:00+00:00",
}
BODY = json.dumps(ALERT).encode()


def respond(status: int, headers: dict[str, str] | None = None):
    def handler(req) -> None:
        req.send_response(status)
        for k, v in (headers or {}).items():
            req.send_header(k, v)
        req.send_header("Content-Length", "0")
        req.end_headers()

    return handler


def test_signature_verifies_with_standardwebhooks(http_server):
    secret = generate_secret()
    url = http_server.route("/hook", respond(204))
    channel = WebhookChannel(url, secret)
    try:
        assert channel.deliver(ALERT["id"], BODY, ALERT).status == "ok"
    finally:
        channel.close()
    (request,) = http_server.requests
    assert request["method"] == "POST"
    assert request["body"] == BODY
    assert request["headers"]["webhook-id"] == ALERT["id"]
    assert Webhook(secret).verify(request["body"], request["headers"]) == ALERT


def test_wrong_secret_does_not_verify(http_server):
    from standardwebhooks.webhooks import WebhookVerificationError

    url = http_server.route("/hook", respond(200))
    channel = WebhookChannel(url, generate_secret())
    channel.deliver(ALERT["id"], BODY, ALERT)
    channel.close()
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(http_server.requests[0]["body"], http_server.requests[0]["headers"])


@pytest.mark.parametrize(
    ("status", "headers", "expected", "retry_after"),
    [
        (200, {}, "ok", None),
        (500, {}, "retryable", None),
        (503, {"Retry-After": "7"}, "retryable", 7.0),
        (429, {"Retry-After": "1"}, "retryable", 1.0),
        (404, {}, "permanent", None),
        (410, {}, "permanent", None),
        (302, {"Location": "ftp://elsewhere.example/x"}, "permanent", None),
    ],
)
def test_outcome_by_status(http_server, status, headers, expected, retry_after):
    channel = WebhookChannel(http_server.route("/hook", respond(status, headers)), generate_secret())
    try:
        outcome = channel.deliver("id-1", BODY, ALERT)
    finally:
        channel.close()
    assert outcome.status == expected
    assert outcome.retry_after == retry_after
    assert len(http_server.requests) == 1  # a redirect is not followed


def test_connection_refused_is_retryable():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    channel = WebhookChannel(f"http://127.0.0.1:{port}/hook", generate_secret(), Timeouts(1, 1, 1))
    outcome = channel.deliver("id-1", BODY, ALERT)
    channel.close()
    assert outcome.status == "retryable"
    assert "connection error" in outcome.reason


def test_hanging_receiver_is_cut_off(http_server):
    release = threading.Event()

    def hang(req) -> None:
        release.wait(10)

    channel = WebhookChannel(http_server.route("/slow", hang), generate_secret(), Timeouts(connect=1, read=0.3, total=1))
    started = time.monotonic()
    try:
        outcome = channel.deliver("id-1", BODY, ALERT)
    finally:
        release.set()
        channel.close()
    assert outcome.status == "retryable"
    assert "timeout" in outcome.reason
    assert time.monotonic() - started < 2


def test_retry_after_http_date():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 30) == pytest.approx(30)
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_apprise_json_target_for_real(http_server):
    http_server.route("/notify", respond(200))
    port = http_server.server.server_address[1]
    channel = NotifyChannel(f"json://127.0.0.1:{port}/notify", Timeouts(1, 2, 3))
    assert channel.deliver(ALERT["id"], BODY, ALERT).status == "ok"
    (request,) = http_server.requests
    payload = json.loads(request["body"])
    assert payload["message"] == f"{ALERT['message']}\n{ALERT['current']['url']}"
    assert payload["title"].startswith("transferwatch: troops increase")


def test_apprise_failure_is_retryable(http_server):
    http_server.route("/notify", respond(500))
    port = http_server.server.server_address[1]
    channel = NotifyChannel(f"json://127.0.0.1:{port}/notify", Timeouts(1, 2, 3))
    outcome = channel.deliver(ALERT["id"], BODY, ALERT)
    assert outcome.status == "retryable"
