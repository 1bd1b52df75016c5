"""Another system's attempts as a run of their own: `batt import FILE --name NAME`.

A submission (`{task_id: [{"attempt_1": grid, "attempt_2": grid}, ...one per test input]}`, the ARC Prize
form) or an attempts file (`{task_id: [[grid, grid, ...], ...one list per test input]}`) becomes a run of mode
"import": its tasks, and per task one evaluation per attempt, origin `import:NAME`. Attempt k of a task is its
k-th grid on every test input, so it is one prediction, as a batt solver's is. Where the task's test outputs are
known the attempts are scored with the score stage's rule; the rows then count in `correct`, in the views and in
the measured precision that `batt export` uses to ensemble runs. An imported attempt has no program: its solver
row holds no expression (nothing ever runs it) and its outputs are kept in the evaluation's test samples.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from batt_tasks.db.models import Evaluation, Solver
from batt_tasks.db.records import finish_run, start_run
from batt_tasks.db.session import insert, session_scope
from batt_tasks.grids import JSON_ROWS, grid_problem
from batt_tasks.payloads import GridText, TaskPayload, grid_text, prediction_md5
from batt_tasks.stages.score import EXACT, ScoreBackend, score_grids

IMPORT_MODE = "import"
ORIGIN_PREFIX = "import:"
# The most attempts per test input kept (the ARC Prize scores two; an attempts file may hold more).
MOST_ATTEMPTS = 2

# task id -> attempt (0-based) -> one grid per test input (None where that input has no such attempt)
ImportedAttempts = dict[str, list[list[GridText | None]]]


class AttemptsFileError(ValueError):
    """A file that is neither a submission nor an attempts file; the message names the task and the fault."""


@dataclass(frozen=True)
class ImportResult:
    run_id: int
    tasks: int
    attempts: int
    known: int  # tasks whose test outputs are known, so their attempts were scored
    correct: int  # of those, tasks with a test-exact attempt (the ARC Prize rule)


def read_attempts(path: Path) -> ImportedAttempts:
    """The attempts in a submission or attempts file, checked grid by grid."""
    try:
        raw = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as error:
        raise AttemptsFileError(f"{path}: cannot read it: {error}") from None
    except json.JSONDecodeError as error:
        raise AttemptsFileError(f"{path}: not JSON: {error}") from None
    if not isinstance(raw, dict) or not raw:
        raise AttemptsFileError(f"{path}: expected a JSON object of task ids, found {type(raw).__name__}")
    return {str(task_id): _task_attempts(str(task_id), entries) for task_id, entries in raw.items()}


def _task_attempts(task_id: str, entries: object) -> list[list[GridText | None]]:
    if not isinstance(entries, list) or not entries:
        raise AttemptsFileError(f"task {task_id}: expected a list with one entry per test input")
    per_input = [_entry_grids(f"task {task_id}: test {index}", entry) for index, entry in enumerate(entries)]
    count = max(len(grids) for grids in per_input)
    if count == 0:
        raise AttemptsFileError(f"task {task_id}: no attempt at all")
    return [[grids[k] if k < len(grids) else None for grids in per_input] for k in range(count)]


def _entry_grids(where: str, entry: object) -> list[GridText | None]:
    """One test input's attempts, in order: attempt_1, attempt_2 (a submission), a list of grids, or one grid."""
    if isinstance(entry, dict):
        names = sorted((name for name in entry if str(name).startswith("attempt_")), key=_attempt_number)
        if not names:
            raise AttemptsFileError(f"{where}: no attempt_1 / attempt_2 key")
        grids = [entry[name] for name in names]
    elif _depth(entry) == 3:
        grids = cast(list[object], entry)
    elif _depth(entry) == 2:
        grids = [entry]
    else:
        raise AttemptsFileError(f"{where}: expected {{'attempt_1': grid, 'attempt_2': grid}} or a list of grids")
    kept: list[GridText | None] = []
    for index, grid in enumerate(grids[:MOST_ATTEMPTS]):
        if grid is None or grid == []:  # an attempt left out
            kept.append(None)
            continue
        problem = grid_problem(grid, JSON_ROWS)
        if problem:
            raise AttemptsFileError(f"{where} attempt {index + 1}: {problem}")
        kept.append(grid_text(grid))
    return kept


def _depth(value: object) -> int:
    """How deep the first elements nest in lists: a grid is 2, a list of grids 3."""
    depth = 0
    while isinstance(value, list) and value:
        depth, value = depth + 1, value[0]
    return depth


def _attempt_number(name: object) -> int:
    suffix = str(name).removeprefix("attempt_")
    if not suffix.isdigit():
        raise AttemptsFileError(f"unknown key {name!r}: expected attempt_1, attempt_2, ...")
    return int(suffix)


