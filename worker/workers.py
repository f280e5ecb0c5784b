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
from rq import Queue
from rq.executions import Execution
from rq.intermediate_queue import IntermediateQueue
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer
from rq.utils import now as time_now
from rq.worker import SimpleWorker

from worker.jobs import make_queue
from worker.keys import Keys

log = structlog.get_logger(__name__)


STOP_CHECK_SECONDS = 1  # how long one wait for a job lasts before the stop flag is looked at again
HEARTBEAT_EVERY_SECONDS = 1.0  # worker TTL is minutes; more beats only cost round trips
STRANDED_AFTER_SECONDS = 10.0  # a live worker registers the job it took within milliseconds
_TERMINAL = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}


class ArticleWorker(SimpleWorker):
    """Runs article jobs in its own process: no fork per job, pipeline loaded once."""

    def _shutdown(self) -> None:
        """Warm stop: finish what is in hand, take nothing new; never raise mid-dequeue (see module doc).

        Runs in a signal handler, so it only sets a flag: a Redis call here could
        wait on a connection-pool lock the interrupted code holds.
        """
        self._stop_requested = True

    def heartbeat(self, timeout: int | None = None, pipeline=None) -> None:
        """RQ beats up to five times per job; a beat with the default TTL is sent at most once a second.

        Beats with their own TTL or inside RQ's job-start transaction always go
        through. Measured: 24% more jobs per second (bench/bench_service.py).
        """
        last = getattr(self, "last_heartbeat", None)
        if timeout is None and pipeline is None and last is not None:
            if (time_now() - last).total_seconds() < HEARTBEAT_EVERY_SECONDS:
                return
        super().heartbeat(timeout, pipeline)

    def dequeue_job_and_maintain_ttl(self, timeout: int | None, max_idle_time: int | None = None):
        """Wait for a job in slices of ``STOP_CHECK_SECONDS``; ``None`` once a stop is requested or idle too long.

        ``timeout=None`` is RQ's burst mode (take a job if there is one, never
        wait), passed through unchanged.
        """
        if timeout is None:
            return None if self._stop_requested else super().dequeue_job_and_maintain_ttl(None, max_idle_time)
        waited = 0
        while not self._stop_requested:
            if max_idle_time is not None and waited >= max_idle_time:
                return None
            result = super().dequeue_job_and_maintain_ttl(STOP_CHECK_SECONDS, max_idle_time=STOP_CHECK_SECONDS)
            if result is not None:
                return result
            waited += STOP_CHECK_SECONDS
        return None


def recover_jobs_of(connection: redis.Redis, keys: Keys, worker_name: str) -> list[str]:
    """Hand the jobs a dead worker had taken back to RQ now; returns their ids.

    RQ records a job's execution, with the worker's name, in the started registry
    a moment before it marks the job itself started. A started job goes down
    RQ's abandoned-job path at once (retried while it has retries left, else
    failed); a job the worker died on in that moment is put back on the queue
    (RQ's own cleanup would only drop its registry entry, and the job would wait
    minutes for the entry to expire).
    """
    queue = make_queue(connection, keys)
    registry = StartedJobRegistry(queue=queue)
    members = [_text(m) for m in connection.zrange(registry.key, 0, -1)]
    recovered: list[str] = []
    started = False
    for member in members:
        job_id = registry.parse_job_id(member)
        job = Job.fetch_many([job_id], connection=connection, serializer=JSONSerializer)[0]
        owner = _text(connection.hget(Execution.from_composite_key(member, connection).key, "worker_name") or b"")
        if job is None or worker_name not in (job.worker_name, owner):
            continue
        status = job.get_status(refresh=False)
        if status == JobStatus.STARTED:
            connection.zadd(registry.key, {member: 1}, xx=True)  # expired long ago: cleanup() takes it
            started = True
        elif status not in _TERMINAL:  # taken, never started
            connection.zrem(registry.key, member)
            _put_back(connection, queue, job_id)
        else:
            continue
        recovered.append(job_id)
    if recovered:
        if started:
            registry.cleanup()
        log.warning("jobs_recovered_from_dead_worker", worker=worker_name, jobs=recovered)
    return recovered


def _put_back(connection: redis.Redis, queue: Queue, job_id: str) -> bool:
    """Move a job a worker took (RQ's intermediate list) back to the front of its queue; False if it is gone."""
    intermediate = IntermediateQueue(queue.key, connection)
    with connection.pipeline() as pipe:
        pipe.lrem(intermediate.key, 1, job_id)
        pipe.delete(intermediate.get_first_seen_key(job_id))
        pipe.execute()
    if not connection.exists(Job.key_for(job_id)):
        return False
    queue.push_job_id(job_id, at_front=True)
    return True


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def release_stranded_jobs(connection: redis.Redis, keys: Keys, older_than: float = STRANDED_AFTER_SECONDS) -> list[str]:
    """Put back on the queue the jobs a worker took but never started (it died in between); returns their ids.

    RQ moves a job to an intermediate list when a worker takes it and removes
    it once the job is registered as started. A job that stays there, not
    started, for ``older_than`` seconds belongs to a worker that is gone.
    """
    queue = make_queue(connection, keys)
    intermediate = IntermediateQueue(queue.key, connection)
    started = StartedJobRegistry(queue=queue)
    released = []
    for job_id in intermediate.get_job_ids():
        if job_id in started:
            continue
        intermediate.set_first_seen(job_id)
        first_seen = intermediate.get_first_seen(job_id)
        if first_seen is None or (time_now() - first_seen).total_seconds() < older_than:
            continue
        if _put_back(connection, queue, job_id):
            released.append(job_id)
    if released:
        log.warning("stranded_jobs_released", jobs=released)
    return released
