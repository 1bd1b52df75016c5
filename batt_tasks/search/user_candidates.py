"""A user's own candidates: a Python file of solver functions, or JSONL rows of {"task_id", "source"}.

Nothing here runs a candidate: a Python file is only parsed, to cut out each function's source.
The pipeline's sandbox checks every candidate before it runs and records the reason it refuses one.

- A `.py` file: every top-level `def solve(I)` (or `def solve_<task id>(I)`, which binds it to that
  task) is one candidate; an unbound one is tried on every selected task. A function is cut out by the
  parser's own line numbers, over lines split where Python splits them (\\n, \\r\\n, \\r: not at a form feed
  or U+2028, as str.splitlines would). A syntax error leaves out only the function it is in: the file is
  then parsed one top-level block at a time, and each block that fails is listed in `problems`.
- A `.jsonl` file: one JSON object per line with "source" and "task_id" (null or "*" for every task).
  Lines end at "\\n" only: a raw U+2028 inside a JSON string is text, not a line end.
"""

import ast
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from batt_tasks.data import ArcTask
from batt_tasks.payloads import Candidate
from batt_tasks.sandbox.whitelist import FUNCTION_NAME

EVERY_TASK = "*"
LINE_END = re.compile(r"\r\n|\r|\n")  # Python's line ends, and no others
# A line that starts a top-level block: a decorator, a def or a class at column 0 (a form feed may precede).
BLOCK_START = re.compile(r"\f*(?:@|(?:async\s+)?def\b|class\b)")
DEF_NAME = re.compile(r"(\f*(?:async\s+)?def\s+)(\w+)")  # the name as written (the parser's may be normalised)
JSON_BLANK = " \t\r"  # JSON's whitespace besides the line end
UNPARSABLE = (SyntaxError, ValueError, RecursionError, MemoryError)  # ValueError: a null byte


class CandidatesFileError(ValueError):
    """The candidates file cannot be read; the message names the file and the line."""


@dataclass
class UserCandidates:
    """Candidates by task id (EVERY_TASK for those that apply to all), and the functions left out."""

    by_task: dict[str, list[Candidate]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # "file:line: why", one per block left out

    def add(self, task_id: str, candidate: Candidate) -> None:
        self.by_task.setdefault(task_id, []).append(candidate)

    def bound_tasks(self) -> set[str]:
        return set(self.by_task) - {EVERY_TASK}

    def for_task(self, task: ArcTask) -> list[Candidate]:
        return [*self.by_task.get(task.id, ()), *self.by_task.get(EVERY_TASK, ())]

    def unknown_task_ids(self, task_ids: Iterable[str]) -> list[str]:
        """Bound task ids (`solve_<id>`, a row's "task_id") not among `task_ids`: a typo or the wrong --split."""
        return sorted(self.bound_tasks() - set(task_ids))

    def unmatched(self, tasks: Sequence[ArcTask]) -> list[str]:
        """Bound task ids that name none of the tasks."""
        return self.unknown_task_ids(task.id for task in tasks)


def load_candidates(path: Path) -> UserCandidates:
    """Read a .py or .jsonl candidates file; CandidatesFileError says what is wrong and where."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark is not part of the first line
    except (OSError, UnicodeDecodeError) as error:
        raise CandidatesFileError(f"{path}: cannot read candidates: {error}") from None
    if path.suffix == ".py":
        found = _from_python(path, text)
    elif path.suffix == ".jsonl":
        found = _from_jsonl(path, text)
    else:
        raise CandidatesFileError(f"{path}: candidates must be a .py file of solve functions or a .jsonl file")
    if not found.by_task:
        raise CandidatesFileError(found.problems[0] if found.problems else f"{path}: no candidate found")
    return found


def _from_python(path: Path, text: str) -> UserCandidates:
    found = UserCandidates()
    lines = LINE_END.split(text)
    try:
        module = ast.parse(text)
    except UNPARSABLE:
        for first, block in _top_level_blocks(lines):
            _add_block(path, first, block, found)
    else:
        _add_functions(path, module, lines, 1, found)
    return found


def _top_level_blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """(first line number, lines) of each top-level block; decorators stay with the def they decorate."""
    blocks: list[tuple[int, list[str]]] = [(1, [])]
    for number, line in enumerate(lines, start=1):
        current = blocks[-1][1]
        decorating = bool(current) and all(kept.lstrip("\f").startswith("@") for kept in current)
        if BLOCK_START.match(line) and current and not decorating:
            blocks.append((number, []))
        blocks[-1][1].append(line)
    return blocks


def _add_block(path: Path, first: int, block: list[str], found: UserCandidates) -> None:
    try:
        module = ast.parse("\n".join(block))
    except UNPARSABLE as error:
        line = first + (getattr(error, "lineno", None) or 1) - 1
        names = [match.group(2) for text in block if (match := DEF_NAME.match(text))]
        what = f"function {names[0]}" if names else f"lines {first}-{first + len(block) - 1}"
        reason = getattr(error, "msg", None) or str(error)
        found.problems.append(f"{path}:{line}: syntax error: {reason}; {what} left out, the rest kept")
        return
    _add_functions(path, module, block, first, found)


def _add_functions(path: Path, module: ast.Module, lines: list[str], first: int, found: UserCandidates) -> None:
    """Each solve function of a parsed module (whose line 1 is the file's line `first`), cut out of `lines`."""
    for node in module.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or _task_of(node.name) is None:
            continue
        start = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
        cut = lines[start - 1 : node.end_lineno]
        # One name for every candidate, so the sandbox and the md5 see the program, not its label.
        index = node.lineno - start
        cut[index] = DEF_NAME.sub(rf"\g<1>{FUNCTION_NAME}", cut[index], count=1)
        source = "\n".join(cut) + "\n"
        found.add(
            _task_of(node.name) or EVERY_TASK,
            {"source": source, "origin": f"user:{path.name}:{first + node.lineno - 1}"},
        )


def _task_of(name: str) -> str | None:
    """EVERY_TASK for `solve`, the id for `solve_<id>`, None for any other function (a helper)."""
    if name == FUNCTION_NAME:
        return EVERY_TASK
    prefix = f"{FUNCTION_NAME}_"
    return name.removeprefix(prefix) if name.startswith(prefix) and name != prefix else None


def _from_jsonl(path: Path, text: str) -> UserCandidates:
    found = UserCandidates()
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip(JSON_BLANK):
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
