"""Validate: each candidate ends with the right status; a runaway one costs its own slot, never the run."""

import os
import signal
import threading

import pytest

from batt_tasks.sandbox.pool import SandboxPool
from batt_tasks.sandbox.run import as_grid_text, candidate_status, run_program

GRID = ((1, 2), (3, 4))
ROTATE = "def solve(I):\n    O = rot90(I)\n    return O\n"
LOOP = "def solve(I):\n    x1 = power(rot90, 1000000000000)\n    O = x1(I)\n    return O\n"
BOMB = "def solve(I):\n    x1 = interval(0, 10000000000, 1)\n    O = canvas(0, (2, size(x1)))\n    return O\n"
RAISES = "def solve(I):\n    O = divide(1, 0)\n    return O\n"
NOT_A_GRID = "def solve(I):\n    O = size(I)\n    return O\n"


def test_ok_sample_returns_the_grid_as_lists() -> None:
    [run] = run_program(ROTATE, [GRID], timeout=1)
    assert run["status"] == "ok"
    assert run["output"] == "31|42"


def test_exception_is_an_error_with_type_and_message() -> None:
    [run] = run_program(RAISES, [GRID], timeout=1)
    assert run["status"] == "error"
    assert run["error"] is not None and run["error"].startswith("ZeroDivisionError")


def test_loop_is_stopped_by_the_timer_in_process() -> None:
    runs = run_program(LOOP, [GRID, GRID], timeout=0.2)
    assert [run["status"] for run in runs] == ["timeout", "timeout"]
    assert threading.active_count() == 1  # no thread was used, none is left behind
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)


def test_output_that_is_not_a_grid_is_an_error() -> None:
    [run] = run_program(NOT_A_GRID, [GRID], timeout=1)
    assert run["status"] == "error"
    assert "not a grid" in (run["error"] or "")


def test_unchecked_program_is_never_executed() -> None:
    [run] = run_program("import os\ndef solve(I):\n    return I\n", [GRID], timeout=1)
    assert run["status"] == "rejected"


@pytest.mark.parametrize(
    "value",
    [(), ((),), ((1, 2), (3,)), ((10,),), ((1.0,),), ((True,),), "grid", ((0,) * 31,), 5],
)
def test_invalid_outputs_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        as_grid_text(value)


def test_candidate_status_is_the_worst_sample() -> None:
    ok = {"status": "ok", "output": [[1]], "error": None, "seconds": 0.0}
    slow = {"status": "timeout", "output": None, "error": "slow", "seconds": 1.0}
    assert candidate_status([ok, slow, ok]) == ("timeout", "slow")  # type: ignore[list-item]
    assert candidate_status([ok]) == ("ok", None)  # type: ignore[list-item]


@pytest.fixture
def pool() -> SandboxPool:
    with SandboxPool(processes=2, timeout=0.3, memory_cap_mb=256) as pool:
        yield pool


def test_pool_gives_each_hostile_candidate_its_status_and_goes_on(pool: SandboxPool) -> None:
    results = pool.run_programs([LOOP, BOMB, RAISES, ROTATE], [GRID])
    assert [runs[0]["status"] for runs in results] == ["timeout", "memory", "error", "ok"]
    assert results[3][0]["output"] == "31|42"
    assert pool.run_programs([ROTATE], [GRID])[0][0]["status"] == "ok"


def test_pool_keeps_order_over_many_programs(pool: SandboxPool) -> None:
    programs = [ROTATE if index % 2 else RAISES for index in range(21)]
    statuses = [runs[0]["status"] for runs in pool.run_programs(programs, [GRID, GRID])]
    assert statuses == ["ok" if index % 2 else "error" for index in range(21)]


def test_stuck_child_is_killed_at_its_deadline_and_replaced(pool: SandboxPool) -> None:
    # A stopped process ignores its timer, like a candidate stuck in C code: only the deadline can end it.
    pool.wait_until_ready()
    stopper = threading.Timer(0.2, lambda: [os.kill(c.process.pid, signal.SIGSTOP) for c in pool._children])
    stopper.start()
    results = pool.run_programs([LOOP, LOOP], [GRID])
    assert [runs[0]["status"] for runs in results] == ["lost", "lost"]
    assert "killed" in (results[0][0]["error"] or "")
    assert pool.replaced == 2
    assert pool.run_programs([ROTATE], [GRID])[0][0]["status"] == "ok"


def test_child_that_dies_costs_only_its_candidate(pool: SandboxPool) -> None:
    pool.wait_until_ready()
    killer = threading.Timer(0.1, lambda: os.kill(pool._children[0].process.pid, signal.SIGSEGV))
    killer.start()
    results = pool.run_programs([LOOP, ROTATE], [GRID])
    assert results[0][0]["status"] == "error"
    assert "SIGSEGV" in (results[0][0]["error"] or "")
    assert results[1][0]["status"] == "ok"
    assert pool.replaced == 1
