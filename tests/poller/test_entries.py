"""Feed bytes -> articles: safe against XML tricks, survives bad encodings, stable ids, plain text."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from worker.entries import canonical_url, html_to_text, parse_feed, strip_doctype
from worker.jobs import ARTICLE_FIELDS

from .support import FEEDS, fixture_bytes

NOW = datetime(2024, 12, 1, 12, 0, tzinfo=timezone.utc)


def _parse(data: bytes, name: str = "fixture", **kw):
    return parse_feed(data, feed_name=name, base_url="https://fixture.example/feed", now=NOW, **kw)


@pytest.mark.parametrize("path", sorted(p.name for p in FEEDS.iterdir()), ids=str)
def test_every_fixture_parses_without_raising_and_articles_keep_the_schema(path: str) -> None:
    data = fixture_bytes(path).replace(b"{SECRET_PATH}", b"/nonexistent")
    parsed = _parse(data)
    for entry in parsed.entries:
        article = entry.article
        assert tuple(article) == ARTICLE_FIELDS
        assert article["url"] == "" or article["url"].startswith(("http://", "https://"))
        assert article["title"] or article["text"]
        datetime.fromisoformat(article["published"])


def test_good_rss() -> None:
    parsed = _parse(fixture_bytes("good_rss.xml"), "korea-wire")
    assert parsed.is_feed and parsed.bozo is None and parsed.title == "Korea Wire (fixture)"
    first, second, third = (e.article for e in parsed.entries)
    assert first["text"].startswith("South Korea's spy agency said on Wednesday that North Korea has sent about 12,000")
    assert "Short summary" not in first["text"]  # content:encoded wins over description
    assert first["url"] == "https://korea-wire.example/news/1001"  # utm_* stripped
    assert first["published"] == "2024-11-20T08:00:00+00:00"
    assert second["published"] == "2024-11-21T00:30:00+00:00"  # +0900 converted to UTC
    assert second["text"] == "Officials said Russia delivered air defence systems to Pyongyang in return for artillery shells."
    assert third["published"] == NOW.isoformat(timespec="seconds")  # no date: first seen
    assert [e.dated for e in parsed.entries] == [True, True, False]
    assert first["source"] == "Korea Wire (fixture)" and first["feed"] == "korea-wire"


def test_atom_updated_and_same_story_fingerprint() -> None:
    rss = _parse(fixture_bytes("good_rss.xml"), "korea-wire").entries[0].article
    atom = _parse(fixture_bytes("good_atom.xml"), "ukraine-desk")
    copy, kursk = (e.article for e in atom.entries)
    assert copy["id"] != rss["id"] and copy["fingerprint"] == rss["fingerprint"]
    assert copy["url"] == "https://ukraine-desk.example/2024/11/nk-troops"  # fbclid stripped
    assert copy["published"] == "2024-11-22T10:00:00+00:00"  # updated, when there is no published
    assert kursk["published"] == "2024-11-22T06:00:00+00:00"  # published over updated
    assert kursk["fingerprint"] != rss["fingerprint"]


def test_version_changes_with_the_body_and_id_does_not() -> None:
    original = fixture_bytes("good_rss.xml")
    corrected = original.replace(b"about 12,000 troops", b"about 15,000 troops")
    a = _parse(original).entries[0].article
    b = _parse(corrected).entries[0].article
    assert a["id"] == b["id"] and a["version"] != b["version"] and a["fingerprint"] != b["fingerprint"]
    again = _parse(original).entries[0].article
    assert again == a


def test_billion_laughs_is_not_expanded() -> None:
    started = time.monotonic()
    parsed = _parse(fixture_bytes("billion_laughs.xml"))
    assert time.monotonic() - started < 2.0
    (entry,) = parsed.entries
    blob = " ".join(str(v) for v in entry.article.values()) + (parsed.title or "")
    assert "lollol" not in blob and len(blob) < 2000


def test_external_entity_never_reads_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT-4242")
    data = fixture_bytes("external_entity.xml").replace(b"{SECRET_PATH}", str(secret).encode())
    parsed = _parse(data)
    assert parsed.entries
    for entry in parsed.entries:
        assert "TOP-SECRET" not in repr(entry.article)
    assert "TOP-SECRET" not in repr(parsed)


def test_strip_doctype_keeps_the_rest() -> None:
    data = b'<?xml version="1.0"?>\n<!-- c -->\n<!DOCTYPE r [<!ENTITY a "x>y"> <!ENTITY b \'[]\'>]>\n<r>&lt;!DOCTYPE kept&gt;</r>'
    assert strip_doctype(data) == b'<?xml version="1.0"?>\n<!-- c -->\n\n<r>&lt;!DOCTYPE kept&gt;</r>'
    assert strip_doctype(b"<rss/>") == b"<rss/>"


def test_bad_encodings_are_survived() -> None:
    latin1 = _parse(fixture_bytes("bad_encoding.xml"))
    assert latin1.entries and latin1.bozo
    assert "sum" in latin1.entries[0].article["text"]

    utf16 = (
        '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE r [<!ENTITY boom "BOOM">]>'
        '<rss version="2.0"><channel><title>Новости</title><item><guid>u1</guid>'
        "<title>Пхеньян &amp; Москва &boom;</title><description>Текст</description></item></channel></rss>"
    ).encode("utf-16")
    parsed = _parse(utf16)
    (entry,) = parsed.entries
    assert entry.article["title"].startswith("Пхеньян & Москва") and "BOOM" not in entry.article["title"]
    assert parsed.title == "Новости"

    bogus = (b'<?xml version="1.0" encoding="x-no-such-charset"?>'
             b'<rss version="2.0"><channel><item><title>T</title></item></channel></rss>')
    assert [e.article["title"] for e in _parse(bogus).entries] == ["T"]
    assert _parse(b"\xff\xfe\x00garbage\x00").entries == []


def test_missing_guids() -> None:
    linked, unlinked = (e.article for e in _parse(fixture_bytes("missing_guids.xml")).entries)
    assert linked["url"] == "https://noguid.example/story?id=7"
    same_link = fixture_bytes("missing_guids.xml").replace(b"utm_campaign=x&amp;", b"")
    assert _parse(same_link).entries[0].article["id"] == linked["id"]
    assert unlinked["url"] == "" and unlinked["id"] == _parse(fixture_bytes("missing_guids.xml")).entries[1].article["id"]
    assert len({linked["id"], unlinked["id"]}) == 2


def test_scripts_and_javascript_links_are_dropped() -> None:
    tricky, data_link = (e.article for e in _parse(fixture_bytes("script_and_js_links.xml")).entries)
    assert tricky["url"] == "" and data_link["url"] == ""
    assert "About 3,000 containers." in tricky["text"]
    for article in (tricky, data_link):
        blob = article["title"] + article["text"]
        assert "SCRIPT-PAYLOAD" not in blob and "color:red" not in blob and "javascript" not in blob
        assert "alert" not in blob


def test_html_page_is_not_a_feed() -> None:
    parsed = _parse(fixture_bytes("not_a_feed.html"), headers={"content-type": "text/html"})
    assert not parsed.is_feed and parsed.entries == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.COM:443/a?utm_source=x&b=2&fbclid=y#frag", "https://example.com/a?b=2"),
        ("http://user:pw@example.com:8080", "http://example.com:8080/"),
        ("/relative/path?gclid=1", "https://fixture.example/relative/path"),
        ("javascript:alert(1)", None),
        ("mailto:a@example.com", None),
        ("", None),
    ],
)
def test_canonical_url(url: str, expected: str | None) -> None:
    assert canonical_url(url, "https://fixture.example/feed") == expected


def test_html_to_text() -> None:
    markup = ("<div><h1>Head</h1><p>One&nbsp;&amp; two</p><script>x()</script><style>.a{}</style>"
              "<ul><li>a</li><li>b</li></ul></div>")
    assert html_to_text(markup) == "Head\nOne & two\na\nb"
    assert html_to_text("plain text") == "plain text"
