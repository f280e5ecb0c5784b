"""``transferwatch extract`` as contracts.md says."""

from __future__ import annotations

import json

from click.testing import CliRunner

from worker.commands.extract import extract

TEXT = "North Korea has sent 3,000 more troops to Russia, South Korea's spy agency said."


def test_single_article_from_stdin() -> None:
    r = CliRunner().invoke(extract, ["-", "--published", "2024-10-30"], input=TEXT)
    assert r.exit_code == 0, r.output
    events = json.loads(r.output)
    assert events[0]["category"] == "troops" and events[0]["mode"] == "additional"


def test_single_article_from_file(tmp_path) -> None:
    p = tmp_path / "a.txt"
    p.write_text(TEXT, encoding="utf-8")
    r = CliRunner().invoke(extract, [str(p)])
    assert r.exit_code == 0
    assert json.loads(r.output)[0]["quantity"]["value"] == 3000


def test_jsonl_keeps_order_and_reports_bad_lines() -> None:
    lines = [json.dumps({"id": "a", "text": TEXT}), "{not json", json.dumps({"id": "c"}),
             json.dumps({"id": "d", "text": "Nothing here."})]
    r = CliRunner().invoke(extract, ["--jsonl", "-"], input="\n".join(lines) + "\n")
    assert r.exit_code == 0
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", None, "c", "d"]
    assert out[0]["events"] and out[1]["events"] == [] and out[3]["events"] == []
    assert "<stdin>:2: not JSON" in r.stderr and "<stdin>:3: 'text' missing" in r.stderr


def test_bad_usage_exits_2(tmp_path) -> None:
    assert CliRunner().invoke(extract, ["-", "--published", "30/10/2024"], input=TEXT).exit_code == 2
    assert CliRunner().invoke(extract, ["-", "--published", "2024-13-45"], input=TEXT).exit_code == 2  # no such day
    assert CliRunner().invoke(extract, [str(tmp_path / "missing.txt")]).exit_code == 2
    assert CliRunner().invoke(extract, ["x.txt", "--jsonl", "-"]).exit_code == 2
