"""The redelivery guard against a real Redis: the candidate that keeps killing its worker is found and stopped."""

import uuid

import pytest
import redis

from batt_tasks.queue import completion
from batt_tasks.queue.completion import RunKeys, plan_run
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


def test_run_completion_needs_every_task_searched_and_every_chain_persisted(client: redis.Redis) -> None:
    keys = RunKeys(f"test-{uuid.uuid4().hex[:8]}", 7)
    plan_run(client, keys, ["t0", "t1", "t2"], "q", window=2)
    assert not completion.task_searched(client, keys, "t0", 2)  # two chains out
    assert not completion.chain_persisted(client, keys, "c0")
    assert not completion.chain_persisted(client, keys, "c0")  # a redelivered persist ticks nothing
    assert not completion.task_searched(client, keys, "t1", 0)  # nothing survived: no chain
    assert not completion.task_searched(client, keys, "t1", 0)  # a redelivered search records nothing new
    assert not completion.chain_persisted(client, keys, "c1")  # t0's chains are in, but t2 is not searched
    assert completion.task_searched(client, keys, "t2", 0)  # the last search completes the run
    assert completion.progress(client, keys) == (3, 3)
    completion.forget_run(client, keys)
    assert not any(client.exists(key) for key in keys.plan())


def test_the_last_persist_completes_a_run_whose_searches_ended_first(client: redis.Redis) -> None:
    keys = RunKeys(f"test-{uuid.uuid4().hex[:8]}", 8)
    plan_run(client, keys, ["t0"], "q", window=1)
    assert not completion.task_searched(client, keys, "t0", 1)
    assert completion.chain_persisted(client, keys, "c0")
    completion.forget_run(client, keys)
