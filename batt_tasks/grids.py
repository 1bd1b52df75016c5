"""What an ARC grid is, in one place: a non-empty rectangle of rows, 1..30 per side, every cell an int 0..9.

The loader (data.py, JSON lists), a submission's attempts (export.py), a candidate's output (sandbox/run.py) and
the search's values (search/kinds.py, tuples) all ask `is_grid` or `grid_problem` with the same rule.

`is_grid` is the rule: the search asks it of many enumerated values, so every check runs in C over the whole
grid (no Python loop per cell). `grid_problem` says why a value is not a grid, naming the spot; it answers None
exactly when `is_grid` is true, and only walks the value, with the same constants and the same order of
checks, once the fast rule has refused it.
"""

import json
from itertools import chain
from typing import Any

MAX_SIDE = 30  # ARC's largest grid side
MAX_COLOUR = 9
COLOURS = frozenset(range(MAX_COLOUR + 1))
# Rows may be lists or tuples (a candidate may return either); JSON gives lists; the DSL's grids are tuples.
ROWS = frozenset({list, tuple})
JSON_ROWS = frozenset({list})
TUPLE_ROWS = frozenset({tuple})
_INT_ONLY = frozenset({int})  # type() rather than isinstance: True and 1.0 hash like 1 but are no colours
_cells = chain.from_iterable


def is_grid(rows: Any, row_types: frozenset[type] = ROWS) -> bool:
    """Whether `rows` (any value) is an ARC grid, the grid and its rows of `row_types`."""
    if type(rows) not in row_types or not 0 < len(rows) <= MAX_SIDE:
        return False
    if not row_types.issuperset(map(type, rows)):
        return False
    width = len(rows[0])
    return (
        0 < width <= MAX_SIDE
        and all(map(width.__eq__, map(len, rows)))
        and _INT_ONLY.issuperset(map(type, _cells(rows)))
        and COLOURS.issuperset(_cells(rows))
    )


def grid_problem(rows: object, row_types: frozenset[type] = ROWS) -> str | None:
    """Why `rows` is not an ARC grid (one line naming the row and column), or None when it is one."""
    if is_grid(rows, row_types):
        return None
    return _diagnosis(rows, row_types)


def _diagnosis(rows: object, row_types: frozenset[type]) -> str:
    """The first fault, in reading order; only called for a value `is_grid` refused."""
    sequence = _sequence_name(row_types)
    if type(rows) not in row_types:
        return f"expected a grid ({sequence} of rows), got {value_kind(rows)}"
    assert isinstance(rows, list | tuple)
    if not rows:
        return "grid has no rows"
    if len(rows) > MAX_SIDE:
        return f"grid has {len(rows)} rows, at most {MAX_SIDE} allowed"
    width = None
    for r, row in enumerate(rows):
        if type(row) not in row_types:
            return f"row {r} is {value_kind(row)}, expected {sequence} of cells"
        if not row:
            return f"row {r} is empty"
        if width is None and len(row) > MAX_SIDE:
            return f"row {r} has {len(row)} cells, at most {MAX_SIDE} allowed"
        if width is not None and len(row) != width:
            return f"row {r} has {len(row)} cells, expected {width}"
        width = len(row)
        for c, cell in enumerate(row):
            if type(cell) is not int or cell not in COLOURS:
                return f"row {r} col {c} is {_shown(cell)}, expected an integer 0..{MAX_COLOUR}"
    raise AssertionError(f"is_grid refused a value grid_problem finds no fault in: {rows!r:.200}")


def _sequence_name(row_types: frozenset[type]) -> str:
    return " or ".join(name for kind, name in ((list, "a list"), (tuple, "a tuple")) if kind in row_types)


def _shown(cell: object) -> str:
    """A bad cell as a message shows it: the value, and its kind when that is not plain from the value."""
    brief = brief_value(cell)
    if type(cell) is int or cell is None:
        return brief
    kind = value_kind(cell)
    return brief if brief == kind else f"{brief} ({kind})"


def value_kind(value: object) -> str:
    """The JSON name of a value's type (a Python name for the rest), for messages about what was found."""
    names = {
        dict: "an object",
        list: "a list",
        tuple: "a tuple",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a float",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


def brief_value(value: object) -> str:
    """A scalar as JSON, cut to 40 characters; a container by its kind only (it could be huge or deep)."""
    if isinstance(value, str | int | float | bool) or value is None:
        try:
            text = json.dumps(value)
        except ValueError:  # an int past Python's digit limit for str()
            return value_kind(value)
        return text if len(text) <= 40 else text[:37] + "..."
    return value_kind(value)
