"""When a distributed run is complete: the producer says how many batches it sent, persist ticks them off.

A Redis set of persisted batch keys makes the tick idempotent (a redelivered persist ticks nothing new)
and costs one round trip, where counting the run's rows in the database would grow with the run.
"""

import redis

from batt_tasks.queue.redelivery import KEY_TTL_SECONDS


def _keys(prefix: str, run_id: int) -> tuple[str, str]:
    return f"{prefix}:run:{run_id}:batches", f"{prefix}:run:{run_id}:persisted"


def expect_batches(client: redis.Redis, prefix: str, run_id: int, batches: int) -> None:
    """Record how many chains the producer sends for the run (before sending any)."""
    total, _ = _keys(prefix, run_id)
    client.set(total, batches, ex=KEY_TTL_SECONDS)


def batch_persisted(client: redis.Redis, prefix: str, run_id: int, batch_key: str) -> bool:
    """Tick a batch off; True when this tick completes the run."""
    total, persisted = _keys(prefix, run_id)
    pipe = client.pipeline()
    pipe.sadd(persisted, batch_key)
    pipe.expire(persisted, KEY_TTL_SECONDS)
    pipe.scard(persisted)
    pipe.get(total)
    added, _, done, expected = pipe.execute()
    return bool(added) and expected is not None and done >= int(expected)


def run_complete(client: redis.Redis, prefix: str, run_id: int) -> bool:
    """Whether the last batch of a run sent by `enqueue` is persisted (its record is forgotten then).

    One key lookup: an observer can ask every few milliseconds without taking CPU from the workers.
    """
    return not client.exists(_keys(prefix, run_id)[0])


def forget_run(client: redis.Redis, prefix: str, run_id: int) -> None:
    client.delete(*_keys(prefix, run_id))
