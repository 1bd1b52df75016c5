"""Questions the CLI asks of the record: a task's solvers best first, its attempts, a run's tasks, a task's grids.

"Which solver is best" has one rule, BEST_FIRST: higher demo score, then the shorter program, then the md5.
The views order by it in SQL (migrations/versions/0004_task_attempts.py); everything that orders in Python
uses this constant.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, Column, ColumnElement, Float, Integer, MetaData, String, Table, select
from sqlalchemy.orm import Session

from batt_tasks.db.models import Evaluation, RunTask, Solver, Task
from batt_tasks.payloads import TaskPayload

# The one ranking, best first. No seconds: they change from run to run, and the choice must not.
BEST_FIRST: tuple[ColumnElement[Any], ...] = (
    Evaluation.demo_score.desc(),
    Solver.size.asc(),
    Evaluation.solver_md5.asc(),
)

# The task_attempts view (made by the migrations, not by this metadata): per run and task, the best
# evaluation of each of its two best distinct test predictions, by BEST_FIRST.
TASK_ATTEMPTS = Table(
    "task_attempts",
    MetaData(),
    Column("run_id", Integer),
    Column("task_id", String(64)),
    Column("task_key", String(32)),
    Column("attempt", Integer),
    Column("solver_md5", String(32)),
    Column("demo_score", Float),
    Column("demo_exact", Boolean),
    Column("test_exact", Boolean),
    Column("prediction", String(32)),
)


def attempt_evaluation() -> ColumnElement[bool]:
    """What joins a task_attempts row to its evaluation (one per run, task and solver): for its origin."""
    view = TASK_ATTEMPTS.c
    return (
        (Evaluation.run_id == view.run_id)
        & (Evaluation.task_key == view.task_key)
        & (Evaluation.solver_md5 == view.solver_md5)
    )


@dataclass(frozen=True)
class RankedSolver:
    """One solver's best evaluation on a task."""

    task_id: str
    task_key: str
    md5: str
    program: str
    expression: str
    size: int
    demo_score: float
    test_score: float | None
    demo_exact: bool
    test_exact: bool | None
    seconds: float
    run_id: int


def ranked_solvers(
    session: Session, task_key: str, run_id: int | None = None, limit: int | None = None
) -> list[RankedSolver]:
    """The task's solvers that ran cleanly, best first by BEST_FIRST (the order of the best_solvers view).

    One entry per solver, from all runs (its earliest evaluation among equals) or from `run_id` alone.
    """
    query = (
        select(Evaluation, Solver)
        .join(Solver, Solver.md5 == Evaluation.solver_md5)
        .where(Evaluation.task_key == task_key, Evaluation.status == "ok")
        .order_by(*BEST_FIRST, Evaluation.id)
    )
    if run_id is not None:
        query = query.where(Evaluation.run_id == run_id)
    best: dict[str, RankedSolver] = {}
    for evaluation, solver in session.execute(query):
        if solver.md5 in best or solver.expression is None:
            continue
        best[solver.md5] = RankedSolver(
            task_id=evaluation.task_id,
            task_key=evaluation.task_key,
            md5=solver.md5,
            program=solver.program,
            expression=solver.expression,
            size=solver.size,
            demo_score=evaluation.demo_score,
            test_score=evaluation.test_score,
            demo_exact=evaluation.demo_exact,
            test_exact=evaluation.test_exact,
            seconds=evaluation.seconds,
            run_id=evaluation.reused_from_run or evaluation.run_id,
        )
        if limit is not None and len(best) == limit:
            break
    return list(best.values())


@dataclass(frozen=True)
class Attempt:
    """One of a task's two attempts in a run (a row of the task_attempts view)."""

    run_id: int
    task_id: str
    task_key: str
    attempt: int  # 1 or 2
    solver_md5: str
    demo_score: float
    demo_exact: bool
    test_exact: bool | None
    prediction: str  # md5 of its test outputs (payloads.prediction_md5)


def attempt_row(session: Session, attempt: Attempt) -> Evaluation:
    """The evaluation an attempt is (its origin, its samples)."""
    return session.execute(
        select(Evaluation).where(
            Evaluation.run_id == attempt.run_id,
            Evaluation.task_key == attempt.task_key,
            Evaluation.solver_md5 == attempt.solver_md5,
        )
    ).scalar_one()


def task_attempts(session: Session, run_id: int, task_key: str | None = None) -> list[Attempt]:
    """The run's attempts, by task key then attempt number; of one task when `task_key` is given."""
    view = TASK_ATTEMPTS.c
    query = select(TASK_ATTEMPTS).where(view.run_id == run_id).order_by(view.task_key, view.attempt)
    if task_key is not None:
        query = query.where(view.task_key == task_key)
    return [
        Attempt(
            run_id=int(row.run_id),
            task_id=row.task_id,
            task_key=row.task_key,
            attempt=int(row.attempt),
            solver_md5=row.solver_md5,
            demo_score=float(row.demo_score),
            demo_exact=bool(row.demo_exact),
            test_exact=None if row.test_exact is None else bool(row.test_exact),
            prediction=row.prediction,
        )
        for row in session.execute(query)
    ]


def run_tasks(session: Session, run_id: int) -> list[tuple[str, str]]:
    """(task id, task key) of every task the run covered, by task id."""
    rows = session.execute(select(RunTask.task_id, RunTask.task_key).where(RunTask.run_id == run_id))
    return sorted((task_id, task_key) for task_id, task_key in rows)


def task_key_for(session: Session, task_id: str, run_id: int | None = None) -> str | None:
    """The key of a task id: the version the run covered, else the most recently evaluated one."""
    if run_id is not None:
        return session.scalar(select(RunTask.task_key).where(RunTask.run_id == run_id, RunTask.task_id == task_id))
    query = select(Evaluation.task_key).where(Evaluation.task_id == task_id).order_by(Evaluation.id.desc())
    return session.scalar(query.limit(1)) or session.scalar(select(Task.key).where(Task.id == task_id).limit(1))


def task_payload_of(session: Session, task_key: str) -> TaskPayload:
    """A recorded task's grids, as they travel through the pipeline."""
    task = session.get_one(Task, task_key)
    return {"id": task.id, "key": task.key, "train": task.content["train"], "test": task.content["test"]}
