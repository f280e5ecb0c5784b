"""Fan-out of the alert Stream to subscriptions: at least once per subscription, and nobody waits for anybody.

How an alert travels
--------------------
1. Dispatchers read ``P:alerts`` in the consumer group ``dispatch`` (created
   with MKSTREAM at id ``0``, so alerts published before the first dispatcher
   ever ran are still fanned out). Several dispatchers share the group: each
   entry goes to one of them.
2. Fan-out is one Lua script per entry: for every subscription that wants the
   alert's category and existed when the alert was published (its
   ``created_ms`` is not after the entry id's milliseconds), it records the
   alert in that subscription's ``pending`` hash and ``due`` ZSET - unless the
   alert id was already delivered or queued there (alert ids are stable, so a
   republished alert is not sent twice) - and XACKs the entry, in the same
   step. A dispatcher that dies before that step leaves the entry pending in
   the group; another dispatcher takes it over with XAUTOCLAIM after
   ``claim_idle`` seconds.
3. From then on each subscription has its own schedule. A claim script takes
   the due alerts of one subscription and *leases* them by moving their score
   ``lease`` ahead (longer than a delivery may take); if the dispatcher dies
   mid-delivery the lease runs out and the alert is due again for anyone.
4. Each subscription delivers on its own small thread pool, with at most
   ``concurrency`` deliveries in flight: a hanging webhook holds only its own
   threads, each cut off by the channel's timeouts, and never delays Slack.
5. A finish script records the outcome: delivered (the alert id joins the
   subscription's ``deliveries`` ZSET, used to deduplicate), retry later
   (exponential backoff with jitter, or the receiver's Retry-After), or dead
   letter (after ``max_tries`` attempts, or a permanent failure such as a 4xx).
   An attempt is counted when it is claimed, so an alert that crashes its
   dispatcher still reaches the dead-letter list instead of looping forever.

All times in the scripts are Redis server time, so dispatchers on machines
with skewed clocks agree on what is due.

``drain(timeout)`` runs the same steps until the Stream, the group's pending
entries and every subscription's schedule are empty (every alert delivered or
dead-lettered). Its retries follow the same backoff: ``backoff_base`` is a
constructor parameter so that tests and ``run --once`` setups can shorten it.
"""

from __future__ import annotations

import functools
import json
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import redis
import structlog

from alerts.channels import Channel, Outcome, Timeouts, for_subscription
from alerts.stream import StreamAlert, last_id, parse_entry, stream_entries
from alerts.subscriptions import StateKeys, Subscription, Subscriptions
from worker.errors import ConfigError
from worker.keys import Keys

log = structlog.get_logger(__name__)

_FORGET_CONSUMER_MS = 3600 * 1000

_NOW_MS = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
"""

# KEYS: stream, subscriptions, then (delivered, pending, due) per subscription
# ARGV: group, entry id, alert id, pending record, then the subscription names
_FAN_OUT = _NOW_MS + """
local now = now_ms()
local queued = 0
for i = 0, (#KEYS - 2) / 3 - 1 do
  local name = ARGV[5 + i]
  local delivered, pending, due = KEYS[3 + 3 * i], KEYS[4 + 3 * i], KEYS[5 + 3 * i]
  if redis.call('HEXISTS', KEYS[2], name) == 1
      and not redis.call('ZSCORE', delivered, ARGV[3])
      and redis.call('HSETNX', pending, ARGV[3], ARGV[4]) == 1 then
    redis.call('ZADD', due, now, ARGV[3])
    queued = queued + 1
  end
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return queued
"""

# KEYS: subscriptions, due, pending, attempts   ARGV: name, lease ms, limit
_CLAIM = _NOW_MS + """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {} end
local now = now_ms()
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local rec = redis.call('HGET', KEYS[3], id)
  if rec then
    redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), id)
    local n = redis.call('HINCRBY', KEYS[4], id, 1)
    table.insert(out, id)
    table.insert(out, rec)
    table.insert(out, n)
  else
    redis.call('ZREM', KEYS[2], id)
  end
end
return out
"""

# KEYS: due, pending, attempts, delivered, stats, dead
# ARGV: alert id, ok|retry|dead, delay ms, dead-letter record, reason, keep delivered, keep dead
_FINISH = _NOW_MS + """
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
local now = now_ms()
if ARGV[2] == 'retry' then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('HINCRBY', KEYS[5], 'retries', 1)
  redis.call('HSET', KEYS[5], 'last_error', ARGV[5], 'last_error_ms', now)
  return 1
