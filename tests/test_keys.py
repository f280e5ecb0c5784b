"""Every Redis name is built in worker/keys.py; the names themselves stay what deployments already hold."""

from __future__ import annotations

import re
from pathlib import Path

from worker.keys import Keys

ROOT = Path(__file__).resolve().parents[1]
# a name built by hand: Keys.key(...) called from outside keys.py, or the prefix joined with ':' in a string
BYPASS = re.compile(r"\bkeys\.key\(|prefix\}:|prefix \+ ['\"]:")


def test_no_redis_name_is_built_outside_keys_py():
    sources = [*ROOT.glob("worker/**/*.py"), *ROOT.glob("alerts/**/*.py"), *ROOT.glob("bench/**/*.py")]
    found = []
    for path in sources:
        rel = path.relative_to(ROOT).as_posix()
        if rel == "worker/keys.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if BYPASS.search(line):
                found.append(f"{rel}:{n}: {line.strip()}")
    assert found == []


def test_the_guard_sees_a_name_built_by_hand():
    assert BYPASS.search('self.pending = keys.key("pending", "x")')
    assert BYPASS.search('pattern = f"{keys.prefix}:*"')
    assert not BYPASS.search("self.pending = keys.ledger_inflight")


def test_names_keep_their_layout():
    keys = Keys("P")
    assert (keys.stats, keys.ledger_inflight, keys.ledger_holds, keys.alert_ids) == (
        "P:stats", "P:inflight", "P:holds", "P:alert-ids")
    assert (keys.ledger_pending("m"), keys.ledger_dirty) == ("P:pending:m", "P:pending-metrics")
    assert (keys.first_seen("a1"), keys.processed_article("a1")) == ("P:firstseen:a1", "P:processed:a1")
    assert (keys.dispatch_due("s"), keys.dispatch_pending("s"), keys.dispatch_attempts("s"), keys.dispatch_stats("s")) == (
        "P:dispatch:due:s", "P:dispatch:pending:s", "P:dispatch:attempts:s", "P:dispatch:stats:s")
    assert keys.scan_patterns("P:rq") == ("P:*", "P:rq:*P*")
