"""Where a chain's batches wait between its links: one Redis key per chain and stage; the messages carry the key.

A Celery worker decodes every message body in its main process, pipes it to the child that runs the task,
which decodes it again, and the next link is JSON inside kombu's JSON envelope, escaped. A chain that carried
its batches (programs, output grids, sample records) paid all of that at every link: a third of the workers'
time in `benchmarks/throughput.py`. From a key, a stage pays one GET and one SET of plain JSON in the child.

Keys live as long as the other run keys (a week), so a detached run may wait that long for its workers.
Persist deletes a chain's keys once its batches are written.
"""

from collections.abc import Sequence
from typing import Literal, cast, overload

import orjson
import redis

from batt_tasks.payloads import Batch, C, CandidateBatch, InlinedBatch, ScoredBatch, ValidatedBatch
from batt_tasks.queue.redelivery import KEY_TTL_SECONDS

# A chain's links, and the stashes they read: each link reads what the one before it stashed.
Link = Literal["inline", "validate", "score", "persist"]
Stashed = Literal["input", "inline", "validate", "score"]
# What a link finds stashed for it, by link (see the overloads of `unstash`).
StashedBatches = list[CandidateBatch] | list[InlinedBatch] | list[ValidatedBatch] | list[ScoredBatch]

# The producer stashes "input".
STAGE_INPUTS: dict[Link, Stashed] = {"inline": "input", "validate": "inline", "score": "validate", "persist": "score"}


class BatchesGone(LookupError):
    """A link found no batches under its chain's key."""


def chain_key(prefix: str, batches: Sequence[Batch[C]]) -> str:
    """The key a chain's messages carry: its run and the key of its first batch, unique within the run."""
    return f"{prefix}:chain:{batches[0]['run_id']}:{batches[0]['batch_key']}"


def stash(client: redis.Redis, key: str, stage: Stashed, batches: Sequence[Batch[C]]) -> None:
    """Keep what `stage` produced (or, for "input", what the producer sends) for the next link."""
    client.set(f"{key}:{stage}", orjson.dumps(batches), ex=KEY_TTL_SECONDS)


@overload
def unstash(client: redis.Redis, key: str, stage: Literal["inline"]) -> list[CandidateBatch]: ...
@overload
def unstash(client: redis.Redis, key: str, stage: Literal["validate"]) -> list[InlinedBatch]: ...
@overload
def unstash(client: redis.Redis, key: str, stage: Literal["score"]) -> list[ValidatedBatch]: ...
@overload
def unstash(client: redis.Redis, key: str, stage: Literal["persist"]) -> list[ScoredBatch]: ...
def unstash(client: redis.Redis, key: str, stage: Link) -> StashedBatches:
    """What the link before `stage` left for it: the batches as that link made them (its own stash)."""
    raw = client.get(f"{key}:{STAGE_INPUTS[stage]}")
    if raw is None:
        raise BatchesGone(
            f"no batches at {key}:{STAGE_INPUTS[stage]} for {stage}: the chain was persisted already (a late "
            "redelivery, nothing lost) or Redis lost them (expired after a week, or a restart without "
            "persistence): run those tasks again"
        )
    # Our own JSON, written by stash() from the link before: what that link's type says it holds.
    return cast(StashedBatches, orjson.loads(raw))


def drop(client: redis.Redis, key: str) -> None:
    """Forget a persisted chain's batches, every stage's."""
    client.delete(*(f"{key}:{stage}" for stage in STAGE_INPUTS.values()))


def links_from(link: Link) -> list[Link]:
    """The links a chain still has to run, starting at `link` (STAGE_INPUTS is in chain order)."""
    links = list(STAGE_INPUTS)
    return links[links.index(link) :]
