"""Objects: connected components, partitions, patch conversions, outlines, neighbourhoods and lines.

The background of a grid is its most frequent colour (ties go to the smaller colour).
"""

from .colour import color, mostcolor
from .geometry import _bounds, _indices, manhattan, normalize
from .types import Boolean, Colour, Container, FrozenSet, Grid, Indices, Integer, IntegerPair, Object, Objects, Patch

# Lines and frontiers run this many cells: enough to leave a 30 x 30 grid from one cell outside it.
_REACH = 32
_ORTHOGONAL = ((-1, 0), (1, 0), (0, -1), (0, 1))
_DIAGONAL = ((-1, -1), (-1, 1), (1, -1), (1, 1))
_ALL_AROUND = _ORTHOGONAL + _DIAGONAL


def _frame(t: int, lf: int, b: int, r: int) -> Indices:
    """Return the outline of the rectangle from (t, lf) to (b, r); empty when it is inverted."""
    if t > b or lf > r:
        return frozenset()
    rows = range(t, b + 1)
    cols = range(lf, r + 1)
    return frozenset([(t, j) for j in cols] + [(b, j) for j in cols] + [(i, lf) for i in rows] + [(i, r) for i in rows])


def toindices(patch: Patch) -> Indices:
    """Return the locations covered by a patch."""
    return _indices(patch)


def asindices(grid: Grid) -> Indices:
    """Return every location of the grid."""
    return frozenset((i, j) for i in range(len(grid)) for j in range(len(grid[i])))


def asobject(grid: Grid) -> Object:
    """Return the whole grid as one object of all its cells."""
    return frozenset((v, (i, j)) for i, row in enumerate(grid) for j, v in enumerate(row))


def toobject(patch: Patch, grid: Grid) -> Object:
    """Return the grid's cells at the patch's locations (locations outside the grid are dropped)."""
    h, w = len(grid), len(grid[0]) if grid else 0
    return frozenset((grid[i][j], (i, j)) for i, j in _indices(patch) if 0 <= i < h and 0 <= j < w)


def objects(grid: Grid, univalued: Boolean, diagonal: Boolean, without_bg: Boolean) -> Objects:
    """Return connected cell groups (univalued: one colour each; diagonal: 8-connected; without_bg: no bg)."""
    h, w = len(grid), len(grid[0]) if grid else 0
    bg = mostcolor(grid) if without_bg and h else None
    steps = _ALL_AROUND if diagonal else _ORTHOGONAL
    seen: set[tuple[int, int]] = set()
    found = []
    for i0, row in enumerate(grid):
        for j0, v0 in enumerate(row):
            if v0 == bg or (i0, j0) in seen:
                continue
            seen.add((i0, j0))
            stack = [(i0, j0)]
            cells = []
            while stack:
                i, j = stack.pop()
                cells.append((grid[i][j], (i, j)))
                for di, dj in steps:
                    a, b = i + di, j + dj
                    if 0 <= a < h and 0 <= b < w and (a, b) not in seen:
                        v = grid[a][b]
                        if v != bg and (not univalued or v == v0):
                            seen.add((a, b))
                            stack.append((a, b))
            found.append(frozenset(cells))
    return frozenset(found)


def partition(grid: Grid) -> Objects:
    """Return one object per colour, holding every cell of that colour."""
    groups: dict[int, list[tuple[int, tuple[int, int]]]] = {}
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            groups.setdefault(v, []).append((v, (i, j)))
    return frozenset(frozenset(cells) for cells in groups.values())


def fgpartition(grid: Grid) -> Objects:
    """Return one object per colour, as partition does, leaving out the background colour."""
    bg = mostcolor(grid)
    return frozenset(obj for obj in partition(grid) if next(iter(obj))[0] != bg)


def colorfilter(objs: Objects, colour: Colour) -> Objects:
    """Return the objects whose colour (see color) is colour."""
    return frozenset(obj for obj in objs if obj and color(obj) == colour)


def sizefilter(container: Container, n: Integer) -> FrozenSet:
    """Return the items of container that hold exactly n things."""
    return frozenset(item for item in container if len(item) == n)


def box(patch: Patch) -> Indices:
    """Return the outline of the patch's bounding box (empty for an empty patch)."""
    if not patch:
        return frozenset()
    return _frame(*_bounds(patch))


def backdrop(patch: Patch) -> Indices:
    """Return every location inside the patch's bounding box (empty for an empty patch)."""
    if not patch:
        return frozenset()
    t, lf, b, r = _bounds(patch)
    return frozenset((i, j) for i in range(t, b + 1) for j in range(lf, r + 1))


def delta(patch: Patch) -> Indices:
    """Return the locations inside the patch's bounding box that the patch leaves uncovered."""
    return backdrop(patch) - _indices(patch)


def inbox(patch: Patch) -> Indices:
    """Return the outline one cell inside the patch's bounding box (empty if there is no room)."""
    if not patch:
        return frozenset()
    t, lf, b, r = _bounds(patch)
    return _frame(t + 1, lf + 1, b - 1, r - 1)


def outbox(patch: Patch) -> Indices:
    """Return the outline one cell outside the patch's bounding box."""
    if not patch:
        return frozenset()
    t, lf, b, r = _bounds(patch)
    return _frame(t - 1, lf - 1, b + 1, r + 1)


