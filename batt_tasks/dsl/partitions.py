"""Grids made of equal parts: halves, or panels between separator lines, combined cell by cell.

Many tasks draw two or more same-sized panels (split by a line of one colour, or simply the two
halves) and ask for their cell-wise AND, OR, XOR or NOR, or for one painted over the other. A part's
cell is "set" when it is not the background: black where the grid has any, else its most common colour
(a panel's drawing may well cover more of it than the black around it does). The logical
combinations give 1 where the rule holds and 0 elsewhere: the enumerator's colour mapping turns
those into the task's colours. `stackparts` lays panels of a given shape (cut evenly where no separator
lines cut them so) on one another, the colours by a precedence the search learns (search/panels.py);
`shrinkblocks` gives one cell per block of an even cut; `blockrule` paints each block of an even cut in the
colour a table (learned by the search) gives its contents.
"""

from collections import Counter
from collections.abc import Callable

from .colour import background_of
from .geometry import dmirror
from .types import Boolean, Grid, IntegerPair, Tuple

__all__ = [
    "blockcolours",
    "blockrule",
    "bothparts",
    "eitherpart",
    "neitherpart",
    "onepart",
    "overlayparts",
    "shrinkblocks",
    "stackparts",
]


def _separators(grid: Grid, background: int) -> dict[int, list[int]]:
    """By colour, the rows that are that one colour from end to end (the background's rows are no separators)."""
    found: dict[int, list[int]] = {}
    for i, row in enumerate(grid):
        if len(set(row)) == 1 and row[0] != background:
            found.setdefault(row[0], []).append(i)
    return found


def _ruling(grid: Grid, background: int) -> list[int]:
    """The separator rows of the colour that rules the most rows."""
    by_colour = _separators(grid, background)
    return max(by_colour.values(), key=len) if by_colour else []


def _runs(length: int, separators: list[int]) -> list[range]:
    """The stretches of 0..length-1 between separator positions."""
    runs, start = [], 0
    for stop in [*separators, length]:
        if stop > start:
            runs.append(range(start, stop))
        start = stop + 1
    return runs


