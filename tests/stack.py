"""A private batt stack for tests that stop or restart a server: ops/batt-stack's own Redis and PostgreSQL,
on free ports, so what a test stops is never the machine's."""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STACK = Path(__file__).resolve().parents[1] / "ops" / "batt-stack"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stack_environment(**settings: str) -> tuple[dict[str, str], Path]:
    """An environment for ops/batt-stack on free ports with a fresh state folder (no BATT_ variable inherited)."""
    state = Path(tempfile.mkdtemp(prefix="batt-stack-", dir="/tmp"))
    state.chmod(0o755)  # the stack's PostgreSQL runs as the postgres user
    base = {k: v for k, v in os.environ.items() if not k.startswith("BATT_")}
    base |= {
        "BATT_STATE_DIR": str(state),
        "BATT_PG_PORT": str(free_port()),
        "BATT_REDIS_PORT": str(free_port()),
        "BATT_FLOWER_PORT": str(free_port()),
        "PATH": f"{Path(sys.executable).parent}:{base['PATH']}",
        **settings,
    }
    return base, state


@contextmanager
def private_stack(folder: Path, workers: int, **settings: str) -> Iterator[tuple[dict[str, str], Path]]:
    """(environment with the stack's URLs, state folder); `down` afterwards, checked, whatever happened."""
    base, state = stack_environment(**settings)
    up = subprocess.run([str(STACK), "up", "--count", str(workers)], env=base, cwd=folder, capture_output=True,
                        text=True, timeout=180)  # fmt: skip
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield base | dict(re.findall(r"export (\w+)='([^']*)'", (state / "env").read_text())), state
    finally:
        if os.environ.get("BATT_TEST_KEEP_STACK"):
            shutil.copytree(state / "logs", folder / "stack-logs", dirs_exist_ok=True)
            for log in state.glob("*.log"):
                shutil.copy(log, folder / "stack-logs")
        down = subprocess.run([str(STACK), "down"], env=base, cwd=folder, capture_output=True, text=True,
                              timeout=120)  # fmt: skip
        shutil.rmtree(state, ignore_errors=True)
        assert down.returncode == 0, down.stdout + down.stderr


PRODUCER_STDERR = "producer-stderr.txt"


def start_sweep(env: dict[str, str], folder: Path, tasks: int = 8, queue: str | None = None) -> subprocess.Popen[str]:
    """`batt run` of a fixed candidate list (every candidate goes to the workers), followed to its end.

    Its stderr goes to a file in `folder`, so a test can read what it says while it runs.
    """
    command = [sys.executable, "-c", "from batt_tasks.cli import main; main()", "run", "--generator", "sweep",
               "--limit", str(tasks), "--budget", "80", "--batch-size", "8", "--json"]  # fmt: skip
    if queue:
        command += ["--queue", queue]
    with open(folder / PRODUCER_STDERR, "w") as stderr:
        return subprocess.Popen(command, env=env, cwd=folder, stdout=subprocess.PIPE, stderr=stderr, text=True)


def producer_said(folder: Path) -> str:
    """What the producer started by `start_sweep` has written to stderr so far."""
    return (folder / PRODUCER_STDERR).read_text()


def finish(producer: subprocess.Popen[str], folder: Path, state: Path, seconds: float) -> tuple[str, str]:
    """The producer's (stdout, stderr) once it exits; if it does not in time, a failure showing what it and
    the workers said last, since the stack and its logs are gone once the test ends."""
    try:
        stdout, _ = producer.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        producer.kill()
        producer.communicate()
        logs = "\n".join(f"--- {log.name}\n" + "\n".join(log.read_text().splitlines()[-40:])
                         for log in sorted(state.glob("gpu*.log")))  # fmt: skip
        said = producer_said(folder)[-2000:]
        raise AssertionError(f"the run did not end within {seconds:g} s\n{said}\n{logs}") from None
    return stdout, producer_said(folder)


def wait_for_first_rows(url: str, producer: subprocess.Popen[str], seconds: float = 120) -> None:
    """Return once workers have persisted something: the moment a fault hits a run in full flight."""
    from sqlalchemy import func, select

    from batt_tasks.db.models import Evaluation
    from batt_tasks.db.session import session_scope

    deadline = time.monotonic() + seconds
    while True:
        try:
            with session_scope(url) as session:
                if (session.scalar(select(func.count()).select_from(Evaluation)) or 0) > 0:
                    return
        except Exception:  # the schema may not exist yet while the producer starts
            pass
        assert time.monotonic() < deadline and producer.poll() is None, f"no row within {seconds:g} s"
        time.sleep(0.05)


def run_rows(url: str, run_id: int) -> list[tuple[str, str]]:
    """(task key, solver md5) of every evaluation of the run: duplicates would show up here."""
    from sqlalchemy import select

    from batt_tasks.db.models import Evaluation
    from batt_tasks.db.session import session_scope

    with session_scope(url) as session:
        query = select(Evaluation.task_key, Evaluation.solver_md5).where(Evaluation.run_id == run_id)
        return [(key, md5) for key, md5 in session.execute(query).all()]
