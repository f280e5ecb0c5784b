"""``alerts tail``: reads the Stream, so ``--since`` shows what was raised while it was not running."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading

import pytest

from alerts.stream import read_alerts, since_to_id, tail
from worker.errors import InputError

pytestmark = pytest.mark.timeout(30)


def make_alert(n: int, category: str = "troops") -> dict:
    return {
        "id": f"tail-{n}",
        "kind": "first_report",
        "metric": {"supplier": "PRK", "recipient": "RUS", "category": category, "unit": "x"},
        "previous": None,
        "current": {"value": n, "url": f"https://news.example/{n}"},
        "change": None,
        "message": f"message number {n}",
        "created_at": "2024-11-20T10:00:00+00:00",
    }


def publish(redis_client, keys, alert: dict, entry_id: str = "*") -> str:
    return redis_client.xadd(keys.alerts_stream, {"data": json.dumps(alert)}, id=entry_id).decode()


class Tail:
    """``transferwatch alerts tail ...`` as a real process; its stdout lines arrive on a queue."""

    def __init__(self, env: dict[str, str], *args: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "worker.commands.alerts", "tail", *args],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        assert self.process.stdout is not None
        self.stdout = self.process.stdout
        self.lines: queue.Queue[str] = queue.Queue()
        self._pump_thread = threading.Thread(target=self._pump, daemon=True)
        self._pump_thread.start()

    def _pump(self) -> None:
        for line in self.stdout:
            self.lines.put(line.rstrip("\n"))

    def next(self, timeout: float = 10) -> str:
        return self.lines.get(timeout=timeout)

    def interrupt(self) -> int:
        """Ctrl-C; returns the exit code once every line the process printed is in ``lines``."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(10)
        self._pump_thread.join(10)  # stdout reaches EOF when the process is gone
        self.stdout.close()
        return code


def test_since_id_is_exclusive_and_time_inclusive():
    assert since_to_id("1731000000000-3") == "(1731000000000-3"
    assert since_to_id("1731000000000") == "(1731000000000-0"
    assert since_to_id("2024-11-07T17:20:00Z") == "1731000000000-0"
    assert since_to_id("2024-11-07T17:20:00") == "1731000000000-0"  # naive means UTC
    with pytest.raises(InputError):  # a ValueError too, for callers that catch those
        since_to_id("last tuesday")


def test_read_alerts_filters_and_pages(redis_client, keys):
    ids = [publish(redis_client, keys, make_alert(n, "oil" if n % 2 else "troops")) for n in range(1200)]
    redis_client.xadd(keys.alerts_stream, {"data": "garbage"})
    troops = list(read_alerts(redis_client, keys, None, ["troops"]))
    assert len(troops) == 600 and all(item.category == "troops" for item in troops)
    after = list(read_alerts(redis_client, keys, ids[1197], []))
    assert [(item.alert or {}).get("id") for item in after] == ["tail-1198", "tail-1199"]


def test_tail_generator_follows_live_after_history(redis_client, keys):
    first = publish(redis_client, keys, make_alert(1))
    publish(redis_client, keys, make_alert(2))
    stop = threading.Event()
    seen = tail(redis_client, keys, since=first, stop=stop, block=0.05)
    assert (next(seen).alert or {}).get("id") == "tail-2"
    publish(redis_client, keys, make_alert(3))
    assert (next(seen).alert or {}).get("id") == "tail-3"
    stop.set()
    assert list(seen) == []


def test_tail_since_shows_alerts_raised_while_not_running(redis_client, keys, service_env):
    seen_last = publish(redis_client, keys, make_alert(0))  # what a previous `tail` printed last
    publish(redis_client, keys, make_alert(1, "troops"))  # raised while tail was not running
    publish(redis_client, keys, make_alert(2, "oil"))
    publish(redis_client, keys, make_alert(3, "troops"))
    watcher = Tail(service_env, "--since", seen_last, "--category", "troops")
    try:
        assert "message number 1" in watcher.next()
        line = watcher.next()
        assert "message number 3" in line and "troops" in line and "<https://news.example/3>" in line
        live = publish(redis_client, keys, make_alert(4, "troops"))
        publish(redis_client, keys, make_alert(5, "oil"))
        assert watcher.next().startswith(live)  # the id printed first: the next --since
    finally:
        code = watcher.interrupt()
    assert code == 0  # Ctrl-C is a normal way to stop
    assert watcher.lines.empty()  # the oil alert was filtered out


def test_tail_json_since_time(redis_client, keys, service_env):
    publish(redis_client, keys, make_alert(1), "1731000000000-0")  # 2024-11-07T17:20:00Z
    alert = make_alert(2)
    publish(redis_client, keys, alert, "1731000060000-0")  # a minute later
    watcher = Tail(service_env, "--json", "--since", "2024-11-07T17:20:30+00:00")
    try:
        assert json.loads(watcher.next()) == alert
    finally:
        assert watcher.interrupt() == 0


def test_tail_without_since_starts_at_the_end(redis_client, keys, service_env):
    publish(redis_client, keys, make_alert(1))
    watcher = Tail(service_env, "--json")
    try:
        # No history: the first line can only be an alert published after tail started.
        # Publish until tail has surely started reading (each publish is one line at most).
        for n in range(2, 200):
            publish(redis_client, keys, make_alert(n))
            try:
                first = json.loads(watcher.next(timeout=0.2))
                break
            except queue.Empty:
                continue
        assert first["id"] != "tail-1"
    finally:
        assert watcher.interrupt() == 0
