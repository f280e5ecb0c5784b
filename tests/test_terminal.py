"""Hostile text from feeds stays inert in a terminal (issue 13): ``alerts tail``, ``figures``, ``feeds list``.

The commands run as real processes against the test Redis, with feed text
(source names, URLs, titles, evidence, errors) full of ANSI escape sequences,
bidi overrides, C0/C1 controls and line breaks meant to forge a line; what they
print must hold none of those characters raw. JSON output must stay JSON and
parse back to the exact text.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alerts.ledger import Ledger
from worker.terminal import inert, inert_fields

pytestmark = pytest.mark.timeout(60)

ESC = "\x1b"
# every character that must never reach the terminal raw (tab and newline are allowed as the output's own layout)
RAW = [ESC, "\x07", "\x00", "\x08", "\x7f", "\x85", "\x9b", "\r", "\u2028", "\u202a", "\u202b", "\u202c", "\u202d",
       "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
SOURCE = f"Wire{ESC}[2J{ESC}]0;pwned\x07 \u202eSWEN\u202c\nFORGED: North Korea → Russia, troops: 999,999"
URL = f"https://news.example/1{ESC}[8m\x9b31m"
TITLE = f"Title\x85\rFORGED title{ESC}[1A\u2066x\u2069"
EVIDENCE = "North Korea has sent about 12,000 troops to Russia\x00\x08\x7f \u2028\u202a\u202b\u202d"
ATTRIBUTION = f"officials\t{ESC}]8;;https://evil.example{ESC}\\link{ESC}]8;;{ESC}\\"


def assert_inert(output: str) -> None:
    assert [c for c in RAW if c in output] == []
    assert not [line for line in output.splitlines() if line.lstrip().startswith("FORGED")], output


def hostile_ledger(redis_client, keys) -> list[dict]:
    """An article whose every field is hostile, through the real ledger; returns the alerts it raised."""
    article = {"id": "evil-1", "version": "v1", "feed": "wire", "source": SOURCE, "url": URL, "title": TITLE,
               "published": "2024-11-20T08:00:00+00:00", "fingerprint": "fp-evil"}
    event = {"supplier": "PRK", "recipient": "RUS", "category": "troops", "status": "asserted", "mode": "total",
             "quantity": {"value": 12000, "qualifier": "about", "text": "about 12,000", "unit": "troops"},
             "attribution": ATTRIBUTION, "evidence": EVIDENCE}
    return Ledger(redis_client, keys).apply(article, [event])


def transferwatch(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "worker", *args], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def tail_lines(env: dict[str, str], *args: str, count: int) -> str:
    """``alerts tail --since 0 ...`` as a real process: the first ``count`` lines it prints, then Ctrl-C."""
    with subprocess.Popen([sys.executable, "-m", "worker", "alerts", "tail", "--since", "0", *args], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as process:
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline() for _ in range(count)]
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(10)
    return "".join(lines)


# --- the function ----------------------------------------------------------------------


def test_inert_escapes_controls_and_bidi_and_flattens_line_breaks():
    assert inert(f"a{ESC}[31mb\x9bc\u202ed\u2066e") == "a\\u001b[31mb\\u009bc\\u202ed\\u2066e"
    assert inert("one\ntwo\r\tthree") == "one two  three"
    assert inert("one\ntwo\r\tthree", keep_layout=True) == "one\ntwo\r\tthree"
    assert inert("Пхеньян → Москва, 12 000 «солдат» 북한") == "Пхеньян → Москва, 12 000 «солдат» 북한"
    assert [c for c in RAW if c in inert("".join(RAW))] == []


def test_inert_json_stays_json_with_the_exact_text():
    document = json.dumps({"t": SOURCE + TITLE + EVIDENCE}, ensure_ascii=False, indent=2)
    shown = inert(document, keep_layout=True)
    assert json.loads(shown) == {"t": SOURCE + TITLE + EVIDENCE}
    assert_inert(shown)


def test_inert_fields_reaches_nested_strings_only():
    assert inert_fields({"a": [f"x{ESC}", 3, None], "b": {"c": "\u202e"}}) == {"a": ["x\\u001b", 3, None],
                                                                               "b": {"c": "\\u202e"}}


# --- the commands ------------------------------------------------------------------------


def test_alerts_tail_prints_hostile_alerts_inert(redis_client, keys, service_env):
    [alert] = hostile_ledger(redis_client, keys)
    assert ESC in alert["message"]  # the alert itself keeps the text as published

    line = tail_lines(service_env, count=1)
    assert_inert(line)
    assert "Wire\\u001b[2J" in line and "\\u202eSWEN" in line and "<https://news.example/1\\u001b[8m\\u009b31m>" in line

    as_json = tail_lines(service_env, "--json", count=1)
    assert_inert(as_json)
    assert json.loads(as_json) == alert


def test_figures_prints_hostile_text_inert(redis_client, keys, service_env):
    hostile_ledger(redis_client, keys)

    console = transferwatch(service_env, "figures").stdout
    assert_inert(console)
    assert "Wire\\u001b[2J\\u001b]0;pwned\\u0007 \\u202eSWEN\\u202c FORGED" in console

    as_json = transferwatch(service_env, "figures", "--json").stdout
    assert_inert(as_json)
    [troops] = json.loads(as_json)
    [entry] = troops["history"]
    assert (entry["source"], entry["url"], entry["title"], entry["evidence"], entry["attribution"]) == (
        SOURCE, URL, TITLE, EVIDENCE.strip(), ATTRIBUTION)


def test_feeds_list_prints_hostile_errors_inert(redis_client, keys, service_env, tmp_path: Path):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text('feeds:\n  - name: wire\n    url: "https://wire.example/rss\\e[2J\\x9b"\n')
    error = f"HTTP 500 {ESC}]0;owned\x07\u202eecnatsid\r\nFORGED: healthy"
    redis_client.hset(keys.feed_state("wire"), mapping={  # what the poller keeps after a failed poll
        "url": f"https://wire.example/rss{ESC}[2J\x9b", "error_count": 2, "last_error": error,
        "last_error_at": f"2024-11-20T08:00:00+00:00{ESC}[K", "next_poll": time.time() + 600})
    redis_client.sadd(keys.feeds_index, "wire")

    listed = transferwatch(service_env, "feeds", "list", "--feeds", str(feeds)).stdout
    assert_inert(listed)
    assert "wire  [failing]" in listed and "url:           https://wire.example/rss\\u001b[2J\\u009b" in listed
    assert "last error:    HTTP 500 \\u001b]0;owned\\u0007\\u202eecnatsid  FORGED: healthy (2 in a row" in listed

    as_json = transferwatch(service_env, "feeds", "list", "--json", "--feeds", str(feeds)).stdout
    assert_inert(as_json)
    [row] = map(json.loads, as_json.splitlines())
    assert (row["url"], row["last_error"]) == (f"https://wire.example/rss{ESC}[2J\x9b", error)
