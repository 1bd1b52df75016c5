"""Cell rules: each output cell looked up from what its input cell sees, by a table learned from the demos.

A feature describes a cell by a tuple of integers: its colour and something around it (its object's
size or shape, the colours along its row and column, the first colour met in each direction, its
neighbours). `cellrule` paints every cell with the colour the table gives its description; a cell
whose description the table lacks is an error, not a guess. The search learns the tables
(batt_tasks/search/cellrules.py); here they are only applied, so a program stays plain DSL text.
"""

from collections import Counter
from collections.abc import Callable

from .colour import mostcolor
from .geometry import _bounds, normalize
from .objects import objects, toindices
from .transforms import _enclosed_cells
from .types import Grid, Integer, Object, Tuple

Description = tuple[int | tuple[int, ...], ...]
Descriptions = list[list[Description]]
Trait = Callable[[Object], tuple[int, ...]]

# Which feature a rule reads, by name, for programs to say `cellrule(I, BYRAYS, ...)`: FEATURES' order.
FEATURE_NAMES = (
    "BYCOLOUR", "BYPHASE2", "BYPHASE3", "BYENCLOSED", "BYBOXES", "BYSIZE", "BYSHAPE", "BYPALETTE", "BYMIRRORS",
    "BYLINES", "BYRAYS", "BYNEIGHBOURS", "BYCOUNTS", "BYRAYS8", "BYWINDOW", "BYHOLES", "BYEXTREME", "BYBORDER",
    "BYREGION", "BYSIZERANK", "BYTWINS",
)  # fmt: skip
(
    BYCOLOUR, BYPHASE2, BYPHASE3, BYENCLOSED, BYBOXES, BYSIZE, BYSHAPE, BYPALETTE, BYMIRRORS,
    BYLINES, BYRAYS, BYNEIGHBOURS, BYCOUNTS, BYRAYS8, BYWINDOW, BYHOLES, BYEXTREME, BYBORDER,
    BYREGION, BYSIZERANK, BYTWINS,
) = range(21)  # fmt: skip

__all__ = [*FEATURE_NAMES, "cellrule", "rankedrule", "relativerule"]

OFF_GRID = -1
# In a ranked rule's table, a colour below this is a rank among the input's colours; this plus c is colour c.
ABSOLUTE = 10
# In a relative rule, the grid's commonest colour, in a description and as a colour to paint.
BACKGROUND = -2
# The features whose descriptions hold only colours (and OFF_GRID): those a relative rule can read.
RELATIVE_FEATURES = (BYCOLOUR, BYMIRRORS, BYLINES, BYRAYS, BYNEIGHBOURS, BYRAYS8, BYWINDOW, BYPALETTE)
_FOUR = ((0, 1), (0, -1), (1, 0), (-1, 0))
_EIGHT = (*_FOUR, (1, 1), (1, -1), (-1, 1), (-1, -1))


def _at(grid: Grid, i: int, j: int) -> int:
    return grid[i][j] if 0 <= i < len(grid) and 0 <= j < len(grid[0]) else OFF_GRID


def _each(grid: Grid, describe: Callable[[int, int], Description]) -> Descriptions:
    return [[describe(i, j) for j in range(len(grid[0]))] for i in range(len(grid))]


def _colour(grid: Grid) -> Descriptions:
    return _each(grid, lambda i, j: (grid[i][j],))


def _phase(grid: Grid, period: int) -> Descriptions:
    """Colour, and where the cell falls in a checkerboard of that period."""
    return _each(grid, lambda i, j: (grid[i][j], i % period, j % period))


def _enclosed(grid: Grid) -> Descriptions:
    """Colour, and 1 for a background cell that no background path joins to the border."""
    enclosed = _enclosed_cells(grid)
    return _each(grid, lambda i, j: (grid[i][j], int((i, j) in enclosed)))


def _by_object(grid: Grid, univalued: bool, diagonal: bool, trait: Trait) -> Descriptions:
    """Colour, then the trait of the cell's object (nothing for the background)."""
    traits: dict[tuple[int, int], tuple[int, ...]] = {}
    for obj in objects(grid, univalued, diagonal, True):
        value = trait(obj)
        traits.update((cell, value) for _, cell in obj)
    return _each(grid, lambda i, j: (grid[i][j], *traits.get((i, j), ())))


def _size(grid: Grid) -> Descriptions:
    return _by_object(grid, True, False, lambda obj: (len(obj),))


def _shape(grid: Grid) -> Descriptions:
    def cells(obj: Object) -> tuple[int, ...]:
        return tuple(x for cell in sorted(normalize(toindices(obj))) for x in cell)

    return _by_object(grid, True, False, cells)


