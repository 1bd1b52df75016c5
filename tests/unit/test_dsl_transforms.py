"""Whole-grid transforms: examples, the DSL's contract, and properties over random grids."""

import inspect
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batt_tasks.dsl import PRIMITIVES, transforms
from batt_tasks.dsl.geometry import hmirror, vmirror
from batt_tasks.dsl.transforms import (
    cropcontent,
    fall,
    fillenclosed,
    largestcrop,
    maskedpart,
    mirror4,
    oddcrop,
    periodic,
    restore,
    slide,
    smallestcrop,
)
from batt_tasks.dsl.types import Grid

SCENE: Grid = (
    (0, 0, 0, 0),
    (0, 1, 2, 0),
    (0, 1, 0, 0),
    (0, 0, 0, 3),
)
DIRECTIONS = [(1, 0), (-1, 0), (0, 1), (0, -1)]

grids = st.integers(1, 6).flatmap(
    lambda h: st.integers(1, 6).flatmap(
        lambda w: st.tuples(*[st.tuples(*[st.integers(0, 3)] * w)] * h)  # type: ignore[arg-type]
    )
)


def test_every_transform_is_a_typed_documented_primitive() -> None:
    for name in transforms.__all__:
        function = getattr(transforms, name)
        assert PRIMITIVES[name] is function
        doc = inspect.getdoc(function)
        assert doc and "\n" not in doc.strip(), name
        assert "return" in inspect.get_annotations(function), name


def test_crops() -> None:
    assert cropcontent(SCENE) == ((1, 2, 0), (1, 0, 0), (0, 0, 3))
    assert largestcrop(SCENE) == ((1, 2), (1, 0))
    assert smallestcrop(SCENE) == ((3,),)
    with pytest.raises(ValueError):
        cropcontent(((5, 5), (5, 5)))


def test_oddcrop_picks_the_object_of_a_shape_no_other_has() -> None:
    grid = (
        (1, 0, 2, 0, 3, 3),
        (0, 0, 0, 0, 0, 0),
        (4, 0, 0, 0, 0, 0),
    )
    assert oddcrop(grid) == ((3, 3),)
    with pytest.raises(ValueError):
        oddcrop(((1, 0, 2),))  # two objects: neither stands out


def test_fall_in_each_direction() -> None:
    assert fall(SCENE, (1, 0)) == ((0, 0, 0, 0), (0, 0, 0, 0), (0, 1, 0, 0), (0, 1, 2, 3))
    assert fall(SCENE, (-1, 0)) == ((0, 1, 2, 3), (0, 1, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0))
    assert fall(SCENE, (0, 1)) == ((0, 0, 0, 0), (0, 0, 1, 2), (0, 0, 0, 1), (0, 0, 0, 3))
    assert fall(SCENE, (0, -1)) == ((0, 0, 0, 0), (1, 2, 0, 0), (1, 0, 0, 0), (3, 0, 0, 0))


def test_fillenclosed_fills_only_what_the_border_cannot_reach() -> None:
    ring = ((1, 1, 1, 0), (1, 0, 1, 0), (1, 1, 1, 0), (0, 0, 0, 0))
    assert fillenclosed(ring, 4) == ((1, 1, 1, 0), (1, 4, 1, 0), (1, 1, 1, 0), (0, 0, 0, 0))
    assert fillenclosed(SCENE, 4) == SCENE


def test_restore_repaints_a_mask_from_the_symmetries() -> None:
    whole = ((1, 2, 2, 1), (3, 4, 4, 3), (3, 4, 4, 3), (1, 2, 2, 1))
    masked = ((1, 2, 2, 1), (3, 9, 9, 3), (3, 4, 9, 3), (1, 2, 2, 1))
    assert restore(masked, 9) == whole
    # The axis one column off the middle: columns 0..3 mirror around 1.5 within a 5-wide grid.
    off = ((5, 6, 6, 5, 7), (8, 9, 9, 8, 7))
    assert restore(((5, 6, 6, 5, 7), (8, 9, 2, 8, 7)), 2) == off
    with pytest.raises(ValueError):
        restore(whole, 9)


