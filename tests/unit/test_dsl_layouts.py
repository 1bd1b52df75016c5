"""Layouts of blocks: the views of a grid, fixed layouts of them, a copy per chosen cell, a block per colour."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batt_tasks.dsl import PRIMITIVES, layouts
from batt_tasks.dsl.geometry import cmirror, dmirror, hmirror, rot90, rot180, rot270, vmirror
from batt_tasks.dsl.layouts import (
    ASIS,
    EMPTY,
    FLIPH,
    FLIPV,
    SWAPPED,
    SWAPPEDV,
    TURN90,
    TURN180,
    VIEW_NAMES,
    arrange,
    cellblocks,
    kronecker,
    view,
)
from batt_tasks.dsl.transforms import mirror4
from batt_tasks.dsl.types import Grid

L_SHAPE: Grid = ((4, 0), (4, 4))
WIDE: Grid = ((1, 2, 3),)

grids = st.integers(1, 4).flatmap(
    lambda h: st.integers(1, 4).flatmap(
        lambda w: st.tuples(*[st.tuples(*[st.integers(0, 9)] * w)] * h)
    )
)  # fmt: skip


def test_every_view_has_its_named_constant_in_order() -> None:
    assert len(VIEW_NAMES) == EMPTY + 1
    for index, name in enumerate(VIEW_NAMES):
        assert getattr(layouts, name) == index
        assert PRIMITIVES[name] == index


def test_views_turn_mirror_swap_and_empty() -> None:
    turns = [lambda g: g, rot90, rot180, rot270, hmirror, vmirror, dmirror, cmirror]
    for code, turn in enumerate(turns):
        assert view(L_SHAPE, code) == turn(L_SHAPE)
    assert view(L_SHAPE, SWAPPED) == ((0, 4), (0, 0))
    assert view(L_SHAPE, SWAPPEDV) == ((4, 0), (0, 0))  # mirrored, then swapped
    assert view(WIDE, EMPTY) == ((0, 0, 0),)
    with pytest.raises(ValueError, match="two colours"):
        view(WIDE, SWAPPED)


@given(grids)
def test_the_mirror_layout_is_mirror4(grid: Grid) -> None:
    assert arrange(grid, ((ASIS, FLIPV), (FLIPH, TURN180))) == mirror4(grid)


def test_arrange_lays_out_rows_of_views_and_refuses_unequal_shapes() -> None:
    assert arrange(WIDE, ((ASIS, EMPTY),)) == ((1, 2, 3, 0, 0, 0),)
    assert arrange(WIDE, ((ASIS,), (FLIPV,))) == ((1, 2, 3), (3, 2, 1))
    with pytest.raises(ValueError, match="differ in shape"):
        arrange(WIDE, ((ASIS, TURN90),))


def test_kronecker_copies_the_view_into_the_blocks_of_chosen_cells() -> None:
    assert kronecker(L_SHAPE, ASIS, frozenset({4})) == (
        (4, 0, 0, 0),
        (4, 4, 0, 0),
        (4, 0, 4, 0),
        (4, 4, 4, 4),
    )
    assert kronecker(L_SHAPE, SWAPPED, (0,)) == (
        (0, 0, 0, 4),
        (0, 0, 0, 0),
        (0, 0, 0, 0),
        (0, 0, 0, 0),
    )
    assert kronecker(L_SHAPE, ASIS, ()) == ((0,) * 4,) * 4


def test_cellblocks_replaces_each_cell_by_its_colours_block() -> None:
    table = ((0, ((0,), (0,))), (4, ((1,), (2,))))
    assert cellblocks(L_SHAPE, table) == ((1, 0), (2, 0), (1, 1), (2, 2))
    with pytest.raises(ValueError, match="no block"):
        cellblocks(WIDE, table)
