"""Redis restarts in the middle of a distributed run: workers and producer reconnect, and every candidate
lands exactly once.

Redis, a private PostgreSQL, two workers and Flower come from ops/batt-stack, whose Redis keeps its
queue in an append-only file: the Redis restarted here is one this test started, never the machine's.
A short visibility timeout lets the chains that were running when the connection dropped come back soon.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from batt_tasks.db.models import Evaluation
from batt_tasks.db.session import get_engine, session_scope

STACK = Path(__file__).resolve().parents[2] / "ops" / "batt-stack"
DOWN_SECONDS = 5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _restart_redis(state: Path, port: int) -> None:
    """SHUTDOWN (Redis writes its append-only file), a pause, then the same server on the same files."""
    subprocess.run(["redis-cli", "-p", str(port), "shutdown"], capture_output=True, timeout=30, check=False)
    for _ in range(100):
        if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).returncode != 0:
            break
        time.sleep(0.1)
    time.sleep(DOWN_SECONDS)
    subprocess.run(
        ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "yes", "--dir", str(state), "--pidfile", str(state / "redis.pid"),
         "--logfile", str(state / "logs" / "redis.log")],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip


def _rows(url: str, run_id: int) -> list[tuple[str, str]]:
    with session_scope(url) as session:
        query = select(Evaluation.task_key, Evaluation.solver_md5).where(Evaluation.run_id == run_id)
        return [tuple(row) for row in session.execute(query).all()]


@pytest.mark.slow
def test_a_redis_restart_mid_run_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    state = Path(tempfile.mkdtemp(prefix="batt-redis-restart-", dir="/tmp"))
    state.chmod(0o755)  # the stack's PostgreSQL runs as the postgres user
    redis_port = _free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith("BATT_")}
    base |= {
        "BATT_STATE_DIR": str(state),
        "BATT_PG_PORT": str(_free_port()),
        "BATT_REDIS_PORT": str(redis_port),
        "BATT_FLOWER_PORT": str(_free_port()),
        "BATT_VISIBILITY_TIMEOUT": "10",
        "PATH": f"{Path(sys.executable).parent}:{base['PATH']}",
    }
    url = ""
    up = subprocess.run([str(STACK), "up", "--count", "2"], env=base, cwd=tmp_path, capture_output=True, text=True,
                        timeout=180)  # fmt: skip
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        env = base | dict(re.findall(r"export (\w+)='([^']*)'", (state / "env").read_text()))
        url = env["BATT_DATABASE_URL"]
        command = [sys.executable, "-c", "from batt_tasks.cli import main; main()", "run", "--generator", "sweep",
                   "--limit", "8", "--budget", "80", "--batch-size", "8", "--json"]  # fmt: skip
        producer = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)  # fmt: skip
        deadline = time.monotonic() + 120
        while True:  # restart once workers have begun persisting
            try:
                with session_scope(url) as session:
                    if (session.scalar(select(func.count()).select_from(Evaluation)) or 0) > 0:
                        break
            except Exception:  # the schema may not exist yet while the producer starts
                pass
            assert time.monotonic() < deadline and producer.poll() is None, "no row within 120 s"
            time.sleep(0.05)
        _restart_redis(state, redis_port)
        stdout, stderr = producer.communicate(timeout=400)
        assert producer.returncode == 0, stderr[-3000:]
        assert "Traceback" not in stderr
        summary = json.loads(stdout)
        rows = _rows(url, summary["run_id"])
        reconnects = sum(path.read_text().count("Connection to broker lost") for path in state.glob("gpu*.log"))
        producer_waited = "broker unreachable" in stderr
        producer_did = "waited for it" if producer_waited else "had sent every chain already"
        print(f"\n{len(rows)} rows for {summary['after_dedup']} candidates; "
              f"workers lost the broker {reconnects} times; the producer {producer_did}")  # fmt: skip
        if producer_waited:
            assert "broker back" in stderr
        assert summary["status"] == "finished"
        assert len(rows) == len(set(rows)) == summary["after_dedup"] == summary["evaluated"] > 0
        assert reconnects > 0  # the restart did reach the workers
    finally:
        if url:
            get_engine(url).dispose()
        down = subprocess.run([str(STACK), "down"], env=base, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)  # fmt: skip
        shutil.rmtree(state, ignore_errors=True)
    assert down.returncode == 0, down.stdout + down.stderr
