"""Typed bottom-up enumeration of straight-line DSL programs, with observational dedup.

A program is built from the task's input `I`, constants drawn from the task, and DSL primitives
whose annotations say which kinds of value each argument admits. Programs are built cheapest
first (cost = number of calls), every primitive of a cost level taking turns. Each new program is
run on every demo input at once, and two programs whose values on all demo inputs are equal are
one program: only the first (cheapest) is kept and extended. That pruning is what keeps depth 3
affordable. A grid-valued program is checked against the demo outputs, the first demo first.
"""

import ast
import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from batt_tasks.dsl import PRIMITIVES
from batt_tasks.dsl.types import Grid
from batt_tasks.search import kinds
from batt_tasks.search.signatures import signatures
from batt_tasks.solvers import seed_sources

# Function arguments: what a higher-order primitive expects its function to return.
MEASURE, PREDICATE, MAPPING = "measure", "predicate", "mapping"
PATCH_CONTAINERS = frozenset({kinds.OBJECTS, kinds.INDICES_SET})
# The higher-order primitives the enumerator uses, their parameters' kinds (annotations say only
# "Callable" and "Container" here).
HIGHER_ORDER: dict[str, tuple[frozenset[str], ...]] = {
    "argmax": (PATCH_CONTAINERS, frozenset({MEASURE})),
    "argmin": (PATCH_CONTAINERS, frozenset({MEASURE})),
    "valmax": (PATCH_CONTAINERS, frozenset({MEASURE})),
    "valmin": (PATCH_CONTAINERS, frozenset({MEASURE})),
    "mfilter": (PATCH_CONTAINERS, frozenset({PREDICATE})),
    "sfilter": (PATCH_CONTAINERS, frozenset({PREDICATE})),
    "extract": (PATCH_CONTAINERS, frozenset({PREDICATE})),
    "mapply": (frozenset({MAPPING}), PATCH_CONTAINERS),
    "apply": (frozenset({MAPPING, MEASURE}), PATCH_CONTAINERS),
}
# Primitives whose results grow as the product of their arguments' sizes, that only rename, or whose
# arguments are learned, not enumerated (batt_tasks/search/cellrules.py, layouts.py, crops.py, panels.py, views.py,
# stamps.py).
EXCLUDED = frozenset({
    "product", "identity", "totuple", "initset", "first", "last", "dedupe", "cellrule", "rankedrule", "relativerule",
    "arrange", "kronecker", "pickcrop", "pickcolour", "stackparts", "shrinkblocks", "blockrule", "bridges", "rays",
    "halo", "boxes", "maskedpart", "gaps", "rings", "stamps",
})  # fmt: skip
SMALL_INTEGERS = (0, 1, 2, 3)
UNIT_PAIRS = ((0, 1), (1, 0), (1, 1), (0, -1), (-1, 0))
BOOLEANS = {True: "T", False: "F"}
# A primitive of two or more arguments takes, from each cost level above the constants, only that
# level's first values of a kind: the products of whole levels are what make depth 3 unaffordable.
ARGUMENT_POOL = 48


@dataclass(frozen=True)
class Operation:
    """A primitive the enumerator can call, with the kinds each of its parameters admits."""

    name: str
    function: Callable[..., Any]
    parameters: tuple[frozenset[str], ...]


@dataclass(frozen=True, slots=True)
class Node:
    """A program: its expression, its kind, its value on each demo input, and its number of calls."""

    expression: str
    kind: str
    values: tuple[Any, ...]
    cost: int


@dataclass
class EnumerationCounts:
    """How many programs were built, and how many survived each dedup."""

    enumerated: int = 0
    failed: int = 0  # raised, or gave a value of no kind (too large, empty, mixed)
    textual: int = 0  # distinct program texts
    observational: int = 0  # distinct values on the demo inputs


@dataclass
class Enumeration:
    """What one task's enumeration found."""

    solvers: list[Node] = field(default_factory=list)  # reproduce every demo output
    near: list[Node] = field(default_factory=list)  # grids of the right shape on every demo
    counts: EnumerationCounts = field(default_factory=EnumerationCounts)
    depth_reached: int = 0
    stopped_by: str = "depth"  # depth, budget, time or solved


@cache
def operations() -> tuple[Operation, ...]:
    """Every primitive the enumerator may call, most used in the seed solvers first."""
    found = []
    for signature in signatures().values():
        if signature.name in EXCLUDED:
            continue
        parameters = HIGHER_ORDER.get(signature.name) or tuple(kinds.annotation_kinds(p) for p in signature.parameters)
        if parameters and all(parameters):
            found.append(Operation(signature.name, PRIMITIVES[signature.name], parameters))  # type: ignore[arg-type]
    usage = seed_usage()
    return tuple(sorted(found, key=lambda op: (-usage[op.name], op.name)))


