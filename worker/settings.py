"""Environment settings, read and validated once at the edge, then trusted.

Every variable here is part of the contract in ``shared/spec/contracts.md``;
``Settings.from_env`` raises :class:`ConfigError` (exit code 2 at the CLI) on a
bad value, naming the variable.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

from worker.errors import ConfigError
from worker.redact import redact_url

_PREFIX_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
_REDIS_SCHEMES = ("redis", "rediss", "unix")
DEFAULT_SEEN_DAYS = 90  # longer than any feed keeps an item
DAY = 24 * 3600
DEFAULT_SEEN_TTL = DEFAULT_SEEN_DAYS * DAY  # seconds


@dataclass(frozen=True)
class Settings:
    redis_url: str | None
    feeds_path: Path
    data_dir: Path
    prefix: str
    log_format: str
    log_level: str
    metrics_port: int | None = None
    metrics_addr: str = "127.0.0.1"
    web_host: str = "127.0.0.1"
    web_port: int = 8650
    web_token: str | None = field(default=None, repr=False)  # a secret: never in a repr or a log
    seen_days: int = DEFAULT_SEEN_DAYS  # how long what only recognises a feed item again is kept

    @property
    def seen_ttl(self) -> int:
        """``seen_days`` in seconds, as Redis ``EXPIRE`` takes it."""
        return self.seen_days * DAY

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        redis_url = env.get("REDIS_URL") or None
        if redis_url is not None:
            scheme = urlsplit(redis_url).scheme
            if scheme not in _REDIS_SCHEMES:
                raise ConfigError(
                    f"REDIS_URL: scheme {scheme or '(none)'!r} is not one of {', '.join(_REDIS_SCHEMES)}"
                )
        prefix = env.get("TRANSFERWATCH_PREFIX") or "transferwatch"
        if not _PREFIX_RE.match(prefix):
            raise ConfigError(
                f"TRANSFERWATCH_PREFIX: {prefix!r} must be 1-64 characters of letters, digits, '_', '.', ':' or '-'"
            )
        # console when the logs (on stderr) go to a terminal
        log_format = (env.get("LOG_FORMAT") or ("console" if sys.stderr.isatty() else "json")).lower()
        if log_format not in ("json", "console"):
            raise ConfigError(f"LOG_FORMAT: {log_format!r} is not 'json' or 'console'")
        log_level = (env.get("LOG_LEVEL") or "info").lower()
        if log_level not in ("debug", "info", "warning", "error"):
            raise ConfigError(f"LOG_LEVEL: {log_level!r} is not one of debug, info, warning, error")
        metrics_port = None
        if env.get("TRANSFERWATCH_METRICS_PORT"):
            raw = env["TRANSFERWATCH_METRICS_PORT"]
            if not raw.isdigit() or not 0 < int(raw) < 65536:
                raise ConfigError(f"TRANSFERWATCH_METRICS_PORT: {raw!r} is not a port number (1-65535)")
            metrics_port = int(raw)
        web_port = 8650
        if env.get("TRANSFERWATCH_WEB_PORT"):
            raw = env["TRANSFERWATCH_WEB_PORT"]
            if not raw.isdigit() or not 0 <= int(raw) < 65536:
                raise ConfigError(f"TRANSFERWATCH_WEB_PORT: {raw!r} is not a port number (1-65535, or 0 for any free port)")
            web_port = int(raw)
        web_token = env.get("TRANSFERWATCH_WEB_TOKEN") or None
        if web_token is not None and (web_token != web_token.strip() or any(not c.isprintable() for c in web_token)):
            raise ConfigError("TRANSFERWATCH_WEB_TOKEN: must be printable characters without surrounding whitespace "
                              "(it is sent as 'Authorization: Bearer <token>')")
        seen_days = DEFAULT_SEEN_DAYS
        if env.get("TRANSFERWATCH_SEEN_DAYS"):
            raw = env["TRANSFERWATCH_SEEN_DAYS"]
            if not raw.isdigit() or not 1 <= int(raw) <= 3650:
                raise ConfigError(f"TRANSFERWATCH_SEEN_DAYS: {raw!r} is not a whole number of days (1-3650)")
            seen_days = int(raw)
        return cls(
            redis_url=redis_url,
            feeds_path=Path(env.get("TRANSFERWATCH_FEEDS") or "feeds.yaml"),
            data_dir=Path(env.get("TRANSFERWATCH_DATA_DIR") or ".transferwatch"),
            prefix=prefix,
            log_format=log_format,
            log_level=log_level,
            metrics_port=metrics_port,
            metrics_addr=env.get("TRANSFERWATCH_METRICS_ADDR") or "127.0.0.1",
            web_host=env.get("TRANSFERWATCH_WEB_HOST") or "127.0.0.1",
            web_port=web_port,
            web_token=web_token,
            seen_days=seen_days,
        )

    @property
    def redis_url_redacted(self) -> str | None:
        return redact_url(self.redis_url)

    def __repr__(self) -> str:
        """Every field but secrets (``repr=False``), the Redis URL without its password (a traceback or a log
        of the settings shows this)."""
        shown = {f.name: getattr(self, f.name) for f in fields(self) if f.repr} | {"redis_url": self.redis_url_redacted}
        return f"Settings({', '.join(f'{name}={value!r}' for name, value in shown.items())})"
