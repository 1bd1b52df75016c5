"""A sandbox child: an interpreter of its own that runs candidates for a `SandboxPool`.

`pool.py` starts it as a fresh `python` process, never as a fork or forkserver child: those
re-run the parent's `__main__` (the `batt` console script: typer, rich, SQLAlchemy, Alembic, NumPy),
seconds per child under load. So a child imports the DSL and the validate stage and nothing else.

Start-up, in this order: import; leave Ctrl-C to the parent and die with it; cap memory (after the
imports, so the cap sits above the real baseline); send ("ready", info). The parent hands a child
programs, and starts their deadlines, only after that message.

Messages over one socket (multiprocessing's framing and pickles; both ends are ours):
  parent -> child: ("inputs", grids) | ("programs", [program, ...]) | None to stop
  child -> parent: ("ready", {"pid": ..., "modules": [...]}) once, then one list[SampleRun] per program
"""

import contextlib
import ctypes
import os
import signal
import sys
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection

from batt_tasks.dsl.types import Grid
from batt_tasks.sandbox.run import apply_memory_cap, run_program

# Test hook: seconds a child sleeps after its imports and memory cap, before it says it is ready. It
# stands for a child that starts slowly on a loaded machine (tests/faults/test_honest_timing.py);
# unset, it costs nothing.
START_DELAY_VARIABLE = "BATT_SANDBOX_START_DELAY"
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def main(argv: Sequence[str]) -> None:
    """Entry point: argv is [socket fd, sample timeout, memory cap in MiB, parent pid]."""
    fd, timeout, cap_mb, parent_pid = int(argv[0]), float(argv[1]), int(argv[2]), int(argv[3])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's; it closes the pool
    die_with_parent(parent_pid)
    connection = Connection(fd)
    apply_memory_cap(cap_mb)
    time.sleep(float(os.environ.get(START_DELAY_VARIABLE) or 0))
    connection.send(("ready", {"pid": os.getpid(), "modules": sorted(sys.modules)}))
    serve(connection, timeout)


def serve(connection: Connection, timeout: float) -> None:
    """Run each program sent on the last inputs sent, answering one program at a time, until told to stop."""
    inputs: Sequence[Grid] = ()
    # EOF or a broken pipe: the parent closed its end (closing the pool) or died; nothing more will come.
    with contextlib.suppress(EOFError, OSError):
        while (message := connection.recv()) is not None:
            kind, payload = message
            if kind == "inputs":
                inputs = payload
                continue
            for program in payload:
                connection.send(run_program(program, inputs, timeout))


def die_with_parent(parent_pid: int) -> None:
    """Have the kernel SIGKILL this process when its parent dies, even mid-candidate in C code.

    A closed pipe alone would only be noticed between programs. PDEATHSIG follows the parent
    thread that started this child, so a pool starts children from the thread that owns it.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the request above: no one will kill us
        os._exit(0)
