"""The redelivery guard against a real Redis: the candidate that keeps killing its worker is found and stopped."""

import uuid

import pytest
import redis

from batt_tasks.queue.completion import batch_persisted, expect_batches, forget_run
from batt_tasks.queue.redelivery import RedeliveryGuard
from batt_tasks.queue.tasks import GuardedRunner

GRID = ((1, 2), (3, 4))
OK = "def solve(I):\n    O = rot90(I)\n    return O\n"


@pytest.fixture
def client(redis_keyspace: str) -> redis.Redis:
    return redis.Redis.from_url(redis_keyspace)


def test_a_batch_that_went_through_leaves_nothing(client: redis.Redis) -> None:
    guard = RedeliveryGuard(client, f"test:{uuid.uuid4().hex}", cap=2)
    assert guard.start() == 1 and not guard.careful
    guard.finish()
    assert not client.exists(guard.key)


def test_the_candidate_running_at_each_death_is_charged_then_skipped(client: redis.Redis) -> None:
    key = f"test:{uuid.uuid4().hex}"
    first = RedeliveryGuard(client, key, cap=2)
    first.start()  # the first delivery dies somewhere: nothing is marked, so nobody is charged
    second = RedeliveryGuard(client, key, cap=2)
    assert second.start() == 2 and second.careful and second.crashes == {}
    runner = GuardedRunner(second, timeout=1.0)
    runner.run_programs([OK], [GRID])
    second.running(1)  # ... and dies while candidate 1 runs
    third = RedeliveryGuard(client, key, cap=2)
    third.start()
    assert third.crashes == {1: 1} and not third.exhausted(1)
    third.running(1)  # candidate 1 kills this delivery too
    fourth = RedeliveryGuard(client, key, cap=2)
    fourth.start()
    assert fourth.attempt == 4 and fourth.exhausted(1)
    results = GuardedRunner(fourth, timeout=1.0).run_programs([OK, OK, OK], [GRID])
    assert [runs[0]["status"] for runs in results] == ["ok", "error", "ok"]
    assert "killed its worker process 2 times" in (results[1][0]["error"] or "")
    fourth.finish()
    assert not client.exists(key)


def test_run_completion_ticks_each_batch_once(client: redis.Redis) -> None:
    prefix, run_id = f"test-{uuid.uuid4().hex[:8]}", 7
    expect_batches(client, prefix, run_id, 2)
    assert not batch_persisted(client, prefix, run_id, "a:0")
    assert not batch_persisted(client, prefix, run_id, "a:0")  # a redelivered persist ticks nothing
    assert batch_persisted(client, prefix, run_id, "a:1")
    assert not batch_persisted(client, prefix, run_id, "a:1")
    forget_run(client, prefix, run_id)
