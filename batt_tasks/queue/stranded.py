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

from batt_tasks.queue.stash import STAGE_INPUTS

# kombu's Redis transport keeps the messages that workers took and have not acknowledged in this hash.
UNACKED_KEY = Channel.unacked_key
# Between two looks, any message that was in flight (popped, not yet recorded) has landed somewhere.
SECOND_LOOK_SECONDS = 3.0


def waiting_chains(client: redis.Redis, prefix: str, run_id: int) -> dict[str, str]:
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


def _next_link(stashed: list[int]) -> str:
    """The first link whose input is stashed but whose own output is not (stashes are in chain order)."""
    links = list(STAGE_INPUTS)
    done = sum(1 for present in stashed if present) - 1  # "input" is always there
    return links[min(done, len(links) - 1)]


def carried_chains(client: redis.Redis, prefix: str) -> set[str]:
    """The chain keys that some message carries: queued on one of `prefix`'s queues or taken by a worker.

    One transaction reads the queues and the unacknowledged hash, so a message moving between them
    (a restore after the visibility timeout) is seen in one or the other.
    """
    queues = [raw.decode() for raw in client.scan_iter(f"{prefix}*", 1000, _type="list")]
    pipe = client.pipeline(transaction=True)
    for queue in queues:
        pipe.lrange(queue, 0, -1)
    pipe.hvals(UNACKED_KEY)
    replies = pipe.execute()
    messages = [message for reply in replies for message in reply]
    return {key for key in map(_chain_key_of, messages) if key is not None}


def _chain_key_of(raw: bytes) -> str | None:
    """The chain key in a batt task message (queued: the envelope; unacknowledged: [envelope, exchange, key])."""
    try:
        envelope = json.loads(raw)
        if isinstance(envelope, list):
            envelope = envelope[0]
        body = envelope["body"]
        if envelope.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        args = json.loads(body)[0]
    except (ValueError, KeyError, IndexError, TypeError):
        return None  # not a task message of ours
    return args[0] if args and isinstance(args[0], str) else None


def stranded_chains(client: redis.Redis, prefix: str, run_id: int) -> dict[str, str]:
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


def _uncarried(client: redis.Redis, prefix: str, run_id: int) -> dict[str, str]:
    # Messages first, chains second: a chain that moved on in between is then carried, not stranded.
    carried = carried_chains(client, prefix)
    return {key: link for key, link in waiting_chains(client, prefix, run_id).items() if key not in carried}
