"""Run the extractor over a corpus .jsonl and print the scores of ../shared/tools/score_events.py.

usage: python bench/eval_extraction.py [CORPUS.jsonl] [--show-errors N] [--pred OUT.jsonl]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from worker.extract import Extractor  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "dev.jsonl"
SCORER = REPO.parent / "shared" / "tools" / "score_events.py"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    ap.add_argument("--show-errors", type=int, default=0)
    ap.add_argument("--pred", help="keep the predictions here")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    records = [json.loads(line) for line in Path(a.corpus).read_text(encoding="utf-8").splitlines() if line.strip()]
    ex = Extractor()
    t0 = time.perf_counter()
    preds = list(ex.extract_many(records))
    dt = time.perf_counter() - t0
    out = Path(a.pred) if a.pred else Path(tempfile.mkstemp(suffix=".jsonl")[1])
    with out.open("w", encoding="utf-8") as f:
        for rec, events in zip(records, preds, strict=True):
            f.write(json.dumps({"id": rec["id"], "events": events}, ensure_ascii=False) + "\n")
    print(f"extracted {len(records)} articles in {dt:.3f}s", file=sys.stderr)
    cmd = [sys.executable, str(SCORER), a.corpus, str(out), "--show-errors", str(a.show_errors)]
    if a.json:
        cmd.append("--json")
    return subprocess.call(cmd)


if __name__ == "__main__":
    sys.exit(main())
