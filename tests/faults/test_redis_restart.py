"""Redis restarts in the middle of a distributed run: workers and producer reconnect, and every candidate
lands exactly once.

Redis, a private PostgreSQL, two workers and Flower come from ops/batt-stack, whose Redis keeps its
queue in an append-only file: the Redis restarted here is one this test started, never the machine's.
A short visibility timeout lets the chains that were running when the connection dropped come back soon.
A message a worker took the instant Redis went down is lost (kombu records it only after BRPOP returns):
the producer, following the run, finds its chain in the stash and sends it on (see queue/stranded.py).
"""

import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from batt_tasks.db.session import get_engine
from tests.stack import finish, private_stack, producer_said, run_rows, start_sweep, wait_for_first_rows

DOWN_SECONDS = 5


def _restart_redis(state: Path, port: str) -> None:
    """SHUTDOWN (Redis writes its append-only file), a pause, then the same server on the same files."""
    _stop_redis(port)
    time.sleep(DOWN_SECONDS)
    _start_redis(state, port)


def _stop_redis(port: str) -> None:
    subprocess.run(["redis-cli", "-p", port, "shutdown"], capture_output=True, timeout=30, check=False)
    for _ in range(100):
        if subprocess.run(["redis-cli", "-p", port, "ping"], capture_output=True).returncode != 0:
            return
        time.sleep(0.1)


def _start_redis(state: Path, port: str) -> None:
    subprocess.run(
        ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", port, "--save", "",
         "--appendonly", "yes", "--dir", str(state), "--pidfile", str(state / "redis.pid"),
         "--logfile", str(state / "logs" / "redis.log")],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip


@pytest.mark.slow
def test_a_redis_restart_mid_run_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    with private_stack(tmp_path, workers=2, BATT_VISIBILITY_TIMEOUT="10") as (env, state):
        url = env["BATT_DATABASE_URL"]
        try:
            producer = start_sweep(env, tmp_path)
            wait_for_first_rows(url, producer)
            _restart_redis(state, env["BATT_REDIS_PORT"])
            stdout, stderr = finish(producer, tmp_path, state, 300)
            assert producer.returncode == 0, stderr[-3000:]
            assert "Traceback" not in stderr
            summary = json.loads(stdout)
            rows = run_rows(url, summary["run_id"])
            lost = sum(path.read_text().count("Connection to broker lost") for path in state.glob("gpu*.log"))
            producer_waited = "broker unreachable" in stderr
            producer_did = "waited for it" if producer_waited else "had sent every chain already"
            resent = re.findall(r"(\d+) jobs had lost their message", stderr)
            print(f"\n{len(rows)} rows for {summary['after_dedup']} candidates; "
                  f"workers lost the broker {lost} times; the producer {producer_did}; "
                  f"jobs whose message Redis lost, sent again: {resent or 'none'}")  # fmt: skip
            assert summary["status"] == "finished"
            assert len(rows) == len(set(rows)) == summary["after_dedup"] == summary["evaluated"] > 0
            assert lost > 0  # the restart did reach the workers
            if producer_waited:
                assert "broker back" in stderr
        finally:
            get_engine(url).dispose()


@pytest.mark.slow
def test_the_producer_waits_for_a_broker_that_is_down_when_it_sends(tmp_path: Path) -> None:
    with private_stack(tmp_path, workers=2) as (env, state):
        url = env["BATT_DATABASE_URL"]
        try:
            _stop_redis(env["BATT_REDIS_PORT"])
            # --queue: no question to the workers first, so the first broker call is the send itself.
            producer = start_sweep(env, tmp_path, tasks=2, queue=env.get("BATT_QUEUE", "batt"))
            deadline = time.monotonic() + 120
            while "waiting for it" not in producer_said(tmp_path):
                assert time.monotonic() < deadline and producer.poll() is None, "the producer never said it waits"
                time.sleep(0.2)
            _start_redis(state, env["BATT_REDIS_PORT"])
            stdout, stderr = finish(producer, tmp_path, state, 300)
            assert producer.returncode == 0, stderr[-3000:]
            assert "broker back" in stderr and "Traceback" not in stderr
            summary = json.loads(stdout)
            rows = run_rows(url, summary["run_id"])
            assert summary["status"] == "finished"
            assert len(rows) == len(set(rows)) == summary["after_dedup"] > 0
        finally:
            get_engine(url).dispose()
