"""``transferwatch demo``: bundled sample articles (written by us) served as a local RSS feed
and replayed through the real service, so that a newcomer without internet sees alerts.

The demo uses its own key prefix (``<prefix>-demo``), emptied at every start, so it
never touches the real figures.
"""

from __future__ import annotations

import dataclasses
import email.utils
import http.server
import json
import tempfile
import threading
from datetime import datetime
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape

import click
import structlog

from alerts.stream import read_alerts
from worker.connection import connect
from worker.keys import Keys, rq_key_prefix
from worker.settings import Settings
from worker.terminal import inert

log = structlog.get_logger(__name__)


def load_articles() -> list[dict]:
    return json.loads(resources.files(__package__).joinpath("articles.json").read_text(encoding="utf-8"))


def render_rss(articles: list[dict], base_url: str) -> bytes:
    items = []
    for art in articles:
        published = datetime.fromisoformat(art["published"].replace("Z", "+00:00"))
        items.append(
            "<item>"
            f"<title>{escape(art['title'])}</title>"
            f"<link>{base_url}/articles/{art['guid']}</link>"
            f"<guid isPermaLink=\"false\">{escape(art['guid'])}</guid>"
            f"<pubDate>{email.utils.format_datetime(published)}</pubDate>"
            f"<description>{escape(art['text'])}</description>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>transferwatch demo wire</title>"
        f"<link>{base_url}/</link><description>Sample articles bundled with transferwatch</description>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def serve_feed(articles: list[dict]) -> http.server.ThreadingHTTPServer:
    """Serve the articles as RSS on a free local port; every path answers the feed."""
    holder: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            body = holder["body"]
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["body"] = render_rss(articles, f"http://127.0.0.1:{server.server_address[1]}")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _clear_prefix(connection, keys: Keys) -> None:
    for pattern in keys.scan_patterns(rq_key_prefix()):
        batch = list(connection.scan_iter(match=pattern, count=1000))
        if batch:
            connection.delete(*batch)


def run_demo(settings: Settings, workers: int = 1) -> int:
    from worker.service import Service

    connection, embedded = connect(settings)
    keys = Keys(f"{settings.prefix}-demo")
    server = None
    try:
        _clear_prefix(connection, keys)
        server = serve_feed(load_articles())
        base_url = f"http://127.0.0.1:{server.server_address[1]}"
        with tempfile.TemporaryDirectory() as tmp:
            feeds_path = Path(tmp) / "feeds.yaml"
            feeds_path.write_text(f"feeds:\n  - name: demo-wire  # bundled sample articles\n    url: {base_url}/rss.xml\n")
            demo_settings = dataclasses.replace(
                settings, prefix=keys.prefix, redis_url=embedded.url if embedded is not None else settings.redis_url
            )
            click.echo(f"demo: serving {len(load_articles())} sample articles at {base_url}/rss.xml")
            code = Service(demo_settings, feeds_path, workers=workers).run_once(timeout=300)
        for item in read_alerts(connection, keys, None):
            alert = item.alert or {}
            click.echo(f"ALERT {alert.get('kind', '?'):<13} {inert(str(alert.get('message')))}")
        click.echo(f"demo: figures kept under prefix {keys.prefix!r}; see them with "
                   f"TRANSFERWATCH_PREFIX={keys.prefix} transferwatch figures")
        return code
    finally:
        if server:
            server.shutdown()
        if embedded:
            embedded.stop()
