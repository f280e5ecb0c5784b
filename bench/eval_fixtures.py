"""Score the extractor on fixture articles (tests/fixtures/articles/*.json) with ../shared/tools/score_events.py.

A fixture's ``expected`` events are turned into corpus-format gold events (``quantity.value`` from
``value``), so the scores are those of the corpus: precision, recall and F1 of events and figures,
and mode / status / since accuracy over matched events.

usage: python bench/eval_fixtures.py [GLOB] [--show-errors N]     (GLOB default: "unseen_*.json")
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from worker.extract import Extractor  # noqa: E402

ARTICLES = REPO / "tests" / "fixtures" / "articles"
SCORER = REPO.parent / "shared" / "tools" / "score_events.py"


def gold_event(exp: dict) -> dict:
    ev = {k: exp.get(k) for k in ("supplier", "recipient", "category", "mode", "since", "status", "attribution")}
    if "value" in exp or "qualifier" in exp:
        ev["quantity"] = {"value": exp.get("value"), "low": exp.get("low", exp.get("value")),
                          "qualifier": exp.get("qualifier")}
    else:
        ev["quantity"] = None
    return ev


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("glob", nargs="?", default="unseen_*.json")
    ap.add_argument("--show-errors", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    paths = sorted(ARTICLES.glob(a.glob))
    if not paths:
        print(f"no fixture matches {a.glob}", file=sys.stderr)
        return 2
    ex = Extractor()
    tmp = Path(tempfile.mkdtemp())
    gold, pred = tmp / "gold.jsonl", tmp / "pred.jsonl"
    with gold.open("w", encoding="utf-8") as g, pred.open("w", encoding="utf-8") as p:
        for path in paths:
            case = json.loads(path.read_text(encoding="utf-8"))
            events = ex.extract(case["text"], published=case.get("published"))
            g.write(json.dumps({"id": path.stem, "events": [gold_event(e) for e in case["expected"]]}) + "\n")
            p.write(json.dumps({"id": path.stem, "events": events}) + "\n")
    cmd = [sys.executable, str(SCORER), str(gold), str(pred), "--show-errors", str(a.show_errors)]
    if a.json:
        cmd.append("--json")
    return subprocess.call(cmd)


if __name__ == "__main__":
    sys.exit(main())
