"""The sweep generator: seed solvers, their mutations, and small compositions, every one evaluated.

Deterministic for a seed: the same task and seed give the same candidates in the same order.
The order is cheap-and-likely first (the task's own seed, one-step transforms), so a small budget
still tries the best bets.
"""

import random
from collections.abc import Iterator
from itertools import islice, product

from batt_tasks.data import ArcTask
from batt_tasks.payloads import Candidate
from batt_tasks.search.mutate import demo_colours, mutate, prepared_seeds
from batt_tasks.search.signatures import grid_transforms
from batt_tasks.solvers import seed_sources

SMALL_FACTORS = (2, 3)


def generate(task: ArcTask, budget: int, seed: int) -> list[Candidate]:
    """Up to `budget` candidates for the task, in the order they should be tried."""
    rng = random.Random(f"{seed}:{task.id}")
    seeds = seed_sources()
    own = [(task.id, seeds[task.id])] if task.id in seeds else []
    others = [(task_id, source) for task_id, source in seeds.items() if task_id != task.id]
    rng.shuffle(others)
    streams = [
        _seeds(own),
        _compositions(task, depth=1),
        _mutations(task, own, rng, per_seed=max(8, budget // 10)),
        _seeds(others),
        _compositions(task, depth=2),
        _mutations(task, others, rng, per_seed=2),
    ]
    return list(islice((c for stream in streams for c in stream), budget))


def task_colours(task: ArcTask) -> list[int]:
    """Colours present in any demo grid, in order."""
    present = {cell for pair in task.train for grid in pair for row in grid for cell in row}
    return sorted(present)


def _candidate(lines: list[str], origin: str) -> Candidate:
    body = "\n".join(f"    {line}" for line in lines)
    return {"source": f"def solve(I):\n{body}\n    return O\n", "origin": origin}


def _seeds(seeds: list[tuple[str, str]]) -> Iterator[Candidate]:
    for task_id, source in seeds:
        yield {"source": source, "origin": f"seed:{task_id}"}


def _steps(task: ArcTask) -> list[str]:
    """One-call grid transforms as format strings over their input, constants filled in from the task."""
    steps = [f"{name}({{}})" for name in grid_transforms()]
    steps += [f"{name}({{}}, {k})" for name in grid_transforms((int,)) for k in SMALL_FACTORS]
    colours = task_colours(task)
    steps += [
        f"{name}({{}}, {a}, {b})"
        for name in grid_transforms((int, int))
        for a, b in product(colours, colours)
        if a != b
    ]
    return steps


def _compositions(task: ArcTask, depth: int) -> Iterator[Candidate]:
    steps = _steps(task)
    for chain in product(steps, repeat=depth):
        lines, value = [], "I"
        for index, step in enumerate(chain, start=1):
            name = "O" if index == depth else f"x{index}"
            lines.append(f"{name} = {step.format(value)}")
            value = name
        yield _candidate(lines, f"compose:{depth}")


def _mutations(task: ArcTask, seeds: list[tuple[str, str]], rng: random.Random, per_seed: int) -> Iterator[Candidate]:
    prepared = {seed.name: seed for seed in prepared_seeds()}
    colours = demo_colours(task.train)
    for task_id, _ in seeds:
        if task_id not in prepared:
            continue
        for _ in range(per_seed):
            mutated = mutate(prepared[task_id], rng, colours)
            if mutated is not None:
                yield {"source": mutated, "origin": f"mutate:{task_id}"}
