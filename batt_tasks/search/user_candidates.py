"""A user's own candidates: a Python file of solver functions, or JSONL rows of {"task_id", "source"}.

Nothing here runs a candidate: a Python file is only parsed, to cut out each function's source.
The pipeline's sandbox checks every candidate before it runs and records the reason it refuses one.

- A `.py` file: every top-level `def solve(I)` (or `def solve_<task id>(I)`, which binds it to that
  task) is one candidate; an unbound one is tried on every selected task.
- A `.jsonl` file: one JSON object per line with "source" and "task_id" (null or "*" for every task).
"""

import ast
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from batt_tasks.data import ArcTask
from batt_tasks.payloads import CandidateRecord
from batt_tasks.stages.sandbox import FUNCTION_NAME

EVERY_TASK = "*"


class CandidatesFileError(ValueError):
    """The candidates file cannot be read; the message names the file and the line."""


@dataclass
class UserCandidates:
    """Candidates by task id (EVERY_TASK for those that apply to all)."""

    by_task: dict[str, list[CandidateRecord]] = field(default_factory=dict)

    def add(self, task_id: str, candidate: CandidateRecord) -> None:
        self.by_task.setdefault(task_id, []).append(candidate)

    def bound_tasks(self) -> set[str]:
        return set(self.by_task) - {EVERY_TASK}

    def for_task(self, task: ArcTask) -> list[CandidateRecord]:
        return [*self.by_task.get(task.id, ()), *self.by_task.get(EVERY_TASK, ())]

    def unmatched(self, tasks: Sequence[ArcTask]) -> list[str]:
        """Bound task ids that name none of the tasks: most likely a typo or the wrong --split."""
        return sorted(self.bound_tasks() - {task.id for task in tasks})


def load_candidates(path: Path) -> UserCandidates:
    """Read a .py or .jsonl candidates file; CandidatesFileError says what is wrong and where."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CandidatesFileError(f"{path}: cannot read candidates: {error}") from None
    if path.suffix == ".py":
        found = _from_python(path, text)
    elif path.suffix == ".jsonl":
        found = _from_jsonl(path, text)
    else:
        raise CandidatesFileError(f"{path}: candidates must be a .py file of solve functions or a .jsonl file")
    if not found.by_task:
        raise CandidatesFileError(f"{path}: no candidate found")
    return found


def _from_python(path: Path, text: str) -> UserCandidates:
    try:
        module = ast.parse(text)
    except SyntaxError as error:
        raise CandidatesFileError(f"{path}:{error.lineno}: syntax error: {error.msg}") from None
    found = UserCandidates()
    lines = text.splitlines()
    for node in module.body:
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith(FUNCTION_NAME):
            continue
        task_id = node.name.removeprefix(f"{FUNCTION_NAME}_") if node.name != FUNCTION_NAME else EVERY_TASK
        start = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)]) - 1
        source = "\n".join(lines[start : node.end_lineno]) + "\n"
        # One name for every candidate, so the sandbox and the md5 see the program, not its label.
        source = source.replace(f"def {node.name}(", f"def {FUNCTION_NAME}(", 1)
        found.add(task_id, {"source": source, "origin": f"user:{path.name}:{node.lineno}"})
    return found


def _from_jsonl(path: Path, text: str) -> UserCandidates:
    found = UserCandidates()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise CandidatesFileError(f"{path}:{number}: not JSON: {error.msg}") from None
        if not isinstance(row, dict) or not isinstance(row.get("source"), str):
            raise CandidatesFileError(f'{path}:{number}: expected an object with a "source" string')
        task_id = row.get("task_id")
        if task_id is not None and not isinstance(task_id, str):
            raise CandidatesFileError(f'{path}:{number}: "task_id" must be a string or null')
        found.add(task_id or EVERY_TASK, {"source": row["source"], "origin": f"user:{path.name}:{number}"})
    return found
