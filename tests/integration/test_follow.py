"""Following a distributed run survives a database outage: the user is told, and the count resumes."""

import threading
import time
import uuid
from pathlib import Path

import psycopg
import redis

from batt_tasks import runs
from batt_tasks.data import parse_task
from batt_tasks.db.migrate import upgrade
from batt_tasks.db.records import finish_run
from batt_tasks.db.session import get_engine, session_scope
from batt_tasks.payloads import task_payload
from batt_tasks.queue.completion import RunKeys, forget_run
from batt_tasks.settings import Settings
from tests.conftest import POSTGRES_ADMIN_URL

TASK = parse_task({"train": [{"input": [[1]], "output": [[1]]}], "test": [{"input": [[1]]}]}, "t", "test")


def _evaluations(url: str, run_id: int, count: int) -> None:
    from batt_tasks.db.models import Evaluation, Solver

    key = task_payload(TASK)["key"]
    with session_scope(url) as session:
        md5s = [f"{index:032x}" for index in range(count)]
        program = "def solve(I):\n    O = I\n    return O\n"
        session.add_all(Solver(md5=md5, expression="I", program=program, size=0) for md5 in md5s)
        session.flush()  # no ORM relationships: the solvers must exist before evaluations refer to them
        for md5 in md5s:
            session.add(Evaluation(run_id=run_id, task_key=key, task_id="t", solver_md5=md5, origin="test",
                                   status="ok", error=None, demo_score=1000.0, test_score=None, demo_exact=True,
                                   test_exact=None, samples=[]))  # fmt: skip


def test_follow_waits_out_a_vanished_database_and_finishes() -> None:
    name = f"batt_test_{uuid.uuid4().hex[:12]}"
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    spare = f"{name}_back"
    spare_url = url.rsplit("/", 1)[0] + f"/{spare}"
    settings = Settings(database_url=url)
    request = runs.RunRequest([TASK], runs.WorkOptions("user"))
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            upgrade(url)
            run_id = runs.start(request, settings, mode="celery")
            _evaluations(url, run_id, 1)
            progress: list[runs.Progress] = []
            messages: list[str] = []
            follower = threading.Thread(
                target=runs.follow,
                args=(run_id, settings, progress.append, messages.append),
                kwargs={"poll_seconds": 0.1},
            )
            follower.start()
            while not progress:
                time.sleep(0.05)
            get_engine(url).dispose()
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')  # the outage: every connection now fails
            while not messages:
                time.sleep(0.05)
            assert "database unreachable" in messages[0]
            # The database comes back whole: built under another name, then renamed, so the follower never
            # meets it half-made (a missing table is a fault it must not wait out).
            admin.execute(f'CREATE DATABASE "{spare}"')
            upgrade(spare_url)
            assert runs.start(request, Settings(database_url=spare_url), mode="celery") == run_id  # the same id
            _evaluations(spare_url, run_id, 3)
            get_engine(spare_url).dispose()
            admin.execute(f'ALTER DATABASE "{spare}" RENAME TO "{name}"')
            finish_run(url, run_id)  # what the persist that completes a run does
            follower.join(60)
            assert not follower.is_alive()
            assert messages[-1].startswith("database back")
            assert progress[0].evaluated == 1 and progress[-1].evaluated == 3
            assert progress[-1].status == "finished" and progress[0].status == "running"
        finally:
            get_engine(url).dispose()
            get_engine(spare_url).dispose()
            for database in (name, spare):
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def test_follow_returns_when_the_last_job_ends_the_run_not_a_poll_later(tmp_path: Path, redis_keyspace: str) -> None:
    url = f"sqlite:///{tmp_path / 'batt.db'}"
    upgrade(url)
    settings = Settings(database_url=url, broker_url=redis_keyspace, queue=f"follow-{uuid.uuid4().hex[:8]}")
    run_id = runs.start(runs.RunRequest([TASK], runs.WorkOptions("user")), settings, mode="celery")
    ended: list[float] = []
    follower = threading.Thread(
        target=lambda: ended.append(time.monotonic()) if runs.follow(run_id, settings, poll_seconds=30) else None
    )
    follower.start()
    time.sleep(0.5)  # the follower is in its 30 s pause
    finished = time.monotonic()
    finish_run(url, run_id)
    forget_run(redis.Redis.from_url(redis_keyspace), RunKeys(settings.queue, run_id))  # what the last job does
    follower.join(10)
    assert not follower.is_alive() and ended and ended[0] - finished < 2
