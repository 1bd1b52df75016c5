"""Whole-grid transforms: one call for what ARC tasks often do to a grid as a whole.

Each is a composition of several smaller primitives (or a loop the DSL cannot write), so the
enumerator reaches it at cost 1 and composes it with two more calls within depth 3. The background
is black where the grid has any, else its most common colour (colour.background_of); the crops by object
cut objects as `objects(..., without_bg=True)` does, around the most common colour.
"""

from collections import Counter
from collections.abc import Callable
from functools import partial

from .colour import background_of
from .geometry import _bounds, hmirror, normalize, rot90, rot180, rot270, vmirror
from .objects import objects, toindices
from .sizing import hconcat, vconcat
from .types import Boolean, Colour, Grid, IntegerPair, Object

__all__ = [
    "cropcontent", "fall", "fillenclosed", "largestcrop", "maskedpart", "mirror4", "oddcrop", "periodic", "restore",
    "slide", "smallestcrop",
]  # fmt: skip


def _crop(grid: Grid, cells: frozenset[tuple[int, int]]) -> Grid:
    """The smallest subgrid holding the given cells; ValueError when there are none."""
    if not cells:
        raise ValueError("nothing to crop to")
    top, left, bottom, right = _bounds(cells)
    return tuple(row[left : right + 1] for row in grid[top : bottom + 1])


def _parts(grid: Grid) -> list[Object]:
    """The grid's objects (several colours, diagonal contact, background excluded), in a fixed order."""
    return sorted(objects(grid, False, True, True), key=lambda obj: sorted(toindices(obj)))


def cropcontent(grid: Grid) -> Grid:
    """Return the smallest subgrid holding every cell that is not of the background colour."""
    background = background_of(grid)
    return _crop(grid, frozenset((i, j) for i, row in enumerate(grid) for j, v in enumerate(row) if v != background))


def largestcrop(grid: Grid) -> Grid:
    """Return the subgrid under the largest object (the first in reading order among equals)."""
    return _crop(grid, toindices(max(_parts(grid), key=len)))


def smallestcrop(grid: Grid) -> Grid:
    """Return the subgrid under the smallest object (the first in reading order among equals)."""
    return _crop(grid, toindices(min(_parts(grid), key=len)))


def oddcrop(grid: Grid) -> Grid:
    """Return the subgrid under the one object whose shape, or else whose colours, no other object has."""
    parts = _parts(grid)
    for trait in (lambda obj: normalize(toindices(obj)), lambda obj: frozenset(v for v, _ in obj)):
        counts = Counter(trait(obj) for obj in parts)
        odd = [obj for obj in parts if counts[trait(obj)] == 1]
        if len(odd) == 1 and len(parts) > 2:
            return _crop(grid, toindices(odd[0]))
    raise ValueError("no object stands out")


def _fall_down(grid: Grid) -> Grid:
    background = background_of(grid)
    columns = []
    for column in zip(*grid, strict=True):
        kept = [v for v in column if v != background]
        columns.append([background] * (len(column) - len(kept)) + kept)
    return tuple(tuple(row) for row in zip(*columns, strict=True))


# How to turn a direction into "down" and back: (rotate there, rotate back).
_TOWARDS_DOWN: dict[IntegerPair, tuple[Callable[[Grid], Grid], Callable[[Grid], Grid]]] = {
    (1, 0): (lambda g: g, lambda g: g),
    (-1, 0): (rot180, rot180),
    (0, 1): (rot90, rot270),
    (0, -1): (rot270, rot90),
}


def fall(grid: Grid, direction: IntegerPair) -> Grid:
    """Return the grid with every non-background cell slid as far as it goes in a unit direction."""
    there, back = _TOWARDS_DOWN[direction]
    return back(_fall_down(there(grid)))


def _slide_down(grid: Grid, univalued: bool) -> Grid:
    """Each object moved down as far as it goes, the lowest first, so that each comes to rest on those below it."""
    height, width = len(grid), len(grid[0])
    taken: dict[tuple[int, int], int] = {}
    for obj in sorted(objects(grid, univalued, False, True), key=lambda obj: -max(i for _, (i, _) in obj)):
        drop = 0
        while all(i + drop + 1 < height and (i + drop + 1, j) not in taken for _, (i, j) in obj):
            drop += 1
        taken.update(((i + drop, j), v) for v, (i, j) in obj)
    background = background_of(grid)
    return tuple(tuple(taken.get((i, j), background) for j in range(width)) for i in range(height))


def slide(grid: Grid, direction: IntegerPair, univalued: Boolean) -> Grid:
    """Return the grid with every object (univalued: of one colour) slid whole in a unit direction until it rests."""
    there, back = _TOWARDS_DOWN[direction]
    return back(_slide_down(there(grid), univalued))


def fillenclosed(grid: Grid, colour: Colour) -> Grid:
    """Return the grid with every background cell that no background path joins to the border in colour."""
    enclosed = _enclosed_cells(grid)
    return tuple(tuple(colour if (i, j) in enclosed else v for j, v in enumerate(row)) for i, row in enumerate(grid))


