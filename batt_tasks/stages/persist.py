"""Persist: a batch's evaluations, solvers and stage timings, written as idempotent upserts.

Evaluations are keyed on (run, task, solver md5) and timings on (run, batch, stage), so a chain that
is delivered twice rewrites its own rows instead of adding new ones.
"""

import time
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Insert, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from batt_tasks.db.models import Evaluation, Run, RunTask, Solver, StageTiming, Task, utc_now
from batt_tasks.db.session import session_scope
from batt_tasks.payloads import Batch, CandidateRecord, TaskPayload


def _insert(session: Session, model: type[Any]) -> Insert:
    """The dialect's INSERT on the model's table, which knows ON CONFLICT (PostgreSQL and SQLite alike).

    Statements are executed with a list of rows (executemany), never with rows baked into VALUES:
    the compiled statement is then cached and reused by every batch.
    """
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model.__table__)


def save_task(session: Session, task: TaskPayload, source: str) -> None:
    """Record a task's grids once; later runs of the same id keep the first copy."""
    row = {
        "key": task["key"],
        "id": task["id"],
        "source": source,
        "content": {"train": task["train"], "test": task["test"]},
        "train_count": len(task["train"]),
        "test_count": len(task["test"]),
    }
    session.execute(_insert(session, Task).on_conflict_do_nothing(index_elements=["key"]), [row])


def save_run_task(session: Session, run_id: int, task: TaskPayload) -> None:
    """Record that the run covers this task."""
    row = {"run_id": run_id, "task_key": task["key"], "task_id": task["id"]}
    statement = _insert(session, RunTask).on_conflict_do_nothing(index_elements=["run_id", "task_key"])
    session.execute(statement, [row])


def known_md5s(session: Session, task_key: str) -> set[str]:
    """Solvers already evaluated on this task (these very grids) in any run."""
    rows = session.scalars(select(Evaluation.solver_md5).where(Evaluation.task_key == task_key).distinct())
    return set(rows)


def reuse_evaluations(session: Session, run_id: int, task: TaskPayload, origins: dict[str, str]) -> int:
    """Copy the latest earlier evaluation of each md5 into this run, marked as reused; returns the count."""
    if not origins:
        return 0
    latest: dict[str, Evaluation] = {}
    query = (
        select(Evaluation)
        .where(Evaluation.task_key == task["key"], Evaluation.solver_md5.in_(origins), Evaluation.run_id != run_id)
        .order_by(Evaluation.id)
    )
    for evaluation in session.scalars(query):
        latest[evaluation.solver_md5] = evaluation
    rows = [
        {
            "run_id": run_id,
            "task_key": task["key"],
            "task_id": task["id"],
            "solver_md5": md5,
            "origin": origins[md5],
            "status": old.status,
            "error": old.error,
            "demo_score": old.demo_score,
            "test_score": old.test_score,
            "demo_exact": old.demo_exact,
            "test_exact": old.test_exact,
            "samples": old.samples,
            "seconds": 0.0,
            "reused_from_run": old.reused_from_run or old.run_id,
            "worker": old.worker,
        }
        for md5, old in latest.items()
    ]
    if rows:
        statement = _insert(session, Evaluation).on_conflict_do_nothing(
            index_elements=["run_id", "task_key", "solver_md5"]
        )
        session.execute(statement, rows)
    return len(rows)


def save_timings(
    session: Session,
    run_id: int,
    task_id: str,
    batch_key: str,
    timings: dict[str, float],
    items: int,
    worker: str | None = None,
) -> None:
    """Upsert the seconds each stage spent on one batch, in one statement."""
    rows = [
        {"run_id": run_id, "task_id": task_id, "batch_key": batch_key, "stage": stage, "seconds": seconds,
         "items": items, "worker": worker}
        for stage, seconds in timings.items()
    ]  # fmt: skip
    statement = _insert(session, StageTiming)
    statement = statement.on_conflict_do_update(
        index_elements=["run_id", "batch_key", "stage"],
        set_={name: statement.excluded[name] for name in ("seconds", "items", "worker")},
    )
    session.execute(statement, rows)


