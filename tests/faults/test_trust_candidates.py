"""A candidates file is cut the way Python reads it, and one broken function does not refuse the others.

str.splitlines() ends lines at a form feed, U+2028, \\x1c-\\x1e, \\x85 where Python does not, so functions were
cut at the wrong lines and valid solvers stored as rejected; one syntax error refused the whole file.
"""

import json
import sqlite3
from pathlib import Path

from tests.conftest import batt

MINE = (
    "from batt_tasks.dsl import *  # \u2028 a comment Python reads as one line\n"
    "\x0c\n"
    "def solve_a416b8f3(I):  # \x85\x1c\x1d\x1e\n"
    "    O = hconcat(I, I)\n"
    "    return O\n"
    "\n"
    "\n"
    "def solve_6150a2bd(I):\n"
    "    O = rot90(rot90(I)\n"  # the syntax error: only this function is left out
    "    return O\n"
    "\n"
    "\n"
    "def solve_6150a2bd(I):\n"
    "    O = rot180(I)\n"
    "    return O\n"
)


def test_a_file_python_reads_fine_runs_all_its_valid_solvers(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text(MINE, encoding="utf-8")
    source = "def solve(I):\n    O = vconcat(I, I)  # \u2028 raw in JSON\n    return O\n"
    row = {"task_id": "a416b8f3", "source": source}
    (tmp_path / "more.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    env = {"BATT_DATABASE_URL": f"sqlite:///{tmp_path / 'batt.db'}"}
    for candidates in ("mine.py", "more.jsonl"):
        done = batt("run", "--candidates", candidates, "--json", env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    with sqlite3.connect(tmp_path / "batt.db") as connection:
        rows = dict(connection.execute("SELECT origin, status FROM evaluations").fetchall())
    assert rows == {"user:mine.py:3": "ok", "user:mine.py:13": "ok", "user:more.jsonl:1": "ok"}