end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
if ARGV[2] == 'ok' then
  redis.call('ZADD', KEYS[4], now, ARGV[1])
  redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -tonumber(ARGV[6]) - 1)
  redis.call('HINCRBY', KEYS[5], 'delivered', 1)
  redis.call('HSET', KEYS[5], 'last_delivered_ms', now)
else
  redis.call('LPUSH', KEYS[6], ARGV[4])
  redis.call('LTRIM', KEYS[6], 0, tonumber(ARGV[7]) - 1)
  redis.call('HINCRBY', KEYS[5], 'dead', 1)
  redis.call('HSET', KEYS[5], 'last_error', ARGV[5], 'last_error_ms', now)
end
return 1
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _entry_ms(entry_id: str) -> int:
    return int(entry_id.split("-", 1)[0])


def backoff_delay(attempt: int, base: float, cap: float, rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter: ``base * 2**(attempt-1)``, capped, then scaled by 0.5-1.0."""
    return min(cap, base * 2 ** max(0, attempt - 1)) * (0.5 + rng() / 2)


class _BrokenChannel:
    """Stands in for a target that cannot be loaded any more: its alerts go straight to dead letters."""

    def __init__(self, reason: str):
        self.reason = reason

    def deliver(self, alert_id: str, body: bytes, alert: dict) -> Outcome:
        return Outcome.permanent(self.reason)

    def close(self) -> None:
        pass


@dataclass
class _Lane:
    """One subscription's channel and threads; what keeps a slow subscription to itself."""

    subscription: Subscription
    channel: Channel
    executor: ThreadPoolExecutor
    state: StateKeys
    capacity: int
    in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def free(self) -> int:
        with self.lock:
            return self.capacity - self.in_flight

    def close(self, wait: bool) -> None:
        """Let running deliveries finish (each is bounded by its timeouts), then release the channel."""

        def _shutdown() -> None:
            self.executor.shutdown(wait=True)
            self.channel.close()

        if wait:
            _shutdown()
        else:
            threading.Thread(target=_shutdown, name=f"close-{self.subscription.name}", daemon=True).start()


class Dispatcher:
    """Delivers the alert Stream to every subscription; see the module docstring for the protocol."""

    def __init__(
        self,
        connection: redis.Redis,
        keys: Keys,
        *,
        name: str | None = None,
        max_tries: int = 10,
        backoff_base: float = 2.0,
        backoff_cap: float = 3600.0,
        timeouts: Timeouts = Timeouts(),
        concurrency: int = 4,
        claim_idle: float = 60.0,
        block: float = 0.5,
        batch: int = 100,
        heartbeat_ttl: float = 30.0,
        keep_delivered: int = 10_000,
        keep_dead: int = 1_000,
        lease: float | None = None,
        channel_factory: Callable[[Subscription, Timeouts], Channel] = for_subscription,
    ):
        if max_tries < 1 or concurrency < 1:
            raise ConfigError("max_tries and concurrency must be at least 1")
        self.connection = connection
        self.keys = keys
        self.name = name or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.max_tries = max_tries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.timeouts = timeouts
        self.concurrency = concurrency
        self.claim_idle = claim_idle
        self.block = block
        self.batch = batch
        self.heartbeat_ttl = heartbeat_ttl
        self.keep_delivered = keep_delivered
        self.keep_dead = keep_dead
        self.channel_factory = channel_factory
        # A lease must outlive any delivery (connect + read are each bounded, total bounds the
        # body); only a test that kills its dispatcher has reason to make it shorter.
        self.lease_ms = int((lease if lease is not None else 2 * (timeouts.connect + timeouts.total) + 5) * 1000)
        self.subscriptions = Subscriptions(connection, keys)
        self._lanes: dict[str, _Lane] = {}
        self._wake = threading.Event()
        self._started = False
        self._next_heartbeat = 0.0
        self._next_claim = 0.0
        self._backlog = False
        self._fan_out = connection.register_script(_FAN_OUT)
        self._claim = connection.register_script(_CLAIM)
        self._finish = connection.register_script(_FINISH)
        self.log = log.bind(dispatcher=self.name)

    # --- lifecycle -------------------------------------------------------------

    def __enter__(self) -> Dispatcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def run(self, stop: threading.Event) -> None:
        """Deliver until ``stop`` is set; then let in-flight deliveries finish and return."""
        self.log.info("dispatcher_started", group=self.keys.dispatch_group, stream=self.keys.alerts_stream)
        pause = 0.5
        try:
            while not stop.is_set():
                try:
                    self._tick(block=self._block_for())
                    pause = 0.5
                except (redis.ConnectionError, redis.TimeoutError) as exc:
                    # Redis is down or restarting: nothing is lost (it all lives there), so wait and go on.
                    self.log.warning("dispatch_redis_unavailable", error=str(exc), retry_in=pause)
                    stop.wait(pause)
                    pause = min(pause * 2, 10.0)
        finally:
            self.close()
            self.log.info("dispatcher_stopped")

    def drain(self, timeout: float) -> bool:
        """Deliver everything in the Stream, pending or scheduled, until each is delivered or dead-lettered.

        True when nothing is left; False if ``timeout`` seconds passed first
        (e.g. a retry scheduled later than that). Leaves the dispatcher open:
        ``close()`` it, or use it as a context manager.
        """
        deadline = time.monotonic() + timeout
        while True:
            self._wake.clear()
            self._tick(block=0)
            if self._settled():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.log.warning("dispatch_drain_timeout", timeout=timeout)
                return False
            self._wake.wait(min(remaining, self._until_next_due(default=0.1), 0.1))  # set by each finished delivery

    def close(self) -> None:
        """Wait for in-flight deliveries and release every channel."""
        lanes, self._lanes = self._lanes, {}
        for lane in lanes.values():
            lane.close(wait=True)
        try:
            self.connection.delete(self.keys.heartbeat("dispatch", self.name))
        except redis.RedisError:
            pass

    def _start(self) -> None:
        if self._started:
            return
        try:
            self.connection.xgroup_create(self.keys.alerts_stream, self.keys.dispatch_group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._started = True
        self._refresh()
        # Entries this consumer name read before a restart and never fanned out.
        reply = self.connection.xreadgroup(
            self.keys.dispatch_group, self.name, {self.keys.alerts_stream: "0"}, count=self.batch
        )
        self._fan_out_entries(stream_entries(reply))

    # --- one turn of the loop ----------------------------------------------------

    def _tick(self, block: float) -> None:
        try:
            self._turn(block)
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            # The Stream (and with it the group) was deleted: recreate both, from the start.
            self.log.warning("dispatch_group_recreated", stream=self.keys.alerts_stream)
            self._started = False
            self._start()

    def _turn(self, block: float) -> None:
        self._start()
        self._heartbeat()
        self._refresh()
        self._claim_stale()
        self._dispatch_due()
        self._read_new(block)
        self._dispatch_due()

    def _heartbeat(self) -> None:
        now = time.monotonic()
        if now < self._next_heartbeat:
            return
        self._next_heartbeat = now + self.heartbeat_ttl / 3
        beat = {"name": self.name, "host": socket.gethostname(), "pid": os.getpid(), "at": time.time(),
                "subscriptions": len(self._lanes)}
        self.connection.set(self.keys.heartbeat("dispatch", self.name), json.dumps(beat),
                            px=max(1, int(self.heartbeat_ttl * 1000)))

    def _refresh(self) -> None:
        """Match lanes to the subscriptions in Redis: a new subscription works on the next tick, no restart."""
        current = {sub.name: sub for sub in self.subscriptions.all()}
        for name, lane in list(self._lanes.items()):
            if name not in current or current[name] != lane.subscription:
                del self._lanes[name]
                lane.close(wait=False)
                self.log.info("subscription_lane_closed", subscription=name)
        for name, sub in current.items():
            if name not in self._lanes:
                self._lanes[name] = self._open_lane(sub)

    def _open_lane(self, sub: Subscription) -> _Lane:
        try:
            channel: Channel = self.channel_factory(sub, self.timeouts)
        except Exception as exc:
            self.log.error("subscription_target_unusable", subscription=sub.name, error=type(exc).__name__)
            channel = _BrokenChannel(f"target cannot be loaded ({type(exc).__name__})")
        self.log.info("subscription_lane_opened", subscription=sub.name, target=sub.masked_target(),
                      categories=list(sub.categories) or "all")
        return _Lane(
            subscription=sub,
            channel=channel,
            executor=ThreadPoolExecutor(self.concurrency, thread_name_prefix=f"deliver-{sub.name}"),
            state=StateKeys.of(self.keys, sub.name),
            capacity=self.concurrency,
        )

    def _claim_stale(self) -> None:
        """Take over entries another dispatcher read but never fanned out (it died in between)."""
        now = time.monotonic()
        if now < self._next_claim:
            return
        self._next_claim = now + min(self.claim_idle, 5.0)
        start = "0-0"
        while True:
            reply = self.connection.xautoclaim(
                self.keys.alerts_stream, self.keys.dispatch_group, self.name,
                min_idle_time=int(self.claim_idle * 1000), start_id=start, count=self.batch,
            )
            start, entries = _text(reply[0]), reply[1]
            if entries:
                self.log.info("dispatch_entries_claimed", count=len(entries))
                self._fan_out_entries(entries)
            if start == "0-0" or not entries:
                break
        self._forget_idle_consumers()

    def _forget_idle_consumers(self) -> None:
        """Drop group consumers with nothing pending that have been silent for an hour.

        Every dispatcher run has a new consumer name; without this the group
        would list every dispatcher that ever ran. Deleting a live consumer
        with nothing pending is harmless: its next read re-creates it.
        """
        for consumer in self.connection.xinfo_consumers(self.keys.alerts_stream, self.keys.dispatch_group):
            name = _text(consumer["name"])
            if name != self.name and int(consumer["pending"]) == 0 and int(consumer["idle"]) > _FORGET_CONSUMER_MS:
                self.connection.xgroup_delconsumer(self.keys.alerts_stream, self.keys.dispatch_group, name)
                self.log.info("dispatch_consumer_forgotten", consumer=name)

    def _read_new(self, block: float) -> None:
        reply = self.connection.xreadgroup(
            self.keys.dispatch_group, self.name, {self.keys.alerts_stream: ">"},
            count=self.batch, block=int(block * 1000) if block > 0 else None,
        )
        entries = stream_entries(reply)
        if entries:
            self._refresh()  # a subscription made just before these alerts must see them
            self._fan_out_entries(entries)

    # --- fan-out -------------------------------------------------------------------

    def _fan_out_entries(self, entries: list) -> None:
        for entry_id, fields in entries:
            if not fields:  # trimmed from the Stream while pending
                self.connection.xack(self.keys.alerts_stream, self.keys.dispatch_group, entry_id)
                continue
            self._fan_out_one(parse_entry(entry_id, fields))

    def _fan_out_one(self, item: StreamAlert) -> None:
        if item.alert is None:
            self.log.warning("alert_malformed_skipped", entry_id=item.entry_id)
            self.connection.xack(self.keys.alerts_stream, self.keys.dispatch_group, item.entry_id)
            return
        alert_id = str(item.alert.get("id") or item.entry_id)
        published_ms = _entry_ms(item.entry_id)
        targets = [lane for lane in self._lanes.values()
                   if lane.subscription.wants(item.category) and lane.subscription.created_ms <= published_ms]
        record = json.dumps({"entry": item.entry_id, "data": item.data.decode("utf-8", "replace")})
        script_keys = [self.keys.alerts_stream, self.keys.subscriptions]
        for lane in targets:
            script_keys += [lane.state.delivered, lane.state.pending, lane.state.due]
        queued = self._fan_out(
            keys=script_keys,
            args=[self.keys.dispatch_group, item.entry_id, alert_id, record,
                  *(lane.subscription.name for lane in targets)],
        )
        self.log.info("alert_fanned_out", entry_id=item.entry_id, alert_id=alert_id,
                      category=item.category, subscriptions=int(queued))

    # --- delivery --------------------------------------------------------------------

    def _dispatch_due(self) -> None:
        backlog = False
        for lane in list(self._lanes.values()):
            free = lane.free()
            if free <= 0:
                backlog = True
                continue
            s = lane.state
            reply = self._claim(keys=[self.keys.subscriptions, s.due, s.pending, s.attempts],
                                args=[lane.subscription.name, self.lease_ms, free])
            backlog = backlog or len(reply) // 3 == free
            for i in range(0, len(reply), 3):
                with lane.lock:
                    lane.in_flight += 1
                future = lane.executor.submit(self._deliver, lane, _text(reply[i]), _text(reply[i + 1]), int(reply[i + 2]))
                future.add_done_callback(functools.partial(self._done, lane))
        self._backlog = backlog

    def _done(self, lane: _Lane, _future: object = None) -> None:
        with lane.lock:
            lane.in_flight -= 1
        self._wake.set()

    def _deliver(self, lane: _Lane, alert_id: str, record_json: str, attempt: int) -> None:
        """One attempt for one subscription, in that subscription's own thread pool."""
        sub = lane.subscription
        bound = self.log.bind(subscription=sub.name, alert_id=alert_id, attempt=attempt)
        try:
            record = json.loads(record_json)
            body = record["data"].encode()
            alert = json.loads(body)
            outcome = lane.channel.deliver(alert_id, body, alert)
        except Exception as exc:  # never let one bad alert kill a delivery thread
            bound.exception("alert_delivery_crashed")
            outcome = Outcome.retryable(f"delivery error ({type(exc).__name__})")
        try:
            self._record(lane, alert_id, attempt, outcome, record_json, bound)
        except redis.RedisError as exc:  # the lease will run out and the alert be retried
            bound.error("alert_outcome_not_recorded", error=str(exc))

    def _record(self, lane: _Lane, alert_id: str, attempt: int, outcome: Outcome, record_json: str, bound) -> None:
        s = lane.state
        delay = 0.0
        if outcome.status == "ok":
            verdict = "ok"
        elif outcome.status == "retryable" and attempt < self.max_tries:
            verdict = "retry"
            delay = (outcome.retry_after if outcome.retry_after is not None
                     else backoff_delay(attempt, self.backoff_base, self.backoff_cap))
        else:
            verdict = "dead"
        dead = ""
        if verdict == "dead":
            record = json.loads(record_json)
            dead = json.dumps({"alert_id": alert_id, "entry": record.get("entry"), "attempts": attempt,
                               "reason": outcome.reason, "at": time.time(), "data": record.get("data")})
        self._finish(
            keys=[s.due, s.pending, s.attempts, s.delivered, s.stats, s.dead],
            args=[alert_id, verdict, int(delay * 1000), dead, outcome.reason[:500],
                  self.keep_delivered, self.keep_dead],
        )
        if verdict == "ok":
            bound.info("alert_delivered")
        elif verdict == "retry":
            bound.warning("alert_delivery_failed", reason=outcome.reason, retry_in=round(delay, 3))
        else:
            bound.error("alert_dead_lettered", reason=outcome.reason, status=outcome.status)

    # --- waiting -----------------------------------------------------------------------

    def _block_for(self) -> float:
        """Block on the Stream, but not past the next due retry; barely at all while a lane has a backlog."""
        if self._backlog:
            return 0.05
        return max(0.001, min(self.block, self._until_next_due(default=self.block)))

    def _until_next_due(self, default: float) -> float:
        """Seconds until the earliest scheduled (or leased) delivery of any subscription."""
        lanes = list(self._lanes.values())
        if not lanes:
            return default
        pipe = self.connection.pipeline(transaction=False)
        pipe.time()
        for lane in lanes:
            pipe.zrange(lane.state.due, 0, 0, withscores=True)
        (seconds, micros), *firsts = pipe.execute()
        now_ms = int(seconds) * 1000 + int(micros) // 1000
        scores = [first[0][1] for first in firsts if first]
        if not scores:
            return default
        return max(0.0, (min(scores) - now_ms) / 1000)

    def _settled(self) -> bool:
        """Nothing in flight, nothing unread or pending in the group, nothing scheduled for anyone."""
        if any(lane.in_flight for lane in self._lanes.values()):
            return False
        group = next((g for g in self.connection.xinfo_groups(self.keys.alerts_stream)
                      if _text(g["name"]) == self.keys.dispatch_group), None)
        if group is None or int(group["pending"]):
            return False
        newest = last_id(self.connection, self.keys)
        if newest != "0-0" and _id_tuple(_text(group["last-delivered-id"])) < _id_tuple(newest):
            return False
        pipe = self.connection.pipeline(transaction=False)
        for sub in self.subscriptions.all():
            pipe.zcard(StateKeys.of(self.keys, sub.name).due)
        return not any(pipe.execute())


def _id_tuple(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)
