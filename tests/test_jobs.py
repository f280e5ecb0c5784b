"""Article jobs carry batches: how they are cut, named, run, retried, and what a bad article in one does."""

from __future__ import annotations

from rq.job import Job
from rq.serializers import JSONSerializer

from alerts.horizon import Horizon
from alerts.ledger import Ledger
from worker import jobs
from worker.jobs import BATCH_ARTICLES, BATCH_CHARS, batch_job_id, batches, enqueue_articles, make_queue
from worker.workers import ArticleWorker


def article(n: int, troops: int = 1000, text: str | None = None) -> dict:
    return {"id": f"a{n}", "version": "v1", "feed": "wire", "source": "Wire", "url": f"https://example.org/{n}",
            "title": "t", "text": text if text is not None else f"North Korea has sent {troops:,} troops to Russia.",
            "published": f"2024-11-{n:02d}T08:00:00+00:00", "fingerprint": f"f{n}"}


def run_worker(redis_client, queue) -> None:
    ArticleWorker([queue], connection=redis_client, serializer=JSONSerializer).work(burst=True)


def troop_figure(redis_client, keys) -> dict:
    """The troops metric's current figure (a KeyError when the ledger has none)."""
    figures = {f["id"]: f for f in Ledger(redis_client, keys).figures()}
    return figures["PRK:RUS:troops:soldiers"]["current"]


def test_batches_keep_order_and_respect_both_limits():
    many = [article(n % 28 + 1) | {"id": f"a{n}"} for n in range(BATCH_ARTICLES * 2 + 3)]
    cut = list(batches(many))
    assert [len(b) for b in cut] == [BATCH_ARTICLES, BATCH_ARTICLES, 3]
    assert [a["id"] for b in cut for a in b] == [a["id"] for a in many]

    big = [article(1, text="x" * (BATCH_CHARS - 100)), article(2), article(3, text="y" * (BATCH_CHARS + 1)), article(4)]
    assert [[a["id"] for a in b] for b in batches(big)] == [["a1", "a2"], ["a3"], ["a4"]]  # an oversized one goes alone


def test_a_batch_of_one_has_its_articles_job_id_and_a_bigger_one_an_id_from_its_contents(keys):
    assert batch_job_id(keys, [article(1)]) == keys.job_id("a1", "v1")
    two = batch_job_id(keys, [article(1), article(2)])
    assert two.startswith(f"{keys.prefix}-batch-") and two == batch_job_id(keys, [article(1), article(2)])
    assert two != batch_job_id(keys, [article(1), article(2) | {"version": "v2"}])


def test_the_same_batch_is_queued_once(redis_client, keys):
    queue = make_queue(redis_client, keys)
    first = list(enqueue_articles(queue, keys, [article(1), article(2)]))
    again = list(enqueue_articles(queue, keys, [article(1), article(2)]))
    assert first[0][0] is not None and again[0][0] is None
    assert queue.count == 1


def test_a_batch_applies_its_articles_in_order(redis_client, keys):
    queue = make_queue(redis_client, keys)
    [(job, _)] = enqueue_articles(queue, keys, [article(1, 1000), article(2, 2000), article(3, 3000)])
    assert job is not None
    run_worker(redis_client, queue)

    job = Job.fetch(job.id, connection=redis_client, serializer=JSONSerializer)
    result = job.return_value()
    assert job.get_status() == "finished" and result is not None
    assert [a["article"] for a in result["articles"]] == ["a1", "a2", "a3"]
    assert troop_figure(redis_client, keys)["value"] == 3000  # two increases, applied oldest first


def test_a_finished_job_and_its_result_expire_within_the_result_ttl(redis_client, keys):
    # a finished job's hash holds its articles' full text: kept an hour, not a week (worker/jobs.py)
    assert jobs.RESULT_TTL == 3600
    queue = make_queue(redis_client, keys)
    [(job, _)] = enqueue_articles(queue, keys, [article(1), article(2)])
    [(short, _)] = enqueue_articles(queue, keys, [article(3)], result_ttl=30)
    assert job is not None and short is not None
    run_worker(redis_client, queue)
    assert Job.fetch(job.id, connection=redis_client, serializer=JSONSerializer).get_status() == "finished"
    assert jobs.RESULT_TTL - 60 < redis_client.ttl(job.key) <= jobs.RESULT_TTL
    assert 0 < redis_client.ttl(short.key) <= 30
    results = list(redis_client.scan_iter(match=f"*results*{job.id}"))
    assert results and all(0 < redis_client.ttl(r) <= jobs.RESULT_TTL for r in results)


def test_an_article_queued_again_in_another_batch_raises_no_alert_twice(redis_client, keys):
    # a poller that died after queueing a batch but before marking it seen queues it again next time, with newcomers
    queue = make_queue(redis_client, keys)
    list(enqueue_articles(queue, keys, [article(1, 1000), article(2, 2000)]))
    run_worker(redis_client, queue)
    assert redis_client.xlen(keys.alerts_stream) == 2  # first report, then an increase

    [(job, _)] = enqueue_articles(queue, keys, [article(1, 1000), article(2, 2000), article(3, 3000)])
    assert job is not None
    run_worker(redis_client, queue)
    result = Job.fetch(job.id, connection=redis_client, serializer=JSONSerializer).return_value()
    assert result is not None and [a["entries"] for a in result["articles"]] == [0, 0, 1]
    assert len(result["alerts"]) == 1 and redis_client.xlen(keys.alerts_stream) == 3
    assert Horizon(redis_client, keys).in_flight() == []


