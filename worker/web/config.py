"""What the web server needs, and the rule that keeps it on loopback unless a token guards it."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from worker.settings import ConfigError, Settings

KEEPALIVE_SECONDS = 15.0


@dataclass(frozen=True)
class WebConfig:
    redis_url: str
    prefix: str
    feeds_path: Path
    host: str = "127.0.0.1"
    port: int = 8650
    token: str | None = field(default=None, repr=False)  # TRANSFERWATCH_WEB_TOKEN: never in a repr or a log
    keepalive: float = KEEPALIVE_SECONDS  # seconds between SSE keep-alive comments

    @classmethod
    def from_settings(cls, settings: Settings, redis_url: str, feeds_path: Path | None = None, *,
                      host: str | None = None, port: int | None = None) -> "WebConfig":
        config = cls(
            redis_url=redis_url,
            prefix=settings.prefix,
            feeds_path=feeds_path or settings.feeds_path,
            host=host or settings.web_host,
            port=settings.web_port if port is None else port,
            token=settings.web_token,
        )
        check_bind(config.host, config.token)
        return config


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback IP literal (127.0.0.0/8, ::1); any other name or address is not."""
    host = host.strip().strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Without a token, only a loopback address may be served (contracts.md); ConfigError (exit 2) otherwise."""
    if not host:
        raise ConfigError("TRANSFERWATCH_WEB_HOST / --host: empty address")
    if token is None and not is_loopback(host):
        raise ConfigError(
            f"refusing to serve the dashboard on {host!r} without TRANSFERWATCH_WEB_TOKEN: "
            "set a token (every request must then carry it) or bind a loopback address such as 127.0.0.1"
        )
