"""The DSL's value types: immutable, hashable, and read by the generator from annotations.

Two names that alias the same Python type (Integer and Colour, say) are one type to the
generator; the names exist so that signatures read well.
"""

from collections.abc import Callable
from typing import Any

Boolean = bool
Integer = int
Colour = int
IntegerPair = tuple[int, int]
Index = tuple[int, int]
Grid = tuple[tuple[int, ...], ...]
Cell = tuple[int, tuple[int, int]]
Object = frozenset[tuple[int, tuple[int, int]]]
Objects = frozenset[frozenset[tuple[int, tuple[int, int]]]]
Indices = frozenset[tuple[int, int]]
IndicesSet = frozenset[frozenset[tuple[int, int]]]
Patch = Object | Indices
Element = Object | Grid
Piece = Grid | Patch
IntegerSet = frozenset[int]
Tuple = tuple[Any, ...]
FrozenSet = frozenset[Any]
Container = tuple[Any, ...] | frozenset[Any]
Function = Callable[..., Any]

__all__ = [
    "Boolean",
    "Cell",
    "Colour",
    "Container",
    "Element",
    "FrozenSet",
    "Function",
    "Grid",
    "Index",
    "Indices",
    "IndicesSet",
    "Integer",
    "IntegerPair",
    "IntegerSet",
    "Object",
    "Objects",
    "Patch",
    "Piece",
    "Tuple",
]