@cache
def seed_usage() -> Counter[str]:
    """How often each primitive is called across the hand-written solvers: a prior for the order."""
    usage: Counter[str] = Counter()
    for source in seed_sources().values():
        calls = (node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call))
        usage.update(call.func.id for call in calls if isinstance(call.func, ast.Name))
    return usage


@cache
def function_constants() -> dict[str, tuple[str, ...]]:
    """Unary primitives usable as a higher-order primitive's function, by what they return."""
    by_role: dict[str, list[str]] = {MEASURE: [], PREDICATE: [], MAPPING: []}
    for signature in signatures().values():
        if len(signature.parameters) != 1 or kinds.OBJECT not in kinds.annotation_kinds(signature.parameters[0]):
            continue
        returns = kinds.annotation_kinds(signature.returns)
        if returns == {kinds.BOOLEAN}:
            by_role[PREDICATE].append(signature.name)
        elif returns == {kinds.INTEGER}:
            by_role[MEASURE].append(signature.name)
        elif returns and returns <= {kinds.INDICES, kinds.OBJECT}:
            by_role[MAPPING].append(signature.name)
    return {role: tuple(sorted(names)) for role, names in by_role.items()}


def task_constants(inputs: Sequence[Grid], outputs: Sequence[Grid]) -> list[tuple[str, str, Any]]:
    """(expression, kind, value) for the constants a task suggests: its colours, sizes and small numbers."""
    colours = sorted({cell for grid in (*inputs, *outputs) for row in grid for cell in row})
    integers = dict.fromkeys([*SMALL_INTEGERS, *colours, *_size_ratios(inputs, outputs)])
    pairs = dict.fromkeys(UNIT_PAIRS)
    shapes = {(len(grid), len(grid[0])) for grid in outputs}
    if len(shapes) == 1:
        pairs[shapes.pop()] = None
    found: list[tuple[str, str, Any]] = [(repr(value), kinds.INTEGER, value) for value in integers]
    found += [(name, kinds.BOOLEAN, value) for value, name in BOOLEANS.items()]
    found += [(repr(value), kinds.PAIR, value) for value in pairs]
    for role, names in function_constants().items():
        found += [(name, role, PRIMITIVES[name]) for name in names]
    return found


