"""The embedded Redis is a real redis-server whose data survives a restart."""

from __future__ import annotations

import redis

from worker.connection import EmbeddedRedis, client_from_url, connect
from worker.settings import Settings


def test_embedded_redis_persists_and_is_shared(tmp_path):
    server = EmbeddedRedis(tmp_path).start()
    try:
        client = client_from_url(server.url)
        client.set("tw:k", "v")
        # a second process-level user finds the running server instead of starting another
        again = EmbeddedRedis(tmp_path).start()
        assert again.process is None and again.url == server.url
    finally:
        server.stop()
    assert server.process is not None and server.process.poll() is not None

    restarted = EmbeddedRedis(tmp_path).start()
    try:
        assert client_from_url(restarted.url).get("tw:k") == b"v"
    finally:
        restarted.stop()


def test_long_data_dir_gets_a_short_socket(tmp_path):
    deep = tmp_path / ("d" * 90)
    server = EmbeddedRedis(deep)
    assert len(str(server.socket)) <= 100


def test_connect_uses_redis_url_when_set(redis_url):
    client, embedded = connect(Settings.from_env({"REDIS_URL": redis_url}))
    assert embedded is None and client.ping()


def test_unreachable_redis_raises_a_redis_error():
    client = client_from_url("redis://127.0.0.1:9/0")
    try:
        client.ping()
    except redis.ConnectionError as exc:
        assert "127.0.0.1" in str(exc) or "refused" in str(exc).lower()
    else:  # pragma: no cover
        raise AssertionError("ping to a closed port succeeded")
