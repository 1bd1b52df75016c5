"""What the benchmarks that need servers share: a throwaway PostgreSQL database and queue name, and the
cleanup afterwards (their workers stopped, their Redis keys deleted, their database dropped), even on errors;
how to tell a distributed run is done without loading the workers; CPU seconds of process trees; and the
baseline every path is compared with, the stages called one after another in this process.
"""

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import redis

if TYPE_CHECKING:
    from celery import Celery

    from batt_tasks.data import ArcTask
    from batt_tasks.settings import Settings
    from batt_tasks.stages.search import WorkOptions

ADMIN_URL = os.environ.get("BATT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BATT_BENCH_REDIS", "redis://127.0.0.1:6379/8")
TICKS = os.sysconf("SC_CLK_TCK")


@contextmanager
def throwaway_database() -> Iterator[str]:
    """A new, empty PostgreSQL database (SQLAlchemy URL), dropped afterwards."""
    database = f"batt_bench_{uuid.uuid4().hex[:10]}"
    url = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{database}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        yield url
    finally:
        from batt_tasks.db.session import get_engine

        get_engine(url).dispose()
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@contextmanager
def throwaway_services(prefix: str) -> Iterator[tuple[str, Path]]:
    """(PostgreSQL URL, state folder) for one benchmark run; BATT_ variables point the workers at them."""
    state = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
    client = redis.Redis.from_url(REDIS_URL)
    keys_before = set(client.scan_iter())
    with throwaway_database() as url:
        # Workers started by the benchmark, and this process, read the same settings from the environment.
        os.environ |= {"BATT_DATABASE_URL": url, "BATT_BROKER_URL": REDIS_URL,
                       "BATT_QUEUE": f"{prefix}-{uuid.uuid4().hex[:8]}", "BATT_STATE_DIR": str(state)}  # fmt: skip
        try:
            yield url, state
        finally:
            from batt_tasks.ops import stop_workers
            from batt_tasks.settings import Settings

            stop_workers(Settings(), grace_seconds=10)
            created = set(client.scan_iter()) - keys_before
            if created:
                client.delete(*created)
            shutil.rmtree(state, ignore_errors=True)


def run_complete(client: redis.Redis, queue: str, run_id: int) -> bool:
    """Whether the workers completed a dispatched run, from its plan in Redis: one round trip, so polling it
    takes next to nothing from the workers (a database query would). A plan already let go counts as done."""
    from batt_tasks.queue.completion import RunKeys

    keys = RunKeys(queue, run_id)
    pipe = client.pipeline()
    pipe.llen(keys.order)
    pipe.hvals(keys.searched)
    pipe.scard(keys.persisted)
    total, searched, persisted = pipe.execute()
    if not total:
        return True  # forget_run deleted the plan after the last persist
    return len(searched) >= total and persisted >= sum(int(chains) for chains in searched)


def wait_finished(client: redis.Redis, queue: str, database_url: str, run_id: int, poll: float = 0.02) -> None:
    """Until the run is complete in Redis and marked finished in the database (the completing job writes the
    mark just after its tick, so the database is asked only at the end)."""
    from batt_tasks.db.models import Run
    from batt_tasks.db.session import session_scope

    while not run_complete(client, queue, run_id):
        time.sleep(poll)
    deadline = time.monotonic() + 30
    while True:
        with session_scope(database_url) as session:
            status = session.get_one(Run, run_id).status
        if status == "finished":
            return
        if status != "running" or time.monotonic() > deadline:
            raise RuntimeError(f"run {run_id} completed in Redis but is {status} in the database")
        time.sleep(poll)


