"""The chain's tasks: thin shells over the stage functions, plus the worker's own setup.

search (one job per task: it sends the task's chains and the run's next search), then per chain
inline -> validate -> score -> persist, each receiving and returning its chain's key: a link reads the
batches the one before it stashed in Redis and stashes what it made of them (see stash.py).
"""

import importlib.util
import logging
import os
from collections.abc import Sequence
from functools import cache
from typing import Any, TypedDict

import redis
from celery import Task
from celery.exceptions import Ignore
from celery.signals import worker_process_init, worker_ready
from celery.worker.control import inspect_command
from sqlalchemy.exc import InterfaceError, OperationalError

from batt_tasks.db.patience import patiently
from batt_tasks.db.records import finish_run
from batt_tasks.db.session import session_scope
from batt_tasks.dsl.types import Grid
from batt_tasks.payloads import InlinedBatch, SampleRun, ValidatedBatch
from batt_tasks.queue import completion
from batt_tasks.queue.app import app
from batt_tasks.queue.completion import RunKeys
from batt_tasks.queue.dispatch import send_chains, send_search
from batt_tasks.queue.redelivery import RedeliveryGuard, redis_client
from batt_tasks.queue.search_job import run_search_job
from batt_tasks.queue.stash import drop, stash, unstash
from batt_tasks.sandbox.run import InProcessRunner, apply_memory_cap, run_program
from batt_tasks.settings import Settings, get_settings
from batt_tasks.stages.inline import inline_batch
from batt_tasks.stages.persist import known_md5s, persist_batches
from batt_tasks.stages.score import ScoreBackend, get_backend, owned_gpu, score_batch
from batt_tasks.stages.validate import validate_batch

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
        results: list[list[SampleRun]] = []
        for index, program in enumerate(programs):
            if self.guard.exhausted(index):
                reason = f"killed its worker process {self.guard.crashes[index]} times (crash, memory or time limit)"
                failed: SampleRun = {"status": "error", "output": None, "error": reason, "seconds": 0.0}
                results.append([failed] * len(inputs))
                continue
            self.guard.running(index)
            results.append(run_program(program, inputs, self.timeout))
        return results


# Soft then hard time limits for the light stages. Validate has no soft limit on purpose: its candidates
# already run under per-sample timers, a SoftTimeLimitExceeded escaping from it would be rejected without
# requeue (acks_on_failure_or_timeout is off) and lose the batch, and each validate gets a hard limit sized to
# its batch (dispatch.chain_links), whose kill requeues the batch for the redelivery guard.
class TimeLimits(TypedDict):
    soft_time_limit: int
    time_limit: int


LIGHT_LIMITS: TimeLimits = {"soft_time_limit": 300, "time_limit": 360}


def _broker() -> redis.Redis:
    return redis_client(app.conf.broker_url, patient=True)


def _go_on(client: redis.Redis, key: str) -> None:
    """A chain of a cancelled run lets go of its keys and goes no further (raises Ignore)."""
    run_id = int(key.rsplit(":chain:", 1)[1].split(":", 1)[0])
    if completion.cancelled(client, RunKeys(get_settings().queue, run_id)):
        drop(client, key)
        raise Ignore()


@app.task(name="batt.search", bind=True)
def search(self: Task[[int, int], str], run_id: int, index: int) -> str:
    """One task's search; its chains and the run's next search job go out from here."""
    settings = get_settings()
    outcome = run_search_job(
        _broker(), settings, run_id, index, (self.request.hostname, owned_gpu()),
        send_chains=lambda batches, queue: send_chains(settings, batches, queue),
        send_search=send_search,
        finish=lambda run: _finished(settings, run),
    )  # fmt: skip
    log.info("run %s: %s", run_id, outcome)
    return outcome


@app.task(name="batt.inline", **LIGHT_LIMITS)
def inline(key: str) -> str:
    settings = get_settings()

    def known(task_key: str, md5s: list[str], timeout: float) -> set[str]:
        def read() -> set[str]:
            with session_scope(settings.database_url) as session:
                return known_md5s(session, task_key, md5s, timeout)

        return patiently(read, settings.database_patience, "the database dedup")

    client = _broker()
    _go_on(client, key)
    stash(client, key, "inline", [inline_batch(batch, known) for batch in unstash(client, key, "inline")])
    return key


@app.task(name="batt.validate")
def validate(key: str) -> str:
    client = _broker()
    _go_on(client, key)
    validated = [_validate_guarded(batch) for batch in unstash(client, key, "validate")]
    stash(client, key, "validate", validated)
    return key


def _validate_guarded(batch: InlinedBatch) -> ValidatedBatch:
    """One batch under its own redelivery guard: after a worker death only the batch that was running
    when it died is run candidate by candidate (the others of its chain finished and cleared theirs)."""
    settings = get_settings()
    key = f"{settings.queue}:redelivery:{batch['run_id']}:{batch['batch_key']}"
    guard = RedeliveryGuard(_broker(), key, settings.max_redeliveries)
    guard.start()
    work = batch["work"]
    apply_memory_cap(work["memory_cap_mb"])
    timeout = work["sample_timeout"]
    runner = GuardedRunner(guard, timeout) if guard.careful else InProcessRunner(timeout)
    validated = validate_batch(batch, runner)
    guard.finish()
    return validated


@app.task(name="batt.score", **LIGHT_LIMITS)
def score(key: str) -> str:
    backend = _backend(os.getpid())
    client = _broker()
    _go_on(client, key)
    stash(client, key, "score", [score_batch(batch, backend) for batch in unstash(client, key, "score")])
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
def persist(self: Task[[str], dict[str, str | int]], key: str) -> dict[str, str | int]:
    settings = get_settings()
    client = _broker()
    _go_on(client, key)
    batches = unstash(client, key, "persist")
    persist_batches([{**batch, "worker": self.request.hostname} for batch in batches], settings.database_url)
    run_id = batches[0]["run_id"]
    keys = RunKeys(settings.queue, run_id)
    if completion.chain_persisted(client, keys, key):
        _finished(settings, run_id)
    drop(client, key)
    return {"chain": key, "candidates": sum(len(batch["candidates"]) for batch in batches)}


def _finished(settings: Settings, run_id: int) -> None:
    """The run's last search or chain is done: mark it finished and let its plan in Redis go."""
    patiently(lambda: finish_run(settings.database_url, run_id), settings.database_patience, "finishing the run")
    completion.forget_run(_broker(), RunKeys(settings.queue, run_id))
