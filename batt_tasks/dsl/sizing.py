"""Sizing: measuring, cutting, scaling, splitting and joining grids.

A cut that keeps no cell gives the empty grid ().
"""

from .geometry import _bounds, _is_object
from .types import Boolean, Colour, Grid, Integer, IntegerPair, Patch, Piece, Tuple


def _grid(rows: Grid) -> Grid:
    """Return rows, or () when they hold no cell."""
    return rows if rows and rows[0] else ()


def _positive(factor: int) -> None:
    """Raise ValueError unless factor >= 1."""
    if factor < 1:
        raise ValueError("factor must be at least 1")


def height(piece: Piece) -> Integer:
    """Return the number of rows of a grid, or of a patch's bounding box (0 when empty)."""
    if isinstance(piece, tuple):
        return len(piece)
    if not piece:
        return 0
    t, _, b, _ = _bounds(piece)
    return b - t + 1


def width(piece: Piece) -> Integer:
    """Return the number of columns of a grid, or of a patch's bounding box (0 when empty)."""
    if isinstance(piece, tuple):
        return len(piece[0]) if piece else 0
    if not piece:
        return 0
    _, lf, _, r = _bounds(piece)
    return r - lf + 1


def shape(piece: Piece) -> IntegerPair:
    """Return (height, width) of a grid or of a patch's bounding box."""
    if isinstance(piece, tuple):
        return (len(piece), len(piece[0]) if piece else 0)
    if not piece:
        return (0, 0)
    t, lf, b, r = _bounds(piece)
    return (b - t + 1, r - lf + 1)


def portrait(piece: Piece) -> Boolean:
    """Return whether the piece is taller than it is wide."""
    h, w = shape(piece)
    return h > w


def square(piece: Piece) -> Boolean:
    """Return whether a grid is square, or a patch is a solid filled square."""
    h, w = shape(piece)
    if isinstance(piece, tuple):
        return h == w
    return h == w and len(piece) == h * w


def canvas(colour: Colour, dims: IntegerPair) -> Grid:
    """Return a grid of dims (height, width) filled with colour."""
    h, w = dims
    return _grid(((colour,) * w,) * h)


def crop(grid: Grid, start: IntegerPair, dims: IntegerPair) -> Grid:
    """Return the part of grid inside the window at start (i, j) of dims (height, width)."""
    i, j = start
    h, w = dims
    j0, j1 = max(j, 0), max(j + w, 0)
    return _grid(tuple(row[j0:j1] for row in grid[max(i, 0) : max(i + h, 0)]))


def subgrid(patch: Patch, grid: Grid) -> Grid:
    """Return the part of grid under the patch's bounding box."""
    t, lf, b, r = _bounds(patch)
    return crop(grid, (t, lf), (b - t + 1, r - lf + 1))


def trim(grid: Grid) -> Grid:
    """Return the grid without its outermost rows and columns."""
    return _grid(tuple(row[1:-1] for row in grid[1:-1]))


def compress(grid: Grid) -> Grid:
    """Return the grid without the rows and columns that hold a single colour."""
    rows = [row for row in grid if len(set(row)) > 1]
    keep = [j for j, col in enumerate(zip(*grid, strict=True)) if len(set(col)) > 1]
    return _grid(tuple(tuple(row[j] for j in keep) for row in rows))


def upscale(element: Piece, factor: Integer) -> Piece:
    """Return the piece with each cell blown up to a factor x factor block (a patch keeps its corner)."""
    _positive(factor)
    if isinstance(element, tuple):
        return tuple(big for row in element for big in (tuple(v for v in row for _ in range(factor)),) * factor)
    if not element:
        return element
    t, lf, _, _ = _bounds(element)
    block = [(a, b) for a in range(factor) for b in range(factor)]
    if _is_object(element):
        return frozenset(
            (v, (t + (i - t) * factor + a, lf + (j - lf) * factor + b)) for v, (i, j) in element for a, b in block
        )
    return frozenset((t + (i - t) * factor + a, lf + (j - lf) * factor + b) for i, j in element for a, b in block)


