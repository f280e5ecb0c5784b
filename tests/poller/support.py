"""Shared helpers for the poller tests: fixture feeds, a feeds.yaml writer, a controllable clock."""

from __future__ import annotations

import time
from pathlib import Path

FEEDS = Path(__file__).parent.parent / "fixtures" / "feeds"


def fixture_bytes(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


class Clock:
    """Wall-clock stand-in the tests move forward instead of sleeping."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def write_feeds(path: Path, feeds: dict[str, str], interval: int = 60) -> Path:
    lines = ["# test feeds", "feeds:"]
    for name, url in feeds.items():
        lines += [f"  - name: {name}", f"    url: {url}", f"    interval: {interval}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def queued_articles(connection, job_ids: list[str]) -> list[dict]:
    """The articles the given jobs carry, in queue order (a job carries a batch of articles)."""
    from rq.job import Job
    from rq.serializers import JSONSerializer

    return [article for job_id in job_ids
            for article in Job.fetch(job_id, connection=connection, serializer=JSONSerializer).args[0]]
