"""Loopback unless a token; the token on every request; CSRF on every form; CSP; escaping; no secrets shown or logged."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
import pytest

from alerts.subscriptions import Subscriptions
from worker.settings import ConfigError
from worker.web.config import check_bind, is_loopback

from .support import FEEDS_TEXT, HOSTILE, article

TOKEN = "test-token-5b1e0c9a77"


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, "the page has no CSRF field"
    return match.group(1)


# --- where it may listen -----------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_addresses_need_no_token(host):
    assert is_loopback(host)
    check_bind(host, None)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.org", "my-host"])
def test_any_other_address_needs_a_token(host):
    assert not is_loopback(host)
    with pytest.raises(ConfigError, match="without TRANSFERWATCH_WEB_TOKEN"):
        check_bind(host, None)
    check_bind(host, TOKEN)


@pytest.mark.parametrize("args, env", [
    (["web", "--host", "0.0.0.0"], {}),
    (["web"], {"TRANSFERWATCH_WEB_HOST": "0.0.0.0"}),
    (["run", "--web"], {"TRANSFERWATCH_WEB_HOST": "::"}),
])
def test_the_commands_refuse_a_non_loopback_bind_without_a_token(service_env, feeds_file, args, env):
    environ = {**service_env, **env, "TRANSFERWATCH_FEEDS": str(feeds_file)}
    environ.pop("TRANSFERWATCH_WEB_TOKEN", None)
    result = subprocess.run([sys.executable, "-m", "worker", *args], env=environ, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "refusing to serve the dashboard on" in lines[0], result.stderr
    assert "TRANSFERWATCH_WEB_TOKEN" in lines[0]


def test_unknown_host_names_are_refused_without_a_token(web):
    """A DNS-rebinding page reaches 127.0.0.1 under its own name: answered 421, nothing read."""
    assert web.client.get("/api/figures", headers={"Host": "attacker.example:8650"}).status_code == 421
    assert web.client.get("/api/figures", headers={"Host": "localhost:8650"}).status_code == 200


# --- the token ---------------------------------------------------------------------


def test_with_a_token_every_request_needs_it(serve):
    served = serve(token=TOKEN)
    for path in ("/api/figures", "/api/alerts", "/api/alerts/stream", "/api/feeds", "/healthz", "/openapi.json"):
        refused = served.client.get(path)
        assert refused.status_code == 401, path
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert served.client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401, path
    assert served.client.get("/healthz", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert served.client.get("/api/figures", headers={"Authorization": f"Bearer {TOKEN}"}).json() == []
    page = served.client.get("/feeds")
    assert page.status_code == 401 and 'action="/signin"' in page.text and "wire.example" not in page.text
    assert served.client.get("/static/app.css").status_code == 200  # no secret in a stylesheet


def test_the_sign_in_form_sets_a_strict_cookie(serve):
    served = serve(token=TOKEN)
    wrong = served.client.post("/signin", data={"token": "nope", "next": "/feeds"})
    assert wrong.status_code == 401 and "That is not the token." in wrong.text
    signed = served.client.post("/signin", data={"token": TOKEN, "next": "/feeds"})
    assert signed.status_code == 303 and signed.headers["location"] == "/feeds"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN not in cookie
    page = served.client.get("/feeds")  # the client keeps the cookie
    assert page.status_code == 200 and "wire.example" in page.text
    offsite = served.client.post("/signin", data={"token": TOKEN, "next": "//evil.example/"})
    assert offsite.headers["location"] == "/"
    served.client.cookies.clear()
    assert served.client.get("/feeds").status_code == 401


# --- CSRF ----------------------------------------------------------------------------


def test_a_form_post_without_its_csrf_token_is_refused_and_changes_nothing(web):
    page = web.client.get("/feeds")
    token = csrf_of(page.text)
    add = {"url": "https://new.example/rss", "name": "new"}

    assert web.client.post("/feeds", data=add).status_code == 403
    assert web.client.post("/feeds", data={**add, "csrf": "forged"}).status_code == 403
    assert web.client.post("/feeds", data={**add, "csrf": token},
                           headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert web.client.post("/feeds", data={**add, "csrf": token},
                           headers={"Origin": "http://evil.example"}).status_code == 403
    assert web.client.post("/feeds", json={**add, "csrf": token}).status_code == 403
    assert web.feeds_path.read_text() == FEEDS_TEXT

    other_browser = httpx.Client(base_url=web.base_url)  # a token is bound to its session cookie
    try:
        assert other_browser.post("/feeds", data={**add, "csrf": token}).status_code == 403
    finally:
        other_browser.close()

    done = web.client.post("/feeds", data={**add, "csrf": token},
                           headers={"Origin": web.base_url, "Sec-Fetch-Site": "same-origin"})
    assert done.status_code == 303
    assert "name: new" in web.feeds_path.read_text()


def test_bearer_requests_need_no_form_token_but_still_no_cross_site(serve):
    served = serve(token=TOKEN)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert served.client.post("/feeds/wire/disable", headers={**auth, "Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert served.client.post("/feeds/wire/disable", headers=auth).status_code == 303
    assert "enabled: false" in served.feeds_path.read_text().split("name: second")[0]


# --- headers, escaping, secrets ---------------------------------------------------------


def test_pages_carry_a_csp_without_inline_script_and_have_none(web, ledger):
    ledger.apply(*article(0, 1000))
    for path in ("/", "/alerts", "/feeds", "/subscriptions", "/metric/PRK:RUS:troops:soldiers"):
        response = web.client.get(path)
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
        assert not re.search(r"<script(?![^>]*\bsrc=)", response.text), path  # every script is a file
        assert not re.search(r"\son[a-z]+\s*=", response.text), path  # no inline handlers
        assert not re.search(r"\sstyle\s*=", response.text), path  # no inline styles either


def test_feed_text_is_escaped_everywhere_it_is_shown(web, ledger):
    ledger.apply(*article(0, 1000, title=HOSTILE, source=f"Wire {HOSTILE}", attribution='"><script>x()</script>',
                          url="javascript:alert(1)"))
    ledger.apply(*article(1, 3000, title=f"Second {HOSTILE}"))
    for path in ("/", "/metric/PRK:RUS:troops:soldiers", "/alerts"):
        page = web.client.get(path).text
        assert "<img src=x" not in page and "<script>x()" not in page, path
        assert "&lt;img src=x onerror=alert(1)&gt;" in page, path
        assert 'href="javascript:' not in page, path
    detail = web.client.get("/metric/PRK:RUS:troops:soldiers").text
    svg = detail[detail.index("<svg"):detail.index("</svg>")]
    assert "<title>2024-10-01: about 1,000 — Wire &lt;img src=x onerror=alert(1)&gt;, per &#34;&gt;&lt;script&gt;" in svg


def test_subscription_secrets_show_once_and_notification_tokens_are_masked(web, redis_client, keys):
    token = csrf_of(web.client.get("/subscriptions").text)
    created = web.client.post("/subscriptions", data={"target": "https://hooks.example/receive", "name": "hook",
                                                      "category": ["troops", "oil"], "csrf": token})
    assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
    secret = Subscriptions(redis_client, keys).get("hook").secret
    assert secret.startswith("whsec_") and secret in created.text  # shown this once

    slack = "slack://T1AAAAAAA/B2BBBBBBB/cccccccccccccccccccccccc/#news"
    web.client.post("/subscriptions", data={"target": slack, "name": "team", "csrf": token})
    listing = web.client.get("/subscriptions").text
    assert secret not in listing and "whsec_***" in listing
    assert "cccccccccccccccccccccccc" not in listing
    masked = Subscriptions(redis_client, keys).get("team").masked_target()
    assert masked in listing  # masked as `alerts subscriptions` masks it
    assert "troops, oil" in listing

    refused = web.client.post("/subscriptions", data={"target": "slack://half", "csrf": token})
    assert refused.status_code == 400 and "malformed or incomplete notification URL" in refused.text


def test_secrets_never_reach_the_logs(service_env, feeds_file):
    """A real `transferwatch web` with a token: sign in, subscribe a webhook, then read everything it logged."""
    env = {**service_env, "TRANSFERWATCH_WEB_TOKEN": TOKEN, "TRANSFERWATCH_FEEDS": str(feeds_file),
           "LOG_LEVEL": "debug"}
    proc = subprocess.Popen([sys.executable, "-m", "worker", "web", "--port", "0"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith("transferwatch web: http://127.0.0.1:"), first
        with httpx.Client(base_url=first.split(": ", 1)[1].strip().rstrip("/"), timeout=10) as client:
            assert client.get("/api/figures").status_code == 401
            assert client.post("/signin", data={"token": TOKEN}).status_code == 303
            token = csrf_of(client.get("/subscriptions").text)
            created = client.post("/subscriptions", data={"target": "https://hooks.example/x", "csrf": token})
            secret = re.search(r"whsec_[A-Za-z0-9+/=]+", created.text).group(0)
            client.post("/subscriptions", data={"target": "tgram://123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQ/987654",
                                                "csrf": token})
            client.post("/signin", data={"token": "a-wrong-guess-7781"})
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "web_started" in err
    for secret_text in (TOKEN, secret, "AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQ", "a-wrong-guess-7781"):
        assert secret_text not in err


def test_api_answers_set_no_cookie_and_pages_set_a_strict_one(web):
    assert "set-cookie" not in web.client.get("/api/figures").headers
    cookie = web.client.get("/").headers["set-cookie"]
    assert cookie.startswith("tw_session=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "set-cookie" not in web.client.get("/alerts").headers  # the session is kept, not renewed
