"""`batt workers stop` signals only our workers: a stale pid file never kills a stranger.

The old stop sent SIGTERM, then SIGKILL to the process group, of whatever pid a `gpuN.pid` named: after a
reboot or a crash that pid can be anyone's process.
"""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import batt


@pytest.fixture
def stranger() -> Iterator[subprocess.Popen[bytes]]:
    """An unrelated process (its own session, as a worker's would be), killed afterwards if it survived."""
    process = subprocess.Popen(["sleep", "300"], start_new_session=True)
    yield process
    process.kill()
    process.wait()


def _stop(state: Path) -> subprocess.CompletedProcess[str]:
    return batt("workers", "stop", "--grace", "1", env={"BATT_STATE_DIR": str(state)}, cwd=state.parent)


def _survives(process: subprocess.Popen[bytes]) -> bool:
    time.sleep(0.3)
    return process.poll() is None


def test_a_pid_file_naming_a_stranger_kills_nobody(tmp_path: Path, stranger: subprocess.Popen[bytes]) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "gpu0.pid").write_text(str(stranger.pid))
    stopped = _stop(state)
    assert stopped.returncode == 0, stopped.stderr
    assert _survives(stranger)
    assert not (state / "gpu0.pid").exists()
    assert "stale" in stopped.stderr and str(stranger.pid) in stopped.stderr
    assert "stopped nothing" in stopped.stdout


def test_a_stranger_that_looks_like_our_worker_is_told_apart_by_its_start_time(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    # Its command line holds celery and our node name; only the recorded start time tells it apart.
    looks_like_ours = [sys.executable, "-c", "import time; time.sleep(300)", "celery", "worker", "-n", "gpu0@%h"]
    decoy = subprocess.Popen(looks_like_ours, start_new_session=True)
    try:
        for started in (None, "12345", "not a number"):
            (state / "gpu0.pid").write_text(str(decoy.pid))
            if started is not None:
                (state / "gpu0.started").write_text(started)
            stopped = _stop(state)
            assert stopped.returncode == 0, stopped.stderr
            assert _survives(decoy), started
            assert "stale" in stopped.stderr and not (state / "gpu0.pid").exists()
    finally:
        decoy.kill()
        decoy.wait()


@pytest.mark.parametrize("content", ["", "not a pid", "-1", "0", "99999999", f"{os.getpid()}\n{os.getpid()}"])
def test_a_malformed_or_dead_pid_file_is_removed_and_signals_nothing(tmp_path: Path, content: str) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "gpu1.pid").write_text(content)
    stopped = _stop(state)
    assert stopped.returncode == 0, stopped.stderr
    assert not (state / "gpu1.pid").exists()
    assert "Traceback" not in stopped.stderr