def _size_ratios(inputs: Sequence[Grid], outputs: Sequence[Grid]) -> list[int]:
    """Factors by which every output's sides are a whole multiple (or fraction) of its input's."""
    found = []
    for axis in (len, lambda grid: len(grid[0])):
        ratios = set()
        for grid_in, grid_out in zip(inputs, outputs, strict=True):
            big, small = max(axis(grid_in), axis(grid_out)), min(axis(grid_in), axis(grid_out))
            ratios.add(big // small if big % small == 0 else 0)
        if len(ratios) == 1 and (ratio := ratios.pop()) > 1:
            found.append(ratio)
    return found


class Enumerator:
    """Enumerates one task's programs; `run` stops at the depth, the budget, the deadline or a solver."""

    def __init__(self, inputs: Sequence[Grid], outputs: Sequence[Grid], near_limit: int = 64) -> None:
        self.inputs = tuple(inputs)
        self.outputs = tuple(outputs)
        self.shapes = tuple((len(grid), len(grid[0])) for grid in outputs)
        self.near_limit = near_limit
        self.result = Enumeration()
        self.seen: set[tuple[str, tuple[Any, ...]]] = set()
        self.by_cost: list[dict[str, list[Node]]] = [{}]
        count = len(self.inputs)
        self._add(Node("I", kinds.GRID, self.inputs, 0), check=True)
        for expression, kind, value in task_constants(self.inputs, self.outputs):
            self.by_cost[0].setdefault(kind, []).append(Node(expression, kind, (value,) * count, 0))

    def run(
        self, depth: int, budget: int, deadline: float, solutions: int = 1, stop: Callable[[], bool] | None = None
    ) -> Enumeration:
        """`stop`, asked as often as the clock, ends the enumeration early ("cancelled")."""
        result = self.result
        for cost in range(1, depth + 1):
            self.by_cost.append({})
            result.depth_reached = cost
            for operation, arguments in _round_robin(self._level(cost)):
                if result.counts.enumerated >= budget:
                    result.stopped_by = "budget"
                    return result
                if result.counts.enumerated % 256 == 0:
                    if time.monotonic() > deadline:
                        result.stopped_by = "time"
                        return result
                    if stop is not None and stop():
                        result.stopped_by = "cancelled"
                        return result
                self._try(operation, arguments, cost)
                if len(result.solvers) >= solutions:
                    result.stopped_by = "solved"
                    return result
        return result

    def _level(self, cost: int) -> list[Iterator[tuple[Operation, tuple[Node, ...]]]]:
        """One lazy stream of argument tuples per primitive, for programs of exactly this cost."""
        return [self._arguments(operation, cost - 1) for operation in operations()]

    def _arguments(self, operation: Operation, spend: int) -> Iterator[tuple[Operation, tuple[Node, ...]]]:
        arity = len(operation.parameters)
        for split in _splits(spend, arity):
            pools = [
                self._pool(kinds_, part, arity > 1) for kinds_, part in zip(operation.parameters, split, strict=True)
            ]
            for arguments in itertools.product(*pools):
                yield operation, arguments

    def _pool(self, wanted: frozenset[str], cost: int, capped: bool) -> list[Node]:
        level = self.by_cost[cost]
        limit = ARGUMENT_POOL if capped and cost > 0 else None
        return [node for kind in sorted(wanted) for node in level.get(kind, ())[:limit]]

    def _try(self, operation: Operation, arguments: tuple[Node, ...], cost: int) -> None:
        counts = self.result.counts
        counts.enumerated += 1
        counts.textual += 1  # each (primitive, arguments) text is built once
        values = []
        kind = None
        try:
            for index in range(len(self.inputs)):
                value = operation.function(*(argument.values[index] for argument in arguments))
                value_kind = kinds.kind_of(value)
                if value_kind is None or (kind is not None and value_kind != kind):
                    counts.failed += 1
                    return
                kind = value_kind
                values.append(value)
        except (Exception, RecursionError):
            counts.failed += 1
            return
        expression = f"{operation.name}({', '.join(argument.expression for argument in arguments)})"
        self._add(Node(expression, kind, tuple(values), cost), check=True)  # type: ignore[arg-type]

    def _add(self, node: Node, check: bool) -> None:
        key = (node.kind, node.values)
        if key in self.seen:
            return
        self.seen.add(key)
        self.result.counts.observational += 1
        self.by_cost[node.cost].setdefault(node.kind, []).append(node)
        if check and node.kind == kinds.GRID:
            self._check(node)

    def _check(self, node: Node) -> None:
        """Solver when every demo output is reproduced (the first compared first), or is once its colours
        are mapped one to one; near when the shapes match."""
        values = node.values
        if values[0] == self.outputs[0] and values == self.outputs:
            self.result.solvers.append(node)
            return
        if not all((len(value), len(value[0])) == shape for value, shape in zip(values, self.shapes, strict=True)):
            return
        mapping = colour_mapping(values, self.outputs)
        if mapping:
            expression = f"mapcolors({node.expression}, {mapping!r})"
            self.result.solvers.append(Node(expression, kinds.GRID, self.outputs, node.cost + 1))
        elif len(self.result.near) < self.near_limit:
            self.result.near.append(node)


def colour_mapping(grids: Sequence[Grid], targets: Sequence[Grid]) -> tuple[tuple[int, int], ...] | None:
    """The (old, new) colour pairs that turn every grid into its same-shaped target, if one map does."""
    table: dict[int, int] = {}
    for grid, target in zip(grids, targets, strict=True):
        for row, wanted in zip(grid, target, strict=True):
            for colour, new in zip(row, wanted, strict=True):
                if table.setdefault(colour, new) != new:
                    return None
    changed = tuple(sorted((old, new) for old, new in table.items() if old != new))
    return changed or None


def _splits(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    """Every way to write `total` as an ordered sum of `parts` non-negative costs, cheap-first arguments first."""
    if parts == 1:
        yield (total,)
        return
    for head in range(total + 1):
        for rest in _splits(total - head, parts - 1):
            yield (head, *rest)


def _round_robin(streams: list[Iterator[Any]]) -> Iterator[Any]:
    """Take one item from each stream in turn until all are spent, so no primitive starves the others."""
    active = list(streams)
    while active:
        still = []
        for stream in active:
            item = next(stream, None)
            if item is not None:
                still.append(stream)
                yield item
        active = still


def program_source(expression: str) -> str:
    """A candidate solver whose output is the expression."""
    return f"def solve(I):\n    O = {expression}\n    return O\n"
