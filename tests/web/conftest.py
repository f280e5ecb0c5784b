"""Web fixtures: the app served by a real uvicorn on a free loopback port, against the test Redis."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from alerts.ledger import Ledger

from .support import FEEDS_TEXT, Served, start_server


@pytest.fixture
def feeds_file(tmp_path: Path) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(FEEDS_TEXT, encoding="utf-8")
    return path


@pytest.fixture
def ledger(redis_client, keys) -> Ledger:
    return Ledger(redis_client, keys)


@pytest.fixture
def serve(redis_url, prefix, feeds_file, redis_client) -> Iterator[Callable[..., Served]]:
    """``serve(token=..., keepalive=...)`` starts a server; all are stopped after the test."""
    started: list[Served] = []

    def start(**options) -> Served:
        options.setdefault("redis_url", redis_url)
        served = start_server(options.pop("redis_url"), prefix, options.pop("feeds_path", feeds_file), **options)
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


@pytest.fixture
def web(serve) -> Served:
    return serve()
