"""Parts of a grid combined cell by cell: separators found, halves otherwise, and each rule."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batt_tasks.dsl.partitions import blockcolours, bothparts, eitherpart, neitherpart, onepart, overlayparts
from batt_tasks.dsl.types import Grid

# Two 2x3 panels side by side, split by a column of 5s.
PANELS: Grid = (
    (1, 0, 1, 5, 2, 2, 0),
    (0, 0, 1, 5, 0, 2, 0),
)


def test_rules_on_panels_split_by_a_separator_column() -> None:
    assert bothparts(PANELS) == ((1, 0, 0), (0, 0, 0))
    assert eitherpart(PANELS) == ((1, 1, 1), (0, 1, 1))
    assert onepart(PANELS) == ((0, 1, 1), (0, 1, 1))
    assert neitherpart(PANELS) == ((0, 0, 0), (1, 0, 0))
    assert overlayparts(PANELS) == ((2, 2, 1), (0, 2, 1))


def test_black_is_the_background_even_where_the_drawing_covers_more() -> None:
    # 7 is the grid's most common colour, yet a panel's set cells are its 7s: black is what lies around them.
    grid = ((7, 7, 0, 2, 7, 0, 7), (7, 0, 7, 2, 0, 7, 7))
    assert eitherpart(grid) == ((1, 1, 1), (1, 1, 1))
    assert bothparts(grid) == ((1, 0, 0), (0, 0, 1))
    # With no black at all, the most common colour is the background.
    assert eitherpart(((8, 3, 2, 3, 8), (3, 8, 2, 3, 3))) == ((1, 1), (0, 1))


def test_without_separators_the_longer_side_is_halved() -> None:
    tall = ((3, 0), (0, 0), (3, 0), (0, 3))
    assert bothparts(tall) == ((1, 0), (0, 0))
    assert onepart(tall) == ((0, 0), (0, 1))
    with pytest.raises(ValueError):
        bothparts(((1, 0, 0), (0, 1, 0), (0, 0, 2)))  # odd sides, no separator lines


def test_three_panels_between_separator_rows() -> None:
    grid = ((1, 0), (0, 0), (4, 4), (1, 1), (0, 0), (4, 4), (0, 0), (0, 1))
    assert bothparts(grid) == ((0, 0), (0, 0))
    assert eitherpart(grid) == ((1, 1), (0, 1))
    assert onepart(grid) == ((0, 1), (0, 1))


def test_blockcolours_gives_each_panel_its_main_colour() -> None:
    grid = (
        (2, 2, 5, 0, 0),
        (2, 0, 5, 0, 3),
        (5, 5, 5, 5, 5),
        (0, 0, 5, 0, 0),
        (0, 0, 5, 0, 0),
    )
    assert blockcolours(grid) == ((2, 3), (0, 0))
    with pytest.raises(ValueError):
        blockcolours(((1, 0), (0, 0)))


halvable = st.integers(1, 4).flatmap(
    lambda h: st.integers(1, 4).flatmap(
        lambda w: st.tuples(*[st.tuples(*[st.integers(0, 2)] * (2 * w))] * h)  # type: ignore[arg-type]
    )
)


@given(halvable)
def test_the_rules_partition_every_cell(grid: Grid) -> None:
    try:
        both, one, neither = bothparts(grid), onepart(grid), neitherpart(grid)
    except ValueError:
        return
    either = eitherpart(grid)
    for b, o, n, e in zip(
        (v for row in both for v in row), (v for row in one for v in row),
        (v for row in neither for v in row), (v for row in either for v in row), strict=True,
    ):  # fmt: skip
        assert e == 1 - n
        assert b + o <= e  # with two parts both and one are exclusive and both imply either
