"""Outside text (a task id, a file name) never becomes code, and never reaches the terminal as control codes.

`batt best` spliced the task id into a docstring: an id like x\"\"\"; import os; ... \"\"\" broke out of it and
ran when the printed file did. Ids come from file names and from the keys of a Kaggle challenges file.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import batt

MARKER = "pwn"  # relative: the printed file runs in the test's folder
BREAKOUTS = [
    'x"""; import os; os.system("touch pwn"); """',
    "x'''; import os; os.system('touch pwn'); '''",
    'x\n__import__("os").system("touch pwn")\n#',
    'x\r__import__("os").system("touch pwn")#',
    'x\\"""\nimport os; os.system("touch pwn")\n"""',
    "x\u2028__import__('os').system('touch pwn')",
]
ESCAPES = "e\x1b[31mred\x1b]0;retitled\x07\x9b2J\u202e"  # colour, window title, C1 CSI, bidi override
CANDIDATE = "def solve(I):\n    O = hconcat(I, I)\n    return O\n"
TASK = {"train": [{"input": [[1, 2]], "output": [[1, 2, 1, 2]]}, {"input": [[3]], "output": [[3, 3]]}],
        "test": [{"input": [[5, 6], [7, 8]]}]}  # fmt: skip


def _run_best(task_id: str, env: dict[str, str], folder: Path) -> subprocess.CompletedProcess[str]:
    best = batt("best", task_id, env=env, cwd=folder)
    assert best.returncode == 0, best.stderr
    (folder / "best.py").write_text(best.stdout)
    return subprocess.run([sys.executable, "best.py"], cwd=folder, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("task_id", BREAKOUTS)
def test_a_hostile_task_id_stays_a_literal_in_the_printed_solver(tmp_path: Path, task_id: str) -> None:
    (tmp_path / "challenges.json").write_text(json.dumps({task_id: TASK}))
    (tmp_path / "mine.py").write_text(CANDIDATE)
    env = {"BATT_DATABASE_URL": f"sqlite:///{tmp_path / 'batt.db'}"}
    done = batt("run", "--tasks-file", "challenges.json", "--candidates", "mine.py", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    ran = _run_best(task_id, env, tmp_path)
    assert not (tmp_path / MARKER).exists()
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[1:] == ["5 6 5 6", "7 8 7 8"]  # the test input's output, under a title


def test_control_characters_in_ids_and_file_names_are_shown_escaped(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / f"{ESCAPES}.json").write_text(json.dumps(TASK))  # the id comes from the file name
    (tasks / f"bad{ESCAPES}.json").write_text(json.dumps({"train": "no"}))  # reported on the 'skipped' line
    (tmp_path / "mine.py").write_text(CANDIDATE)
    env = {"BATT_DATABASE_URL": f"sqlite:///{tmp_path / 'batt.db'}"}
    done = batt("run", "--tasks-file", "tasks", "--candidates", "mine.py", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "skipped" in done.stderr and "\\x1b[31m" in done.stderr
    outputs = [done.stderr]
    for command in (["show", ESCAPES, "-o", f"{ESCAPES}.png"], ["best", ESCAPES], ["best", f"no{ESCAPES}"],
                    ["export", "--run", "1", "-o", f"{ESCAPES}.json"]):  # fmt: skip
        shown = batt(*command, env=env, cwd=tmp_path)
        outputs += [shown.stdout, shown.stderr]
    assert (tmp_path / f"{ESCAPES}.png").exists() and (tmp_path / f"{ESCAPES}.json").exists()
    ran = _run_best(ESCAPES, env, tmp_path)
    outputs.append(ran.stdout)
    assert ran.stdout.splitlines()[1:] == ["5 6 5 6", "7 8 7 8"]
    for text in outputs:
        assert not {"\x1b", "\x07", "\x9b", "\u202e"} & set(text), text
    assert "\\x1b[31m" in outputs[1]  # `batt show` names the task, escaped
