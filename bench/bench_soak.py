"""Soak: 100,000 feed items through the service, Redis restarted and a worker SIGKILLed midway.

Not a timed test: it prints what it checked and what it measured. The
deployment is the one of ``bench/bench_state.py`` (a private embedded
redis-server with its AOF and RDB, `transferwatch run` for the workers, the
Poller in this process with a window of seconds). Articles reach the workers
through the poller over local HTTP feeds, not by enqueueing jobs directly:
what grows with every article (seen markers, fingerprints) is the poller's,
and only a poller re-reading feeds shows the markers doing their job while
older ones expire.

Midway, one worker is SIGKILLed while it runs a job (the service restarts it
and recovers the job); later, again while a job runs, Redis is shut down
(saving) and started again on the same data, as a real deployment's would be.

Checked afterwards: nothing lost (every relevant story is in the ledger's
history, under exactly one of its copies; the processed counter equals the
articles queued, none failed), nothing doubled (no alert id twice on the
Stream, no history entry twice). Memory: the deployment's keys and
``used_memory`` sampled along the run, then after the window has passed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from alerts.stream import read_alerts  # noqa: E402
from bench.bench_state import Deployment, feed_items, print_before_and_after  # noqa: E402
from worker.logs import configure  # noqa: E402


def running_job(dep: Deployment, timeout: float = 60.0) -> tuple[str, int] | None:
    """A job running now and its worker's pid; None if no job started within ``timeout``."""
    from rq import Worker
    from rq.registry import StartedJobRegistry

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = set(StartedJobRegistry(queue=dep.queue).get_job_ids())
        for worker in Worker.all(queue=dep.queue):
            job_id = worker.get_current_job_id()
            if worker.pid and job_id in started:
                return job_id, worker.pid
        time.sleep(0.01)  # polling Redis: no event says "a job started"
    return None


def restart_redis(dep: Deployment) -> float:
    """Shut Redis down (saving) and start it again on the same data; returns the seconds it was away."""
    from worker.connection import EmbeddedRedis

    started = time.monotonic()
    dep.server.stop()
    dep.server = EmbeddedRedis(dep.tmp / "redis").start()
    return time.monotonic() - started


def sample(dep: Deployment, seconds: float) -> tuple[float, int, int, int, int]:
    """Seconds, items offered, keys, keys with a TTL (the private Redis holds this deployment only), used_memory."""
    space: dict[str, Any] = dep.client.info("keyspace").get("db0", {})
    return seconds, dep.offered, int(space.get("keys", 0)), int(space.get("expires", 0)), dep.used_memory()


def history(dep: Deployment) -> list[dict]:
    """Every entry of the ledger's history, every metric."""
    from alerts.ledger import Ledger

    return [entry for metric in Ledger(dep.client, dep.keys).figures() for entry in metric["history"]]


def statements(text: str) -> list[str]:
    """The sentences of a stream text that report a figure moved to or from Russia (bench/streams.py RELEVANT)."""
    return [s for s in re.split(r"(?<=\.) ", text) if re.search(r"Russia|Moscow", s) and re.search(r"\d", s)]


