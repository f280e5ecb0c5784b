"""The pages over real HTTP: what each shows, and the forms editing feeds.yaml and subscriptions."""

from __future__ import annotations

import html
import re

from alerts.subscriptions import Subscriptions

from .support import FEEDS_TEXT, article, raise_alert
from .test_security import csrf_of


def test_overview_shows_every_metric_with_its_figure_last_change_sources_and_one_chart(web, ledger):
    raise_alert(ledger, 0, 1500)
    raise_alert(ledger, 1, 3000, source="Yonhap")
    ledger.apply(*article(2, 3000, source="Reuters"))  # corroborates the current figure
    ledger.apply(*article(3, 250000, category="oil", status="possible"))

    page = web.client.get("/").text

    assert page.count('<article class="card"') == 2
    assert page.count('<svg class="chart small"') == 2
    troops = page[page.index('data-metric="PRK:RUS:troops:soldiers"'):page.index('data-metric="RUS:PRK:oil:barrels"')]
    assert "North Korea → Russia, troops" in troops and 'href="/metric/PRK:RUS:troops:soldiers"' in troops
    assert "<strong>about 3,000 — Yonhap, 2024-10-02</strong>" in troops
    assert "Last change 2024-10-02: about 3,000 (+100% (was about 1,500))" in troops
    assert "2 sources for the current figure · 3 reports" in troops
    assert troops.count('class="m asserted"') == 3  # one marker per report
    oil = page[page.index('data-metric="RUS:PRK:oil:barrels"'):]
    assert 'class="status">possible' in oil and 'class="m hedged"' in oil


def test_an_empty_ledger(web):
    page = web.client.get("/")
    assert page.status_code == 200 and "No figures yet" in page.text and "<svg" not in page.text


def test_metric_page_has_the_full_chart_and_the_history_table(web, ledger):
    raise_alert(ledger, 0, 10000, qualifier="more_than", source="Yonhap", attribution="NIS")
    raise_alert(ledger, 1, 12000, source="Reuters")
    ledger.apply(*article(2, 12000, status="denied", source="TASS", attribution="the Kremlin"))
    ledger.apply(*article(3, 2000, mode="additional", qualifier="exact", source="AP"))
    ledger.apply(*article(4, 15000, status="possible", qualifier="range", low=13000, source="Analysts Weekly"))

    page = web.client.get("/metric/PRK:RUS:troops:soldiers")

    assert page.status_code == 200
    text = page.text
    assert text.count('<svg class="chart full"') == 1
    svg = text[text.index("<svg"):text.index("</svg>")]
    assert svg.count('<g class="marker">') == 4  # every report but the denial
    assert 'class="m increment asserted"' in svg and 'class="range hedged"' in svg
    assert 'href="https://news.example/web/1"' in svg
    table = text[text.index('<table class="history">'):]
    assert table.count("<tr class=") == 5  # the denial too
    assert "more than 10000" in table and "NIS" in table and "+20% (was more than 10,000)" in table
    assert '<a href="https://news.example/web/0" rel="noopener noreferrer" target="_blank">Report 0</a>' in table
    assert "Report 0: 10000 troops sent, officials said." in table  # the evidence sentence
    denials = text[text.index("Denials (not plotted)"):text.index('<table class="history">')]
    assert "the Kremlin" in denials and "TASS" in denials
    assert web.client.get("/metric/PRK:RUS:nothing:here").status_code == 404


def test_alerts_page_lists_the_latest_with_links_and_filters_by_category(web, ledger, redis_client, keys):
    raise_alert(ledger, 0, 1000)
    raise_alert(ledger, 1, 250000, category="oil")
    raise_alert(ledger, 2, 3000)
    newest = redis_client.xrevrange(keys.alerts_stream, count=1)[0][0].decode()

    page = web.client.get("/alerts").text
    messages = re.findall(r'<p class="message">([^<]*)</p>', page)
    assert messages == [
        "North Korea → Russia, troops: about 3,000 (was about 1,000, +200%) — Test Wire, 2024-10-03",
        "Russia → North Korea, oil: about 250,000 barrels (first report) — Test Wire, 2024-10-02",
        "North Korea → Russia, troops: about 1,000 (first report) — Test Wire, 2024-10-01",
    ]  # newest first
    assert 'href="/metric/RUS:PRK:oil:barrels"' in page
    assert f'data-stream="/api/alerts/stream?since={newest}"' in page

    oil = web.client.get("/alerts", params={"category": "oil"}).text
    assert len(re.findall(r'<p class="message">', oil)) == 1 and "oil: about 250,000" in oil
    assert 'data-stream="/api/alerts/stream?category=oil&amp;since=' in oil
    assert '<option value="oil" selected>' in oil
    assert web.client.get("/alerts", params={"category": "tanks"}).status_code == 400


