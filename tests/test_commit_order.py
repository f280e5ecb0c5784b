"""Articles commit to the ledger in queue order: a later job waits for earlier ones, within a bound."""

from __future__ import annotations

import threading

from structlog.testing import capture_logs

from worker.commit_order import CommitOrder


def test_a_job_waits_until_every_job_queued_before_it_is_done(redis_client, keys):
    order = CommitOrder(redis_client, keys)
    assert order.take_ticket("first") and order.take_ticket("second")
    assert not order.take_ticket("first"), "a job keeps its ticket"
    waited = []
    second = threading.Thread(target=lambda: waited.append(order.wait_turn("second")))
    second.start()

    second.join(timeout=0.3)
    assert second.is_alive(), "the second job committed before the first"
    assert order.wait_turn("first") < 0.1  # the first job never waits
    order.done("first")
    second.join(timeout=5)
    assert not second.is_alive() and waited[0] >= 0.3


def test_a_job_without_a_ticket_and_the_first_job_go_at_once(redis_client, keys):
    order = CommitOrder(redis_client, keys)
    order.take_ticket("first")
    assert order.wait_turn("unknown") < 0.1  # queued by hand, or its ticket was dropped
    assert order.wait_turn("first") < 0.1


def test_a_predecessor_that_never_finishes_is_dropped_after_the_timeout(redis_client, keys):
    order = CommitOrder(redis_client, keys, turn_timeout=0.2)
    for job in ("killed", "slow", "mine", "later"):
        order.take_ticket(job)
    with capture_logs() as logs:
        waited = order.wait_turn("mine")
    assert waited >= 0.2
    assert [e["dropped"] for e in logs if e["event"] == "commit_order_gave_up_waiting"] == [["killed", "slow"]]
    assert [m.decode() for m in redis_client.zrange(order.pending, 0, -1)] == ["mine", "later"]
