"""The RQ worker that runs article jobs, and recovery of the job a dead worker leaves behind.

Article jobs take milliseconds, and RQ's default worker forks a work horse for
every job, which costs more than the job itself (measured in
``bench/bench_service.py``). So the article queue is worked by a non-forking
worker: the spaCy pipeline is built once, in the process that runs every job.
What the fork bought, isolation from a crashing job, is given back by the
supervisor: ``transferwatch run`` restarts a worker that dies and, through
:func:`recover_jobs_of`, hands its unfinished job to RQ's abandoned-job path at
once (retried while it has retries left, else failed), instead of waiting for
the job's heartbeat to expire. Standalone workers on other machines still get
RQ's own recovery once that heartbeat expires.
"""

from __future__ import annotations

import redis
import structlog
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer
from rq.worker import SimpleWorker

from worker.jobs import make_queue
from worker.keys import Keys

log = structlog.get_logger(__name__)


class ArticleWorker(SimpleWorker):
    """Runs article jobs in its own process: no fork per job, pipeline loaded once."""


def recover_jobs_of(connection: redis.Redis, keys: Keys, worker_name: str) -> list[str]:
    """Mark the jobs a dead worker was running as abandoned now, so RQ retries them; returns their ids."""
    queue = make_queue(connection, keys)
    registry = StartedJobRegistry(queue=queue)
    members = connection.zrange(registry.key, 0, -1)
    recovered = []
    for member in members:
        job_id = registry.parse_job_id(member)
        job = Job.fetch_many([job_id], connection=connection, serializer=JSONSerializer)[0]
        if job is None or job.worker_name != worker_name or job.get_status(refresh=False) != JobStatus.STARTED:
            continue
        connection.zadd(registry.key, {member: 1}, xx=True)  # expired long ago: cleanup() takes it
        recovered.append(job_id)
    if recovered:
        registry.cleanup()
        log.warning("jobs_recovered_from_dead_worker", worker=worker_name, jobs=recovered)
    return recovered
