"""The one grid rule (batt_tasks/grids.py): what every caller accepts, and the fault it names otherwise."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batt_tasks.grids import JSON_ROWS, ROWS, TUPLE_ROWS, grid_problem, is_grid
from batt_tasks.sandbox.run import as_grid_text
from batt_tasks.search import kinds


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ([], "grid has no rows"),
        ((), "grid has no rows"),
        ([[]], "row 0 is empty"),
        ([[1, 2], [3]], "row 1 has 1 cells, expected 2"),
        ([[1], [2, 3]], "row 1 has 2 cells, expected 1"),
        ([[0] * 31], "row 0 has 31 cells, at most 30 allowed"),
        ([[0]] * 31, "grid has 31 rows, at most 30 allowed"),
        ([[True]], "row 0 col 0 is true (a boolean), expected an integer 0..9"),
        ([[0, 10]], "row 0 col 1 is 10, expected an integer 0..9"),
        ([[0], [-1]], "row 1 col 0 is -1, expected an integer 0..9"),
        ([[1.0]], "row 0 col 0 is 1.0 (a float), expected an integer 0..9"),
        ([[None]], "row 0 col 0 is null, expected an integer 0..9"),
        ([["3"]], 'row 0 col 0 is "3" (a string), expected an integer 0..9'),
        ([[[1]]], "row 0 col 0 is a list, expected an integer 0..9"),  # nested one level deeper
        ([[(1, 2)]], "row 0 col 0 is a tuple, expected an integer 0..9"),
        ([1, 2], "row 0 is an integer, expected a list or a tuple of cells"),
        ("[[1]]", "expected a grid (a list or a tuple of rows), got a string"),
        (5, "expected a grid (a list or a tuple of rows), got an integer"),
        ({0: [1]}, "expected a grid (a list or a tuple of rows), got an object"),
        # The first fault in reading order: row 1's bad cell comes before row 2's wrong length.
        ([[1, 2], [3, 12], [4]], "row 1 col 1 is 12, expected an integer 0..9"),
    ],
)
def test_a_non_grid_is_refused_with_its_fault(value: object, problem: str) -> None:
    assert not is_grid(value)
    assert grid_problem(value) == problem


@pytest.mark.parametrize(
    "value",
    [[[0]], ((9,),), [[9] * 30] * 30, ((0,) * 30,) * 30, [(1, 2), [3, 4]], [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]],
)
def test_grids_are_accepted(value: object) -> None:
    assert is_grid(value)
    assert grid_problem(value) is None


def test_the_row_types_each_caller_allows() -> None:
    assert grid_problem(((1,),), JSON_ROWS) == "expected a grid (a list of rows), got a tuple"
    assert grid_problem([(1,)], JSON_ROWS) == "row 0 is a tuple, expected a list of cells"
    assert grid_problem([[1]], TUPLE_ROWS) == "expected a grid (a tuple of rows), got a list"
    assert grid_problem(((1,), [2]), TUPLE_ROWS) == "row 1 is a list, expected a tuple of cells"
    assert is_grid(((1,), (2,)), TUPLE_ROWS) and is_grid([[1], [2]], JSON_ROWS)


def test_a_subclass_of_a_row_type_is_no_grid() -> None:
    class Rows(tuple):  # type: ignore[type-arg]
        pass

    assert grid_problem(Rows([(1,)])) == "expected a grid (a list or a tuple of rows), got Rows"


def test_the_search_validate_and_loader_use_the_rule() -> None:
    # The search's kinds: colours outside 0..9 make no grid (before the rule was shared they did).
    assert kinds.kind_of(((1, 2), (3, 4))) == kinds.GRID
    assert kinds.kind_of(((1, 12), (3, 4))) is None
    assert kinds.kind_of(((0,) * 31,)) is None
    assert kinds.kind_of((((1,),), ((2,),))) == kinds.GRIDS
    with pytest.raises(ValueError, match=r"not a grid: row 1 has 1 cells, expected 2"):
        as_grid_text(((1, 2), (3,)))
    assert as_grid_text([[1, 2], (3, 4)]) == "12|34"


cells: st.SearchStrategy[Any] = st.integers(-2, 12) | st.booleans() | st.floats(0, 9) | st.none() | st.just([1])
rows: st.SearchStrategy[Any] = st.lists(cells, max_size=4) | st.tuples(cells, cells) | cells
values: st.SearchStrategy[Any] = (
    st.lists(rows, max_size=4) | st.lists(rows, max_size=4).map(tuple) | cells | st.text(max_size=3)
)


@given(values, st.sampled_from([ROWS, JSON_ROWS, TUPLE_ROWS]))
def test_the_fast_rule_and_the_diagnosis_agree(value: object, row_types: frozenset[type]) -> None:
    problem = grid_problem(value, row_types)
    assert (problem is None) == is_grid(value, row_types)
    if problem is None:
        assert isinstance(value, list | tuple) and all(type(c) is int and 0 <= c <= 9 for r in value for c in r)
