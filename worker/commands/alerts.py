"""``transferwatch alerts``: watch the alert Stream and manage delivery subscriptions.

Bad input (an unknown category, a bad target, a duplicate name, a bad
``--since``) and bad configuration (``ConfigError``) are one ``Error: ...``
line and exit 2, without click's usage banner. The Redis connection is left
as ``worker.connection`` makes it: an embedded server started here keeps
running for the next command to share.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

import click
import redis

from alerts.stream import StreamAlert, since_to_id
from alerts.stream import tail as tail_stream
from alerts.subscriptions import CATEGORIES, Subscription, Subscriptions, validate_categories
from worker.connection import connect
from worker.errors import ConfigError, InputError, SubscriptionError
from worker.keys import Keys
from worker.settings import Settings
from worker.terminal import inert, inert_fields


class BadInput(click.ClickException):
    """Bad usage or configuration: printed as one ``Error: ...`` line, exit 2 (contracts.md)."""

    exit_code = 2


def _check_categories(_ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    try:
        return validate_categories(value)
    except SubscriptionError as exc:
        raise BadInput(str(exc)) from None


_category_option = click.option(
    "--category", "categories", multiple=True, metavar="C", callback=_check_categories,
    help=f"Only this category (repeatable; default: all). One of: {', '.join(CATEGORIES)}.",
)


@contextmanager
def _redis() -> Iterator[tuple[redis.Redis, Keys]]:
    """The configured Redis and key names; bad configuration is a usage error (exit 2)."""
    try:
        settings = Settings.from_env()
        client, server = connect(settings)
    except ConfigError as exc:
        raise BadInput(str(exc)) from None
    try:
        yield client, Keys(settings.prefix)
    finally:
        client.close()


@click.group("alerts")
def alerts() -> None:
    """Watch alerts and manage where they are delivered."""


# --- tail ------------------------------------------------------------------------------


def format_alert(item: StreamAlert) -> str:
    """One readable line: stream id (for --since), time, category, kind, message, link; feed text made inert."""
    alert = inert_fields(item.alert or {})
    when = datetime.fromtimestamp(int(item.entry_id.split("-")[0]) / 1000, timezone.utc)
    url = (alert.get("current") or {}).get("url")
    category = (alert.get("metric") or {}).get("category") or "-"
    line = f"{item.entry_id}  {when:%Y-%m-%d %H:%M:%S}Z  {category}  {alert.get('kind', '-')}  {alert.get('message', '')}"
    return f"{line}  <{url}>" if url else line


@alerts.command("tail")
@_category_option
@click.option("--json", "as_json", is_flag=True, help="Print each alert's raw JSON on one line.")
@click.option("--since", metavar="ID|TIME",
              help="First print the alerts after this Stream id, or since this ISO time, then follow.")
def tail(categories: tuple[str, ...], as_json: bool, since: str | None) -> None:
    """Print alerts as they arrive (from the Stream, so --since misses nothing across a restart)."""
    if since:
        try:
            since_to_id(since)
        except InputError as exc:
            raise BadInput(str(exc)) from None
    with _redis() as (client, keys):
        try:
            for item in tail_stream(client, keys, since, categories):
                click.echo(inert(item.data.decode("utf-8", "replace"), keep_layout=True) if as_json else format_alert(item))
        except KeyboardInterrupt:
            return


# --- subscriptions --------------------------------------------------------------------


@alerts.command("subscribe")
@click.argument("target")
@_category_option
@click.option("--name", help="Subscription name (a-z, 0-9, '-'); default: generated.")
@click.option("--secret", help="Webhook signing secret, whsec_ + base64; default: generated and printed once.")
def subscribe(target: str, categories: tuple[str, ...], name: str | None, secret: str | None) -> None:
    """Deliver alerts to TARGET: an http(s):// webhook or a notification URL (slack://, mailto://, ...).

    Prints the subscription's name; for a webhook without --secret, also the
    generated secret, which is not shown again.
    """
    with _redis() as (client, keys):
        try:
            sub, generated = Subscriptions(client, keys).add(target, categories, name=name, secret=secret)
        except SubscriptionError as exc:
            raise BadInput(str(exc)) from None
    click.echo(sub.name)
    if generated:
        click.echo(f"secret: {generated}")
        click.echo("(store the secret now: it is not shown again)", err=True)


def _describe(sub: Subscription, stats: dict) -> str:
    stats = inert_fields(stats)  # last_error may quote a receiver's answer
    secret = "  secret=whsec_***" if sub.secret else ""
    line = (f"{sub.name}  {inert(sub.masked_target())}  categories={','.join(sub.categories) or 'all'}{secret}  "
            f"delivered={stats['delivered']} pending={stats['pending']} retries={stats['retries']} dead={stats['dead']}")
    return f"{line}  last_error={stats['last_error']!r}" if stats["last_error"] else line


@alerts.command("subscriptions")
@click.option("--dead", "show_dead", is_flag=True, help="Also list each subscription's newest dead letters.")
def subscriptions(show_dead: bool) -> None:
    """List subscriptions (targets and secrets masked) with delivery counts and dead letters."""
    with _redis() as (client, keys):
        store = Subscriptions(client, keys)
        subs = store.all()
        if not subs:
            click.echo("no subscriptions")
            return
        for sub in subs:
            click.echo(_describe(sub, store.stats(sub.name)))
            if show_dead:
                for letter in inert_fields(store.dead_letters(sub.name)):
                    click.echo(f"  dead {letter.get('alert_id')}  attempts={letter.get('attempts')}  "
                               f"reason={letter.get('reason')!r}")


@alerts.command("unsubscribe")
@click.argument("name")
def unsubscribe(name: str) -> None:
    """Remove a subscription and its delivery state."""
    with _redis() as (client, keys):
        if not Subscriptions(client, keys).remove(name):
            raise BadInput(f"no subscription named {name!r}")
    click.echo(f"removed {name}")


def main() -> None:  # pragma: no cover - for running the group alone before cli.py exists
    alerts(prog_name="transferwatch alerts")


if __name__ == "__main__":  # pragma: no cover
    main()
