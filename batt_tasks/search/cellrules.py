"""Cell rules learned from the demos: the simplest lookup tables that reproduce every demo output.

For each feature of batt_tasks/dsl/cellrules.py, the demos give a table from a cell's description to
its output colour; a feature whose table maps one description to two colours gives no rule. A table
is kept only if it also knows every description in the test inputs (a rule must answer everywhere
it will be asked, and guessing is not a rule), and the smaller a table, the more general its rule:
those come first.
"""

from collections.abc import Callable, Sequence

from batt_tasks.dsl.cellrules import (
    ABSOLUTE,
    BACKGROUND,
    FEATURE_NAMES,
    FEATURES,
    RELATIVE_FEATURES,
    Description,
    colour_ranks,
    describe,
    ranked,
    rankedrule,
    relative,
    relativerule,
)
from batt_tasks.dsl.types import Grid

# A cell's description (what one feature says of it) -> the colour it becomes.
Table = dict[Description, int]
# How a demo's output colour is written in a ranked table, given its input's colour ranks.
Encoding = Callable[[int, tuple[int, ...]], int]


def _rank_first(colour: int, ranks: tuple[int, ...]) -> int:
    """A colour of the input as its rank, another one as itself."""
    return ranks.index(colour) if colour in ranks else ABSOLUTE + colour


def _fixed(colour: int, ranks: tuple[int, ...]) -> int:
    return ABSOLUTE + colour


def learned_rules(
    pairs: Sequence[tuple[Grid, Grid]], tests: Sequence[Grid], limit: int = 2, source: str = "I"
) -> list[str]:
    """Up to `limit` cellrule expressions that reproduce every demo and cover the test inputs, simplest first.
    The demo and test grids are the values of `source` (the input itself, or a view of it)."""
    if any((len(grid_in), len(grid_in[0])) != (len(grid_out), len(grid_out[0])) for grid_in, grid_out in pairs):
        return []
    found = []
    for feature in range(len(FEATURES)):
        table = _table(pairs, feature)
        if table is not None and all(_covers(table, grid, feature) for grid in tests):
            found.append((len(table), feature, tuple(sorted(table.items()))))
    simplest = sorted(found, key=lambda entry: entry[:2])[:limit]
    return [f"cellrule({source}, {FEATURE_NAMES[feature]}, {pairs_!r})" for _, feature, pairs_ in simplest]


def learned_ranked_rules(
    pairs: Sequence[tuple[Grid, Grid]], tests: Sequence[Grid], limit: int = 2, source: str = "I"
) -> list[str]:
    """Up to `limit` rankedrule expressions: the same search on the grids' colour ranks, for tasks whose demos
    and tests use different colours (a table of colours cannot cover a test's new ones). An output colour is
    learned as a rank of the input's colours or, where that is not consistent, as a fixed colour."""
    if any((len(grid_in), len(grid_in[0])) != (len(grid_out), len(grid_out[0])) for grid_in, grid_out in pairs):
        return []
    found = []
    for encoding_index, encoding in enumerate((_rank_first, _fixed)):
        coded = [(ranked(grid_in), _encoded(grid_in, grid_out, encoding)) for grid_in, grid_out in pairs]
        for feature in range(len(FEATURES)):
            table = _table(coded, feature)
            if table is not None and all(_covers(table, ranked(grid), feature) for grid in tests):
                rule = tuple(sorted(table.items()))
                if all(_paints(grid, feature, rule) for grid in tests):
                    found.append((len(table), encoding_index, feature, rule))
    simplest = sorted(found, key=lambda entry: entry[:3])[:limit]
    return [f"rankedrule({source}, {FEATURE_NAMES[feature]}, {pairs_!r})" for _, _, feature, pairs_ in simplest]


def _paints(grid: Grid, feature: int, rule: tuple[tuple[Description, int], ...]) -> bool:
    """Whether every rank the rule paints on the grid is one of its colours (a covered table can still name a
    rank a test grid lacks)."""
    try:
        rankedrule(grid, feature, rule)
    except ValueError:
        return False
    return True


def learned_relative_rules(
    pairs: Sequence[tuple[Grid, Grid]], tests: Sequence[Grid], limit: int = 2, source: str = "I"
) -> list[str]:
    """Up to `limit` relativerule expressions: the same search on descriptions whose colours are named by where
    they appear (batt_tasks/dsl/cellrules.py `relative`), for outputs that copy a colour the cell sees, whatever
    that colour is. An output colour is learned as a name, the background, or else a fixed colour."""
    if any((len(grid_in), len(grid_in[0])) != (len(grid_out), len(grid_out[0])) for grid_in, grid_out in pairs):
        return []
    found = []
    for feature in RELATIVE_FEATURES:
        table = _relative_table(pairs, feature)
        if table is None:
            continue
        rule = tuple(sorted(table.items()))
        try:
            for grid in tests:
                relativerule(grid, feature, rule)
        except ValueError:
            continue
        found.append((len(table), feature, rule))
    simplest = sorted(found, key=lambda entry: entry[:2])[:limit]
    return [f"relativerule({source}, {FEATURE_NAMES[feature]}, {rule!r})" for _, feature, rule in simplest]


def _relative_table(pairs: Sequence[tuple[Grid, Grid]], feature: int) -> Table | None:
    table: Table = {}
    for grid_in, grid_out in pairs:
        background = colour_ranks(grid_in)[0]
        for described, wanted in zip(describe(grid_in, feature), grid_out, strict=True):
            for description, colour in zip(described, wanted, strict=True):
                named, names = relative(description, background)
                code = BACKGROUND if colour == background else names.get(colour, ABSOLUTE + colour)
                if table.setdefault(named, code) != code:
                    return None
    return table


def _encoded(grid_in: Grid, grid_out: Grid, encoding: Encoding) -> Grid:
    ranks = colour_ranks(grid_in)
    return tuple(tuple(encoding(colour, ranks) for colour in row) for row in grid_out)


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
