"""Stamps learned from demos: a pattern next to each cell of a colour, only where the demos answer every test."""

from batt_tasks.dsl.types import Grid
from batt_tasks.sandbox.whitelist import compile_solver
from batt_tasks.search.enumeration import program_source
from batt_tasks.search.stamps import learned_stamps

# A 2 gets a 1 on each side; a 3 gets a 4 on each corner.
DEMOS: list[tuple[Grid, Grid]] = [
    (
        ((0, 0, 0, 0, 0), (0, 2, 0, 0, 0), (0, 0, 0, 0, 0), (0, 0, 0, 3, 0), (0, 0, 0, 0, 0)),
        ((0, 1, 0, 0, 0), (1, 2, 1, 0, 0), (0, 1, 4, 0, 4), (0, 0, 0, 3, 0), (0, 0, 4, 0, 4)),
    ),
    (
        ((3, 0, 0), (0, 0, 0), (0, 0, 2)),
        ((3, 0, 0), (0, 4, 1), (0, 1, 2)),
    ),
]
TEST: Grid = ((0, 0, 0, 0), (0, 3, 0, 0), (0, 0, 0, 0), (0, 0, 0, 2))
TEST_OUTPUT: Grid = ((4, 0, 4, 0), (0, 3, 0, 0), (4, 0, 4, 1), (0, 0, 1, 2))


def test_learns_each_colours_pattern_as_a_checked_program() -> None:
    found = learned_stamps(DEMOS, [TEST])
    assert len(found) == 1 and found[0].startswith("stamps(I, ")
    solver = compile_solver(program_source(found[0]))
    assert [solver(grid_in) for grid_in, _ in DEMOS] == [grid_out for _, grid_out in DEMOS]
    assert solver(TEST) == TEST_OUTPUT


def test_no_stamps_for_a_colour_or_a_side_the_demos_never_answered() -> None:
    assert learned_stamps(DEMOS, [((0, 5, 0),)]) == []  # 5 is new
    assert learned_stamps(DEMOS[1:], [((0, 0, 0), (2, 0, 0), (0, 0, 0))]) == []  # no demo 2 had background on its right


def test_no_stamps_where_one_side_becomes_different_colours() -> None:
    varied = [DEMOS[0], (((0, 2, 0),), ((5, 2, 1),))]
    assert learned_stamps(varied, [TEST]) == []
