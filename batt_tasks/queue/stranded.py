"""Chains that Redis lost: batches stashed, yet no message left anywhere to carry them on.

kombu's Redis transport takes a message off its queue with BRPOP and only then records it as unacknowledged.
A connection that drops between the two (a Redis restart while workers are busy; kombu#1733 and
celery#4354 describe the window) loses that message, and its chain stops where it was: acks_late and the
visibility timeout cannot bring back what was never recorded. The stash still holds the chain's batches and
tells how far it got, so the chain can be sent on from the link it was waiting for.
"""

import base64
import json
import time

import redis
from kombu.transport.redis import Channel

from batt_tasks.queue.completion import RunKeys
from batt_tasks.queue.redelivery import text
from batt_tasks.queue.stash import STAGE_INPUTS, Link

SEARCH_TASK = "batt.search"

# kombu's Redis transport keeps the messages that workers took and have not acknowledged in this hash.
UNACKED_KEY = Channel.unacked_key
# Between two looks, any message that was in flight (popped, not yet recorded) has landed somewhere.
SECOND_LOOK_SECONDS = 3.0


def waiting_chains(client: redis.Redis, prefix: str, run_id: int) -> dict[str, Link]:
    """Every chain of the run that is not persisted yet: its key -> the link it waits for.

    Every chain stashes "input" first and persist drops all its keys; the stages stashed so far say how far it got.
    """
    keys = [raw.decode().removesuffix(":input") for raw in client.scan_iter(f"{prefix}:chain:{run_id}:*:input", 1000)]
    pipe = client.pipeline(transaction=False)
    for key in keys:
        for stage in STAGE_INPUTS.values():
            pipe.exists(f"{key}:{stage}")
    found = pipe.execute()
    per_chain = len(STAGE_INPUTS)
    return {key: _next_link(found[i * per_chain : (i + 1) * per_chain]) for i, key in enumerate(keys)}


def _next_link(stashed: list[int]) -> Link:
    """The first link whose input is stashed but whose own output is not (stashes are in chain order)."""
    links = list(STAGE_INPUTS)
    done = sum(1 for present in stashed if present) - 1  # "input" is always there
    return links[min(done, len(links) - 1)]


def carried_chains(client: redis.Redis, prefix: str) -> set[str]:
    """The chain keys that some message carries: queued on one of `prefix`'s queues or taken by a worker."""
    return {
        key for name, args in _messages(client, prefix)
        if name != SEARCH_TASK and args and isinstance(key := args[0], str)
    }  # fmt: skip


def carried_searches(client: redis.Redis, prefix: str, run_id: int) -> set[int]:
    """The task indices of the run whose search job some message on `prefix`'s queues carries (run ids repeat
    across databases and queue names, so a message of another prefix's run 1 is no message of ours)."""
    return {
        index for name, args in _messages(client, prefix, own_queues_only=True)
        if name == SEARCH_TASK and args[:1] == [run_id] and len(args) > 1 and isinstance(index := args[1], int)
    }  # fmt: skip


def _messages(client: redis.Redis, prefix: str, own_queues_only: bool = False) -> list[tuple[str, list[object]]]:
    """(task name, arguments) of every message queued on one of `prefix`'s queues or taken by a worker
    (with `own_queues_only`, taken from one of `prefix`'s queues).

    One transaction reads the queues and the unacknowledged hash, so a message moving between them
    (a restore after the visibility timeout) is seen in one or the other.
    """
    queues = [raw.decode() for raw in client.scan_iter(f"{prefix}*", 1000, _type="list")]
    pipe = client.pipeline(transaction=True)
    for queue in queues:
        pipe.lrange(queue, 0, -1)
    pipe.hvals(UNACKED_KEY)
    *queued, taken = pipe.execute()
    if own_queues_only:
        taken = [raw for raw in taken if _is_own_queue(_taken_from(raw), prefix)]
    parsed = (_task_of(message) for reply in (*queued, taken) for message in reply)
    return [message for message in parsed if message is not None]


def _is_own_queue(queue: str | None, prefix: str) -> bool:
    """`prefix` itself or one of its per-GPU queues (`batt.gpu0`), not another prefix that starts alike."""
    return queue is not None and (queue == prefix or queue.startswith(f"{prefix}."))


def _taken_from(raw: bytes) -> str | None:
    """The queue an unacknowledged message came from ([envelope, exchange, routing key])."""
    try:
        entry = json.loads(raw)
    except ValueError:
        return None
    return entry[2] if isinstance(entry, list) and len(entry) == 3 and isinstance(entry[2], str) else None


def _task_of(raw: bytes) -> tuple[str, list[object]] | None:
    """A batt task message's name and arguments (queued: the envelope; unacknowledged: [envelope, exchange,
    key]); None for anything else."""
    try:
        envelope = json.loads(raw)
        if isinstance(envelope, list):
            envelope = envelope[0]
        body = envelope["body"]
        if envelope.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        args = json.loads(body)[0]
        name = envelope["headers"]["task"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None  # not a task message of ours
    return (name, args) if isinstance(name, str) and isinstance(args, list) else None


def stranded_chains(client: redis.Redis, prefix: str, run_id: int) -> dict[str, Link]:
    """Chains of the run waiting for a link that no message will ever run: key -> that link.

    A chain counts as stranded only when two looks, SECOND_LOOK_SECONDS apart, both find it without a
    message and at the same link: in between, a message caught in flight has been recorded or run.
    """
    first = _uncarried(client, prefix, run_id)
    if not first:
        return {}
    time.sleep(SECOND_LOOK_SECONDS)
    second = _uncarried(client, prefix, run_id)
    return {key: link for key, link in second.items() if first.get(key) == link}


def stranded_searches(client: redis.Redis, keys: RunKeys) -> list[int]:
    """Task indices of the run whose search job no message carries, though the run waits for it.

    A run keeps `window` lanes of searches: the job for task i sends the job for task i + window when it
    ends. A lane whose next unsearched task has no message (two looks apart, as for chains) was cut by a
    lost message and sending that task's job again restarts it.
    """
    first = _unsent_lanes(client, keys)
    if not first:
        return []
    time.sleep(SECOND_LOOK_SECONDS)
    return sorted(first & _unsent_lanes(client, keys))


def _unsent_lanes(client: redis.Redis, keys: RunKeys) -> set[int]:
    carried = carried_searches(client, keys.prefix, keys.run_id)
    order = [text(raw) for raw in client.lrange(keys.order, 0, -1)]
    searched = {text(raw) for raw in client.hkeys(keys.searched)}
    window = int(client.get(keys.window) or 1)
    heads: dict[int, int] = {}
    for index, task_key in enumerate(order):
        if task_key not in searched:
            heads.setdefault(index % window, index)
    return {index for index in heads.values() if index not in carried}


def _uncarried(client: redis.Redis, prefix: str, run_id: int) -> dict[str, Link]:
    # Messages first, chains second: a chain that moved on in between is then carried, not stranded.
    carried = carried_chains(client, prefix)
    return {key: link for key, link in waiting_chains(client, prefix, run_id).items() if key not in carried}
