"""Commands that run the service or a part of it: run, poll, worker, dispatch, demo, health."""

from __future__ import annotations

import sys
import threading

import click
import structlog

from worker.cli import feeds_option
from worker.connection import EmbeddedRedis, client_from_url, connect, wait_for_redis
from worker.keys import Keys
from worker.settings import Settings

log = structlog.get_logger(__name__)


def _feeds_path(settings: Settings, feeds_path):
    return feeds_path or settings.feeds_path


def _stop_on_signals() -> threading.Event:
    """An event set by the first SIGTERM/SIGINT; a second one exits at once."""
    import os
    import signal

    stop = threading.Event()

    def handler(signum, _frame):
        if stop.is_set():
            os._exit(1)
        log.info("stopping", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


@click.command("run")
@feeds_option
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="RQ worker processes.")
@click.option("--once", is_flag=True, help="Poll every due feed once, process and deliver everything, then exit.")
@click.option("--delivery-timeout", type=click.FloatRange(1, 86400), default=120, show_default=True,
              help="With --once: seconds to keep retrying failing deliveries before exiting 1; "
                   "what is left stays scheduled in Redis for the next run.")
@click.option("--metrics-port", type=click.IntRange(1, 65535), default=None,
              help="Serve Prometheus metrics on this port (default: $TRANSFERWATCH_METRICS_PORT, off).")
@click.option("--web", is_flag=True,
              help="Also serve the dashboard and HTTP API (as `transferwatch web`, on $TRANSFERWATCH_WEB_HOST:"
                   "$TRANSFERWATCH_WEB_PORT, default 127.0.0.1:8650).")
@click.pass_obj
def run(settings: Settings, feeds_path, workers: int, once: bool, delivery_timeout: float,
        metrics_port: int | None, web: bool) -> None:
    """The service: poller, N RQ workers and alert dispatch, until SIGTERM/SIGINT."""
    import dataclasses

    from worker.feeds import load_feeds
    from worker.service import Service

    if metrics_port:
        settings = dataclasses.replace(settings, metrics_port=metrics_port)
    if web and once:
        raise click.UsageError("--web serves the dashboard while the service runs; it cannot be used with --once")
    path = _feeds_path(settings, feeds_path)
    load_feeds(path)  # a bad feeds.yaml is a usage error (exit 2) before anything starts
    web_socket = None
    if web:
        from worker.web.config import check_bind
        from worker.web.server import bind

        check_bind(settings.web_host, settings.web_token)  # no token, no other address than loopback: exit 2
        web_socket = bind(settings.web_host, settings.web_port)  # a port in use: exit 1 before anything starts
    service = Service(settings, path, workers=workers, web_socket=web_socket)
    sys.exit(service.run_once(delivery_timeout=delivery_timeout) if once else service.run_forever())


@click.command("poll")
@feeds_option
@click.option("--once", is_flag=True, help="Poll every due feed once, then exit.")
@click.pass_obj
def poll(settings: Settings, feeds_path, once: bool) -> None:
    """The poller alone: reads the feeds and queues new articles for the workers."""
    from worker.feeds import load_feeds
    from worker.poller import Poller
    from worker.service import ONCE_REDIS_ATTEMPTS

    path = _feeds_path(settings, feeds_path)
    load_feeds(path)
    connection, embedded = connect(settings)
    try:
        wait_for_redis(connection, settings.redis_url, attempts=ONCE_REDIS_ATTEMPTS if once else 0)
        poller = Poller(connection, Keys(settings.prefix), path, seen_ttl=settings.seen_ttl)
        if once:
            report = poller.tick(once=True)
            click.echo(f"polled {report.feeds_polled} feeds ({report.feeds_failed} failed), "
                       f"queued {report.articles_new} articles")
        else:
            poller.run(_stop_on_signals())
    finally:
        if embedded:
            embedded.stop()


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
@click.option("--name", default=None, help="Worker name (default: generated).")
@click.pass_obj
def worker(settings: Settings, burst: bool, name: str | None) -> None:
    """One RQ worker, spaCy pipeline preloaded before any job runs."""
    from rq.serializers import JSONSerializer

    from worker.jobs import make_queue, preload
    from worker.workers import ArticleWorker

    connection, embedded = connect(settings)
    try:
        wait_for_redis(connection, settings.redis_url)
        preload()
        keys = Keys(settings.prefix)
        rq_worker = ArticleWorker(
            [make_queue(connection, keys)],
            name=name,
            connection=connection,
            serializer=JSONSerializer,
            maintenance_interval=30,  # abandoned jobs (a killed worker) are retried within a minute, not ten
        )
        rq_worker.work(burst=burst, with_scheduler=True, logging_level=settings.log_level.upper())
    finally:
        if embedded:
            embedded.stop()


@click.command("dispatch")
@click.pass_obj
def dispatch(settings: Settings) -> None:
    """The alert dispatcher alone: delivers alerts to subscriptions. Several may run."""
    from alerts.dispatch import Dispatcher

    connection, embedded = connect(settings)
    try:
        wait_for_redis(connection, settings.redis_url)
        Dispatcher(connection, Keys(settings.prefix)).run(_stop_on_signals())
    finally:
        if embedded:
            embedded.stop()


@click.command("demo")
@click.option("--workers", type=click.IntRange(1, 8), default=1, show_default=True,
              help="One worker replays the articles in published order, so the alerts read as a timeline.")
@click.pass_obj
def demo(settings: Settings, workers: int) -> None:
    """Replay bundled sample articles through the real pipeline from a local feed; print the alerts."""
    from worker.demo import run_demo

    sys.exit(run_demo(settings, workers=workers))


@click.command("health")
@click.pass_obj
def health(settings: Settings) -> None:
    """Exit 0 when Redis answers and the poller, a worker and a dispatcher have heartbeats.

    A second line counts the article jobs in RQ's failed registry and the failed tries (each
    retry counts): failures show, but an odd article does not make the service unhealthy.
    """
    import redis
    from rq import Worker
    from rq.registry import FailedJobRegistry

    from worker.heartbeats import alive
    from worker.jobs import make_queue

    if settings.redis_url:
        connection, _ = connect(settings)
    else:  # the service's embedded Redis, if it is running; health never starts one
        server = EmbeddedRedis(settings.data_dir)
        if not server.answers():
            click.echo(f"unhealthy: no embedded Redis answers at {server.socket} (is `transferwatch run` running "
                       f"with TRANSFERWATCH_DATA_DIR={settings.data_dir}? set REDIS_URL for an external Redis)")
            sys.exit(1)
        connection = client_from_url(server.url)
    keys = Keys(settings.prefix)
    try:
        connection.ping()
    except redis.RedisError as exc:
        click.echo(f"unhealthy: Redis at {settings.redis_url_redacted} does not answer: {exc}")
        sys.exit(1)
    queue = make_queue(connection, keys)
    missing = [role for role in ("poller", "dispatch") if not alive(connection, keys, role)]
    if not Worker.all(queue=queue):
        missing.append("worker")
    click.echo(f"unhealthy: no heartbeat from {', '.join(missing)}" if missing else "healthy")
    failed_jobs = FailedJobRegistry(queue=queue).count
    failed_tries = int(float(connection.hget(keys.stats, "articles_failed") or 0))
    click.echo(f"failed article jobs: {failed_jobs} in RQ's failed registry; failed tries: {failed_tries}")
    sys.exit(1 if missing else 0)