def check(dep: Deployment, per_feed: list[list[dict]], copies: dict[str, str]) -> list[str]:
    """Nothing lost, nothing doubled: one line per check, 'ok' or what is wrong."""
    relevant = {item["guid"]: item["text"] for items in per_feed for item in items
                if item["title"].startswith("Report") and item["guid"] not in copies}
    entries = history(dep)
    story_copies: dict[str, set[str]] = {}
    for entry in entries:
        guid = entry["url"].rsplit("/", 1)[1]
        story_copies.setdefault(copies.get(guid, guid), set()).add(guid)
    # The stream's templates repeat a sentence now and then; the ledger records a statement once wherever
    # it is carried (its dedupe key is the evidence sentence), so a story whose figure sentences were all
    # recorded from other stories adds no history. Such a story (every one of its figure sentences is the
    # evidence of an entry) is a repeat, not a loss.
    evidence = {entry["evidence"] for entry in entries}
    missing = set(relevant) - set(story_copies)
    repeats = {g for g in missing if all(s in evidence for s in statements(relevant[g]))}
    lost = missing - repeats
    both = [s for s, guids in story_copies.items() if len(guids) > 1]
    stats: dict[Any, Any] = dep.client.hgetall(dep.keys.stats)
    processed, failed = (int(stats.get(name, 0)) for name in (b"articles_processed", b"articles_failed"))
    alert_ids = Counter((a.alert or {}).get("id") for a in read_alerts(dep.client, dep.keys, None))
    twice = [entry for entry, n in Counter(json.dumps(e, sort_keys=True) for e in entries).items() if n > 1]
    return [
        f"relevant stories in the ledger's history: {len(relevant) - len(missing):,} of {len(relevant):,} "
        + (f"(the other {len(repeats)} only repeat statements recorded from other stories) " if repeats else "")
        + ("ok" if not lost else f"LOST {len(lost)}: {sorted(lost)[:5]}"),
        "a story applied under two of its copies: " + ("none, ok" if not both else f"DOUBLED {len(both)}: {both[:5]}"),
        f"articles processed (counter) {processed:,}, queued {dep.queued:,}, failed {failed}: "
        + ("ok" if processed == dep.queued and failed == 0 else "MISMATCH"),
        f"alerts on the Stream: {sum(alert_ids.values()):,}, ids seen twice: "
        + ("none, ok" if max(alert_ids.values(), default=1) == 1 else
           f"DOUBLED {[a for a, n in alert_ids.items() if n > 1][:5]}"),
        f"history entries: {len(entries):,}, identical twice: " + ("none, ok" if not twice else f"DOUBLED {len(twice)}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=100_000, help="stories (syndicated copies come on top)")
    parser.add_argument("--feeds", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--window", type=int, default=30, help="seen window and RQ result TTL, seconds")
    parser.add_argument("--step", type=int, default=250, help="new items per feed per poll")
    args = parser.parse_args()
    configure("console", "warning")

    per_feed, copies = feed_items(args.articles, args.feeds)
    samples: list[tuple[float, int, int, int, int]] = []  # seconds, items offered, keys, keys with a TTL, used_memory
    events: list[str] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        dep = Deployment(Path(tmp_name), args.feeds, args.workers, args.window)
        try:
            base_used = dep.used_memory()
            started = time.monotonic()
            for r, rounds in dep.feed_rounds(per_feed, args.step):
                samples.append(sample(dep, time.monotonic() - started))
                if r in (int(rounds * 0.4), int(rounds * 0.6)):
                    running = running_job(dep)
                    if running is None:
                        events.append(f"round {r + 1}/{rounds}: NO job running to interrupt")
                    elif r == int(rounds * 0.4):
                        os.kill(running[1], signal.SIGKILL)
                        events.append(f"round {r + 1}/{rounds}: worker {running[1]} SIGKILLed running {running[0]}")
                    else:
                        queued, away = dep.queue.count, restart_redis(dep)
                        events.append(f"round {r + 1}/{rounds}: Redis restarted ({away:.1f}s away) while "
                                      f"{running[0]} ran and {queued} more jobs were queued")
            dep.drain()
            run_seconds = time.monotonic() - started
            samples.append(sample(dep, run_seconds))
            after = dep.measure()
            used_after = dep.used_memory()
            checks = check(dep, per_feed, copies)
            waited = dep.await_expiry(timeout=args.window + 300)
            expired = dep.measure()
            used_expired = dep.used_memory()
            died = dep.log_path.read_text().count("worker_died")
        finally:
            dep.close()

    offered = dep.offered
    print(f"soak: {offered:,} feed items ({args.articles:,} stories, 1 in 10 relevant, {len(copies):,} syndicated "
          f"copies) over {args.feeds} feeds in {args.step}-item polls: {dep.queued:,} queued in {len(dep.job_ids):,} "
          f"jobs, {dep.irrelevant:,} irrelevant (gate), {dep.duplicates:,} duplicates; {args.workers} workers; "
          f"{run_seconds:.0f}s; window {args.window}s")
    print(*events, f"worker_died logged by the service: {died}", sep="\n")
    print(*checks, sep="\n")
    print("memory along the run (keys in Redis: with a TTL / without; used_memory above the start):")
    shown = sorted({round(i * (len(samples) - 1) / 10) for i in range(11)})
    for i in shown:
        seconds, items, keys, volatile, used = samples[i]
        print(f"  {seconds:6.0f}s {items:>8,} items {volatile:>9,} / {keys - volatile:>7,} keys "
              f"{(used - base_used) / 1e6:8.1f} MB")
    print_before_and_after(after, used_after, expired, used_expired, waited, base_used, offered, dep.queued)


if __name__ == "__main__":
    main()
