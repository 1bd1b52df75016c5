"""`batt diff`: what changed from one run to another of the same database.

Tasks are compared by id, as the summary counts them. Solved and correct come from the summary's own rule
(summary.solved_and_correct), the best solver from the one ranking (queries.BEST_FIRST), so a diff never
disagrees with `batt report` or `batt show`.
"""

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from batt_tasks.db.models import Evaluation, Run, RunTask, Solver, TaskSearch
from batt_tasks.db.queries import BEST_FIRST, TASK_ATTEMPTS, attempt_evaluation
from batt_tasks.db.summary import solved_and_correct

# The tasks whose search time changed most: enough to spot a regression, few enough to read.
MOST_CHANGED = 5


@dataclass(frozen=True)
class Change:
    """Tasks solved (or correct) in each run, and of the tasks both runs cover, those B gained and lost."""

    a: int
    b: int
    gained: list[str]
    lost: list[str]


@dataclass(frozen=True)
class Pair:
    """One count in each run."""

    a: int
    b: int


@dataclass(frozen=True)
class SearchSeconds:
    """One run's search seconds over the tasks it searched."""

    tasks: int
    total: float
    median: float | None


@dataclass(frozen=True)
class TimeChange:
    """One task's search seconds in each run, and B's minus A's."""

    task_id: str
    a: float
    b: float
    change: float


@dataclass(frozen=True)
class RunDiff:
    """What changed from run A to run B (`batt diff --json` prints it as it is)."""

    run_a: int
    run_b: int
    shared: int  # tasks both runs cover
    only_in_a: list[str]
    only_in_b: list[str]
    solved: Change
    correct: Change
    # origin family ("enumerate" of "enumerate:5") -> solved tasks whose best solver came from it, in A and B
    origins: dict[str, Pair]
    # origin family ("import" of "import:NAME" too) -> correct tasks whose first test-exact attempt came from it
    correct_origins: dict[str, Pair]
    seconds_a: SearchSeconds
    seconds_b: SearchSeconds
    most_changed: list[TimeChange]  # tasks searched in both, largest change of search seconds first


def diff_runs(session: Session, run_a: int, run_b: int) -> RunDiff:
    """Compare run A to run B; LookupError names a run the database does not have."""
    for run_id in (run_a, run_b):
        if session.get(Run, run_id) is None:
            raise LookupError(f"no run {run_id}")
    tasks_a, tasks_b = _task_ids(session, run_a), _task_ids(session, run_b)
    shared = tasks_a & tasks_b
    solved_a, correct_a = solved_and_correct(session, run_a)
    solved_b, correct_b = solved_and_correct(session, run_b)
    seconds_a, seconds_b = _search_seconds(session, run_a), _search_seconds(session, run_b)
    families_a, families_b = _origin_families(session, run_a), _origin_families(session, run_b)
    right_a, right_b = _correct_families(session, run_a), _correct_families(session, run_b)
    return RunDiff(
        run_a=run_a,
        run_b=run_b,
        shared=len(shared),
        only_in_a=sorted(tasks_a - tasks_b),
        only_in_b=sorted(tasks_b - tasks_a),
        solved=_change(solved_a, solved_b, shared),
        correct=_change(correct_a, correct_b, shared),
        origins={name: Pair(families_a[name], families_b[name]) for name in sorted(families_a | families_b)},
        correct_origins={name: Pair(right_a[name], right_b[name]) for name in sorted(right_a | right_b)},
        seconds_a=_overall(seconds_a),
        seconds_b=_overall(seconds_b),
        most_changed=_most_changed(seconds_a, seconds_b),
    )


def origin_family(origin: str) -> str:
    """The part before the first colon: enumerate:5 -> enumerate, user:mine.py:3 -> user, cellrule -> cellrule."""
    return origin.split(":", 1)[0]


def _task_ids(session: Session, run_id: int) -> set[str]:
    return set(session.scalars(select(RunTask.task_id).where(RunTask.run_id == run_id)))


def _change(a: set[str], b: set[str], shared: set[str]) -> Change:
    return Change(len(a), len(b), sorted((b - a) & shared), sorted((a - b) & shared))


def _origin_families(session: Session, run_id: int) -> Counter[str]:
    """Solved tasks per origin family of their best demo-exact solver (any status, as `solved` counts them, so
    the families add up to the run's solved tasks)."""
    rows = session.execute(
        select(Evaluation.task_id, Evaluation.origin)
        .join(Solver, Solver.md5 == Evaluation.solver_md5)
        .where(Evaluation.run_id == run_id, Evaluation.demo_exact.is_(True))
        .order_by(Evaluation.task_id, *BEST_FIRST)
    )
    best: dict[str, str] = {}
    for task_id, origin in rows:
        best.setdefault(task_id, origin)
    return Counter(origin_family(origin) for origin in best.values())


def _correct_families(session: Session, run_id: int) -> Counter[str]:
    """Correct tasks per origin family of their first test-exact attempt (task_attempts), so they add up to
    the run's correct tasks; an imported run's tasks count under "import"."""
    view = TASK_ATTEMPTS.c
    rows = session.execute(
        select(view.task_id, Evaluation.origin)
        .select_from(TASK_ATTEMPTS)
        .join(Evaluation, attempt_evaluation())
        .where(view.run_id == run_id, view.test_exact.is_(True))
        .order_by(view.task_id, view.attempt)
    )
    first: dict[str, str] = {}
    for task_id, origin in rows:
        first.setdefault(task_id, origin)
    return Counter(origin_family(origin) for origin in first.values())


def _search_seconds(session: Session, run_id: int) -> dict[str, float]:
    """Search seconds per task id (two versions of one id, from two task files, add up)."""
    seconds: defaultdict[str, float] = defaultdict(float)
    for task_id, spent in session.execute(
        select(TaskSearch.task_id, TaskSearch.seconds).where(TaskSearch.run_id == run_id)
    ):
        seconds[task_id] += spent
    return dict(seconds)


def _overall(seconds: dict[str, float]) -> SearchSeconds:
    median = round(statistics.median(seconds.values()), 3) if seconds else None
    return SearchSeconds(len(seconds), round(sum(seconds.values()), 3), median)


def _most_changed(a: dict[str, float], b: dict[str, float]) -> list[TimeChange]:
    changes = [
        TimeChange(task, round(a[task], 3), round(b[task], 3), round(b[task] - a[task], 3))
        for task in a.keys() & b.keys()
    ]
    changes.sort(key=lambda change: (-abs(change.change), change.task_id))
    return changes[:MOST_CHANGED]
