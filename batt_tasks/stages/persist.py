"""Persist: a batch's evaluations, solvers and stage timings, written as idempotent upserts.

Evaluations are keyed on (run, task, solver md5) and timings on (run, batch, stage), so a chain that
is delivered twice rewrites its own rows instead of adding new ones.
"""

import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from batt_tasks.db.models import Evaluation, Run, Solver, StageTiming, TaskSearch, utc_now
from batt_tasks.db.session import insert, session_scope
from batt_tasks.payloads import LEGACY_PREDICTION, InlinedCandidate, ScoredBatch, TaskPayload
from batt_tasks.sandbox.run import SAMPLE_TIMER

if TYPE_CHECKING:
    from batt_tasks.stages.search import SearchRecord


def known_md5s(session: Session, task_key: str, md5s: Sequence[str], sample_timeout: float) -> set[str]:
    """Of `md5s`, those whose stored result on this task (these very grids) still holds for this run.

    A status is a fact about the candidate under the limit it ran with: a timeout holds for the same or a
    shorter limit only, and only if that limit counted the candidate's CPU time (not a wall clock, which a busy
    machine runs down); `lost` (its sandbox was killed from outside) is no fact about the candidate at all.
    """
    if not md5s:
        return set()
    query = select(Evaluation.solver_md5).where(
        Evaluation.task_key == task_key, Evaluation.solver_md5.in_(md5s), _holds(sample_timeout)
    )
    return set(session.scalars(query.distinct()))


def _holds(sample_timeout: float) -> ColumnElement[bool]:
    """An original evaluation (not a copy) whose status is a fact under a per-sample limit of `sample_timeout`.

    An `ok` row without a real prediction (stored before revision 0004 kept one: none, or the migration's
    stand-in) does not hold: the next run evaluates that solver again and stores what it predicts.
    """
    return and_(
        Evaluation.reused_from_run.is_(None),
        or_(
            Evaluation.status.not_in(("ok", "timeout", "lost")),
            and_(
                Evaluation.status == "ok",
                Evaluation.prediction.is_not(None),
                Evaluation.prediction.not_like(f"{LEGACY_PREDICTION}%"),
            ),
            and_(
                Evaluation.status == "timeout",
                Evaluation.timer == SAMPLE_TIMER,
                Evaluation.sample_timeout >= sample_timeout,
            ),
        ),
    )


