"""`make bench`: every benchmark in one run, and a table of figures against the targets.

Each figure is a ratio measured side by side in the same run (absolute times
on a shared machine drift). The full output is written to bench/results.md,
which the README links.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# the corpora scored for the record: the shared dev and held-out sets, and our own written sets
QUALITY_SETS = [BENCH.parent.parent / "shared" / "corpus" / "dev.jsonl",
                BENCH.parent.parent / "shared" / "corpus" / "heldout.jsonl",
                *sorted((BENCH.parent / "tests" / "fixtures" / "corpus").glob("written*.jsonl"))]


def run(script: str, *args: str) -> str:
    result = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        return f"FAILED ({result.returncode}):\n{result.stderr[-2000:]}"
    return result.stdout.strip()


def ratio_after(label: str, text: str) -> float | None:
    """The last 'N.NNx' on the first line that contains ``label``."""
    for line in text.splitlines():
        if label in line:
            found = re.findall(r"([\d.]+)x\b", line)
            if found:
                return float(found[-1])
    return None


def row(name: str, value: float | None, target: str, ok: bool | None, unit: str = "") -> str:
    shown = "n/a" if value is None else f"{value:.2f}{unit}"
    verdict = "" if ok is None else ("meets" if ok else "MISSES")
    return f"| {name} | {shown} | {target} | {verdict} |"


def bytes_per_article(label: str, text: str) -> float | None:
    """The bytes per article on the line of bench_state/bench_soak output that starts with ``label``."""
    found = re.search(rf"^{re.escape(label)}[^:]*: ([\d,]+) bytes per article", text, re.M)
    return float(found.group(1).replace(",", "")) if found else None


def main() -> None:
    extraction = run("bench_extraction.py")
    service_raw = run("bench_service.py", "--json")
    poll = run("bench_poll.py")
    web = run("bench_web.py")
    state = run("bench_state.py")
    soak = run("bench_soak.py")  # 100,000 feed items: a few minutes
    try:
        service = json.loads(service_raw.splitlines()[-1])
    except (ValueError, IndexError):
        service = None

    rows = ["| figure | measured | target | |", "|---|---|---|---|"]
    ten = ratio_after("1-in-10", extraction)
    rel = ratio_after("relevant only", extraction)
    rows.append(row("extraction cost vs bare tokenizer, 1 in 10 relevant", ten, "≤ 2x", ten is not None and ten <= 2, "x"))
    rows.append(row("extraction cost vs bare tokenizer, relevant only", rel, "≤ 5x", rel is not None and rel <= 5, "x"))
    if service:
        base = service["in_process_rate"]
        for r in service["pipeline"]:
            ratio = r["rate"] / base
            rows.append(row(f"service throughput / in-process extraction, {r['workers']} worker(s)", ratio,
                            "≥ 0.5 with 2 workers", (ratio >= 0.5) if r["workers"] == 2 else None))
        lat = service["latency"]
        rows.append(row("alert latency p50 beyond the poll", lat["p50_s"], "", None, " s"))
        rows.append(row("alert latency p95 beyond the poll", lat["p95_s"], "< 2 s", lat["p95_s"] < 2, " s"))
        mem = service["memory"]
        rows.append(row("worker peak RSS", mem["worker_mib"], "< 300 MiB", mem["worker_mib"] < 300, " MiB"))
        rows.append(row("poller peak RSS", mem["poller_mib"], "", None, " MiB"))
        rows.append(row("Redis commands per article (queue+worker+ledger, incl. Lua-internal)",
                        service["pipeline"][1]["commands"], "", None))
    tick = ratio_after("tick / raw", poll)
    rows.append(row("1,000-feed poll tick vs raw concurrent conditional GETs", tick, "", None, "x"))
    for route, label in (("/", "dashboard overview"), ("/api/figures", "/api/figures")):
        found = re.search(rf"^GET {re.escape(route)}\s+(\d+) ms", web, re.M)
        rows.append(row(f"{label}, 50 metrics x 200 reports, median", float(found.group(1)) if found else None,
                        "", None, " ms"))
    for name, text in (("state", state), ("soak, 100,000 items", soak)):
        for label, when in (("right after the run", "after the run"), ("after the window", "after expiry")):
            kept = bytes_per_article(label, text)
            rows.append(row(f"Redis bytes kept per article ({name}), {when}", kept, "≤ 1,500",
                            kept is not None and kept <= 1500, " B"))
    soak_ok = "FAILED" not in soak and not re.search(r"LOST|DOUBLED|MISMATCH|NO job", soak)
    rows.append(f"| soak: nothing lost, nothing doubled (worker SIGKILLed, Redis restarted) | "
                f"{'yes' if soak_ok else 'NO'} | yes | {'meets' if soak_ok else 'MISSES'} |")

    quality = []
    for corpus in QUALITY_SETS:
        if corpus.exists():
            lines = run("eval_extraction.py", str(corpus)).splitlines()
            quality += [f"{corpus.name}:", *("  " + line for line in lines if not line.startswith("extracted"))]
    replay = run("eval_replay.py", *(str(c) for c in QUALITY_SETS if c.exists()))

    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    report = "\n".join([
        f"# Benchmarks ({stamp}, this machine: 2 cores)", "", *rows, "",
        "## Extraction (`bench/bench_extraction.py`)", "", "```", extraction, "```", "",
        "## Extraction quality (`bench/eval_extraction.py`; scores only, no errors listed)", "", "```",
        *quality, "```", "",
        "## Alerts in a date-by-date replay (`bench/eval_replay.py`; the extractor's alerts against the corpus's)",
        "", "```", replay, "```", "",
        "## Service (`bench/bench_service.py`)", "", "```", run("bench_service.py") if not service else
        json.dumps(service, indent=1), "```", "",
        "## Poller (`bench/bench_poll.py`)", "", "```", poll, "```", "",
        "## Web dashboard (`bench/bench_web.py`)", "", "```", web, "```", "",
        "## Redis state per article (`bench/bench_state.py`)", "", "```", state, "```", "",
        "## Soak (`bench/bench_soak.py`)", "", "```", soak, "```", "",
    ])
    (BENCH / "results.md").write_text(report)
    print("\n".join(rows))
    print(f"\nfull output: {BENCH / 'results.md'}")


if __name__ == "__main__":
    main()
