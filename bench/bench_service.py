"""The whole service, measured: throughput vs in-process extraction, scaling, latency, memory, round trips.

Everything runs on this machine: a fresh embedded redis-server per run, feeds
served from a local HTTP server, the real `transferwatch` processes. Prints
one line per figure; `bench/run_all.py` collects them into a table.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from alerts.stream import stream_entries  # noqa: E402
from bench.streams import stream  # noqa: E402
from worker.connection import EmbeddedRedis, client_from_url  # noqa: E402
from worker.demo import render_rss  # noqa: E402
from worker.keys import Keys, use_rq_prefix  # noqa: E402

PREFIX = "twbench"
use_rq_prefix(Keys(PREFIX))  # before rq is imported; the service processes inherit it


class Feeds:
    """Serves named RSS feeds from memory on 127.0.0.1; feeds can change while served."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                body = outer.bodies.get(self.path.strip("/"), b"")
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def publish(self, name: str, items: list[dict]) -> str:
        self.bodies[name] = render_rss(items, self.base)
        return f"{self.base}/{name}"

    def write_yaml(self, path: Path, names: list[str], enabled: bool = True) -> Path:
        lines = ["feeds:"]
        for name in names:
            lines += [f"  - name: {name}", f"    url: {self.base}/{name}", f"    enabled: {str(enabled).lower()}"]
        path.write_text("\n".join(lines) + "\n")
        return path


def env_for(url: str) -> dict[str, str]:
    return dict(os.environ, REDIS_URL=url, TRANSFERWATCH_PREFIX=PREFIX, LOG_LEVEL="warning", LOG_FORMAT="json")


def total_calls(client) -> int:
    return sum(v["calls"] for k, v in client.info("commandstats").items())


def in_process_rate(items: list[dict], repeats: int = 3) -> float:
    """Articles per second of the extractor alone, in this process: the best of ``repeats`` passes (the ratio errs low).

    Each pass gets a fresh extractor, as each service run gets fresh workers:
    spaCy's tokenizer caches the strings it has seen, and a second pass over
    the same texts would be faster than any worker ever is.
    """
    from worker.extract import Extractor

    records = [{"text": i["text"], "title": i["title"], "published": i["published"][:10]} for i in items]
    warm_up = [{"text": i["text"], "title": i["title"], "published": i["published"][:10]}
               for i in stream(20, relevant_every=1, seed=99)]
    rates = []
    for _ in range(repeats):
        extractor = Extractor()
        list(extractor.extract_many(warm_up))
        started = time.perf_counter()
        for _events in extractor.extract_many(records):
            pass
        rates.append(len(items) / (time.perf_counter() - started))
    return max(rates)


def job_window(client, keys: Keys) -> tuple[float, int]:
    """Seconds from the first job start to the last job end, and the number of finished jobs."""
    from rq.job import Job
    from rq.registry import FinishedJobRegistry
    from rq.serializers import JSONSerializer

    from worker.jobs import make_queue

    queue = make_queue(client, keys)
    ids = FinishedJobRegistry(queue=queue).get_job_ids()
    jobs = [j for j in Job.fetch_many(ids, connection=client, serializer=JSONSerializer) if j]
    starts = [j.started_at.timestamp() for j in jobs if j.started_at]
    ends = [j.ended_at.timestamp() for j in jobs if j.ended_at]
    return (max(ends) - min(starts)) if jobs else 0.0, len(jobs)


def service_run(items: list[dict], workers: int, tmp: Path) -> dict:
    """`transferwatch run --once --workers N` over the stream split into 10 feeds."""
    server = EmbeddedRedis(tmp / f"redis-{workers}").start()
    feeds = Feeds()
    try:
        client = client_from_url(server.url)
        names = [f"feed{i}" for i in range(10)]
        for i, name in enumerate(names):
            feeds.publish(name, items[i::10])
        path = feeds.write_yaml(tmp / f"feeds-{workers}.yaml", names)
        calls_before = total_calls(client)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "worker", "run", "--once", "--workers", str(workers),
                                 "--feeds", str(path)], env=env_for(server.url), capture_output=True, text=True)
        wall = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(f"run --once failed ({result.returncode}):\n{result.stderr[-2000:]}")
        window, jobs = job_window(client, Keys(PREFIX))
        return {
            "workers": workers,
            "articles": len(items),
            "jobs": jobs,
            "wall_s": wall,
            "rate": len(items) / window if window else 0.0,
            "round_trips": (total_calls(client) - calls_before) / len(items),
        }
    finally:
        feeds.server.shutdown()
        server.stop()


