"""Date-by-date replay: do the extractor's events raise the alerts that the corpus's own events raise?

usage: python bench/eval_replay.py [CORPUS.jsonl ...] [--json] [--show N]

Each corpus is replayed twice through the figure ledger (``alerts/ledger.py``, the code a worker runs after
extraction), article by article in publication order (ties by id): once with the events the corpus's
annotators wrote, once with the events ``worker/extract`` reads from the same text. Each replay has its
own prefix on a private embedded ``redis-server``; the shared Redis is never touched. An alert is
(kind, supplier, recipient, category, unit, value), values equal within 1% as the events scorer has it;
recall is the share of the annotators' alerts that the extractor's events raise too, precision the share
of the extractor's alerts that the annotators' raise. The replay skips the poller and the queue: what it
measures is reading, as the alerts see it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import redis  # noqa: E402
import structlog  # noqa: E402

from alerts.ledger import Ledger  # noqa: E402
from worker.connection import EmbeddedRedis  # noqa: E402
from worker.extract import Extractor  # noqa: E402
from worker.keys import Keys  # noqa: E402

DEFAULT_CORPORA = [REPO.parent / "shared" / "corpus" / "dev.jsonl"]
Alert = tuple[str, str, str, str, str, float]  # kind, supplier, recipient, category, unit, value


def replay(connection: redis.Redis, records: list[dict[str, Any]], events: list[list[dict[str, Any]]]) -> list[Alert]:
    """The alerts raised by applying each record's events, oldest record first, on a fresh prefix."""
    ledger = Ledger(connection, Keys(f"replay-{uuid.uuid4().hex[:12]}"))
    alerts: list[Alert] = []
    for record, evs in sorted(zip(records, events, strict=True), key=lambda p: (p[0].get("published") or "", p[0]["id"])):
        article = {"id": record["id"], "version": "1", "published": record.get("published"), "url": record.get("url"),
                   "title": record.get("title"), "source": record.get("source")}
        for a in ledger.apply(article, evs):
            m = a["metric"]
            alerts.append((a["kind"], m["supplier"], m["recipient"], m["category"], m["unit"], float(a["current"]["value"])))
    return alerts


def matched(gold: list[Alert], found: list[Alert]) -> int:
    """One-to-one matches: same kind and metric, values within 1%."""
    left = list(found)
    hits = 0
    for g in gold:
        for i, f in enumerate(left):
            if f[:5] == g[:5] and abs(f[5] - g[5]) <= 0.01 * max(abs(g[5]), 1.0):
                del left[i]
                hits += 1
                break
    return hits


def score(connection: redis.Redis, extractor: Extractor, path: Path, show: int) -> dict[str, Any]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    predicted = list(extractor.extract_many(records))
    gold = replay(connection, records, [r.get("events") or [] for r in records])
    found = replay(connection, records, predicted)
    hits = matched(gold, found)
    recall = hits / len(gold) if gold else 1.0
    precision = hits / len(found) if found else 1.0
    if show:
        missed = [g for g in gold if not matched([g], found)][:show]
        extra = [f for f in found if not matched([f], gold)][:show]
        for label, rows in (("missed", missed), ("not in gold", extra)):
            for row in rows:
                print(f"  {label}: {row}", file=sys.stderr)
    return {"corpus": path.name, "articles": len(records), "gold_alerts": len(gold), "alerts": len(found),
            "recall": round(recall, 3), "precision": round(precision, 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpora", nargs="*", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--json", action="store_true", help="one JSON object per corpus")
    ap.add_argument("--show", type=int, default=0, metavar="N", help="list up to N missed and extra alerts")
    a = ap.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))  # errors only: the ledger logs a line an article
    extractor = Extractor()
    with tempfile.TemporaryDirectory(prefix="tw-replay-") as tmp:
        server = EmbeddedRedis(Path(tmp)).start()
        try:
            connection = redis.Redis(unix_socket_path=str(server.socket))
            for path in a.corpora:
                result = score(connection, extractor, path, a.show)
                if a.json:
                    print(json.dumps(result))
                else:
                    print(f"{result['corpus']}: {result['articles']} articles, alerts gold {result['gold_alerts']} / "
                          f"read {result['alerts']}: recall {result['recall']:.3f} precision {result['precision']:.3f}")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
