"""The distributed path for real: two `celery worker` processes, Redis, PostgreSQL, Flower."""

import base64
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from batt_tasks.db.models import Evaluation, StageTiming
from batt_tasks.db.session import session_scope
from tests.conftest import batt
from tests.stack import free_port


def _rows(url: str, run_id: int) -> set[tuple[object, ...]]:
    with session_scope(url) as session:
        rows = session.scalars(select(Evaluation).where(Evaluation.run_id == run_id)).all()
        return {
            (r.task_id, r.solver_md5, r.status, r.demo_score, r.test_score, tuple(s["score"] for s in r.samples))
            for r in rows
        }


def test_workers_report_their_pinned_device(cluster: dict[str, str]) -> None:
    listing = batt("workers", env=cluster, cwd=Path(cluster["folder"])).stdout
    assert "gpu0@" in listing and "gpu1@" in listing
    assert f"{cluster['BATT_QUEUE']}.gpu0" in listing and f"{cluster['BATT_QUEUE']}.gpu1" in listing
    assert "numpy" in listing  # no CuPy here: the workers say they score with NumPy


# The sweep's tasks fill several chains each; the search keeps few candidates per task, so one chain
# carries several tasks' batches.
@pytest.mark.parametrize("generator", [("sweep", "60", "16"), ("search", "3000", "64")], ids=["sweep", "search"])
def test_celery_run_gives_the_embedded_run_s_results(
    cluster: dict[str, str], tmp_path: Path, generator: tuple[str, str, str]
) -> None:
    name, budget, batch_size = generator
    # --fresh: the cluster's database already holds the other generator's solvers, which would be reused.
    arguments = (
        "run",
        "--generator",
        name,
        "--limit",
        "10",
        "--budget",
        budget,
        "--batch-size",
        batch_size,
        "--fresh",
        "--json",
    )
    distributed = batt(*arguments, env=cluster, cwd=tmp_path)
    assert distributed.returncode == 0, distributed.stderr
    celery_summary = json.loads(distributed.stdout)
    sqlite_url = f"sqlite:///{tmp_path / 'embedded.db'}"
    embedded = batt(*arguments, env={"BATT_DATABASE_URL": sqlite_url, "BATT_SAMPLE_TIMEOUT": "2"}, cwd=tmp_path)
    assert embedded.returncode == 0, embedded.stderr
    embedded_summary = json.loads(embedded.stdout)

    assert celery_summary["mode"] == "celery" and celery_summary["status"] == "finished"
    assert celery_summary["tasks"] == 10
    for key in ("generated", "after_dedup", "evaluated", "solved", "correct", "errors", "rejected"):
        assert celery_summary[key] == embedded_summary[key], key
    celery_rows = _rows(cluster["BATT_DATABASE_URL"], celery_summary["run_id"])
    assert len(celery_rows) == celery_summary["after_dedup"]
    assert celery_rows == _rows(sqlite_url, embedded_summary["run_id"])
    with session_scope(cluster["BATT_DATABASE_URL"]) as session:
        workers = set(session.scalars(select(Evaluation.worker).where(Evaluation.run_id == celery_summary["run_id"])))
    assert {w.split("@")[0] for w in workers} == {"gpu0", "gpu1"}  # the producer spread the chains

    run_id = celery_summary["run_id"]
    chains = int(re.search(rf"run {run_id}: (\d+) chains", distributed.stderr).group(1))
    with session_scope(cluster["BATT_DATABASE_URL"]) as session:
        batches = session.scalar(
            select(func.count()).where(StageTiming.run_id == run_id, StageTiming.stage == "persist")
        )
    assert (chains < batches) if name == "search" else (chains == batches), (chains, batches)
    stashed = redis.Redis.from_url(cluster["BATT_BROKER_URL"]).keys(f"{cluster['BATT_QUEUE']}:chain:{run_id}:*")
    assert stashed == []  # persist dropped every chain's batches


def test_detached_run_is_followed_with_status(cluster: dict[str, str], tmp_path: Path) -> None:
    arguments = ("run", "--generator", "sweep", "--task", "007bbfb7", "--budget", "40", "--fresh", "--detach", "--json")
    detached = batt(*arguments, env=cluster, cwd=tmp_path)
    assert detached.returncode == 0, detached.stderr
    run_id = json.loads(detached.stdout)["run_id"]
    deadline = time.monotonic() + 120
    while True:
        summary = json.loads(batt("status", str(run_id), "--json", env=cluster, cwd=tmp_path).stdout)
        if summary["status"] == "finished":
            break
        assert time.monotonic() < deadline, summary
        time.sleep(1)
    assert summary["evaluated"] == summary["after_dedup"] > 0
    assert summary["solved"] == 1


def test_a_worker_finishes_the_chains_it_started_before_it_starts_another(
    cluster: dict[str, str], tmp_path: Path
) -> None:
    """Later links have the lower priority numbers, which Redis serves first: one worker given 16 chains
    persists the first one early in the run. In arrival order every inline, validate and score would run
    before the first persist."""
    queue = f"{cluster['BATT_QUEUE']}.gpu0"
    arguments = ("run", "--generator", "sweep", "--limit", "16", "--budget", "60", "--batch-size", "64")
    run = batt(*arguments, "--queue", queue, "--fresh", "--json", env=cluster, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    run_id = json.loads(run.stdout)["run_id"]
    assert re.search(rf"run {run_id}: 16 chains", run.stderr), run.stderr
    with session_scope(cluster["BATT_DATABASE_URL"]) as session:
        times = select(StageTiming.created_at).where(StageTiming.run_id == run_id)
        sent = max(session.scalars(times.where(StageTiming.stage == "dedup")))  # the producer's last task
        persisted = sorted(session.scalars(times.where(StageTiming.stage == "persist")))
    assert len(persisted) == 16
    assert persisted[0] - sent < (persisted[-1] - sent) / 3, (sent, persisted)


def _get(url: str, auth: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_flower_lists_the_workers_behind_basic_auth(cluster: dict[str, str]) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATT_")} | cluster
    env |= {"BATT_FLOWER_PASSWORD": "test-secret", "BATT_FLOWER_PORT": str(port)}
    command = [sys.executable, "-c", "from batt_tasks.cli import main; main()", "flower"]
    flower = subprocess.Popen(
        command, env=env, cwd=cluster["folder"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _ = _get(f"{base}/api/workers")
                break
            except OSError:
                assert flower.poll() is None, flower.stderr.read() if flower.stderr else ""
                assert time.monotonic() < deadline, "Flower did not start"
                time.sleep(0.5)
        assert status == 401
        assert _get(f"{base}/api/workers", "batt:wrong")[0] == 401
        status, body = _get(f"{base}/api/workers?refresh=1", "batt:test-secret")
        assert status == 200
        workers = json.loads(body)
        assert {name.split("@")[0] for name in workers} >= {"gpu0", "gpu1"}
    finally:
        flower.terminate()
        flower.wait(10)


def test_flower_refuses_to_start_without_a_password(cluster: dict[str, str]) -> None:
    done = batt("flower", env=cluster, cwd=Path(cluster["folder"]))
    assert done.returncode == 2
    assert "BATT_FLOWER_PASSWORD" in done.stderr
