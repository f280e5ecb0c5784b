"""The article worker's warm stop, and jobs left between "taken" and "started" by a worker that died."""

from __future__ import annotations

import time

from rq.intermediate_queue import IntermediateQueue
from rq.job import Job
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer

from alerts.horizon import Horizon
from worker.jobs import enqueue_article, make_queue
from worker.service import queue_is_drained
from worker.workers import ArticleWorker, recover_jobs_of, release_stranded_jobs


def article(n: int = 1) -> dict:
    return {"id": f"a{n}", "version": "v1", "feed": "wire", "source": "Wire", "url": f"https://example.org/{n}",
            "title": "t", "text": "North Korea has sent 1,000 troops to Russia.", "published": "2024-11-01T08:00:00+00:00",
            "fingerprint": f"f{n}"}


def queued(queue, keys, one: dict) -> Job:
    """``enqueue_article`` of an article not queued before: its new job."""
    job = enqueue_article(queue, keys, one)
    assert job is not None
    return job


def take_without_starting(redis_client, queue) -> str:
    """What a worker does first when it takes a job (RQ's LMOVE), and nothing more: as if it died right after."""
    job_id = redis_client.lmove(queue.key, IntermediateQueue.get_intermediate_queue_key(queue.key))
    return job_id.decode()


def test_a_stop_requested_while_idle_takes_no_job_and_raises_nothing(redis_client, keys):
    queue = make_queue(redis_client, keys)
    job = queued(queue, keys, article())
    worker = ArticleWorker([queue], connection=redis_client, serializer=JSONSerializer)
    worker._shutdown()  # what SIGTERM runs; RQ's own version raises StopRequested here when idle

    assert worker.work(burst=False) is False
    assert queue.job_ids == [job.id]
    assert redis_client.llen(IntermediateQueue.get_intermediate_queue_key(queue.key)) == 0


def test_a_worker_without_a_stop_runs_the_job(redis_client, keys):
    queue = make_queue(redis_client, keys)
    job = queued(queue, keys, article())
    worker = ArticleWorker([queue], connection=redis_client, serializer=JSONSerializer)

    assert worker.work(burst=True) is True
    assert Job.fetch(job.id, connection=redis_client, serializer=JSONSerializer).get_status() == "finished"


def test_a_job_taken_but_never_started_is_put_back_once_it_is_old_enough(redis_client, keys):
    queue = make_queue(redis_client, keys)
    job = queued(queue, keys, article())
    assert take_without_starting(redis_client, queue) == job.id
    assert queue.count == 0
    assert not queue_is_drained(queue, [job.id]), "a taken job is not done"

    assert release_stranded_jobs(redis_client, keys) == []  # first sighting: a live worker may be about to start it
    assert release_stranded_jobs(redis_client, keys, older_than=0) == [job.id]
    assert queue.job_ids == [job.id]
    assert redis_client.llen(IntermediateQueue.get_intermediate_queue_key(queue.key)) == 0

    ArticleWorker([queue], connection=redis_client, serializer=JSONSerializer).work(burst=True)
    assert queue_is_drained(queue, [job.id])


def test_a_taken_job_that_is_running_is_left_alone(redis_client, keys):
    queue = make_queue(redis_client, keys)
    job = queued(queue, keys, article())
    take_without_starting(redis_client, queue)
    registry = StartedJobRegistry(queue=queue)
    redis_client.zadd(registry.key, {f"{job.id}:execution-1": time.time() + 60})  # what RQ writes when it starts a job

    assert release_stranded_jobs(redis_client, keys, older_than=0) == []
    assert queue.count == 0


def test_default_heartbeats_are_sent_at_most_once_a_second_but_explicit_ones_always(redis_client, keys):
    worker = ArticleWorker([make_queue(redis_client, keys)], connection=redis_client, serializer=JSONSerializer)
    worker.register_birth()
    try:
        worker.heartbeat()
        first = redis_client.hget(worker.key, "last_heartbeat")
        worker.heartbeat()
        assert redis_client.hget(worker.key, "last_heartbeat") == first
        worker.heartbeat(timeout=600)
        assert redis_client.hget(worker.key, "last_heartbeat") != first
        assert redis_client.ttl(worker.key) > 480
    finally:
        worker.register_death()
        redis_client.delete(worker.key)


def test_a_job_its_worker_died_on_before_starting_it_is_recovered_at_once(redis_client, keys):
    """RQ registers a job's execution (worker name and all) a moment before it marks the job started; a
    worker SIGKILLed in that moment left the job to wait minutes for RQ's registry entry to expire."""
    from rq.executions import prepare_execution

    queue = make_queue(redis_client, keys)
    job = queued(queue, keys, article())
    take_without_starting(redis_client, queue)
    dead = ArticleWorker([queue], name="dead-1", connection=redis_client, serializer=JSONSerializer)
    prepare_execution(dead, job)  # what the worker does next; then it is killed
    registry = StartedJobRegistry(queue=queue)
    assert registry.count == 1 and Job.fetch(job.id, connection=redis_client, serializer=JSONSerializer).worker_name in (
        None, "")

    assert recover_jobs_of(redis_client, keys, "somebody-else") == []
    assert recover_jobs_of(redis_client, keys, "dead-1") == [job.id]
    assert (queue.job_ids, registry.count) == ([job.id], 0)
    assert redis_client.llen(IntermediateQueue.get_intermediate_queue_key(queue.key)) == 0
    assert Horizon(redis_client, keys).in_flight()[0][0] == "a1:v1", "its article is still to be recorded"

    ArticleWorker([queue], connection=redis_client, serializer=JSONSerializer).work(burst=True)
    assert Job.fetch(job.id, connection=redis_client, serializer=JSONSerializer).get_status() == "finished"
    assert Horizon(redis_client, keys).in_flight() == []
    redis_client.delete(dead.key)
