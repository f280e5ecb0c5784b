"""Bounded state: the bytes Redis keeps per article processed, right after a run and once the seen window has passed.

The service runs on a private embedded redis-server: `transferwatch run` (its
workers, dispatcher and supervision; its own poller has every feed disabled)
and, in this process, the same Poller with a window of seconds instead of days
(``seen_ttl``, ``result_ttl``), polling feeds served on 127.0.0.1. The feeds
carry a mixed stream (1 in 10 relevant) and syndicated copies (the same story
under another feed, id and title); each round a feed shows its next items and
keeps showing some of the last round's, as a real feed does.

Bytes kept: the sum of ``MEMORY USAGE`` over the deployment's keys, RQ's
included (``bench/state_memory.py``), divided by the feed items offered (every
item counts, irrelevant ones and copies included). ``used_memory`` (Redis's
whole heap) is printed beside it. After the run the bench waits for the keys
that expire by design to be gone (it watches them disappear), runs RQ's
registry cleanup (what an RQ worker's maintenance does every 10 minutes), and
measures again.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_service import PREFIX, Feeds, env_for  # noqa: E402  (sets RQ's prefix before rq is imported)
from bench.state_memory import Footprint, expiring_left, measure  # noqa: E402
from bench.streams import stream  # noqa: E402
from worker.connection import EmbeddedRedis, client_from_url  # noqa: E402
from worker.keys import Keys, rq_key_prefix  # noqa: E402
from worker.logs import configure  # noqa: E402

SYNDICATED_EVERY = 20  # every 20th item also appears in the next feed, under its own id and title


def feed_items(n: int, feeds: int, seed: int = 7) -> tuple[list[list[dict]], dict[str, str]]:
    """``n`` stream items dealt to ``feeds`` feeds, with syndicated copies; and each copy's original guid."""
    per_feed: list[list[dict]] = [[] for _ in range(feeds)]
    copies: dict[str, str] = {}
    for i, item in enumerate(stream(n, relevant_every=10, seed=seed)):
        per_feed[i % feeds].append(item)
        if i % SYNDICATED_EVERY == 0:
            copy = dict(item, guid=f"syn-{item['guid']}", title=f"{item['title']} (wire copy)")
            copies[copy["guid"]] = item["guid"]
            per_feed[(i + 1) % feeds].append(copy)
    return per_feed, copies


