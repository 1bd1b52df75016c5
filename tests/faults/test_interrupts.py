"""Ctrl-C and SIGTERM stop an embedded run at once, with every process it started, and mark it interrupted;
SIGKILL leaves a run that `batt status` recognises as dead."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SLOW = "def solve(I):\n    x1 = power(rot90, 1000000000000)\n    O = x1(I)\n    return O\n"
LONG_SEARCH = ("run", "--split", "evaluation", "--limit", "4", "--budget", "2000000", "--search-seconds", "60")


def _start(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    """`batt ARGS` in its own session, as a terminal's foreground job would be."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATT_")}
    env["BATT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'batt.db'}"
    command = [sys.executable, "-c", "from batt_tasks.cli import main; main()", *args]
    return subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # fmt: skip


def _session_members(session: int) -> list[int]:
    """Processes still alive in the session (zombies excluded)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _wait_for_children(process: subprocess.Popen[str], count: int) -> None:
    deadline = time.monotonic() + 60
    while len(_session_members(process.pid)) < count + 1:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run's processes did not start"
        time.sleep(0.2)
    time.sleep(1.0)  # well into the work


def _stop(process: subprocess.Popen[str], how: signal.Signals, group: bool) -> tuple[float, str]:
    started = time.monotonic()
    (os.killpg if group else os.kill)(process.pid, how)
    _, stderr = process.communicate(timeout=30)
    seconds = time.monotonic() - started
    deadline = time.monotonic() + 5
    while _session_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _session_members(process.pid) == [], "processes of the run were left behind"
    return seconds, stderr


def _status(tmp_path: Path) -> dict[str, object]:
    from tests.conftest import batt

    said = batt("status", "1", "--json", env={"BATT_DATABASE_URL": f"sqlite:///{tmp_path / 'batt.db'}"}, cwd=tmp_path)
    assert said.returncode == 0, said.stderr
    return dict(json.loads(said.stdout))


@pytest.mark.parametrize(("how", "group"), [(signal.SIGINT, True), (signal.SIGTERM, False)], ids=["ctrl-c", "term"])
def test_an_interrupt_during_the_search_stops_everything(tmp_path: Path, how: signal.Signals, group: bool) -> None:
    process = _start(tmp_path, *LONG_SEARCH)
    _wait_for_children(process, 3)  # the search pool and the sandbox children
    seconds, stderr = _stop(process, how, group)
    print(f"\n{how.name} during the search: exit {process.returncode} after {seconds:.2f} s")
    assert process.returncode == 130 and "interrupted" in stderr and "Traceback" not in stderr
    assert _status(tmp_path)["status"] == "interrupted"


def test_ctrl_c_during_evaluation_and_a_second_one_stop_everything(tmp_path: Path) -> None:
    (tmp_path / "slow.jsonl").write_text(json.dumps({"task_id": None, "source": SLOW}) + "\n")
    process = _start(tmp_path, "run", "--task", "007bbfb7", "--candidates", "slow.jsonl", "--timeout", "30")
    _wait_for_children(process, 1)  # the candidate runs in a sandbox child, under a 30 s timer
    os.killpg(process.pid, signal.SIGINT)
    time.sleep(0.05)
    seconds, stderr = _stop(process, signal.SIGINT, True)  # an impatient second Ctrl-C
    print(f"\nCtrl-C twice during evaluation: exit {process.returncode} after {seconds:.2f} s")
    assert process.returncode == 130 and "Traceback" not in stderr
    assert _status(tmp_path)["status"] == "interrupted"


def test_a_run_killed_with_sigkill_is_marked_dead(tmp_path: Path) -> None:
    process = _start(tmp_path, *LONG_SEARCH)
    _wait_for_children(process, 3)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    deadline = time.monotonic() + 10
    while _session_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _session_members(process.pid) == [], "search or sandbox processes outlived their run"
    summary = _status(tmp_path)
    assert summary["status"] == "dead", summary