def reuse_evaluations(
    session: Session, run_id: int, task: TaskPayload, origins: dict[str, str], sample_timeout: float
) -> int:
    """Copy the latest earlier evaluation of each md5 (one inline found still holds) into this run, marked as
    reused; returns the count."""
    if not origins:
        return 0
    latest: dict[str, Evaluation] = {}
    query = (
        select(Evaluation)
        .where(
            Evaluation.task_key == task["key"],
            Evaluation.solver_md5.in_(origins),
            Evaluation.run_id != run_id,
            _holds(sample_timeout),
        )
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
            "prediction": old.prediction,
            "samples": old.samples,
            "seconds": 0.0,
            "reused_from_run": old.run_id,
            "worker": old.worker,
            "sample_timeout": old.sample_timeout,
            "timer": old.timer,
        }
        for md5, old in latest.items()
    ]
    if rows:
        statement = insert(session, Evaluation).on_conflict_do_nothing(
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
    statement = insert(session, StageTiming)
    statement = statement.on_conflict_do_update(
        index_elements=["run_id", "batch_key", "stage"],
        set_={name: statement.excluded[name] for name in ("seconds", "items", "worker")},
    )
    session.execute(statement, rows)


def persist_batches(batches: Sequence[ScoredBatch], database_url: str) -> list[ScoredBatch]:
    """The persist stage for a chain's batches: one transaction for all of them (one commit, not one per
    task); each batch comes back with its persist seconds (its rows, and its share of the solvers' insert)."""
    done: list[ScoredBatch] = []
    with session_scope(database_url) as session:
        started = time.perf_counter()
        _save_solvers(session, [c for batch in batches for c in batch["candidates"]])
        solvers_seconds = time.perf_counter() - started
        total = max(1, sum(len(batch["candidates"]) for batch in batches))
        for batch in batches:
            started = time.perf_counter()
            worker, count = batch.get("worker"), len(batch["candidates"])
            _save_evaluations(session, batch, worker)
            reused = batch.get("reused", {})
            reuse_evaluations(session, batch["run_id"], batch["task"], reused, batch["work"]["sample_timeout"])
            seconds = time.perf_counter() - started + solvers_seconds * count / total
            timings = {**batch["timings"], "persist": seconds}
            save_timings(session, batch["run_id"], batch["task"]["id"], batch["batch_key"], timings, count, worker)
            done.append({**batch, "timings": timings})
        for run_id in {batch["run_id"] for batch in batches}:
            heartbeat(session, run_id)
    return done


def persist_batch(batch: ScoredBatch, database_url: str) -> ScoredBatch:
    """The persist stage for one batch."""
    return persist_batches([batch], database_url)[0]


def _save_solvers(session: Session, candidates: Iterable[InlinedCandidate]) -> None:
    """Solvers are shared by every task and run: in md5 order, so two workers inserting the same ones
    take their row locks in the same order and never deadlock."""
    rows = {
        c["md5"]: {"md5": c["md5"], "expression": c["expression"], "program": c["program"], "size": c["size"]}
        for c in candidates
    }
    if rows:
        statement = insert(session, Solver).on_conflict_do_nothing(index_elements=["md5"])
        session.execute(statement, [rows[md5] for md5 in sorted(rows)])


def _save_evaluations(session: Session, batch: ScoredBatch, worker: str | None) -> None:
    run_id, task = batch["run_id"], batch["task"]
    rows = {}
    for c in batch["candidates"]:
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
            "prediction": c.get("prediction"),
            "samples": samples,
            "seconds": sum(s["seconds"] for s in c["samples"]),
            "worker": worker,
            "sample_timeout": batch["work"]["sample_timeout"],
            "timer": SAMPLE_TIMER,
        }
    if not rows:
        return
    statement = insert(session, Evaluation)
    updated = {
        name: statement.excluded[name]
        for name in (
            "status",
            "error",
            "demo_score",
            "test_score",
            "demo_exact",
            "test_exact",
            "prediction",
            "samples",
            "seconds",
            "worker",
            "origin",
            "sample_timeout",
            "timer",
        )
    }
    upsert = statement.on_conflict_do_update(index_elements=["run_id", "task_key", "solver_md5"], set_=updated)
    session.execute(upsert, list(rows.values()))


def fresh_evaluations(session: Session, run_id: int) -> int:
    """Evaluations this run made itself (not reused from an earlier run)."""
    query = select(func.count()).where(Evaluation.run_id == run_id, Evaluation.reused_from_run.is_(None))
    return session.scalar(query) or 0


def save_search(session: Session, run_id: int, task: TaskPayload, record: "SearchRecord") -> None:
    """Upsert a task's search row (a search run again after its worker died rewrites it) and its seconds."""
    counts = record.counts
    row = {
        "run_id": run_id, "task_key": task["key"], "task_id": task["id"], "generator": record.generator,
        "generated": record.generated, "sent": record.sent, "enumerated": counts.enumerated,
        "after_textual": counts.after_textual, "after_observational": counts.after_observational,
        "mutated": counts.mutated, "failed_first_demo": counts.failed_first_demo,
        "found_solver": bool(counts.solved_tasks), "best_origin": record.best_origin,
        "stopped_by": record.stopped_by, "seconds": record.seconds, "worker": record.worker, "gpu": record.gpu,
    }  # fmt: skip
    statement = insert(session, TaskSearch)
    updated = {name: statement.excluded[name] for name in row if name not in ("run_id", "task_key")}
    session.execute(statement.on_conflict_do_update(index_elements=["run_id", "task_key"], set_=updated), [row])
    timings = {"search": record.seconds}
    save_timings(session, run_id, task["id"], f"{task['key']}:search", timings, record.generated, record.worker)
    heartbeat(session, run_id)


def heartbeat(session: Session, run_id: int) -> None:
    """A process working for the run says so: `batt status` tells a live run from a dead one by it."""
    session.execute(update(Run).where(Run.id == run_id).values(heartbeat_at=utc_now()))