def test_periodic_repaints_a_mask_from_the_smallest_repeating_tile() -> None:
    whole = ((1, 2, 3, 1, 2, 3), (4, 5, 6, 4, 5, 6), (1, 2, 3, 1, 2, 3), (4, 5, 6, 4, 5, 6))
    masked = ((1, 2, 3, 1, 2, 3), (4, 0, 0, 4, 5, 6), (1, 0, 0, 1, 2, 3), (4, 5, 6, 4, 5, 0))
    assert periodic(masked, 0) == whole
    with pytest.raises(ValueError):
        periodic(whole, 0)  # nothing masked
    with pytest.raises(ValueError):
        periodic(((1, 2), (3, 0)), 0)  # no smaller tile repeats: the mask could be anything


def test_slide_moves_whole_objects_until_they_rest_on_the_edge_or_each_other() -> None:
    # A 2x1 bar over a lone cell in one column, a 1-cell gap between: the cell lands, the bar rests on it.
    grid = ((3, 0), (3, 0), (0, 0), (4, 0), (0, 0))
    assert slide(grid, (1, 0), True) == ((0, 0), (0, 0), (3, 0), (3, 0), (4, 0))
    # An L of two colours: one object when several colours make one, two when each colour is its own.
    bent = ((0, 0, 0), (5, 6, 0), (0, 0, 0))
    assert slide(bent, (0, 1), False) == ((0, 0, 0), (0, 5, 6), (0, 0, 0))
    assert slide(((5, 0, 6),), (0, -1), True) == ((5, 6, 0),)
    assert slide(((0, 0), (2, 2)), (-1, 0), True) == ((2, 2), (0, 0))


def test_maskedpart_is_what_the_mask_hides() -> None:
    masked = ((1, 2, 2, 1), (3, 9, 9, 3), (3, 4, 9, 3), (1, 2, 2, 1))
    assert maskedpart(masked, 9, False) == ((4, 4), (4, 4))
    tiled = ((1, 2, 3, 1, 2, 3), (4, 0, 0, 4, 5, 6), (1, 2, 3, 1, 2, 3))
    assert maskedpart(tiled, 0, True) == ((5, 6),)
    with pytest.raises(ValueError):
        maskedpart(masked, 7, False)  # no cell of that colour
    with pytest.raises(ValueError):
        maskedpart(((1, 2, 2, 1), (3, 9, 9, 3), (3, 9, 9, 3), (1, 2, 2, 1)), 9, False)  # no image of the centre


def test_mirror4() -> None:
    assert mirror4(((1, 2), (3, 4))) == ((1, 2, 2, 1), (3, 4, 4, 3), (3, 4, 4, 3), (1, 2, 2, 1))


@given(grids, st.sampled_from(DIRECTIONS))
def test_fall_keeps_every_colour_and_a_second_fall_changes_nothing(grid: Grid, direction: tuple[int, int]) -> None:
    fallen = fall(grid, direction)
    assert Counter(v for row in fallen for v in row) == Counter(v for row in grid for v in row)
    assert fall(fallen, direction) == fallen


@given(grids, st.integers(0, 3))
def test_restore_repaints_only_cells_of_the_mask_colour(grid: Grid, colour: int) -> None:
    if all(colour not in row for row in grid):
        return
    restored = restore(grid, colour)
    for row, new in zip(grid, restored, strict=True):
        assert all(v == n for v, n in zip(row, new, strict=True) if v != colour)


@given(grids)
def test_mirror4_is_the_grid_and_its_three_mirrors(grid: Grid) -> None:
    double = mirror4(grid)
    h, w = len(grid), len(grid[0])
    assert double[:h] == tuple(r + vmirror((r,))[0] for r in grid)
    assert double[h:] == hmirror(double[:h])
    assert len(double[0]) == 2 * w


@given(grids, st.integers(0, 3))
def test_periodic_keeps_every_unmasked_cell(grid: Grid, colour: int) -> None:
    try:
        repaired = periodic(grid, colour)
    except ValueError:
        return
    for row, new in zip(grid, repaired, strict=True):
        assert all(v == n for v, n in zip(row, new, strict=True) if v != colour)
    assert all(colour not in row for row in repaired)
