"""`batt run` with the search and with a user's own candidates, end to end in real processes."""

import json
import sqlite3
from pathlib import Path

from tests.conftest import batt

MINE = """from batt_tasks.dsl import *


def solve_a416b8f3(I):
    O = hconcat(I, I)
    return O


def solve(I):
    return rot90(I)


def solve_6150a2bd(I):
    return __import__("os").system("true")
"""


def rows(database: Path, query: str) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute(query).fetchall()


def test_user_candidates_run_through_the_pipeline_after_the_sandbox(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text(MINE)
    env = {"BATT_DATABASE_URL": f"sqlite:///{tmp_path / 'batt.db'}"}
    tasks = ["--task", "a416b8f3", "--task", "6150a2bd"]
    done = batt("run", "--candidates", "mine.py", *tasks, "--json", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    # The unbound rot90 is tried on both tasks, the bound ones on their own.
    assert summary["tasks"] == 2 and summary["after_dedup"] == 4
    assert summary["search"] is None
    assert summary["solved"] == 1 and summary["correct"] == 1  # hconcat(I, I) solves a416b8f3
    statuses = dict(rows(tmp_path / "batt.db", "SELECT origin, status FROM evaluations WHERE task_id = '6150a2bd'"))
    assert statuses == {"user:mine.py:13": "rejected", "user:mine.py:9": "ok"}
    [(error,)] = rows(tmp_path / "batt.db", "SELECT error FROM evaluations WHERE status = 'rejected'")
    assert "only DSL names" in error


def test_a_bad_candidates_file_is_one_line_and_no_run(tmp_path: Path) -> None:
    (tmp_path / "mine.jsonl").write_text('{"task_id": "007bbfb7", "source": "def solve(I): return I"}\n{oops\n')
    env = {"BATT_DATABASE_URL": f"sqlite:///{tmp_path / 'batt.db'}"}
    done = batt("run", "--candidates", "mine.jsonl", cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert "mine.jsonl:2: not JSON" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "batt.db").exists()


def test_search_reports_its_counts_and_finds_an_enumerated_solver(tmp_path: Path) -> None:
    # 017c7c7b has no hand-written solver and no short one: the search spends its budget.
    env = {"BATT_DATABASE_URL": f"sqlite:///{tmp_path / 'batt.db'}"}
    done = batt(
        "run", "--task", "017c7c7b", "--task", "007bbfb7", "--budget", "3000", "--keep", "4", "--json",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    search = summary["search"]
    # The seeded 007bbfb7 stops at its seed; 017c7c7b spends the budget, nine tenths of it enumerating.
    assert (search["enumerated"], search["mutated"]) == (2700, 300)
    assert search["after_observational"] <= search["after_textual"] <= search["enumerated"] + search["mutated"]
    assert search["stopped_by"] == {"budget": 1, "solved": 1}
    assert summary["after_dedup"] <= 1 + 4
    origins = {origin.split(":")[0] for (origin,) in rows(tmp_path / "batt.db", "SELECT origin FROM evaluations")}
    assert origins <= {"seed", "enumerate", "mutate"} and "seed" in origins


def test_candidates_bound_to_tasks_select_those_tasks(tmp_path: Path) -> None:
    row = {"task_id": "a416b8f3", "source": "def solve(I):\n    return hconcat(I, I)\n"}
    (tmp_path / "mine.jsonl").write_text(json.dumps(row) + "\n")
    env = {"BATT_DATABASE_URL": f"sqlite:///{tmp_path / 'batt.db'}"}
    done = batt("run", "--candidates", "mine.jsonl", "--json", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert (summary["tasks"], summary["after_dedup"], summary["correct"]) == (1, 1, 1)
