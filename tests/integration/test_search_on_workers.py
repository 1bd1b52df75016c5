"""The search runs on the workers: the producer only records and enqueues, workers on any host share a run,
the run's own options reach them, two runs both move, and a cancel stops what is left."""

import json
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import redis
from sqlalchemy import func, select

from batt_tasks.db.models import Evaluation, Run, TaskSearch
from batt_tasks.db.session import session_scope
from tests.conftest import POSTGRES_ADMIN_URL, batt, produce_candidates
from tests.integration.test_time_plan import check_plan, planned_run

SLOW = "def solve(I):\n    x1 = power(rot90, 1000000000000)\n    O = x1(I)\n    return O\n"


def _summary(env: dict[str, str], run_id: int, cwd: Path) -> dict[str, object]:
    said = batt("status", str(run_id), "--json", env=env, cwd=cwd)
    assert said.returncode == 0, said.stderr
    return dict(json.loads(said.stdout))


def _searched(url: str, run_id: int) -> list[tuple[str, str | None]]:
    with session_scope(url) as session:
        query = select(TaskSearch.task_id, TaskSearch.worker).where(TaskSearch.run_id == run_id)
        return [(task, worker) for task, worker in session.execute(query)]


def _wait_for(what: str, check: object, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"{what} within {seconds:g} s"
        time.sleep(0.5)


def test_the_run_s_own_timeout_reaches_the_workers(cluster: dict[str, str], tmp_path: Path) -> None:
    """The workers' environment says 2 s per sample; the run says 0.05 s, and the run's value is applied."""
    env = cluster | {"BATT_SAMPLE_TIMEOUT": "0.05"}
    outcome = produce_candidates(env, "007bbfb7", [("slow", SLOW)], 8, tmp_path)
    with session_scope(cluster["BATT_DATABASE_URL"]) as session:
        [row] = session.scalars(select(Evaluation).where(Evaluation.run_id == outcome["run_id"])).all()
    assert (row.status, row.sample_timeout) == ("timeout", 0.05)
    assert row.error == "no result within 0.05 s of CPU time"


def test_a_detached_run_returns_without_searching_and_a_cancel_stops_it(
    cluster: dict[str, str], tmp_path: Path
) -> None:
    url, queue = cluster["BATT_DATABASE_URL"], cluster["BATT_QUEUE"]
    arguments = ("run", "--split", "evaluation", "--limit", "30", "--budget", "400000", "--search-seconds", "20")
    started = time.monotonic()
    detached = batt(*arguments, "--fresh", "--detach", "--json", env=cluster, cwd=tmp_path)
    assert detached.returncode == 0, detached.stderr
    assert "batt cancel" in detached.stderr
    run_id = int(json.loads(detached.stdout)["run_id"])
    assert len(_searched(url, run_id)) < 30  # the producer searched nothing itself
    print(f"\n--detach of 30 tasks returned in {time.monotonic() - started:.1f} s")

    log = Path(cluster["BATT_STATE_DIR"]) / "gpu0.log"
    _wait_for("a search running", lambda: "batt.search" in log.read_text() + (log.with_name("gpu1.log")).read_text())
    cancelled = batt("cancel", str(run_id), env=cluster, cwd=tmp_path)
    assert cancelled.returncode == 0, cancelled.stderr
    assert f"run {run_id} cancelled" in cancelled.stdout
    assert _summary(cluster, run_id, tmp_path)["status"] == "cancelled"

    # The searches in flight end at their next check and send nothing; nothing of the run is left in Redis.
    logs = [log, log.with_name("gpu1.log")]
    _wait_for("the in-flight searches to stop", lambda: sum(p.read_text().count(f"run {run_id}: cancelled")
                                                             for p in logs) >= 1, 30)  # fmt: skip
    time.sleep(3)
    searched = len(_searched(url, run_id))
    time.sleep(3)
    assert len(_searched(url, run_id)) == searched < 30
    client = redis.Redis.from_url(cluster["BATT_BROKER_URL"])
    left = [k.decode() for k in client.scan_iter(f"{queue}:*:{run_id}:*") if not k.endswith(b":cancelled")]
    assert left == []
    again = batt("cancel", str(run_id), env=cluster, cwd=tmp_path)
    assert "already ended (cancelled)" in again.stdout


def test_two_runs_submitted_one_after_the_other_both_move(cluster: dict[str, str], tmp_path: Path) -> None:
    """A run keeps only its window of searches queued, so a later run's searches queue between its own."""
    env = cluster | {"BATT_SEARCH_WINDOW": "2"}
    arguments = ("run", "--split", "evaluation", "--budget", "20000", "--fresh", "--detach", "--json")
    first = batt(*arguments, "--limit", "12", env=env, cwd=tmp_path)
    second = batt(*arguments, "--limit", "2", env=env, cwd=tmp_path)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    a, b = (int(json.loads(done.stdout)["run_id"]) for done in (first, second))
    _wait_for("the second run to finish", lambda: _summary(cluster, b, tmp_path)["status"] == "finished", 300)
    behind = _summary(cluster, a, tmp_path)
    assert behind["status"] == "running" and int(behind["searched"]) < 12, behind  # type: ignore[call-overload]
    _wait_for("the first run to finish", lambda: _summary(cluster, a, tmp_path)["status"] == "finished", 600)


@pytest.mark.slow
def test_two_hosts_share_one_run(tmp_path: Path, redis_keyspace: str) -> None:
    """Two worker groups as on two machines: own host names, own state folders, own process trees, reaching
    Redis and PostgreSQL over TCP only. Both search tasks of the run, and its rows are complete and unique."""
    name = f"batt_test_{uuid.uuid4().hex[:12]}"
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    base = {"BATT_BROKER_URL": redis_keyspace, "BATT_DATABASE_URL": url, "BATT_QUEUE": f"two-{uuid.uuid4().hex[:8]}"}
    hosts = {h: base | {"BATT_HOSTNAME": h, "BATT_STATE_DIR": str(tmp_path / h)} for h in ("hosta", "hostb")}
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        assert batt("db", "upgrade", env=base, cwd=tmp_path).returncode == 0
        for host, env in hosts.items():
            (tmp_path / host).mkdir()
            started = batt("workers", "start", "--count", "1", env=env, cwd=tmp_path / host)
            assert started.returncode == 0, started.stderr
        _wait_for("both hosts' workers", lambda: all(f"gpu0@{h}" in batt("workers", env=base, cwd=tmp_path).stdout
                                                     for h in hosts), 90)  # fmt: skip
        arguments = ("run", "--split", "evaluation", "--limit", "10", "--budget", "5000", "--json")
        run = batt(*arguments, env=base, cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        summary = json.loads(run.stdout)
        searched = _searched(url, summary["run_id"])
        assert sorted(task for task, _ in searched) == sorted({task for task, _ in searched}) and len(searched) == 10
        assert {worker for _, worker in searched} == {"gpu0@hosta", "gpu0@hostb"}
        with session_scope(url) as session:
            query = select(Evaluation.task_key, Evaluation.solver_md5).where(Evaluation.run_id == summary["run_id"])
            rows = session.execute(query).all()
            run_row = session.get_one(Run, summary["run_id"])
            total = session.scalar(select(func.count()).where(Evaluation.run_id == summary["run_id"]))
        assert run_row.status == "finished" and total == len(set(rows)) == summary["after_dedup"] > 0
    finally:
        for host, env in hosts.items():
            batt("workers", "stop", "--grace", "10", env=env, cwd=tmp_path / host)
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_distributed_run_refuses_sqlite(tmp_path: Path) -> None:
    env = {"BATT_BROKER_URL": "redis://127.0.0.1:6379/9", "BATT_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    done = batt("run", "--limit", "1", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert "needs a database every worker reaches" in done.stderr and "Traceback" not in done.stderr


def test_a_time_plan_runs_its_passes_on_the_workers(cluster: dict[str, str], tmp_path: Path) -> None:
    env = {k: v for k, v in cluster.items() if k.startswith("BATT_")}
    plan = planned_run(env, tmp_path)
    check_plan(plan, env["BATT_DATABASE_URL"], tmp_path, env)
    assert "on 2 search slots" in str(plan["stderr"])
    with session_scope(env["BATT_DATABASE_URL"]) as session:
        modes = set(session.scalars(select(Run.mode).where(Run.id.in_([one["run_id"] for one in plan["passes"]]))))
    assert modes == {"celery"}
