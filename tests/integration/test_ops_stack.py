"""ops/batt-stack on a bare box: it starts its own Redis and PostgreSQL, workers and Flower, and stops them all."""

import json
import shutil
import subprocess
from pathlib import Path

from tests.stack import STACK, stack_environment


def _pids(state: Path) -> list[int]:
    return [int(p.read_text()) for p in state.glob("*.pid")]


def test_stack_up_runs_a_job_and_down_stops_everything_it_started(tmp_path: Path) -> None:
    env, state = stack_environment()
    up = subprocess.run([str(STACK), "up", "--count", "1"], env=env, cwd=tmp_path, capture_output=True, text=True,
                        timeout=180)  # fmt: skip
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert "started Redis" in up.stdout and "started PostgreSQL" in up.stdout
        started = _pids(state)
        assert len(started) == 4  # redis, postgres, the worker, flower
        job = subprocess.run(
            ["bash", "-c", f". {state}/env && batt run --task 007bbfb7 --budget 20 --json"],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert job.returncode == 0, job.stderr
        summary = json.loads(job.stdout)
        assert summary["mode"] == "celery" and summary["status"] == "finished" and summary["solved"] == 1
        assert "***" not in summary["database"] and str(env["BATT_PG_PORT"]) in summary["database"]
    finally:
        down = subprocess.run([str(STACK), "down"], env=env, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)  # fmt: skip
    assert down.returncode == 0, down.stdout + down.stderr
    assert not list(state.glob("*.pid"))
    shutil.rmtree(state, ignore_errors=True)
    for pid in started:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split(") ")[1][:1]