def dneighbors(loc: IntegerPair) -> Indices:
    """Return the four locations above, below, left and right of loc."""
    i, j = loc
    return frozenset((i + di, j + dj) for di, dj in _ORTHOGONAL)


def ineighbors(loc: IntegerPair) -> Indices:
    """Return the four locations diagonally next to loc."""
    i, j = loc
    return frozenset((i + di, j + dj) for di, dj in _DIAGONAL)


def neighbors(loc: IntegerPair) -> Indices:
    """Return the eight locations around loc."""
    i, j = loc
    return frozenset((i + di, j + dj) for di, dj in _ALL_AROUND)


def adjacent(a: Patch, b: Patch) -> Boolean:
    """Return whether a cell of a and a cell of b are 4-neighbours (and none overlap)."""
    return manhattan(a, b) == 1


def bordering(patch: Patch, grid: Grid) -> Boolean:
    """Return whether the patch touches the grid's outer edge."""
    t, lf, b, r = _bounds(patch)
    return t <= 0 or lf <= 0 or b >= len(grid) - 1 or r >= len(grid[0]) - 1


def hline(patch: Patch) -> Boolean:
    """Return whether the patch is an unbroken horizontal line (one row, no gaps)."""
    locs = _indices(patch)
    if not locs:
        return False
    t, lf, b, r = _bounds(locs)
    return t == b and len(locs) == r - lf + 1


def vline(patch: Patch) -> Boolean:
    """Return whether the patch is an unbroken vertical line (one column, no gaps)."""
    locs = _indices(patch)
    if not locs:
        return False
    t, lf, b, r = _bounds(locs)
    return lf == r and len(locs) == b - t + 1


def connect(a: IntegerPair, b: IntegerPair) -> Indices:
    """Return the straight (row, column or diagonal) line from a to b inclusive, else the empty set."""
    (ai, aj), (bi, bj) = a, b
    di, dj = bi - ai, bj - aj
    if di and dj and abs(di) != abs(dj):
        return frozenset()
    si, sj = (di > 0) - (di < 0), (dj > 0) - (dj < 0)
    return frozenset((ai + k * si, aj + k * sj) for k in range(max(abs(di), abs(dj)) + 1))


def shoot(start: IntegerPair, direction: IntegerPair) -> Indices:
    """Return the ray of 32 locations from start (included) stepping by direction."""
    (i, j), (di, dj) = start, direction
    return frozenset((i + k * di, j + k * dj) for k in range(_REACH))


def hfrontier(loc: IntegerPair) -> Indices:
    """Return the locations of loc's row, columns 0 to 31."""
    i = loc[0]
    return frozenset((i, j) for j in range(_REACH))


def vfrontier(loc: IntegerPair) -> Indices:
    """Return the locations of loc's column, rows 0 to 31."""
    j = loc[1]
    return frozenset((i, j) for i in range(_REACH))


def frontiers(grid: Grid) -> Objects:
    """Return the grid's full single-coloured rows and columns, one object each."""
    rows = [frozenset((v, (i, j)) for j, v in enumerate(row)) for i, row in enumerate(grid) if len(set(row)) == 1]
    cols = [
        frozenset((v, (i, j)) for i, v in enumerate(col))
        for j, col in enumerate(zip(*grid, strict=True))
        if len(set(col)) == 1
    ]
    return frozenset(rows + cols)


def occurrences(grid: Grid, obj: Object) -> Indices:
    """Return the offsets at which the normalized object matches the grid cell for cell."""
    if not obj:
        return frozenset()
    norm = tuple(normalize(obj))
    oh = max(i for _, (i, _) in norm) + 1
    ow = max(j for _, (_, j) in norm) + 1
    h, w = len(grid), len(grid[0]) if grid else 0
    return frozenset(
        (a, b)
        for a in range(h - oh + 1)
        for b in range(w - ow + 1)
        if all(grid[a + i][b + j] == v for v, (i, j) in norm)
    )


def holes(patch: Patch) -> Indices:
    """Return the locations inside the patch's bounding box not covered and not 4-connected to its edge."""
    if not patch:
        return frozenset()
    locs = _indices(patch)
    t, lf, b, r = _bounds(locs)
    free = {(i, j) for i in range(t, b + 1) for j in range(lf, r + 1)} - locs
    stack = [(i, j) for i, j in free if i in (t, b) or j in (lf, r)]
    outside = set(stack)
    while stack:
        i, j = stack.pop()
        for di, dj in _ORTHOGONAL:
            n = (i + di, j + dj)
            if n in free and n not in outside:
                outside.add(n)
                stack.append(n)
    return frozenset(free - outside)


def colorparts(obj: Object) -> Objects:
    """Return the object split into one sub-object per colour."""
    groups: dict[int, list[tuple[int, tuple[int, int]]]] = {}
    for cell in obj:
        groups.setdefault(cell[0], []).append(cell)
    return frozenset(frozenset(cells) for cells in groups.values())


__all__ = [
    "adjacent",
    "asindices",
    "asobject",
    "backdrop",
    "bordering",
    "box",
    "colorfilter",
    "colorparts",
    "connect",
    "delta",
    "dneighbors",
    "fgpartition",
    "frontiers",
    "hfrontier",
    "hline",
    "holes",
    "inbox",
    "ineighbors",
    "neighbors",
    "objects",
    "occurrences",
    "outbox",
    "partition",
    "shoot",
    "sizefilter",
    "toindices",
    "toobject",
    "vfrontier",
    "vline",
]
