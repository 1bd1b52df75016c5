"""Stamps learned from the demos: next to each cell of a colour, the same pattern painted on the background.

For each colour and each of the eight steps to a side or a corner, the demos say what a background cell there
becomes; a step whose cells become different colours in different places has no pattern. The rule is kept only
if it reproduces every demo and every test input asks only what the demos answered: a colour or a step the
demos never showed next to the background is a guess, not a rule. Every demo and test input must share one
background.
"""

from collections.abc import Sequence

from batt_tasks.dsl.colour import background_of
from batt_tasks.dsl.drawings import stamps
from batt_tasks.dsl.types import Grid

STEPS = tuple((di, dj) for di in (-1, 0, 1) for dj in (-1, 0, 1) if (di, dj) != (0, 0))
# (colour, step) -> the colours the background cell that step away from a cell of that colour became.
Seen = dict[tuple[int, tuple[int, int]], set[int]]


def learned_stamps(pairs: Sequence[tuple[Grid, Grid]], tests: Sequence[Grid]) -> list[str]:
    """The stamps expression that reproduces every demo and answers every test input, if there is one."""
    if any((len(grid_in), len(grid_in[0])) != (len(grid_out), len(grid_out[0])) for grid_in, grid_out in pairs):
        return []
    backgrounds = {background_of(grid) for grid in (*(grid_in for grid_in, _ in pairs), *tests)}
    if len(backgrounds) != 1:
        return []
    (background,) = backgrounds
    seen: Seen = {}
    for grid_in, grid_out in pairs:
        for key, (i, j) in _asked(grid_in, background):
            seen.setdefault(key, set()).add(grid_out[i][j])
    if any(key not in seen for grid in tests for key, _ in _asked(grid, background)):
        return []
    patterns: dict[int, list[tuple[int, int, int]]] = {}
    for (colour, (di, dj)), became in sorted(seen.items()):
        if len(became) == 1 and (paint := next(iter(became))) != background:
            patterns.setdefault(colour, []).append((di, dj, paint))
    table = tuple((colour, tuple(steps)) for colour, steps in sorted(patterns.items()))
    if not table:
        return []
    try:
        if all(stamps(grid_in, table) == grid_out for grid_in, grid_out in pairs):
            for grid in tests:
                stamps(grid, table)
            return [f"stamps(I, {table!r})"]
    except ValueError:
        pass
    return []


def _asked(grid: Grid, background: int) -> list[tuple[tuple[int, tuple[int, int]], tuple[int, int]]]:
    """((colour, step), the background cell there) for every cell not of the background and every step."""
    height, width = len(grid), len(grid[0])
    return [
        ((v, (di, dj)), (i + di, j + dj))
        for i, row in enumerate(grid)
        for j, v in enumerate(row)
        if v != background
        for di, dj in STEPS
        if 0 <= i + di < height and 0 <= j + dj < width and grid[i + di][j + dj] == background
    ]
