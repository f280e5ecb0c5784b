"""The article job: what the poller enqueues and what an RQ worker runs.

An *article* travels as a plain JSON object (RQ's JSON serializer, never
pickle)::

    {"id": "stable article id (hex)", "version": "hash of the body",
     "feed": "feed name", "source": "who published it", "url": "https://...",
     "title": "...", "text": "plain text of the body",
     "published": "2024-11-20T08:00:00+00:00", "fingerprint": "content hash"}

The extractor is built once per worker process (:func:`preload`) before any
job runs; forked work horses inherit it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import redis
import structlog
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from worker import metrics
from worker.commit_order import CommitOrder
from worker.keys import Keys

log = structlog.get_logger(__name__)

ARTICLE_FIELDS = ("id", "version", "feed", "source", "url", "title", "text", "published", "fingerprint")
JOB_TIMEOUT = 300  # seconds; a 10 MB article takes well under that
RESULT_TTL = 7 * 24 * 3600
FAILURE_TTL = 30 * 24 * 3600
RETRY = Retry(max=3, interval=[5, 30, 120])

_extractor = None
_enqueue_lock = threading.Lock()


def make_queue(connection, keys: Keys) -> Queue:
    return Queue(keys.queue_name, connection=connection, serializer=JSONSerializer, default_timeout=JOB_TIMEOUT)


def enqueue_article(queue: Queue, keys: Keys, article: dict[str, Any]) -> Job | None:
    """Queue one article, with its commit ticket; ``None`` when a job for this article version already exists.

    Ticket and enqueue happen under one lock so that, within a process, tickets
    follow queue order (a worker never waits on a job queued behind its own).
    """
    job_id = keys.job_id(article["id"], article.get("version", ""))
    with _enqueue_lock:
        order = CommitOrder(queue.connection, keys)
        new_ticket = order.take_ticket(job_id)
        try:
            return _enqueue(queue, job_id, article, keys.prefix)
        except DuplicateJobError:
            if new_ticket:  # the job exists and is done: nobody must wait for it
                order.done(job_id)
            return None
        except Exception:
            if new_ticket:
                with contextlib.suppress(redis.RedisError):
                    order.done(job_id)
            raise


def _enqueue(queue: Queue, job_id: str, article: dict[str, Any], prefix: str) -> Job:
    return queue.enqueue(
        process_article,
        article,
        prefix,
        job_id=job_id,
        unique=True,
        retry=RETRY,
        result_ttl=RESULT_TTL,
        failure_ttl=FAILURE_TTL,
        description=f"article {article.get('url') or article['id']}",
    )


def preload() -> None:
    """Build the spaCy pipeline now, in the worker's main process, before any fork."""
    global _extractor
    if _extractor is None:
        from worker.extract import Extractor

        started = time.perf_counter()
        _extractor = Extractor()
        log.info("extractor_ready", seconds=round(time.perf_counter() - started, 2))


def process_article(article: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Extract the article's transfer events and hand them to the ledger; returns a summary."""
    from rq import get_current_job

    from alerts.ledger import Ledger

    preload()
    job = get_current_job()
    connection = job.connection if job is not None else None
    published = (article.get("published") or "")[:10] or None
    structlog.contextvars.bind_contextvars(article_id=article["id"], feed=article.get("feed"), job_id=job.id if job else None)
    keys = Keys(prefix)
    order = CommitOrder(connection, keys) if job is not None else None
    try:
        started = time.perf_counter()
        try:
            events = _extractor.extract(article.get("text") or "", title=article.get("title"), published=published)
            if order is not None:
                order.wait_turn(job.id)  # articles queued before this one commit first
            alerts = Ledger(connection, keys).apply(article, events)
        except Exception:
            metrics.count(connection, keys, articles_failed=1)
            raise
        finally:
            if order is not None:
                order.done(job.id)
        seconds = time.perf_counter() - started
        metrics.count(connection, keys, articles_processed=1, events_extracted=len(events), alerts_raised=len(alerts),
                      job_seconds=seconds)
        summary = {
            "article": article["id"],
            "events": len(events),
            "alerts": [a["id"] for a in alerts],
            "seconds": round(seconds, 3),
        }
        log.info("article_processed", url=article.get("url"), events=len(events), alerts=len(alerts), seconds=summary["seconds"])
        return summary
    finally:
        structlog.contextvars.unbind_contextvars("article_id", "feed", "job_id")
