"""Several runs as one submission: each task's two attempts picked by the measured precision of their sources.

A source is where an attempt came from: an imported system (`import:NAME`), or a batt origin family (rule,
layout, enumerate, ...) split by whether its solver was exact on the demos, since a near miss is right far less
often. A source's precision is measured on every attempt in the database whose test outputs are known (any run,
not only the ones ensembled: a Kaggle run's answers are hidden, its sources' record on the evaluation set is
not), smoothed as (right + 1) / (known + 2) so a source seen on few tasks is neither trusted nor shunned.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from batt_tasks.compare import origin_family
from batt_tasks.db.models import Evaluation
from batt_tasks.db.queries import TASK_ATTEMPTS, Attempt, attempt_evaluation, attempt_row, task_attempts
from batt_tasks.importer import ORIGIN_PREFIX


@dataclass(frozen=True)
class Precision:
    right: int  # attempts that were test-exact
    known: int  # attempts whose test outputs are known

    @property
    def smoothed(self) -> float:
        return (self.right + 1) / (self.known + 2)


@dataclass(frozen=True)
class SourcedAttempt:
    attempt: Attempt
    source: str


def source_of(origin: str, demo_exact: bool) -> str:
    """An attempt's source: import:NAME as it is, else the origin family, "(near miss)" unless demo-exact."""
    if origin.startswith(ORIGIN_PREFIX):
        return origin
    family = origin_family(origin)
    return family if demo_exact else f"{family} (near miss)"


def measured_precision(session: Session) -> dict[str, Precision]:
    """Every source's record over all attempts (task_attempts rows) with known test outputs."""
    view = TASK_ATTEMPTS.c
    query = (
        select(Evaluation.origin, view.demo_exact, view.test_exact)
        .select_from(TASK_ATTEMPTS)
        .join(Evaluation, attempt_evaluation())
        .where(view.test_exact.is_not(None))
    )
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for origin, demo_exact, test_exact in session.execute(query):
        tally = counts[source_of(origin, bool(demo_exact))]
        tally[0] += bool(test_exact)
        tally[1] += 1
    return {source: Precision(right, known) for source, (right, known) in counts.items()}


def ensemble_attempts(
    session: Session, run_ids: Sequence[int], task_key: str, precision: dict[str, Precision]
) -> list[SourcedAttempt]:
    """The task's two attempts across the runs: distinct predictions, most precise source first, then the
    attempt's rank in its own run, then the order the runs were given in."""
    unmeasured = Precision(0, 0)
    candidates: list[tuple[float, int, int, SourcedAttempt]] = []
    for position, run_id in enumerate(run_ids):
        for attempt in task_attempts(session, run_id, task_key):
            source = source_of(attempt_row(session, attempt).origin, attempt.demo_exact)
            score = precision.get(source, unmeasured).smoothed
            candidates.append((-score, attempt.attempt, position, SourcedAttempt(attempt, source)))
    chosen: list[SourcedAttempt] = []
    for *_, sourced in sorted(candidates, key=lambda entry: entry[:3]):
        if all(sourced.attempt.prediction != kept.attempt.prediction for kept in chosen):
            chosen.append(sourced)
    return chosen[:2]
