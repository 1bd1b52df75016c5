"""What `batt serve`'s pages show, read from the record: plain values, no HTML (the templates escape them)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from batt_tasks import runs
from batt_tasks.db.models import Evaluation, Run, TaskSearch
from batt_tasks.db.queries import Attempt, run_tasks, task_attempts
from batt_tasks.db.summary import solved_and_correct
from batt_tasks.settings import Settings


@dataclass(frozen=True)
class RunLine:
    """One run as the runs page lists it."""

    id: int
    status: str
    data: str  # dataset/split, or "files"
    started: datetime
    finished: datetime | None
    tasks: int
    searched: int | None  # tasks searched so far: only while it runs
    solved: int
    correct: int
    previous: int | None  # the run before it, to diff with

    @property
    def solve_rate(self) -> str:
        return f"{100 * self.solved / self.tasks:.0f}%" if self.tasks else "-"


@dataclass(frozen=True)
class TaskLine:
    """One task of a run: did the run solve it, how close it came, what its search did."""

    task_id: str
    solved: bool
    correct: bool
    best_demo_score: float | None  # of its best clean evaluation in the run: how close the run came
    best_origin: str | None  # where that evaluation's solver came from
    search_seconds: float | None
    stopped_by: str | None


def run_lines(session: Session, settings: Settings) -> list[RunLine]:
    """Every run, newest first."""
    found = list(session.scalars(select(Run).order_by(Run.id.desc())))
    previous = [run.id for run in found[1:]] + [None]
    return [_line(session, run, settings, before) for run, before in zip(found, previous, strict=True)]


def run_line(session: Session, run_id: int, settings: Settings) -> RunLine | None:
    """One run; None when there is no such run."""
    run = session.get(Run, run_id)
    if run is None:
        return None
    previous = session.scalar(select(func.max(Run.id)).where(Run.id < run_id))
    return _line(session, run, settings, previous)


def _line(session: Session, run: Run, settings: Settings, previous: int | None) -> RunLine:
    solved, correct = solved_and_correct(session, run.id)
    # Read, never marked: a page does not decide that a silent run is dead (`batt status` does).
    searched = runs.progress(run.id, settings).searched if run.status == "running" else None
    data = f"{run.dataset}/{run.split}" if run.dataset else "files"
    return RunLine(
        id=run.id,
        status=run.status,
        data=data,
        started=run.started_at,
        finished=run.finished_at,
        tasks=run.tasks,
        searched=searched,
        solved=len(solved),
        correct=len(correct),
        previous=previous,
    )


def task_lines(session: Session, run_id: int) -> list[TaskLine]:
    """The run's tasks by id; a task's best is its first attempt (the one ranking, queries.task_attempts)."""
    solved, correct = solved_and_correct(session, run_id)
    searches = {row.task_key: row for row in session.scalars(select(TaskSearch).where(TaskSearch.run_id == run_id))}
    best = {attempt.task_key: attempt for attempt in task_attempts(session, run_id) if attempt.attempt == 1}
    origins = _origins(session, run_id, [attempt.solver_md5 for attempt in best.values()])
    return [
        _task_line(task_id, solved, correct, best.get(task_key), origins, searches.get(task_key))
        for task_id, task_key in run_tasks(session, run_id)
    ]


def _origins(session: Session, run_id: int, md5s: list[str]) -> dict[tuple[str, str], str]:
    """(task key, solver md5) -> origin of the run's evaluations of those solvers."""
    rows = session.execute(
        select(Evaluation.task_key, Evaluation.solver_md5, Evaluation.origin).where(
            Evaluation.run_id == run_id, Evaluation.solver_md5.in_(md5s)
        )
    )
    return {(task_key, md5): origin for task_key, md5, origin in rows}


def _task_line(
    task_id: str,
    solved: set[str],
    correct: set[str],
    best: Attempt | None,
    origins: dict[tuple[str, str], str],
    search: TaskSearch | None,
) -> TaskLine:
    return TaskLine(
        task_id=task_id,
        solved=task_id in solved,
        correct=task_id in correct,
        best_demo_score=best.demo_score if best else None,
        best_origin=origins.get((best.task_key, best.solver_md5)) if best else None,
        search_seconds=search.seconds if search else None,
        stopped_by=search.stopped_by if search else None,
    )
