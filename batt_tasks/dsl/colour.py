"""Colour: reading, counting and painting colours on grids and objects.

Ties in mostcolor and leastcolor go to the smaller colour. Painting outside the grid is ignored.
"""

from collections import Counter
from itertools import chain

from .geometry import _indices, shift
from .types import Colour, Element, Grid, Indices, Integer, IntegerPair, IntegerSet, Object, Patch


def _counts(element: Element) -> Counter[int]:
    """Return how many cells of each colour the grid or object holds."""
    if isinstance(element, tuple):
        return Counter(chain.from_iterable(element))
    return Counter(v for v, _ in element)


def palette(element: Element) -> IntegerSet:
    """Return the set of colours in a grid or object."""
    if isinstance(element, tuple):
        return frozenset().union(*element)
    return frozenset(v for v, _ in element)


def numcolors(element: Element) -> Integer:
    """Return how many different colours a grid or object holds."""
    return len(palette(element))


def mostcolor(element: Element) -> Colour:
    """Return the most frequent colour (the smaller on ties); raises ValueError when empty."""
    counts = _counts(element)
    return max(counts, key=lambda c: (counts[c], -c))


def background_of(grid: Grid) -> Colour:
    """Black (0) when the grid holds any, else its most common colour: ARC's usual ground, even where a
    drawing covers more of the grid than the black around it does. Not a primitive: the helpers' own."""
    return 0 if any(0 in row for row in grid) else mostcolor(grid)


def leastcolor(element: Element) -> Colour:
    """Return the least frequent colour present (the smaller on ties); raises ValueError when empty."""
    counts = _counts(element)
    return min(counts, key=lambda c: (counts[c], c))


def colorcount(element: Element, colour: Colour) -> Integer:
    """Return how many cells of a grid or object have colour."""
    if isinstance(element, tuple):
        return sum(row.count(colour) for row in element)
    return sum(1 for v, _ in element if v == colour)


def color(obj: Object) -> Colour:
    """Return the colour of an object (its most frequent colour if several); raises ValueError when empty."""
    colours = {v for v, _ in obj}
    if len(colours) == 1:
        return colours.pop()
    return mostcolor(obj)


def index(grid: Grid, loc: IntegerPair) -> Colour:
    """Return the colour at loc (i, j); raises IndexError outside the grid."""
    i, j = loc
    if i < 0 or j < 0:
        raise IndexError("location outside the grid")
    return grid[i][j]


def ofcolor(grid: Grid, colour: Colour) -> Indices:
    """Return the locations of the cells of grid that have colour."""
    return frozenset((i, j) for i, row in enumerate(grid) for j, v in enumerate(row) if v == colour)


def recolor(colour: Colour, patch: Patch) -> Object:
    """Return the object covering the patch's locations, all in colour."""
    return frozenset((colour, loc) for loc in _indices(patch))


def replace(grid: Grid, old: Colour, new: Colour) -> Grid:
    """Return the grid with every cell of colour old turned to new."""
    return tuple(tuple(new if v == old else v for v in row) for row in grid)


def switch(grid: Grid, a: Colour, b: Colour) -> Grid:
    """Return the grid with colours a and b swapped."""
    return tuple(tuple(b if v == a else a if v == b else v for v in row) for row in grid)


def mapcolors(grid: Grid, mapping: tuple[IntegerPair, ...]) -> Grid:
    """Return the grid with every (old, new) pair applied at once: cycles and swaps work, others stay."""
    table = dict(mapping)
    return tuple(tuple(table.get(v, v) for v in row) for row in grid)


def fill(grid: Grid, colour: Colour, patch: Patch) -> Grid:
    """Return the grid with the patch's locations (those inside it) set to colour."""
    h, w = len(grid), len(grid[0]) if grid else 0
    rows = [list(row) for row in grid]
    for i, j in _indices(patch):
        if 0 <= i < h and 0 <= j < w:
            rows[i][j] = colour
    return tuple(map(tuple, rows))


def underfill(grid: Grid, colour: Colour, patch: Patch) -> Grid:
    """Return the grid with the patch's background-coloured locations set to colour."""
    bg = mostcolor(grid)
    h, w = len(grid), len(grid[0])
    rows = [list(row) for row in grid]
    for i, j in _indices(patch):
        if 0 <= i < h and 0 <= j < w and rows[i][j] == bg:
            rows[i][j] = colour
    return tuple(map(tuple, rows))


def paint(grid: Grid, obj: Object) -> Grid:
    """Return the grid with the object's cells (those inside it) drawn on top."""
    h, w = len(grid), len(grid[0]) if grid else 0
    rows = [list(row) for row in grid]
    for v, (i, j) in obj:
        if 0 <= i < h and 0 <= j < w:
            rows[i][j] = v
    return tuple(map(tuple, rows))


def underpaint(grid: Grid, obj: Object) -> Grid:
    """Return the grid with the object's cells drawn only where the grid shows background."""
    bg = mostcolor(grid)
    h, w = len(grid), len(grid[0])
    rows = [list(row) for row in grid]
    for v, (i, j) in obj:
        if 0 <= i < h and 0 <= j < w and rows[i][j] == bg:
            rows[i][j] = v
    return tuple(map(tuple, rows))


def cover(grid: Grid, patch: Patch) -> Grid:
    """Return the grid with the patch's locations set to the background (most frequent) colour."""
    return fill(grid, mostcolor(grid), patch)


def move(grid: Grid, obj: Object, offset: IntegerPair) -> Grid:
    """Return the grid with the object erased to background and drawn again moved by offset."""
    return paint(cover(grid, obj), shift(obj, offset))


def cellwise(a: Grid, b: Grid, fallback: Colour) -> Grid:
    """Return a where a and b agree cell by cell, fallback elsewhere; shapes must match."""
    if len(a) != len(b):
        raise ValueError("cellwise needs grids of equal shape")
    return tuple(
        tuple(x if x == y else fallback for x, y in zip(ra, rb, strict=True)) for ra, rb in zip(a, b, strict=True)
    )


__all__ = [
    "cellwise",
    "color",
    "colorcount",
    "cover",
    "fill",
    "index",
    "leastcolor",
    "mapcolors",
    "mostcolor",
    "move",
    "numcolors",
    "ofcolor",
    "paint",
    "palette",
    "recolor",
    "replace",
    "switch",
    "underfill",
    "underpaint",
]
