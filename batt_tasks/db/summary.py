"""A run's summary, computed from its rows: what `batt run` prints is what the database holds."""

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from batt_tasks.db.models import Evaluation, Run, Solver, StageTiming

STATUSES = ("ok", "error", "timeout", "memory", "rejected")
# ARC Prize rule: two attempts per test input, so the two best demo-exact solvers are the answer.
ATTEMPTS = 2


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
    return {
        "run_id": run.id,
        "status": run.status,
        "mode": run.mode,
        "dataset": run.dataset,
        "split": run.split,
        "seed": run.seed,
        "budget": run.budget,
        "tasks": run.tasks,
        "generated": run.generated,
        "after_dedup": run.after_dedup,
        "dedup_dropped": run.dedup_dropped,
        "search": (run.config or {}).get("search"),
        "evaluated": fresh or 0,
        "reused": sum(by_status.values()) - (fresh or 0),
        "ok": by_status.get("ok", 0),
        "errors": by_status.get("error", 0),
        "timeouts": by_status.get("timeout", 0),
        "memory": by_status.get("memory", 0),
        "rejected": by_status.get("rejected", 0),
        "solved": len(solved),
        "correct": len(correct),
        "stage_seconds": {stage: round(seconds, 4) for stage, seconds in sorted(stage_rows)},
        "wall_seconds": round(wall, 3) if wall is not None else None,
        "database": database,
    }


def solved_and_correct(session: Session, run_id: int) -> tuple[set[str], set[str]]:
    """Task ids with a demo-exact solver, and those whose two best such solvers include a test-exact one.

    Best means: higher demo score, then the shorter program, then the md5 (a stable tie-break).
    """
    rows = session.execute(
        select(Evaluation.task_id, Evaluation.test_exact, Solver.size, Evaluation.solver_md5)
        .join(Solver, Solver.md5 == Evaluation.solver_md5)
        .where(Evaluation.run_id == run_id, Evaluation.demo_exact.is_(True))
    ).all()
    attempts: dict[str, list[tuple[int, str, bool]]] = defaultdict(list)
    for task_id, test_exact, size, md5 in rows:
        attempts[task_id].append((size, md5, bool(test_exact)))
    correct = {task for task, options in attempts.items() if any(ok for _, _, ok in sorted(options)[:ATTEMPTS])}
    return set(attempts), correct
