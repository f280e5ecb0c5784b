"""feeds.yaml: validation errors name the line; add/remove keep comments; the watcher keeps the last good list."""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs

from worker.feeds import FeedsWatcher, add_feed, derive_name, load_feeds, parse_feeds, remove_feed
from worker.settings import ConfigError

COMMENTED = """\
# Feeds we watch (header comment)
feeds:
  # Yonhap: South Korean wire
  - name: yonhap-nk   # inline comment kept
    url: https://en.yna.co.kr/RSS/northkorea.xml
    interval: 300

  # NK News
  - name: nknews
    url: https://www.nknews.org/feed/
    enabled: false

# trailing comment
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("feeds:\n  - name: a\n    url: ftp://x.example/feed\n", "f.yaml:3: feed 'a': url must be an http:// or https:// URL"),
        ("feeds:\n  - name: a\n    url: http://x.example/\n    interval: 0\n", "f.yaml:4: feed 'a': interval must be a whole number of seconds from 1 to 86400"),
        ("feeds:\n  - name: a\n    url: http://x.example/\n    interval: 1.5\n", "f.yaml:4: feed 'a': interval must be"),
        ("feeds:\n  - name: a\n    url: http://x.example/\n    interval: true\n", "f.yaml:4: feed 'a': interval must be"),
        ("feeds:\n  - name: a\n    url: http://x.example/\n\n  - name: a\n    url: http://y.example/\n", "f.yaml:5: feed 'a': duplicate name (first used on line 2)"),
        ("feeds:\n  - name: a\n    url: http://x.example/\n    colour: red\n", "f.yaml:4: feed 'a': unknown key 'colour'"),
        ("feeds:\n  - name: Bad_Name\n    url: http://x.example/\n", "f.yaml:2: feed 'Bad_Name': name must be"),
        ("feeds:\n  - name: a\n    interval: 300\n", "f.yaml:2: feed 'a': url is required"),
        ("feeds:\n  - name: a\n    url: javascript:alert(1)\n", "f.yaml:3: feed 'a': url must be an http:// or https:// URL"),
        ("feeds:\n  - name: a\n    url: http://\n", "f.yaml:3: feed 'a': url has no host"),
        ("feeds:\n  - name: a\n    url: http://x.example/\n    enabled: maybe\n", "f.yaml:4: feed 'a': enabled must be true or false"),
        ("feeds:\n  - name: a\n   url: [broken\n", "f.yaml:3: YAML syntax error"),
        ("feeds:\n  - name: a\n    name: b\n", "f.yaml:3: YAML syntax error: found duplicate key"),
        ("feeds:\n  - just a string\n", "f.yaml:2: feed #1 must be a mapping"),
        ("feeds: {}\n", "f.yaml:1: 'feeds' must be a list"),
        ("feedz:\n  - name: a\n", "f.yaml:1: unknown top-level key 'feedz'"),
    ],
)
def test_validation_errors_name_file_line_and_problem(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_feeds(text, "f.yaml")
    message = str(caught.value)
    assert message.startswith(expected), message
    assert "\n" not in message


def test_valid_file_gives_defaults() -> None:
    feeds = parse_feeds(COMMENTED, "f.yaml")
    assert [(f.name, f.interval, f.enabled, f.full_text) for f in feeds] == [
        ("yonhap-nk", 300, True, False),
        ("nknews", 900, False, False),
    ]
    assert parse_feeds("", "f.yaml") == [] and parse_feeds("feeds:\n", "f.yaml") == []


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no such file"):
        load_feeds(tmp_path / "absent.yaml")


def test_add_keeps_comments_order_and_formatting(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(COMMENTED)
    feed = add_feed(path, "https://www.themoscowtimes.com/rss/news", interval=600)
    assert feed.name == "themoscowtimes-com"
    text = path.read_text()
    assert text.startswith(COMMENTED.split("\n# trailing comment")[0])  # everything before is byte-identical
    assert "  - name: themoscowtimes-com\n    url: https://www.themoscowtimes.com/rss/news\n    interval: 600\n" in text
    assert text.rstrip().endswith("# trailing comment")
    assert [f.name for f in load_feeds(path)] == ["yonhap-nk", "nknews", "themoscowtimes-com"]


def test_add_to_missing_or_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "new.yaml"
    add_feed(path, "https://kyivindependent.com/rss/", name="kyiv-independent")
    add_feed(path, "https://meduza.io/rss/en/all")
    assert [(f.name, f.url) for f in load_feeds(path)] == [
        ("kyiv-independent", "https://kyivindependent.com/rss/"),
        ("meduza-io", "https://meduza.io/rss/en/all"),
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url": "ftp://x.example/", "name": "x"}, "url must be an http"),
        ({"url": "https://x.example/", "name": "nknews"}, "feed 'nknews' already exists"),
        ({"url": "https://www.nknews.org/feed/"}, "already watches"),
        ({"url": "https://x.example/", "interval": 0}, "interval must be"),
        ({"url": "https://x.example/", "name": "Not Valid"}, "name must be"),
    ],
)
def test_add_refuses_bad_entries_and_leaves_the_file(tmp_path: Path, kwargs: dict, message: str) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(COMMENTED)
    url = kwargs.pop("url")
    with pytest.raises(ConfigError, match=message):
        add_feed(path, url, **kwargs)
    assert path.read_text() == COMMENTED


def test_remove_takes_the_entry_and_its_comment_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(COMMENTED)
    remove_feed(path, "yonhap-nk")
    assert path.read_text() == (
        "# Feeds we watch (header comment)\n"
        "feeds:\n"
        "  # NK News\n"
        "  - name: nknews\n"
        "    url: https://www.nknews.org/feed/\n"
        "    enabled: false\n"
        "\n"
        "# trailing comment\n"
    )
    remove_feed(path, "nknews")
    assert load_feeds(path) == []
    assert path.read_text().startswith("# Feeds we watch (header comment)\nfeeds:\n")
    assert "# trailing comment" in path.read_text()


def test_remove_last_entry_keeps_the_previous_ones_comments(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(COMMENTED)
    remove_feed(path, "nknews")
    text = path.read_text()
    assert "# NK News" not in text and "nknews" not in text
    assert "  - name: yonhap-nk   # inline comment kept\n" in text and "# trailing comment" in text


def test_remove_unknown_name(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(COMMENTED)
    with pytest.raises(ConfigError, match=r"no feed named 'nope' \(feeds: yonhap-nk, nknews\)"):
        remove_feed(path, "nope")


def test_flow_style_list_is_edited_too(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds: [{name: a, url: 'http://a.example/'}, {name: b, url: 'http://b.example/'}]\n")
    remove_feed(path, "a")
    add_feed(path, "http://c.example/", name="c")
    assert [f.name for f in load_feeds(path)] == ["b", "c"]


def test_derive_name_is_unique() -> None:
    assert derive_name("https://www.nknews.org/feed/") == "nknews-org"
    assert derive_name("https://en.yna.co.kr/RSS/northkorea.xml", ["en-yna-co-kr"]) == "en-yna-co-kr-2"


def test_watcher_reloads_and_keeps_last_good_list_on_a_broken_edit(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(COMMENTED)
    watcher = FeedsWatcher(path)
    assert watcher.check() is False
    add_feed(path, "https://meduza.io/rss/en/all")
    assert watcher.check() is True
    assert [f.name for f in watcher.feeds] == ["yonhap-nk", "nknews", "meduza-io"]

    path.write_text(path.read_text().replace("interval: 300", "interval: 0"))
    with capture_logs() as logs:
        assert watcher.check() is False
        assert watcher.check() is False  # reported once, not every tick
    failures = [e for e in logs if e["event"] == "feeds_reload_failed"]
    assert len(failures) == 1
    assert failures[0]["file"] == str(path) and failures[0]["line"] == 6
    assert "interval must be" in failures[0]["error"]
    assert [f.name for f in watcher.feeds] == ["yonhap-nk", "nknews", "meduza-io"]

    path.unlink()
    assert watcher.check() is False and len(watcher.feeds) == 3  # a vanished file keeps the list too
    path.write_text("feeds:\n  - name: only\n    url: https://only.example/\n")
    assert watcher.check() is True and [f.name for f in watcher.feeds] == ["only"]


def test_watcher_refuses_a_broken_file_at_start(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n  - name: a\n    url: nope\n")
    with pytest.raises(ConfigError, match=r"feeds.yaml:3: feed 'a': url"):
        FeedsWatcher(path)


def test_add_to_a_comment_only_file_keeps_its_comments(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("# feeds we watch\n# (none yet)\n")
    add_feed(path, "https://n.example/rss")
    assert path.read_text() == "# feeds we watch\n# (none yet)\nfeeds:\n  - name: n-example\n    url: https://n.example/rss\n"
    assert [f.name for f in load_feeds(path)] == ["n-example"]


def test_add_then_remove_the_last_entry_gives_the_file_back(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    text = COMMENTED.replace("\n# trailing comment\n", "")
    path.write_text(text)
    add_feed(path, "https://new.example/rss", name="new")
    assert "enabled: false\n\n  - name: new\n" in path.read_text()
    remove_feed(path, "new")
    assert path.read_text() == text