def _holes(grid: Grid) -> Descriptions:
    """Colour, and how many closed holes the cell's object has (areas its cells wall off from the outside)."""

    def holes(obj: Object) -> tuple[int, ...]:
        cells = toindices(obj)
        top, left, bottom, right = _bounds(cells)
        # The box one cell larger all round: an area that reaches its rim is outside, not a hole.
        free = {(i, j) for i in range(top - 1, bottom + 2) for j in range(left - 1, right + 2)} - cells
        found, seen = 0, set()
        for start in sorted(free):
            if start in seen:
                continue
            seen.add(start)
            area, outside = [start], False
            while area:
                i, j = area.pop()
                outside = outside or i in (top - 1, bottom + 1) or j in (left - 1, right + 1)
                for step in ((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)):
                    if step in free and step not in seen:
                        seen.add(step)
                        area.append(step)
            found += not outside
        return (found,)

    return _by_object(grid, True, False, holes)


def _extreme(grid: Grid) -> Descriptions:
    """Colour, and whether the cell's object is of the largest size in the grid, and of the smallest."""
    sizes = [len(obj) for obj in objects(grid, True, False, True)]
    return _by_object(grid, True, False, lambda obj: (int(len(obj) == max(sizes)), int(len(obj) == min(sizes))))


def _region(grid: Grid) -> Descriptions:
    """Colour, and whether the cell's one-coloured region (the background's too) is the largest of that colour's
    regions, and the smallest: the biggest or smallest area of background, say."""
    regions = list(objects(grid, True, False, False))
    sizes: dict[int, list[int]] = {}
    for region in regions:
        sizes.setdefault(next(iter(region))[0], []).append(len(region))
    described: dict[tuple[int, int], Description] = {}
    for region in regions:
        colour = next(iter(region))[0]
        value = (colour, int(len(region) == max(sizes[colour])), int(len(region) == min(sizes[colour])))
        described.update((cell, value) for _, cell in region)
    return _each(grid, lambda i, j: described[(i, j)])


def _size_rank(grid: Grid) -> Descriptions:
    """Colour, and where the size of the cell's object stands among the grid's object sizes, largest first (0)."""
    sizes = sorted({len(obj) for obj in objects(grid, True, False, True)}, reverse=True)
    return _by_object(grid, True, False, lambda obj: (sizes.index(len(obj)),))


def _twins(grid: Grid) -> Descriptions:
    """Colour, and whether another object (one colour, corners joining) has its shape: the odd one out has none."""
    shapes = Counter(normalize(toindices(obj)) for obj in objects(grid, True, True, True))
    return _by_object(grid, True, True, lambda obj: (int(shapes[normalize(toindices(obj))] > 1),))


def _border(grid: Grid) -> Descriptions:
    """Colour, and whether the cell's object touches the grid's edge."""
    last_row, last_column = len(grid) - 1, len(grid[0]) - 1
    return _by_object(grid, True, False, lambda obj: (
        int(any(i in (0, last_row) or j in (0, last_column) for _, (i, j) in obj)),
    ))  # fmt: skip


def _palette(grid: Grid) -> Descriptions:
    return _by_object(grid, False, True, lambda obj: tuple(sorted({v for v, _ in obj})))


def _boxes(grid: Grid) -> Descriptions:
    """Colour, and how many objects' bounding boxes hold the cell."""
    boxes = [_bounds(toindices(obj)) for obj in objects(grid, False, True, True)]
    return _each(grid, lambda i, j: (grid[i][j], sum(t <= i <= b and le <= j <= r for t, le, b, r in boxes)))


def _mirrored(grid: Grid) -> Descriptions:
    """Colour, then the colours of its images across the middle row, the middle column and the centre."""
    height, width = len(grid), len(grid[0])
    return _each(grid, lambda i, j: (
        grid[i][j], grid[height - 1 - i][j], grid[i][width - 1 - j], grid[height - 1 - i][width - 1 - j]
    ))  # fmt: skip


def _lines(grid: Grid) -> Descriptions:
    """Colour, the other colours in its row, those in its column."""
    background = mostcolor(grid)
    rows = [tuple(sorted(set(row) - {background})) for row in grid]
    columns = [tuple(sorted(set(column) - {background})) for column in zip(*grid, strict=True)]
    return _each(grid, lambda i, j: (grid[i][j], rows[i], columns[j]))


def _rays(grid: Grid, directions: tuple[tuple[int, int], ...]) -> Descriptions:
    """Colour, then the first colour other than the background met in each direction (OFF_GRID if none)."""
    background = mostcolor(grid)

    def met(i: int, j: int, di: int, dj: int) -> int:
        i, j = i + di, j + dj
        while _at(grid, i, j) == background:
            i, j = i + di, j + dj
        return _at(grid, i, j)

    return _each(grid, lambda i, j: (grid[i][j], *(met(i, j, di, dj) for di, dj in directions)))


