"""The article job: what the poller enqueues and what an RQ worker runs.

An *article* travels as a plain JSON object (RQ's JSON serializer, never
pickle)::

    {"id": "stable article id (hex)", "version": "hash of the body",
     "feed": "feed name", "source": "who published it", "url": "https://...",
     "title": "...", "text": "plain text of the body",
     "published": "2024-11-20T08:00:00+00:00", "fingerprint": "content hash"}

One job carries a *batch* of articles, oldest first: RQ's own bookkeeping
costs about 2.7 ms and 60 Redis commands a job, more than extracting an
article (about 1 ms), so the new articles of one feed poll travel together
(at most ``BATCH_ARTICLES`` of them, ``BATCH_CHARS`` of text). A batch of one
has the id of its article (``Keys.job_id``); a bigger batch an id derived
from its articles' ids and versions, so the same batch is never queued twice.
A batch is retried whole; the ledger skips the articles it already applied,
so a retry never raises an alert twice. An article that fails on its own (an
extractor bug on odd input) does not hold the others back: it is queued again
as a job of its own, with RQ's retries, and fails visibly there.

The extractor is built once per worker process (:func:`preload`) before any
job runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import redis
import structlog
from rq import Callback, Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from alerts.horizon import Horizon, member
from worker import metrics
from worker.errors import ExtractionError, LedgerError, TransferwatchError
from worker.keys import Keys
from worker.settings import Settings

if TYPE_CHECKING:
    from worker.extract import Extractor

log = structlog.get_logger(__name__)

ARTICLE_FIELDS = ("id", "version", "feed", "source", "url", "title", "text", "published", "fingerprint")
JOB_TIMEOUT = 300  # seconds; a batch holds at most BATCH_CHARS of text, a 10 MB article alone takes about a second
BATCH_ARTICLES = 25
BATCH_CHARS = 2_000_000
# A finished job's hash keeps its arguments, the articles' full text (zlib-compressed: about 7 KB a job in
# bench/bench_soak.py), for as long as its result: an hour is enough to look at what a recent run did
# (`rq info`, the benches read finished jobs right after a run), and does not keep a week of text in Redis.
# Nothing reads a finished job later: the ledger and the counters hold what it did. A failed job is kept a
# month: people inspect its traceback and articles (README, Operations), and failures are few.
RESULT_TTL = 3600
FAILURE_TTL = 30 * 24 * 3600
RETRY = Retry(max=3, interval=[5, 30, 120])

_GONE = (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)

_extractor: Extractor | None = None


def make_queue(connection, keys: Keys) -> Queue:
    return Queue(keys.queue_name, connection=connection, serializer=JSONSerializer, default_timeout=JOB_TIMEOUT)


def batches(articles: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Consecutive runs of articles, each within ``BATCH_ARTICLES`` and ``BATCH_CHARS`` (an oversized article goes alone)."""
    batch: list[dict[str, Any]] = []
    chars = 0
    for article in articles:
        size = len(article.get("text") or "")
        if batch and (len(batch) >= BATCH_ARTICLES or chars + size > BATCH_CHARS):
            yield batch
            batch, chars = [], 0
        batch.append(article)
        chars += size
    if batch:
        yield batch


def batch_job_id(keys: Keys, articles: list[dict[str, Any]]) -> str:
    """The article's own job id for a batch of one; else one derived from every article's id and version."""
    if len(articles) == 1:
        return keys.job_id(articles[0]["id"], articles[0].get("version", ""))
    digest = hashlib.sha1("\n".join(f"{a['id']}:{a.get('version', '')}" for a in articles).encode()).hexdigest()
    return keys.batch_job_id(digest[:32])


def enqueue_articles(queue: Queue, keys: Keys, articles: list[dict[str, Any]], *,
                     result_ttl: int = RESULT_TTL) -> Iterator[tuple[Job | None, list[dict[str, Any]]]]:
    """Queue articles (oldest first) in batches; yields each batch with its job, ``None`` when that job already existed.

    A generator, so the caller can record each batch as queued before the next
    one is sent. ``result_ttl``: seconds a finished job is kept (benchmarks use a short one).
    """
    for batch in batches(articles):
        yield enqueue_batch(queue, keys, batch, result_ttl=result_ttl), batch


