"""The producer: tasks in, dedup-filtered batches out, with the run recorded before any work starts.

The embedded runner executes the batches here; the Celery producer sends each as a chain. Both
call these functions, so the same tasks and seed give the same batches either way.
"""

import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from batt_tasks.data import ArcTask
from batt_tasks.db.models import Run
from batt_tasks.db.session import session_scope
from batt_tasks.payloads import Batch, CandidateRecord, task_payload
from batt_tasks.search.dedup import DedupCounts, deduplicate
from batt_tasks.stages.persist import known_md5s, reuse_evaluations, save_run_task, save_task, save_timings

Generator = Callable[[ArcTask], list[CandidateRecord]]


@dataclass(frozen=True)
class RunOptions:
    """What a run was asked to do; stored with the run so it can be repeated."""

    dataset: str | None
    split: str | None
    seed: int
    budget: int
    batch_size: int
    fresh: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Production:
    """The producer's output for a run: its batches and its counts."""

    batches: list[Batch]
    generated: int = 0
    counts: DedupCounts = field(default_factory=DedupCounts)


def git_revision() -> str | None:
    """The checked-out commit of batt, when it runs from a git checkout."""
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5)
    except OSError:
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def start_run(database_url: str, options: RunOptions, mode: str, tasks: int) -> int:
    """Record a new run and return its id."""
    with session_scope(database_url) as session:
        run = Run(
            mode=mode,
            dataset=options.dataset,
            split=options.split,
            seed=options.seed,
            budget=options.budget,
            git_revision=git_revision(),
            config=asdict(options),
            tasks=tasks,
        )
        session.add(run)
        session.flush()
        return run.id


def produce(
    database_url: str,
    run_id: int,
    tasks: Sequence[ArcTask],
    options: RunOptions,
    generator: Generator,
    on_task: Callable[[ArcTask, int], None] | None = None,
) -> Production:
    """Generate, dedup and batch every task's candidates; known solvers are reused from earlier runs."""
    production = Production(batches=[])
    for task in tasks:
        batches, generated, counts = _produce_task(database_url, run_id, task, options, generator)
        production.batches.extend(batches)
        production.generated += generated
        production.counts.add(counts)
        if on_task:
            on_task(task, counts.kept)
    with session_scope(database_url) as session:
        run = session.get_one(Run, run_id)
        run.generated = production.generated
        run.after_dedup = production.counts.kept
        run.dedup_dropped = {
            "textual": production.counts.textual,
            "canonical": production.counts.canonical,
            "known": production.counts.known,
        }
    return production


def _produce_task(
    database_url: str, run_id: int, task: ArcTask, options: RunOptions, generator: Generator
) -> tuple[list[Batch], int, DedupCounts]:
    payload = task_payload(task)
    started = time.perf_counter()
    candidates = generator(task)
    generate_seconds = time.perf_counter() - started
    with session_scope(database_url) as session:
        save_task(session, payload, task.source)
        save_run_task(session, run_id, payload)
        started = time.perf_counter()
        known = set() if options.fresh else known_md5s(session, payload["key"])
        result = deduplicate(candidates, known)
        reuse_evaluations(session, run_id, payload, result.known)
        dedup_seconds = time.perf_counter() - started
        timings = {"generate": generate_seconds, "dedup": dedup_seconds}
        save_timings(session, run_id, task.id, f"{task.id}:producer", timings, len(candidates))
    batches: list[Batch] = [
        {
            "run_id": run_id,
            "batch_key": f"{task.id}:{index}",
            "task": payload,
            "candidates": chunk,
            "timings": {},
        }
        for index, chunk in enumerate(_chunks(result.survivors, options.batch_size))
    ]
    return batches, len(candidates), result.counts


def _chunks(items: list[CandidateRecord], size: int) -> Iterator[list[CandidateRecord]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def record_search(database_url: str, run_id: int, report: dict[str, Any]) -> None:
    """Keep what the search did (enumerated, deduplicated, solved) with the run's configuration."""
    with session_scope(database_url) as session:
        run = session.get_one(Run, run_id)
        run.config = {**run.config, "search": report}


def finish_run(database_url: str, run_id: int, status: str = "finished") -> None:
    """Mark a run ended: finished, failed or interrupted."""
    with session_scope(database_url) as session:
        run = session.get_one(Run, run_id)
        run.status = status
        run.finished_at = datetime.now(UTC)
