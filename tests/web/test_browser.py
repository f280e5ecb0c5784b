"""The pages in a real headless chromium: charts drawn, alerts live, a feed added through the form, hostile text inert."""

from __future__ import annotations

import pytest

from .browser import chromium
from .support import FEEDS_TEXT, HOSTILE, article, raise_alert

pytestmark = pytest.mark.slow


@pytest.fixture
def browser():
    with chromium() as driver:
        yield driver


def test_the_overview_draws_one_chart_per_metric(web, ledger, browser):
    from selenium.webdriver.common.by import By

    raise_alert(ledger, 0, 1500)
    raise_alert(ledger, 1, 3000)
    ledger.apply(*article(2, 250000, category="oil"))
    ledger.apply(*article(3, 13000, category="containers", qualifier="more_than"))
    metrics = web.client.get("/api/figures").json()

    browser.get(web.base_url + "/")

    cards = browser.find_elements(By.CSS_SELECTOR, "article.card")
    assert len(cards) == len(metrics) == 3
    for card in cards:
        charts = card.find_elements(By.CSS_SELECTOR, "svg")
        assert len(charts) == 1
        box = charts[0].rect
        assert box["width"] > 200 and box["height"] > 50  # laid out, not an empty element
    troops = browser.find_element(By.CSS_SELECTOR, 'article[data-metric="PRK:RUS:troops:soldiers"] svg')
    assert len(troops.find_elements(By.CSS_SELECTOR, "circle")) == 2
    assert browser.execute_script("return document.styleSheets.length") == 1  # app.css loaded under the CSP


def test_a_new_alert_shows_on_the_alerts_page_within_two_seconds_without_a_reload(web, ledger, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    raise_alert(ledger, 0, 1000)
    browser.get(web.base_url + "/alerts")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#alerts li")) == 1
    browser.execute_script("window.notReloaded = true")
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "live").get_attribute("data-state") == "live")

    alert = raise_alert(ledger, 1, 3000, title="Three thousand now")
    WebDriverWait(browser, 2).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#alerts li")) == 2)

    newest = browser.find_element(By.CSS_SELECTOR, "#alerts li:first-child")
    assert newest.find_element(By.CSS_SELECTOR, ".message").text == alert["message"]
    assert newest.find_element(By.CSS_SELECTOR, "a.metric").get_attribute("href") == \
        web.base_url + "/metric/PRK:RUS:troops:soldiers"
    assert newest.find_element(By.CSS_SELECTOR, "a.article").text == "Three thousand now"
    assert browser.execute_script("return window.notReloaded") is True


def test_a_feed_added_in_the_form_lands_in_feeds_yaml_with_comments_kept(web, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(web.base_url + "/feeds")
    form = browser.find_element(By.ID, "add-feed")
    form.find_element(By.NAME, "url").send_keys("https://www.dailynk.com/english/feed/")
    form.find_element(By.NAME, "name").send_keys("dailynk")
    form.find_element(By.NAME, "interval").send_keys("1800")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    WebDriverWait(browser, 10).until(lambda d: "Added feed dailynk." in d.find_element(By.TAG_NAME, "main").text)
    assert web.feeds_path.read_text() == FEEDS_TEXT + \
        "\n  - name: dailynk\n    url: https://www.dailynk.com/english/feed/\n    interval: 1800\n"
    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-feed="dailynk"]')
    assert "never polled" in row.text


def test_a_hostile_title_renders_as_text(web, ledger, browser):
    from selenium.webdriver.common.by import By

    raise_alert(ledger, 0, 1000, title=HOSTILE, source=HOSTILE)
    for path in ("/", "/alerts", "/metric/PRK:RUS:troops:soldiers"):
        browser.get(web.base_url + path)
        main = browser.find_element(By.TAG_NAME, "main")
        assert HOSTILE in main.text, path  # the characters, shown
        assert main.find_elements(By.CSS_SELECTOR, "img") == [], path  # no element made of them
        assert browser.execute_script("return document.querySelectorAll('[onerror]').length") == 0
    svg_titles = browser.execute_script(
        "return Array.from(document.querySelectorAll('svg .marker title')).map(t => t.textContent)")
    assert any(HOSTILE in title for title in svg_titles)
