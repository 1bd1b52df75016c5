"""The distributed path for real: two `celery worker` processes, Redis, PostgreSQL, Flower."""

import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from batt_tasks.db.models import Evaluation, StageTiming, TaskSearch
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


def _searches(url: str, run_id: int) -> list[tuple[str, str | None, str]]:
    """(task id, worker, why it ended) of every task_searches row of the run."""
    with session_scope(url) as session:
        rows = session.execute(select(TaskSearch.task_id, TaskSearch.worker, TaskSearch.stopped_by)
                               .where(TaskSearch.run_id == run_id)).all()  # fmt: skip
        return [(task_id, worker, stopped) for task_id, worker, stopped in rows]


# The sweep's tasks fill several chains each; the search sends few candidates per task, in one chain.
@pytest.mark.parametrize("generator", [("sweep", "60", "16"), ("search", "3000", "64")], ids=["sweep", "search"])
def test_celery_run_gives_the_embedded_run_s_results(
    cluster: dict[str, str], tmp_path: Path, generator: tuple[str, str, str]
) -> None:
    name, budget, batch_size = generator
    # --fresh: the cluster's database already holds the other generator's solvers, which would be reused.
    arguments = ("run", "--generator", name, "--limit", "10", "--budget", budget, "--batch-size", batch_size,
                 "--fresh", "--json")  # fmt: skip
    distributed = batt(*arguments, env=cluster, cwd=tmp_path)
    assert distributed.returncode == 0, distributed.stderr
    celery_summary = json.loads(distributed.stdout)
    sqlite_url = f"sqlite:///{tmp_path / 'embedded.db'}"
    embedded = batt(*arguments, env={"BATT_DATABASE_URL": sqlite_url, "BATT_SAMPLE_TIMEOUT": "2"}, cwd=tmp_path)
    assert embedded.returncode == 0, embedded.stderr
    embedded_summary = json.loads(embedded.stdout)

    assert celery_summary["mode"] == "celery" and celery_summary["status"] == "finished"
    assert celery_summary["tasks"] == celery_summary["searched"] == 10
    for key in ("generated", "after_dedup", "evaluated", "solved", "correct", "errors", "rejected"):
        assert celery_summary[key] == embedded_summary[key], key
    # What the searches did (mutations screened at 50 ms may differ with the machine's load, as seconds do).
    same = ("enumerated", "after_textual", "mutated", "solved_tasks", "stopped_by")
    if name == "search":
        assert {k: celery_summary["search"][k] for k in same} == {k: embedded_summary["search"][k] for k in same}
    run_id = celery_summary["run_id"]
    celery_rows = _rows(cluster["BATT_DATABASE_URL"], run_id)
    assert len(celery_rows) == celery_summary["after_dedup"]
    assert celery_rows == _rows(sqlite_url, embedded_summary["run_id"])

    # The workers searched, each task exactly once, and both took some; the producer searched nothing.
    searches = _searches(cluster["BATT_DATABASE_URL"], run_id)
    assert sorted(task for task, _, _ in searches) == sorted({task for task, _, _ in searches}) and len(searches) == 10
    assert {worker.split("@")[0] for _, worker, _ in searches if worker} == {"gpu0", "gpu1"}
    with session_scope(cluster["BATT_DATABASE_URL"]) as session:
        batches = session.scalar(
            select(func.count()).where(StageTiming.run_id == run_id, StageTiming.stage == "persist")
        )
    assert batches >= 10 if name == "sweep" else batches <= 10
    client = redis.Redis.from_url(cluster["BATT_BROKER_URL"])
    assert client.keys(f"{cluster['BATT_QUEUE']}:chain:{run_id}:*") == []  # persist dropped every chain's batches
    assert client.keys(f"{cluster['BATT_QUEUE']}:run:{run_id}:*") == []  # and the complete run's plan


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
    """Later links have the lower priority numbers, which Redis serves first, and searches the highest: one
    worker given 16 tasks turns the first task's candidates into rows before it searches the second. In
    arrival order every search would run before the first persist."""
    queue = f"{cluster['BATT_QUEUE']}.gpu0"
    arguments = ("run", "--generator", "sweep", "--limit", "16", "--budget", "60", "--batch-size", "64")
    run = batt(*arguments, "--queue", queue, "--fresh", "--json", env=cluster, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    run_id = json.loads(run.stdout)["run_id"]
    with session_scope(cluster["BATT_DATABASE_URL"]) as session:
        times = select(StageTiming.created_at).where(StageTiming.run_id == run_id)
        searched = sorted(session.scalars(times.where(StageTiming.stage == "search")))
        persisted = sorted(session.scalars(times.where(StageTiming.stage == "persist")))
    assert len(persisted) == len(searched) == 16
    assert persisted[0] < searched[1], (searched, persisted)


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


def test_skip_solved_queues_no_search_for_a_solved_task(cluster: dict[str, str], tmp_path: Path) -> None:
    """The producer decides before it plans: a skipped task gets no search job, and the run still completes."""
    arguments = ("run", "--task", "007bbfb7", "--task", "017c7c7b", "--budget", "300", "--keep", "4", "--json")
    first = batt(*arguments, env=cluster, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    second = batt(*arguments, "--skip-solved", env=cluster, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout)
    run_id = summary["run_id"]
    assert "skipped" in second.stderr and "007bbfb7" in second.stderr
    assert summary["status"] == "finished" and summary["skipped_solved"] >= 1
    assert summary["searched"] + summary["skipped_solved"] == 2 and summary["correct"] >= 1
    assert "007bbfb7" not in {task for task, _, _ in _searches(cluster["BATT_DATABASE_URL"], run_id)}
    client = redis.Redis.from_url(cluster["BATT_BROKER_URL"])
    # Its search sent no chain (every candidate known): the search ended the run, and let its plan go.
    assert client.keys(f"{cluster['BATT_QUEUE']}:run:{run_id}:*") == []
    # Every task solved before: no job at all, and the producer itself ends the run.
    alone = batt("run", "--task", "007bbfb7", "--skip-solved", "--json", env=cluster, cwd=tmp_path)
    assert alone.returncode == 0, alone.stderr
    summary = json.loads(alone.stdout)
    assert (summary["status"], summary["searched"], summary["skipped_solved"]) == ("finished", 0, 1)
    assert client.keys(f"{cluster['BATT_QUEUE']}:run:{summary['run_id']}:*") == []  # it was never planned
