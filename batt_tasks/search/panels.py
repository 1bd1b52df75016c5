"""Outputs made from the input's panels, learned from the demos: panels laid on one another, or shrunk to a cell.

`stackparts`: which colour shows where several panels set a cell. Every demo output must have one shape, and
each demo input must cut into 2 to MAX_PANELS panels of it (batt_tasks/dsl/partitions.py: between separator
lines, else evenly). Where the panels set several colours at a cell, the output's colour there is learned to
come first; where they set none, the output keeps the background. Those precedences, closed under "comes
first before what that comes first before", must have no cycle, and must decide every cell of every test
input: a test cell whose colours the demos never ranked would be a guess, so then no rule is offered.

`shrinkblocks`: each output cell is one block of the input cut evenly (into as many blocks as a constant output
shape has cells, else into blocks of a constant size), its most common colour besides the background or its
rarest colour. Ties are no answer, and the rule must give a grid on every test input.

`blockrule`: the input cut evenly into blocks of one size (2 to MAX_BLOCK_CELLS cells), each output block one
colour, looked up by the input block's contents in a table the demos give; the smallest size whose table is
consistent and knows every test block is the rule.
"""

from collections.abc import Callable, Sequence

from batt_tasks.dsl.colour import background_of
from batt_tasks.dsl.partitions import _blocks, _panels, shrinkblocks, stackparts
from batt_tasks.dsl.types import Grid, IntegerPair
from batt_tasks.search.enumeration import BOOLEANS

MAX_PANELS = 9
MAX_BLOCK_CELLS = 25
# (a, b): a comes first where a panel sets a and another sets b.
Precedence = set[tuple[int, int]]


def learned_overlays(pairs: Sequence[tuple[Grid, Grid]], tests: Sequence[Grid]) -> list[str]:
    """The stackparts expression that reproduces every demo and decides every test cell, if there is one."""
    shapes = {(len(grid_out), len(grid_out[0])) for _, grid_out in pairs}
    if len(shapes) != 1:
        return []
    shape = shapes.pop()
    try:
        demos = [(grid_in, _cells(grid_in, shape), grid_out) for grid_in, grid_out in pairs]
        first = _closed(_precedence(demos))
        colours = set().union(*(present for _, cells, _ in demos for present in cells))
        if first is None or not all(_decided(grid, shape, first, colours) for grid in tests):
            return []
    except ValueError:
        return []
    order = tuple(sorted(colours, key=lambda colour: (-sum(a == colour for a, _ in first), colour)))
    if any(stackparts(grid_in, shape, order) != grid_out for grid_in, grid_out in pairs):
        return []
    return [f"stackparts(I, {shape!r}, {order!r})"]


