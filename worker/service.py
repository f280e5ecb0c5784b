"""``transferwatch run``: the poller, N RQ workers and the alert dispatcher (and with ``--web`` the
dashboard), supervised together.

Workers run as child processes (``python -m worker worker``) in their own
session, so a Ctrl-C in the terminal reaches only this process, which then
stops them warmly (SIGTERM: RQ lets the running job finish). A second signal
stops them cold. A worker that dies is restarted. ``--once`` polls every due
feed once, waits until each queued article is processed and each alert
delivered, then exits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis
import structlog
from rq import Queue
from rq.intermediate_queue import IntermediateQueue
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer

from worker.connection import EmbeddedRedis, connect, wait_for_redis
from worker.errors import RedisUnavailable
from worker.heartbeats import instance_name
from worker.jobs import make_queue
from worker.keys import Keys
from worker.settings import Settings
from worker.workers import recover_jobs_of, release_stranded_jobs

log = structlog.get_logger(__name__)

RELEASE_EVERY_SECONDS = 5.0
ONCE_REDIS_ATTEMPTS = 6  # tries (0.5 s, doubling) before `run --once`, `poll --once` give up on an unreachable Redis
_TERMINAL = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}


def queue_is_drained(queue: Queue, job_ids: list[str]) -> bool:
    """True when every given job is finished for good and nothing is queued, taken, running or awaiting retry."""
    if queue.count or StartedJobRegistry(queue=queue).count or ScheduledJobRegistry(queue=queue).count:
        return False
    if queue.connection.llen(IntermediateQueue.get_intermediate_queue_key(queue.key)):
        return False  # taken by a worker, not yet registered as started (or stranded: see release_stranded_jobs)
    for job in Job.fetch_many(job_ids, connection=queue.connection, serializer=JSONSerializer):
        if job is not None and job.get_status(refresh=False) not in _TERMINAL:
            return False
    return True


@dataclass
class WorkerPool:
    """N ``transferwatch worker`` child processes; one that dies is restarted and its job recovered."""

    size: int
    env: dict[str, str] = field(repr=False)  # holds REDIS_URL, password and all
    connection: redis.Redis
    keys: Keys
    procs: list[subprocess.Popen] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    _spawned: int = 0
    _next_release: float = 0.0

    def _spawn(self) -> tuple[subprocess.Popen, str]:
        self._spawned += 1
        name = f"{instance_name('worker')}-{self._spawned}"
        proc = subprocess.Popen(
            [sys.executable, "-m", "worker", "worker", "--name", name],
            env=self.env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        return proc, name

    def start(self) -> None:
        spawned = [self._spawn() for _ in range(self.size)]
        self.procs = [p for p, _ in spawned]
        self.names = [n for _, n in spawned]
        log.info("workers_started", count=self.size, pids=[p.pid for p in self.procs])

    def supervise(self) -> None:
        """Restart dead workers, recovering their jobs; every few seconds, put back jobs taken but never started."""
        for i, proc in enumerate(self.procs):
            code = proc.poll()
            if code is not None:
                log.warning("worker_died", pid=proc.pid, exit_code=code, worker=self.names[i])
                try:
                    recover_jobs_of(self.connection, self.keys, self.names[i])
                except redis.RedisError as exc:
                    log.warning("job_recovery_failed", worker=self.names[i], error=str(exc))
                self.procs[i], self.names[i] = self._spawn()
        if time.monotonic() >= self._next_release:
            self._next_release = time.monotonic() + RELEASE_EVERY_SECONDS
            try:
                release_stranded_jobs(self.connection, self.keys)
            except redis.RedisError as exc:
                log.warning("job_recovery_failed", error=str(exc))

    def stop(self, timeout: float = 60.0) -> None:
        """Warm stop: SIGTERM lets each worker finish its job; stragglers are killed after ``timeout``."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("worker_killed", pid=proc.pid)
                proc.kill()
                proc.wait()

    def kill(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()


class Service:
    """Everything ``transferwatch run`` starts, and its orderly stop."""

    def __init__(self, settings: Settings, feeds_path: Path, workers: int = 2, web_socket=None):
        self.settings = settings
        self.web_socket = web_socket  # a bound socket: also serve the dashboard on it (``run --web``)
        self.feeds_path = feeds_path
        self.keys = Keys(settings.prefix)
        self.workers = workers
        self.stop_event = threading.Event()
        self._signals = 0
        self.connection: redis.Redis | None = None
        self.embedded: EmbeddedRedis | None = None
        self.pool: WorkerPool | None = None

    # --- lifecycle -----------------------------------------------------------
    def _connect(self, attempts: int = 0) -> tuple[redis.Redis, WorkerPool] | None:
        """Connect (or start the embedded server) and make the worker pool; None when stopped while Redis was
        still unreachable, or after ``attempts`` failed tries (0: try until stopped)."""
        self.connection, self.embedded = connect(self.settings)
        try:
            reached = wait_for_redis(self.connection, self.settings.redis_url, attempts=attempts, stop=self.stop_event)
        except RedisUnavailable as exc:
            log.error("redis_unreachable_giving_up", error=str(exc), attempts=attempts)
            reached = False
        if not reached:
            self._shutdown()
            return None
        url = self.embedded.url if self.embedded is not None else str(self.settings.redis_url)
        env = dict(os.environ, REDIS_URL=url, TRANSFERWATCH_PREFIX=self.settings.prefix)
        self.pool = WorkerPool(self.workers, env, self.connection, self.keys)
        return self.connection, self.pool

    def _on_signal(self, signum, _frame) -> None:
        self._signals += 1
        if self._signals == 1:
            log.info("stopping", signal=signal.Signals(signum).name, hint="send again to stop at once")
            self.stop_event.set()
        else:
            log.warning("stopping_now", signal=signal.Signals(signum).name)
            if self.pool:
                self.pool.kill()
            os._exit(1)

    def _install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _shutdown(self) -> None:
        if self.pool:
            self.pool.stop()
        if self.embedded:
            self.embedded.stop()

    # --- modes ---------------------------------------------------------------
    def run_forever(self) -> int:
        from alerts.dispatch import Dispatcher
        from worker.poller import Poller

        self._install_signals()
        connected = self._connect()
        if connected is None:
            return 1
        connection, pool = connected
        poller = Poller(connection, self.keys, self.feeds_path, seen_ttl=self.settings.seen_ttl)
        dispatcher = Dispatcher(connection, self.keys)
        failed = False
        threads = [
            threading.Thread(target=poller.run, args=(self.stop_event,), name="poller", daemon=True),
            threading.Thread(target=dispatcher.run, args=(self.stop_event,), name="dispatch", daemon=True),
        ]
        web = None
        if self.web_socket is not None:  # made before anything starts: a bad app fails the start, not a thread
            from worker.web.config import WebConfig
            from worker.web.server import WebThread

            url = self.embedded.url if self.embedded is not None else str(self.settings.redis_url)
            web = WebThread(WebConfig.from_settings(self.settings, url, self.feeds_path), self.web_socket)
            threads.append(web.thread)
        pool.start()
        for thread in threads:
            thread.start()
        if web is not None:
            log.info("web_started", url=web.url)
        if self.settings.metrics_port:
            from worker import metrics

            metrics.serve(self.settings.metrics_port, connection, self.keys, self.settings.metrics_addr)
        log.info("service_started", feeds=str(self.feeds_path), workers=self.workers, prefix=self.settings.prefix,
                 redis=self.settings.redis_url_redacted or "embedded")
        try:
            while not self.stop_event.wait(1.0):
                pool.supervise()
                for thread in threads:
                    if not thread.is_alive():
                        log.error("component_died", component=thread.name)
                        failed = True
                        self.stop_event.set()
        finally:
            self.stop_event.set()
            if web is not None:
                web.stop()
            for thread in threads:
                thread.join(timeout=30)
            poller.close()
            dispatcher.close()
            self._shutdown()
        log.info("service_stopped")
        return 1 if failed else 0

    def _settle(self, connection: redis.Redis) -> None:
        """Every job done: settle the ledger (the workers did, unless a poll held it then); say what still waits."""
        from alerts.horizon import Horizon
        from alerts.ledger import Ledger

        Ledger(connection, self.keys, seen_ttl=self.settings.seen_ttl).settle()
        waiting = Horizon(connection, self.keys).in_flight()
        if waiting:
            log.warning("ledger_waits_for_articles_in_flight", count=len(waiting),
                        articles=[name for name, _ts in waiting[:20]],
                        hint="entries published after these settle once they are recorded or their jobs fail for good")

    def run_once(self, timeout: float = 3600.0, delivery_timeout: float = 120.0) -> int:
        """Poll due feeds once, process every queued article, deliver every alert, then stop.

        Deliveries that still fail after ``delivery_timeout`` seconds (a receiver
        that is down) do not hold the run for the dispatcher's whole backoff
        schedule: they stay scheduled in Redis, the next run or a running
        dispatcher delivers them, and this run exits 1 saying so.
        """
        from alerts.dispatch import Dispatcher
        from worker.poller import Poller

        self._install_signals()
        connected = self._connect(attempts=ONCE_REDIS_ATTEMPTS)  # a script's run must end: ~15 s of retries, then exit 1
        if connected is None:
            return 1
        connection, pool = connected
        try:
            pool.start()  # the workers load their pipelines while the feeds are polled
            with Poller(connection, self.keys, self.feeds_path, seen_ttl=self.settings.seen_ttl) as poller:
                report = poller.tick(once=True)
            job_ids = list(report.job_ids)
            log.info("poll_done", feeds_polled=report.feeds_polled, feeds_failed=report.feeds_failed,
                     articles_queued=report.articles_new, jobs=len(job_ids), articles_irrelevant=report.articles_irrelevant)
            queue = make_queue(connection, self.keys)
            deadline = time.monotonic() + timeout
            if job_ids or queue.count:
                next_cleanup = time.monotonic() + 5
                while not queue_is_drained(queue, job_ids):
                    if self.stop_event.wait(0.1) or time.monotonic() > deadline:
                        log.warning("once_interrupted", reason="signal" if self.stop_event.is_set() else "timeout")
                        return 1
                    pool.supervise()
                    if time.monotonic() > next_cleanup:  # a job whose worker died is retried, not waited on forever
                        StartedJobRegistry(queue=queue).cleanup()
                        next_cleanup = time.monotonic() + 5
                pool.stop()
            self._settle(connection)
            with Dispatcher(connection, self.keys) as dispatcher:
                delivered = dispatcher.drain(timeout=max(1.0, min(delivery_timeout, deadline - time.monotonic())))
            if not delivered:
                log.warning("alerts_not_all_delivered", after_seconds=delivery_timeout,
                            hint="still scheduled for retry: the next run or a running dispatcher delivers them; "
                                 "see `transferwatch alerts subscriptions`")
                return 1
            log.info("once_done", articles=report.articles_new, jobs=len(job_ids))
            return 0
        finally:
            self._shutdown()