def downscale(grid: Grid, factor: Integer) -> Grid:
    """Return every factor-th row and column of grid, starting at the first."""
    _positive(factor)
    return tuple(row[::factor] for row in grid[::factor])


def hupscale(grid: Grid, factor: Integer) -> Grid:
    """Return the grid with each column repeated factor times side by side."""
    _positive(factor)
    return tuple(tuple(v for v in row for _ in range(factor)) for row in grid)


def vupscale(grid: Grid, factor: Integer) -> Grid:
    """Return the grid with each row repeated factor times one above another."""
    _positive(factor)
    return tuple(row for row in grid for _ in range(factor))


def hconcat(a: Grid, b: Grid) -> Grid:
    """Return grid b placed to the right of grid a; heights must match."""
    if len(a) != len(b):
        raise ValueError("hconcat needs grids of equal height")
    return tuple(x + y for x, y in zip(a, b, strict=True))


def vconcat(a: Grid, b: Grid) -> Grid:
    """Return grid b placed below grid a; widths must match."""
    if a and b and len(a[0]) != len(b[0]):
        raise ValueError("vconcat needs grids of equal width")
    return a + b


def tophalf(grid: Grid) -> Grid:
    """Return the upper height // 2 rows (the middle row of an odd height is left out)."""
    return grid[: len(grid) // 2]


def bottomhalf(grid: Grid) -> Grid:
    """Return the lower height // 2 rows (the middle row of an odd height is left out)."""
    return grid[(len(grid) + 1) // 2 :]


def lefthalf(grid: Grid) -> Grid:
    """Return the left width // 2 columns (the middle column of an odd width is left out)."""
    return _grid(tuple(row[: len(row) // 2] for row in grid))


def righthalf(grid: Grid) -> Grid:
    """Return the right width // 2 columns (the middle column of an odd width is left out)."""
    return _grid(tuple(row[(len(row) + 1) // 2 :] for row in grid))


def hsplit(grid: Grid, n: Integer) -> Tuple:
    """Return n side-by-side parts, width // n wide, skipping one divider column between parts if w % n."""
    _positive(n)
    h, w = shape(grid)
    part, gap = w // n, int(w % n != 0)
    if part == 0:
        raise ValueError("grid too narrow to split")
    return tuple(crop(grid, (0, k * (part + gap)), (h, part)) for k in range(n))


def vsplit(grid: Grid, n: Integer) -> Tuple:
    """Return n stacked parts, height // n high, skipping one divider row between parts if h % n."""
    _positive(n)
    h, w = shape(grid)
    part, gap = h // n, int(h % n != 0)
    if part == 0:
        raise ValueError("grid too short to split")
    return tuple(crop(grid, (k * (part + gap), 0), (part, w)) for k in range(n))


def tile(grid: Grid, counts: IntegerPair) -> Grid:
    """Return grid repeated counts[0] times downwards and counts[1] times across."""
    down, across = counts
    return _grid(tuple(row * across for row in grid) * down)


def hcut(grid: Grid, j: Integer) -> Tuple:
    """Return the pair (columns before j, columns from j on) of grid."""
    return (_grid(tuple(row[:j] for row in grid)), _grid(tuple(row[j:] for row in grid)))


def vcut(grid: Grid, i: Integer) -> Tuple:
    """Return the pair (rows before i, rows from i on) of grid."""
    return (grid[:i], grid[i:])


__all__ = [
    "bottomhalf",
    "canvas",
    "compress",
    "crop",
    "downscale",
    "hconcat",
    "hcut",
    "height",
    "hsplit",
    "hupscale",
    "lefthalf",
    "portrait",
    "righthalf",
    "shape",
    "square",
    "subgrid",
    "tile",
    "tophalf",
    "trim",
    "upscale",
    "vconcat",
    "vcut",
    "vsplit",
    "vupscale",
    "width",
]
