"""Shared fixtures: throwaway databases that each test run creates and removes itself."""

import os
import uuid
from collections.abc import Iterator
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
