"""The ``transferwatch`` command.

Exit codes (contracts.md): 0 success, 2 bad usage or bad configuration (one
line naming the file, line and problem), 1 runtime failure. Subcommands are
imported lazily so that ``--help`` and ``feeds list`` never pay for spaCy.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click
import redis

from worker.keys import Keys, use_rq_prefix
from worker.settings import ConfigError, Settings

_LAZY = {
    "extract": "worker.commands.extract:extract",
    "feeds": "worker.commands.feeds:feeds",
    "alerts": "worker.commands.alerts:alerts",
    "figures": "worker.commands.figures:figures",
    "run": "worker.commands.service:run",
    "poll": "worker.commands.service:poll",
    "worker": "worker.commands.service:worker",
    "dispatch": "worker.commands.service:dispatch",
    "demo": "worker.commands.service:demo",
    "health": "worker.commands.service:health",
    "web": "worker.commands.web:web",
}


class TransferwatchGroup(click.Group):
    """Lazy subcommands; configuration errors become exit 2, runtime ones exit 1, each on one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_LAZY)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = _LAZY.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)

    def invoke(self, ctx: click.Context):
        try:
            use_rq_prefix(Keys(Settings.from_env().prefix))  # before any subcommand imports rq
        except ConfigError:
            pass  # reported by main() below, with exit 2
        try:
            return super().invoke(ctx)
        except click.exceptions.Exit:  # click's own exit (e.g. --help) is a RuntimeError too
            raise
        except ConfigError as exc:
            click.echo(f"transferwatch: {exc}", err=True)
            ctx.exit(2)
        except redis.RedisError as exc:
            click.echo(f"transferwatch: Redis error: {exc}", err=True)
            ctx.exit(1)
        except RuntimeError as exc:
            click.echo(f"transferwatch: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=TransferwatchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="transferwatch")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Watch the news for what Russia and North Korea send each other; alert when reported figures change."""
    from worker import logs

    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        if {"--help", "-h"} & set(sys.argv[1:]):
            return  # a command's --help needs no configuration: it prints and exits before using it
        click.echo(f"transferwatch: {exc}", err=True)
        ctx.exit(2)
    logs.configure(settings.log_format, settings.log_level)
    ctx.obj = settings


def feeds_option(func):
    """``--feeds PATH``: the feed list; defaults to ``TRANSFERWATCH_FEEDS`` or ./feeds.yaml."""
    return click.option(
        "--feeds",
        "feeds_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Feed list (default: $TRANSFERWATCH_FEEDS or ./feeds.yaml).",
    )(func)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
