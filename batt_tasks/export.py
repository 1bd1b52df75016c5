"""Export a run as an ARC Prize submission: two attempts per test input, for every task the run covered.

A submission is `{task_id: [{"attempt_1": grid, "attempt_2": grid}, ...one per test input]}`. The attempts
are the task_attempts view's (per task, the best solvers of its two best distinct test predictions, by the one
rule: demo score, then shorter, then md5), the same ones run_summary's `correct` counts. Test outputs are not
stored (only their fingerprint, evaluations.prediction), so those two solvers are re-run on the test inputs
here; an attempt whose re-run does not give back the stored prediction is dropped, counted, and replaced by a
fallback. run_program times each sample with SIGPROF: call these from the main thread. A stored program is
outside text (anyone with the database can edit it): run_program compiles it through the whitelist, in this process.
"""

import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from batt_tasks.db.models import Run, Solver, Task
from batt_tasks.db.queries import attempt_row, run_tasks, task_attempts, task_payload_of
from batt_tasks.db.session import session_scope
from batt_tasks.dsl.types import Grid
from batt_tasks.ensemble import Precision, SourcedAttempt, ensemble_attempts, measured_precision
from batt_tasks.grids import JSON_ROWS, grid_problem
from batt_tasks.importer import imported_outputs
from batt_tasks.payloads import GridList, GridText, grid_rows, grid_text, is_legacy_prediction, prediction_md5
from batt_tasks.sandbox.run import run_program

ATTEMPTS = ("attempt_1", "attempt_2")
# Filler for a missing attempt equal to attempt_1: [[0]], or [[1]] when attempt_1 is itself [[0]].
FILLERS: tuple[GridText, ...] = ("0", "1")

Attempts = dict[str, GridList]
Submission = dict[str, list[Attempts]]
Prediction = tuple[GridText, ...]  # one output per test input, as wire text (hashable, cheap to compare)


class SubmissionError(ValueError):
    """A submission that does not match the ARC Prize format; the message names the task and the fault."""


class RunNotFinished(ValueError):
    """A run still running: its submission would hold only what was evaluated so far."""


@dataclass(frozen=True)
class TaskExport:
    """One task's attempts, how many of its two came from solvers (0, 1 or 2), and how many of the
    task_attempts view's did not come back the same when re-run here (and were replaced by fallbacks)."""

    task_id: str
    attempts: list[Attempts]
    from_solvers: int
    not_reproduced: int = 0
    sources: tuple[str, ...] = ()  # an ensemble's: where each attempt taken came from (ensemble.source_of)


def build_submission(session: Session, run_id: int, timeout: float = 1.0) -> Submission:
    """Two attempts per test input for every task of the run, from its task_attempts, else fillers."""
    return {export.task_id: export.attempts for export in export_tasks(session, [run_id], timeout)}


def export_tasks(
    session: Session, run_ids: Sequence[int], timeout: float = 1.0, precision: dict[str, Precision] | None = None
) -> list[TaskExport]:
    """Every task of the runs, in task id order, with its attempts: one run's own, or several runs' ensemble."""
    keys: dict[str, str] = {}
    for run_id in run_ids:
        for task_id, task_key in run_tasks(session, run_id):
            if keys.setdefault(task_id, task_key) != task_key:
                # Two versions of one id (e.g. edited grids from two files) cannot share a submission key.
                raise SubmissionError(f"task {task_id}: the runs covered two different tasks with this id")
    if precision is None:
        precision = measured_precision(session) if len(run_ids) > 1 else {}
    exports = []
    for task_id, task_key in sorted(keys.items()):
        if len(run_ids) == 1:
            chosen = [SourcedAttempt(attempt, "") for attempt in task_attempts(session, run_ids[0], task_key)]
        else:
            chosen = ensemble_attempts(session, run_ids, task_key, precision)
        exports.append(export_task(session, task_id, task_key, chosen, timeout))
    return exports


def export_task(
    session: Session, task_id: str, task_key: str, chosen: list[SourcedAttempt], timeout: float
) -> TaskExport:
    """A task's attempts: the chosen attempts' predictions, re-run (or as imported), in order, then fallbacks."""
    test = task_payload_of(session, task_key)["test"]
    inputs = [pair["input"] for pair in test if pair["input"] is not None]
    if len(inputs) != len(test):
        raise SubmissionError(f"task {task_id}: a test input is missing")
    texts = [grid_text(grid) for grid in inputs]
    found = reproduced_predictions(session, chosen, [_as_grid(grid) for grid in inputs], timeout)
    predictions = [prediction for prediction, _ in found]
    attempts = [_attempts([p[index] for p in predictions], text) for index, text in enumerate(texts)]
    sources = tuple(sourced.source for _, sourced in found)
    return TaskExport(task_id, attempts, len(predictions), len(chosen) - len(predictions), sources)


def reproduced_predictions(
    session: Session, chosen: list[SourcedAttempt], inputs: list[Grid], timeout: float
) -> list[tuple[Prediction, SourcedAttempt]]:
    """The attempts' predictions, re-run on the test inputs: each one that comes back complete and equal to the
    stored one (its md5 is the attempt's prediction), in attempt order. They are distinct: the view keeps one
    attempt per prediction. An imported attempt has no program: its stored outputs are its prediction."""
    found: list[tuple[Prediction, SourcedAttempt]] = []
    for sourced in chosen:
        attempt = sourced.attempt
        solver = session.get(Solver, attempt.solver_md5)
        if solver is None:
            continue
        if solver.expression is None:
            outputs = imported_outputs(attempt_row(session, attempt).samples) or ()
        else:
            samples = run_program(solver.program, inputs, timeout)
            outputs = tuple(s["output"] for s in samples if s["status"] == "ok" and s["output"] is not None)
        # A row from before predictions were stored (the migration's stand-in) is taken as it comes back.
        same = is_legacy_prediction(attempt.prediction) or prediction_md5(outputs) == attempt.prediction
        if len(outputs) == len(inputs) and same:
            found.append((outputs, sourced))
    return found


