"""Outputs made of blocks, learned from the demos: a fixed layout of views, a copy per cell, a block per colour.

`arrange`: every demo output is the same a x b layout of input-sized blocks, and each block is the
same view of its input (turned, mirrored, colour-swapped or empty) in every demo. `kronecker`: each
output holds one input-sized block per input cell, a copy where the cell's colour is chosen and empty
elsewhere; which colours are chosen is one of a few rules, tried most general first, or a set of
colours seen in the demos (offered only when the test inputs hold no other colour). `cellblocks`: each
output cell of the input became the same a x b block wherever it has the same colour (offered, again,
only when the test inputs hold no colour the demos did not show).
"""

from collections.abc import Callable, Sequence
from functools import partial

from batt_tasks.dsl.colour import leastcolor, mostcolor, palette
from batt_tasks.dsl.layouts import EMPTY, VIEW_NAMES, arrange, cellblocks, kronecker, view
from batt_tasks.dsl.types import Grid

# The kronecker rules for which cells get a copy: (program text, the colours it gives for a grid).
CHOOSERS: tuple[tuple[str, Callable[[Grid], frozenset[int]]], ...] = (
    ("remove(ZERO, palette(I))", lambda grid: palette(grid) - {0}),
    ("initset(ZERO)", lambda grid: frozenset({0})),
    ("initset(mostcolor(I))", lambda grid: frozenset({mostcolor(grid)})),
    ("initset(leastcolor(I))", lambda grid: frozenset({leastcolor(grid)})),
)


def learned_layouts(pairs: Sequence[tuple[Grid, Grid]], tests: Sequence[Grid]) -> list[str]:
    """The arrange, kronecker and cellblocks expressions that reproduce every demo and apply to every test input."""
    found = []
    layout = _layout(pairs)
    if layout is not None and _applies(partial(arrange, layout=layout), tests):
        rows = [_tuple_text([VIEW_NAMES[code] for code in row]) for row in layout]
        found.append(f"arrange(I, {_tuple_text(rows)})")
    if (copies := _copies(pairs, tests)) is not None:
        found.append(copies)
    table = _colour_blocks(pairs)
    if table is not None and _applies(partial(cellblocks, table=table), tests):
        found.append(f"cellblocks(I, {table!r})")
    return found


def _tuple_text(items: list[str]) -> str:
    """Python's text for a tuple of these items' texts: `(A,)` for one, `(A, B)` for more."""
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def _views(grid: Grid) -> list[Grid | None]:
    """The grid's view under every code (None where a view does not apply, e.g. a swap of three colours)."""
    shown: list[Grid | None] = []
    for code in range(EMPTY + 1):
        try:
            shown.append(view(grid, code))
        except ValueError:
            shown.append(None)
    return shown


def _block(grid: Grid, height: int, width: int, p: int, q: int) -> Grid:
    return tuple(row[q * width : (q + 1) * width] for row in grid[p * height : (p + 1) * height])


def _ratio(pairs: Sequence[tuple[Grid, Grid]]) -> tuple[int, int] | None:
    """How many input heights and widths every output is, when that is the same whole numbers (not 1 x 1) for all."""
    ratios = set()
    for grid_in, grid_out in pairs:
        rows, rest_rows = divmod(len(grid_out), len(grid_in))
        columns, rest_columns = divmod(len(grid_out[0]), len(grid_in[0]))
        ratios.add((rows, columns) if not rest_rows and not rest_columns else (0, 0))
    if len(ratios) != 1 or (ratio := ratios.pop())[0] * ratio[1] < 2:
        return None
    return ratio


def _layout(pairs: Sequence[tuple[Grid, Grid]]) -> tuple[tuple[int, ...], ...] | None:
    """The view code of each block, the first that holds in every demo, if every block has one."""
    if (ratio := _ratio(pairs)) is None:
        return None
    rows, columns = ratio
    views = [_views(grid_in) for grid_in, _ in pairs]
    layout = []
    for p in range(rows):
        row = []
        for q in range(columns):
            wanted = [_block(grid_out, len(grid_in), len(grid_in[0]), p, q) for grid_in, grid_out in pairs]
            codes = [code for code in range(EMPTY + 1) if all(v[code] == w for v, w in zip(views, wanted, strict=True))]
            if not codes:
                return None
            row.append(codes[0])
        layout.append(tuple(row))
    return tuple(layout)


def _copies(pairs: Sequence[tuple[Grid, Grid]], tests: Sequence[Grid]) -> str | None:
    """The first kronecker expression, view by view and chooser by chooser, that reproduces every demo."""
    if any((len(o), len(o[0])) != (len(i) ** 2, len(i[0]) ** 2) for i, o in pairs):
        return None
    for code in range(EMPTY):
        choosers = [*CHOOSERS]
        if (colours := _chosen_colours(pairs, tests, code)) is not None:
            choosers.append((repr(tuple(sorted(colours))), partial(_given_colours, colours)))
        for text, chooser in choosers:
            if all(_kronecker(i, code, chooser(i)) == o for i, o in pairs) and all(
                _kronecker(grid, code, chooser(grid)) is not None for grid in tests
            ):
                return f"kronecker(I, {VIEW_NAMES[code]}, {text})"
    return None


def _given_colours(colours: frozenset[int], grid: Grid) -> frozenset[int]:
    """A kronecker chooser that gives the same colours whatever the grid."""
    return colours


def _colour_blocks(pairs: Sequence[tuple[Grid, Grid]]) -> tuple[tuple[int, Grid], ...] | None:
    """The (colour, block) pairs, sorted, when every cell of a colour became the same block in every demo."""
    if (ratio := _ratio(pairs)) is None:
        return None
    rows, columns = ratio
    table: dict[int, Grid] = {}
    for grid_in, grid_out in pairs:
        for i, row in enumerate(grid_in):
            for j, colour in enumerate(row):
                block = _block(grid_out, rows, columns, i, j)
                if table.setdefault(colour, block) != block:
                    return None
    return tuple(sorted(table.items()))


def _chosen_colours(pairs: Sequence[tuple[Grid, Grid]], tests: Sequence[Grid], code: int) -> frozenset[int] | None:
    """The colours whose cells hold a copy, when every demo agrees and the test inputs use no colour unseen."""
    table: dict[int, bool] = {}
    for grid_in, grid_out in pairs:
        if (copy := _views(grid_in)[code]) is None:
            return None
        for i, row in enumerate(grid_in):
            for j, colour in enumerate(row):
                placed = _block(grid_out, len(grid_in), len(grid_in[0]), i, j) == copy
                if table.setdefault(colour, placed) != placed:
                    return None
    if any(colour not in table for grid in tests for row in grid for colour in row):
        return None
    return frozenset(colour for colour, placed in table.items() if placed)


def _kronecker(grid: Grid, code: int, colours: frozenset[int]) -> Grid | None:
    try:
        return kronecker(grid, code, colours)
    except ValueError:
        return None


def _applies(program: Callable[[Grid], Grid], tests: Sequence[Grid]) -> bool:
    """Whether the program gives a grid for every test input (a swap needs two colours, a turn a fitting shape)."""
    try:
        for grid in tests:
            program(grid)
    except ValueError:
        return False
    return True
