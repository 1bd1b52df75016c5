"""kill -9 workers in the middle of a run, at random moments (searching or evaluating): the run completes with
exactly one row per candidate and one search row per task.

Two kinds of death: the prefork child alone (its worker requeues the task at once: task_reject_on_worker_lost)
and the whole worker, main process and child (its unacknowledged task comes back after the visibility timeout,
5 s here, and a restarted worker takes it). Persist is an upsert, so work done twice is written once.
"""

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from batt_tasks.db.models import Evaluation, TaskSearch
from batt_tasks.db.session import session_scope
from tests.conftest import batt, running_cluster


def _main_pid(state: Path, device: str) -> int:
    return int((state / f"gpu{device}.pid").read_text())


def _child_pids(main: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(main)], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


@pytest.mark.slow
def test_random_kills_lose_and_duplicate_nothing(tmp_path: Path, redis_keyspace: str) -> None:
    chooser = random.Random(7)
    settings = {"BATT_VISIBILITY_TIMEOUT": "5", "BATT_SAMPLE_TIMEOUT": "1"}
    with running_cluster(tmp_path, redis_keyspace, workers=2, **settings) as env:
        state = Path(env["BATT_STATE_DIR"])
        arguments = (
            "run",
            "--generator",
            "search",
            "--limit",
            "12",
            "--budget",
            "4000",
            "--batch-size",
            "8",
            "--detach",
            "--json",
        )
        started = batt(*arguments, env=env, cwd=tmp_path)
        assert started.returncode == 0, started.stderr
        run = json.loads(started.stdout)
        kills = []
        for round_number in range(4):
            time.sleep(chooser.uniform(0.2, 1.2))
            device = str(round_number % 2)
            main = _main_pid(state, device)
            if round_number % 2 == 0:  # the child that runs the task
                for child in _child_pids(main):
                    os.kill(child, signal.SIGKILL)
                kills.append(f"gpu{device} child")
            else:  # the whole worker, as if its machine died; then a new one takes its place
                os.killpg(main, signal.SIGKILL)
                time.sleep(0.5)
                restarted = batt("workers", "start", "--gpus", device, env=env, cwd=tmp_path)
                assert restarted.returncode == 0, restarted.stderr
                kills.append(f"gpu{device} whole worker")
        deadline = time.monotonic() + 240
        while True:
            summary = json.loads(batt("status", str(run["run_id"]), "--json", env=env, cwd=tmp_path).stdout)
            if summary["status"] == "finished":
                break
            assert time.monotonic() < deadline, (kills, summary)
            time.sleep(1)
        with session_scope(env["BATT_DATABASE_URL"]) as session:
            query = select(Evaluation.task_key, Evaluation.solver_md5).where(Evaluation.run_id == run["run_id"])
            rows = session.execute(query).all()
            total = session.scalar(select(func.count()).where(Evaluation.run_id == run["run_id"]))
            searched = session.scalars(select(TaskSearch.task_id).where(TaskSearch.run_id == run["run_id"])).all()
        print(f"\nkills: {kills}; {total} rows for {summary['after_dedup']} candidates after dedup")
        assert total == len(set(rows)) == summary["after_dedup"] > 0  # none missing, none duplicated
        assert len(searched) == len(set(searched)) == 12  # every task searched, and recorded once
