"""What the benchmarks that need servers share: a throwaway PostgreSQL database and queue name, and the
cleanup afterwards (their workers stopped, their Redis keys deleted, their database dropped), even on errors.
"""

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import redis

ADMIN_URL = os.environ.get("BATT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BATT_BENCH_REDIS", "redis://127.0.0.1:6379/8")


@contextmanager
def throwaway_services(prefix: str) -> Iterator[tuple[str, Path]]:
    """(PostgreSQL URL, state folder) for one benchmark run; BATT_ variables point the workers at them."""
    database = f"batt_bench_{uuid.uuid4().hex[:10]}"
    state = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
    url = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{database}"
    # Workers started by the benchmark, and this process, read the same settings from the environment.
    os.environ |= {"BATT_DATABASE_URL": url, "BATT_BROKER_URL": REDIS_URL,
                   "BATT_QUEUE": f"{prefix}-{uuid.uuid4().hex[:8]}", "BATT_STATE_DIR": str(state)}  # fmt: skip
    client = redis.Redis.from_url(REDIS_URL)
    keys_before = set(client.scan_iter())
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        yield url, state
    finally:
        from batt_tasks.db.session import get_engine
        from batt_tasks.ops import stop_workers
        from batt_tasks.settings import Settings

        stop_workers(Settings(), grace_seconds=10)
        created = set(client.scan_iter()) - keys_before
        if created:
            client.delete(*created)
        get_engine(url).dispose()
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
