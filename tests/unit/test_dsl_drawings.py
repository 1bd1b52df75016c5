"""Drawings from a grid's own cells: bridges between two cells of one colour, rays out to the border, rings
around objects, their bounding boxes, patterns stamped next to cells of a colour."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batt_tasks.dsl.drawings import boxes, bridges, gaps, halo, rays, rings, stamps
from batt_tasks.dsl.types import Grid

# Two 3s facing along a row, two 2s along a column, a lone 4.
GRID: Grid = (
    (0, 2, 0, 0),
    (3, 0, 0, 3),
    (0, 2, 4, 0),
)


def test_bridges_join_two_cells_of_one_colour_across_the_background() -> None:
    assert bridges(GRID, ((0, 1),)) == ((0, 2, 0, 0), (3, 3, 3, 3), (0, 2, 4, 0))
    assert bridges(GRID, ((1, 0),)) == ((0, 2, 0, 0), (3, 2, 0, 3), (0, 2, 4, 0))


def test_where_bridges_cross_the_first_direction_stays() -> None:
    assert bridges(GRID, ((1, 0), (0, 1))) == ((0, 2, 0, 0), (3, 2, 3, 3), (0, 2, 4, 0))
    assert bridges(GRID, ((0, 1), (1, 0))) == ((0, 2, 0, 0), (3, 3, 3, 3), (0, 2, 4, 0))


def test_no_bridge_between_different_colours_or_across_another_cell() -> None:
    assert bridges(((1, 0, 2),), ((0, 1),)) == ((1, 0, 2),)
    assert bridges(((1, 0, 2, 0, 1),), ((0, 1),)) == ((1, 0, 2, 0, 1),)
    assert bridges(((1, 0, 0), (0, 0, 0), (0, 0, 1)), ((1, 1), (1, -1))) == ((1, 0, 0), (0, 1, 0), (0, 0, 1))


def test_rays_run_to_the_border_or_the_next_cell() -> None:
    assert rays(((0, 5, 0, 0, 7, 0),), ((0, 1),)) == ((0, 5, 5, 5, 7, 7),)
    assert rays(((0, 0, 0), (0, 6, 0), (0, 0, 0)), ((-1, -1), (1, 1))) == ((6, 0, 0), (0, 6, 0), (0, 0, 6))


def test_where_rays_cross_the_earlier_cell_stays() -> None:
    # The 1 comes first in reading order, so its ray down keeps the crossing the 2's ray right also reaches.
    assert rays(((0, 1, 0), (2, 0, 0)), ((1, 0), (0, 1))) == ((0, 1, 1), (2, 1, 2))


def test_the_background_is_the_most_common_colour_where_there_is_no_black() -> None:
    assert rays(((8, 8, 8), (8, 3, 8), (8, 8, 8)), ((1, 0),)) == ((8, 8, 8), (8, 3, 8), (8, 3, 8))


def test_halo_rings_each_cell_by_its_sides_or_also_its_corners() -> None:
    grid = ((0, 0, 0, 0), (0, 3, 0, 0), (0, 0, 0, 0))
    assert halo(grid, 7, False) == ((0, 7, 0, 0), (7, 3, 7, 0), (0, 7, 0, 0))
    assert halo(grid, 7, True) == ((7, 7, 7, 0), (7, 3, 7, 0), (7, 7, 7, 0))


def test_boxes_fill_the_background_inside_each_objects_bounding_box() -> None:
    # An L of 2s (its box gains one cell) and two 4s joined only by a corner.
    grid = ((2, 0, 0, 0), (2, 2, 0, 4), (0, 0, 4, 0))
    assert boxes(grid, 5, False) == ((2, 5, 0, 0), (2, 2, 0, 4), (0, 0, 4, 0))
    assert boxes(grid, 5, True) == ((2, 5, 0, 0), (2, 2, 5, 4), (0, 0, 4, 5))


def test_gaps_mark_the_background_between_any_two_cells_along_rows_and_columns() -> None:
    assert gaps(((1, 0, 0, 2, 0),), 7) == ((1, 7, 7, 2, 0),)
    assert gaps(((3,), (0,), (3,), (0,)), 7) == ((3,), (7,), (3,), (0,))


def test_rings_mark_the_background_just_outside_each_objects_box() -> None:
    grid = ((0, 0, 0, 0), (0, 4, 4, 0), (0, 0, 0, 0))
    assert rings(grid, 8) == ((8, 8, 8, 8), (8, 4, 4, 8), (8, 8, 8, 8))
    assert rings(((4, 0, 0),), 8) == ((4, 8, 0),)  # the ring's parts off the grid are dropped


def test_directions_must_be_unit_steps() -> None:
    for directions in ((), ((0, 2),), ((0, 0),), ((1, 0, 1),)):
        with pytest.raises(ValueError):
            rays(GRID, directions)
        with pytest.raises(ValueError):
            bridges(GRID, directions)


@given(
    st.integers(1, 6).flatmap(
        lambda width: st.lists(st.lists(st.integers(0, 3), min_size=width, max_size=width), min_size=1, max_size=6)
    )
)
def test_lines_only_paint_black_in_colours_the_grid_has(rows: list[list[int]]) -> None:
    grid = tuple(tuple(row) for row in [*rows, [0] * len(rows[0])])  # a black row: black is the background
    for drawn in (rays(grid, ((0, 1), (1, -1))), bridges(grid, ((1, 0), (1, 1))), halo(grid, 2, True)):
        assert (len(drawn), len(drawn[0])) == (len(grid), len(grid[0]))
        changed = [
            (v, w) for row, new in zip(grid, drawn, strict=True) for v, w in zip(row, new, strict=True) if v != w
        ]
        assert all(v == 0 and w in {1, 2, 3} for v, w in changed)


def test_stamps_paint_each_colours_pattern_on_the_background_next_to_its_cells() -> None:
    table = ((3, ((0, 1, 7), (-1, 0, 8))), (4, ((1, 1, 9),)))
    # The 3 at (1, 0) paints 7 right of it and 8 above; the 3 at (1, 3) has no cell to its right; the 2 stamps nothing.
    assert stamps(GRID, table) == ((8, 2, 0, 8), (3, 7, 0, 3), (0, 2, 4, 0))
    assert stamps(((0, 0, 0), (0, 4, 0), (0, 0, 0)), table) == ((0, 0, 0), (0, 4, 0), (0, 0, 9))


def test_stamps_that_paint_one_cell_in_two_colours_are_an_error() -> None:
    with pytest.raises(ValueError):
        stamps(((3, 0, 4),), ((3, ((0, 1, 7),)), (4, ((0, -1, 8),))))
