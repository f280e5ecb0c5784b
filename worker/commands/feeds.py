"""``transferwatch feeds list | add | remove | enable | disable | validate``: the watched feed list and its health.

The file is ``--feeds PATH``, else ``TRANSFERWATCH_FEEDS``, else ``./feeds.yaml``.
Bad usage or a bad file exits 2 with one line naming file, line and problem.
``list`` shows each feed's health from Redis, and still lists the file when
Redis cannot be reached.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import redis
from redis.retry import Retry
from redis.backoff import NoBackoff

from worker.feed_health import health_row
from worker.feeds import FeedConfig, add_feed, load_feeds, remove_feed, set_enabled
from worker.keys import Keys
from worker.settings import ConfigError, Settings


class ConfigProblem(click.ClickException):
    """A ConfigError on the command line: one line, exit code 2."""

    exit_code = 2


def _config_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            raise ConfigProblem(str(exc)) from None

    return wrapper


def _feeds_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--feeds", "feeds_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
        help="The feed list (default: $TRANSFERWATCH_FEEDS or ./feeds.yaml).",
    )(fn)


def _path(ctx: click.Context, given: Path | None) -> Path:
    if given is not None:
        return given
    group_path = (ctx.obj or {}).get("feeds_path") if isinstance(ctx.obj, dict) else None
    if group_path is not None:
        return group_path
    return Settings.from_env().feeds_path


@click.group("feeds")
@_feeds_option
@click.pass_context
def feeds(ctx: click.Context, feeds_path: Path | None) -> None:
    """Read and edit the watched feed list, keeping comments and order."""
    ctx.ensure_object(dict)
    ctx.obj["feeds_path"] = feeds_path


@feeds.command("validate")
@_feeds_option
@click.pass_context
@_config_errors
def validate_cmd(ctx: click.Context, feeds_path: Path | None) -> None:
    """Check the feed list; exit 2 with FILE:LINE: problem when it is wrong."""
    path = _path(ctx, feeds_path)
    found = load_feeds(path)
    enabled = sum(f.enabled for f in found)
    click.echo(f"{path}: ok, {len(found)} feeds ({enabled} enabled)")


@feeds.command("add")
@click.argument("url")
@click.option("--name", default=None, help="Feed name, [a-z0-9-] (default: from the URL's host).")
@click.option("--interval", type=int, default=None, help="Seconds between polls (60-86400; default 900).")
@_feeds_option
@click.pass_context
@_config_errors
def add_cmd(ctx: click.Context, url: str, name: str | None, interval: int | None, feeds_path: Path | None) -> None:
    """Add URL to the feed list (a running service picks it up within one tick)."""
    feed = add_feed(_path(ctx, feeds_path), url, name=name, interval=interval)
    click.echo(f"added {feed.name} {feed.url} every {feed.interval}s")


@feeds.command("remove")
@click.argument("name")
@_feeds_option
@click.pass_context
@_config_errors
def remove_cmd(ctx: click.Context, name: str, feeds_path: Path | None) -> None:
    """Remove the feed NAME from the feed list."""
    feed = remove_feed(_path(ctx, feeds_path), name)
    click.echo(f"removed {feed.name} {feed.url}")


@feeds.command("enable")
@click.argument("name")
@_feeds_option
@click.pass_context
@_config_errors
def enable_cmd(ctx: click.Context, name: str, feeds_path: Path | None) -> None:
    """Poll the feed NAME again (sets its `enabled: true`)."""
    feed = set_enabled(_path(ctx, feeds_path), name, True)
    click.echo(f"enabled {feed.name}")


@feeds.command("disable")
@click.argument("name")
@_feeds_option
@click.pass_context
@_config_errors
def disable_cmd(ctx: click.Context, name: str, feeds_path: Path | None) -> None:
    """Stop polling the feed NAME but keep it in the list (sets its `enabled: false`)."""
    feed = set_enabled(_path(ctx, feeds_path), name, False)
    click.echo(f"disabled {feed.name}")


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per feed, one per line.")
@_feeds_option
@click.pass_context
@_config_errors
def list_cmd(ctx: click.Context, as_json: bool, feeds_path: Path | None) -> None:
    """Each feed with its health: last success, last error, next poll, items seen."""
    path = _path(ctx, feeds_path)
    found = load_feeds(path)
    states, problem = _read_states(found)
    if problem:
        click.echo(f"warning: no health information, Redis unreachable ({problem})", err=True)
    rows = [health_row(feed, states.get(feed.name)) for feed in found]
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, sort_keys=True))
        return
    if not rows:
        click.echo(f"{path}: no feeds")
        return
    for row in rows:
        click.echo(_render(row))


def _read_states(found: list[FeedConfig]) -> tuple[dict[str, dict[str, str]], str | None]:
    """Per-feed state from Redis, answering fast (no reconnect loop) when Redis is down."""
    from worker.connection import connect
    from worker.poller import feed_states

    settings = Settings.from_env()
    server = None
    try:
        client, server = connect(settings)
        client.connection_pool.connection_kwargs["socket_connect_timeout"] = 2
        client.connection_pool.connection_kwargs["socket_timeout"] = 5
        client.set_retry(Retry(NoBackoff(), 0))
        for connection in list(getattr(client.connection_pool, "_available_connections", [])):
            connection.retry = Retry(NoBackoff(), 0)
        return feed_states(client, Keys(settings.prefix), [f.name for f in found]), None
    except (redis.RedisError, OSError, RuntimeError) as exc:
        return {}, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    finally:
        if server is not None:
            server.stop()


def _render(row: dict[str, Any]) -> str:
    lines = [f"{row['name']}  [{row['health']}]  every {row['interval']}s{'' if row['enabled'] else '  (disabled)'}",
             f"    url:           {row['url']}"]
    lines.append(f"    last success:  {row['last_success'] or '-'}")
    if row["last_error"]:
        lines.append(f"    last error:    {row['last_error']} ({row['errors_in_a_row']} in a row, at {row['last_error_at']})")
    if row["enabled"]:
        lines.append(f"    next poll:     {row['next_poll']}")
    items = "-" if row["items_seen"] is None else row["items_seen"]
    lines.append(f"    items seen:    {items} in the feed, {row['articles_queued']} articles queued")
    return "\n".join(lines)
