"""A run's summary, computed from its rows: what `batt run` prints is what the database holds."""

from typing import Any

from sqlalchemy import Integer, func, select
from sqlalchemy.orm import Session

from batt_tasks.db.models import Evaluation, Run, StageTiming, TaskSearch
from batt_tasks.db.queries import task_attempts
from batt_tasks.db.records import dedup_counts, skipped_solved

STATUSES = ("ok", "error", "timeout", "lost", "memory", "rejected")


def run_summary(session: Session, run_id: int, database: str) -> dict[str, Any]:
    """The run's counts, solved and correct tasks, and seconds per stage."""
    run = session.get_one(Run, run_id)
    by_status = dict(
        session.execute(
            select(Evaluation.status, func.count()).where(Evaluation.run_id == run_id).group_by(Evaluation.status)
        ).all()
    )
    fresh = session.scalar(
        select(func.count()).where(Evaluation.run_id == run_id, Evaluation.reused_from_run.is_(None))
    )
    stage_rows = session.execute(
        select(StageTiming.stage, func.sum(StageTiming.seconds))
        .where(StageTiming.run_id == run_id)
        .group_by(StageTiming.stage)
    ).all()
    solved, correct = solved_and_correct(session, run_id)
    wall = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
    dedup = dedup_counts(session, run_id) if run.status == "running" or not run.generated else None
    search = search_summary(session, run_id)
    return {
        "run_id": run.id,
        "status": run.status,
        "mode": run.mode,
        "dataset": run.dataset,
        "split": run.split,
        "seed": run.seed,
        "budget": run.budget,
        "tasks": run.tasks,
        "searched": search.pop("tasks_searched"),
        "skipped_solved": len(skipped_solved(run)),  # not searched: an earlier run solved them (--skip-solved)
        "generated": dedup["generated"] if dedup else run.generated,
        "after_dedup": dedup["after_dedup"] if dedup else run.after_dedup,
        "dedup_dropped": dedup["dropped"] if dedup else run.dedup_dropped,
        "search": search if search["generator"] == "search" else None,
        "evaluated": fresh or 0,
        "reused": sum(by_status.values()) - (fresh or 0),
        "ok": by_status.get("ok", 0),
        "errors": by_status.get("error", 0),
        "timeouts": by_status.get("timeout", 0),
        "lost": by_status.get("lost", 0),
        "memory": by_status.get("memory", 0),
        "rejected": by_status.get("rejected", 0),
        "solved": len(solved),
        "correct": len(correct),
        "stage_seconds": {stage: round(seconds, 4) for stage, seconds in sorted(stage_rows)},
        "wall_seconds": round(wall, 3) if wall is not None else None,
        "database": database,
    }


def search_summary(session: Session, run_id: int) -> dict[str, Any]:
    """What the run's searches did, summed over its tasks, and why each ended."""
    columns = ("enumerated", "after_textual", "after_observational", "mutated", "failed_first_demo", "seconds")
    totals = session.execute(
        select(
            func.count(),
            func.sum(func.cast(TaskSearch.found_solver, Integer)),
            *(func.coalesce(func.sum(getattr(TaskSearch, name)), 0) for name in columns),
        ).where(TaskSearch.run_id == run_id)
    ).one()
    stopped = session.execute(
        select(TaskSearch.stopped_by, func.count()).where(TaskSearch.run_id == run_id).group_by(TaskSearch.stopped_by)
    ).all()
    generators = set(session.scalars(select(TaskSearch.generator).where(TaskSearch.run_id == run_id).distinct()))
    searched, found, *sums = totals
    by_name = dict(zip(columns, sums, strict=True))
    return {
        "tasks_searched": int(searched),
        "generator": generators.pop() if len(generators) == 1 else None,
        **{name: int(value) for name, value in by_name.items() if name != "seconds"},
        "solved_tasks": int(found or 0),
        "timed_out_tasks": sum(count for why, count in stopped if why == "time"),
        "stopped_by": dict(sorted(stopped)),
        "search_seconds": round(float(by_name["seconds"]), 3),
    }


def solved_and_correct(session: Session, run_id: int) -> tuple[set[str], set[str]]:
    """Task ids with a demo-exact solver, and those one of whose two attempts is test-exact.

    The attempts are the task_attempts view's (the ARC Prize's two, best distinct predictions first by the one
    rule, queries.BEST_FIRST): the same ones `batt export` submits and run_summary counts.
    """
    solved = session.scalars(
        select(Evaluation.task_id).where(Evaluation.run_id == run_id, Evaluation.demo_exact.is_(True)).distinct()
    )
    correct = {attempt.task_id for attempt in task_attempts(session, run_id) if attempt.test_exact}
    return set(solved), correct