class Deployment:
    """A private Redis, `transferwatch run --workers N`, local feeds and an in-process poller with a short window."""

    def __init__(self, tmp: Path, feeds: int, workers: int, window: int):
        from worker.jobs import make_queue
        from worker.poller import Poller

        self.tmp = tmp
        self.server = EmbeddedRedis(tmp / "redis").start()
        self.client = client_from_url(self.server.url)
        self.keys = Keys(PREFIX)
        self.rq_prefix = rq_key_prefix()
        self.queue = make_queue(self.client, self.keys)
        self.feeds = Feeds()
        self.names = [f"feed{i}" for i in range(feeds)]
        for name in self.names:
            self.feeds.publish(name, [])
        service_feeds = self.feeds.write_yaml(tmp / "feeds-service.yaml", self.names, enabled=False)
        self.log_path = tmp / "run.log"
        env = dict(env_for(self.server.url), TRANSFERWATCH_DATA_DIR=str(tmp / "data"))
        self.run = subprocess.Popen([sys.executable, "-m", "worker", "run", "--workers", str(workers),
                                     "--feeds", str(service_feeds)], env=env, stdout=subprocess.DEVNULL,
                                    stderr=self.log_path.open("wb"))
        self.poller = Poller(self.client, self.keys, self.feeds.write_yaml(tmp / "feeds.yaml", self.names),
                             seen_ttl=window, result_ttl=window)
        self.job_ids: list[str] = []
        self.queued = self.duplicates = self.irrelevant = self.offered = 0

    def poll(self, shown: dict[str, list[dict]], new: int) -> None:
        """Publish what each feed shows now (``new`` items not shown before, in all), make them due, poll once."""
        for name, items in shown.items():
            self.feeds.publish(name, items)
            self.client.hset(self.keys.feed_state(name), "last_attempt", 0)  # due now
        report = self.poller.tick(once=True)
        if report.failures:
            raise SystemExit(f"poll failed: {report.failures}")
        self.offered += new
        self.job_ids += report.job_ids
        self.queued += report.articles_new
        self.duplicates += report.articles_duplicate
        self.irrelevant += report.articles_irrelevant

    def feed_rounds(self, per_feed: list[list[dict]], step: int):
        """Poll every feed round by round, each showing ``step`` new items and the last ``step // 2`` again;
        yields the round number and the count of rounds after each poll."""
        longest = max(len(items) for items in per_feed)
        rounds = -(-longest // step)
        for r in range(rounds):
            start = r * step
            shown = {name: items[max(0, start - step // 2):start + step]
                     for name, items in zip(self.names, per_feed, strict=True)}
            self.poll(shown, sum(len(items[start:start + step]) for items in per_feed))
            yield r, rounds

    def drain(self, timeout: float = 900.0) -> float:
        """Wait until every queued job has finished for good; returns the seconds waited."""
        from worker.service import queue_is_drained

        started = time.monotonic()
        while not queue_is_drained(self.queue, self.job_ids):
            if self.run.poll() is not None:
                raise SystemExit(f"the service exited ({self.run.returncode}); see {self.log_path}")
            if time.monotonic() - started > timeout:
                raise SystemExit(f"jobs still running after {timeout:.0f}s; see {self.log_path}")
            time.sleep(0.2)  # polling Redis: no event says "all done"
        return time.monotonic() - started

    def measure(self) -> Footprint:
        return measure(self.client, self.keys, self.rq_prefix)

    def used_memory(self) -> int:
        return int(self.client.info("memory")["used_memory"])

    def await_expiry(self, timeout: float) -> float:
        """Wait until the keys that expire by design are gone, then clean RQ's registries; returns seconds waited."""
        from rq.registry import clean_registries

        started = time.monotonic()
        while (left := expiring_left(self.client, self.keys, self.rq_prefix)) > 0:
            if time.monotonic() - started > timeout:
                print(f"after {timeout:.0f}s, {left} keys that should have expired are still there")
                break
            time.sleep(0.5)  # Redis's expiry cycle removes them; watched, not assumed
        clean_registries(self.queue)  # an RQ worker does this every 10 minutes (maintenance)
        return time.monotonic() - started

    def close(self) -> None:
        self.poller.close()
        if self.run.poll() is None:
            self.run.send_signal(signal.SIGTERM)
            try:
                self.run.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.run.kill()
        self.feeds.server.shutdown()
        self.server.stop()


def report_lines(label: str, footprint: Footprint, used: int, base_used: int, offered: int, queued: int) -> list[str]:
    """Bytes per feed item offered (the figure), per article queued past the relevance gate, and the families."""
    return [f"{label}: {footprint.total_bytes / offered:,.0f} bytes per article (MEMORY USAGE summed over "
            f"{footprint.total_keys:,} keys: {footprint.total_bytes:,} bytes; "
            f"{footprint.total_bytes / max(queued, 1):,.0f} per article queued for extraction); used_memory "
            f"{(used - base_used) / offered:+,.0f} bytes per article", *footprint.table(offered)]


def print_before_and_after(after: Footprint, used_after: int, expired: Footprint, used_expired: int, waited: float,
                           base_used: int, offered: int, queued: int) -> None:
    """The state right after the run and once the expiring keys are gone, as both benches print it."""
    print("\n".join(report_lines("right after the run", after, used_after, base_used, offered, queued)))
    print("\n".join(report_lines(f"after the window (expiring keys gone {waited:.0f}s after the run)",
                                 expired, used_expired, base_used, offered, queued)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--feeds", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--window", type=int, default=10, help="seen window and RQ result TTL, seconds")
    args = parser.parse_args()
    configure("console", "warning")

    per_feed, copies = feed_items(args.articles, args.feeds)
    with tempfile.TemporaryDirectory() as tmp_name:
        dep = Deployment(Path(tmp_name), args.feeds, args.workers, args.window)
        try:
            base_used = dep.used_memory()
            started = time.monotonic()
            for _round in dep.feed_rounds(per_feed, step=250):
                pass
            dep.drain()
            run_seconds = time.monotonic() - started
            after = dep.measure()
            used_after = dep.used_memory()
            waited = dep.await_expiry(timeout=args.window + 300)
            expired = dep.measure()
            used_expired = dep.used_memory()
        finally:
            dep.close()
    offered = dep.offered
    print(f"{offered:,} feed items ({args.articles:,} stories, 1 in 10 relevant, {len(copies):,} syndicated copies) "
          f"over {args.feeds} feeds: {dep.queued:,} queued, {dep.irrelevant:,} irrelevant (gate), "
          f"{dep.duplicates:,} duplicates; {args.workers} workers; {run_seconds:.0f}s; window {args.window}s")
    print_before_and_after(after, used_after, expired, used_expired, waited, base_used, offered, dep.queued)


if __name__ == "__main__":
    main()
