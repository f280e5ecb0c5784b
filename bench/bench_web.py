"""Web dashboard response times on a large ledger: 50 metrics x 200 reports (10,000 history entries).

Fills a ledger under its own prefix through the real ``Ledger`` (REDIS_URL, else
an embedded redis-server in a temp dir), serves it with the real server on a
loopback port, and times each page and API route over real HTTP: median and
best of N requests after one warm-up, with the response size. Figures are
printed, not asserted. The prefix is deleted afterwards.

    .venv/bin/python bench/bench_web.py [--metrics 50] [--reports 200] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from alerts.ledger import Ledger  # noqa: E402
from alerts.rules import CATEGORIES, unit_table  # noqa: E402
from worker import logs  # noqa: E402
from worker.commands.figures import read_figures  # noqa: E402
from worker.connection import EmbeddedRedis, client_from_url  # noqa: E402
from worker.keys import Keys  # noqa: E402
from worker.web import views  # noqa: E402
from worker.web.config import WebConfig  # noqa: E402
from worker.web.server import WebThread, bind  # noqa: E402


def metric_specs(count: int) -> list[tuple[str, str, str, str]]:
    """(supplier, recipient, category, unit) for ``count`` distinct metrics."""
    table = unit_table()
    specs = []
    for supplier, recipient in (("PRK", "RUS"), ("RUS", "PRK")):
        for category in CATEGORIES:
            for unit in [table[category]["default"], *table[category]["units"]]:
                specs.append((supplier, recipient, category, unit))
    extra = 0
    while len(set(specs)) < count:  # categories that keep any unit ("technology": "kits-3")
        category = ("technology", "weapons_other", "economic_aid")[extra % 3]
        specs.append(("PRK", "RUS", category, f"kits-{extra}"))
        extra += 1
    return list(dict.fromkeys(specs))[:count]


def fill(ledger: Ledger, metrics: int, reports: int) -> int:
    """``reports`` articles per metric, rising 1-8% now and then, some hedged, some denied; returns alerts raised."""
    start = datetime(2023, 1, 1, tzinfo=timezone.utc)
    prepared = []
    for m, (supplier, recipient, category, unit) in enumerate(metric_specs(metrics)):
        value = 1000.0 * (m + 1)
        for r in range(reports):
            value = value * (1.08 if r % 9 == 0 else 1.0) + (r % 3)
            status = "denied" if r % 50 == 7 else "possible" if r % 11 == 3 else "asserted"
            mode = "additional" if r % 40 == 13 else "total"
            evidence = f"Report {m}-{r}: {supplier} sent {value:.0f} {unit} of {category} to {recipient}, it said."
            article = {"id": f"bench-{m}-{r}", "version": "v1", "feed": "bench", "source": f"Outlet {r % 13}",
                       "url": f"https://news.example/bench/{m}/{r}", "title": f"Report {m}-{r} <b>about</b> {unit}",
                       "text": evidence, "published": (start + timedelta(hours=40 * r + m)).isoformat(),
                       "fingerprint": f"fp-bench-{m}-{r}"}
            event = {"supplier": supplier, "recipient": recipient, "category": category,
                     "quantity": {"value": round(value), "low": round(value), "high": None, "qualifier": "about",
                                  "unit": unit, "text": f"about {round(value):,}"},
                     "mode": mode, "since": None, "status": status, "attribution": "officials",
                     "evidence": evidence, "span": [0, len(evidence)]}
            prepared.append(ledger.prepare(article, [event]))
    raised = 0
    for i in range(0, len(prepared), 200):
        ledger.record_many(prepared[i:i + 200])
        raised += len(ledger.settle())
    return raised


def timed(client: httpx.Client, path: str, runs: int) -> tuple[float, float, int]:
    client.get(path).raise_for_status()  # warm-up
    times = []
    size = 0
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - began)
        response.raise_for_status()
        size = len(response.content)
    return statistics.median(times) * 1000, min(times) * 1000, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metrics", type=int, default=50)
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    logs.configure("console", "warning")

    server = None
    url = os.environ.get("REDIS_URL")
    tmp = tempfile.TemporaryDirectory(prefix="tw-bench-web-")
    if not url:
        server = EmbeddedRedis(Path(tmp.name)).start()
        url = server.url
    client = client_from_url(url)
    keys = Keys(f"twbench-web-{uuid.uuid4().hex[:8]}")
    feeds = Path(tmp.name) / "feeds.yaml"
    feeds.write_text("feeds:\n" + "".join(f"  - name: feed-{i}\n    url: https://f{i}.example/rss\n" for i in range(40)))
    web = None
    try:
        began = time.perf_counter()
        raised = fill(Ledger(client, keys), args.metrics, args.reports)
        print(f"ledger: {args.metrics} metrics x {args.reports} reports, {raised} alerts "
              f"(filled in {time.perf_counter() - began:.1f} s)")

        reads = []
        for _ in range(args.runs):
            began = time.perf_counter()
            figures = read_figures(client, keys)
            reads.append(time.perf_counter() - began)
        began = time.perf_counter()
        cards = views.overview(figures)
        build = time.perf_counter() - began
        print(f"read_figures (Redis + JSON): median {statistics.median(reads) * 1000:.0f} ms; "
              f"overview view models and charts: {build * 1000:.0f} ms for {len(cards)} metrics")

        web = WebThread(WebConfig(redis_url=url, prefix=keys.prefix, feeds_path=feeds, port=0), bind("127.0.0.1", 0))
        web.start()
        metric = figures[len(figures) // 2]["id"]
        print(f"{'route':<44} {'median':>9} {'best':>9} {'size':>10}")
        with httpx.Client(base_url=web.url.rstrip("/"), timeout=60) as http:
            for path in ("/", "/api/figures", views.metric_path(metric), "/alerts", "/api/alerts?limit=1000",
                         "/api/feeds", "/healthz"):
                median, best, size = timed(http, path, args.runs)
                print(f"GET {path:<40} {median:7.0f} ms {best:6.0f} ms {size / 1024:7.0f} KiB")
    finally:
        if web is not None:
            web.stop()
        batch = list(client.scan_iter(match=f"{keys.prefix}*", count=1000))
        for i in range(0, len(batch), 500):
            client.delete(*batch[i:i + 500])
        client.close()
        if server is not None:
            server.stop()
        tmp.cleanup()


if __name__ == "__main__":
    main()
