"""Start, list and stop GPU-pinned Celery workers on this machine, by process id, without Docker.

A pid file outlives its process, and the kernel reuses pids: a stale `gpu0.pid` can name anyone's
process. Before any signal, the pid is checked to be our worker: its command line runs celery as that
worker's node, and its start time (field 22 of /proc/<pid>/stat, recorded in `gpu0.started` beside the
pid file at start) is the one recorded. A pid file that fails either is stale: it is removed, never acted on.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from batt_tasks.queue.app import gpu_queue
from batt_tasks.settings import Settings


@dataclass(frozen=True)
class WorkerProcess:
    name: str
    pid: int
    log: Path


@dataclass(frozen=True)
class Stopped:
    """What `stop_workers` did: the workers it stopped, and why each pid file it removed unused was stale."""

    workers: list[WorkerProcess]
    stale: list[str]


def visible_gpus() -> list[str]:
    """GPU indices nvidia-smi lists on this machine (none without a driver)."""
    try:
        listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [str(index) for index, line in enumerate(listing.splitlines()) if line.startswith("GPU ")]


def worker_command(settings: Settings, device: str, concurrency: int, log: Path) -> list[str]:
    """The `celery worker` command line for the worker that owns GPU `device`."""
    return [
        sys.executable, "-m", "celery", "-A", "batt_tasks", "worker",
        "-n", f"gpu{device}@{settings.hostname or '%h'}",
        "-Q", f"{gpu_queue(settings, device)},{settings.queue}",
        "--pool", "prefork",
        "--concurrency", str(concurrency),
        "--prefetch-multiplier", "1",
        "--loglevel", "INFO",
        "--logfile", str(log),
    ]  # fmt: skip


def start_workers(settings: Settings, devices: list[str], concurrency: int) -> list[WorkerProcess]:
    """One detached worker per device, each seeing only its GPU; pid files and logs in the state folder."""
    state = Path(settings.state_dir)
    state.mkdir(parents=True, exist_ok=True)
    started = []
    for device in devices:
        name = f"gpu{device}"
        if isinstance(pid := _verified_pid(state, name), int):
            raise RuntimeError(f"worker {name} is already running (pid {pid}); `batt workers stop` first")
        log = state / f"{name}.log"
        environment = {**os.environ, "CUDA_VISIBLE_DEVICES": device}
        process = subprocess.Popen(
            worker_command(settings, device, concurrency, log),
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(state / f"{name}.stderr", "w"),  # noqa: SIM115  # the child owns it from here
            start_new_session=True,  # Ctrl-C in this terminal must not reach the workers
        )
        # The start time first: a pid file without it is never trusted.
        (state / f"{name}.started").write_text(str(start_time(process.pid)))
        (state / f"{name}.pid").write_text(str(process.pid))
        started.append(WorkerProcess(name, process.pid, log))
    return started


def running_workers(settings: Settings) -> list[WorkerProcess]:
    """Workers this machine started that are alive and verified ours (stale pid files are removed)."""
    return _survey(Path(settings.state_dir))[0]


def stop_workers(settings: Settings, grace_seconds: float = 30.0) -> Stopped:
    """Warm shutdown (SIGTERM: finish the running task), then SIGKILL whatever is left after the grace period.

    Only verified workers get a signal; a stale pid file is removed and reported in `Stopped.stale`.
    """
    state = Path(settings.state_dir)
    workers, stale = _survey(state)
    started = {worker.name: start_time(worker.pid) for worker in workers}
    for worker in workers:
        _signal(worker.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline and any(_alive(w.pid) for w in workers):
        time.sleep(0.2)
    for worker in workers:
        # Still the same process (same start time): its pid has not been handed to another meanwhile.
        if _alive(worker.pid) and start_time(worker.pid) == started[worker.name]:
            os.killpg(worker.pid, signal.SIGKILL)
        _forget(state, worker.name)
    return Stopped(workers, stale)


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat); None if it is gone."""
    try:
        # The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def _survey(state: Path) -> tuple[list[WorkerProcess], list[str]]:
    """Our live workers, and a line for each stale pid file found (and removed)."""
    workers: list[WorkerProcess] = []
    stale: list[str] = []
    for pidfile in sorted(state.glob("gpu*.pid")):
        verdict = _verified_pid(state, pidfile.stem)
        if isinstance(verdict, int):
            workers.append(WorkerProcess(pidfile.stem, verdict, state / f"{pidfile.stem}.log"))
        elif verdict is not None:
            stale.append(verdict)
    return workers, stale


def _verified_pid(state: Path, name: str) -> int | str | None:
    """The pid in `name`'s pid file if it is our live worker; else why the file was stale (it is removed);
    None when there is no pid file."""
    pidfile = state / f"{name}.pid"
    try:
        text = pidfile.read_text().strip()
    except OSError:
        return None
    problem = _not_our_worker(text, name, _recorded_start(state, name))
    if problem is None:
        return int(text)
    _forget(state, name)
    return f"removed stale pid file {pidfile}: {problem}"


def _not_our_worker(text: str, name: str, recorded_start: int | None) -> str | None:
    """Why the pid `text` is not worker `name`'s process, or None when it is."""
    if not (text.isascii() and text.isdigit() and 1 < int(text) < 2**22):  # 2**22: Linux's largest pid_max
        return f"{text[:40]!r} is not a pid"
    pid = int(text)
    if not _alive(pid):
        return f"no process {pid}"
    arguments = _command_line(pid)
    if not _runs_worker(arguments, name):
        return f"process {pid} is not celery worker {name} ({' '.join(arguments)[:80]!r})"
    if recorded_start is None:
        return f"no start time recorded for {name}: process {pid} cannot be told from a stranger"
    if start_time(pid) != recorded_start:
        return f"process {pid} started at another time than worker {name}: its pid was reused"
    return None


def _runs_worker(arguments: list[str], name: str) -> bool:
    """Celery (`python -m celery`, a celery script, or its retitled "[celeryd: gpu0@host:...]") as node `name`."""
    celery = any(a == "celery" or a.endswith("/celery") or a.startswith("[celeryd") for a in arguments)
    return celery and any(word.startswith(f"{name}@") for a in arguments for word in a.split())


def _command_line(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def _recorded_start(state: Path, name: str) -> int | None:
    try:
        return int((state / f"{name}.started").read_text().strip())
    except (OSError, ValueError):
        return None


def _forget(state: Path, name: str) -> None:
    (state / f"{name}.pid").unlink(missing_ok=True)
    (state / f"{name}.started").unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by us) counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _signal(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it exited meanwhile: nothing to stop
        os.kill(pid, number)
