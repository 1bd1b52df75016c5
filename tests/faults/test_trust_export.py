"""`batt export` of a run still running refuses, or with --partial writes the file and says so loudly.

It used to write the submission of whatever the run had evaluated so far, silently: a partial file that looks
like a finished one.
"""

import json
import sqlite3
from pathlib import Path

from tests.conftest import batt

CANDIDATE = "def solve(I):\n    O = hconcat(I, I)\n    return O\n"


def _finished_run(folder: Path) -> dict[str, str]:
    (folder / "mine.py").write_text(CANDIDATE)
    env = {"BATT_DATABASE_URL": f"sqlite:///{folder / 'batt.db'}"}
    done = batt("run", "--task", "a416b8f3", "--task", "007bbfb7", "--candidates", "mine.py", env=env, cwd=folder)
    assert done.returncode == 0, done.stderr
    return env


def _set_status(folder: Path, status: str) -> None:
    with sqlite3.connect(folder / "batt.db") as connection:
        assert connection.execute("UPDATE runs SET status = ? WHERE id = 1", (status,)).rowcount == 1


def test_a_running_run_is_refused_in_one_line_and_nothing_is_written(tmp_path: Path) -> None:
    env = _finished_run(tmp_path)
    _set_status(tmp_path, "running")
    refused = batt("export", "--run", "1", "-o", "submission.json", env=env, cwd=tmp_path)
    assert refused.returncode != 0
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "still running" in refused.stderr and "--partial" in refused.stderr
    assert not (tmp_path / "submission.json").exists()


def test_partial_writes_the_file_with_a_loud_warning(tmp_path: Path) -> None:
    env = _finished_run(tmp_path)
    _set_status(tmp_path, "running")
    partial = batt("export", "--run", "1", "-o", "submission.json", "--partial", env=env, cwd=tmp_path)
    assert partial.returncode == 0, partial.stderr
    assert "WARNING" in partial.stderr and "PARTIAL" in partial.stderr and "still running" in partial.stderr
    assert set(json.loads((tmp_path / "submission.json").read_text())) == {"a416b8f3", "007bbfb7"}


def test_a_finished_run_exports_without_a_warning(tmp_path: Path) -> None:
    env = _finished_run(tmp_path)
    for flags in ([], ["--partial"]):
        done = batt("export", "--run", "1", "-o", "submission.json", *flags, env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "WARNING" not in done.stderr and "wrote submission.json: 2 tasks" in done.stdout