def _enclosed_cells(grid: Grid) -> set[tuple[int, int]]:
    """The background cells that no background path joins to the border."""
    background = background_of(grid)
    height, width = len(grid), len(grid[0])
    open_ = {(i, j) for i in range(height) for j in range(width) if grid[i][j] == background}
    reached = {(i, j) for i, j in open_ if i in (0, height - 1) or j in (0, width - 1)}
    frontier = list(reached)
    while frontier:
        i, j = frontier.pop()
        for step in ((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)):
            if step in open_ and step not in reached:
                reached.add(step)
                frontier.append(step)
    return open_ - reached


def _reflected(rows: int | None, cols: int | None, i: int, j: int) -> tuple[int, int]:
    """(i, j) mirrored across the row axis at rows / 2 and the column axis at cols / 2 (None: not across it)."""
    return (i if rows is None else rows - i, j if cols is None else cols - j)


def _transposed(shift: int, size: tuple[int, int] | None, i: int, j: int) -> tuple[int, int]:
    """(i, j) mirrored across the main diagonal moved by `shift`, or across the anti-diagonal of a grid of `size`."""
    if size is None:
        return (j + shift, i - shift)
    height, width = size
    return (height - 1 - j + shift, width - 1 - i + shift)


def _mirrors(height: int, width: int) -> list[Callable[[int, int], tuple[int, int]]]:
    """Reflections across a row axis, a column axis, a point and the diagonals, also a little off the middle."""
    found: list[Callable[[int, int], tuple[int, int]]] = []
    for rows in range(height - 3, height + 2):
        found.append(partial(_reflected, rows, None))
    for cols in range(width - 3, width + 2):
        found.append(partial(_reflected, None, cols))
    for rows in range(height - 2, height + 1):
        for cols in range(width - 2, width + 1):
            found.append(partial(_reflected, rows, cols))
    for shift in (-1, 0, 1):
        found.append(partial(_transposed, shift, None))
        found.append(partial(_transposed, shift, (height, width)))
    return found


def _holds(mirror: Callable[[int, int], tuple[int, int]], known: dict[tuple[int, int], int]) -> bool:
    """A symmetry of the picture, not a coincidence: half the known cells or more have a known image, all equal."""
    matched = 0
    for cell, value in known.items():
        image = known.get(mirror(*cell))
        if image is None:
            continue
        if image != value:
            return False
        matched += 1
    return matched * 2 >= len(known)


def restore(grid: Grid, colour: Colour) -> Grid:
    """Return the grid with the cells of colour repainted from their images under the grid's symmetries."""
    height, width = len(grid), len(grid[0])
    known = {(i, j): v for i, row in enumerate(grid) for j, v in enumerate(row) if v != colour}
    if len(known) == height * width:
        raise ValueError("no cell of that colour")
    holds = [mirror for mirror in _mirrors(height, width) if _holds(mirror, known)]
    cells = dict(known)
    changed = True
    while changed:
        changed = False
        for i in range(height):
            for j in range(width):
                if (i, j) in cells:
                    continue
                for mirror in holds:
                    if (image := cells.get(mirror(i, j))) is not None:
                        cells[(i, j)] = image
                        changed = True
                        break
    return tuple(tuple(cells.get((i, j), colour) for j in range(width)) for i in range(height))


def mirror4(grid: Grid) -> Grid:
    """Return the grid beside its vertical mirror, above its horizontal mirror beside its half-turn."""
    return vconcat(hconcat(grid, vmirror(grid)), hconcat(hmirror(grid), rot180(grid)))


def _tile(known: dict[tuple[int, int], int], rows: int, columns: int, size: int) -> dict[tuple[int, int], int] | None:
    """The rows x columns tile every known cell agrees with, if each of its cells is known somewhere."""
    tile: dict[tuple[int, int], int] = {}
    for (i, j), value in known.items():
        if tile.setdefault((i % rows, j % columns), value) != value:
            return None
    return tile if len(tile) == size else None


def periodic(grid: Grid, colour: Colour) -> Grid:
    """Return the grid with the cells of colour repainted from the smallest tile that repeats over the rest."""
    height, width = len(grid), len(grid[0])
    known = {(i, j): v for i, row in enumerate(grid) for j, v in enumerate(row) if v != colour}
    if len(known) == height * width:
        raise ValueError("no cell of that colour")
    periods = sorted(
        ((rows, columns) for rows in range(1, height + 1) for columns in range(1, width + 1)),
        key=lambda period: (period[0] * period[1], period),
    )
    for rows, columns in periods[:-1]:  # the whole grid is no period
        if (tile := _tile(known, rows, columns, rows * columns)) is not None:
            return tuple(tuple(tile[(i % rows, j % columns)] for j in range(width)) for i in range(height))
    raise ValueError("no tile repeats over the grid")


def maskedpart(grid: Grid, colour: Colour, tiled: Boolean) -> Grid:
    """Return what the mask of colour hides: its box as restore (tiled: periodic) repaints it, every cell of it."""
    cells = frozenset((i, j) for i, row in enumerate(grid) for j, v in enumerate(row) if v == colour)
    hidden = _crop(periodic(grid, colour) if tiled else restore(grid, colour), cells)
    if any(colour in row for row in hidden):
        raise ValueError("part of the mask has no image to repaint it from")
    return hidden