def import_attempts(
    database_url: str,
    name: str,
    source: str,
    attempts: ImportedAttempts,
    tasks: list[tuple[TaskPayload, str]],
    backend: ScoreBackend,
) -> ImportResult:
    """Record `attempts` (for exactly the given tasks, matched by id) as a finished run of origin import:NAME."""
    by_id = {task["id"]: task for task, _ in tasks}
    for task_id, per_attempt in attempts.items():
        tests = len(by_id[task_id]["test"])
        if len(per_attempt[0]) != tests:
            raise AttemptsFileError(f"task {task_id}: {len(per_attempt[0])} test entries, the task has {tests}")
    config = {"origin": ORIGIN_PREFIX + name, "file": source, "generator": IMPORT_MODE}
    settings = {"dataset": None, "split": None, "seed": 0, "budget": 0, "config": config}
    run_id = start_run(database_url, tasks, IMPORT_MODE, settings, owner=None)
    try:
        rows = [
            row
            for task_id, per_attempt in attempts.items()
            for row in _rows(run_id, name, by_id[task_id], per_attempt, backend)
        ]
        _save(database_url, rows)
    except BaseException:
        # The attempts go in one transaction: none of them is recorded, and the run says it failed.
        finish_run(database_url, run_id, "failed")
        raise
    finish_run(database_url, run_id)
    known = {row["task_id"] for row in rows if row["test_exact"] is not None}
    correct = {row["task_id"] for row in rows if row["test_exact"]}
    return ImportResult(run_id, len(attempts), len(rows), len(known), len(correct))


def _save(database_url: str, rows: list[dict[str, Any]]) -> None:
    with session_scope(database_url) as session:
        solvers = {row["solver_md5"]: _solver_row(row) for row in rows}
        statement = insert(session, Solver).on_conflict_do_nothing(index_elements=["md5"])
        session.execute(statement, [solvers[md5] for md5 in sorted(solvers)])
        session.execute(insert(session, Evaluation), [{k: v for k, v in row.items() if k != "attempt"} for row in rows])


def _rows(
    run_id: int, name: str, task: TaskPayload, per_attempt: list[list[GridText | None]], backend: ScoreBackend
) -> list[dict[str, Any]]:
    """One evaluation row per attempt, scored where the task's test outputs are known."""
    expected = [pair["output"] for pair in task["test"] if pair["output"] is not None]
    rows = []
    for number, outputs in enumerate(per_attempt, start=1):
        complete = all(output is not None for output in outputs)
        known = complete and len(expected) == len(outputs)
        scores: list[int | None] = [*score_grids(outputs, expected, backend)] if known else [None] * len(outputs)
        prediction = prediction_md5([o for o in outputs if o is not None]) if complete else None
        missing = [index for index, output in enumerate(outputs) if output is None]
        rows.append({
            "attempt": number,
            "run_id": run_id, "task_key": task["key"], "task_id": task["id"],
            "solver_md5": _solver_md5(number, outputs),
            "origin": (ORIGIN_PREFIX + name)[:200],
            "status": "ok" if complete else "error",
            "error": None if complete else f"no attempt {number} for test input(s) {missing}",
            "demo_score": 0.0, "demo_exact": False,
            "test_score": sum(score or 0 for score in scores) / len(scores) if known else None,
            "test_exact": all(score == EXACT for score in scores) if known else None,
            "prediction": prediction,
            "samples": [
                {"kind": "test", "status": "ok" if output else "error", "score": score, "error": None, "seconds": 0.0,
                 "output": output}
                for output, score in zip(outputs, scores, strict=True)
            ],
        })  # fmt: skip
    return rows


def _solver_md5(number: int, outputs: list[GridText | None]) -> str:
    """The content address of an imported attempt: its number (it ranks by it) and its outputs."""
    text = f"imported attempt {number}\n" + "\n".join(output or "-" for output in outputs)
    return hashlib.md5(text.encode()).hexdigest()


def _solver_row(row: dict[str, Any]) -> dict[str, Any]:
    # No expression: nothing may run it. Its size is its attempt number, so the one ranking (shorter first)
    # keeps the file's attempt order within the run.
    program = f"# attempt {row['attempt']} imported from another system; its outputs are in evaluations.samples"
    return {"md5": row["solver_md5"], "expression": None, "program": program, "size": row["attempt"]}


def imported_outputs(samples: list[dict[str, Any]]) -> tuple[GridText, ...] | None:
    """An imported attempt's test outputs, from its stored samples; None for any other evaluation."""
    outputs = [sample.get("output") for sample in samples if sample.get("kind") == "test"]
    texts = [output for output in outputs if isinstance(output, str)]
    return tuple(texts) if texts and len(texts) == len(outputs) else None