def learned_shrinks(pairs: Sequence[tuple[Grid, Grid]], tests: Sequence[Grid]) -> list[str]:
    """The first shrinkblocks expression that reproduces every demo and gives a grid on every test input."""
    ways: list[tuple[str, Callable[[Grid], IntegerPair]]] = []
    shapes = {(len(grid_out), len(grid_out[0])) for _, grid_out in pairs}
    if len(shapes) == 1:
        shape = shapes.pop()
        ways.append((repr(shape), lambda grid: shape))
    sizes = {_block_size(grid_in, grid_out) for grid_in, grid_out in pairs}
    if len(sizes) == 1 and (size := sizes.pop()) is not None:
        ways.append((f"divide(shape(I), {size!r})", lambda grid: (len(grid) // size[0], len(grid[0]) // size[1])))
    for rarest in (False, True):
        for text, blocks in ways:
            if all(_shrunk(grid_in, blocks(grid_in), rarest) == grid_out for grid_in, grid_out in pairs) and all(
                _shrunk(grid, blocks(grid), rarest) is not None for grid in tests
            ):
                return [f"shrinkblocks(I, {text}, {BOOLEANS[rarest]})"]
    return []


def learned_block_rules(pairs: Sequence[tuple[Grid, Grid]], tests: Sequence[Grid]) -> list[str]:
    """The blockrule expression of the smallest block size that reproduces every demo and knows every test block."""
    if any((len(i), len(i[0])) != (len(o), len(o[0])) for i, o in pairs):
        return []
    sizes = sorted(
        ((tall, wide) for tall in range(1, 6) for wide in range(1, 6) if 2 <= tall * wide <= MAX_BLOCK_CELLS),
        key=lambda size: (size[0] * size[1], size),
    )
    for size in sizes:
        table = _block_table(pairs, size)
        if table is not None and all(_knows(table, grid, size) for grid in tests):
            return [f"blockrule(I, {size!r}, {tuple(sorted(table.items()))!r})"]
    return []


def _block_table(pairs: Sequence[tuple[Grid, Grid]], size: IntegerPair) -> dict[Grid, int] | None:
    """Each input block's contents -> the one colour of its output block, if the demos agree on every one."""
    table: dict[Grid, int] = {}
    try:
        for grid_in, grid_out in pairs:
            for (_, _, contents), (_, _, painted) in zip(_blocks(grid_in, size), _blocks(grid_out, size), strict=True):
                colours = {colour for row in painted for colour in row}
                if len(colours) != 1 or table.setdefault(contents, colours.pop()) != painted[0][0]:
                    return None
    except ValueError:
        return None
    return table


def _knows(table: dict[Grid, int], grid: Grid, size: IntegerPair) -> bool:
    try:
        return all(contents in table for _, _, contents in _blocks(grid, size))
    except ValueError:
        return False


def _block_size(grid_in: Grid, grid_out: Grid) -> IntegerPair | None:
    (height, width), (rows, columns) = (len(grid_in), len(grid_in[0])), (len(grid_out), len(grid_out[0]))
    return None if height % rows or width % columns else (height // rows, width // columns)


def _shrunk(grid: Grid, blocks: IntegerPair, rarest: bool) -> Grid | None:
    try:
        return shrinkblocks(grid, blocks, rarest)
    except ValueError:
        return None


def _cells(grid: Grid, shape: IntegerPair) -> list[set[int]]:
    """For each cell of a panel, the colours the panels set there; ValueError unless 2 to MAX_PANELS panels."""
    panels = _panels(grid, shape)
    if not 2 <= len(panels) <= MAX_PANELS:
        raise ValueError("too few or too many panels")
    background = background_of(grid)
    return [{panel[i][j] for panel in panels} - {background} for i in range(shape[0]) for j in range(shape[1])]


def _precedence(demos: Sequence[tuple[Grid, list[set[int]], Grid]]) -> Precedence:
    """What the demos (input, its panels' set colours per cell, output) say comes first; ValueError where an
    output cell is none of the colours set there."""
    first: Precedence = set()
    for grid_in, cells, grid_out in demos:
        background = {background_of(grid_in)}
        wanted = [colour for row in grid_out for colour in row]
        for present, colour in zip(cells, wanted, strict=True):
            if colour not in (present or background):
                raise ValueError("an output cell no panel explains")
            first |= {(colour, other) for other in present - {colour}}
    return first


def _closed(first: Precedence) -> Precedence | None:
    """The transitive closure, or None when it has a cycle."""
    closed = set(first)
    colours = {colour for pair in first for colour in pair}
    for middle in colours:
        closed |= {(a, d) for a, b in closed if b == middle for c, d in closed if c == middle}
    return None if any(a == b for a, b in closed) else closed


def _decided(grid: Grid, shape: IntegerPair, first: Precedence, colours: set[int]) -> bool:
    """Every cell's set colours were set in the demos, and one of them comes first before all the others."""
    for present in _cells(grid, shape):
        if not present <= colours:
            return False
        if len(present) > 1 and not any(all((a, b) in first for b in present - {a}) for a in present):
            return False
    return True