def _attempts(predicted: list[GridText], test_input: GridText) -> Attempts:
    """Both attempts for one test input: the predictions, padded with the input, then a 1x1 filler."""
    first = predicted[0] if predicted else test_input
    padding = (grid for grid in (test_input, *FILLERS) if grid != first)
    second = predicted[1] if len(predicted) > 1 else next(padding)
    return {"attempt_1": grid_rows(first), "attempt_2": grid_rows(second)}


def _as_grid(rows: GridList) -> Grid:
    return tuple(tuple(row) for row in rows)


def validate_submission(submission: object, expected_tasks: dict[str, int]) -> None:
    """Raise SubmissionError unless `submission` has exactly the expected tasks, entries and valid grids.

    expected_tasks maps each task id to its number of test inputs.
    """
    if not isinstance(submission, dict):
        raise SubmissionError(f"submission is a {type(submission).__name__}, not a dict of task ids")
    missing = sorted(set(expected_tasks) - set(submission))
    extra = sorted(map(str, set(submission) - set(expected_tasks)))
    if missing:
        raise SubmissionError(f"task {missing[0]}: missing from the submission ({len(missing)} missing in all)")
    if extra:
        raise SubmissionError(f"task {extra[0]}: not expected in the submission ({len(extra)} unexpected in all)")
    for task_id, count in expected_tasks.items():
        _check_task(task_id, submission[task_id], count)


def _check_task(task_id: str, entries: object, count: int) -> None:
    if not isinstance(entries, list):
        raise SubmissionError(f"task {task_id}: a {type(entries).__name__}, not a list of test entries")
    if len(entries) != count:
        raise SubmissionError(f"task {task_id}: {len(entries)} test entries, expected {count}")
    for index, entry in enumerate(entries):
        where = f"task {task_id}: test {index}"
        if not isinstance(entry, dict):
            raise SubmissionError(f"{where}: a {type(entry).__name__}, not a dict of attempts")
        if set(entry) != set(ATTEMPTS):
            raise SubmissionError(f"{where}: keys {sorted(map(str, entry))}, expected {list(ATTEMPTS)}")
        for name in ATTEMPTS:
            problem = grid_problem(entry[name], JSON_ROWS)  # the loader's rule (grids.py), on JSON lists
            if problem:
                raise SubmissionError(f"{where} {name}: {problem}")


def write_submission(submission: Submission, path: Path) -> Path:
    """Write compact JSON via a temporary file in the same folder, so a failure never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("w") as file:
            json.dump(submission, file, separators=(",", ":"))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)  # atomic on one filesystem: readers see the old file or the new one
    finally:
        temporary.unlink(missing_ok=True)
    return path


def run_status(database_url: str, run_id: int) -> str | None:
    """The run's status ("running", "finished", ...), or None when there is no such run."""
    with session_scope(database_url) as session:
        run = session.get(Run, run_id)
        return None if run is None else run.status


@dataclass(frozen=True)
class ExportCounts:
    tasks: int
    solved_attempts: int  # tasks with at least one attempt from a solver (or an imported attempt)
    not_reproduced: int  # chosen attempts that did not give their stored prediction again, replaced
    sources: dict[str, int]  # an ensemble's attempts taken, by source (ensemble.source_of)
    precision: dict[str, Precision]  # an ensemble's measured precision, by source

    @property
    def fallback(self) -> int:
        return self.tasks - self.solved_attempts


def export_run(
    database_url: str, run_ids: Sequence[int], path: Path, timeout: float = 1.0, partial: bool = False
) -> tuple[Path, ExportCounts]:
    """Build, validate and write the submission of one run, or of several as an ensemble (ensemble.py).

    Raises LookupError when a run does not exist, RunNotFinished when one is still running (unless
    `partial`: a partial file is what the caller asked for), SubmissionError when the result is malformed.
    """
    with session_scope(database_url) as session:
        expected: dict[str, int] = {}
        for run_id in run_ids:
            run = session.get(Run, run_id)
            if run is None:
                raise LookupError(f"no run {run_id}")
            if run.status == "running" and not partial:
                raise RunNotFinished(
                    f"run {run_id} is still running: its submission would be partial, so nothing was written "
                    "(export it when the run ends, or pass --partial)"
                )
            tasks = {task_id: session.get_one(Task, key).test_count for task_id, key in run_tasks(session, run_id)}
            if len(tasks) != run.tasks:  # every task id given to the run must come out, and no other
                raise SubmissionError(f"run {run_id} was given {run.tasks} tasks but {len(tasks)} are recorded")
            expected.update(tasks)
        precision = measured_precision(session) if len(run_ids) > 1 else {}
        exports = export_tasks(session, run_ids, timeout, precision)
    submission = {export.task_id: export.attempts for export in exports}
    validate_submission(submission, expected)
    counts = ExportCounts(
        tasks=len(exports),
        solved_attempts=sum(1 for export in exports if export.from_solvers),
        not_reproduced=sum(export.not_reproduced for export in exports),
        sources=dict(Counter(source for export in exports for source in export.sources if source)),
        precision=precision,
    )
    return write_submission(submission, path), counts