def test_feeds_page_shows_health_and_its_forms_edit_the_file_like_the_cli(web, redis_client, keys):
    redis_client.hset(keys.feed_state("wire"), mapping={"url": "https://wire.example/rss", "error_count": "3",
                                                        "last_error": "connection refused", "next_poll": "1732100000"})
    page = web.client.get("/feeds").text
    wire = page[page.index('data-feed="wire"'):page.index('data-feed="second"')]
    assert 'class="health">failing' in wire and "connection refused" in wire and ">3</td>" in wire
    assert 'action="/feeds/second/enable"' in page and 'action="/feeds/wire/disable"' in page
    token = csrf_of(page)

    added = web.client.post("/feeds", data={"url": "https://www.nknews.org/feed/", "interval": "600", "csrf": token})
    assert added.status_code == 303 and added.headers["location"] == "/feeds?done=added&name=nknews-org"
    assert "Added feed nknews-org." in web.client.get(added.headers["location"]).text
    assert web.feeds_path.read_text() == FEEDS_TEXT + \
        "\n  - name: nknews-org\n    url: https://www.nknews.org/feed/\n    interval: 600\n"

    for refused, message in [
        ({"url": "ftp://x.example/feed"}, "url must be an http:// or https:// URL"),
        ({"url": "https://wire.example/rss"}, "feed 'wire' already watches https://wire.example/rss"),
        ({"url": "https://x.example/", "name": "Bad Name"}, "name must be 1-63 characters"),
        ({"url": "https://x.example/", "interval": "0"}, "interval must be a whole number of seconds from 1 to 86400"),
        ({"url": "https://x.example/", "interval": "soon"}, "interval must be a whole number of seconds"),
    ]:
        before = web.feeds_path.read_text()
        response = web.client.post("/feeds", data={**refused, "csrf": token})
        assert response.status_code == 400 and message in html.unescape(response.text), refused
        assert web.feeds_path.read_text() == before

    assert web.client.post("/feeds/second/enable", data={"csrf": token}).status_code == 303
    assert "enabled: true   # paused by hand" in web.feeds_path.read_text()
    assert web.client.post("/feeds/nknews-org/remove", data={"csrf": token}).status_code == 303
    assert web.feeds_path.read_text() == FEEDS_TEXT.replace("enabled: false   #", "enabled: true   #")
    missing = web.client.post("/feeds/nope/remove", data={"csrf": token})
    assert missing.status_code == 400 and "no feed named &#39;nope&#39;" in missing.text


def test_a_broken_feed_list_is_shown_not_edited(web):
    web.feeds_path.write_text("feeds:\n  - name: x\n    url: https://x.example/\n    interval: 0\n")
    page = web.client.get("/feeds")
    assert page.status_code == 200
    assert "The feed list cannot be read" in page.text and "feeds.yaml:4: feed &#39;x&#39;: interval" in page.text
    assert 'id="add-feed"' not in page.text


def test_subscriptions_page_lists_stats_and_dead_letters_and_removes(web, redis_client, keys):
    store = Subscriptions(redis_client, keys)
    store.add("https://hooks.example/a", ["troops"], name="alpha")
    redis_client.hset(keys.key("dispatch", "stats", "alpha"), mapping={"delivered": "4", "retries": "2",
                                                                       "last_error": "http 503"})
    redis_client.lpush(keys.dead_letters("alpha"), '{"alert_id": "abc123", "attempts": 8, "reason": "http 500"}')

    page = web.client.get("/subscriptions").text
    row = page[page.index('data-subscription="alpha"'):]
    assert "https://hooks.example/a" in row and "troops" in row and ">4</td>" in row and "http 503" in row
    assert "<code>abc123</code>: 8 attempts, http 500" in row

    token = csrf_of(page)
    removed = web.client.post("/subscriptions/alpha/remove", data={"csrf": token})
    assert removed.status_code == 303
    assert store.get("alpha") is None and "Removed subscription alpha." in web.client.get(removed.headers["location"]).text



def test_the_overview_names_the_latest_report_when_it_changed_nothing(web, ledger):
    raise_alert(ledger, 0, 1000, title="First count")
    ledger.apply(*article(1, 1000, title="A repeat <b>elsewhere</b>", source="Other Wire"))  # corroboration only
    card = web.client.get("/").text
    assert "Last change 2024-10-01: about 1,000 (first report)" in card
    assert "Latest report 2024-10-02: about 1000," in card
    assert "A repeat &lt;b&gt;elsewhere&lt;/b&gt;</a> — Other Wire" in card