def cpu_jiffies() -> tuple[int, int]:
    """Machine-wide (busy, total) CPU time so far, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _stat(pid: int) -> tuple[int, int, int] | None:
    """(parent pid, own CPU ticks, reaped children's CPU ticks) of a live process, from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After the name: state, ppid, ..., utime (14th field of the line), stime, cutime, cstime.
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def descendants(roots: Iterable[int]) -> set[int]:
    """The roots and every live process below them, from each thread's children list in /proc (a walk of the
    tree alone, cheap enough to repeat while a run goes on)."""
    found, pending = set(), list(roots)
    while pending:
        pid = pending.pop()
        if pid in found:
            continue
        found.add(pid)
        try:
            threads = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue  # gone meanwhile
        for thread in threads:
            try:
                with open(f"/proc/{pid}/task/{thread}/children") as listing:
                    pending.extend(int(child) for child in listing.read().split())
            except OSError:
                continue
    return {pid for pid in found if os.path.exists(f"/proc/{pid}")}


def tree_cpu_seconds(roots: Iterable[int]) -> float:
    """CPU seconds of long-lived process trees so far (e.g. Celery workers): every live process's own time plus
    what it reaped of its children, so a prefork child replaced meanwhile still counts."""
    ticks = 0
    for pid in descendants(roots):
        if (stat := _stat(pid)) is not None:
            ticks += stat[1] + stat[2]
    return ticks / TICKS


class TreeSampler:
    """A short-lived process tree's CPU seconds, sampled: each process's own time when last seen.

    getrusage(RUSAGE_CHILDREN) misses what a child's orphans use: the forkserver of `batt run`'s search pool
    outlives it and is reaped by init, and its workers' CPU with it. Sampling misses each process's last
    interval instead; callers take the larger of the two."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.seen: dict[int, int] = {}

    def sample(self) -> None:
        for pid in descendants([self.root]):
            if (stat := _stat(pid)) is not None:
                self.seen[pid] = max(self.seen.get(pid, 0), stat[1])

    @property
    def seconds(self) -> float:
        return sum(self.seen.values()) / TICKS


def start_and_wait(settings: "Settings", devices: list[str], concurrency: int = 1, seconds: float = 60) -> list[int]:
    """Start one worker per device on the settings' queue and wait until each answers; their main pids."""
    from batt_tasks.ops import start_workers
    from batt_tasks.queue.app import app

    started = start_workers(settings, devices, concurrency)
    deadline = time.monotonic() + seconds
    # Only workers that consume this benchmark's queue count: the Redis database may serve others too.
    while len(consumers(app, settings.queue)) < len(devices):
        if time.monotonic() > deadline:
            raise RuntimeError(f"workers did not answer within {seconds:.0f} s; see {settings.state_dir}")
        time.sleep(0.5)
    return [worker.pid for worker in started]


def consumers(app: "Celery", queue: str) -> list[str]:
    """The live workers that consume `queue`."""
    replies = app.control.inspect(timeout=1.0).active_queues() or {}
    return sorted(name for name, queues in replies.items() if any(q["name"] == queue for q in queues))


def forget_keys(client: redis.Redis, keys_before: set, names: list[bytes]) -> None:
    """Delete the Redis keys created since `keys_before` that contain one of `names` (this benchmark's queue
    and worker names), and those names' entries in kombu's shared binding sets; nobody else's keys."""
    created = [key for key in set(client.scan_iter()) - keys_before if any(name in key for name in names)]
    if created:
        client.delete(*created)
    for key in client.scan_iter(match="_kombu.binding.*"):
        if client.type(key) == b"set":
            mine = [member for member in client.smembers(key) if any(name in member for name in names)]
            if mine:
                client.srem(key, *mine)
    # kombu's deadline of each shared exchange's binding table: drop those whose table is gone (what kombu's
    # own sweep does), so an emptied zset disappears and a live table keeps its deadline.
    deadlines = "_kombu.binding_deadlines"
    for exchange in client.zrange(deadlines, 0, -1):
        if not client.exists(b"_kombu.binding." + exchange):
            client.zrem(deadlines, exchange)


def sequential_stages(run_id: int, tasks: "Iterable[ArcTask]", work: "WorkOptions", database_url: str) -> None:
    """The baseline: each task searched, then its batches through inline, validate (in this process), score
    and persist, one call after another, nothing reused; the run is marked finished at the end."""
    from batt_tasks.db.records import finish_run
    from batt_tasks.db.session import session_scope
    from batt_tasks.payloads import task_payload
    from batt_tasks.sandbox.run import InProcessRunner
    from batt_tasks.stages.inline import inline_batch
    from batt_tasks.stages.persist import persist_batch, save_search
    from batt_tasks.stages.score import get_backend, score_batch
    from batt_tasks.stages.search import find_candidates, searched_batches
    from batt_tasks.stages.validate import validate_batch

    backend, runner = get_backend("numpy"), InProcessRunner(work.search.sample_timeout)
    for task in tasks:
        payload = task_payload(task)
        batches, record = searched_batches(run_id, payload, find_candidates(task, work), work, None, None)
        with session_scope(database_url) as session:
            save_search(session, run_id, payload, record)
        for batch in batches:
            inlined = inline_batch(batch, lambda key, md5s, timeout: set())  # fresh: nothing reused
            persist_batch(score_batch(validate_batch(inlined, runner), backend), database_url)
    finish_run(database_url, run_id)
