"""feeds.yaml: enable and disable a feed in place, keeping every other byte (the web page and the CLI use this)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from worker.commands.feeds import feeds
from worker.feeds import load_feeds, set_enabled
from worker.settings import ConfigError

from .test_feeds_file import COMMENTED

TEXT = COMMENTED.replace("    enabled: false\n", "    enabled: false   # paused: paywall\n")


def test_disable_adds_the_key_under_the_entry_and_changes_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(TEXT)
    feed = set_enabled(path, "yonhap-nk", False)
    assert feed.enabled is False
    assert path.read_text() == TEXT.replace("    interval: 300\n", "    interval: 300\n    enabled: false\n")
    assert [f.enabled for f in load_feeds(path)] == [False, False]


def test_enable_rewrites_the_value_and_keeps_its_comment(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(TEXT)
    set_enabled(path, "nknews", True)
    assert path.read_text() == TEXT.replace("enabled: false   # paused", "enabled: true   # paused")


def test_a_feed_already_in_that_state_leaves_the_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(TEXT)
    before = path.stat().st_mtime_ns
    assert set_enabled(path, "nknews", False).enabled is False
    assert path.read_text() == TEXT and path.stat().st_mtime_ns == before


def test_last_entry_without_trailing_comment(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n- name: a\n  url: https://a.example/rss\n")
    set_enabled(path, "a", False)
    assert path.read_text() == "feeds:\n- name: a\n  url: https://a.example/rss\n  enabled: false\n"


def test_flow_style_entries_are_edited_too(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds: [{name: a, url: 'https://a.example/rss'}, {name: b, url: 'https://b.example/rss'}]\n")
    set_enabled(path, "b", False)
    assert [(f.name, f.enabled) for f in load_feeds(path)] == [("a", True), ("b", False)]


def test_unknown_name_and_broken_file_are_config_errors_and_leave_the_file(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(TEXT)
    with pytest.raises(ConfigError, match=r"no feed named 'nope' \(feeds: yonhap-nk, nknews\)"):
        set_enabled(path, "nope", False)
    broken = TEXT.replace("interval: 300", "interval: 0")
    path.write_text(broken)
    with pytest.raises(ConfigError, match=r"feeds.yaml:6: feed 'yonhap-nk': interval must be"):
        set_enabled(path, "nknews", True)
    assert path.read_text() == broken


def test_cli_enable_and_disable(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(TEXT)
    runner = CliRunner()
    disabled = runner.invoke(feeds, ["--feeds", str(path), "disable", "yonhap-nk"], catch_exceptions=False)
    assert disabled.exit_code == 0 and "disabled yonhap-nk" in disabled.output.splitlines()
    enabled = runner.invoke(feeds, ["--feeds", str(path), "enable", "yonhap-nk"], catch_exceptions=False)
    assert enabled.exit_code == 0 and "enabled yonhap-nk" in enabled.output.splitlines()
    assert path.read_text() == TEXT.replace("    interval: 300\n", "    interval: 300\n    enabled: true\n")
    missing = runner.invoke(feeds, ["--feeds", str(path), "enable", "nope"])
    assert missing.exit_code == 2 and "no feed named 'nope'" in missing.output
