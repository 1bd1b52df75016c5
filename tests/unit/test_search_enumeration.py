"""The typed enumerator: kinds, cheapest-first solvers, observational dedup, budget and determinism."""

import time

from batt_tasks.dsl import hmirror, rot90, upscale
from batt_tasks.sandbox.whitelist import compile_solver
from batt_tasks.search import kinds
from batt_tasks.search.enumeration import Enumerator, operations, task_constants
from batt_tasks.stages.inline import inline_source

GRIDS = [((1, 2, 0), (0, 3, 0)), ((4, 0), (0, 5), (6, 6)), ((7, 0, 0, 1),)]
# No short program maps GRIDS to these: the search runs until its depth or budget.
UNSOLVABLE = [((1, 5), (5, 2)), ((3,), (4,)), ((9, 8, 7),)]


def enumerate_for(outputs: list, depth: int = 3, budget: int = 400_000, solutions: int = 1) -> Enumerator:
    enumerator = Enumerator(GRIDS, outputs)
    enumerator.run(depth, budget, time.monotonic() + 600, solutions)
    return enumerator


def test_kinds_are_read_off_values() -> None:
    assert kinds.kind_of(((1, 2), (3, 4))) == kinds.GRID
    assert kinds.kind_of(frozenset({(1, (0, 0))})) == kinds.OBJECT
    assert kinds.kind_of(frozenset({(0, 0), (1, 1)})) == kinds.INDICES
    assert kinds.kind_of(frozenset({frozenset({(1, (0, 0))})})) == kinds.OBJECTS
    assert kinds.kind_of(True) == kinds.BOOLEAN and kinds.kind_of(3) == kinds.INTEGER
    assert kinds.kind_of((2, -1)) == kinds.PAIR
    # Values that cannot be part of an answer are no kind: the enumerator drops them.
    assert kinds.kind_of(frozenset()) is None
    assert kinds.kind_of(((1,) * 31,)) is None
    assert kinds.kind_of(500) is None
    assert kinds.kind_of(frozenset({(0, 0), (900, 900)})) is None
    assert kinds.kind_of(((1, 2), (3,))) is None  # ragged


def test_annotations_map_to_kinds() -> None:
    from batt_tasks.dsl import types as dsl

    assert kinds.annotation_kinds(dsl.Patch) == {kinds.OBJECT, kinds.INDICES}
    assert kinds.annotation_kinds(dsl.Piece) == {kinds.GRID, kinds.OBJECT, kinds.INDICES}
    assert kinds.annotation_kinds(dsl.Function) == frozenset()  # only the higher-order table gives these


def test_a_one_call_solver_is_found_first_and_stops_the_search() -> None:
    enumerator = enumerate_for([rot90(grid) for grid in GRIDS])
    found = enumerator.result
    assert found.stopped_by == "solved"
    assert [node.expression for node in found.solvers] == ["rot90(I)"]
    assert found.depth_reached == 1


def test_a_three_call_solver_is_found() -> None:
    outputs = [hmirror(upscale(rot90(grid), 2)) for grid in GRIDS]
    found = enumerate_for(outputs).result
    assert found.stopped_by == "solved", found.counts
    solver = found.solvers[0]
    assert solver.cost <= 3
    program = compile_solver(inline_source(f"def solve(I):\n    O = {solver.expression}\n    return O\n").program)
    assert [program(grid) for grid in GRIDS] == outputs


def test_programs_equal_on_every_demo_input_are_kept_once() -> None:
    found = enumerate_for(UNSOLVABLE, depth=2, budget=20_000).result  # unsolvable: the search runs out
    assert found.stopped_by in ("depth", "budget")
    counts = found.counts
    assert counts.observational < counts.enumerated - counts.failed  # some programs collapsed
    enumerator = enumerate_for(UNSOLVABLE, depth=2, budget=20_000)
    kept = [(node.kind, node.values) for level in enumerator.by_cost[1:] for nodes in level.values() for node in nodes]
    assert len(kept) == len(set(kept))
    # rot180 and hmirror(vmirror(...)) agree on every input: only the cheaper one survives.
    expressions = {node.expression for level in enumerator.by_cost for nodes in level.values() for node in nodes}
    assert "rot180(I)" in expressions
    assert "hmirror(vmirror(I))" not in expressions and "vmirror(hmirror(I))" not in expressions


def test_the_budget_bounds_the_programs_tried() -> None:
    found = enumerate_for(UNSOLVABLE, budget=1_000).result
    assert found.stopped_by == "budget"
    assert found.counts.enumerated == 1_000


def test_the_deadline_stops_the_search() -> None:
    enumerator = Enumerator(GRIDS, UNSOLVABLE)
    found = enumerator.run(3, 10**9, time.monotonic() + 0.5, 1)
    assert found.stopped_by == "time"


def test_same_task_same_programs_in_the_same_order() -> None:
    first = enumerate_for(UNSOLVABLE, budget=5_000)
    second = enumerate_for(UNSOLVABLE, budget=5_000)
    listing = [[n.expression for nodes in level.values() for n in nodes] for level in first.by_cost]
    assert listing == [[n.expression for nodes in level.values() for n in nodes] for level in second.by_cost]


def test_constants_come_from_the_task() -> None:
    outputs = [upscale(grid, 2) for grid in GRIDS]
    constants = {(expression, kind) for expression, kind, _ in task_constants(GRIDS, outputs)}
    assert {("7", kinds.INTEGER), ("2", kinds.INTEGER), ("T", kinds.BOOLEAN)} <= constants
    assert ("size", "measure") in constants
    assert len(operations()) > 100
