"""Questions the CLI asks of the record: a task's solvers best first, a run's tasks, a task's grids."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from batt_tasks.db.models import Evaluation, RunTask, Solver, Task
from batt_tasks.payloads import TaskPayload


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
    """The task's solvers that ran cleanly, best first: higher demo score, shorter, faster, then md5.

    The order of the best_solvers view; one entry per solver, from all runs or from `run_id` alone.
    """
    query = (
        select(Evaluation, Solver)
        .join(Solver, Solver.md5 == Evaluation.solver_md5)
        .where(Evaluation.task_key == task_key, Evaluation.status == "ok")
        .order_by(Evaluation.demo_score.desc(), Solver.size, Evaluation.seconds, Solver.md5)
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
