"""Geometry: rotations, mirrors, translation, corners and relative placement.

Rotations and mirrors take a Grid or a Patch. A patch turns inside its own bounding box,
which keeps its upper-left corner where it was (a box of h x w becomes w x h when turned).
"""

from typing import TYPE_CHECKING, overload

from .types import Boolean, Grid, Indices, Integer, IntegerPair, Object, Patch, Piece

if TYPE_CHECKING:  # typing_extensions is for the checker only: a sandbox child imports the DSL and no more
    from typing_extensions import TypeIs

# How far gravitate slides before giving up: enough to cross a 30 x 30 grid twice.
_MAX_SLIDE = 60


def _is_object(patch: Patch) -> "TypeIs[Object]":
    """Return whether a non-empty patch holds coloured cells rather than bare indices."""
    for item in patch:
        return isinstance(item[1], tuple)
    return False


def _indices(patch: Patch) -> Indices:
    """Return the (i, j) locations of a patch."""
    if _is_object(patch):
        return frozenset(loc for _, loc in patch)
    return patch


def _bounds(patch: Patch) -> tuple[int, int, int, int]:
    """Return (top, left, bottom, right) of a patch; raises ValueError when empty."""
    if _is_object(patch):
        rows = [loc[0] for _, loc in patch]
        cols = [loc[1] for _, loc in patch]
    else:
        rows = [i for i, _ in patch]
        cols = [j for _, j in patch]
    if not rows:
        raise ValueError("empty patch has no bounds")
    return min(rows), min(cols), max(rows), max(cols)


def _affine(patch: Patch, ii: int, ij: int, ci: int, ji: int, jj: int, cj: int) -> Patch:
    """Return the patch with every location (i, j) sent to (ii*i + ij*j + ci, ji*i + jj*j + cj)."""
    if _is_object(patch):
        return frozenset((v, (ii * i + ij * j + ci, ji * i + jj * j + cj)) for v, (i, j) in patch)
    return frozenset((ii * i + ij * j + ci, ji * i + jj * j + cj) for i, j in patch)


@overload
def rot90(piece: Grid) -> Grid: ...
@overload
def rot90(piece: Object) -> Object: ...
@overload
def rot90(piece: Indices) -> Indices: ...
def rot90(piece: Piece) -> Piece:
    """Return the piece turned a quarter clockwise."""
    if isinstance(piece, tuple):
        return tuple(zip(*piece[::-1], strict=True))
    if not piece:
        return piece
    t, lf, b, _ = _bounds(piece)
    return _affine(piece, 0, 1, t - lf, -1, 0, lf + b)


@overload
def rot180(piece: Grid) -> Grid: ...
@overload
def rot180(piece: Object) -> Object: ...
@overload
def rot180(piece: Indices) -> Indices: ...
def rot180(piece: Piece) -> Piece:
    """Return the piece turned half a turn."""
    if isinstance(piece, tuple):
        return tuple(row[::-1] for row in piece[::-1])
    if not piece:
        return piece
    t, lf, b, r = _bounds(piece)
    return _affine(piece, -1, 0, t + b, 0, -1, lf + r)


@overload
def rot270(piece: Grid) -> Grid: ...
@overload
def rot270(piece: Object) -> Object: ...
@overload
def rot270(piece: Indices) -> Indices: ...
def rot270(piece: Piece) -> Piece:
    """Return the piece turned a quarter counter-clockwise."""
    if isinstance(piece, tuple):
        return tuple(zip(*piece, strict=True))[::-1]
    if not piece:
        return piece
    t, lf, _, r = _bounds(piece)
    return _affine(piece, 0, -1, t + r, 1, 0, lf - t)


@overload
def hmirror(piece: Grid) -> Grid: ...
@overload
def hmirror(piece: Object) -> Object: ...
@overload
def hmirror(piece: Indices) -> Indices: ...
def hmirror(piece: Piece) -> Piece:
    """Return the piece flipped upside down (mirrored across a horizontal axis)."""
    if isinstance(piece, tuple):
        return piece[::-1]
    if not piece:
        return piece
    t, _, b, _ = _bounds(piece)
    return _affine(piece, -1, 0, t + b, 0, 1, 0)


