"""One task's search on a worker: read the plan, search, record, send the task's chains, send the next job.

Everything it needs comes from Redis (the plan, a user file's candidates) and the database (the task's grids,
the run's options), so a worker on any machine that reaches both can take it. A job delivered again (its
worker died) searches again unless the task was already recorded, and after `max_redeliveries` deaths the
task is recorded as stopped by them instead of run forever.
"""

import logging
import time
from collections.abc import Callable
from functools import lru_cache
from typing import cast

import orjson
import redis

from batt_tasks.data import ArcTask, parse_task
from batt_tasks.db.models import Run
from batt_tasks.db.patience import patiently
from batt_tasks.db.queries import task_payload_of
from batt_tasks.db.session import session_scope
from batt_tasks.payloads import Candidate, CandidateBatch, TaskPayload
from batt_tasks.queue import completion
from batt_tasks.queue.completion import RunKeys
from batt_tasks.queue.redelivery import text
from batt_tasks.sandbox.run import apply_memory_cap
from batt_tasks.search.task_search import SearchResult
from batt_tasks.settings import Settings
from batt_tasks.stages.persist import save_search
from batt_tasks.stages.search import SearchRecord, WorkOptions, find_candidates, searched_batches

log = logging.getLogger("batt.worker")
# How often an in-flight search asks Redis whether its run was cancelled.
CANCEL_POLL_SECONDS = 1.0

# (a task's batches, the queue) -> the keys of the chains sent
SendChains = Callable[[list[CandidateBatch], str], list[str]]
SendSearch = Callable[[int, int, str, str, float], None]


@lru_cache(maxsize=64)
def work_options(database_url: str, run_id: int) -> WorkOptions:
    """The run's options as its producer stored them (they never change, so one read per process)."""
    with session_scope(database_url) as session:
        return WorkOptions.from_json(session.get_one(Run, run_id).config["work"])


def run_search_job(
    client: redis.Redis,
    settings: Settings,
    run_id: int,
    index: int,
    where: tuple[str | None, str | None],
    send_chains: SendChains,
    send_search: SendSearch,
    finish: Callable[[int], object],
) -> str:
    """The job for the run's task at `index`; returns what it did, for the log. `where` is (worker, GPU)."""
    keys = RunKeys(settings.queue, run_id)
    plan = completion.plan_of(client, keys, index)
    if plan is None:
        return "skipped: the run is complete or cancelled"
    work = patiently(lambda: work_options(settings.database_url, run_id), settings.database_patience, "reading the run")
    outcome = "already searched"
    if not completion.already_searched(client, keys, plan.task_key):
        attempts = completion.count_attempt(client, keys, plan.task_key)
        killed = attempts > settings.max_redeliveries
        outcome = _search(client, settings, keys, plan, work, where, killed, send_chains, finish)
    successor = index + plan.window
    if successor < plan.total and not completion.cancelled(client, keys):
        next_key = client.lindex(keys.order, successor)
        if next_key is not None:
            send_search(run_id, successor, text(next_key), plan.queue, work.search.seconds)
    return outcome


def _search(
    client: redis.Redis,
    settings: Settings,
    keys: RunKeys,
    plan: completion.Plan,
    work: WorkOptions,
    where: tuple[str | None, str | None],
    killed: bool,
    send_chains: SendChains,
    finish: Callable[[int], object],
) -> str:
    payload = patiently(
        lambda: _payload(settings.database_url, plan.task_key), settings.database_patience, "reading the task"
    )
    task = _arc_task(payload)
    if killed:
        result = SearchResult(task.id, [], stopped_by="killed")
    else:
        apply_memory_cap(work.search.memory_cap_mb)
        given = _given(client, keys, plan.task_key) if work.generator == "user" else None
        result = find_candidates(task, work, given, stop=_cancel_poll(client, keys))
    if completion.cancelled(client, keys):
        return "cancelled"
    batches, record = searched_batches(keys.run_id, payload, result, work, *where)
    patiently(
        lambda: _save(settings.database_url, keys.run_id, payload, record),
        settings.database_patience,
        "saving the search",
    )
    chains = send_chains(batches, plan.queue) if batches else []
    if completion.task_searched(client, keys, plan.task_key, len(chains)):
        finish(keys.run_id)
    client.delete(keys.given(plan.task_key))
    return _said(task.id, record)


def _payload(database_url: str, task_key: str) -> TaskPayload:
    with session_scope(database_url) as session:
        return task_payload_of(session, task_key)


def _save(database_url: str, run_id: int, payload: TaskPayload, record: SearchRecord) -> None:
    with session_scope(database_url) as session:
        save_search(session, run_id, payload, record)


def _said(task_id: str, record: SearchRecord) -> str:
    return (
        f"task {task_id}: {record.generated} candidates ({record.sent} sent on) in {record.seconds:.2f} s, "
        f"ended by {record.stopped_by}" + (f", solver from {record.best_origin}" if record.best_origin else "")
    )


def _arc_task(payload: TaskPayload) -> ArcTask:
    raw = {"train": payload["train"], "test": payload["test"]}
    return parse_task(raw, payload["id"], "database")


def _given(client: redis.Redis, keys: RunKeys, task_key: str) -> list[Candidate]:
    raw = client.get(keys.given(task_key))
    if raw is None:
        return []
    # The producer's own JSON of the candidates it read from the user's file (runs.dispatch).
    return cast(list[Candidate], orjson.loads(raw))


def _cancel_poll(client: redis.Redis, keys: RunKeys) -> Callable[[], bool]:
    """A check the search calls often; it asks Redis at most once per CANCEL_POLL_SECONDS."""
    last = [time.monotonic(), False]

    def cancelled() -> bool:
        now = time.monotonic()
        if not last[1] and now - float(last[0]) >= CANCEL_POLL_SECONDS:
            last[:] = [now, completion.cancelled(client, keys)]
        return bool(last[1])

    return cancelled