def enqueue_article(queue: Queue, keys: Keys, article: dict[str, Any]) -> Job | None:
    """Queue one article as a job of its own; ``None`` when a job for this article version already exists."""
    return enqueue_batch(queue, keys, [article])


def enqueue_batch(queue: Queue, keys: Keys, articles: list[dict[str, Any]], *,
                  result_ttl: int = RESULT_TTL) -> Job | None:
    """Queue one batch, its articles put in flight first (``alerts/horizon.py``); ``None`` when a job with its id
    already exists."""
    job_id = batch_job_id(keys, articles)
    horizon = Horizon(queue.connection, keys)
    added = horizon.track(articles)
    try:
        return _enqueue(queue, job_id, articles, keys.prefix, result_ttl)
    except DuplicateJobError:
        existing = Job.fetch(job_id, connection=queue.connection, serializer=JSONSerializer)
        if added and existing.get_status() in _GONE:  # that job will not record them: nothing to wait for
            horizon.forget([a for a in articles if member(a) in added])
        return None
    except Exception:
        if added:
            with contextlib.suppress(redis.RedisError):
                horizon.forget([a for a in articles if member(a) in added])
        raise


def job_failed(job: Job, connection: redis.Redis, *_exc_info: object) -> None:
    """RQ's failure callback (each failed try): once no retry is left, the job's articles leave flight, and the
    ledger settles what waited for them."""
    if job.retries_left:
        return  # RQ retries it: its articles are still to be recorded
    from alerts.ledger import Ledger

    articles, prefix = job.args[0], job.args[1]
    keys = Keys(prefix)
    Horizon(connection, keys).forget(articles)
    log.warning("articles_out_of_flight", job_id=job.id, articles=[a.get("id") for a in articles])
    Ledger(connection, keys, seen_ttl=Settings.from_env().seen_ttl).settle()


def _enqueue(queue: Queue, job_id: str, articles: list[dict[str, Any]], prefix: str, result_ttl: int) -> Job:
    first = articles[0].get("url") or articles[0]["id"]
    more = f" and {len(articles) - 1} more" if len(articles) > 1 else ""
    return queue.enqueue(
        process_articles,
        articles,
        prefix,
        job_id=job_id,
        unique=True,
        retry=RETRY,
        on_failure=Callback(job_failed),
        result_ttl=result_ttl,
        failure_ttl=FAILURE_TTL,
        description=f"article {first}{more}",
    )


def preload() -> None:
    """Build the spaCy pipeline now, in the worker's process, before any job runs."""
    extractor()


def extractor() -> Extractor:
    """This process's extractor, built on first use."""
    global _extractor
    if _extractor is None:
        from worker.extract import Extractor

        started = time.perf_counter()
        _extractor = Extractor()
        log.info("extractor_ready", seconds=round(time.perf_counter() - started, 2))
    return _extractor


def _record(article: dict[str, Any]) -> dict[str, Any]:
    return {"text": article.get("text") or "", "title": article.get("title"),
            "published": (article.get("published") or "")[:10] or None}


def _events_of_all(articles: list[dict[str, Any]]) -> list[list[dict[str, Any]] | Exception]:
    """Each article's events, through spaCy in batches (``extract_many``); an article that breaks the
    extractor gets its exception in its place (found by reading the articles one by one), for the
    caller to log, count and fail visibly."""
    try:
        return _with_headline_events(articles, list(extractor().extract_many([_record(a) for a in articles])))
    except Exception as exc:  # noqa: BLE001 - returned, and raised again by the caller
        if len(articles) == 1:
            return [exc]
    out: list[list[dict[str, Any]] | Exception] = []
    for article in articles:
        try:
            out.append(_with_headline_events([article], [next(extractor().extract_many([_record(article)]))])[0])
        except Exception as exc:  # noqa: BLE001 - returned, and raised again by the caller
            out.append(exc)
    return out


def _with_headline_events(articles: list[dict[str, Any]], results: list) -> list:
    """contracts.md: an article's text comes "with the title". A headline mostly restates its body, and
    read beside it would report the body's figure twice, so it is read only for an article whose body
    gave no event (a feed item that is a headline and a line of teaser): its events then come from the
    title (``evidence`` the title, ``span`` within it)."""
    todo = [i for i, (a, r) in enumerate(zip(articles, results, strict=True)) if r == [] and str(a.get("title") or "").strip()]
    if todo:
        titles = [dict(_record(articles[i]), text=str(articles[i]["title"]), title=None) for i in todo]
        for i, events in zip(todo, extractor().extract_many(titles), strict=True):
            results[i] = events
    return results


