"""The chain's tasks: thin shells over the stage functions, plus the worker's own setup.

inline -> validate -> score -> persist, each receiving and returning its chain's key: a link reads the
batches the one before it stashed in Redis and stashes what it made of them (see stash.py).
"""

import importlib.util
import logging
import os
from collections.abc import Sequence
from functools import cache
from typing import Any

import redis
from celery import Task
from celery.signals import worker_process_init, worker_ready
from celery.worker.control import inspect_command
from sqlalchemy.exc import InterfaceError, OperationalError

from batt_tasks.dsl.types import Grid
from batt_tasks.payloads import Batch, SampleRun
from batt_tasks.producer import finish_run
from batt_tasks.queue.app import app
from batt_tasks.queue.completion import batch_persisted, forget_run
from batt_tasks.queue.redelivery import RedeliveryGuard, redis_client
from batt_tasks.queue.stash import drop, stash, unstash
from batt_tasks.settings import get_settings
from batt_tasks.stages.inline import inline_batch
from batt_tasks.stages.persist import persist_batches
from batt_tasks.stages.score import ScoreBackend, get_backend, owned_gpu, score_batch
from batt_tasks.stages.validate import InProcessRunner, apply_memory_cap, run_program, validate_batch

log = logging.getLogger("batt.worker")


def planned_backend() -> str:
    """What the score task will use, said without touching CUDA (that happens in the child, later)."""
    choice = get_settings().score_backend
    if choice == "numpy" or owned_gpu() is None or importlib.util.find_spec("cupy") is None:
        return "numpy"
    return f"cupy on GPU {owned_gpu()}"


@cache
def _backend(pid: int) -> ScoreBackend:
    backend = get_backend(get_settings().score_backend)
    log.info("scoring with %s (CUDA_VISIBLE_DEVICES=%s)", backend.name, os.environ.get("CUDA_VISIBLE_DEVICES"))
    return backend


@worker_process_init.connect
def _cap_child_memory(**_: Any) -> None:
    apply_memory_cap(get_settings().memory_cap_mb)


@worker_ready.connect
def _announce_device(sender: Any = None, **_: Any) -> None:
    gpu = owned_gpu()
    owner = f"GPU {gpu}" if gpu is not None else "no GPU"
    log.warning("batt worker %s owns %s: scoring with %s", getattr(sender, "hostname", "?"), owner, planned_backend())


@inspect_command()
def batt_device(state: Any) -> dict[str, str | None]:
    """`celery inspect batt_device`: the GPU this worker owns and how it scores."""
    return {"cuda_visible_devices": owned_gpu(), "score_backend": planned_backend(), "pid": str(os.getpid())}


class GuardedRunner:
    """Runs a redelivered batch one candidate at a time, marking each, skipping those over the cap."""

    def __init__(self, guard: RedeliveryGuard, timeout: float) -> None:
        self.guard = guard
        self.timeout = timeout

    def run_programs(self, programs: Sequence[str], inputs: Sequence[Grid]) -> list[list[SampleRun]]:
        results = []
        for index, program in enumerate(programs):
            if self.guard.exhausted(index):
                reason = f"killed its worker process {self.guard.crashes[index]} times (crash, memory or time limit)"
                results.append([{"status": "error", "output": None, "error": reason, "seconds": 0.0}] * len(inputs))
                continue
            self.guard.running(index)
            results.append(run_program(program, inputs, self.timeout))
        return results


# Soft then hard time limits for the light stages. Validate has no soft limit on purpose: its candidates
# already run under per-sample timers, a SoftTimeLimitExceeded escaping from it would be rejected without
# requeue (acks_on_failure_or_timeout is off) and lose the batch, and the producer gives each validate a hard
# limit sized to its batch, whose kill requeues the batch for the redelivery guard.
LIGHT_LIMITS = {"soft_time_limit": 300, "time_limit": 360}


def _broker() -> redis.Redis:
    return redis_client(app.conf.broker_url, patient=True)


@app.task(name="batt.inline", **LIGHT_LIMITS)
def inline(key: str) -> str:
    stash(_broker(), key, "inline", [inline_batch(batch) for batch in unstash(_broker(), key, "inline")])
    return key


@app.task(name="batt.validate")
def validate(key: str) -> str:
    validated = [_validate_guarded(batch) for batch in unstash(_broker(), key, "validate")]
    stash(_broker(), key, "validate", validated)
    return key


def _validate_guarded(batch: Batch) -> Batch:
    """One batch under its own redelivery guard: after a worker death only the batch that was running
    when it died is run candidate by candidate (the others of its chain finished and cleared theirs)."""
    settings = get_settings()
    key = f"{settings.queue}:redelivery:{batch['run_id']}:{batch['batch_key']}"
    guard = RedeliveryGuard(_broker(), key, settings.max_redeliveries)
    guard.start()
    timeout = settings.sample_timeout
    runner = GuardedRunner(guard, timeout) if guard.careful else InProcessRunner(timeout)
    validated = validate_batch(batch, runner)
    guard.finish()
    return validated


@app.task(name="batt.score", **LIGHT_LIMITS)
def score(key: str) -> str:
    backend = _backend(os.getpid())
    stash(_broker(), key, "score", [score_batch(batch, backend) for batch in unstash(_broker(), key, "score")])
    return key


@app.task(
    name="batt.persist",
    bind=True,
    # The database may be restarting: wait for it with growing pauses rather than lose the chain. A retry
    # writes the chain's batches again, which the upserts and the completion set make harmless.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=1,
    retry_backoff_max=30,
    retry_jitter=True,
    max_retries=40,
    **LIGHT_LIMITS,
)
def persist(self: Task, key: str) -> dict[str, Any]:
    settings = get_settings()
    client = _broker()
    batches = unstash(client, key, "persist")
    persist_batches([{**batch, "worker": self.request.hostname} for batch in batches], settings.database_url)
    for batch in batches:
        if batch_persisted(client, settings.queue, batch["run_id"], batch["batch_key"]):
            finish_run(settings.database_url, batch["run_id"])
            forget_run(client, settings.queue, batch["run_id"])
    drop(client, key)
    return {"chain": key, "candidates": sum(len(batch["candidates"]) for batch in batches)}
