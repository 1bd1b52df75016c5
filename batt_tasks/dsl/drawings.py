"""Drawings made from the grid's own cells: lines between two cells of one colour or out to the border, the
background between any two cells, the ring of cells around each object, each object's bounding box and the
ring just outside it, a pattern around each cell of a colour.

The lines take the directions to draw in as a tuple of unit steps, (0, 1) along rows, (1, 0) along columns,
(1, 1) and (1, -1) along the diagonals; where two lines cross, the one drawn first stays. Every drawing covers
only the background (colour.background_of) and is computed from the grid as given, not from what it already
drew. The search learns the arguments (batt_tasks/search/views.py, stamps.py); these are not enumerated.
"""

from collections.abc import Iterator

from .colour import background_of
from .geometry import _bounds
from .objects import objects
from .types import Boolean, Colour, Grid, Tuple

__all__ = ["boxes", "bridges", "gaps", "halo", "rays", "rings", "stamps"]

_SIDES = ((0, 1), (1, 0), (0, -1), (-1, 0))
_CORNERS = ((1, 1), (1, -1), (-1, 1), (-1, -1))


def _path(grid: Grid, background: int, i: int, j: int, step: tuple[int, int]) -> Iterator[tuple[int, int]]:
    """The background cells from (i, j) (excluded) along step, up to the first other cell or the border."""
    di, dj = step
    i, j = i + di, j + dj
    while 0 <= i < len(grid) and 0 <= j < len(grid[0]) and grid[i][j] == background:
        yield i, j
        i, j = i + di, j + dj


def _spans(grid: Grid, steps: list[tuple[int, int]], same_colour: bool) -> Iterator[tuple[int, list[tuple[int, int]]]]:
    """(colour, cells) for each run of background that leaves a cell of that colour along a step and ends at
    another cell inside the grid (same_colour: one of the same colour), in step, row, column order."""
    background = background_of(grid)
    height, width = len(grid), len(grid[0])
    for step in steps:
        for i, row in enumerate(grid):
            for j, colour in enumerate(row):
                if colour == background:
                    continue
                path = list(_path(grid, background, i, j, step))
                end_i, end_j = i + step[0] * (len(path) + 1), j + step[1] * (len(path) + 1)
                inside = 0 <= end_i < height and 0 <= end_j < width
                if path and inside and (not same_colour or grid[end_i][end_j] == colour):
                    yield colour, path


def _steps(directions: Tuple) -> list[tuple[int, int]]:
    steps = [tuple(step) for step in directions]
    if not steps or any(len(step) != 2 or max(map(abs, step)) != 1 for step in steps):
        raise ValueError("directions must be unit steps such as (0, 1) or (1, -1)")
    return steps


def _drawn(grid: Grid, lines: Iterator[tuple[int, list[tuple[int, int]]]]) -> Grid:
    """The grid with each (colour, cells) line painted where no earlier line has painted."""
    painted: dict[tuple[int, int], int] = {}
    for colour, cells in lines:
        for cell in cells:
            painted.setdefault(cell, colour)
    return tuple(tuple(painted.get((i, j), v) for j, v in enumerate(row)) for i, row in enumerate(grid))


def bridges(grid: Grid, directions: Tuple) -> Grid:
    """Return the grid with the background between two cells of one colour, facing each other along a
    direction with only background between, painted in that colour."""
    return _drawn(grid, _spans(grid, _steps(directions), same_colour=True))


def rays(grid: Grid, directions: Tuple) -> Grid:
    """Return the grid with a line from every cell not of the background in each direction, in its colour,
    over the background up to the border or the next such cell."""
    steps = _steps(directions)
    background = background_of(grid)
    cells = [(i, j, v) for i, row in enumerate(grid) for j, v in enumerate(row) if v != background]
    return _drawn(grid, ((v, list(_path(grid, background, i, j, step))) for i, j, v in cells for step in steps))


def _painted(grid: Grid, cells: set[tuple[int, int]], colour: Colour) -> Grid:
    background = background_of(grid)
    return tuple(
        tuple(colour if v == background and (i, j) in cells else v for j, v in enumerate(row))
        for i, row in enumerate(grid)
    )


def halo(grid: Grid, colour: Colour, diagonal: Boolean) -> Grid:
    """Return the grid with every background cell that touches another cell by a side (diagonal: or a corner)
    painted in colour."""
    background = background_of(grid)
    height, width = len(grid), len(grid[0])
    steps = _SIDES + _CORNERS if diagonal else _SIDES
    cells = {
        (i + di, j + dj)
        for i, row in enumerate(grid)
        for j, v in enumerate(row)
        if v != background
        for di, dj in steps
        if 0 <= i + di < height and 0 <= j + dj < width
    }
    return _painted(grid, cells, colour)


def boxes(grid: Grid, colour: Colour, diagonal: Boolean) -> Grid:
    """Return the grid with the background inside the bounding box of each one-coloured object (joined by sides,
    diagonal: also by corners) painted in colour."""
    cells: set[tuple[int, int]] = set()
    for obj in objects(grid, True, diagonal, True):
        top, left, bottom, right = _bounds(obj)
        cells.update((i, j) for i in range(top, bottom + 1) for j in range(left, right + 1))
    return _painted(grid, cells, colour)


def gaps(grid: Grid, colour: Colour) -> Grid:
    """Return the grid with the background between any two other cells along a row or a column painted in colour."""
    between = {cell for _, path in _spans(grid, [(0, 1), (1, 0)], same_colour=False) for cell in path}
    return _painted(grid, between, colour)


def rings(grid: Grid, colour: Colour) -> Grid:
    """Return the grid with the background on the ring just outside each one-coloured object's bounding box (corners
    joining its cells) painted in colour."""
    cells: set[tuple[int, int]] = set()
    for obj in objects(grid, True, True, True):
        top, left, bottom, right = _bounds(obj)
        top, left, bottom, right = top - 1, left - 1, bottom + 1, right + 1
        cells.update((i, j) for i in range(top, bottom + 1) for j in (left, right))
        cells.update((i, j) for j in range(left, right + 1) for i in (top, bottom))
    return _painted(grid, cells, colour)


def stamps(grid: Grid, table: Tuple) -> Grid:
    """Return the grid with the background next to each cell of a colour the table names painted in that colour's
    pattern: table entries (colour, ((di, dj, paint), ...)), each offset one step to a side or a corner.
    ValueError where two patterns paint one cell in different colours."""
    background = background_of(grid)
    height, width = len(grid), len(grid[0])
    patterns = dict(table)
    painted: dict[tuple[int, int], int] = {}
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            for di, dj, paint in patterns.get(v, ()) if v != background else ():
                cell = (i + di, j + dj)
                free = 0 <= cell[0] < height and 0 <= cell[1] < width and grid[cell[0]][cell[1]] == background
                if free and painted.setdefault(cell, paint) != paint:
                    raise ValueError("two patterns paint one cell in different colours")
    return tuple(tuple(painted.get((i, j), v) for j, v in enumerate(row)) for i, row in enumerate(grid))
