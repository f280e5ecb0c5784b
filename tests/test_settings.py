"""Settings are validated once at the edge; URLs in logs never show passwords."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from worker import logs
from worker.errors import ConfigError
from worker.keys import Keys
from worker.redact import redact_url
from worker.settings import Settings


def test_defaults():
    s = Settings.from_env({})
    assert (s.redis_url, s.prefix, str(s.feeds_path), str(s.data_dir), s.log_level) == (
        None, "transferwatch", "feeds.yaml", ".transferwatch", "info")


def test_web_defaults_and_the_token_stays_out_of_the_repr():
    s = Settings.from_env({})
    assert (s.web_host, s.web_port, s.web_token) == ("127.0.0.1", 8650, None)
    s = Settings.from_env({"TRANSFERWATCH_WEB_HOST": "0.0.0.0", "TRANSFERWATCH_WEB_PORT": "9000",
                           "TRANSFERWATCH_WEB_TOKEN": "tok-3f9a1c"})
    assert (s.web_host, s.web_port, s.web_token) == ("0.0.0.0", 9000, "tok-3f9a1c")
    assert "tok-3f9a1c" not in repr(s)


def test_seen_window_defaults_to_90_days_and_is_read_in_days():
    assert (Settings.from_env({}).seen_days, Settings.from_env({}).seen_ttl) == (90, 90 * 86400)
    assert Settings.from_env({"TRANSFERWATCH_SEEN_DAYS": "120"}).seen_ttl == 120 * 86400


@pytest.mark.parametrize("env, variable", [
    ({"REDIS_URL": "http://localhost:6379"}, "REDIS_URL"),
    ({"TRANSFERWATCH_PREFIX": "has space"}, "TRANSFERWATCH_PREFIX"),
    ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
    ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
    ({"TRANSFERWATCH_WEB_PORT": "80a"}, "TRANSFERWATCH_WEB_PORT"),
    ({"TRANSFERWATCH_WEB_PORT": "70000"}, "TRANSFERWATCH_WEB_PORT"),
    ({"TRANSFERWATCH_WEB_TOKEN": " padded "}, "TRANSFERWATCH_WEB_TOKEN"),
    ({"TRANSFERWATCH_SEEN_DAYS": "0"}, "TRANSFERWATCH_SEEN_DAYS"),
    ({"TRANSFERWATCH_SEEN_DAYS": "2.5"}, "TRANSFERWATCH_SEEN_DAYS"),
])
def test_bad_values_name_the_variable(env, variable):
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env(env)


def test_redact_url_masks_only_the_password():
    assert redact_url("redis://user:s3cret@host:6380/0") == "redis://user:***@host:6380/0"
    assert redact_url("redis://:s3cret@host") == "redis://:***@host"
    assert redact_url("unix:///tmp/r.sock") == "unix:///tmp/r.sock"
    assert redact_url("redis://u:p@ss@[::1]:6379/0") == "redis://u:***@[::1]:6379/0"  # an '@' in the password
    assert redact_url("rediss://cache:6380/0?password=s3cret&ssl_cert_reqs=none") == (
        "rediss://cache:6380/0?password=***&ssl_cert_reqs=none")


SECRET_URL = "rediss://admin:hunter2@cache:6380/0?ssl_cert_reqs=none"


def test_repr_and_str_of_settings_never_show_the_redis_password_or_the_web_token():
    settings = Settings.from_env({"REDIS_URL": SECRET_URL, "TRANSFERWATCH_PREFIX": "tw",
                                  "TRANSFERWATCH_WEB_TOKEN": "t0ken-s3cret"})
    for shown in (repr(settings), str(settings), f"{settings}", f"{settings!r}", repr([settings])):
        assert "hunter2" not in shown and "t0ken-s3cret" not in shown
        assert "redis_url='rediss://admin:***@cache:6380/0?ssl_cert_reqs=none'" in shown and "prefix='tw'" in shown
    assert (settings.redis_url, settings.web_token) == (SECRET_URL, "t0ken-s3cret")  # masked where shown, kept where used


def test_the_worker_pool_never_shows_the_environment_it_passes_on(redis_client, keys):
    from worker.service import WorkerPool

    pool = WorkerPool(2, {"REDIS_URL": SECRET_URL}, redis_client, keys)
    assert "hunter2" not in repr(pool) and "hunter2" not in str(pool)


def test_logs_never_print_url_passwords(capsys):
    logs.configure("json", "info")
    structlog.get_logger("t").warning("redis_unreachable", url="rediss://admin:hunter2@cache:6379/0")
    logging.getLogger("rq.worker").warning("connecting to redis://:hunter2@cache:6379")
    err = capsys.readouterr().err
    assert "hunter2" not in err
    first = json.loads(err.splitlines()[0])
    assert first["url"] == "rediss://admin:***@cache:6379/0" and first["level"] == "warning"


def test_logs_mask_secrets_in_nested_values_reprs_and_tracebacks(capsys):
    secret = "whsec_" + "A" * 44
    logs.configure("json", "info")
    log = structlog.get_logger("t")
    log.info("settings_read", settings=Settings.from_env({"REDIS_URL": SECRET_URL}),
             targets=["https://hooks.example/in?token=t0ken", {"url": "redis://:hunter2@h"}], secret=secret)
    try:
        raise ConnectionError(f"cannot reach {SECRET_URL} (signing with {secret})")
    except ConnectionError:
        log.exception("delivery_failed")
        logging.getLogger("rq.worker").exception("job failed")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    text = json.dumps(lines)
    for leaked in ("hunter2", "t0ken", "A" * 44):
        assert leaked not in text
    assert lines[0]["targets"] == ["https://hooks.example/in?token=***", {"url": "redis://:***@h"}]
    assert lines[0]["secret"] == "whsec_***"
    assert "cannot reach rediss://admin:***@cache:6380/0" in lines[1]["exception"]  # the traceback, masked
    assert "ConnectionError" in lines[2]["exception"] and "whsec_***" in lines[2]["exception"]


def test_every_name_carries_the_prefix():
    k = Keys("tw-a")
    names = [k.alerts_stream, k.alerts_channel, k.alerts_category_channel("troops"), k.queue_name,
             k.feed_state("x"), k.seen_article("a"), k.metric("m"), k.subscriptions]
    assert all(n.startswith("tw-a:") for n in names)
    assert k.alerts_stream == "tw-a:alerts" and k.alerts_category_channel("oil") == "tw-a:alerts:oil"
    assert k.job_id("ab:c", "v1") == "tw-a-article-ab_c-v1"


def test_log_format_follows_whether_the_logs_reach_a_terminal(monkeypatch):
    """Logs go to stderr: a terminal there means console, whatever stdout is (e.g. `figures --json > f`)."""
    import sys

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False, raising=False)
    assert Settings.from_env({}).log_format == "console"
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    assert Settings.from_env({}).log_format == "json"


def test_help_works_whatever_the_environment(tmp_path):
    """Every command has --help (contracts.md), even where a bad variable would stop the command itself."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, REDIS_URL="http://not-redis.example")
    run = [sys.executable, "-m", "worker", "run"]
    helped = subprocess.run([*run, "--help"], env=env, capture_output=True, text=True, cwd=tmp_path)
    refused = subprocess.run([*run, "--once"], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert helped.returncode == 0 and "--once" in helped.stdout
    assert refused.returncode == 2 and "REDIS_URL" in refused.stderr
