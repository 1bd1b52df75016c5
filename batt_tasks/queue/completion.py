"""A distributed run's plan and its completion, in Redis: which tasks, how far the search got, what is persisted.

The producer writes the run's task keys in order and sends the first `window` search jobs; each job sends the
job `window` places further on when it ends, so a run never has more than `window` searches queued and a
second run's searches queue between the first run's (fairness without a queue per run).

A task's search records how many chains it sent (zero when nothing survived); persist ticks chains off.
The run is complete when every task is searched and every chain they sent is persisted. Sets and hashes make
both idempotent (a redelivered job records and ticks nothing new), and each check reads all counts in one
transaction, so of two last ticks at the same moment at least one sees the run complete.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis

from batt_tasks.queue.redelivery import KEY_TTL_SECONDS


@dataclass(frozen=True)
class RunKeys:
    """The Redis keys of one run's plan: `<prefix>:run:<id>:<part>`."""

    prefix: str
    run_id: int

    def _part(self, part: str) -> str:
        return f"{self.prefix}:run:{self.run_id}:{part}"

    @property
    def order(self) -> str:  # list: task keys, in the order given
        return self._part("order")

    @property
    def queue(self) -> str:  # the queue the run's jobs go to
        return self._part("queue")

    @property
    def window(self) -> str:  # searches of the run that may wait in the queue at once
        return self._part("window")

    @property
    def searched(self) -> str:  # hash: task key -> chains its search sent
        return self._part("searched")

    @property
    def persisted(self) -> str:  # set: chain keys persisted
        return self._part("persisted")

    @property
    def attempts(self) -> str:  # hash: task key -> search jobs started
        return self._part("attempts")

    @property
    def cancelled(self) -> str:
        return self._part("cancelled")

    @property
    def ended(self) -> str:  # channel: a message once the run's last job marked it ended, for followers
        return self._part("ended")

    def given(self, task_key: str) -> str:
        """Where a user file's candidates for one task wait for its search job."""
        return self._part(f"given:{task_key}")

    def plan(self) -> list[str]:
        """Every key but the cancelled mark."""
        return [self.order, self.queue, self.window, self.searched, self.persisted, self.attempts]


def plan_run(client: redis.Redis, keys: RunKeys, task_keys: list[str], queue: str, window: int) -> None:
    """Record the run's tasks in order, the queue its jobs go to, and how many searches may wait at once."""
    pipe = client.pipeline()
    pipe.delete(*keys.plan(), keys.cancelled)
    pipe.rpush(keys.order, *task_keys)
    pipe.set(keys.queue, queue)
    pipe.set(keys.window, window)
    for key in (keys.order, keys.queue, keys.window):
        pipe.expire(key, KEY_TTL_SECONDS)
    pipe.execute()


@dataclass(frozen=True)
class Plan:
    task_key: str
    queue: str
    window: int
    total: int


def plan_of(client: redis.Redis, keys: RunKeys, index: int) -> Plan | None:
    """The task at `index` and the run's queue and window; None once the run is complete or cancelled."""
    pipe = client.pipeline()
    pipe.lindex(keys.order, index)
    pipe.get(keys.queue)
    pipe.get(keys.window)
    pipe.llen(keys.order)
    pipe.exists(keys.cancelled)
    task_key, queue, window, total, cancelled = pipe.execute()
    if task_key is None or queue is None or window is None or cancelled:
        return None
    return Plan(task_key.decode(), queue.decode(), int(window), int(total))


def count_attempt(client: redis.Redis, keys: RunKeys, task_key: str) -> int:
    """How many times a task's search job has started (a job whose worker died starts again)."""
    pipe = client.pipeline()
    pipe.hincrby(keys.attempts, task_key, 1)
    pipe.expire(keys.attempts, KEY_TTL_SECONDS)
    return int(pipe.execute()[0])


def already_searched(client: redis.Redis, keys: RunKeys, task_key: str) -> bool:
    return bool(client.hexists(keys.searched, task_key))


def task_searched(client: redis.Redis, keys: RunKeys, task_key: str, chains: int) -> bool:
    """Record that a task's search sent `chains` chains; True when this completes the run."""
    pipe = client.pipeline()
    pipe.hset(keys.searched, task_key, chains)
    pipe.expire(keys.searched, KEY_TTL_SECONDS)
    return _complete(pipe, keys)


def chain_persisted(client: redis.Redis, keys: RunKeys, chain_key: str) -> bool:
    """Tick a chain off; True when this tick completes the run."""
    pipe = client.pipeline()
    pipe.sadd(keys.persisted, chain_key)
    pipe.expire(keys.persisted, KEY_TTL_SECONDS)
    return _complete(pipe, keys)


def _complete(pipe: redis.client.Pipeline, keys: RunKeys) -> bool:
    """Run the queued writes, then read every count in the same transaction."""
    pipe.llen(keys.order)
    pipe.hvals(keys.searched)
    pipe.scard(keys.persisted)
    *_, total, searched, persisted = pipe.execute()
    return bool(total) and len(searched) >= total and persisted >= sum(int(chains) for chains in searched)


def progress(client: redis.Redis, keys: RunKeys) -> tuple[int, int]:
    """(tasks searched, tasks in the run) as Redis knows them: one round trip for an observer."""
    pipe = client.pipeline()
    pipe.hlen(keys.searched)
    pipe.llen(keys.order)
    searched, total = pipe.execute()
    return int(searched), int(total)


def cancel(client: redis.Redis, keys: RunKeys) -> None:
    """Mark the run cancelled (jobs and links see it and stop) and let go of its plan."""
    pipe = client.pipeline()
    pipe.set(keys.cancelled, 1, ex=KEY_TTL_SECONDS)
    pipe.delete(*keys.plan())
    pipe.execute()


def cancelled(client: redis.Redis, keys: RunKeys) -> bool:
    return bool(client.exists(keys.cancelled))


def forget_run(client: redis.Redis, keys: RunKeys) -> None:
    """A complete run's plan is of no more use; a follower listening on `keys.ended` hears that it ended."""
    pipe = client.pipeline()
    pipe.delete(*keys.plan())
    pipe.publish(keys.ended, 1)
    pipe.execute()


@contextmanager
def end_heard(client: redis.Redis, keys: RunKeys) -> Iterator[Callable[[float], None]]:
    """A pause that returns early when the run's last job ends it (forget_run publishes on `keys.ended`).
    Listening from before the first look at the run, a follower misses no end; a message leaves no key behind."""
    listener = client.pubsub(ignore_subscribe_messages=True)
    listener.subscribe(keys.ended)

    def pause(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if listener.get_message(timeout=left) is not None:
                return

    try:
        yield pause
    finally:
        listener.close()
