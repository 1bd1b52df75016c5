"""Long-lived sandbox children that run candidates for the embedded default.

Each child is a fresh interpreter (`batt_tasks/sandbox/child.py`) that loads the DSL and nothing else,
caps its own memory, says it is ready, then runs one candidate at a time on all of a task's inputs under
the per-sample timer. A candidate's `timeout` is that timer's verdict alone, measured in the child.

The pool starts every child in its constructor, all at once, and waits for a child's "ready" only when
it has work for it; a program's deadline starts when a ready child is handed it, so start-up, queueing
and load never count against a candidate. A child that dies or hangs before it is ready is restarted
without charging anyone (a few times, then RuntimeError). A child that has not answered by its deadline
is stuck where its timer cannot reach (C code): it is killed and replaced and its candidate recorded as
`lost`, the pool's verdict, not the candidate's timeout. A child that dies on its own costs its
candidate alone: `memory` if it was SIGKILLed (the kernel's OOM killer), else `error`.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from types import TracebackType

from batt_tasks.dsl.types import Grid
from batt_tasks.payloads import CandidateStatus, SampleRun

# Time a child gets beyond the sum of its samples' timers before it is presumed stuck. Generous: the
# timers stop every candidate that runs Python, so this only ends one stuck in C, and it must not end
# one that a loaded machine merely slowed down.
GRACE_SECONDS = 5.0
# The timers count CPU time, and a child on cores shared with other work gets a fraction of one: its
# wall-clock deadline allows this many times its samples' limits (a third of a core each) before the grace.
LOAD_ALLOWANCE = 3
# Programs sent to a child in one message; it answers each as soon as it is done, so the parent's
# deadline still applies to one program at a time.
CHUNK = 16
# A child must be ready this long after it was started, else it is killed and started again. Far above
# a normal start (a tenth of a second), since waiting costs no candidate anything.
START_SECONDS = 60.0
# Starts in a row that may fail for one child before the pool gives up.
START_TRIES = 3
# How long `close` lets children finish the candidate in hand before it kills them.
CLOSE_SECONDS = 0.5

# The child's command: the parent's sys.path, as multiprocessing's spawn passes it, then the entry point.
# Not `-m`, which would put the working directory first on the path.
_BOOTSTRAP = (
    "import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
    "from batt_tasks.sandbox.child import main; main(sys.argv[2:])"
)
# What a child keeps of the environment: what Python needs to start, and the sandbox's own variables.
# No candidate can read the environment; a child without database or broker passwords cannot leak them.
_ENV_NAMES = frozenset({"PATH", "HOME", "LANG", "TMPDIR", "VIRTUAL_ENV"})
_ENV_PREFIXES = ("PYTHON", "LC_", "LD_", "BATT_SANDBOX_")


@dataclass
class _Child:
    process: subprocess.Popen[bytes]
    connection: Connection
    started: float  # time.monotonic() at start, for the start-up limit
    failed_starts: int = 0  # failed starts of this slot in a row before this one
    ready: bool = False
    modules: tuple[str, ...] = ()  # what the child had imported when it said it was ready
    inputs_key: int | None = None
    jobs: list[int] = field(default_factory=list)  # indices sent and not yet answered, in order
    deadline: float = 0.0

    @property
    def limit(self) -> float:
        """When the pool stops waiting for this child: its start-up limit, then its current program's deadline."""
        return self.deadline if self.ready else self.started + START_SECONDS


@dataclass
class _Run:
    """One `run_programs` call: what is left to hand out, and what came back."""

    programs: Sequence[str]
    inputs: Sequence[Grid]
    seconds: float  # a program's deadline, counted from when a ready child is handed it
    pending: deque[int]
    results: dict[int, list[SampleRun]] = field(default_factory=dict)


