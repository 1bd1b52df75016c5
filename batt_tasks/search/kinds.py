"""Value kinds for the enumerator: what a DSL value is at run time, and what an annotation admits.

The DSL's aliases collapse at run time (an Object and an Indices are both frozensets), so the
enumerator types a value by looking at it, and reads which kinds an argument admits from the
primitive's annotation. Values too large to be part of an ARC answer are no kind at all: that
bounds the memory and time any composition can take.
"""

import types
import typing
from typing import Any

from batt_tasks import grids
from batt_tasks.dsl import types as dsl
from batt_tasks.grids import MAX_SIDE, TUPLE_ROWS

GRID, OBJECT, OBJECTS, INDICES, INDICES_SET, INTEGER, PAIR, BOOLEAN, INTEGER_SET, GRIDS = (
    "grid", "object", "objects", "indices", "indices_set", "integer", "pair", "boolean", "integer_set", "grids",
)  # fmt: skip
MAX_ITEMS = MAX_SIDE * MAX_SIDE
MAX_INTEGER = 30  # integers feed sizes and factors: larger ones only build grids past MAX_SIDE
# Locations may leave the grid (a shifted patch), but not so far that their bounding box is huge.
MIN_COORDINATE, MAX_COORDINATE = -MAX_SIDE, 2 * MAX_SIDE

_EXACT: dict[Any, frozenset[str]] = {
    dsl.Grid: frozenset({GRID}),
    dsl.Object: frozenset({OBJECT}),
    dsl.Objects: frozenset({OBJECTS}),
    dsl.Indices: frozenset({INDICES}),
    dsl.IndicesSet: frozenset({INDICES_SET}),
    dsl.Integer: frozenset({INTEGER}),
    dsl.Boolean: frozenset({BOOLEAN}),
    dsl.IntegerPair: frozenset({PAIR}),
    dsl.IntegerSet: frozenset({INTEGER_SET}),
    dsl.Tuple: frozenset({GRIDS}),
    dsl.FrozenSet: frozenset({OBJECTS, OBJECT, INDICES, INTEGER_SET, INDICES_SET}),
}


def annotation_kinds(annotation: Any) -> frozenset[str]:
    """The kinds a parameter annotated so admits; empty when it admits anything (Any) or a function."""
    if annotation in _EXACT:
        return _EXACT[annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [annotation_kinds(member) for member in typing.get_args(annotation)]
        if all(members):
            return frozenset().union(*members)
    return frozenset()


def kind_of(value: object) -> str | None:
    """The value's kind, or None when the enumerator should not keep it (empty, too large, unknown)."""
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER if -MAX_INTEGER <= value <= MAX_INTEGER else None
    if isinstance(value, tuple):
        return _tuple_kind(value)
    if isinstance(value, frozenset) and 0 < len(value) <= MAX_ITEMS:
        kind = _set_kind(next(iter(value)))
        if kind == INDICES and not _near_grid(value):
            return None
        if kind == OBJECT and not _near_grid(frozenset(index for _, index in value)):
            return None
        return kind
    return None


def _near_grid(indices: frozenset[tuple[int, int]]) -> bool:
    rows = [i for i, _ in indices]
    columns = [j for _, j in indices]
    low, high = min(min(rows), min(columns)), max(max(rows), max(columns))
    return low >= MIN_COORDINATE and high <= MAX_COORDINATE


def _tuple_kind(value: tuple[Any, ...]) -> str | None:
    if not value:
        return None
    if len(value) == 2 and all(type(part) is int for part in value):
        return PAIR if all(abs(part) <= MAX_INTEGER for part in value) else None
    if is_grid(value):
        return GRID
    if len(value) <= MAX_SIDE and all(isinstance(part, tuple) and is_grid(part) for part in value):
        return GRIDS
    return None


def _set_kind(member: object) -> str | None:
    if type(member) is int:
        return INTEGER_SET
    if isinstance(member, frozenset):
        inner = next(iter(member), None)
        return OBJECTS if _is_cell(inner) else INDICES_SET if _is_index(inner) else None
    return OBJECT if _is_cell(member) else INDICES if _is_index(member) else None


def is_grid(value: tuple[Any, ...]) -> bool:
    """An ARC grid (grids.py's rule: rectangular, 1..30 per side, colours 0..9) of tuples, as the DSL's are."""
    # The first row's type first: most tuples the search meets are no grid, and this turns them away cheaply.
    return bool(value) and type(value[0]) is tuple and grids.is_grid(value, TUPLE_ROWS)


def _is_index(value: object) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and type(value[0]) is int and type(value[1]) is int


def _is_cell(value: object) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and type(value[0]) is int and _is_index(value[1])
