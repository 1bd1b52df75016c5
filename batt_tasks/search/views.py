"""Cell rules read from a view of the input: the input after a drawing that a lookup table alone cannot make.

A cell rule (batt_tasks/search/cellrules.py) colours each cell from what it sees in the input. Some tasks
first draw something, then colour it: the background no path joins to the border, lines between two cells of
one colour or out from every cell, the ring of cells around each object, its bounding box or the ring outside
that box, the background between any two cells (batt_tasks/dsl/drawings.py); what is marked rather than drawn
is marked in a colour no input uses.
Each view, simplest first, stands in for the input in the same learners, cellrule then rankedrule, and the
first view with a rule gives it: `cellrule(rays(I, ((0, 1),)), BYRAYS8, ...)`. A view that gives the same
grids as the input or an earlier view, on every demo and test input, is skipped.
"""

import time
from collections.abc import Callable, Sequence
from functools import partial

from batt_tasks.dsl.drawings import boxes, bridges, gaps, halo, rays, rings
from batt_tasks.dsl.transforms import fillenclosed
from batt_tasks.dsl.types import Grid
from batt_tasks.search.cellrules import learned_ranked_rules, learned_rules
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


def views(inputs: Sequence[Grid]) -> list[View]:
    """(expression over I, its function) for each view, simplest first; `inputs` are every demo and test input."""
    unused = sorted(set(range(10)) - {colour for grid in inputs for row in grid for colour in row})
    marker = unused[0] if unused else None
    found: list[View] = []
    if marker is not None:
        found.append((f"fillenclosed(I, {marker})", partial(fillenclosed, colour=marker)))
    found += [(f"bridges(I, {steps!r})", partial(bridges, directions=steps)) for steps in BRIDGE_DIRECTIONS]
    found += [(f"rays(I, {steps!r})", partial(rays, directions=steps)) for steps in RAY_DIRECTIONS]
    if marker is not None:
        for name, mark in (("halo", halo), ("boxes", boxes)):
            found += [
                (f"{name}(I, {marker}, {BOOLEANS[diagonal]})", partial(mark, colour=marker, diagonal=diagonal))
                for diagonal in (False, True)
            ]
        found += [
            (f"{name}(I, {marker})", partial(mark, colour=marker)) for name, mark in (("gaps", gaps), ("rings", rings))
        ]
    return found


def learned_view_rules(pairs: Sequence[tuple[Grid, Grid]], tests: Sequence[Grid], deadline: float) -> list[str]:
    """The rules of the first view that has any (at most two), trying views until the deadline."""
    if any((len(grid_in), len(grid_in[0])) != (len(grid_out), len(grid_out[0])) for grid_in, grid_out in pairs):
        return []
    inputs = [grid for grid, _ in pairs]
    seen = {(*inputs, *tests)}
    for expression, view in views([*inputs, *tests]):
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
        for learner in (learned_rules, learned_ranked_rules):
            if rules := learner(shown_pairs, shown_tests, source=expression):
                return rules
    return []