class BuggyExtractor:
    """The real extractor, except that it breaks on any batch holding the word 'poison'."""

    def __init__(self, real) -> None:
        self.real = real

    def extract_many(self, records):
        if any("poison" in r["text"] for r in records):
            raise ValueError("an extractor bug on odd input")
        return self.real.extract_many(records)


def test_a_bad_article_leaves_its_batch_and_fails_alone(redis_client, keys, monkeypatch):
    jobs.preload()
    monkeypatch.setattr(jobs, "_extractor", BuggyExtractor(jobs._extractor))  # fault injection: the worker runs here
    queue = make_queue(redis_client, keys)
    poison = article(2, text="poison")
    [(job, _)] = enqueue_articles(queue, keys, [article(1, 1000), poison, article(3, 3000)])
    assert job is not None
    ArticleWorker([queue], connection=redis_client, serializer=JSONSerializer).work(burst=True, max_jobs=1)

    result = Job.fetch(job.id, connection=redis_client, serializer=JSONSerializer).return_value()
    assert result is not None and [a["article"] for a in result["articles"]] == ["a1", "a3"]
    assert result["requeued"] == [keys.job_id("a2", "v1")]
    # a2 (published between a1 and a3) is in flight again, in its own job: a3's figure waits for it
    assert [name for name, _ts in Horizon(redis_client, keys).in_flight()] == ["a2:v1"]
    assert troop_figure(redis_client, keys)["value"] == 1000 and Ledger(redis_client, keys).pending() == 1

    alone = Job.fetch(keys.job_id("a2", "v1"), connection=redis_client, serializer=JSONSerializer)
    assert alone.args[0] == [poison] and alone.retries_left == jobs.RETRY.max


def test_a_job_that_fails_for_good_leaves_flight_and_the_ledger_settles_past_it(redis_client, keys, monkeypatch):
    jobs.preload()
    monkeypatch.setattr(jobs, "_extractor", BuggyExtractor(jobs._extractor))
    queue = make_queue(redis_client, keys)
    list(enqueue_articles(queue, keys, [article(1, 1000), article(2, text="poison"), article(3, 3000)]))
    ArticleWorker([queue], connection=redis_client, serializer=JSONSerializer).work(burst=True, max_jobs=1)
    alone = Job.fetch(keys.job_id("a2", "v1"), connection=redis_client, serializer=JSONSerializer)
    alone.retries_left = 1  # its last try: RQ retries it once more, and it stays in flight
    alone.save()

    ArticleWorker([queue], connection=redis_client, serializer=JSONSerializer).work(burst=True, max_jobs=1)
    assert alone.get_status() == "scheduled" and [n for n, _ in Horizon(redis_client, keys).in_flight()] == ["a2:v1"]
    assert troop_figure(redis_client, keys)["value"] == 1000

    queue.enqueue_job(Job.fetch(alone.id, connection=redis_client, serializer=JSONSerializer))  # due now
    ArticleWorker([queue], connection=redis_client, serializer=JSONSerializer).work(burst=True, max_jobs=1)
    assert alone.get_status() == "failed"
    assert Horizon(redis_client, keys).in_flight() == []
    assert troop_figure(redis_client, keys)["value"] == 3000 and Ledger(redis_client, keys).pending() == 0
    run_worker(redis_client, queue)
    assert alone.get_status() in ("scheduled", "failed")  # its own retries, then the failed registry: visible, not lost


def test_a_headline_is_read_only_when_its_body_gives_no_event(redis_client, keys):
    """contracts.md: an article's text comes with its title; a headline restating its body adds nothing."""
    headline_only = article(1, text="The ministry gave no further details.") | {
        "title": "North Korea sends 5,000 drones to Russia"}
    restated = article(2, troops=12000) | {"title": "North Korea sent 11,000 troops to Russia, Seoul says"}
    queue = make_queue(redis_client, keys)
    [(job, _)] = enqueue_articles(queue, keys, [headline_only, restated])
    run_worker(redis_client, queue)

    figures = {f["id"]: f for f in Ledger(redis_client, keys).figures()}
    assert figures["PRK:RUS:drones:drones"]["current"]["value"] == 5000
    assert figures["PRK:RUS:drones:drones"]["current"]["evidence"] == "North Korea sends 5,000 drones to Russia"
    # the body's figure only, not the headline's as well
    assert [h["value"] for h in figures["PRK:RUS:troops:soldiers"]["history"]] == [12000]


def test_the_worker_keeps_processed_markers_for_the_seen_window(redis_client, keys, monkeypatch):
    monkeypatch.setenv("TRANSFERWATCH_SEEN_DAYS", "2")  # read by the worker (Settings.from_env)
    queue = make_queue(redis_client, keys)
    list(enqueue_articles(queue, keys, [article(1, 1000)]))
    run_worker(redis_client, queue)
    assert troop_figure(redis_client, keys)["value"] == 1000
    assert 2 * 86400 - 60 < redis_client.ttl(keys.processed_article("a1")) <= 2 * 86400
