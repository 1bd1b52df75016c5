"""Start, list and stop GPU-pinned Celery workers on this machine, by process id, without Docker."""

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
        "-n", f"gpu{device}@%h",
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
        if (pid := _read_pid(state / f"{name}.pid")) is not None:
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
        (state / f"{name}.pid").write_text(str(process.pid))
        started.append(WorkerProcess(name, process.pid, log))
    return started


def running_workers(settings: Settings) -> list[WorkerProcess]:
    """Workers this machine started whose process is alive."""
    state = Path(settings.state_dir)
    alive = []
    for pidfile in sorted(state.glob("gpu*.pid")):
        if (pid := _read_pid(pidfile)) is not None:
            alive.append(WorkerProcess(pidfile.stem, pid, state / f"{pidfile.stem}.log"))
    return alive


def stop_workers(settings: Settings, grace_seconds: float = 30.0) -> list[WorkerProcess]:
    """Warm shutdown (SIGTERM: finish the running task), then SIGKILL whatever is left after the grace period."""
    workers = running_workers(settings)
    for worker in workers:
        _signal(worker.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline and any(_alive(w.pid) for w in workers):
        time.sleep(0.2)
    for worker in workers:
        if _alive(worker.pid):
            os.killpg(worker.pid, signal.SIGKILL)
        (Path(settings.state_dir) / f"{worker.name}.pid").unlink(missing_ok=True)
    return workers


def _read_pid(pidfile: Path) -> int | None:
    """The pid in the file if that process still runs; a stale file is removed."""
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    if _alive(pid):
        return pid
    pidfile.unlink(missing_ok=True)
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by us) counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


def _signal(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it exited meanwhile: nothing to stop
        os.kill(pid, number)
