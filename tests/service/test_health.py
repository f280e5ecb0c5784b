"""`transferwatch health` reflects what is actually running."""

from __future__ import annotations

import signal
import subprocess
import sys
import time


def health(env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "worker", "health"], env=env, capture_output=True, text=True, timeout=60)


def start_service(tmp_path, env: dict[str, str]) -> subprocess.Popen:
    """`transferwatch run` with one worker, on a feed that cannot be reached."""
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - name: down\n    url: http://127.0.0.1:9/rss.xml\n")
    return subprocess.Popen([sys.executable, "-m", "worker", "run", "--workers", "1", "--feeds", str(feeds)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def health_once_up(env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    """`health` repeated until it answers healthy or ``timeout`` passes; the last answer."""
    deadline = time.monotonic() + timeout
    result = health(env)
    while result.returncode != 0 and time.monotonic() < deadline:
        time.sleep(0.2)  # the components register as they start; there is no single event to wait on
        result = health(env)
    return result


def test_health_follows_the_service(service_env, redis_client, tmp_path):
    before = health(service_env)
    assert before.returncode == 1 and "no heartbeat" in before.stdout

    run = start_service(tmp_path, service_env)
    try:
        result = health_once_up(service_env)
        assert result.returncode == 0, result.stdout
        assert result.stdout.splitlines() == ["healthy", "failed article jobs: 0 in RQ's failed registry; failed tries: 0"]
    finally:
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=60) == 0

    after = health(service_env)
    assert after.returncode == 1 and "worker" in after.stdout


def test_health_without_redis_url_reads_the_running_services_embedded_redis(service_env, tmp_path):
    env = {k: v for k, v in service_env.items() if k != "REDIS_URL"}
    env["TRANSFERWATCH_DATA_DIR"] = str(tmp_path / "data")
    nothing = health(env)
    assert nothing.returncode == 1 and "no embedded Redis answers" in nothing.stdout
    assert not (tmp_path / "data" / "redis" / "redis.sock").exists(), "health must not start a Redis"

    run = start_service(tmp_path, env)
    try:
        result = health_once_up(env)
        assert result.returncode == 0, result.stdout
    finally:
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=60) == 0
