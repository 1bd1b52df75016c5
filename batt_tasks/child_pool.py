"""Long-lived sandbox children that run candidates for the embedded default.

Each child loads the DSL once, caps its own memory, and runs one candidate at a time on all of a
task's inputs under the per-sample timer. The parent keeps a deadline per job: a child that has not
answered by then is stuck somewhere the timer cannot reach, so it is killed and replaced and its
candidate recorded as a timeout. A child that dies on its own costs its candidate alone.
Children come from a forkserver, never from a fork of this (threaded, possibly CUDA-holding) process.
"""

import contextlib
import multiprocessing
import signal
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import TracebackType

from batt_tasks.dsl.types import Grid
from batt_tasks.payloads import CandidateStatus, SampleRun
from batt_tasks.stages.validate import apply_memory_cap, run_program

# Time a child gets beyond the sum of its samples' timers before it is presumed stuck.
GRACE_SECONDS = 2.0
# Programs sent to a child in one message; it answers each as soon as it is done, so the parent's
# deadline still applies to one program at a time.
CHUNK = 16


def _child_main(connection: Connection, timeout: float, memory_cap_mb: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    apply_memory_cap(memory_cap_mb)
    inputs: Sequence[Grid] = ()
    while True:
        message = connection.recv()
        if message is None:
            return
        kind, payload = message
        if kind == "inputs":
            inputs = payload
            continue
        for program in payload:
            connection.send(run_program(program, inputs, timeout))


@dataclass
class _Child:
    process: BaseProcess
    connection: Connection
    inputs_key: int | None = None
    jobs: list[int] = field(default_factory=list)  # indices sent and not yet answered, in order
    deadline: float = 0.0


class SandboxPool:
    """A fixed number of sandbox children; `run_programs` spreads candidates over them."""

    def __init__(self, processes: int, timeout: float, memory_cap_mb: int) -> None:
        self.timeout = timeout
        self.memory_cap_mb = memory_cap_mb
        self.replaced = 0
        self._inputs_generation = 0
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["batt_tasks.stages.validate"])
        self._children = [self._start_child() for _ in range(processes)]

    def _start_child(self) -> _Child:
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(
            target=_child_main, args=(child_end, self.timeout, self.memory_cap_mb), daemon=True
        )
        process.start()
        child_end.close()
        return _Child(process, parent_end)

    def run_programs(self, programs: Sequence[str], inputs: Sequence[Grid]) -> list[list[SampleRun]]:
        """Each program's runs on the inputs, in the order given."""
        self._inputs_generation += 1  # children re-receive inputs once per call, not per program
        pending: deque[int] = deque(range(len(programs)))
        results: dict[int, list[SampleRun]] = {}
        program_seconds = self.timeout * len(inputs) + GRACE_SECONDS
        share = max(1, min(CHUNK, len(programs) // len(self._children)))
        while pending or any(child.jobs for child in self._children):
            for child in self._children:
                if not child.jobs and pending:
                    chunk = [pending.popleft() for _ in range(min(share, len(pending)))]
                    self._send(child, chunk, programs, inputs, program_seconds)
            busy = [child for child in self._children if child.jobs]
            wait_for = max(0.0, min(child.deadline for child in busy) - time.monotonic())
            ready = wait([child.connection for child in busy], timeout=wait_for)
            for child in busy:
                if child.connection in ready:
                    self._collect(child, results, pending, len(inputs), program_seconds)
                elif time.monotonic() >= child.deadline:
                    reason = f"killed after {program_seconds:g} s"
                    self._replace(child, results, pending, len(inputs), "timeout", reason)
        return [results[index] for index in range(len(programs))]

    def _send(
        self, child: _Child, chunk: list[int], programs: Sequence[str], inputs: Sequence[Grid], seconds: float
    ) -> None:
        if child.inputs_key != self._inputs_generation:
            child.connection.send(("inputs", inputs))
            child.inputs_key = self._inputs_generation
        child.connection.send(("programs", [programs[index] for index in chunk]))
        child.jobs = chunk
        child.deadline = time.monotonic() + seconds

    def _collect(
        self, child: _Child, results: dict[int, list[SampleRun]], pending: deque[int], samples: int, seconds: float
    ) -> None:
        try:
            while child.jobs and child.connection.poll():
                results[child.jobs.pop(0)] = child.connection.recv()
                child.deadline = time.monotonic() + seconds
        except (EOFError, OSError):
            child.process.join(1)
            code = child.process.exitcode
            status: CandidateStatus = "memory" if code == -signal.SIGKILL else "error"
            self._replace(child, results, pending, samples, status, f"sandbox process died ({_describe_exit(code)})")

    def _replace(
        self,
        child: _Child,
        results: dict[int, list[SampleRun]],
        pending: deque[int],
        samples: int,
        status: CandidateStatus,
        reason: str,
    ) -> None:
        """The child's current program gets `status`; the rest of its chunk goes back to the queue."""
        current, *unstarted = child.jobs
        results[current] = [{"status": status, "output": None, "error": reason, "seconds": 0.0}] * samples
        pending.extendleft(reversed(unstarted))
        child.process.kill()
        child.process.join()
        child.connection.close()
        self._children[self._children.index(child)] = self._start_child()
        self.replaced += 1

    def close(self) -> None:
        """Ask every child to stop; kill the ones that do not."""
        for child in self._children:
            with contextlib.suppress(OSError):  # already dead: it is killed below
                child.connection.send(None)
        for child in self._children:
            child.process.join(2)
            if child.process.is_alive():
                child.process.kill()
                child.process.join()
            child.connection.close()

    def __enter__(self) -> "SandboxPool":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def _describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        return f"signal {signal.Signals(-code).name}"
    return f"exit code {code}"
