"""Cell rules learned from the demos: the simplest lookup tables that reproduce every demo output.

For each feature of batt_tasks/dsl/cellrules.py, the demos give a table from a cell's description to
its output colour; a feature whose table maps one description to two colours gives no rule. A table
is kept only if it also knows every description in the test inputs (a rule must answer everywhere
it will be asked, and guessing is not a rule), and the smaller a table, the more general its rule:
those come first.
"""

from collections.abc import Sequence

from batt_tasks.dsl.cellrules import FEATURE_NAMES, FEATURES, Description, describe
from batt_tasks.dsl.types import Grid

# A cell's description (what one feature says of it) -> the colour it becomes.
Table = dict[Description, int]


def learned_rules(pairs: Sequence[tuple[Grid, Grid]], tests: Sequence[Grid], limit: int = 2) -> list[str]:
    """Up to `limit` cellrule expressions that reproduce every demo and cover the test inputs, simplest first."""
    if any((len(grid_in), len(grid_in[0])) != (len(grid_out), len(grid_out[0])) for grid_in, grid_out in pairs):
        return []
    found = []
    for feature in range(len(FEATURES)):
        table = _table(pairs, feature)
        if table is not None and all(_covers(table, grid, feature) for grid in tests):
            found.append((len(table), feature, tuple(sorted(table.items()))))
    simplest = sorted(found, key=lambda entry: entry[:2])[:limit]
    return [f"cellrule(I, {FEATURE_NAMES[feature]}, {pairs_!r})" for _, feature, pairs_ in simplest]


def _table(pairs: Sequence[tuple[Grid, Grid]], feature: int) -> Table | None:
    table: Table = {}
    for grid_in, grid_out in pairs:
        for described, wanted in zip(describe(grid_in, feature), grid_out, strict=True):
            for description, colour in zip(described, wanted, strict=True):
                if table.setdefault(description, colour) != colour:
                    return None
    return table


def _covers(table: Table, grid: Grid, feature: int) -> bool:
    return all(description in table for row in describe(grid, feature) for description in row)
