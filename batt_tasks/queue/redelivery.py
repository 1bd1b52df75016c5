"""The redelivery guard: which candidate keeps killing its worker, and when to stop running it.

A validate task whose worker process dies (segfault, OOM kill, hard time limit) is requeued. The
first delivery of a batch runs it straight through, leaving one Redis marker; a later delivery knows
the batch killed a worker before, so it marks each candidate before running it. The candidate found
running at a death is charged with it; after `cap` charges it is recorded as failed and not run again.
"""

from functools import cache

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

KEY_TTL_SECONDS = 7 * 24 * 3600
# A Redis restart takes seconds. A worker's stage waits it out (about a minute: backoff from 0.1 s,
# doubling, at most 2 s apart) rather than fail, which would drop its chain.
STAGE_PATIENCE = Retry(ExponentialBackoff(cap=2.0, base=0.1), retries=40)


@cache
def redis_client(url: str, patient: bool = False) -> redis.Redis:
    """One connection pool per broker URL per process; `patient` ones retry through a Redis restart.

    The producer's is not: it waits in its own loop, and tells the user why.
    """
    if not patient:
        return redis.Redis.from_url(url)
    return redis.Redis.from_url(url, retry=STAGE_PATIENCE, retry_on_error=[redis.ConnectionError, redis.TimeoutError])


def text(raw: bytes | str) -> str:
    """A Redis reply as text: bytes from batt's clients (they do not decode), which redis-py types as bytes | str."""
    return raw.decode() if isinstance(raw, bytes) else raw


class RedeliveryGuard:
    """The crash record of one batch, kept in one Redis hash."""

    def __init__(self, client: redis.Redis, key: str, cap: int) -> None:
        self.client = client
        self.key = key
        self.cap = cap
        self.attempt = 0
        self.crashes: dict[int, int] = {}

    def start(self) -> int:
        """Count this delivery, charge the candidate a previous one died on, and return the attempt number."""
        pipe = self.client.pipeline()
        pipe.hincrby(self.key, "attempts", 1)
        pipe.hget(self.key, "running")
        pipe.expire(self.key, KEY_TTL_SECONDS)
        attempts, running, _ = pipe.execute()
        if running is not None:
            self.client.hincrby(self.key, f"crash:{int(running)}", 1)
            self.client.hdel(self.key, "running")
        self.attempt = int(attempts)
        record = {text(field): count for field, count in self.client.hgetall(self.key).items()}
        self.crashes = {
            int(field.split(":")[1]): int(count) for field, count in record.items() if field.startswith("crash:")
        }
        return self.attempt

    @property
    def careful(self) -> bool:
        """Whether this batch killed a worker before, so each candidate is marked while it runs."""
        return self.attempt > 1

    def exhausted(self, index: int) -> bool:
        return self.crashes.get(index, 0) >= self.cap

    def running(self, index: int) -> None:
        self.client.hset(self.key, "running", index)

    def finish(self) -> None:
        """The batch went through: forget it."""
        self.client.delete(self.key)