class SandboxPool:
    """A fixed number of sandbox children; `run_programs` spreads candidates over them.

    Use it from the thread that made it: a child dies with the thread that started it (PDEATHSIG), and
    a replacement is started by the thread that calls `run_programs`.
    """

    def __init__(self, processes: int, timeout: float, memory_cap_mb: int) -> None:
        if processes < 1:
            raise ValueError(f"a sandbox pool needs at least one process, got {processes}")
        self.timeout = timeout
        self.memory_cap_mb = memory_cap_mb
        self.replaced = 0  # children killed or found dead after they were ready
        self.restarted = 0  # children started again because a start failed
        self._inputs_generation = 0
        self._children: list[_Child] = []
        try:
            # All started before any is waited for: they import in parallel, off the caller's path.
            for _ in range(processes):
                self._children.append(self._start_child())
        except BaseException:
            self.close()
            raise

    @property
    def pids(self) -> list[int]:
        """The children's process ids, ready or not."""
        return [child.process.pid for child in self._children]

    def wait_until_ready(self) -> None:
        """Wait for every child's ready message. Never needed before `run_programs`, which waits for a
        child only when it has work for it; for callers that want the start-up cost paid up front."""
        while starting := [child for child in self._children if not child.ready]:
            wait([child.connection for child in starting], timeout=max(0.0, _earliest(starting) - time.monotonic()))
            for child in starting:
                self._hear_ready(child)

    def run_programs(self, programs: Sequence[str], inputs: Sequence[Grid]) -> list[list[SampleRun]]:
        """Each program's runs on the inputs, in the order given."""
        self._inputs_generation += 1  # children re-receive inputs once per call, not per program
        seconds = self.timeout * len(inputs) * LOAD_ALLOWANCE + GRACE_SECONDS
        run = _Run(programs, inputs, seconds, deque(range(len(programs))))
        share = max(1, min(CHUNK, len(programs) // len(self._children)))
        while run.pending or any(child.jobs for child in self._children):
            self._hand_out(run, share)
            # Busy children, and while work waits, the ones still starting (to hear them say ready).
            watched = [child for child in self._children if child.jobs or (run.pending and not child.ready)]
            readable = wait([child.connection for child in watched], max(0.0, _earliest(watched) - time.monotonic()))
            for child in watched:
                if child.connection in readable:
                    self._hear(child, run)
                elif time.monotonic() >= child.limit:
                    self._overdue(child, run)
        return [run.results[index] for index in range(len(programs))]

    def _hand_out(self, run: _Run, share: int) -> None:
        for child in list(self._children):  # a copy: a child found dead is swapped out of the list
            if child.ready and not child.jobs and run.pending:
                self._send(child, [run.pending.popleft() for _ in range(min(share, len(run.pending)))], run)

    def _send(self, child: _Child, chunk: list[int], run: _Run) -> None:
        try:
            if child.inputs_key != self._inputs_generation:
                child.connection.send(("inputs", run.inputs))
                child.inputs_key = self._inputs_generation
            child.connection.send(("programs", [run.programs[index] for index in chunk]))
        except OSError:  # it died while idle (killed from outside): nothing of its chunk has started
            run.pending.extendleft(reversed(chunk))
            self._replace(child)
            return
        child.jobs = chunk
        child.deadline = time.monotonic() + run.seconds

    def _hear(self, child: _Child, run: _Run) -> None:
        if not child.ready:
            self._hear_ready(child)
            return
        try:
            while child.jobs and child.connection.poll():
                run.results[child.jobs.pop(0)] = child.connection.recv()
                child.deadline = time.monotonic() + run.seconds  # the next program starts now
        except (EOFError, OSError):
            code = _exit_code(child.process)
            status: CandidateStatus = "memory" if code == -signal.SIGKILL else "error"
            self._charge(child, run, status, f"sandbox process died ({_describe_exit(code)})")

    def _hear_ready(self, child: _Child) -> None:
        """Take a child's first message if it has come; a child that fails here is started again."""
        if not child.connection.poll():
            if time.monotonic() >= child.limit:
                self._restart(child, f"not ready after {START_SECONDS:g} s")
            return
        try:
            kind, info = child.connection.recv()
        except (EOFError, OSError):
            self._restart(child, f"it exited before it was ready ({_describe_exit(_exit_code(child.process))})")
            return
        if kind != "ready":  # not one of ours, or confused: start it afresh rather than trust it
            self._restart(child, f"its first message was {kind!r}, not 'ready'")
            return
        child.ready = True
        child.modules = tuple(info["modules"])

    def _overdue(self, child: _Child, run: _Run) -> None:
        if not child.ready:
            self._restart(child, f"not ready after {START_SECONDS:g} s")
            return
        reason = f"sandbox process killed after {run.seconds:g} s without an answer (stuck out of its timer's reach)"
        self._charge(child, run, "lost", reason)

    def _charge(self, child: _Child, run: _Run, status: CandidateStatus, reason: str) -> None:
        """The child's current program gets `status`; the rest of its chunk goes back to the queue."""
        if child.jobs:  # it may have died just after its last answer: then no one is charged
            current, *unstarted = child.jobs
            run.results[current] = [_failed(status, reason) for _ in run.inputs]
            run.pending.extendleft(reversed(unstarted))
        self._replace(child)

    def _replace(self, child: _Child) -> None:
        _stop(child)
        self._children[self._children.index(child)] = self._start_child()
        self.replaced += 1

    def _restart(self, child: _Child, reason: str) -> None:
        """Start a child that failed before it was ready again, or give up after START_TRIES in a row."""
        _stop(child)
        failed = child.failed_starts + 1
        if failed >= START_TRIES:
            raise RuntimeError(
                f"a sandbox process failed to start {failed} times in a row; last: {reason} (its own error output, "
                "if any, is above)"
            )
        self._children[self._children.index(child)] = self._start_child(failed)
        self.restarted += 1

    def _start_child(self, failed_starts: int = 0) -> _Child:
        ours, theirs = socket.socketpair()
        with theirs:  # the child's end is the child's alone once it has started
            try:
                process = subprocess.Popen(
                    self._child_command(theirs.fileno()),
                    pass_fds=(theirs.fileno(),),
                    # Nothing of a child's may land in this process's output (`--json` prints there);
                    # stderr stays shared, for the traceback of a child that fails to start.
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    env=_child_environment(),
                    # Its own process group: the terminal's Ctrl-C goes to this process alone, which
                    # closes the pool; PDEATHSIG (set by the child) covers the parent dying instead.
                    process_group=0,
                )
            except BaseException:
                ours.close()
                raise
        return _Child(process, Connection(ours.detach()), time.monotonic(), failed_starts)

    def _child_command(self, fd: int) -> list[str]:
        limits = [str(fd), repr(float(self.timeout)), str(self.memory_cap_mb), str(os.getpid())]
        return [sys.executable, "-c", _BOOTSTRAP, json.dumps(sys.path), *limits]

    def close(self) -> None:
        """Ask every child to stop, give them CLOSE_SECONDS to finish the candidate in hand, kill the rest."""
        for child in self._children:
            with contextlib.suppress(OSError):  # already dead: it is reaped below
                child.connection.send(None)
        stop_by = time.monotonic() + CLOSE_SECONDS
        for child in self._children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(max(0.0, stop_by - time.monotonic()))
            _stop(child)
        self._children = []

    def __enter__(self) -> "SandboxPool":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def _earliest(children: Sequence[_Child]) -> float:
    return min(child.limit for child in children)


def _stop(child: _Child) -> None:
    """Kill (a no-op once it has exited), reap, and close the pipe."""
    child.process.kill()
    child.process.wait()
    child.connection.close()


def _exit_code(process: subprocess.Popen[bytes]) -> int | None:
    """Its exit code once it has exited (it closed its pipe, so it is exiting), None if still alive after 1 s."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        return process.wait(1.0)
    return None


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        return f"signal {signal.Signals(-code).name}"
    return f"exit code {code}"


def _child_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name in _ENV_NAMES or name.startswith(_ENV_PREFIXES)}


def _failed(status: CandidateStatus, reason: str) -> SampleRun:
    return {"status": status, "output": None, "error": reason, "seconds": 0.0}
