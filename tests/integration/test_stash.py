"""The batches a chain leaves in Redis between its links, on the real test Redis."""

import uuid

import pytest
import redis

from batt_tasks.payloads import Batch
from batt_tasks.queue.redelivery import KEY_TTL_SECONDS
from batt_tasks.queue.stash import BatchesGone, chain_key, drop, stash, unstash

BATCHES: list[Batch] = [
    {
        "run_id": 7,
        "batch_key": "007bbfb7:0",
        "task": {"id": "007bbfb7", "key": "k", "train": [{"input": [[1]], "output": [[2]]}], "test": []},
        "candidates": [
            {
                "source": "",
                "origin": "seed",
                "samples": [{"status": "ok", "output": "2", "error": None, "seconds": 0.5}],
            }
        ],
        "timings": {"inline": 0.25},
    }
]


@pytest.fixture
def client(redis_keyspace: str) -> redis.Redis:
    return redis.Redis.from_url(redis_keyspace)


def test_each_link_reads_what_the_one_before_it_stashed(client: redis.Redis) -> None:
    key = chain_key(f"stash-{uuid.uuid4().hex[:8]}", BATCHES)
    assert key.endswith(":chain:7:007bbfb7:0")
    stash(client, key, "input", BATCHES)
    assert unstash(client, key, "inline") == BATCHES
    changed = [{**BATCHES[0], "timings": {"inline": 0.25, "validate": 1.0}}]
    stash(client, key, "validate", changed)
    assert unstash(client, key, "score") == changed
    assert 0 < client.ttl(f"{key}:validate") <= KEY_TTL_SECONDS


def test_a_missing_stash_says_what_happened(client: redis.Redis) -> None:
    key = chain_key(f"stash-{uuid.uuid4().hex[:8]}", BATCHES)
    with pytest.raises(BatchesGone, match="persisted already"):
        unstash(client, key, "persist")


def test_drop_forgets_every_stage(client: redis.Redis) -> None:
    key = chain_key(f"stash-{uuid.uuid4().hex[:8]}", BATCHES)
    for stage in ("input", "inline", "validate", "score"):
        stash(client, key, stage, BATCHES)
    drop(client, key)
    assert client.keys(f"{key}:*") == []
