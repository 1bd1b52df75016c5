"""Code that skips the whitelist never runs: not from a candidates file, not from a tampered database row.

The old check never looked at argument annotations and compiled the user's whole def, so `def solve(I: <code>)`
ran <code> at compile time, in the pipeline and in every command that re-runs a stored program (show, export).
"""

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import batt

TASK = "a416b8f3"  # hconcat(I, I) solves it
SOLVER = "def solve(I):\n    O = hconcat(I, I)\n    return O\n"
# Runs without builtins, as a compiled candidate would: from any object to os.system.
ESCAPE = (
    "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0]"
    ".__init__.__globals__['system']('touch {marker}')"
)
SMUGGLED = {
    "annotation": "def solve(I: {p}):\n    O = hconcat(I, I)\n    return O\n",
    "lambda in annotation": "def solve(I: (lambda: {p})()):\n    O = hconcat(I, I)\n    return O\n",
    "annotation and docstring": 'def solve(I: {p}):\n    """Doubled."""\n    O = hconcat(I, I)\n    return O\n',
    "default": "def solve(I={p}):\n    O = hconcat(I, I)\n    return O\n",
    "decorator": "@(lambda f: ({p}, f)[1])\ndef solve(I):\n    O = hconcat(I, I)\n    return O\n",
    "return annotation": "def solve(I) -> {p}:\n    O = hconcat(I, I)\n    return O\n",
}


def _smuggled(name: str, marker: Path) -> str:
    return SMUGGLED[name].format(p=ESCAPE.format(marker=marker))


def _rows(database: Path, query: str, *args: object) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute(query, args).fetchall()


def test_smuggled_candidates_are_stored_rejected_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    # Each hostile def bound to the task by name, one per line range; the last function is a clean solver.
    functions = [_smuggled(name, marker).replace("def solve(", f"def solve_{TASK}(", 1) for name in sorted(SMUGGLED)]
    (tmp_path / "mine.py").write_text("\n\n".join([*functions, SOLVER.replace("solve(", f"solve_{TASK}(", 1)]))
    env = {"BATT_DATABASE_URL": f"sqlite:///{tmp_path / 'batt.db'}"}
    done = batt("run", "--task", TASK, "--candidates", "mine.py", "--json", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not marker.exists()
    statuses = [status for (status,) in _rows(tmp_path / "batt.db", "SELECT status FROM evaluations")]
    assert sorted(statuses) == ["ok"] + ["rejected"] * len(SMUGGLED)
    assert json.loads(done.stdout.strip().splitlines()[-1])["correct"] == 1


@pytest.mark.parametrize("name", sorted(SMUGGLED))
def test_a_tampered_program_row_never_runs_in_show_best_or_export(tmp_path: Path, name: str) -> None:
    marker = tmp_path / "pwned"
    database = tmp_path / "batt.db"
    env = {"BATT_DATABASE_URL": f"sqlite:///{database}"}
    (tmp_path / "mine.py").write_text(SOLVER)
    assert batt("run", "--task", TASK, "--candidates", "mine.py", env=env, cwd=tmp_path).returncode == 0
    with sqlite3.connect(database) as connection:  # anyone with the database file can do this
        assert connection.execute("UPDATE solvers SET program = ?", (_smuggled(name, marker),)).rowcount == 1

    shown = batt("show", TASK, env=env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "refused by the whitelist" in shown.stdout and "__subclasses__" not in shown.stdout
    best = batt("best", TASK, env=env, cwd=tmp_path)
    assert best.returncode == 1 and best.stdout == ""
    assert "malformed" in best.stderr and "Traceback" not in best.stderr
    exported = batt("export", "--run", "1", "-o", "submission.json", env=env, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert "0 with solver attempts" in exported.stdout  # the tampered solver gave nothing; fallbacks did
    assert not marker.exists()
