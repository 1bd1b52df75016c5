"""The sandbox pool's children: what they import, how they start, and what a failed start costs (nothing)."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from batt_tasks.sandbox import pool as child_pool
from batt_tasks.sandbox.child import START_DELAY_VARIABLE
from batt_tasks.sandbox.pool import SandboxPool
from batt_tasks.sandbox.run import candidate_status

GRID = ((1, 2), (3, 4))
ROTATE = "def solve(I):\n    O = rot90(I)\n    return O\n"
# What only the CLI, the database or the queue need: a sandbox child loads none of it.
HEAVY = ("typer", "rich", "sqlalchemy", "alembic", "celery", "kombu", "numpy", "batt_tasks.cli", "batt_tasks.db")


@pytest.fixture
def pool() -> Iterator[SandboxPool]:
    with SandboxPool(processes=2, timeout=1.0, memory_cap_mb=256) as pool:
        yield pool


def test_children_import_the_dsl_and_nothing_heavy_even_under_a_heavy_main(tmp_path: Path) -> None:
    # A parent shaped like the `batt` console script: its __main__ imports the CLI's libraries at the top.
    # A forkserver or spawn child would run that module again; a sandbox child must not.
    marker = tmp_path / "main-ran"
    script = tmp_path / "heavy_main.py"
    script.write_text(
        textwrap.dedent(f"""
        import json, pathlib
        import typer, rich.console, sqlalchemy, alembic.command, celery, numpy
        with pathlib.Path({str(marker)!r}).open("a") as ran:
            ran.write("x")
        from batt_tasks.sandbox.pool import SandboxPool

        if __name__ == "__main__":
            with SandboxPool(2, 1.0, 256) as pool:
                pool.wait_until_ready()
                print(json.dumps([list(child.modules) for child in pool._children]))
        """)
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True)
    assert marker.read_text() == "x"  # the parent's main module ran once, in the parent alone
    for modules in json.loads(done.stdout):
        assert "batt_tasks.sandbox.run" in modules
        assert "batt_tasks.dsl" in modules
        loaded = [name for name in modules if name.startswith(HEAVY)]
        assert loaded == [], f"sandbox child imported {loaded}"


def test_run_programs_starts_children_it_needs_and_keeps_order(pool: SandboxPool) -> None:
    results = pool.run_programs([ROTATE] * 5, [GRID, GRID])
    assert [[run["status"] for run in runs] for runs in results] == [["ok", "ok"]] * 5
    assert results[0][0]["output"] == "31|42"


def test_children_ignore_ctrl_c(pool: SandboxPool) -> None:
    pool.wait_until_ready()
    for pid in pool.pids:
        os.kill(pid, signal.SIGINT)
    assert pool.run_programs([ROTATE, ROTATE], [GRID])[1][0]["status"] == "ok"
    assert pool.replaced == 0


def test_children_see_no_database_or_broker_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATT_DATABASE_URL", "postgresql://user:test-secret@127.0.0.1/x")
    environment = child_pool._child_environment()
    assert "BATT_DATABASE_URL" not in environment
    assert environment.get("PATH") == os.environ.get("PATH")


def test_a_child_that_dies_while_starting_is_restarted_and_charges_no_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(START_DELAY_VARIABLE, "2")  # hold the first child in its start-up
    with SandboxPool(processes=1, timeout=1.0, memory_cap_mb=256) as pool:
        os.kill(pool.pids[0], signal.SIGKILL)
        monkeypatch.delenv(START_DELAY_VARIABLE)  # its replacement starts at once
        results = pool.run_programs([ROTATE, ROTATE], [GRID])
        assert [runs[0]["status"] for runs in results] == ["ok", "ok"]
        assert (pool.restarted, pool.replaced) == (1, 0)


def test_a_child_that_never_starts_is_given_up_on_with_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(START_DELAY_VARIABLE, "not a number")  # every child crashes before it is ready
    with (
        SandboxPool(processes=1, timeout=1.0, memory_cap_mb=256) as pool,
        pytest.raises(RuntimeError, match=r"failed to start 3 times in a row; last: .*exit code 1"),
    ):
        pool.run_programs([ROTATE], [GRID])


def test_a_child_that_hangs_while_starting_is_restarted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(child_pool, "START_SECONDS", 0.5)
    monkeypatch.setenv(START_DELAY_VARIABLE, "30")
    with SandboxPool(processes=1, timeout=1.0, memory_cap_mb=256) as pool:
        monkeypatch.delenv(START_DELAY_VARIABLE)  # the restarted child is quick
        assert pool.run_programs([ROTATE], [GRID])[0][0]["status"] == "ok"
        assert pool.restarted == 1


def test_a_child_that_dies_while_idle_is_replaced_and_charges_no_one(pool: SandboxPool) -> None:
    pool.wait_until_ready()
    for pid in pool.pids:
        os.kill(pid, signal.SIGKILL)
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)  # dead before the next call, not dying
    results = pool.run_programs([ROTATE] * 4, [GRID])
    assert [runs[0]["status"] for runs in results] == ["ok"] * 4
    assert pool.replaced == 2


def test_lost_outranks_finished_verdicts_but_not_memory_or_rejected() -> None:
    def sample(status: str) -> dict[str, object]:
        return {"status": status, "output": None, "error": status, "seconds": 0.0}

    assert candidate_status([sample("timeout"), sample("lost"), sample("error")]) == ("lost", "lost")  # type: ignore[list-item]
    assert candidate_status([sample("lost"), sample("memory")]) == ("memory", "memory")  # type: ignore[list-item]
    assert candidate_status([sample("rejected"), sample("lost")]) == ("rejected", "rejected")  # type: ignore[list-item]


def test_closing_twice_and_processes_below_one() -> None:
    pool = SandboxPool(processes=1, timeout=1.0, memory_cap_mb=256)
    pool.close()
    pool.close()
    assert pool.pids == []
    with pytest.raises(ValueError, match="at least one"):
        SandboxPool(processes=0, timeout=1.0, memory_cap_mb=256)