@overload
def vmirror(piece: Grid) -> Grid: ...
@overload
def vmirror(piece: Object) -> Object: ...
@overload
def vmirror(piece: Indices) -> Indices: ...
def vmirror(piece: Piece) -> Piece:
    """Return the piece flipped left to right (mirrored across a vertical axis)."""
    if isinstance(piece, tuple):
        return tuple(row[::-1] for row in piece)
    if not piece:
        return piece
    _, lf, _, r = _bounds(piece)
    return _affine(piece, 1, 0, 0, 0, -1, lf + r)


@overload
def dmirror(piece: Grid) -> Grid: ...
@overload
def dmirror(piece: Object) -> Object: ...
@overload
def dmirror(piece: Indices) -> Indices: ...
def dmirror(piece: Piece) -> Piece:
    """Return the piece mirrored across its main diagonal (transposed)."""
    if isinstance(piece, tuple):
        return tuple(zip(*piece, strict=True))
    if not piece:
        return piece
    t, lf, _, _ = _bounds(piece)
    return _affine(piece, 0, 1, t - lf, 1, 0, lf - t)


@overload
def cmirror(piece: Grid) -> Grid: ...
@overload
def cmirror(piece: Object) -> Object: ...
@overload
def cmirror(piece: Indices) -> Indices: ...
def cmirror(piece: Piece) -> Piece:
    """Return the piece mirrored across its anti-diagonal."""
    if isinstance(piece, tuple):
        return tuple(zip(*(row[::-1] for row in piece[::-1]), strict=True))
    if not piece:
        return piece
    t, lf, b, r = _bounds(piece)
    return _affine(piece, 0, -1, t + r, -1, 0, lf + b)


@overload
def shift(patch: Object, offset: IntegerPair) -> Object: ...
@overload
def shift(patch: Indices, offset: IntegerPair) -> Indices: ...
def shift(patch: Patch, offset: IntegerPair) -> Patch:
    """Return the patch moved by offset (di, dj)."""
    di, dj = offset
    if _is_object(patch):
        return frozenset((v, (i + di, j + dj)) for v, (i, j) in patch)
    return frozenset((i + di, j + dj) for i, j in patch)


@overload
def normalize(patch: Object) -> Object: ...
@overload
def normalize(patch: Indices) -> Indices: ...
def normalize(patch: Patch) -> Patch:
    """Return the patch moved so that its upper-left corner is (0, 0)."""
    if not patch:
        return patch
    t, lf, _, _ = _bounds(patch)
    return shift(patch, (-t, -lf))


def uppermost(patch: Patch) -> Integer:
    """Return the smallest row index of the patch; raises ValueError when empty."""
    return min(i for i, _ in _indices(patch))


def lowermost(patch: Patch) -> Integer:
    """Return the largest row index of the patch; raises ValueError when empty."""
    return max(i for i, _ in _indices(patch))


def leftmost(patch: Patch) -> Integer:
    """Return the smallest column index of the patch; raises ValueError when empty."""
    return min(j for _, j in _indices(patch))


def rightmost(patch: Patch) -> Integer:
    """Return the largest column index of the patch; raises ValueError when empty."""
    return max(j for _, j in _indices(patch))


def ulcorner(patch: Patch) -> IntegerPair:
    """Return the upper-left corner (top, left) of the patch's bounding box."""
    t, lf, _, _ = _bounds(patch)
    return (t, lf)


def urcorner(patch: Patch) -> IntegerPair:
    """Return the upper-right corner (top, right) of the patch's bounding box."""
    t, _, _, r = _bounds(patch)
    return (t, r)


def llcorner(patch: Patch) -> IntegerPair:
    """Return the lower-left corner (bottom, left) of the patch's bounding box."""
    _, lf, b, _ = _bounds(patch)
    return (b, lf)


def lrcorner(patch: Patch) -> IntegerPair:
    """Return the lower-right corner (bottom, right) of the patch's bounding box."""
    _, _, b, r = _bounds(patch)
    return (b, r)


