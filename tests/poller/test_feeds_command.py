"""``transferwatch feeds ...`` through click's CliRunner: edits, validation exit codes, health from Redis."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from click.testing import CliRunner

from worker.commands.feeds import feeds

from .support import fixture_bytes, write_feeds

FILE = """\
# watched feeds
feeds:
  # the wire
  - name: wire
    url: https://wire.example/rss
    interval: 300
"""


def _run(args: list[str], env: dict[str, str] | None = None):
    return CliRunner().invoke(feeds, args, env=env, catch_exceptions=False)


def test_add_list_remove_validate(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(FILE)
    env = {"TRANSFERWATCH_FEEDS": str(path), "REDIS_URL": _dead_redis()}
    added = _run(["add", "https://www.nknews.org/feed/", "--interval", "600"], env)
    assert added.exit_code == 0 and "added nknews-org" in added.output
    assert path.read_text().startswith(FILE)
    assert _run(["validate"], env).output.strip().endswith("ok, 2 feeds (2 enabled)")
    listed = _run(["list"], env)
    assert listed.exit_code == 0
    assert "wire  [never polled]  every 300s" in listed.output and "nknews-org" in listed.output
    removed = _run(["remove", "nknews-org", "--feeds", str(path)], {"REDIS_URL": _dead_redis()})
    assert removed.exit_code == 0 and path.read_text() == FILE


def test_bad_file_exits_2_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(FILE.replace("interval: 300", "interval: 0"))
    for args in (["validate"], ["list"], ["add", "https://x.example/"], ["remove", "wire"]):
        result = CliRunner().invoke(feeds, ["--feeds", str(path), *args])
        assert result.exit_code == 2, (args, result.output)
        assert result.output.strip() == (
            f"Error: {path}:6: feed 'wire': interval must be a whole number of seconds from 1 to 86400, not 0")


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(FILE)
    assert CliRunner().invoke(feeds, ["--feeds", str(path), "add", "ftp://x.example/"]).exit_code == 2
    assert CliRunner().invoke(feeds, ["--feeds", str(path), "remove", "nope"]).exit_code == 2
    assert CliRunner().invoke(feeds, ["--feeds", str(path), "add"]).exit_code == 2
    assert CliRunner().invoke(feeds, ["--feeds", str(tmp_path / "absent.yaml"), "validate"]).exit_code == 2
    assert path.read_text() == FILE


def test_list_shows_health_from_redis(http_server, redis_url, redis_client, keys, tmp_path: Path, make_poller,
                                      feeds_file) -> None:
    write_feeds(feeds_file, {
        "good": http_server.serve_bytes("/good.xml", fixture_bytes("good_rss.xml")),
        "broken": http_server.serve_bytes("/500", b"", status=500),
    }, interval=600)
    make_poller().tick()
    env = {"REDIS_URL": redis_url, "TRANSFERWATCH_PREFIX": keys.prefix}
    rows = {r["name"]: r for r in map(json.loads, _run(["--feeds", str(feeds_file), "list", "--json"], env).output.splitlines())}
    assert rows["good"]["health"] == "ok" and rows["good"]["items_seen"] == 3 and rows["good"]["articles_queued"] == 3
    assert rows["good"]["last_success"] and rows["good"]["next_poll"] != "now"
    assert rows["broken"]["health"] == "failing" and rows["broken"]["last_error"] == "HTTP 500 Internal Server Error"
    text = _run(["list", "--feeds", str(feeds_file)], env).output
    assert "broken  [failing]" in text and "last error:    HTTP 500" in text and "items seen:    3 in the feed" in text


def test_list_without_redis_still_lists_the_file(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(FILE)
    result = CliRunner().invoke(feeds, ["list", "--feeds", str(path)], env={"REDIS_URL": _dead_redis()})
    assert result.exit_code == 0 and "wire  [never polled]" in result.output
    assert "Redis unreachable" in result.output  # the warning goes to stderr; CliRunner mixes them


def _dead_redis() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"redis://127.0.0.1:{port}/0"
