"""Chains whose message Redis lost are found from their stash and sent on from the link they wait for.

Real Celery messages on the test Redis: a producer process sends the chains (no worker takes them), and a
test takes a message off a queue the way a worker's BRPOP does, then drops it, as a Redis restart can.
"""

import json
import os
import subprocess
import sys
import uuid
from typing import Any

import pytest
import redis

from batt_tasks.payloads import Batch
from batt_tasks.queue import stranded
from batt_tasks.queue.completion import RunKeys, plan_run
from batt_tasks.queue.dispatch import LINK_PRIORITY, SEARCH_PRIORITY
from batt_tasks.queue.stash import chain_key, stash, unstash
from batt_tasks.queue.stranded import (
    carried_chains,
    carried_searches,
    stranded_chains,
    stranded_searches,
    waiting_chains,
)

RUN_ID = 11

PRODUCER = """
import json, sys
from batt_tasks.queue.dispatch import send_chains, resend_stranded
from batt_tasks.settings import get_settings
settings = get_settings()
what, batches = json.loads(sys.stdin.read())
if what == "search":
    from batt_tasks.queue.dispatch import send_search
    for index in batches:
        send_search(11, index, f"task{index}", settings.queue, 60.0)
elif what == "send":
    print(len(send_chains(settings, batches, settings.queue)))
else:
    print(resend_stranded(settings, batches, settings.queue, 60.0, on_wait=print))
"""


def _batch(index: int) -> Batch:
    return {
        "run_id": RUN_ID,
        "batch_key": f"007bbfb7:{index}",
        "task": {"id": "007bbfb7", "key": "k", "train": [{"input": [[1]], "output": [[2]]}], "test": []},
        "candidates": [{"source": f"def solve(I):\n    return {index}\n", "origin": "seed"}],
        "timings": {},
        "work": {"sample_timeout": 1.0, "memory_cap_mb": 512, "fresh": False},
    }


def _producer(redis_url: str, queue: str, what: str, argument: object) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATT_")}
    env |= {"BATT_BROKER_URL": redis_url, "BATT_QUEUE": queue}
    done = subprocess.run([sys.executable, "-c", PRODUCER], input=json.dumps([what, argument]), env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def inline_list(queue: str) -> str:
    """kombu keeps a queue's messages of priority step p > 0 in the list `queue` + "\x06\x16" + p."""
    return f"{queue}\x06\x16{LINK_PRIORITY['inline']}"


def _take(client: redis.Redis, queue: str) -> dict[str, object]:
    """What a worker's BRPOP does: the oldest inline message leaves the queue (and here goes nowhere)."""
    raw = client.rpop(inline_list(queue))
    assert raw is not None
    return json.loads(raw)


def _queued(client: redis.Redis, queue: str) -> list[dict[str, Any]]:
    """Every message on the queue's lists, one per priority step."""
    lists = client.scan_iter(f"{queue}*", _type="list")
    return [json.loads(raw) for name in lists for raw in client.lrange(name, 0, -1)]


@pytest.fixture
def client(redis_keyspace: str) -> redis.Redis:
    return redis.Redis.from_url(redis_keyspace)


@pytest.fixture(autouse=True)
def no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stranded, "SECOND_LOOK_SECONDS", 0.0)


def test_a_lost_message_strands_its_chain_and_resend_carries_it_on(client: redis.Redis, redis_keyspace: str) -> None:
    queue = f"stranded-{uuid.uuid4().hex[:8]}"
    batches = [_batch(index) for index in range(3)]
    keys = [chain_key(queue, [batch]) for batch in batches]
    assert _producer(redis_keyspace, queue, "send", batches).strip() == "3"
    assert carried_chains(client, queue) == set(keys)
    assert stranded_chains(client, queue, RUN_ID) == {}

    # The first chain's inline message is lost before any worker ran it.
    assert _take(client, queue)["headers"]["task"] == "batt.inline"  # type: ignore[index]
    # The second one's inline ran (its output is stashed), then the validate message it sent was lost.
    _take(client, queue)
    stash(client, keys[1], "inline", unstash(client, keys[1], "inline"))
    assert waiting_chains(client, queue, RUN_ID) == {keys[0]: "inline", keys[1]: "validate", keys[2]: "inline"}
    assert stranded_chains(client, queue, RUN_ID) == {keys[0]: "inline", keys[1]: "validate"}

    said = _producer(redis_keyspace, queue, "resend", RUN_ID)
    assert "2 jobs had lost their message" in said and said.splitlines()[-1] == "2"
    assert stranded_chains(client, queue, RUN_ID) == {}
    sent = _queued(client, queue)
    first_links = {json.loads(message["body"])[0][0]: message["headers"]["task"] for message in sent}
    assert first_links == {keys[0]: "batt.inline", keys[1]: "batt.validate", keys[2]: "batt.inline"}
    # The resent validate still carries the rest of its chain, with its hard limit sized to the batch.
    validate = next(message for message in sent if message["headers"]["task"] == "batt.validate")
    rest = json.loads(validate["body"])[2]["chain"]
    assert [link["task"] for link in rest] == ["batt.persist", "batt.score"]  # Celery keeps them reversed
    assert validate["headers"]["timelimit"][0] > 0  # [hard, soft]


def test_a_message_taken_by_a_worker_still_carries_its_chain(client: redis.Redis, redis_keyspace: str) -> None:
    """A worker records what it took in kombu's unacknowledged hash: that chain is running, not stranded."""
    queue = f"stranded-{uuid.uuid4().hex[:8]}"
    _producer(redis_keyspace, queue, "send", [_batch(0)])
    raw = client.rpop(inline_list(queue))
    tag = f"test-{uuid.uuid4().hex}"
    client.hset(stranded.UNACKED_KEY, tag, json.dumps([json.loads(raw), "", queue]))  # type: ignore[arg-type]
    try:
        assert stranded_chains(client, queue, RUN_ID) == {}
    finally:
        client.hdel(stranded.UNACKED_KEY, tag)
    assert stranded_chains(client, queue, RUN_ID) == {chain_key(queue, [_batch(0)]): "inline"}


def test_messages_that_are_not_batt_tasks_are_ignored(client: redis.Redis) -> None:
    queue = f"stranded-{uuid.uuid4().hex[:8]}"
    client.lpush(queue, b"not json", json.dumps({"body": "[]"}), json.dumps({"no": "body"}))
    assert carried_chains(client, queue) == set()


def test_a_lost_search_job_is_found_in_its_lane_and_sent_again(client: redis.Redis, redis_keyspace: str) -> None:
    """A run keeps `window` lanes of search jobs; a lane whose job Redis lost is restarted from its next task."""
    queue = f"stranded-{uuid.uuid4().hex[:8]}"
    keys = RunKeys(queue, RUN_ID)
    plan_run(client, keys, [f"task{index}" for index in range(5)], queue, window=2)
    _producer(redis_keyspace, queue, "search", [0, 1])
    assert carried_searches(client, queue, RUN_ID) == {0, 1}
    assert stranded_searches(client, keys) == []
    client.hset(keys.searched, "task0", 0)  # task 0 was searched, and the job it sent for task 2 was lost
    assert stranded_searches(client, keys) == [2]
    client.rpop(f"{queue}\x06\x16{SEARCH_PRIORITY}", 2)  # both jobs taken; task 1's was lost with its worker
    assert stranded_searches(client, keys) == [1, 2]
    said = _producer(redis_keyspace, queue, "resend", RUN_ID)
    assert said.splitlines()[-1] == "2"
    assert carried_searches(client, queue, RUN_ID) == {1, 2}
    assert stranded_searches(client, keys) == []
