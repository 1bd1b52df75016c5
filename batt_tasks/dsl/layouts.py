"""Grids made of blocks: a fixed layout of the input's views, a copy in each block whose cell says so, or
each cell replaced by the block its colour stands for.

A view is the input as it is, turned or mirrored, each of those also with its two colours swapped,
or an empty (all 0) block; programs name views by the constants below. The search learns the layout,
the blocks' rule or the colours' blocks from the demos (batt_tasks/search/layouts.py); here they are
only applied.
"""

from collections.abc import Callable

from .geometry import cmirror, dmirror, hmirror, rot90, rot180, rot270, vmirror
from .types import Container, Grid, Integer, Tuple

# Which view a block shows, by name, for programs to say `arrange(I, ((ASIS, FLIPV),))`: _VIEWS' order.
VIEW_NAMES = (
    "ASIS", "TURN90", "TURN180", "TURN270", "FLIPH", "FLIPV", "FLIPD", "FLIPC",
    "SWAPPED", "SWAPPED90", "SWAPPED180", "SWAPPED270", "SWAPPEDH", "SWAPPEDV", "SWAPPEDD", "SWAPPEDC", "EMPTY",
)  # fmt: skip
(
    ASIS, TURN90, TURN180, TURN270, FLIPH, FLIPV, FLIPD, FLIPC,
    SWAPPED, SWAPPED90, SWAPPED180, SWAPPED270, SWAPPEDH, SWAPPEDV, SWAPPEDD, SWAPPEDC, EMPTY,
) = range(17)  # fmt: skip

__all__ = [*VIEW_NAMES, "arrange", "cellblocks", "kronecker"]

_TURNS: tuple[Callable[[Grid], Grid], ...] = (
    lambda grid: grid, rot90, rot180, rot270, hmirror, vmirror, dmirror, cmirror,
)  # fmt: skip


def _swapped(grid: Grid) -> Grid:
    """The grid with its two colours exchanged; ValueError unless it has exactly two."""
    colours = sorted({v for row in grid for v in row})
    if len(colours) != 2:
        raise ValueError("only a grid of two colours can swap them")
    first, second = colours
    return tuple(tuple(second if v == first else first for v in row) for row in grid)


def view(grid: Grid, code: Integer) -> Grid:
    """Return the grid as the view code says: turned or mirrored (ASIS..FLIPC), also colour-swapped, or EMPTY."""
    if code == EMPTY:
        return tuple((0,) * len(grid[0]) for _ in grid)
    turned = _TURNS[code % 8](grid)
    return _swapped(turned) if code >= SWAPPED else turned


def _blocks(rows: list[list[Grid]]) -> Grid:
    """One grid from a layout of equal-shaped blocks; ValueError when their shapes differ."""
    if len({(len(block), len(block[0])) for row in rows for block in row}) != 1:
        raise ValueError("the views differ in shape")
    return tuple(tuple(v for block in row for v in block[i]) for row in rows for i in range(len(row[0])))


def arrange(grid: Grid, layout: Tuple) -> Grid:
    """Return the blocks laid out as the rows of view codes say, each block a view of the grid."""
    return _blocks([[view(grid, code) for code in row] for row in layout])


def kronecker(grid: Grid, code: Integer, colours: Container) -> Grid:
    """Return one block per cell: the grid's view where the cell's colour is among colours, else an empty block."""
    copy, empty = view(grid, code), view(grid, EMPTY)
    return _blocks([[copy if v in colours else empty for v in row] for row in grid])


def cellblocks(grid: Grid, table: Tuple) -> Grid:
    """Return each cell replaced by the block its colour has in the table of (colour, block) pairs."""
    blocks = dict(table)
    try:
        return _blocks([[blocks[v] for v in row] for row in grid])
    except KeyError:
        raise ValueError("a colour the table has no block for") from None