def _neighbours(grid: Grid) -> Descriptions:
    return _each(grid, lambda i, j: (grid[i][j], *(_at(grid, i + di, j + dj) for di, dj in _FOUR)))


def _counts(grid: Grid) -> Descriptions:
    """Colour, then how many of the eight neighbours have each colour."""

    def counted(i: int, j: int) -> Description:
        around = Counter(_at(grid, i + di, j + dj) for di, dj in _EIGHT)
        return (grid[i][j], *(pair for colour in sorted(around) for pair in (colour, around[colour])))

    return _each(grid, counted)


def _window(grid: Grid) -> Descriptions:
    return _each(grid, lambda i, j: tuple(_at(grid, i + di, j + dj) for di in (-1, 0, 1) for dj in (-1, 0, 1)))


FEATURES: tuple[Callable[[Grid], Descriptions], ...] = (
    _colour, lambda grid: _phase(grid, 2), lambda grid: _phase(grid, 3), _enclosed, _boxes, _size, _shape, _palette,
    _mirrored, _lines,
    lambda grid: _rays(grid, _FOUR), _neighbours, _counts, lambda grid: _rays(grid, _EIGHT), _window,
    _holes, _extreme, _border, _region, _size_rank, _twins,
)  # fmt: skip


def describe(grid: Grid, feature: int) -> Descriptions:
    """Every cell's description under one feature."""
    return FEATURES[feature](grid)


def cellrule(grid: Grid, feature: Integer, table: Tuple) -> Grid:
    """Return the grid with each cell painted as the table (description, colour) pairs say for its description."""
    lookup = dict(table)
    try:
        return tuple(tuple(lookup[description] for description in row) for row in describe(grid, feature))
    except KeyError:
        raise ValueError("a cell the rule has no colour for") from None


def colour_ranks(grid: Grid) -> tuple[int, ...]:
    """The grid's colours, most frequent first (equal counts: the lower colour first)."""
    counts = Counter(value for row in grid for value in row)
    return tuple(sorted(counts, key=lambda colour: (-counts[colour], colour)))


def ranked(grid: Grid) -> Grid:
    """The grid with each colour replaced by its rank (colour_ranks): 0 for the most frequent."""
    rank = {colour: index for index, colour in enumerate(colour_ranks(grid))}
    return tuple(tuple(rank[value] for value in row) for row in grid)


def rankedrule(grid: Grid, feature: Integer, table: Tuple) -> Grid:
    """cellrule on the grid's colour ranks: the table's descriptions read ranks, not colours, and it paints a
    rank of the grid's own colours (below ABSOLUTE) or a fixed colour (ABSOLUTE + colour), so one rule holds
    for demos and tests drawn in different colours."""
    ranks = colour_ranks(grid)

    def paint(code: int) -> int:
        if code >= ABSOLUTE:
            return code - ABSOLUTE
        if code >= len(ranks):
            raise ValueError("a rank the grid has no colour for")
        return ranks[code]

    return tuple(tuple(paint(code) for code in row) for row in cellrule(ranked(grid), feature, table))


def relative(description: Description, background: int) -> tuple[Description, dict[int, int]]:
    """The description with its colours named by where they first appear in it (the cell's own colour first,
    0, 1, ...; a set of colours is sorted after naming), the background as BACKGROUND; and those names."""
    names: dict[int, int] = {}

    def name(colour: int) -> int:
        if colour in (OFF_GRID, background):
            return BACKGROUND if colour == background else OFF_GRID
        return names.setdefault(colour, len(names))

    named = tuple(tuple(sorted(map(name, part))) if isinstance(part, tuple) else name(part) for part in description)
    return named, names


def relativerule(grid: Grid, feature: Integer, table: Tuple) -> Grid:
    """cellrule on descriptions with relative colours (`relative`): the table paints a colour its description
    names (a name below ABSOLUTE), the background (BACKGROUND) or a fixed colour (ABSOLUTE + colour), so one
    rule can say "the colour met to the left" whatever that colour is. Only RELATIVE_FEATURES."""
    if feature not in RELATIVE_FEATURES:
        raise ValueError("a feature that describes more than colours")
    background = colour_ranks(grid)[0]
    lookup = dict(table)

    def paint(description: Description) -> int:
        named, names = relative(description, background)
        if (code := lookup.get(named)) is None:
            raise ValueError("a cell the rule has no colour for")
        if code == BACKGROUND or code >= ABSOLUTE:
            return background if code == BACKGROUND else code - ABSOLUTE
        colours = [colour for colour, index in names.items() if index == code]
        if not colours:
            raise ValueError("a colour the cell's description does not name")
        return colours[0]

    return tuple(tuple(paint(description) for description in row) for row in describe(grid, feature))
