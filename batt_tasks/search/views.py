"""Cell rules read from a view of the input: the input after a drawing that a lookup table alone cannot make.

A cell rule (batt_tasks/search/cellrules.py) colours each cell from what it sees in the input. Some tasks
first draw something, then colour it: the background no path joins to the border, lines between two cells of
one colour or out from every cell, the ring of cells around each object, its bounding box or the ring outside
that box, the background between any two cells (batt_tasks/dsl/drawings.py); what is marked rather than drawn
is marked in a colour no input uses.
Each view, simplest first, stands in for the input in the same learners, cellrule then rankedrule, and the
first view with a rule gives it: `cellrule(rays(I, ((0, 1),)), BYRAYS8, ...)`. A view that gives the same
grids as the input or an earlier view, on every demo and test input, is skipped.
Where every output is the same multiple of its input (twice as tall, three times each way), the input is first
grown to the output's shape (tiled, each cell blown up, mirrored four ways): the learners read that grown grid,
then views of it, `rankedrule(tile(I, (2, 2)), BYLINES, ...)`. The same views can be read by relative rules
(`relativerule`): the search does that last, where nothing else explained the demos.
"""

import time
from collections.abc import Callable, Sequence
from functools import partial

from batt_tasks.dsl.drawings import boxes, bridges, gaps, halo, rays, rings
from batt_tasks.dsl.logic import identity
from batt_tasks.dsl.sizing import hupscale, tile, vupscale
from batt_tasks.dsl.transforms import fillenclosed, mirror4
from batt_tasks.dsl.types import Grid
from batt_tasks.search.cellrules import learned_ranked_rules, learned_relative_rules, learned_rules
from batt_tasks.search.enumeration import BOOLEANS

RIGHT, LEFT, DOWN, UP = (0, 1), (0, -1), (1, 0), (-1, 0)
DOWN_RIGHT, DOWN_LEFT, UP_RIGHT, UP_LEFT = (1, 1), (1, -1), (-1, 1), (-1, -1)
# Along rows; along columns; both, the columns' lines on top; both diagonals.
BRIDGE_DIRECTIONS = ((RIGHT,), (DOWN,), (DOWN, RIGHT), (DOWN_RIGHT, DOWN_LEFT))
DIAGONALS = (DOWN_RIGHT, DOWN_LEFT, UP_RIGHT, UP_LEFT)
RAY_DIRECTIONS = (
    *((step,) for step in (RIGHT, LEFT, DOWN, UP)), (RIGHT, LEFT), (DOWN, UP), (RIGHT, LEFT, DOWN, UP),
    *((step,) for step in DIAGONALS), DIAGONALS, (RIGHT, LEFT, DOWN, UP, *DIAGONALS),
)  # fmt: skip

View = tuple[str, Callable[[Grid], Grid]]
Learners = tuple[Callable[..., list[str]], ...]
# Rules of colours and of colour ranks. Relative rules, which copy any colour the cell sees, are looser: the search
# reads views with them only where nothing else, enumeration included, explained the demos.
STRICT: Learners = (learned_rules, learned_ranked_rules)
RELATIVE: Learners = (learned_relative_rules,)


def views(inputs: Sequence[Grid], source: str = "I") -> list[View]:
    """(expression over `source`, its function) for each view, simplest first; `inputs` are every demo and test
    input, as `source` gives them."""
    unused = sorted(set(range(10)) - {colour for grid in inputs for row in grid for colour in row})
    marker = unused[0] if unused else None
    found: list[View] = []
    if marker is not None:
        found.append((f"fillenclosed({source}, {marker})", partial(fillenclosed, colour=marker)))
    found += [(f"bridges({source}, {steps!r})", partial(bridges, directions=steps)) for steps in BRIDGE_DIRECTIONS]
    found += [(f"rays({source}, {steps!r})", partial(rays, directions=steps)) for steps in RAY_DIRECTIONS]
    if marker is not None:
        for name, mark in (("halo", halo), ("boxes", boxes)):
            found += [
                (f"{name}({source}, {marker}, {BOOLEANS[diagonal]})", partial(mark, colour=marker, diagonal=diagonal))
                for diagonal in (False, True)
            ]
        found += [
            (f"{name}({source}, {marker})", partial(mark, colour=marker))
            for name, mark in (("gaps", gaps), ("rings", rings))
        ]
    return found


def grown(pairs: Sequence[tuple[Grid, Grid]]) -> list[View]:
    """The input as it stands where outputs have their inputs' shape; where every output is the same multiple of
    its input (and larger), the input grown to it: tiled, each cell blown up, or (twice each way) mirrored four
    ways."""
    ratios = set()
    for grid_in, grid_out in pairs:
        rows, rows_left = divmod(len(grid_out), len(grid_in))
        columns, columns_left = divmod(len(grid_out[0]), len(grid_in[0]))
        if rows_left or columns_left or not rows or not columns:
            return []
        ratios.add((rows, columns))
    if len(ratios) != 1:
        return []
    ((rows, columns),) = ratios
    if (rows, columns) == (1, 1):
        return [("I", identity)]
    found: list[View] = [(f"tile(I, ({rows}, {columns}))", partial(tile, counts=(rows, columns)))]
    blown_up = f"upscale(I, {rows})" if rows == columns else f"vupscale(hupscale(I, {columns}), {rows})"
    found.append((blown_up, partial(_blown_up, rows=rows, columns=columns)))
    if (rows, columns) == (2, 2):
        found.append(("mirror4(I)", mirror4))
    return found


def _blown_up(grid: Grid, rows: int, columns: int) -> Grid:
    return vupscale(hupscale(grid, columns), rows)


def learned_view_rules(
    pairs: Sequence[tuple[Grid, Grid]], tests: Sequence[Grid], deadline: float, learners: Learners = STRICT
) -> list[str]:
    """The rules (at most two) of the first view that has any, trying views until the deadline: of the input, or,
    where the input is first grown to the outputs' shape, the shortest rules read from any grown grid, else the
    rules of the first view of one that has any."""
    bases = []
    for base, grow in grown(pairs):
        inputs = [grow(grid) for grid, _ in pairs]
        grown_pairs = [(grid, grid_out) for grid, (_, grid_out) in zip(inputs, pairs, strict=True)]
        bases.append((base, grown_pairs, [grow(grid) for grid in tests]))
    # Tiled or blown up, one grid may fit the demos by a long table of positions where another needs two colours.
    found = [
        rules
        for base, grown_pairs, grown_tests in bases
        if base != "I"
        for learner in learners
        if (rules := learner(grown_pairs, grown_tests, source=base))
    ]
    if found:
        return min(found, key=lambda rules: len(rules[0]))
    for base, grown_pairs, grown_tests in bases:
        if rules := _first_view_rules(grown_pairs, grown_tests, base, learners, deadline):
            return rules
    return []


def _first_view_rules(
    pairs: Sequence[tuple[Grid, Grid]], tests: Sequence[Grid], source: str, learners: Learners, deadline: float
) -> list[str]:
    inputs = [grid for grid, _ in pairs]
    seen = {(*inputs, *tests)}
    for expression, view in views([*inputs, *tests], source):
        if time.monotonic() > deadline:
            return []
        try:
            shown = [view(grid) for grid in inputs]
            shown_tests = [view(grid) for grid in tests]
        except ValueError:
            continue
        if (key := (*shown, *shown_tests)) in seen:
            continue
        seen.add(key)
        shown_pairs = [(grid, grid_out) for grid, (_, grid_out) in zip(shown, pairs, strict=True)]
        for learner in learners:
            if rules := learner(shown_pairs, shown_tests, source=expression):
                return rules
    return []