def as_article(item: dict) -> dict:
    """A feed item as the poller would queue it (see worker/jobs.py)."""
    import hashlib

    digest = hashlib.sha1(item["text"].encode()).hexdigest()
    return {"id": hashlib.sha1(item["guid"].encode()).hexdigest(), "version": digest[:16], "feed": "bench",
            "source": "bench wire", "url": f"http://127.0.0.1/{item['guid']}", "title": item["title"],
            "text": item["text"], "published": item["published"], "fingerprint": digest}


def pipeline_run(items: list[dict], workers: int, tmp: Path) -> dict:
    """N workers, ready and idle, then the articles queued at once: the cost of queue, Redis, ledger and alerts."""
    from rq import Worker
    from rq.registry import FinishedJobRegistry

    from worker.jobs import enqueue_articles, make_queue

    server = EmbeddedRedis(tmp / f"redis-pipe-{workers}").start()
    procs = []
    try:
        client = client_from_url(server.url)
        keys = Keys(PREFIX)
        queue = make_queue(client, keys)
        procs = [subprocess.Popen([sys.executable, "-m", "worker", "worker"], env=env_for(server.url),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
        while len(Worker.all(queue=queue)) < workers:
            time.sleep(0.05)  # waiting for the workers to register: start-up is not what is measured
        before = client.info("commandstats")
        queued = [job for job, _batch in enqueue_articles(queue, keys, [as_article(i) for i in items])]  # as the poller does
        finished = FinishedJobRegistry(queue=queue)
        while finished.count < len(queued):
            time.sleep(0.05)
        after = client.info("commandstats")
        window, jobs = job_window(client, keys)
        per_command = {k.removeprefix("cmdstat_"): (v["calls"] - before.get(k, {"calls": 0})["calls"]) / len(items)
                       for k, v in after.items()}
        return {"workers": workers, "jobs": jobs, "rate": len(items) / window if window else 0.0,
                "commands": sum(per_command.values()),
                "top_commands": dict(sorted(per_command.items(), key=lambda kv: -kv[1])[:8])}
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=60)
        server.stop()


def median_run(items: list[dict], workers: int, tmp: Path, repeats: int) -> dict:
    """The pipeline run with the median rate of ``repeats`` (each on a fresh Redis); all rates kept."""
    runs = sorted((pipeline_run(items, workers, tmp / f"run{i}") for i in range(repeats)), key=lambda r: r["rate"])
    return dict(runs[len(runs) // 2], rates=[round(r["rate"]) for r in runs])


_PEAK_RSS = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, capture_output=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_rss_mib(args: list[str], env: dict) -> float:
    """Peak RSS of one ``python -m worker ...`` run. Measured from a fresh parent process: this one's
    RUSAGE_CHILDREN holds the largest of every child it ever waited for (Redis, earlier workers)."""
    out = subprocess.run([sys.executable, "-c", _PEAK_RSS, sys.executable, "-m", "worker", *args], env=env,
                         check=True, capture_output=True, text=True)
    return int(out.stdout.split()[-1]) / 1024


def peak_memory(items: list[dict], tmp: Path) -> dict:
    """Peak RSS of `poll --once` and then of `worker --burst` on the same articles (MiB)."""
    server = EmbeddedRedis(tmp / "redis-mem").start()
    feeds = Feeds()
    try:
        names = [f"feed{i}" for i in range(10)]
        for i, name in enumerate(names):
            feeds.publish(name, items[i::10])
        path = feeds.write_yaml(tmp / "feeds-mem.yaml", names)
        env = env_for(server.url)
        poller = peak_rss_mib(["poll", "--once", "--feeds", str(path)], env)
        worker = peak_rss_mib(["worker", "--burst"], env)
        return {"poller_mib": poller, "worker_mib": worker}
    finally:
        feeds.server.shutdown()
        server.stop()


def latency(tmp: Path, count: int = 30, every: float = 0.5) -> dict:
    """Alert latency at a steady trickle: article visible in a feed -> alert on the Stream (poll triggered at once)."""
    from worker.poller import Poller

    server = EmbeddedRedis(tmp / "redis-latency").start()
    feeds = Feeds()
    keys = Keys(PREFIX)
    run = None
    try:
        client = client_from_url(server.url)
        feeds.publish("trickle", [])
        service_feeds = feeds.write_yaml(tmp / "feeds-service.yaml", ["trickle"], enabled=False)
        bench_feeds = feeds.write_yaml(tmp / "feeds-trickle.yaml", ["trickle"])
        run = subprocess.Popen([sys.executable, "-m", "worker", "run", "--workers", "2", "--feeds", str(service_feeds)],
                               env=env_for(server.url), stdout=subprocess.DEVNULL, stderr=open(tmp / "latency-run.log", "wb"))
        poller = Poller(client, keys, bench_feeds)
        items: list[dict] = []
        delays: list[float] = []
        last_id = "0-0"  # a fresh Redis: every alert on the Stream is ours
        time.sleep(3)  # let the workers load their pipelines before the first article
        for i in range(count):
            items.append({"guid": f"trickle-{i}", "published": f"2024-03-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
                          "title": f"Troops {i}",
                          "text": f"North Korea has sent {round(1000 * 1.1 ** i, -1):,.0f} troops to Russia "
                          f"in wave {i}, officials said."})
            feeds.publish("trickle", items[-1:])
            visible = time.time()
            client.hset(keys.feed_state("trickle"), "last_attempt", 0)  # due now
            poller.tick()
            reply = client.xread({keys.alerts_stream: last_id}, block=3_000, count=1)  # each figure is 10% up: one alert
            entries = stream_entries(reply)
            if entries:
                last_id = entries[-1][0].decode()
                ms = int(last_id.split("-")[0])
                delays.append(ms / 1000 - visible)
            time.sleep(every)
        delays.sort()
        return {
            "alerts": len(delays),
            "p50_s": statistics.median(delays) if delays else float("nan"),
            "p95_s": delays[max(0, int(len(delays) * 0.95) - 1)] if delays else float("nan"),
        }
    finally:
        if run:
            run.terminate()
            run.wait(timeout=60)
        feeds.server.shutdown()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=3, help="pipeline runs per worker count; the median is kept")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    args = parser.parse_args()

    mixed = stream(args.articles, relevant_every=10)
    relevant = stream(args.articles, relevant_every=1, seed=11)
    results: dict = {"articles": args.articles}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        results["in_process_rate"] = in_process_rate(relevant)
        results["pipeline"] = [median_run(relevant, w, tmp, args.repeats) for w in (1, 2, 4)]
        results["end_to_end"] = service_run(mixed, 2, tmp)
        results["memory"] = peak_memory(mixed, tmp)
        results["latency"] = latency(tmp)
    if args.json:
        print(json.dumps(results))
        return
    base = results["in_process_rate"]
    print(f"in-process extraction, relevant articles: {base:.0f} articles/s ({args.articles} articles)")
    for r in results["pipeline"]:
        print(f"queue+workers+ledger, {r['workers']} worker(s): {r['rate']:.0f} articles/s "
              f"(ratio to in-process {r['rate'] / base:.2f}), {r['commands']:.1f} Redis commands/article")
    e = results["end_to_end"]
    print(f"end to end (poll, gate, queue, 2 workers, ledger, alerts), 1 in 10 relevant: {e['articles']} articles "
          f"in {e['wall_s']:.1f}s wall including start-up, {e['round_trips']:.1f} Redis commands/article, {e['jobs']} jobs")
    m, lat = results["memory"], results["latency"]
    print(f"peak RSS: poller {m['poller_mib']:.0f} MiB, worker {m['worker_mib']:.0f} MiB")
    print(f"alert latency beyond the poll: p50 {lat['p50_s']:.3f}s, p95 {lat['p95_s']:.3f}s over {lat['alerts']} alerts")


if __name__ == "__main__":
    main()
