"""``transferwatch web [--host H] [--port P]``: the dashboard and HTTP API (contracts.md, "Web dashboard")."""

from __future__ import annotations

import click

from worker.cli import feeds_option
from worker.settings import Settings


@click.command("web")
@feeds_option
@click.option("--host", default=None, metavar="H",
              help="Address to listen on (default: $TRANSFERWATCH_WEB_HOST or 127.0.0.1). "
                   "Anything but loopback needs TRANSFERWATCH_WEB_TOKEN.")
@click.option("--port", type=click.IntRange(0, 65535), default=None, metavar="P",
              help="Port (default: $TRANSFERWATCH_WEB_PORT or 8650; 0: any free port, printed).")
@click.pass_obj
def web(settings: Settings, feeds_path, host: str | None, port: int | None) -> None:
    """Serve the dashboard and the HTTP API until SIGINT/SIGTERM; prints the URL it serves."""
    from worker.connection import EmbeddedRedis
    from worker.web.config import WebConfig
    from worker.web.server import bind, serve, url_of

    config = WebConfig.from_settings(settings, settings.redis_url or "", feeds_path, host=host, port=port)
    sock = bind(config.host, config.port)  # before Redis: a refused address is reported at once
    embedded = None
    if not settings.redis_url:  # the service's embedded Redis (started here when nothing runs yet)
        embedded = EmbeddedRedis(settings.data_dir).start()
        config = WebConfig.from_settings(settings, embedded.url, feeds_path, host=host, port=port)
    click.echo(f"transferwatch web: {url_of(sock)}", nl=True)
    try:
        serve(config, sock)
    finally:
        sock.close()
        if embedded is not None:
            embedded.stop()
