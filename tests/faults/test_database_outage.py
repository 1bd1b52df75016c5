"""PostgreSQL stops for 15 s in the middle of a distributed run: persist retries with backoff, the user is told
while it waits, and when the database is back every candidate lands, once.

The stack (Redis, a private PostgreSQL, two workers, Flower) comes from ops/batt-stack, so the server stopped
here is one this test started, never the machine's own.
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
OUTAGE_SECONDS = 15


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _pg_ctl(state: Path, *args: str) -> None:
    binary = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))[-1]
    subprocess.run(["runuser", "-u", "postgres", "--", str(binary), "-D", str(state / "pgdata"), *args],
                   check=True, capture_output=True, timeout=60)  # fmt: skip


@pytest.mark.slow
def test_a_database_outage_mid_run_loses_nothing(tmp_path: Path) -> None:
    state = Path(tempfile.mkdtemp(prefix="batt-outage-", dir="/tmp"))
    state.chmod(0o755)  # the stack's PostgreSQL runs as the postgres user
    port = _free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith("BATT_")}
    base |= {
        "BATT_STATE_DIR": str(state),
        "BATT_PG_PORT": str(port),
        "BATT_REDIS_PORT": str(_free_port()),
        "BATT_FLOWER_PORT": str(_free_port()),
        "PATH": f"{Path(sys.executable).parent}:{base['PATH']}",
    }
    url = ""
    up = subprocess.run([str(STACK), "up", "--count", "2"], env=base, cwd=tmp_path, capture_output=True, text=True,
                        timeout=180)  # fmt: skip
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        env = base | dict(re.findall(r"export (\w+)='([^']*)'", (state / "env").read_text()))
        command = [sys.executable, "-c", "from batt_tasks.cli import main; main()",
                   "run", "--generator", "sweep", "--limit", "8", "--budget", "80", "--batch-size", "8",
                   "--json"]  # fmt: skip
        producer = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)  # fmt: skip
        url = env["BATT_DATABASE_URL"]
        deadline = time.monotonic() + 120
        while True:  # the outage starts once workers have begun persisting
            try:
                with session_scope(url) as session:
                    if (session.scalar(select(func.count()).select_from(Evaluation)) or 0) > 0:
                        break
            except Exception:  # the schema may not exist yet while the producer starts
                pass
            assert time.monotonic() < deadline and producer.poll() is None, "no row within 120 s"
            time.sleep(0.1)
        get_engine(url).dispose()
        _pg_ctl(state, "-m", "immediate", "-w", "stop")
        time.sleep(OUTAGE_SECONDS)
        _pg_ctl(state, "-l", str(state / "logs" / "postgres.log"), "-o",
                f"-p {port} -k /tmp -c listen_addresses=127.0.0.1", "-w", "start")  # fmt: skip
        (state / "postgres.pid").write_text((state / "pgdata" / "postmaster.pid").read_text().splitlines()[0])
        stdout, stderr = producer.communicate(timeout=300)
        assert producer.returncode == 0, stderr[-3000:]
        assert "database unreachable" in stderr and "database back" in stderr, stderr[-3000:]
        assert "Traceback" not in stderr
        summary = json.loads(stdout)
        with session_scope(url) as session:
            query = select(Evaluation.task_key, Evaluation.solver_md5).where(Evaluation.run_id == summary["run_id"])
            rows = session.execute(query).all()
        retries = sum(path.read_text().count("retry: Retry in") for path in state.glob("gpu*.log"))
        print(f"\n{len(rows)} rows for {summary['after_dedup']} candidates; persist retried {retries} times")
        assert summary["status"] == "finished"
        assert len(rows) == len(set(rows)) == summary["after_dedup"] == summary["evaluated"] > 0
        assert retries > 0  # the workers did wait out the outage
    finally:
        if url:
            get_engine(url).dispose()
        down = subprocess.run([str(STACK), "down"], env=base, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)  # fmt: skip
        shutil.rmtree(state, ignore_errors=True)
    assert down.returncode == 0, down.stdout + down.stderr
