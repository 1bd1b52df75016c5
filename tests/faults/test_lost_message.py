"""A search job whose message Redis lost (what kombu's BRPOP window does to a task taken as Redis goes down) is
found by the producer that follows the run and sent again: every task is still searched and every candidate
lands, once. (Chains lost the same way: tests/integration/test_stranded.py.)

The loss is made exact here: with the workers stopped, the test takes the oldest message off the queue and
drops it, then starts the workers.
"""

import json
import time
from pathlib import Path

import pytest
import redis

from batt_tasks.queue.dispatch import SEARCH_PRIORITY
from tests.conftest import batt, running_cluster
from tests.stack import finish, producer_said, run_rows, start_sweep


def search_list(queue: str) -> str:
    """kombu keeps a queue's messages of priority step p > 0 in the list `queue` + "\x06\x16" + p."""
    return f"{queue}\x06\x16{SEARCH_PRIORITY}"


@pytest.mark.slow
def test_a_followed_run_sends_on_a_chain_whose_message_was_lost(tmp_path: Path, redis_keyspace: str) -> None:
    with running_cluster(tmp_path, redis_keyspace) as env:
        assert batt("workers", "stop", "--grace", "5", env=env, cwd=tmp_path).returncode == 0
        producer = start_sweep(env, tmp_path, tasks=2)
        client = redis.Redis.from_url(redis_keyspace)
        deadline = time.monotonic() + 120
        while "search jobs queued" not in producer_said(tmp_path):
            assert producer.poll() is None and time.monotonic() < deadline, producer_said(tmp_path)
            time.sleep(0.2)
        lost = json.loads(client.rpop(search_list(env["BATT_QUEUE"])) or b"{}")
        assert lost["headers"]["task"] == "batt.search"
        assert batt("workers", "start", "--count", "2", env=env, cwd=tmp_path).returncode == 0

        stdout, stderr = finish(producer, tmp_path, Path(env["BATT_STATE_DIR"]), 300)
        assert producer.returncode == 0, stderr[-3000:]
        assert "1 jobs had lost their message in Redis" in stderr
        summary = json.loads(stdout)
        rows = run_rows(env["BATT_DATABASE_URL"], summary["run_id"])
        assert summary["status"] == "finished" and summary["searched"] == 2
        assert len(rows) == len(set(rows)) == summary["after_dedup"] == summary["evaluated"] > 0


@pytest.mark.slow
def test_status_resend_sends_on_a_lost_chain_of_a_detached_run(tmp_path: Path, redis_keyspace: str) -> None:
    with running_cluster(tmp_path, redis_keyspace) as env:
        assert batt("workers", "stop", "--grace", "5", env=env, cwd=tmp_path).returncode == 0
        sent = batt("run", "--generator", "sweep", "--limit", "2", "--budget", "80", "--batch-size", "8",
                    "--detach", "--json", env=env, cwd=tmp_path)  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        run_id = str(json.loads(sent.stdout)["run_id"])
        client = redis.Redis.from_url(redis_keyspace)
        assert client.rpop(search_list(env["BATT_QUEUE"])) is not None
        assert batt("workers", "start", "--count", "2", env=env, cwd=tmp_path).returncode == 0

        def summary() -> dict[str, int | str]:
            said = batt("status", run_id, "--json", env=env, cwd=tmp_path)
            assert said.returncode == 0, said.stderr
            return dict(json.loads(said.stdout))

        seen, deadline = summary(), time.monotonic() + 120
        while True:  # until every task but the lost one's is in
            time.sleep(3)
            now = summary()
            if now["evaluated"] == seen["evaluated"] != 0:
                break
            assert time.monotonic() < deadline, now
            seen = now
        assert now["status"] == "running" and now["searched"] == 1

        resent = batt("status", run_id, "--resend", env=env, cwd=tmp_path)
        assert resent.returncode == 0, resent.stderr
        assert "1 jobs had lost their message in Redis" in resent.stderr
        deadline = time.monotonic() + 120
        while (now := summary())["status"] != "finished":
            assert time.monotonic() < deadline, now
            time.sleep(1)
        rows = run_rows(env["BATT_DATABASE_URL"], int(run_id))
        assert len(rows) == len(set(rows)) == now["after_dedup"] == now["evaluated"] and now["searched"] == 2
        again = batt("status", run_id, "--resend", env=env, cwd=tmp_path)
        assert "every job it waits for has its message" in again.stderr
