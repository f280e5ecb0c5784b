"""Failures show (issue 13): an extractor that crashes on an article is no "nothing in this article".

The crash is injected into the real extractor (its event builder raises one of
the errors it used to swallow), and the article runs through a real RQ worker,
in this process, in burst mode, on the test Redis. What an operator sees is
checked: the log line with the article's id and the exception, RQ's retries,
the job kept in RQ's failed registry, and the counts of ``transferwatch health``
and the Prometheus metrics.
"""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from rq import Retry
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer
from structlog.testing import capture_logs

from worker import jobs, metrics
from worker.jobs import enqueue_article, enqueue_articles, make_queue
from worker.workers import ArticleWorker

TRIES = 1 + jobs.RETRY.max


def article(n: int) -> dict:
    return {"id": f"a{n}", "version": "v1", "feed": "wire", "source": "Wire", "url": f"https://example.org/{n}",
            "title": "t", "text": f"North Korea has sent {n},000 troops to Russia.",
            "published": f"2024-11-{n:02d}T08:00:00+00:00", "fingerprint": f"f{n}"}


@pytest.fixture
def crashing_extractor(monkeypatch):
    """The real extractor, whose step pipeline raises a KeyError (one of the five types ``_events`` used to
    swallow) on every relevant article."""
    from worker.extract.pipeline import Pipeline

    jobs.preload()

    def crash(self, sentences, published):
        raise KeyError("injected crash")

    monkeypatch.setattr(Pipeline, "__call__", crash)
    # the production number of retries, without the minutes between them (RQ requeues at once with no interval)
    monkeypatch.setattr(jobs, "RETRY", Retry(max=jobs.RETRY.max))


def scrape(redis_client, keys) -> str:
    server = metrics.serve(0, redis_client, keys)
    try:
        return httpx.get(f"http://127.0.0.1:{server.server_port}/metrics", timeout=5).text
    finally:
        server.shutdown()
        server.server_close()


def test_an_extractor_crash_is_logged_retried_kept_failed_and_counted(crashing_extractor, redis_client, keys,
                                                                       service_env):
    queue = make_queue(redis_client, keys)
    job = enqueue_article(queue, keys, article(1))
    assert job is not None
    with capture_logs() as logs:
        ArticleWorker([queue], connection=redis_client, serializer=JSONSerializer).work(burst=True)

    failures = [e for e in logs if e["event"] == "article_failed"]
    assert len(failures) == TRIES  # the first try and every retry
    for entry in failures:
        assert (entry["article_id"], entry["step"], entry["log_level"]) == ("a1", "extract", "error")
        assert entry["error"] == "ExtractionError: article a1: extractor raised KeyError: 'injected crash'"
        assert isinstance(entry["exc_info"].__cause__, KeyError)  # the traceback reaches the builder
    assert [e["then"] for e in failures] == [
        *(f"retried by RQ ({n} retries left)" for n in range(jobs.RETRY.max, 0, -1)), "kept in RQ's failed registry"]

    job = Job.fetch(job.id, connection=redis_client, serializer=JSONSerializer)
    assert (job.get_status(), job.retries_left) == ("failed", 0)
    assert FailedJobRegistry(queue=queue).get_job_ids() == [job.id]
    result = job.latest_result()
    assert result is not None and result.exc_string is not None
    assert "KeyError: 'injected crash'" in result.exc_string
    assert jobs.FAILURE_TTL - 60 < redis_client.ttl(job.key) <= jobs.FAILURE_TTL  # kept a month for inspection
    assert "ExtractionError: article a1: extractor raised KeyError" in result.exc_string
    assert redis_client.xlen(keys.alerts_stream) == 0

    health = subprocess.run([sys.executable, "-m", "worker", "health"], env=service_env, capture_output=True,
                            text=True, timeout=60)
    assert health.stdout.splitlines()[1] == f"failed article jobs: 1 in RQ's failed registry; failed tries: {TRIES}"

    body = scrape(redis_client, keys)
    assert f"transferwatch_articles_failed_total {TRIES}.0" in body
    assert "transferwatch_failed_jobs 1.0" in body
    assert "transferwatch_articles_processed_total 0.0" in body


def test_a_crash_in_a_batch_sends_each_article_to_a_job_of_its_own_and_logs_each(crashing_extractor, redis_client,
                                                                                  keys):
    queue = make_queue(redis_client, keys)
    [(batch, _)] = enqueue_articles(queue, keys, [article(1), article(2)])
    assert batch is not None
    with capture_logs() as logs:
        ArticleWorker([queue], connection=redis_client, serializer=JSONSerializer).work(burst=True)

    in_batch = [e for e in logs if e["event"] == "article_failed" and e["then"].startswith("queued again")]
    assert [e["article_id"] for e in in_batch] == ["a1", "a2"]
    assert Job.fetch(batch.id, connection=redis_client, serializer=JSONSerializer).get_status() == "finished"
    assert sorted(FailedJobRegistry(queue=queue).get_job_ids()) == [keys.job_id("a1", "v1"), keys.job_id("a2", "v1")]
    body = scrape(redis_client, keys)
    assert f"transferwatch_articles_failed_total {2 + 2 * TRIES}.0" in body  # once in the batch, then every try alone