def corners(patch: Patch) -> Indices:
    """Return the four corner locations of the patch's bounding box (fewer when they coincide)."""
    t, lf, b, r = _bounds(patch)
    return frozenset(((t, lf), (t, r), (b, lf), (b, r)))


def center(patch: Patch) -> IntegerPair:
    """Return the bounding box's centre cell (top + height // 2, left + width // 2)."""
    t, lf, b, r = _bounds(patch)
    return (t + (b - t + 1) // 2, lf + (r - lf + 1) // 2)


def centerofmass(patch: Patch) -> IntegerPair:
    """Return the floored mean location of the patch's cells; raises ValueError when empty."""
    locs = _indices(patch)
    if not locs:
        raise ValueError("empty patch has no centre of mass")
    n = len(locs)
    return (sum(i for i, _ in locs) // n, sum(j for _, j in locs) // n)


def position(a: Patch, b: Patch) -> IntegerPair:
    """Return the sign pair (di, dj) of the step from a's centre towards b's centre."""
    ai, aj = center(a)
    bi, bj = center(b)
    return ((bi > ai) - (bi < ai), (bj > aj) - (bj < aj))


def toivec(i: Integer) -> IntegerPair:
    """Return the vertical offset (i, 0)."""
    return (i, 0)


def tojvec(j: Integer) -> IntegerPair:
    """Return the horizontal offset (0, j)."""
    return (0, j)


def manhattan(a: Patch, b: Patch) -> Integer:
    """Return the smallest city-block distance between a cell of a and a cell of b."""
    bs = tuple(_indices(b))
    return min(abs(ai - bi) + abs(aj - bj) for ai, aj in _indices(a) for bi, bj in bs)


def hmatching(a: Patch, b: Patch) -> Boolean:
    """Return whether a and b have a cell in a common row."""
    return not {i for i, _ in _indices(a)}.isdisjoint(i for i, _ in _indices(b))


def vmatching(a: Patch, b: Patch) -> Boolean:
    """Return whether a and b have a cell in a common column."""
    return not {j for _, j in _indices(a)}.isdisjoint(j for _, j in _indices(b))


def gravitate(source: Patch, destination: Patch) -> IntegerPair:
    """Return the offset sliding source at destination (sideways if they share a row) until they touch."""
    src = _indices(source)
    dst = _indices(destination)
    (si, sj), (di, dj) = center(src), center(dst)
    sideways = hmatching(src, dst)
    step = (0, (dj > sj) - (dj < sj)) if sideways else ((di > si) - (di < si), 0)
    if step == (0, 0) and manhattan(src, dst) > 1:
        raise ValueError("source has no direction towards destination")
    oi = oj = 0
    for _ in range(_MAX_SLIDE):
        if manhattan(shift(src, (oi, oj)), dst) <= 1:
            return (oi, oj)
        oi, oj = oi + step[0], oj + step[1]
    raise ValueError("source never reaches destination")


def hperiod(obj: Object) -> Integer:
    """Return the smallest horizontal shift p > 0 under which the object repeats itself."""
    norm = normalize(obj)
    width = max(j for _, (_, j) in norm) + 1
    for p in range(1, width):
        if all((v, (i, j - p)) in norm for v, (i, j) in norm if j >= p):
            return p
    return width


def vperiod(obj: Object) -> Integer:
    """Return the smallest vertical shift p > 0 under which the object repeats itself."""
    norm = normalize(obj)
    height = max(i for _, (i, _) in norm) + 1
    for p in range(1, height):
        if all((v, (i - p, j)) in norm for v, (i, j) in norm if i >= p):
            return p
    return height


__all__ = [
    "center",
    "centerofmass",
    "cmirror",
    "corners",
    "dmirror",
    "gravitate",
    "hmatching",
    "hmirror",
    "hperiod",
    "leftmost",
    "llcorner",
    "lowermost",
    "lrcorner",
    "manhattan",
    "normalize",
    "position",
    "rightmost",
    "rot90",
    "rot180",
    "rot270",
    "shift",
    "toivec",
    "tojvec",
    "ulcorner",
    "uppermost",
    "urcorner",
    "vmatching",
    "vmirror",
    "vperiod",
]
