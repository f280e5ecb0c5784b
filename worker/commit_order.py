"""Articles reach the ledger in the order they were queued, however many workers run.

The ledger's alerts depend on order: of two troop figures from one poll, the
older article must be applied first, or the newer one becomes the first
report and the older one mere history (rule 6). The poller queues articles
oldest first, in batches (one job each); with several workers, extraction runs
in parallel but each job's *ledger commits* wait until every job queued
before it has committed (or failed). So N workers raise exactly the alerts
that one worker would.

Mechanism: at enqueue time a job gets a ticket (``INCR``) recorded in a sorted
set of jobs not yet committed. Before applying its events, a worker waits
until no job with a smaller ticket is left in that set, then commits and
removes itself. The wait is bounded: a predecessor still there after
``TURN_TIMEOUT`` seconds (its worker was killed, or a poller elsewhere queued
out of order) is dropped from the set and the commit goes ahead; that
predecessor, when it does run, is treated by the ledger as a late article.
"""

from __future__ import annotations

import time

import redis
import structlog

from worker.keys import Keys

log = structlog.get_logger(__name__)

TURN_TIMEOUT = 10.0  # seconds; an article takes milliseconds, a 10 MB one about a second
POLL_SECONDS = 0.002

# KEYS: ticket counter, pending set; ARGV: job id. Returns {ticket, 1 if new else 0}; a job keeps its ticket.
_TAKE_TICKET = """
local old = redis.call('ZSCORE', KEYS[2], ARGV[1])
if old then return {tonumber(old), 0} end
local ticket = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], ticket, ARGV[1])
return {ticket, 1}
"""


class CommitOrder:
    """Tickets at enqueue, turns at commit; see the module docstring."""

    def __init__(self, connection: redis.Redis, keys: Keys, turn_timeout: float = TURN_TIMEOUT):
        self.connection = connection
        self.pending = keys.commit_pending
        self.counter = keys.commit_ticket
        self.turn_timeout = turn_timeout
        self._take = connection.register_script(_TAKE_TICKET)

    def take_ticket(self, job_id: str) -> bool:
        """Record ``job_id`` as queued and not yet committed, just before enqueueing it; False if it already was."""
        _ticket, new = self._take(keys=[self.counter, self.pending], args=[job_id])
        return bool(new)

    def wait_turn(self, job_id: str) -> float:
        """Block until every job queued before ``job_id`` has committed; returns the seconds waited."""
        started = time.monotonic()
        deadline = started + self.turn_timeout
        while True:
            pipe = self.connection.pipeline(transaction=False)
            pipe.zscore(self.pending, job_id)
            pipe.zrange(self.pending, 0, 0, withscores=True)
            mine, first = pipe.execute()
            if mine is None or not first or first[0][1] >= mine:
                return time.monotonic() - started
            if time.monotonic() >= deadline:
                dropped = self.connection.zrangebyscore(self.pending, "-inf", f"({mine}")
                self.connection.zremrangebyscore(self.pending, "-inf", f"({mine}")
                log.warning("commit_order_gave_up_waiting", job_id=job_id, waited=self.turn_timeout,
                            dropped=[d.decode() if isinstance(d, bytes) else d for d in dropped])
                return time.monotonic() - started
            time.sleep(POLL_SECONDS)

    def done(self, *job_ids: str) -> None:
        """The job committed, failed or was never queued: nobody waits for it any more."""
        if job_ids:
            self.connection.zrem(self.pending, *job_ids)
