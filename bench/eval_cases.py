"""Pass rate of the extractor on the construction cases (tests/extract/cases/*.json), one row per file.

A case passes when the extracted events match its ``expect`` as test_cases.py checks it (format and
matching: tests/extract/casefile.py) and break no invariant. ``weak`` counts the cases marked
``known_weak``: a weak case that passes is listed as fixed (its mark must go, or the strict xfail fails
the suite), a case not marked weak that fails is listed as broken.

usage: python bench/eval_cases.py [GLOB] [--show-failures] [--json]     (GLOB default: "*.json")
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.extract.casefile import CASES_DIR, brief, invariant_errors, load_file, unmatched  # noqa: E402
from worker.extract import Extractor  # noqa: E402


def evaluate(ex: Extractor, paths: list[Path]) -> list[dict]:
    rows = []
    for path in paths:
        cf = load_file(path)
        row: dict[str, Any] = {"construction": cf.construction, "cases": 0, "passed": 0, "weak": 0, "fixed": [], "broken": [],
               "failures": []}
        for case in cf.cases:
            events = ex.extract(case.text, published=case.published)
            problems = invariant_errors(case.text, events) + unmatched(case, events)
            row["cases"] += 1
            row["weak"] += bool(case.known_weak)
            if not problems:
                row["passed"] += 1
                if case.known_weak:
                    row["fixed"].append(case.id)
            else:
                if not case.known_weak:
                    row["broken"].append(case.id)
                row["failures"].append({"id": case.id, "text": case.text, "why": case.why, "problems": problems,
                                        "got": [brief(e) for e in events]})
        rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    width = max(len(r["construction"]) for r in rows + [{"construction": "construction"}])
    lines = [f"{'construction':<{width}}  cases  pass  weak  rate",
             f"{'-' * width}  -----  ----  ----  ----"]
    for r in rows:
        lines.append(f"{r['construction']:<{width}}  {r['cases']:>5}  {r['passed']:>4}  {r['weak']:>4}  "
                     f"{r['passed'] / r['cases']:>4.0%}")
    cases, passed, weak = (sum(r[k] for r in rows) for k in ("cases", "passed", "weak"))
    lines.append(f"{'-' * width}  -----  ----  ----  ----")
    lines.append(f"{'all':<{width}}  {cases:>5}  {passed:>4}  {weak:>4}  {passed / cases:>4.0%}")
    fixed = [i for r in rows for i in r["fixed"]]
    broken = [i for r in rows for i in r["broken"]]
    lines.append(f"fixed (known_weak that now pass: remove the mark): {', '.join(fixed) or 'none'}")
    lines.append(f"broken (not known_weak, failing): {', '.join(broken) or 'none'}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("glob", nargs="?", default="*.json")
    ap.add_argument("--show-failures", action="store_true", help="print each failing case with what was extracted")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    a = ap.parse_args()
    paths = sorted(CASES_DIR.glob(a.glob))
    if not paths:
        print(f"no case file matches {a.glob}", file=sys.stderr)
        return 2
    rows = evaluate(Extractor(), paths)
    if a.json:
        print(json.dumps(rows, indent=1, ensure_ascii=False))
        return 0
    print(table(rows))
    if a.show_failures:
        for r in rows:
            for f in r["failures"]:
                print(f"\n{f['id']}: {f['text']}\n  why: {f['why']}")
                print("\n".join(f"  {p}" for p in f["problems"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
