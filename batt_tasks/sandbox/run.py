"""Running a candidate: each sample under a timer that really stops it, in a memory-capped process.

The timer counts the CPU time of the process that runs the candidate (ITIMER_PROF, SIGPROF), so this runs
in a process's main thread: a sandbox child in the embedded default, a Celery prefork child when
distributed. It starts when the sample starts and counts only CPU the process spends, so a `timeout` is
the candidate's own doing: never start-up, queueing, or other processes busy on the same cores (a wall
clock there recorded correct solvers as timeouts under load, and stored timeouts are reused). The
interrupt raises inside the candidate's Python frames; a candidate stuck in C code is the owner's
to kill (the sandbox pool's deadline, which records `lost`; Celery's hard time limit). Memory is
capped per process with RLIMIT_DATA, so an allocation past the cap fails in the candidate, not in
the machine.
"""

import gc
import resource
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, cast

from batt_tasks.dsl.types import Grid
from batt_tasks.grids import grid_problem
from batt_tasks.payloads import (
    CandidateStatus,
    GridText,
    SampleRun,
    grid_text,
)
from batt_tasks.sandbox.whitelist import Rejected, compile_solver

MAX_ERROR_CHARS = 300
# What the per-sample limit counts, as evaluations.timer records it: the process's CPU time.
SAMPLE_TIMER = "cpu"
# A candidate's status is the worst of its samples', worst last. `lost` (no answer: the pool killed the
# process) outranks the verdicts a finished sample gets, ok, error and timeout (the last depends on the
# machine's speed too, though not its load), so a candidate that lost any sample is never stored as fully
# judged: it is one to run again. `memory` and `rejected` outrank it: verdicts on the candidate itself that
# no rerun changes.
STATUS_RANK: dict[CandidateStatus, int] = {"ok": 0, "error": 1, "timeout": 2, "lost": 3, "memory": 4, "rejected": 5}


class SolverTimeout(BaseException):
    """Raised by the timer inside a running candidate; a BaseException so no `except Exception` eats it."""


class ProgramRunner(Protocol):
    """Runs canonical programs on a task's inputs: in this process, or in a pool of sandbox children."""

    def run_programs(self, programs: Sequence[str], inputs: Sequence[Grid]) -> list[list[SampleRun]]: ...


def apply_memory_cap(cap_mb: int) -> None:
    """Let this process allocate at most cap_mb MiB more from here on.

    RLIMIT_DATA (writable private memory) rather than RLIMIT_AS: CUDA reserves vast address ranges
    that are not memory, so an address-space cap would break CuPy in a scoring worker.
    """
    with open("/proc/self/status") as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith("VmData:"))
    limit = kib * 1024 + cap_mb * 2**20
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))


def _expire(signum: int, frame: Any) -> None:
    raise SolverTimeout


@contextmanager
def timer_installed() -> Iterator[None]:
    """SIGPROF raises SolverTimeout while this is open; the previous handler comes back after."""
    previous = signal.signal(signal.SIGPROF, _expire)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


@contextmanager
def sample_timer(seconds: float) -> Iterator[None]:
    """Raise SolverTimeout in this (main) thread once this process has used `seconds` of CPU time
    (inside timer_installed)."""
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)


def run_program(program: str, inputs: Sequence[Grid], timeout: float) -> list[SampleRun]:
    """Run one canonical program on each input; never raises for anything the candidate does."""
    try:
        solver = compile_solver(program)
    except Rejected as reason:
        return [failed_sample("rejected", str(reason)) for _ in inputs]
    with timer_installed():
        return [run_sample(solver, grid, timeout) for grid in inputs]


def run_sample(solver: Callable[[Grid], Any], grid: Grid, timeout: float) -> SampleRun:
    """One candidate on one input: ok with the output grid, or the reason it has none."""
    started = time.perf_counter()
    try:
        with sample_timer(timeout):
            text = as_grid_text(solver(grid))
    except SolverTimeout:
        return failed_sample("timeout", f"no result within {timeout:g} s of CPU time", started)
    except MemoryError:
        gc.collect()
        return failed_sample("memory", "exceeded the memory cap", started)
    except RecursionError:
        return failed_sample("error", "RecursionError: recursion too deep", started)
    except Exception as error:
        return failed_sample("error", f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS], started)
    return {"status": "ok", "output": text, "error": None, "seconds": _elapsed(started)}


def as_grid_text(value: object) -> GridText:
    """The candidate's output as wire text; ValueError naming the fault when it is not an ARC grid (grids.py)."""
    problem = grid_problem(value)  # lists or tuples, rows too
    if problem is not None:
        raise ValueError(f"returned a value that is not a grid: {problem}")
    return grid_text(cast(Sequence[Sequence[int]], value))


def candidate_status(samples: Sequence[SampleRun]) -> tuple[CandidateStatus, str | None]:
    """The worst sample status and the first error message that goes with it."""
    worst: CandidateStatus = max((s["status"] for s in samples), key=STATUS_RANK.__getitem__, default="ok")
    message = next((s["error"] for s in samples if s["status"] == worst), None)
    return worst, message


class InProcessRunner:
    """Runs candidates in the calling process: what a Celery prefork child does with its batch."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def run_programs(self, programs: Sequence[str], inputs: Sequence[Grid]) -> list[list[SampleRun]]:
        return [run_program(program, inputs, self.timeout) for program in programs]


def _elapsed(started: float) -> float:
    """Seconds since `started`, to the microsecond: what is stored, and a third of the digits on the wire."""
    return round(time.perf_counter() - started, 6)


def failed_sample(status: CandidateStatus, error: str | None, started: float | None = None) -> SampleRun:
    """A sample with no output, and why."""
    seconds = _elapsed(started) if started is not None else 0.0
    return {"status": status, "output": None, "error": error, "seconds": seconds}


@contextmanager
def alarm(seconds: float, raising: type[BaseException]) -> Iterator[None]:
    """Raise `raising` in this (main) thread once `seconds` have passed: a deadline for a whole piece of work
    (a task's search) that its own checks between calls cannot enforce inside one long call."""

    def overrun(signum: int, frame: Any) -> None:
        raise raising

    previous = signal.signal(signal.SIGALRM, overrun)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