def persist_batches(batches: Sequence[Batch], database_url: str) -> list[Batch]:
    """The persist stage for a chain's batches: one transaction for all of them (one commit, not one per
    task); each batch comes back with its persist seconds (its rows, and its share of the solvers' insert)."""
    done: list[Batch] = []
    with session_scope(database_url) as session:
        started = time.perf_counter()
        _save_solvers(session, [c for batch in batches for c in batch["candidates"]])
        solvers_seconds = time.perf_counter() - started
        total = max(1, sum(len(batch["candidates"]) for batch in batches))
        for batch in batches:
            started = time.perf_counter()
            worker, count = batch.get("worker"), len(batch["candidates"])
            _save_evaluations(session, batch["run_id"], batch["task"], batch["candidates"], worker)
            seconds = time.perf_counter() - started + solvers_seconds * count / total
            timings = {**batch["timings"], "persist": seconds}
            save_timings(session, batch["run_id"], batch["task"]["id"], batch["batch_key"], timings, count, worker)
            done.append({**batch, "timings": timings})
    return done


def persist_batch(batch: Batch, database_url: str) -> Batch:
    """The persist stage for one batch."""
    return persist_batches([batch], database_url)[0]


def _save_solvers(session: Session, candidates: Iterable[CandidateRecord]) -> None:
    """Solvers are shared by every task and run: in md5 order, so two workers inserting the same ones
    take their row locks in the same order and never deadlock."""
    rows = {
        c["md5"]: {"md5": c["md5"], "expression": c["expression"], "program": c["program"], "size": c["size"]}
        for c in candidates
    }
    if rows:
        statement = _insert(session, Solver).on_conflict_do_nothing(index_elements=["md5"])
        session.execute(statement, [rows[md5] for md5 in sorted(rows)])


def _save_evaluations(
    session: Session, run_id: int, task: TaskPayload, candidates: Iterable[CandidateRecord], worker: str | None
) -> None:
    rows = {}
    for c in candidates:
        samples = [
            {
                "kind": "demo" if index < len(task["train"]) else "test",
                "status": s["status"],
                "score": score,
                "error": s["error"],
                "seconds": s["seconds"],
            }
            for index, (s, score) in enumerate(zip(c["samples"], c["scores"], strict=True))
        ]
        rows[c["md5"]] = {
            "run_id": run_id,
            "task_key": task["key"],
            "task_id": task["id"],
            "solver_md5": c["md5"],
            "origin": c["origin"][:200],
            "status": c["status"],
            "error": c["error"],
            "demo_score": c["demo_score"],
            "test_score": c["test_score"],
            "demo_exact": c["demo_exact"],
            "test_exact": c["test_exact"],
            "samples": samples,
            "seconds": sum(s["seconds"] for s in c["samples"]),
            "worker": worker,
        }
    if not rows:
        return
    statement = _insert(session, Evaluation)
    updated = {
        name: statement.excluded[name]
        for name in (
            "status",
            "error",
            "demo_score",
            "test_score",
            "demo_exact",
            "test_exact",
            "samples",
            "seconds",
            "worker",
            "origin",
        )
    }
    upsert = statement.on_conflict_do_update(index_elements=["run_id", "task_key", "solver_md5"], set_=updated)
    session.execute(upsert, list(rows.values()))


def fresh_evaluations(session: Session, run_id: int) -> int:
    """Evaluations this run made itself (not reused from an earlier run)."""
    query = select(func.count()).where(Evaluation.run_id == run_id, Evaluation.reused_from_run.is_(None))
    return session.scalar(query) or 0


def mark_finished_if_complete(session: Session, run_id: int) -> bool:
    """Mark a distributed run finished once every candidate that survived dedup has its row."""
    run = session.get_one(Run, run_id, with_for_update=session.get_bind().dialect.name == "postgresql")
    if run.status != "running" or fresh_evaluations(session, run_id) < run.after_dedup:
        return run.status == "finished"
    run.status = "finished"
    run.finished_at = utc_now()
    return True