def process_articles(articles: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    """Extract each article's transfer events, record them in the ledger and settle it; returns a summary.

    Extraction and the ledger's preparation run first for the whole batch, then
    the records (one round trip), then :meth:`Ledger.settle`, which decides on
    whatever no article in flight can precede any more. A lost Redis
    connection fails the batch (RQ retries it; the ledger skips what it already
    recorded); any other error in one article of several sends that article to
    a job of its own.
    """
    from rq import get_current_job

    from alerts.ledger import Ledger

    preload()
    job = get_current_job()
    if job is None:
        raise TransferwatchError("process_articles runs as an RQ job (it needs the job's connection and id)")
    connection = job.connection
    keys = Keys(prefix)
    alone = len(articles) == 1
    started = time.perf_counter()
    processed: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    structlog.contextvars.bind_contextvars(job_id=job.id)
    try:
        ledger = Ledger(connection, keys, seen_ttl=Settings.from_env().seen_ttl)
        ready = []  # (article, its events, what the ledger will record)
        for article, events in zip(articles, _events_of_all(articles), strict=True):
            with _article_context(article):
                try:
                    if isinstance(events, Exception):
                        raise ExtractionError(str(article["id"]), events) from events
                    ready.append((article, events, ledger.prepare(article, events)))
                except Exception as exc:
                    _log_failure(article, "extract" if isinstance(events, Exception) else "ledger", exc, job, alone)
                    if alone:
                        raise
                    failed.append(article)
        outcomes = ledger.record_many([prepared for _article, _events, prepared in ready])  # a lost connection raises
        for (article, events, _prepared), outcome in zip(ready, outcomes, strict=True):
            with _article_context(article):
                if isinstance(outcome, Exception):
                    error = LedgerError(f"article {article['id']}: the ledger script failed: {outcome}")
                    error.__cause__ = outcome
                    _log_failure(article, "ledger", error, job, alone)
                    if alone:
                        raise error
                    failed.append(article)
                    continue
                processed.append({"article": article["id"], "events": len(events), "entries": outcome})
                log.info("article_recorded", url=article.get("url"), events=len(events), entries=outcome)
        alerts = ledger.settle()
    except Exception:
        metrics.count(connection, keys, articles_failed=len(articles))
        raise
    finally:
        structlog.contextvars.unbind_contextvars("job_id")
    requeued = _requeue_alone(job, keys, failed) if failed else []
    seconds = time.perf_counter() - started
    metrics.count(connection, keys, articles_processed=len(processed), articles_failed=len(failed),
                  events_extracted=sum(p["events"] for p in processed),
                  alerts_raised=len(alerts), job_seconds=seconds)
    return {"articles": processed, "alerts": [a["id"] for a in alerts], "requeued": requeued,
            "seconds": round(seconds, 3)}


def _log_failure(article: dict[str, Any], step: str, error: BaseException, job: Job, alone: bool) -> None:
    """One error line per failed try of an article: its id, the exception (with traceback), and what comes next."""
    if not alone:
        then = "queued again as a job of its own"
    elif job.retries_left:
        then = f"retried by RQ ({job.retries_left} retries left)"
    else:
        then = "kept in RQ's failed registry"
    log.error("article_failed", article_id=article["id"], url=article.get("url"), feed=article.get("feed"),
              step=step, error=f"{type(error).__name__}: {error}", then=then, exc_info=error)


def process_article(article: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Jobs queued by versions before batching still name this function."""
    return process_articles([article], prefix)


def _requeue_alone(job: Job, keys: Keys, failed: list[dict[str, Any]]) -> list[str]:
    """Each failed article of a batch becomes a job of its own (with RQ's retries); returns their job ids."""
    queue = make_queue(job.connection, keys)
    ids = []
    for article in failed:
        queued = enqueue_article(queue, keys, article)
        ids.append(queued.id if queued else batch_job_id(keys, [article]))
    log.warning("articles_requeued_alone", jobs=ids)
    return ids


@contextlib.contextmanager
def _article_context(article: dict[str, Any]) -> Iterator[None]:
    with structlog.contextvars.bound_contextvars(article_id=article["id"], feed=article.get("feed")):
        yield
