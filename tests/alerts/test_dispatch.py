"""The dispatcher against a real Redis and a real local HTTP receiver: no mocks.

Alerts are XADDed to the Stream here directly (as the ledger would), so these
tests do not depend on the ledger.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from typing import Any

import pytest
from click.testing import CliRunner
from standardwebhooks import Webhook

from alerts.channels import Timeouts
from alerts.dispatch import Dispatcher, backoff_delay
from alerts.subscriptions import StateKeys, Subscriptions
from worker.commands.alerts import alerts

pytestmark = pytest.mark.timeout(30)

FAST: dict[str, Any] = dict(backoff_base=0.01, backoff_cap=0.05, timeouts=Timeouts(connect=1, read=2, total=3), block=0.05)


def make_alert(n: int, category: str = "troops") -> dict:
    return {
        "id": f"alert-{category}-{n}",
        "kind": "increase",
        "metric": {"supplier": "PRK", "recipient": "RUS", "category": category, "unit": "x"},
        "previous": None,
        "current": {"value": 1000 + n, "url": f"https://news.example/{n}", "title": f"story {n}"},
        "change": None,
        "message": f"North Korea sent {1000 + n} {category} to Russia",
        "created_at": "2024-11-20T10:00:00+00:00",
    }


def publish(redis_client, keys, alert: dict) -> str:
    return redis_client.xadd(keys.alerts_stream, {"data": json.dumps(alert)}).decode()


class Receiver:
    """A webhook endpoint that answers from a script of statuses (then 200) and records what it got."""

    def __init__(self, http_server, path: str, script: list[tuple[int, dict]] | None = None):
        self.script = list(script or [])
        self.requests: list[dict] = []
        self.ok: list[dict] = []
        self.cond = threading.Condition()
        self.url = http_server.route(path, self.handle)

    def handle(self, req) -> None:
        with self.cond:
            status, headers = self.script.pop(0) if self.script else (200, {})
            record = {"headers": dict(req.headers), "body": req.request_body, "status": status, "at": time.monotonic()}
            self.requests.append(record)
            if 200 <= status < 300:
                self.ok.append(record)
            self.cond.notify_all()
        req.send_response(status)
        for k, v in headers.items():
            req.send_header(k, v)
        req.send_header("Content-Length", "0")
        req.end_headers()

    def wait_ok(self, n: int, timeout: float = 10) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: len(self.ok) >= n, timeout)

    def ids(self) -> Counter:
        return Counter(r["headers"]["webhook-id"] for r in self.ok)


def subscribe(redis_client, keys, url: str, name: str, *categories: str) -> str:
    sub, secret = Subscriptions(redis_client, keys).add(url, categories, name=name)
    return secret or ""


def test_subscription_made_by_cli_while_running_gets_the_next_alert(redis_client, keys, redis_url, prefix, http_server):
    hook = Receiver(http_server, "/hook")
    stop = threading.Event()
    dispatcher = Dispatcher(redis_client, keys, **FAST)
    runner = threading.Thread(target=dispatcher.run, args=(stop,))
    runner.start()
    try:
        publish(redis_client, keys, make_alert(0))  # before the subscription: not for it
        result = CliRunner().invoke(alerts, ["subscribe", hook.url, "--name", "live"],
                                    env={"REDIS_URL": redis_url, "TRANSFERWATCH_PREFIX": prefix})
        assert result.exit_code == 0, result.output
        # (the dispatcher thread's log lines share the captured stdout in-process)
        secret = next(line for line in result.stdout.splitlines() if line.startswith("secret: "))[8:]
        publish(redis_client, keys, make_alert(1))
        assert hook.wait_ok(1)
    finally:
        stop.set()
        runner.join(10)
    assert not runner.is_alive()
    (request,) = hook.requests
    assert Webhook(secret).verify(request["body"], request["headers"])["id"] == "alert-troops-1"
    assert not redis_client.exists(keys.heartbeat("dispatch", dispatcher.name))  # removed on a clean stop


def test_category_filter_holds(redis_client, keys, http_server):
    troops = Receiver(http_server, "/troops")
    everything = Receiver(http_server, "/all")
    subscribe(redis_client, keys, troops.url, "troops-only", "troops")
    subscribe(redis_client, keys, everything.url, "everything")
    for n, category in enumerate(["troops", "oil", "drones", "troops"]):
        publish(redis_client, keys, make_alert(n, category))
    with Dispatcher(redis_client, keys, **FAST) as dispatcher:
        assert dispatcher.drain(10)
    assert sorted(troops.ids()) == ["alert-troops-0", "alert-troops-3"]
    assert len(everything.ids()) == 4
    assert Subscriptions(redis_client, keys).stats("everything")["delivered"] == 4


def test_failing_receiver_recovers_and_gets_each_alert_exactly_once(redis_client, keys, http_server):
    hook = Receiver(http_server, "/flaky", [(500, {}), (429, {"Retry-After": "1"})])
    healthy = Receiver(http_server, "/healthy")
    secret = subscribe(redis_client, keys, hook.url, "flaky")
    subscribe(redis_client, keys, healthy.url, "healthy")
    publish(redis_client, keys, make_alert(1))
    publish(redis_client, keys, make_alert(2))
    with Dispatcher(redis_client, keys, concurrency=1, **FAST) as dispatcher:
        assert dispatcher.drain(15)
    assert hook.ids() == Counter({"alert-troops-1": 1, "alert-troops-2": 1})
    assert len(healthy.requests) == 2  # one subscription's retries are its own
    by_id: dict[str, list[dict]] = {}
    for request in hook.requests:
        assert Webhook(secret).verify(request["body"], request["headers"])  # every attempt is signed
        by_id.setdefault(request["headers"]["webhook-id"], []).append(request)
    failed_id = hook.requests[0]["headers"]["webhook-id"]
    attempts = by_id[failed_id]
    assert [r["status"] for r in attempts][-1] == 200 and len(attempts) >= 2  # retried under the same id
    after_429 = next(i for i, r in enumerate(hook.requests) if r["status"] == 429)
    retried = next(r for r in hook.requests[after_429 + 1:]
                   if r["headers"]["webhook-id"] == hook.requests[after_429]["headers"]["webhook-id"])
    assert retried["at"] - hook.requests[after_429]["at"] >= 0.9  # Retry-After: 1 honoured
    stats = Subscriptions(redis_client, keys).stats("flaky")
    assert stats["delivered"] == 2 and stats["retries"] == 2 and stats["dead"] == 0 and stats["pending"] == 0


def test_dead_letter_after_max_tries(redis_client, keys, http_server, redis_url, prefix):
    hook = Receiver(http_server, "/down", [(503, {})] * 10)
    subscribe(redis_client, keys, hook.url, "down")
    publish(redis_client, keys, make_alert(1))
    with Dispatcher(redis_client, keys, max_tries=3, **FAST) as dispatcher:
        assert dispatcher.drain(10)
    assert len(hook.requests) == 3 and not hook.ok
    (letter,) = Subscriptions(redis_client, keys).dead_letters("down")
    assert letter["alert_id"] == "alert-troops-1" and letter["attempts"] == 3 and letter["reason"] == "http 503"
    assert json.loads(letter["data"])["id"] == "alert-troops-1"  # enough to replay it
    listing = CliRunner().invoke(alerts, ["subscriptions", "--dead"],
                                 env={"REDIS_URL": redis_url, "TRANSFERWATCH_PREFIX": prefix})
    assert "dead=1" in listing.output and "dead alert-troops-1  attempts=3" in listing.output


def test_permanent_failure_is_dead_lettered_at_once(redis_client, keys, http_server):
    hook = Receiver(http_server, "/gone", [(410, {})])
    subscribe(redis_client, keys, hook.url, "gone")
    publish(redis_client, keys, make_alert(1))
    with Dispatcher(redis_client, keys, **FAST) as dispatcher:
        assert dispatcher.drain(10)
    assert len(hook.requests) == 1
    assert Subscriptions(redis_client, keys).stats("gone")["dead"] == 1


def test_hanging_webhook_does_not_delay_another_and_is_cut_off(redis_client, keys, http_server):
    release = threading.Event()
    hung_at: list[float] = []

    def hang(req) -> None:
        hung_at.append(time.monotonic())
        release.wait(10)

    http_server.route("/slow", hang)
    fast = Receiver(http_server, "/fast")
    subscribe(redis_client, keys, http_server.url("/slow"), "slow")
    subscribe(redis_client, keys, fast.url, "fast")
    for n in range(3):
        publish(redis_client, keys, make_alert(n))
    started = time.monotonic()
    timeouts = Timeouts(connect=1, read=0.5, total=1)
    try:
        with Dispatcher(redis_client, keys, max_tries=1, timeouts=timeouts, concurrency=1, block=0.05) as dispatcher:
            assert dispatcher.drain(15)
    finally:
        release.set()
    assert len(fast.ok) == 3
    assert fast.ok[-1]["at"] < hung_at[0] + timeouts.read  # all three while the slow one hung on its first
    assert len(hung_at) == 3  # one at a time (concurrency=1), each cut off
    letters = Subscriptions(redis_client, keys).dead_letters("slow")
    assert len(letters) == 3 and all("timeout" in letter["reason"] for letter in letters)
    assert time.monotonic() - started < 3 * 0.5 + 1.5


def test_republished_alert_is_delivered_once(redis_client, keys, http_server):
    hook = Receiver(http_server, "/hook")
    subscribe(redis_client, keys, hook.url, "once")
    publish(redis_client, keys, make_alert(1))
    publish(redis_client, keys, make_alert(1))
    with Dispatcher(redis_client, keys, **FAST) as dispatcher:
        assert dispatcher.drain(10)
        publish(redis_client, keys, make_alert(1))  # and again later
        assert dispatcher.drain(10)
    assert hook.ids() == Counter({"alert-troops-1": 1})


def test_entries_read_by_a_dead_dispatcher_are_claimed(redis_client, keys, http_server):
    hook = Receiver(http_server, "/hook")
    subscribe(redis_client, keys, hook.url, "claimed")
    for n in range(3):
        publish(redis_client, keys, make_alert(n))
    redis_client.xgroup_create(keys.alerts_stream, keys.dispatch_group, id="0", mkstream=True)
    # "ghost" reads the entries, then dies before fanning them out: they stay pending in the group.
    redis_client.xreadgroup(keys.dispatch_group, "ghost", {keys.alerts_stream: ">"}, count=10)
    assert redis_client.xpending(keys.alerts_stream, keys.dispatch_group)["pending"] == 3
    with Dispatcher(redis_client, keys, name="heir", claim_idle=0.05, **FAST) as heir:
        assert heir.drain(10)
    assert hook.ids() == Counter({f"alert-troops-{n}": 1 for n in range(3)})
    assert redis_client.xpending(keys.alerts_stream, keys.dispatch_group)["pending"] == 0


def test_dispatcher_killed_mid_delivery_loses_nothing(redis_client, keys, http_server, service_env):
    """A dispatcher process is SIGKILLed while its webhook request hangs; another delivers after the lease."""
    in_flight = threading.Event()
    release = threading.Event()
    seen: list[dict] = []

    def first_hangs_then_ok(req) -> None:
        seen.append(dict(req.headers))
        if len(seen) == 1:
            in_flight.set()
            release.wait(10)
            return
        req.send_response(200)
        req.send_header("Content-Length", "0")
        req.end_headers()

    url = http_server.route("/hook", first_hangs_then_ok)
    subscribe(redis_client, keys, url, "survivor")
    code = (
        "import os, threading\n"
        "from worker.connection import client_from_url\n"
        "from worker.keys import Keys\n"
        "from alerts.channels import Timeouts\n"
        "from alerts.dispatch import Dispatcher\n"
        "d = Dispatcher(client_from_url(os.environ['REDIS_URL']), Keys(os.environ['TRANSFERWATCH_PREFIX']),\n"
        "               name='doomed', timeouts=Timeouts(1, 20, 20), lease=1.0, block=0.05)\n"
        "d.run(threading.Event())\n"
    )
    doomed = subprocess.Popen([sys.executable, "-c", code], env=service_env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        publish(redis_client, keys, make_alert(7))
        assert in_flight.wait(15)
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        release.set()
    with Dispatcher(redis_client, keys, name="heir", **FAST) as heir:
        assert heir.drain(10)
    assert [h["webhook-id"] for h in seen] == ["alert-troops-7", "alert-troops-7"]
    assert Subscriptions(redis_client, keys).stats("survivor")["delivered"] == 1


def test_several_dispatchers_share_the_work_without_double_delivery(redis_client, keys, http_server):
    hook = Receiver(http_server, "/hook")
    subscribe(redis_client, keys, hook.url, "shared")
    stop = threading.Event()
    dispatchers = [Dispatcher(redis_client, keys, name=f"d{i}", **FAST) for i in range(3)]
    threads = [threading.Thread(target=d.run, args=(stop,)) for d in dispatchers]
    for t in threads:
        t.start()
    try:
        for n in range(30):
            publish(redis_client, keys, make_alert(n))
        assert hook.wait_ok(30)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    with Dispatcher(redis_client, keys, **FAST) as last:
        assert last.drain(5)
    assert hook.ids() == Counter({f"alert-troops-{n}": 1 for n in range(30)})
    consumers = redis_client.xinfo_consumers(keys.alerts_stream, keys.dispatch_group)
    assert sum(1 for c in consumers if c["pending"] == 0) == len(consumers)


def test_apprise_target_for_real(redis_client, keys, http_server):
    got = Receiver(http_server, "/notify")
    port = http_server.server.server_address[1]
    Subscriptions(redis_client, keys).add(f"json://127.0.0.1:{port}/notify", ["oil"], name="json-notify")
    publish(redis_client, keys, make_alert(1, "troops"))
    publish(redis_client, keys, make_alert(2, "oil"))
    with Dispatcher(redis_client, keys, **FAST) as dispatcher:
        assert dispatcher.drain(10)
    (request,) = got.requests
    payload = json.loads(request["body"])
    assert payload["message"] == "North Korea sent 1002 oil to Russia\nhttps://news.example/2"
    assert "oil" in payload["title"]


def test_malformed_entry_is_skipped_and_acknowledged(redis_client, keys, http_server):
    hook = Receiver(http_server, "/hook")
    subscribe(redis_client, keys, hook.url, "robust")
    redis_client.xadd(keys.alerts_stream, {"data": "{not json"})
    publish(redis_client, keys, make_alert(1))
    with Dispatcher(redis_client, keys, **FAST) as dispatcher:
        assert dispatcher.drain(10)
    assert hook.ids() == Counter({"alert-troops-1": 1})


def test_unsubscribed_while_pending_stops_retries(redis_client, keys, http_server):
    hook = Receiver(http_server, "/hook", [(500, {})] * 50)
    subscribe(redis_client, keys, hook.url, "leaving")
    publish(redis_client, keys, make_alert(1))
    slow_retries = {**FAST, "backoff_base": 5.0, "backoff_cap": 60.0}
    with Dispatcher(redis_client, keys, **slow_retries) as d:
        assert not d.drain(0.5)  # one failure, next retry far away
        Subscriptions(redis_client, keys).remove("leaving")
        assert d.drain(5)
    assert not any(redis_client.exists(k) for k in StateKeys.of(keys, "leaving").all())


def test_backoff_grows_with_jitter_and_cap():
    assert backoff_delay(1, 2.0, 60, rng=lambda: 1.0) == 2.0
    assert backoff_delay(3, 2.0, 60, rng=lambda: 1.0) == 8.0
    assert backoff_delay(3, 2.0, 60, rng=lambda: 0.0) == 4.0
    assert backoff_delay(20, 2.0, 60, rng=lambda: 1.0) == 60


def test_heartbeat_has_a_ttl(redis_client, keys):
    with Dispatcher(redis_client, keys, name="beating", heartbeat_ttl=5, **FAST) as dispatcher:
        assert dispatcher.drain(2)
        beat = keys.heartbeat("dispatch", "beating")
        assert json.loads(redis_client.get(beat))["pid"] == os.getpid()
        assert 0 < redis_client.pttl(beat) <= 5000


def test_secrets_and_tokens_are_never_logged(redis_client, keys, http_server):
    from structlog.testing import capture_logs

    hook = Receiver(http_server, "/services/T000/B000/SECRETTOKENSECRETTOKEN", [(500, {})])
    notify = Receiver(http_server, "/notify")
    port = http_server.server.server_address[1]
    secret = subscribe(redis_client, keys, hook.url, "hook")
    Subscriptions(redis_client, keys).add(f"json://user:hunter2hunter2@127.0.0.1:{port}/notify", name="notify")
    publish(redis_client, keys, make_alert(1))
    with capture_logs() as logs, Dispatcher(redis_client, keys, **FAST) as dispatcher:
        assert dispatcher.drain(10)
    assert hook.ok and notify.ok
    text = repr(logs)
    assert "subscription_lane_opened" in text and "alert_delivery_failed" in text
    for leak in (secret, secret[6:], "SECRETTOKENSECRETTOKEN", "hunter2hunter2"):
        assert leak not in text
