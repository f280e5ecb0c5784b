"""``transferwatch figures [--json]`` reads the ledger: JSON for tools, a table with a timeline for people."""

from __future__ import annotations

import json

from click.testing import CliRunner

from worker.commands.figures import figures

from ledger_support import ledger_for, load, run


def invoke(redis_url: str, prefix: str, *args: str):
    return CliRunner().invoke(figures, list(args), env={"REDIS_URL": redis_url, "TRANSFERWATCH_PREFIX": prefix},
                              catch_exceptions=False)


def test_json_lists_every_metric_with_current_history_and_sources(redis_client, redis_url, keys):
    timeline = load("troops_revised.json")
    run(ledger_for(redis_client, keys, timeline), timeline)

    result = invoke(redis_url, keys.prefix, "--json")

    assert result.exit_code == 0, result.output
    [troops] = json.loads(result.output)
    assert troops["metric"] == {"supplier": "PRK", "recipient": "RUS", "category": "troops", "unit": "soldiers"}
    assert troops["current"]["value"] == 15000 and troops["current"]["published"] == "2024-12-10"
    assert [s["source"] for s in troops["sources"]] == ["NK News"]
    history = troops["history"]
    assert [h["value"] for h in history] == [10000, 10000, 12000, 10000, 12000, 11800, 15000, 5000]
    required = {"value", "qualifier", "status", "mode", "published", "url", "source", "attribution", "evidence"}
    assert all(required <= set(h) for h in history)
    assert [h["published"] for h in history] == sorted(h["published"] for h in history)


def test_console_form_is_a_readable_timeline(redis_client, redis_url, keys):
    timeline = load("units_and_categories.json")
    run(ledger_for(redis_client, keys, timeline), timeline)

    result = invoke(redis_url, keys.prefix)

    assert result.exit_code == 0, result.output
    out = result.output
    assert "Russia → North Korea, oil (barrels)" in out
    assert "now: about 1,200,000 barrels — Open Source Centre, 2024-12-01" in out
    assert "North Korea → Russia, containers (containers)" in out
    assert "2 source(s): Yonhap, Reuters" in out
    assert "2024-10-01 ● more than 13,000" in out


def test_an_empty_ledger(redis_url, keys, redis_client):
    assert invoke(redis_url, keys.prefix, "--json").output.strip() == "[]"
    assert "No figures yet." in invoke(redis_url, keys.prefix).output


def test_bad_configuration_exits_2(redis_url):
    result = CliRunner().invoke(figures, ["--json"], env={"REDIS_URL": "http://nope", "TRANSFERWATCH_PREFIX": "x"})
    assert result.exit_code == 2
    assert "REDIS_URL" in result.output
