"""Fixtures for the poller tests: a controllable clock, a feeds.yaml path, a Poller with test-sized limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from worker.jobs import make_queue
from worker.poller import Poller

from .support import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def feeds_file(tmp_path) -> Path:
    return tmp_path / "feeds.yaml"


@pytest.fixture
def make_poller(redis_client, keys, feeds_file, clock) -> Iterator:
    """Build Pollers with test-sized limits (1 s total timeout, 5 MB body); all closed after the test."""
    made: list[Poller] = []

    def make(**overrides) -> Poller:
        options = dict(
            queue=make_queue(redis_client, keys),
            concurrency=8,
            connect_timeout=1.0,
            read_timeout=1.0,
            total_timeout=1.5,
            max_bytes=5 * 1024 * 1024,
            max_redirects=3,
            clock=clock,
            tick_seconds=0.05,
            relevance_gate=False,  # these tests are about fetching and queuing; the gate has its own test
        )
        options.update(overrides)
        poller = Poller(redis_client, keys, feeds_file, **options)
        made.append(poller)
        return poller

    yield make
    for poller in made:
        poller.close()
