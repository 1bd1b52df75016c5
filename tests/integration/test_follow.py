"""Following a distributed run survives a database outage: the user is told, and the count resumes."""

import threading
import time
import uuid

import psycopg

from batt_tasks.db.migrate import upgrade
from batt_tasks.db.session import get_engine, session_scope
from batt_tasks.producer import RunOptions, start_run
from batt_tasks.queue.producer import follow
from batt_tasks.stages.persist import save_task
from tests.conftest import POSTGRES_ADMIN_URL

TASK = {"id": "t", "key": "k" * 32, "train": [{"input": [[1]], "output": [[1]]}], "test": [{"input": [[1]]}]}


def _evaluations(url: str, run_id: int, count: int) -> None:
    from batt_tasks.db.models import Evaluation, Solver

    with session_scope(url) as session:
        save_task(session, TASK, "test")  # type: ignore[arg-type]
        md5s = [f"{index:032x}" for index in range(count)]
        program = "def solve(I):\n    O = I\n    return O\n"
        session.add_all(Solver(md5=md5, expression="I", program=program, size=0) for md5 in md5s)
        session.flush()  # no ORM relationships: the solvers must exist before evaluations refer to them
        for md5 in md5s:
            session.add(Evaluation(run_id=run_id, task_key=TASK["key"], task_id="t", solver_md5=md5, origin="test",
                                   status="ok", error=None, demo_score=1000.0, test_score=None, demo_exact=True,
                                   test_exact=None, samples=[]))  # fmt: skip


def test_follow_waits_out_a_vanished_database_and_finishes() -> None:
    name = f"batt_test_{uuid.uuid4().hex[:12]}"
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    options = RunOptions(dataset=None, split=None, seed=0, budget=1, batch_size=1)
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            upgrade(url)
            run_id = start_run(url, options, "celery", 1)
            _evaluations(url, run_id, 1)
            progress: list[int] = []
            messages: list[str] = []
            follower = threading.Thread(
                target=follow, args=(url, run_id, 3, progress.append, messages.append), kwargs={"poll_seconds": 0.1}
            )
            follower.start()
            while not progress:
                time.sleep(0.05)
            get_engine(url).dispose()
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')  # the outage: every connection now fails
            while not messages:
                time.sleep(0.05)
            assert "database unreachable" in messages[0]
            admin.execute(f'CREATE DATABASE "{name}"')
            upgrade(url)
            assert start_run(url, options, "celery", 1) == run_id  # a fresh database gives the same first id
            _evaluations(url, run_id, 3)
            follower.join(60)
            assert not follower.is_alive()
            assert messages[-1].startswith("database back")
            assert progress[0] == 1 and progress[-1] == 3
        finally:
            get_engine(url).dispose()
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
