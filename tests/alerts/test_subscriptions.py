"""Subscriptions through the ``alerts`` CLI: validation (exit 2, one line), secrets shown once, masking."""

from __future__ import annotations

import base64

import pytest
from click.testing import CliRunner

from alerts.subscriptions import Subscriptions, mask_target
from worker.commands.alerts import alerts

pytestmark = pytest.mark.timeout(20)

SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
TGRAM = "tgram://123456789:abcdefg_hijklmnop/12315544"


@pytest.fixture
def cli(redis_url, prefix, redis_client):
    """Invoke ``transferwatch alerts ...`` against this test's Redis and prefix."""
    runner = CliRunner()
    env = {"REDIS_URL": redis_url, "TRANSFERWATCH_PREFIX": prefix}

    def invoke(*args: str):
        return runner.invoke(alerts, list(args), env=env, catch_exceptions=False)

    return invoke


def test_subscribe_webhook_prints_name_and_secret_once(cli, redis_client, keys):
    result = cli("subscribe", "https://hooks.example.org/in", "--category", "troops", "--name", "dash")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "dash"
    secret = lines[1].removeprefix("secret: ")
    assert secret.startswith("whsec_")
    assert 24 <= len(base64.b64decode(secret[6:])) <= 64

    sub = Subscriptions(redis_client, keys).get("dash")
    assert sub is not None and sub.categories == ("troops",) and sub.secret == secret and sub.created_ms > 0

    listing = cli("subscriptions")
    assert listing.exit_code == 0
    assert "dash" in listing.output and "categories=troops" in listing.output
    assert secret not in listing.output and secret[6:12] not in listing.output
    assert "delivered=0" in listing.output and "dead=0" in listing.output


def test_subscribe_with_given_secret_and_generated_name(cli, redis_client, keys):
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    result = cli("subscribe", "http://127.0.0.1:9/hook", "--secret", secret)
    assert result.exit_code == 0, result.output
    (name,) = result.stdout.splitlines()  # nothing else printed: the secret was the caller's
    assert name.startswith("webhook-")
    given = Subscriptions(redis_client, keys).get(name)
    assert given is not None and given.secret == secret


def test_notification_url_is_listed_masked(cli):
    assert cli("subscribe", SLACK, "--name", "newsroom").exit_code == 0
    assert cli("subscribe", TGRAM, "--name", "analyst", "--category", "oil", "--category", "drones").exit_code == 0
    listing = cli("subscriptions").output
    assert "newsroom  slack://" in listing and "analyst  tgram://" in listing
    for token in ("TIiajkdnlazkcOXrIdevi7FQ", "A1BRTD4JD", "abcdefg_hijklmnop"):
        assert token not in listing
    assert "categories=oil,drones" in listing


def test_repr_and_str_of_subscriptions_and_channels_never_show_secrets_or_tokens():
    from alerts.channels.notify import NotifyChannel
    from alerts.channels.webhook import WebhookChannel
    from alerts.subscriptions import Subscription, generate_secret

    secret = generate_secret()
    hook = Subscription("hook", "https://user:pw9@hooks.example.org/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX?token=abc9",
                        ("troops",), secret, "2024-11-20T10:00:00+00:00", 1)
    slack = Subscription("chat", SLACK, (), None, "2024-11-20T10:00:00+00:00", 1)
    webhook_channel, notify_channel = WebhookChannel(hook.target, secret), NotifyChannel(SLACK)
    try:
        shown = [f(x) for x in (hook, slack, webhook_channel, notify_channel) for f in (repr, str, "{}".format)]
    finally:
        webhook_channel.close()
    for text in shown:
        for leaked in (secret[6:], "pw9", "XXXXXXXXXXXX", "abc9", "TIiajkdnlazkcOXrIdevi7FQ", "A1BRTD4JD"):
            assert leaked not in text, text
    assert "secret='whsec_***'" in shown[0] and "name='hook'" in shown[0] and "categories=('troops',)" in shown[0]
    assert shown[3].startswith("Subscription(name='chat', target='slack://") and "secret=None" in shown[3]


def test_webhook_tokens_are_masked():
    masked = mask_target("https://user:pw@hooks.example.org/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX?token=abc")
    assert "pw" not in masked and "XXXXXXXXXXXX" not in masked and "abc" not in masked
    assert masked.startswith("https://user:***@hooks.example.org/services/")
    assert mask_target("http://127.0.0.1:8080/hook") == "http://127.0.0.1:8080/hook"


def test_unsubscribe_removes_subscription_and_its_state(cli, redis_client, keys):
    assert cli("subscribe", "https://a.example/h", "--name", "gone").exit_code == 0
    redis_client.lpush(keys.dead_letters("gone"), "{}")
    result = cli("unsubscribe", "gone")
    assert result.exit_code == 0
    assert Subscriptions(redis_client, keys).get("gone") is None
    assert not redis_client.exists(keys.dead_letters("gone"))
    assert cli("subscriptions").output.strip() == "no subscriptions"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["subscribe", "ftp://files.example/x"], "unsupported scheme"),
        (["subscribe", "not a url"], "not a URL"),
        (["subscribe", "slack://bad"], "malformed"),
        (["subscribe", "https:///nohost"], "no host"),
        (["subscribe", "https://a.example/h", "--category", "tanks"], "unknown category 'tanks'"),
        (["subscribe", "https://a.example/h", "--name", "Bad Name"], "name 'Bad Name'"),
        (["subscribe", "https://a.example/h", "--secret", "hunter2"], "whsec_"),
        (["subscribe", "https://a.example/h", "--secret", "whsec_c2hvcnQ="], "24-64 bytes"),
        (["subscribe", SLACK, "--secret", "whsec_" + "A" * 44], "webhooks only"),
        (["unsubscribe", "nobody"], "no subscription named 'nobody'"),
        (["tail", "--since", "yesterday"], "--since"),
        (["tail", "--category", "tanks"], "unknown category"),
    ],
)
def test_bad_input_exits_2_with_one_line(cli, args, fragment):
    result = cli(*args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: ") and fragment in lines[0]
    assert "hunter2" not in result.output


def test_duplicate_name_exits_2(cli):
    assert cli("subscribe", "https://a.example/h", "--name", "twice").exit_code == 0
    result = cli("subscribe", "https://b.example/h", "--name", "twice")
    assert result.exit_code == 2
    assert result.output.strip() == "Error: a subscription named 'twice' already exists"


def test_bad_configuration_exits_2(redis_url):
    result = CliRunner().invoke(alerts, ["subscriptions"], env={"REDIS_URL": "http://nope", "TRANSFERWATCH_PREFIX": "x"})
    assert result.exit_code == 2
    assert result.output.strip().startswith("Error: REDIS_URL")
