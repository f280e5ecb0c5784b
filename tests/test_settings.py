"""Settings are validated once at the edge; URLs in logs never show passwords."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from worker import logs
from worker.keys import Keys
from worker.settings import ConfigError, Settings, redact_url


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


@pytest.mark.parametrize("env, variable", [
    ({"REDIS_URL": "http://localhost:6379"}, "REDIS_URL"),
    ({"TRANSFERWATCH_PREFIX": "has space"}, "TRANSFERWATCH_PREFIX"),
    ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
    ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
    ({"TRANSFERWATCH_WEB_PORT": "80a"}, "TRANSFERWATCH_WEB_PORT"),
    ({"TRANSFERWATCH_WEB_PORT": "70000"}, "TRANSFERWATCH_WEB_PORT"),
    ({"TRANSFERWATCH_WEB_TOKEN": " padded "}, "TRANSFERWATCH_WEB_TOKEN"),
])
def test_bad_values_name_the_variable(env, variable):
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env(env)


def test_redact_url_masks_only_the_password():
    assert redact_url("redis://user:s3cret@host:6380/0") == "redis://user:***@host:6380/0"
    assert redact_url("redis://:s3cret@host") == "redis://:***@host"
    assert redact_url("unix:///tmp/r.sock") == "unix:///tmp/r.sock"


def test_logs_never_print_url_passwords(capsys):
    logs.configure("json", "info")
    structlog.get_logger("t").warning("redis_unreachable", url="rediss://admin:hunter2@cache:6379/0")
    logging.getLogger("rq.worker").warning("connecting to redis://:hunter2@cache:6379")
    err = capsys.readouterr().err
    assert "hunter2" not in err
    first = json.loads(err.splitlines()[0])
    assert first["url"] == "rediss://admin:***@cache:6379/0" and first["level"] == "warning"


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