def _parts(grid: Grid) -> list[Grid]:
    """Equal panels between separator lines of one colour (rows first), else the two halves of the longer side.

    A panel may hold a full line of its own colour: each colour's lines are tried as the separators.
    """
    background = background_of(grid)
    for turned in (False, True):
        rows = dmirror(grid) if turned else grid
        for lines in _separators(rows, background).values():
            panels = [tuple(rows[i] for i in run) for run in _runs(len(rows), lines)]
            if len(panels) >= 2 and len({(len(p), len(p[0])) for p in panels}) == 1:
                return [dmirror(p) if turned else p for p in panels]
    height, width = len(grid), len(grid[0])
    if height % 2 == 0 and (height >= width or width % 2):
        return [grid[: height // 2], grid[height // 2 :]]
    if width % 2 == 0:
        return [tuple(row[: width // 2] for row in grid), tuple(row[width // 2 :] for row in grid)]
    raise ValueError("the grid has no separator lines and no even side")


def _panels(grid: Grid, shape: IntegerPair) -> list[Grid]:
    """The grid's panels of that shape: between separator lines where those cut it so, else cut evenly."""
    try:
        parts = _parts(grid)
    except ValueError:
        parts = []
    if parts and (len(parts[0]), len(parts[0][0])) == shape:
        return parts
    height, width = len(grid), len(grid[0])
    rows, columns = shape
    if rows < 1 or columns < 1 or height % rows or width % columns or shape == (height, width):
        raise ValueError("the grid does not cut into panels of that shape")
    return [
        tuple(row[j : j + columns] for row in grid[i : i + rows])
        for i in range(0, height, rows)
        for j in range(0, width, columns)
    ]


def _combine(grid: Grid, holds: Callable[[int, int], bool]) -> Grid:
    """1 where holds(set parts, all parts) for the cell, else 0."""
    background = background_of(grid)
    parts = _parts(grid)
    return tuple(
        tuple(int(holds(sum(part[i][j] != background for part in parts), len(parts))) for j in range(len(parts[0][0])))
        for i in range(len(parts[0]))
    )


def bothparts(grid: Grid) -> Grid:
    """Return 1 where every part of the grid is set, 0 elsewhere (cell-wise AND)."""
    return _combine(grid, lambda set_, parts: set_ == parts)


def eitherpart(grid: Grid) -> Grid:
    """Return 1 where any part of the grid is set, 0 elsewhere (cell-wise OR)."""
    return _combine(grid, lambda set_, parts: set_ > 0)


def onepart(grid: Grid) -> Grid:
    """Return 1 where exactly one part of the grid is set, 0 elsewhere (cell-wise XOR of two parts)."""
    return _combine(grid, lambda set_, parts: set_ == 1)


def neitherpart(grid: Grid) -> Grid:
    """Return 1 where no part of the grid is set, 0 elsewhere (cell-wise NOR)."""
    return _combine(grid, lambda set_, parts: set_ == 0)


def overlayparts(grid: Grid) -> Grid:
    """Return the first part with each later part's set cells painted over it, in order."""
    background = background_of(grid)
    parts = _parts(grid)
    out = [list(row) for row in parts[0]]
    for part in parts[1:]:
        for i, row in enumerate(part):
            for j, value in enumerate(row):
                if value != background:
                    out[i][j] = value
    return tuple(tuple(row) for row in out)


def blockcolours(grid: Grid) -> Grid:
    """Return one cell per panel of a grid ruled by separator lines: the panel's most common set colour."""
    background = background_of(grid)
    row_runs = _runs(len(grid), _ruling(grid, background))
    column_runs = _runs(len(grid[0]), _ruling(dmirror(grid), background))
    if len(row_runs) * len(column_runs) < 2:
        raise ValueError("the grid has no separator lines")
    out = []
    for rows in row_runs:
        line = []
        for columns in column_runs:
            counts = Counter(grid[i][j] for i in rows for j in columns if grid[i][j] != background)
            line.append(counts.most_common(1)[0][0] if counts else background)
        out.append(tuple(line))
    return tuple(out)


def stackparts(grid: Grid, shape: IntegerPair, order: Tuple) -> Grid:
    """Return the grid's panels of that shape laid on one another: each cell takes the colour that comes first
    in `order` among those the panels set there, or the background where none does. A set colour that `order`
    lacks is an error, not a guess."""
    background = background_of(grid)
    panels = _panels(grid, shape)
    rank = {colour: index for index, colour in enumerate(order)}
    out = []
    for i in range(shape[0]):
        line = []
        for j in range(shape[1]):
            present = {panel[i][j] for panel in panels} - {background}
            if not present <= rank.keys():
                raise ValueError("a colour the order does not rank")
            line.append(min(present, key=rank.__getitem__) if present else background)
        out.append(tuple(line))
    return tuple(out)


def shrinkblocks(grid: Grid, blocks: IntegerPair, rarest: Boolean) -> Grid:
    """Return one cell per block of the grid cut evenly into blocks[0] x blocks[1]: the block's most common colour
    other than the background (the background where it has none), or with `rarest` its least common colour.
    A tie is an error, not a guess."""
    height, width = len(grid), len(grid[0])
    rows, columns = blocks
    if rows < 1 or columns < 1 or height % rows or width % columns or blocks == (height, width):
        raise ValueError("the grid does not cut evenly into that many blocks")
    tall, wide = height // rows, width // columns
    background = background_of(grid)
    out = []
    for i in range(0, height, tall):
        line = []
        for j in range(0, width, wide):
            counts = Counter(grid[a][b] for a in range(i, i + tall) for b in range(j, j + wide))
            line.append(_rarest(counts) if rarest else _commonest(counts, background))
        out.append(tuple(line))
    return tuple(out)


def _blocks(grid: Grid, size: IntegerPair) -> list[tuple[int, int, Grid]]:
    """(top, left, contents) of each block of the grid cut evenly into blocks of size; ValueError if it does not cut."""
    height, width = len(grid), len(grid[0])
    tall, wide = size
    if tall < 1 or wide < 1 or height % tall or width % wide:
        raise ValueError("the grid does not cut evenly into blocks of that size")
    return [
        (i, j, tuple(row[j : j + wide] for row in grid[i : i + tall]))
        for i in range(0, height, tall)
        for j in range(0, width, wide)
    ]


def blockrule(grid: Grid, size: IntegerPair, table: Tuple) -> Grid:
    """Return the grid cut evenly into blocks of size, each painted in the colour the table's (contents, colour)
    pairs give its contents; a block the table does not know is an error, not a guess."""
    lookup = dict(table)
    painted: dict[tuple[int, int], int] = {}
    for top, left, contents in _blocks(grid, size):
        if contents not in lookup:
            raise ValueError("a block the rule has no colour for")
        painted[(top, left)] = lookup[contents]
    tall, wide = size
    return tuple(tuple(painted[(i - i % tall, j - j % wide)] for j in range(len(grid[0]))) for i in range(len(grid)))


def _commonest(counts: Counter[int], background: int) -> int:
    ranked = [(colour, count) for colour, count in counts.most_common() if colour != background]
    if not ranked:
        return background
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        raise ValueError("two colours are equally common")
    return ranked[0][0]


def _rarest(counts: Counter[int]) -> int:
    ranked = counts.most_common()
    if len(ranked) > 1 and ranked[-1][1] == ranked[-2][1]:
        raise ValueError("two colours are equally rare")
    return ranked[-1][0]
